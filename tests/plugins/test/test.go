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
	"sync"
	"sync/atomic"
	"syscall"

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

// The disk.
var (
	lock sync.RWMutex
	disk []byte
)

var (
	flushes      int64
	openCalls    int64
	getSizeCalls int64
)

// The log.  Every line is one write(2) on a file opened with O_APPEND,
// so lines of concurrent callbacks never interleave.
// Lines logged before log= are kept until ConfigComplete, then dropped
// if there is no log.
var (
	logMu      sync.Mutex
	logFile    string
	logPending []string
	logDone    bool // ConfigComplete was reached: stop keeping lines
)

func logf(format string, args ...interface{}) {
	logMu.Lock()
	file, done := logFile, logDone
	logMu.Unlock()
	if file == "" && done {
		return
	}
	line := fmt.Sprintf(format, args...) + "\n"
	if file != "" {
		appendLine(file, line)
		return
	}
	logMu.Lock()
	if logFile == "" {
		logPending = append(logPending, line)
	} else {
		file = logFile
	}
	logMu.Unlock()
	if file != "" {
		appendLine(file, line)
	}
}

func appendLine(file, line string) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
	if err != nil {
		nbdkit.Error(fmt.Sprintf("test plugin: %v", err))
		return
	}
	if _, err := f.Write([]byte(line)); err != nil {
		nbdkit.Error(fmt.Sprintf("test plugin: %v", err))
	}
	f.Close()
}

func setLog(file string) {
	logMu.Lock()
	logFile = file
	pending := logPending
	logPending = nil
	logMu.Unlock()
	for _, line := range pending {
		appendLine(file, line)
	}
}

// flagNames shows flags symbolically: "0", or names joined with "|".
func flagNames(flags uint32) string {
	var names []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{
		{nbdkit.FlagMayTrim, "MAY_TRIM"},
		{nbdkit.FlagFUA, "FUA"},
		{nbdkit.FlagReqOne, "REQ_ONE"},
		{nbdkit.FlagFastZero, "FAST_ZERO"},
	} {
		if flags&f.bit != 0 {
			names = append(names, f.name)
			flags &^= f.bit
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	if names == nil {
		return "0"
	}
	return strings.Join(names, "|")
}

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
		setLog(file)
	}
	for _, method := range strings.Split(os.Getenv("NBDKIT_TEST_PANIC"), ",") {
		if method != "" {
			panics[method] = ""
		}
	}
	logf("Load")
	maybePanic("Load")
}

func (p *testPlugin) Unload() {
	logf("Unload flushes=%d", atomic.LoadInt64(&flushes))
	maybePanic("Unload")
}

func (p *testPlugin) DumpPlugin() {
	logf("DumpPlugin")
	fmt.Println("test_dump_plugin=yes")
	maybePanic("DumpPlugin")
}

func (p *testPlugin) Config(key, value string) error {
	logf("Config %s=%s", key, value)
	var err error
	switch key {
	case "log":
		setLog(value)
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
	logf("ConfigComplete")
	logMu.Lock()
	logDone = true
	logPending = nil
	logMu.Unlock()
	if err := check("ConfigComplete"); err != nil {
		return err
	}
	lock.Lock()
	disk = make([]byte, size)
	lock.Unlock()
	return nil
}

func (p *testPlugin) GetReady() error {
	logf("GetReady")
	if debugText != nil {
		nbdkit.Debug(*debugText)
		nbdkit.Error(*debugText)
	}
	return check("GetReady")
}

func (p *testPlugin) PreConnect(readonly bool) error {
	logf("PreConnect readonly=%t", readonly)
	return check("PreConnect")
}

func (p *testPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	logf("Open readonly=%t", readonly)
	if firstCall(&openCalls) {
		maybePanic("Open")
	}
	if err := failure("Open"); err != nil {
		return nil, err
	}
	return &testConnection{}, nil
}

func (c *testConnection) Close() {
	logf("Close")
	maybePanic("Close")
}

func (c *testConnection) GetSize() (uint64, error) {
	logf("GetSize")
	if firstCall(&getSizeCalls) {
		maybePanic("GetSize")
	}
	if err := failure("GetSize"); err != nil {
		return 0, err
	}
	return size, nil
}

func answer(method string, yes bool) (bool, error) {
	logf("%s", method)
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
	logf("PRead %d@%d flags=%s", len(buf), offset, flagNames(flags))
	if err := checkAt("PRead", offset); err != nil {
		return err
	}
	lock.RLock()
	copy(buf, disk[offset:])
	lock.RUnlock()
	return nil
}

func (c *testConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	logf("PWrite %d@%d flags=%s", len(buf), offset, flagNames(flags))
	if err := checkAt("PWrite", offset); err != nil {
		return err
	}
	lock.Lock()
	copy(disk[offset:], buf)
	lock.Unlock()
	return nil
}

func (c *testConnection) Flush(flags uint32) error {
	n := atomic.AddInt64(&flushes, 1)
	logf("Flush #%d flags=%s", n, flagNames(flags))
	return check("Flush")
}

func zeroRange(count uint32, offset uint64) {
	lock.Lock()
	b := disk[offset : offset+uint64(count)]
	for i := range b {
		b[i] = 0
	}
	lock.Unlock()
}

func (c *testConnection) Trim(count uint32, offset uint64, flags uint32) error {
	logf("Trim %d@%d flags=%s", count, offset, flagNames(flags))
	if err := check("Trim"); err != nil {
		return err
	}
	zeroRange(count, offset)
	return nil
}

func (c *testConnection) Zero(count uint32, offset uint64, flags uint32) error {
	logf("Zero %d@%d flags=%s", count, offset, flagNames(flags))
	if err := check("Zero"); err != nil {
		return err
	}
	zeroRange(count, offset)
	return nil
}

func init() {
	nbdkit.Register("test", &testPlugin{})
}

func main() {}
