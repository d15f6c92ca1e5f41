// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// These tests drive the Go half of the callbacks directly, without
// nbdkit: the call* functions are exactly what the go_* exports run.
// The shell tests in tests/ cover the same paths through nbdkit.

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// recordingLog stands in for nbdkit's error and debug output.
type recordingLog struct {
	mu     sync.Mutex
	errors []string
	errnos []syscall.Errno
	debugs []string
	// SetError's errno, which nbdkit keeps per thread; the tests
	// call one callback at a time.
	errnoSlot
}

func (l *recordingLog) debug(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.debugs = append(l.debugs, msg)
}

func (l *recordingLog) error(msg string, errno syscall.Errno) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, msg)
	l.errnos = append(l.errnos, errno)
}

func (l *recordingLog) last(t *testing.T) (string, syscall.Errno) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errors) == 0 {
		t.Fatal("no error was reported")
	}
	return l.errors[len(l.errors)-1], l.errnos[len(l.errnos)-1]
}

// TestSetErrorPrecedence: an errno the error carries wins over
// SetError's, which wins over the EIO default, and is used only once.
func TestSetErrorPrecedence(t *testing.T) {
	log := setup(t, &testPlugin{})
	SetError(syscall.EACCES)
	reportError("PRead", errors.New("plain"))
	if _, errno := log.last(t); errno != syscall.EACCES {
		t.Errorf("SetError then a plain error: errno %v, want EACCES", errno)
	}
	reportError("PRead", errors.New("plain again"))
	if _, errno := log.last(t); errno != syscall.EIO {
		t.Errorf("SetError used twice: errno %v, want EIO", errno)
	}
	SetError(syscall.EACCES)
	reportError("PRead", PluginError{Errmsg: "own", Errno: syscall.EROFS})
	if _, errno := log.last(t); errno != syscall.EROFS {
		t.Errorf("SetError then an error with its errno: errno %v, want EROFS", errno)
	}
	reportError("PRead", errors.New("after"))
	if _, errno := log.last(t); errno != syscall.EIO {
		t.Errorf("SetError kept after an error with its own errno: errno %v, want EIO", errno)
	}
}

// setup installs a fresh recorder and plugin for one test.
func setup(t *testing.T, p PluginInterface) *recordingLog {
	t.Helper()
	log := &recordingLog{}
	savedLog, savedPlugin := logSink, pluginImpl
	logSink, pluginImpl = log, p
	t.Cleanup(func() { logSink, pluginImpl = savedLog, savedPlugin })
	return log
}

// testPlugin serves testConnections over a shared RAM disk.
type testPlugin struct {
	Plugin
	mu    sync.Mutex
	opens int
	disk  []byte
}

func (p *testPlugin) Open(readonly bool) (ConnectionInterface, error) {
	p.mu.Lock()
	p.opens++
	p.mu.Unlock()
	return &testConnection{plugin: p}, nil
}

type testConnection struct {
	Connection
	plugin *testPlugin
	closed int
}

func (c *testConnection) GetSize() (uint64, error) { return uint64(len(c.plugin.disk)), nil }
func (c *testConnection) CanWrite() (bool, error)  { return true, nil }
func (c *testConnection) Close()                   { c.closed++ }

func (c *testConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	switch offset {
	case 1 << 20:
		panic("poisoned offset")
	case 2 << 20:
		return PluginError{Errmsg: "denied", Errno: syscall.EPERM}
	case 3 << 20:
		return fmt.Errorf("reading block: %w", syscall.EINVAL)
	case 4 << 20:
		return errors.New("plain failure")
	case 5 << 20:
		return &os.PathError{Op: "read", Path: "/disk", Err: syscall.ENOSPC}
	case 6 << 20:
		return fmt.Errorf("wrapped: %w", &PluginError{Errmsg: "by pointer", Errno: syscall.EROFS})
	}
	copy(buf, c.plugin.disk[offset:])
	return nil
}

func (c *testConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	copy(c.plugin.disk[offset:], buf)
	return nil
}

func open(t *testing.T) uintptr {
	t.Helper()
	id, _, result := callOpen(false)
	if result != 0 {
		t.Fatalf("callOpen failed: %d", result)
	}
	return id
}

func TestErrno(t *testing.T) {
	log := setup(t, &testPlugin{disk: make([]byte, 8<<20)})
	id := open(t)
	defer callClose(id)
	buf := make([]byte, 512)
	for _, tc := range []struct {
		offset  uint64
		errno   syscall.Errno
		message string
	}{
		{1 << 20, syscall.EIO, "PRead: panic: poisoned offset"},
		{2 << 20, syscall.EPERM, "PRead: denied (errno 1: operation not permitted)"},
		{3 << 20, syscall.EINVAL, "PRead: reading block: invalid argument"},
		{4 << 20, syscall.EIO, "PRead: plain failure"},
		{5 << 20, syscall.ENOSPC, "PRead: read /disk: no space left on device"},
		{6 << 20, syscall.EROFS, "PRead: wrapped: by pointer (errno 30: read-only file system)"},
	} {
		if r := callPRead(id, buf, tc.offset, 0); r != -1 {
			t.Errorf("offset %d: result %d, want -1", tc.offset, r)
		}
		msg, errno := log.last(t)
		if errno != tc.errno || msg != tc.message {
			t.Errorf("offset %d: got %q errno %v, want %q errno %v",
				tc.offset, msg, errno, tc.message, tc.errno)
		}
	}
	if r := callPRead(id, buf, 0, 0); r != 0 {
		t.Errorf("a good read after failures returned %d", r)
	}
}

func TestPanicStackInDebug(t *testing.T) {
	log := setup(t, &testPlugin{disk: make([]byte, 2<<20)})
	id := open(t)
	defer callClose(id)
	callPRead(id, make([]byte, 1), 1<<20, 0)
	if len(log.debugs) != 1 || !strings.Contains(log.debugs[0], "goroutine") ||
		!strings.Contains(log.debugs[0], "(*testConnection).PRead") {
		t.Errorf("debug output has no stack of the panic: %q", log.debugs)
	}
}

func TestPluginErrorString(t *testing.T) {
	if s := (PluginError{Errmsg: "x"}).String(); s != "x" {
		t.Errorf("without errno: %q", s)
	}
	if s := (PluginError{Errmsg: "x", Errno: syscall.ENOSPC}).Error(); s != "x (errno 28: no space left on device)" {
		t.Errorf("with errno: %q", s)
	}
	var err error = PluginError{Errmsg: "x", Errno: syscall.EPERM}
	if pe, ok := err.(PluginError); !ok || pe.Errno != syscall.EPERM {
		t.Errorf("a PluginError must stay a value type that plugins can assert")
	}
}

func TestDefaults(t *testing.T) {
	log := setup(t, &Plugin{})
	if _, _, r := callOpen(true); r != -1 {
		t.Fatal("the default Open succeeded")
	}
	if msg, errno := log.last(t); !strings.Contains(msg, "does not implement Open") || errno != syscall.EOPNOTSUPP {
		t.Errorf("default Open: %q %v", msg, errno)
	}
	if r := callConfig("colour", "red"); r != -1 {
		t.Fatal("the default Config accepted a key")
	}
	if msg, _ := log.last(t); msg != "Config: unknown parameter colour" {
		t.Errorf("default Config: %q", msg)
	}
}

func TestBadHandle(t *testing.T) {
	log := setup(t, &testPlugin{})
	if r := callPRead(123456, nil, 0, 0); r != -1 {
		t.Fatal("a read on a handle never opened succeeded")
	}
	if msg, _ := log.last(t); !strings.Contains(msg, "no such connection") {
		t.Errorf("bad handle: %q", msg)
	}
}

func TestSizeTooLarge(t *testing.T) {
	log := setup(t, &hugePlugin{})
	id := open(t)
	defer callClose(id)
	if r := callGetSize(id); r != -1 {
		t.Fatalf("GetSize returned %d for a size beyond int64", r)
	}
	if _, errno := log.last(t); errno != syscall.EFBIG {
		t.Errorf("errno %v", errno)
	}
}

type hugePlugin struct{ Plugin }
type hugeConnection struct{ Connection }

func (p *hugePlugin) Open(bool) (ConnectionInterface, error) { return &hugeConnection{}, nil }
func (c *hugeConnection) GetSize() (uint64, error)           { return 1 << 63, nil }

// TestConcurrentConnections opens, uses and closes connections from
// many goroutines at once; run with -race.
func TestConcurrentConnections(t *testing.T) {
	p := &testPlugin{disk: make([]byte, 64*4096)}
	setup(t, p)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				id, _, r := callOpen(false)
				if r != 0 {
					errs <- fmt.Errorf("open failed")
					return
				}
				want := byte(g*50 + round)
				buf := make([]byte, 4096)
				for i := range buf {
					buf[i] = want
				}
				offset := uint64(g * 4096)
				if callPWrite(id, buf, offset, 0) != 0 || callPRead(id, buf, offset, 0) != 0 {
					errs <- fmt.Errorf("I/O failed")
					return
				}
				for _, b := range buf {
					if b != want {
						errs <- fmt.Errorf("goroutine %d read %d, want %d", g, b, want)
						return
					}
				}
				c := connections.get(id).ConnectionInterface.(*testConnection)
				callClose(id)
				if c.closed != 1 {
					errs <- fmt.Errorf("Close called %d times", c.closed)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := connections.count(); n != 0 {
		t.Errorf("%d connections left in the table", n)
	}
	if p.opens != 64*50 {
		t.Errorf("%d opens", p.opens)
	}
}

func TestHotPathAllocations(t *testing.T) {
	setup(t, &testPlugin{disk: make([]byte, 1<<20)})
	id := open(t)
	defer callClose(id)
	buf := make([]byte, 4096)
	allocs := testing.AllocsPerRun(1000, func() {
		callPRead(id, buf, 0, 0)
		callPWrite(id, buf, 4096, 0)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per request", allocs)
	}
}

func TestVisibleNUL(t *testing.T) {
	if s := visibleNUL("a\x00b"); s != `a\x00b` {
		t.Errorf("%q", s)
	}
	if s := visibleNUL("plain"); s != "plain" {
		t.Errorf("%q", s)
	}
}
