// The test plugin: a RAM disk whose every answer is configurable, and
// which records every callback it reaches in a log file, so that the
// shell tests in tests/ can check what nbdkit called, with what, and
// what a real client saw.
//
// Parameters:
//
//	log=FILE        append one line per callback reached to FILE
//	size=BYTES      disk size: an integer, optionally with K, M, G or T
//	write=BOOL      the answer of CanWrite (default false), and likewise
//	flush=BOOL      CanFlush,
//	trim=BOOL       CanTrim,
//	zero=BOOL       CanZero,
//	rotational=BOOL IsRotational,
//	multiconn=BOOL  CanMultiConn
//	panic=METHOD[:KIND]
//	                panic in METHOD (PRead and PWrite: only at offset
//	                4096; Open and GetSize: only on the first call in
//	                the process; everything else: always).  The panic
//	                value is a string, or with KIND nil a nil pointer
//	                dereference, or with KIND error an error value
//	fail=METHOD:KIND
//	                return an error from METHOD (PRead and PWrite: only
//	                at offset 8192).  KIND is perm (a PluginError with
//	                EPERM), permptr (a *PluginError with EPERM), inval
//	                (an error wrapping syscall.EINVAL), nospc (an
//	                *os.PathError wrapping ENOSPC), plain (errors.New,
//	                which the client sees as EIO), seterror
//	                (nbdkit.SetError(ENOSPC), then errors.New) or
//	                seterror-own (nbdkit.SetError(ENOSPC), then a
//	                PluginError with EPERM)
//	debug=TEXT      call nbdkit.Debug(TEXT) and nbdkit.Error(TEXT) once
//	                in GetReady; debug=nul uses "before\x00after"
//
// panic= and fail= may be given more than once.
//
// Load and DumpPlugin run before any parameter is seen: the log file
// may also be named by $NBDKIT_TEST_LOG, lines logged before log= are
// written when log= arrives, and $NBDKIT_TEST_PANIC=Load (or Unload,
// DumpPlugin) sets a panic before the first parameter.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"example.org/nbdkit-test-plugins/internal/calllog"
	"example.org/nbdkit-test-plugins/internal/memdisk"
	"libguestfs.org/nbdkit"
)

type testPlugin struct {
	nbdkit.Plugin
}

type testConnection struct {
	nbdkit.Connection
}

// Configuration, written by Config before any connection exists.
var (
	size       uint64 = 1024 * 1024
	canWrite   bool
	canFlush   bool
	canTrim    bool
	canZero    bool
	rotational bool
	multiconn  bool
	panics     = map[string]string{} // method -> kind of panic
	failures   = map[string]string{}
	debugText  *string
)

// The disk, made by ConfigComplete.
var disk *memdisk.Disk

var (
	flushes      int64
	openCalls    int64
	getSizeCalls int64
)

// callLog is the log= file.
var callLog = &calllog.Log{Name: "test plugin"}

// nowhere is dereferenced by panic=METHOD:nil.
var nowhere *struct{ x int }

// maybePanic panics if panic=method was given.
func maybePanic(method string) {
	kind, ok := panics[method]
	if !ok {
		return
	}
	switch kind {
	case "nil":
		// A run-time panic from a signal (SIGSEGV) in Go code.
		nowhere.x++
	case "error":
		panic(fmt.Errorf("test panic error in %s", method))
	default:
		panic(fmt.Sprintf("test panic in %s", method))
	}
}

// firstCall reports whether counter was zero, and counts this call.
func firstCall(counter *int64) bool {
	return atomic.AddInt64(counter, 1) == 1
}

// failure returns the error that fail=method:KIND asks for, or nil.
func failure(method string) error {
	kind, ok := failures[method]
	if !ok {
		return nil
	}
	msg := fmt.Sprintf("test failure %s in %s", kind, method)
	switch kind {
	case "perm":
		return nbdkit.PluginError{Errmsg: msg, Errno: syscall.EPERM}
	case "permptr":
		return &nbdkit.PluginError{Errmsg: msg, Errno: syscall.EPERM}
	case "inval":
		return fmt.Errorf("%s: %w", msg, syscall.EINVAL)
	case "nospc":
		return &os.PathError{Op: msg, Path: "/nospc", Err: syscall.ENOSPC}
	case "seterror":
		nbdkit.SetError(syscall.ENOSPC)
		return errors.New(msg)
	case "seterror-own":
		nbdkit.SetError(syscall.ENOSPC)
		return nbdkit.PluginError{Errmsg: msg, Errno: syscall.EPERM}
	default:
		return errors.New(msg)
	}
}

// check is the common prologue of a method: panic or fail if asked.
func check(method string) error {
	maybePanic(method)
	return failure(method)
}

// checkAt is check for PRead and PWrite, which only panic at offset
// 4096 and only fail at offset 8192.
func checkAt(method string, offset uint64) error {
	if offset == 4096 {
		maybePanic(method)
	}
	if offset == 8192 {
		return failure(method)
	}
	return nil
}

func parseSize(value string) (uint64, error) {
	multiplier := uint64(1)
	digits := value
	if n := len(value); n > 0 {
		switch value[n-1] {
		case 'k', 'K':
			multiplier = 1 << 10
		case 'm', 'M':
			multiplier = 1 << 20
		case 'g', 'G':
			multiplier = 1 << 30
		case 't', 'T':
			multiplier = 1 << 40
		}
		if multiplier != 1 {
			digits = value[:n-1]
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > (1<<63-1)/multiplier {
		return 0, fmt.Errorf("size: cannot parse %q", value)
	}
	return n * multiplier, nil
}

func parseBool(key, value string) (bool, error) {
	switch strings.ToLower(value) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: cannot parse %q as a boolean", key, value)
}

func (p *testPlugin) Load() {
	if file := os.Getenv("NBDKIT_TEST_LOG"); file != "" {
		callLog.SetFile(file)
	}
	for _, method := range strings.Split(os.Getenv("NBDKIT_TEST_PANIC"), ",") {
		if method != "" {
			panics[method] = ""
		}
	}
	callLog.Printf("Load")
	maybePanic("Load")
}

func (p *testPlugin) Unload() {
	callLog.Printf("Unload flushes=%d", atomic.LoadInt64(&flushes))
	maybePanic("Unload")
}

func (p *testPlugin) DumpPlugin() {
	callLog.Printf("DumpPlugin")
	fmt.Println("test_dump_plugin=yes")
	maybePanic("DumpPlugin")
}

func (p *testPlugin) Config(key, value string) error {
	callLog.Printf("Config %s=%s", key, value)
	var err error
	switch key {
	case "log":
		callLog.SetFile(value)
	case "size":
		size, err = parseSize(value)
	case "write":
		canWrite, err = parseBool(key, value)
	case "flush":
		canFlush, err = parseBool(key, value)
	case "trim":
		canTrim, err = parseBool(key, value)
	case "zero":
		canZero, err = parseBool(key, value)
	case "rotational":
		rotational, err = parseBool(key, value)
	case "multiconn":
		multiconn, err = parseBool(key, value)
	case "panic":
		method, kind := value, ""
		if i := strings.IndexByte(value, ':'); i >= 0 {
			method, kind = value[:i], value[i+1:]
		}
		panics[method] = kind
	case "fail":
		i := strings.IndexByte(value, ':')
		if i < 0 {
			return fmt.Errorf("fail: expected METHOD:KIND, got %q", value)
		}
		failures[value[:i]] = value[i+1:]
	case "debug":
		text := value
		if value == "nul" {
			text = "before\x00after"
		}
		debugText = &text
	default:
		return fmt.Errorf("unknown parameter %q", key)
	}
	if err != nil {
		return err
	}
	return check("Config")
}

func (p *testPlugin) ConfigComplete() error {
	callLog.Printf("ConfigComplete")
	callLog.ConfigComplete()
	if err := check("ConfigComplete"); err != nil {
		return err
	}
	disk = memdisk.New(size)
	return nil
}

func (p *testPlugin) GetReady() error {
	callLog.Printf("GetReady")
	if debugText != nil {
		nbdkit.Debug(*debugText)
		nbdkit.Error(*debugText)
	}
	return check("GetReady")
}

func (p *testPlugin) PreConnect(readonly bool) error {
	callLog.Printf("PreConnect readonly=%t", readonly)
	return check("PreConnect")
}

func (p *testPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	callLog.Printf("Open readonly=%t", readonly)
	if firstCall(&openCalls) {
		maybePanic("Open")
	}
	if err := failure("Open"); err != nil {
		return nil, err
	}
	return &testConnection{}, nil
}

func (c *testConnection) Close() {
	callLog.Printf("Close")
	maybePanic("Close")
}

func (c *testConnection) GetSize() (uint64, error) {
	callLog.Printf("GetSize")
	if firstCall(&getSizeCalls) {
		maybePanic("GetSize")
	}
	if err := failure("GetSize"); err != nil {
		return 0, err
	}
	return size, nil
}

func answer(method string, yes bool) (bool, error) {
	callLog.Printf("%s", method)
	if err := check(method); err != nil {
		return false, err
	}
	return yes, nil
}

func (c *testConnection) CanWrite() (bool, error)     { return answer("CanWrite", canWrite) }
func (c *testConnection) CanFlush() (bool, error)     { return answer("CanFlush", canFlush) }
func (c *testConnection) IsRotational() (bool, error) { return answer("IsRotational", rotational) }
func (c *testConnection) CanTrim() (bool, error)      { return answer("CanTrim", canTrim) }
func (c *testConnection) CanZero() (bool, error)      { return answer("CanZero", canZero) }
func (c *testConnection) CanMultiConn() (bool, error) { return answer("CanMultiConn", multiconn) }

func (c *testConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	callLog.Printf("PRead %d@%d flags=%s", len(buf), offset, calllog.FlagNames(flags))
	if err := checkAt("PRead", offset); err != nil {
		return err
	}
	disk.Read(buf, offset)
	return nil
}

func (c *testConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	callLog.Printf("PWrite %d@%d flags=%s", len(buf), offset, calllog.FlagNames(flags))
	if err := checkAt("PWrite", offset); err != nil {
		return err
	}
	disk.Write(buf, offset)
	return nil
}

func (c *testConnection) Flush(flags uint32) error {
	n := atomic.AddInt64(&flushes, 1)
	callLog.Printf("Flush #%d flags=%s", n, calllog.FlagNames(flags))
	return check("Flush")
}

func (c *testConnection) Trim(count uint32, offset uint64, flags uint32) error {
	callLog.Printf("Trim %d@%d flags=%s", count, offset, calllog.FlagNames(flags))
	if err := check("Trim"); err != nil {
		return err
	}
	disk.Zero(count, offset)
	return nil
}

func (c *testConnection) Zero(count uint32, offset uint64, flags uint32) error {
	callLog.Printf("Zero %d@%d flags=%s", count, offset, calllog.FlagNames(flags))
	if err := check("Zero"); err != nil {
		return err
	}
	disk.Zero(count, offset)
	return nil
}

func init() {
	nbdkit.Register("test", &testPlugin{})
}

func main() {}
