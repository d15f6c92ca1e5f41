// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Fuzzing the choice of errno (tests/fuzz.sh runs go test -fuzz).

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

// FuzzErrnoOf builds an error of some kind around an errno, wraps it
// some times, and checks the errno the client would see: never 0, and
// the one the rules in errors.go give.
func FuzzErrnoOf(f *testing.F) {
	f.Add(uint16(1), "denied", uint8(0), uint8(0))
	f.Add(uint16(28), "full", uint8(4), uint8(3))
	f.Add(uint16(0), "", uint8(1), uint8(1))
	f.Add(uint16(22), "bad\x00value %s %n", uint8(2), uint8(9))
	f.Add(uint16(5), "plain", uint8(3), uint8(0))
	f.Fuzz(func(t *testing.T, number uint16, msg string, kind, depth uint8) {
		errno := syscall.Errno(number)
		var err error
		want := errno
		switch kind % 6 {
		case 0:
			err = PluginError{Errmsg: msg, Errno: errno}
		case 1:
			err = &PluginError{Errmsg: msg, Errno: errno}
		case 2:
			err = errno
		case 3:
			err, want = errors.New(msg), syscall.EIO
		case 4:
			err = &os.PathError{Op: "read", Path: msg, Err: errno}
		case 5:
			// A nil *PluginError, wrapped: no errno in it.
			err, want = fmt.Errorf("%s: %w", msg, (*PluginError)(nil)), syscall.EIO
		}
		if want == 0 {
			want = syscall.EIO
		}
		for i := 0; i < int(depth%8); i++ {
			err = fmt.Errorf("layer %d (%s): %w", i, msg, err)
		}
		if got := errnoOf(err); got != want {
			t.Fatalf("errnoOf(%#v) = %d, want %d", err, got, want)
		}
	})
}
