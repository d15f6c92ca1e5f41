// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package cmdline

// Fuzzing the reading of nbdkit's command line, which the fork support
// rewrites for the re-executed server (tests/fuzz.sh runs go test
// -fuzz).

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse reads a NUL-separated command line (as in
// /proc/self/cmdline) and checks what the re-executed server gets: it
// runs in the foreground, sees none of the options the original
// process already acted on, and gets the plugin and its parameters
// unchanged, whatever the spelling; reading its command line again
// gives the same.
func FuzzParse(f *testing.F) {
	for _, argv := range []string{
		"nbdkit|-U|-|./p.so|size=1M|--run|nbdsh -u $uri",
		"nbdkit|-rU-|--run=true|./p.so",
		"nbdkit|-P|/tmp/pid|-p|10809|-i|127.0.0.1|-D|p.flag=1|-t4|p.so",
		"nbdkit|-u|nobody|--log=stderr|--filter=cow|--|-weird.so|k=v",
		"nbdkit|p.so|a|-v|b|--|-c|--d",
		"nbdkit|--exp=x|--tls=require|--vsock|p.so",
		"nbdkit|--no-structured-replies|--no-s|-e|",
		"nbdkit|-fsv|--exit-with-parent|p.so|--run|x",
		"nbdkit|--nosuch",
		"",
	} {
		f.Add([]byte(strings.ReplaceAll(argv, "|", "\x00")+"\x00"), false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, posixlyCorrect bool) {
		argv := Split(raw)
		s, err := Parse(argv, posixlyCorrect)
		if err != nil {
			return
		}
		if s.Args[0] != argv[0] {
			t.Fatalf("%q: argv[0] became %q", argv, s.Args[0])
		}
		end := indexOf(s.Args, "--", 1)
		if end < 0 || indexOf(s.Args[:end], "-f", 1) < 0 {
			t.Fatalf("%q: no -f, or no --: %q", argv, s.Args)
		}
		for _, arg := range s.Args[1:end] {
			name := strings.SplitN(strings.TrimPrefix(arg, "--"), "=", 2)[0]
			if arg == "-f" || (s.Run && (name == "user" || name == "group")) {
				continue // added for the server, not copied
			}
			o, err := findLongOption(name)
			if !strings.HasPrefix(arg, "--") || err != nil || o.long != name || o.drop {
				t.Fatalf("%q: the re-executed server gets %q", argv, arg)
			}
		}
		again, err := Parse(s.Args, false)
		if err != nil {
			t.Fatalf("%q: the re-executed command line %q: %v", argv, s.Args, err)
		}
		if !reflect.DeepEqual(again.Args[indexOf(again.Args, "--", 1):], s.Args[end:]) {
			t.Fatalf("%q: operands %q, then %q", argv, s.Args[end:], again.Args)
		}
		if again.Forks() || again.Run || !again.Foreground {
			t.Fatalf("%q: the re-executed server %q would fork", argv, s.Args)
		}
	})
}

// indexOf is the index of the first s in list from index from, or -1.
func indexOf(list []string, s string, from int) int {
	for i := from; i < len(list); i++ {
		if list[i] == s {
			return i
		}
	}
	return -1
}

// FuzzSplit: the arguments of /proc/self/cmdline, joined again,
// are what was read.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("nbdkit\x00-f\x00p.so\x00"))
	f.Add([]byte("\x00\x00"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, raw []byte) {
		argv := Split(raw)
		if len(argv) == 0 {
			t.Fatalf("%q: no argv[0]", raw)
		}
		joined := []byte(strings.Join(argv, "\x00"))
		if !bytes.Equal(joined, bytes.TrimSuffix(raw, []byte{0})) {
			t.Fatalf("%q split as %q", raw, argv)
		}
	})
}
