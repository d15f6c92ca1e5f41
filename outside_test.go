// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOutsideNbdkit: a test binary is not nbdkit, and every exported
// function works or fails cleanly there, as a plugin's own go test
// needs (before, nbdkit's functions were at address 0: SIGSEGV).
func TestOutsideNbdkit(t *testing.T) {
	if insideNbdkit {
		t.Fatal("a go test binary believes it runs in nbdkit")
	}
	noServer := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ErrNoServer) {
			t.Errorf("%s: %v, want an error wrapping ErrNoServer", name, err)
		}
	}
	_, err := ParseSize("1M")
	noServer("ParseSize", err)
	_, err = ParseBool("true")
	noServer("ParseBool", err)
	_, err = ParseInt("n", "1")
	noServer("ParseInt", err)
	_, err = ParseUint64("n", "1")
	noServer("ParseUint64", err)
	_, err = ParseProbability("p", "0.5")
	noServer("ParseProbability", err)
	_, err = ParseDelay("d", "1s")
	noServer("ParseDelay", err)
	_, err = ReadPassword("secret")
	noServer("ReadPassword", err)
	_, err = ExportName()
	noServer("ExportName", err)
	_, err = IsTLS()
	noServer("IsTLS", err)
	_, err = PeerName()
	noServer("PeerName", err)
	_, err = PeerPID()
	noServer("PeerPID", err)
	_, err = PeerUID()
	noServer("PeerUID", err)
	_, err = PeerGID()
	noServer("PeerGID", err)
	_, err = PeerSecurityContext()
	noServer("PeerSecurityContext", err)
	_, err = PeerTLSDN()
	noServer("PeerTLSDN", err)
	_, err = PeerTLSIssuerDN()
	noServer("PeerTLSIssuerDN", err)
	noServer("Disconnect", Disconnect(true))

	// These do what nbdkit would.
	wd, _ := os.Getwd()
	if p, err := AbsolutePath("a/b"); err != nil || p != filepath.Join(wd, "a/b") {
		t.Errorf("AbsolutePath: %q %v", p, err)
	}
	if _, err := AbsolutePath("a\x00b"); err == nil {
		t.Errorf("AbsolutePath accepted a NUL byte")
	}
	if p, err := Realpath("."); err != nil || p != wd {
		t.Errorf("Realpath: %q %v, want %q", p, err, wd)
	}
	if _, err := Realpath("does-not-exist"); err == nil {
		t.Errorf("Realpath of a missing path succeeded")
	}
	start := time.Now()
	if err := Nanosleep(10 * time.Millisecond); err != nil || time.Since(start) < 10*time.Millisecond {
		t.Errorf("Nanosleep: %v after %v", err, time.Since(start))
	}
	Shutdown()
	if !StdioSafe() {
		t.Errorf("StdioSafe: false outside nbdkit")
	}
	if WillReexecute() || Reexecuted() {
		t.Errorf("WillReexecute %v, Reexecuted %v outside nbdkit", WillReexecute(), Reexecuted())
	}

	// Debug and Error go to stderr, as nbdkit writes them.
	saved := os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = w
	log := newLogSink()
	savedLog := logSink
	logSink = log
	Debug("two\nlines")
	Error("an error")
	SetError(5)
	logSink = savedLog
	os.Stderr = saved
	w.Close()
	raw, _ := io.ReadAll(r)
	out := string(raw)
	want := "nbdkit: debug: two\nnbdkit: debug: lines\nnbdkit: error: an error\n"
	if out != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", out, want)
	}
	if errno := log.takeSetError(); errno != 5 {
		t.Errorf("SetError outside nbdkit: kept %v", errno)
	}
}

// TestDebugfErrorf: formatted like fmt.Sprintf, and Debugf does nothing
// when nbdkit shows no debug output (no -v).
func TestDebugfErrorf(t *testing.T) {
	log := setup(t, &testPlugin{})
	Debugf("%s=%d", "answer", 42)
	Errorf("failed %q", "x")
	debugOff.Store(true)
	Debugf("hidden %d", 1)
	Debug("hidden")
	debugOff.Store(false)
	if len(log.debugs) != 1 || log.debugs[0] != "answer=42" {
		t.Errorf("debug: %q", log.debugs)
	}
	if len(log.errors) != 1 || log.errors[0] != `failed "x"` {
		t.Errorf("errors: %q", log.errors)
	}
	if _, err := ParseSizeOf("size", "1M"); !errors.Is(err, ErrNoServer) {
		t.Errorf("ParseSizeOf outside nbdkit: %v", err)
	}
}
