// The features plugin: a RAM disk that implements every optional
// interface of the binding, each with a configurable answer, and that
// records what it is asked in a log file, so that the shell tests in
// tests/ can check what a real client saw against what the plugin did.
//
// Plugin-wide interfaces are found when the plugin is loaded, before
// any parameter, so the plugin always has all of them (Versioner,
// LongNamer, Describer, ConfigHelper, MagicConfigKeyer, ThreadModeler,
// AfterForker, Cleaner, ExportLister, DefaultExporter).  Connection
// interfaces are found in Open, so conn=KIND chooses which ones the
// connection has (see conn.go).
//
// Parameters:
//
//	log=FILE         append one line per callback reached to FILE
//	size=SIZE        disk size (nbdkit.ParseSize; default 1M)
//	magic=VALUE      the magic config key: nbdkit PLUGIN VALUE
//	write=BOOL       the answer of CanWrite (default true),
//	flush=BOOL       CanFlush (default false),
//	trim=BOOL        CanTrim (default true),
//	zero=BOOL        CanZero (default true)
//	conn=KIND        the optional interfaces of the connection (conn.go;
//	                 default plain: none)
//	fua=MODE         CanFUA: none, emulate or native (default)
//	fastzero=BOOL    CanFastZero (default true)
//	fastzero-fails=BOOL
//	                 Zero with FlagFastZero fails with ENOTSUP
//	zeromethod=BOOL  false: Zero is nbdkit.Connection's default, as in a
//	                 plugin that does not implement it (default true)
//	cache=MODE       CanCache: none, emulate or native (default)
//	canextents=BOOL  CanExtents (default true)
//	extents=MODE     Extents: normal (default), merged (normal, built
//	                 in a list of its own), outoforder, gap, late,
//	                 before, beyond, badtype, empty, error or panic
//	                 (conn.go); export: the export name is the mode
//	description=TEXT ExportDescription; nul, long, error and panic are
//	                 a NUL byte, 5000 bytes, an error and a panic;
//	                 export: the export name is the TEXT
//	blocksize=MIN:PREF:MAX
//	                 BlockSize; or error, or panic; export: the export
//	                 name is the answer
//	exports=MODE[,MODE...]
//	                 ListExports: default (AddDefault only; the
//	                 default), list, nulname, nuldesc, longname,
//	                 longdesc, error or panic; with several modes,
//	                 each call takes the next one
//	default=NAME     DefaultExport (default ""); error refuses the
//	                 default export, nul and long are a NUL byte and
//	                 5000 bytes
//	model=MODEL      ThreadModel after ConfigComplete: parallel,
//	                 serialize_requests, serialize_all_requests or
//	                 serialize_connections
//	sleep=DURATION   PRead sleeps this long (time.ParseDuration), so
//	                 overlapping requests can be seen
//	afterfork=fail   AfterFork returns an error
//	call=PHASE:FUNCTION[:ARG]
//	                 call a server function in PHASE (config, getready,
//	                 afterfork, preconnect, open, pread, close, cleanup;
//	                 go-PHASE: in a goroutine) and log the result
//	                 (calls.go)
//
// Load and ThreadModel run before any parameter: lines logged before
// log= are written when log= arrives.  Environment variables set what
// must be known at load: $NBDKIT_FEATURES_MODEL is the model ThreadModel
// answers at load (default parallel), and $NBDKIT_FEATURES_NUL=METHOD
// puts a NUL byte in what Version, LongName, Description, ConfigHelp or
// MagicConfigKey returns.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"example.org/nbdkit-test-plugins/internal/calllog"
	"example.org/nbdkit-test-plugins/internal/memdisk"
	"example.org/nbdkit-test-plugins/internal/params"
	"libguestfs.org/nbdkit"
)

type featuresPlugin struct {
	nbdkit.Plugin
}

var (
	_ nbdkit.Versioner        = (*featuresPlugin)(nil)
	_ nbdkit.LongNamer        = (*featuresPlugin)(nil)
	_ nbdkit.Describer        = (*featuresPlugin)(nil)
	_ nbdkit.ConfigHelper     = (*featuresPlugin)(nil)
	_ nbdkit.MagicConfigKeyer = (*featuresPlugin)(nil)
	_ nbdkit.ThreadModeler    = (*featuresPlugin)(nil)
	_ nbdkit.AfterForker      = (*featuresPlugin)(nil)
	_ nbdkit.Cleaner          = (*featuresPlugin)(nil)
	_ nbdkit.ExportLister     = (*featuresPlugin)(nil)
	_ nbdkit.DefaultExporter  = (*featuresPlugin)(nil)
)

// Configuration, written by Config before any connection exists.
var config = struct {
	size          uint64
	canWrite      bool
	canFlush      bool
	canTrim       bool
	canZero       bool
	kind          string
	fua           uint32
	fastZero      bool
	fastZeroFails bool
	noZeroMethod  bool
	cache         uint32
	canExtents    bool
	extents       string
	description   string
	blockSize     string
	exports       string
	defaultExport string
	model         string
	sleep         time.Duration
	afterForkFail bool
}{
	size:       1 << 20,
	canWrite:   true,
	canTrim:    true,
	canZero:    true,
	kind:       "plain",
	fua:        nbdkit.FUANative,
	fastZero:   true,
	cache:      nbdkit.CacheNative,
	canExtents: true,
	extents:    "normal",
	exports:    "default",
}

// The disk, made by ConfigComplete.
var disk *memdisk.Disk

// callLog is the log= file.
var callLog = &calllog.Log{Name: "features plugin"}

// withNUL puts a NUL byte in s if $NBDKIT_FEATURES_NUL names method.
func withNUL(method, s string) string {
	if os.Getenv("NBDKIT_FEATURES_NUL") == method {
		return s + "\x00hidden"
	}
	return s
}

func (p *featuresPlugin) Version() string { return withNUL("Version", "7.6.5-features") }

func (p *featuresPlugin) LongName() string {
	return withNUL("LongName", "nbdkit Go binding features test plugin")
}

func (p *featuresPlugin) Description() string {
	return withNUL("Description", "A RAM disk with every optional interface, for the tests.")
}

func (p *featuresPlugin) ConfigHelp() string {
	return withNUL("ConfigHelp", "log=<FILE>     Log every callback to FILE.\n"+
		"size=<SIZE>    Size of the disk (default 1M).\n"+
		"magic=<VALUE>  The magic config key, for tests.")
}

func (p *featuresPlugin) MagicConfigKey() string { return withNUL("MagicConfigKey", "magic") }

var threadModels = map[string]uint32{
	"parallel":               nbdkit.ThreadModelParallel,
	"serialize_requests":     nbdkit.ThreadModelSerializeRequests,
	"serialize_all_requests": nbdkit.ThreadModelSerializeAllRequests,
	"serialize_connections":  nbdkit.ThreadModelSerializeConnections,
}

// ThreadModel answers $NBDKIT_FEATURES_MODEL (or parallel) when the
// plugin is loaded, and model= once the configuration is complete.
func (p *featuresPlugin) ThreadModel() uint32 {
	name := config.model
	if name == "" {
		name = os.Getenv("NBDKIT_FEATURES_MODEL")
	}
	if name == "" {
		name = "parallel"
	}
	callLog.Printf("ThreadModel %s", name)
	model, ok := threadModels[name]
	if !ok {
		return 99 // not a model: the binding must refuse it
	}
	return model
}

func (p *featuresPlugin) Load() {
	callLog.Printf("Load")
}

func (p *featuresPlugin) Unload() {
	callLog.Printf("Unload max_inflight=%d max_open=%d", atomic.LoadInt64(&maxInflight),
		atomic.LoadInt64(&maxOpen))
}

func (p *featuresPlugin) DumpPlugin() {
	fmt.Println("features_dump_plugin=yes")
}

func parseChoice(key, value string, choices map[string]uint32) (uint32, error) {
	if v, ok := choices[value]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("%s: unknown value %q", key, value)
}

var fuaModes = map[string]uint32{
	"none": nbdkit.FUANone, "emulate": nbdkit.FUAEmulate, "native": nbdkit.FUANative,
}

var cacheModes = map[string]uint32{
	"none": nbdkit.CacheNone, "emulate": nbdkit.CacheEmulate, "native": nbdkit.CacheNative,
}

func (p *featuresPlugin) Config(key, value string) error {
	callLog.Printf("Config %s=%s", key, value)
	var err error
	switch key {
	case "log":
		callLog.SetFile(value)
	case "magic":
	case "size":
		var size int64
		size, err = nbdkit.ParseSize(value)
		config.size = uint64(size)
	case "write":
		config.canWrite, err = params.Bool(key, value)
	case "flush":
		config.canFlush, err = params.Bool(key, value)
	case "trim":
		config.canTrim, err = params.Bool(key, value)
	case "zero":
		config.canZero, err = params.Bool(key, value)
	case "conn":
		if _, ok := connectionKinds[value]; !ok {
			return fmt.Errorf("conn: unknown kind %q", value)
		}
		config.kind = value
	case "fua":
		config.fua, err = parseChoice(key, value, fuaModes)
	case "fastzero":
		config.fastZero, err = params.Bool(key, value)
	case "fastzero-fails":
		config.fastZeroFails, err = params.Bool(key, value)
	case "zeromethod":
		var zeroMethod bool
		zeroMethod, err = params.Bool(key, value)
		config.noZeroMethod = !zeroMethod
	case "cache":
		config.cache, err = parseChoice(key, value, cacheModes)
	case "canextents":
		config.canExtents, err = params.Bool(key, value)
	case "extents":
		config.extents = value
	case "description":
		config.description = value
	case "blocksize":
		config.blockSize = value
	case "exports":
		config.exports = value
	case "default":
		config.defaultExport = value
	case "model":
		if _, ok := threadModels[value]; !ok && value != "invalid" {
			return fmt.Errorf("model: unknown thread model %q", value)
		}
		config.model = value
	case "sleep":
		config.sleep, err = time.ParseDuration(value)
	case "afterfork":
		config.afterForkFail = value == "fail"
	case "call":
		err = addCall(value)
	default:
		return fmt.Errorf("unknown parameter %q", key)
	}
	return err
}

func (p *featuresPlugin) ConfigComplete() error {
	callLog.Printf("ConfigComplete")
	callLog.ConfigComplete()
	disk = memdisk.New(config.size)
	return nil
}

func (p *featuresPlugin) GetReady() error {
	callLog.Printf("GetReady stdio_safe=%t", nbdkit.StdioSafe())
	runCalls("getready")
	return nil
}

func (p *featuresPlugin) AfterFork() error {
	callLog.Printf("AfterFork")
	runCalls("afterfork")
	if config.afterForkFail {
		return errors.New("features plugin: AfterFork failed as asked")
	}
	return nil
}

func (p *featuresPlugin) Cleanup() {
	callLog.Printf("Cleanup")
	runCalls("cleanup")
}

func (p *featuresPlugin) PreConnect(readonly bool) error {
	callLog.Printf("PreConnect readonly=%t", readonly)
	runCalls("preconnect")
	return nil
}

// longString is longer than the 4096 bytes the NBD protocol allows.
var longString = strings.Repeat("x", 5000)

// listExportsCalls counts ListExports calls, to cycle through modes.
var listExportsCalls int64

func (p *featuresPlugin) ListExports(readonly, isTLS bool, list nbdkit.ExportList) error {
	modes := strings.Split(config.exports, ",")
	mode := modes[(atomic.AddInt64(&listExportsCalls, 1)-1)%int64(len(modes))]
	callLog.Printf("ListExports readonly=%t tls=%t mode=%s", readonly, isTLS, mode)
	var err error
	switch mode {
	case "default":
		err = list.AddDefault()
	case "list":
		if err = list.Add("one", "the first export"); err == nil {
			if err = list.Add("two", ""); err == nil {
				err = list.AddDefault()
			}
		}
	case "nulname":
		err = list.Add("bad\x00name", "")
	case "nuldesc":
		err = list.Add("nuldesc", "bad\x00description")
	case "longname":
		err = list.Add(longString, "")
	case "longdesc":
		err = list.Add("longdesc", longString)
	case "error":
		err = errors.New("features plugin: ListExports failed as asked")
	case "panic":
		panic("features plugin: ListExports panicked as asked")
	default:
		err = fmt.Errorf("exports: unknown mode %q", mode)
	}
	if err != nil {
		callLog.Printf("ListExports error: %v", err)
	}
	return err
}

func (p *featuresPlugin) DefaultExport(readonly, isTLS bool) (string, error) {
	callLog.Printf("DefaultExport readonly=%t tls=%t", readonly, isTLS)
	switch config.defaultExport {
	case "error":
		return "", errors.New("features plugin: DefaultExport refused as asked")
	case "nul":
		return "bad\x00name", nil
	case "long":
		return longString, nil
	}
	return config.defaultExport, nil
}

// Overlap detection: requests in PRead now and at most, over the whole
// server and per connection; connections open now and at most.
var (
	inflight, maxInflight int64
	open, maxOpen         int64
	connections           int64
)

// raiseMax sets *max to n if n is larger.
func raiseMax(max *int64, n int64) {
	for {
		old := atomic.LoadInt64(max)
		if n <= old || atomic.CompareAndSwapInt64(max, old, n) {
			return
		}
	}
}

func (p *featuresPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	name, nameErr := nbdkit.ExportName()
	tls, tlsErr := nbdkit.IsTLS()
	id := atomic.AddInt64(&connections, 1)
	callLog.Printf("Open #%d readonly=%t export=%q (%v) tls=%t (%v)", id, readonly, name, nameErr,
		tls, tlsErr)
	raiseMax(&maxOpen, atomic.AddInt64(&open, 1))
	runCalls("open")
	c := &conn{id: id, exportName: name}
	c.extentsMode = c.fromExport(config.extents)
	return connectionKinds[config.kind](c), nil
}

func init() {
	nbdkit.Register("features", &featuresPlugin{})
}

func main() {}
