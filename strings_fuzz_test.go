// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Fuzzing the strings that go from Go to C (tests/fuzz.sh runs go test
// -fuzz): C must never see a NUL byte that would silently cut a
// string short.

import (
	"errors"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

var stringSeeds = []string{"", "plain", "a\x00b", "\x00", "\x00\x00x\x00",
	`already \x00 escaped`, "%s %n %p", "\xff\xfe", strings.Repeat("x", 4096),
	strings.Repeat("y", 4097)}

// FuzzVisibleNUL: what goes to nbdkit's log has no NUL byte, and is
// the message with each NUL written as \x00.
func FuzzVisibleNUL(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got := visibleNUL(msg)
		nuls := strings.Count(msg, "\x00")
		switch {
		case strings.IndexByte(got, 0) >= 0:
			t.Fatalf("visibleNUL(%q) = %q has a NUL byte", msg, got)
		case nuls == 0 && got != msg:
			t.Fatalf("visibleNUL(%q) = %q changed a message without NUL", msg, got)
		case len(got) != len(msg)+3*nuls:
			t.Fatalf("visibleNUL(%q) = %q: length %d", msg, got, len(got))
		case strings.ReplaceAll(got, `\x00`, "") != strings.ReplaceAll(strings.ReplaceAll(msg, `\x00`, ""), "\x00", ""):
			t.Fatalf("visibleNUL(%q) = %q lost text", msg, got)
		}
	})
}

// FuzzDebugText: what goes to nbdkit_debug has no NUL byte, and reads
// the same whether nbdkit quotes it (1.36 and later) or not: printable
// ASCII only, each byte of the line accounted for.
func FuzzDebugText(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Add("tab\there\\ and \x1b\r\n")
	f.Fuzz(func(t *testing.T, line string) {
		unquoted, quoted := printed(line, false), printed(line, true)
		if unquoted != quoted {
			t.Fatalf("Debug(%q) prints %q on nbdkit 1.32, %q on 1.36", line, unquoted, quoted)
		}
		for i := 0; i < len(unquoted); i++ {
			if c := unquoted[i]; c < ' ' || c > '~' {
				t.Fatalf("Debug(%q) prints %q, with byte %#x", line, unquoted, c)
			}
		}
		plain := 0
		for i := 0; i < len(line); i++ {
			if !needsQuoting(line[i]) {
				plain++
			}
		}
		if len(unquoted) < len(line) || (plain == len(line) && unquoted != line) {
			t.Fatalf("Debug(%q) prints %q", line, unquoted)
		}
	})
}

// FuzzCheckExportString: a name or description is refused exactly when
// it has a NUL byte or more than 4096 bytes, with EINVAL.
func FuzzCheckExportString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := checkExportString("export name", s)
		bad := strings.IndexByte(s, 0) >= 0 || len(s) > maxExportName
		if (err != nil) != bad {
			t.Fatalf("checkExportString(%q): %v", s, err)
		}
		var pe PluginError
		if err != nil && (!errors.As(err, &pe) || pe.Errno != syscall.EINVAL) {
			t.Fatalf("checkExportString(%q): %#v, want a PluginError with EINVAL", s, err)
		}
	})
}

// FuzzStaticCString: the static strings (name, version, ...) are
// refused with a NUL byte, else copied to C whole.  (The copies are
// never freed, as in the binding: inputs are kept short.)
func FuzzStaticCString(f *testing.F) {
	for _, s := range stringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 256 {
			s = s[:256]
		}
		p, err := staticCString("Version", s)
		switch {
		case strings.IndexByte(s, 0) >= 0:
			if err == nil || p != nil {
				t.Fatalf("staticCString(%q) accepted a NUL byte", s)
			}
		case err != nil:
			t.Fatalf("staticCString(%q): %v", s, err)
		case s == "":
			if p != nil {
				t.Fatalf("staticCString(\"\") is not NULL")
			}
		default:
			c := unsafe.Slice((*byte)(unsafe.Pointer(p)), len(s)+1)
			if string(c[:len(s)]) != s || c[len(s)] != 0 {
				t.Fatalf("staticCString(%q) = %q", s, c)
			}
		}
	})
}
