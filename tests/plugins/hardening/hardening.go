// The hardening plugin: a RAM disk with every optional interface, built
// to be attacked.  It serves the load, fault, bad input, leak and
// security tests (tests/load-verify.sh, errors-faults.sh, errors-bad-input.sh,
// load-leaks.sh, sanitizers.sh, security.sh), so it counts what a plugin
// author would want to be sure of: every Open gets exactly one Close,
// no goroutine outlives its connection, no connection object is kept
// after Close.
//
// Each connection starts a worker goroutine in Open, stopped by Close,
// as a plugin with background work per connection does.
//
// Parameters:
//
//	size=SIZE          disk size (nbdkit.ParseSize; default 64M)
//	log=FILE           append lifecycle lines to FILE: Load, GetReady,
//	                   AfterFork, Cleanup, and Unload with the counts
//	connlog=BOOL       also log PreConnect and Open of every connection
//	fail=METHOD:ERRNO  every call of METHOD fails with ERRNO (a name:
//	                   EPERM, EIO, ENOSPC, ...; faults.go); with
//	                   ERRNO,wrapped the errno is wrapped by fmt.Errorf
//	panic=METHOD       every call of METHOD panics
//	nul=BOOL           the messages of injected failures and panics
//	                   have a NUL byte after "hardening:"
//	random-fail=PERCENT
//	                   each PRead, PWrite, Zero, Trim, Cache, Extents and
//	                   Flush fails with this probability, with an errno
//	                   per method (faults.go)
//	allow-uid=UID      PreConnect refuses peers with another uid,
//	allow-gid=GID      or another gid (Unix socket)
//	require-tls=BOOL   Open refuses a client that has not done TLS
//	password=PASSWORD  read with nbdkit.ReadPassword (-, +FILE, -FD);
//	                   only its length is logged
//	blocksize=MIN:PREF:MAX
//	                   the answer of BlockSize (default none)
//
// $NBDKIT_HARDENING_PANIC=METHOD[,METHOD...] sets panics before the
// first parameter (Load, DumpPlugin, ThreadModel at load).  With
// $NBDKIT_HARDENING_LEAK_CHECK set, Unload runs LeakSanitizer's check
// (lsan.go).
//
// The export name the client asks for chooses what its connection does
// (conn.go): "fail:METHOD:ERRNO" and "panic:METHOD" as above for that
// connection only, "debug:N" and "error:N" call nbdkit.Debug or
// nbdkit.Error N times in Open, "stats" logs the counts in Open, and
// "extents:MODE" answers block status badly (many, zerolen, huge, or
// random: see randomExtents).
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"example.org/nbdkit-test-plugins/internal/calllog"
	"example.org/nbdkit-test-plugins/internal/params"
	"libguestfs.org/nbdkit"
)

type hardeningPlugin struct {
	nbdkit.Plugin
}

var (
	_ nbdkit.ThreadModeler   = (*hardeningPlugin)(nil)
	_ nbdkit.AfterForker     = (*hardeningPlugin)(nil)
	_ nbdkit.Cleaner         = (*hardeningPlugin)(nil)
	_ nbdkit.ExportLister    = (*hardeningPlugin)(nil)
	_ nbdkit.DefaultExporter = (*hardeningPlugin)(nil)
)

// Configuration, written by Config before any connection exists.
var config = struct {
	size       uint64
	connLog    bool
	allowUID   int64 // -1: any
	allowGID   int64
	requireTLS bool
	blockSize  [3]uint32
}{
	size:     64 << 20,
	allowUID: -1,
	allowGID: -1,
}

// pluginFaults are the fail= and panic= parameters.
var pluginFaults = newFaults()

// Counts, for the Unload and stats lines.
var (
	opens, closes, doubleCloses int64 // Open succeeded, Close called
	workers                     int64 // worker goroutines running
	finalized                   int64 // connection objects collected
	goroutinesAtAfterFork       = -1
)

// callLog is the log= file.
var callLog = &calllog.Log{Name: "hardening plugin"}

func (p *hardeningPlugin) Load() {
	callLog.Printf("Load")
	for _, method := range strings.Split(os.Getenv("NBDKIT_HARDENING_PANIC"), ",") {
		if method != "" {
			pluginFaults.panics[method] = true
		}
	}
	pluginFaults.mustNotFail("Load")
}

func (p *hardeningPlugin) DumpPlugin() {
	fmt.Println("hardening_dump_plugin=yes")
	pluginFaults.mustNotFail("DumpPlugin")
}

func (p *hardeningPlugin) ThreadModel() uint32 {
	pluginFaults.mustNotFail("ThreadModel")
	return nbdkit.ThreadModelParallel
}

func parseID(key, value string) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: not a user or group id: %q", key, value)
	}
	return n, nil
}

func (p *hardeningPlugin) Config(key, value string) error {
	var err error
	switch key {
	case "size":
		var size int64
		size, err = nbdkit.ParseSize(value)
		config.size = uint64(size)
	case "log":
		callLog.SetFile(value)
	case "connlog":
		config.connLog, err = params.Bool(key, value)
	case "fail":
		err = pluginFaults.addFailure(value)
	case "panic":
		pluginFaults.panics[value] = true
	case "nul":
		withNUL, err = params.Bool(key, value)
	case "random-fail":
		randomFailPercent, err = strconv.ParseFloat(value, 64)
		if err != nil {
			err = fmt.Errorf("random-fail: not a percentage: %q", value)
		}
	case "allow-uid":
		config.allowUID, err = parseID(key, value)
	case "allow-gid":
		config.allowGID, err = parseID(key, value)
	case "require-tls":
		config.requireTLS, err = params.Bool(key, value)
	case "password":
		var password string
		password, err = nbdkit.ReadPassword(value)
		if err == nil {
			callLog.Printf("Config password: %d bytes, sha256 %x", len(password),
				sha256.Sum256([]byte(password)))
		}
	case "blocksize":
		config.blockSize, err = params.BlockSize(value)
	default:
		return fmt.Errorf("unknown parameter %q", key)
	}
	if err != nil {
		return err
	}
	return pluginFaults.check("Config")
}

func (p *hardeningPlugin) ConfigComplete() error {
	callLog.ConfigComplete()
	if err := pluginFaults.check("ConfigComplete"); err != nil {
		return err
	}
	newDisk(config.size)
	return nil
}

func (p *hardeningPlugin) GetReady() error {
	callLog.Printf("GetReady goroutines=%d", runtime.NumGoroutine())
	return pluginFaults.check("GetReady")
}

func (p *hardeningPlugin) AfterFork() error {
	goroutinesAtAfterFork = runtime.NumGoroutine()
	callLog.Printf("AfterFork goroutines=%d", goroutinesAtAfterFork)
	return pluginFaults.check("AfterFork")
}

func (p *hardeningPlugin) Cleanup() {
	callLog.Printf("Cleanup %s", counts())
	pluginFaults.mustNotFail("Cleanup")
}

// Unload reports the counts once the workers of closed connections
// have had a moment (up to a second) to end.
func (p *hardeningPlugin) Unload() {
	settle()
	callLog.Printf("Unload %s goroutines=%d afterfork_goroutines=%d", counts(),
		runtime.NumGoroutine(), goroutinesAtAfterFork)
	if os.Getenv("NBDKIT_HARDENING_LEAK_CHECK") != "" {
		callLog.Printf("Unload leak check: %d", leakCheck())
	}
	pluginFaults.mustNotFail("Unload")
}

// counts is the connection bookkeeping, as KEY=VALUE words.
func counts() string {
	return fmt.Sprintf("opens=%d closes=%d double_closes=%d workers=%d finalized=%d "+
		"random_failures=%d", atomic.LoadInt64(&opens), atomic.LoadInt64(&closes),
		atomic.LoadInt64(&doubleCloses), atomic.LoadInt64(&workers),
		atomic.LoadInt64(&finalized), atomic.LoadInt64(&randomFailures))
}

// settle waits (up to a second) until the worker goroutines of closed
// connections have ended: a worker counts itself out just before it
// returns.
func settle() {
	for i := 0; i < 100; i++ {
		if atomic.LoadInt64(&workers) == 0 &&
			(goroutinesAtAfterFork < 0 || runtime.NumGoroutine() <= goroutinesAtAfterFork) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// collect runs the garbage collector until the finalizers of the
// connection objects nothing refers to any more have run, and returns
// the free memory to the system, so that RSS is what is in use.
func collect() {
	for i := 0; i < 5; i++ {
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
	debug.FreeOSMemory()
}

func (p *hardeningPlugin) PreConnect(readonly bool) error {
	if err := pluginFaults.check("PreConnect"); err != nil {
		return err
	}
	if config.connLog || config.allowUID >= 0 || config.allowGID >= 0 {
		// No TLS yet: PreConnect runs before the NBD handshake.
		uid, uidErr := nbdkit.PeerUID()
		gid, gidErr := nbdkit.PeerGID()
		callLog.Printf("PreConnect uid=%d gid=%d", uid, gid)
		if err := allowPeer("uid", config.allowUID, uid, uidErr); err != nil {
			return err
		}
		return allowPeer("gid", config.allowGID, gid, gidErr)
	}
	return nil
}

// allowPeer refuses a peer whose id is not the one allowed (any, if
// allowed is -1), or cannot be known.
func allowPeer(what string, allowed, id int64, err error) error {
	switch {
	case allowed < 0:
		return nil
	case err != nil:
		return fmt.Errorf("refusing a peer whose %s is unknown: %w", what, err)
	case id != allowed:
		return nbdkit.PluginError{
			Errmsg: fmt.Sprintf("refusing peer %s %d: only %d is allowed", what, id, allowed),
			Errno:  permissionDenied}
	}
	return nil
}

func (p *hardeningPlugin) ListExports(readonly, isTLS bool, list nbdkit.ExportList) error {
	if err := pluginFaults.check("ListExports"); err != nil {
		return err
	}
	return list.AddDefault()
}

func (p *hardeningPlugin) DefaultExport(readonly, isTLS bool) (string, error) {
	if err := pluginFaults.check("DefaultExport"); err != nil {
		return "", err
	}
	return "", nil
}

func init() {
	nbdkit.Register("hardening", &hardeningPlugin{})
}

func main() {}
