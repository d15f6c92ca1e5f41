// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package cmdline

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		argv  string // arguments separated by |
		args  string // the re-executed command, separated by |
		forks bool
		run   bool
	}{
		{"nbdkit|-U|-|./p.so|size=1M|--run|nbdsh -u $uri",
			"nbdkit|-f|--|./p.so|size=1M", true, true},
		{"nbdkit|-U|-|--run|nbdsh -u $uri|./p.so|size=1M",
			"nbdkit|-f|--|./p.so|size=1M", true, true},
		{"nbdkit|-rU-|--run=true|./p.so",
			"nbdkit|--read-only|-f|--|./p.so", true, true},
		{"nbdkit|-rU|-|-v|--run|true|p.so|a b=c d",
			"nbdkit|--read-only|--verbose|-f|--|p.so|a b=c d", true, true},
		{"nbdkit|--unix=-|--exit-with-par|--ru|true|p.so",
			"nbdkit|--exit-with-parent|-f|--|p.so", true, true},
		{"nbdkit|-P|/tmp/pid|-p|10809|-i|127.0.0.1|-D|p.flag=1|-t4|p.so",
			"nbdkit|--pid-file=/tmp/pid|--debug=p.flag=1|--threads=4|-f|--|p.so", true, false},
		{"nbdkit|-u|nobody|-g|nogroup|-U|-|--run|x|p.so",
			"nbdkit|--group=nogroup|--user=nobody|-f|--|p.so", true, true},
		{"nbdkit|--exit-with-parent|-U|/s|p.so", "nbdkit|--exit-with-parent|-f|--|p.so", false, false},
		{"nbdkit|--ti=5|--keep-a|--no-mc|--print-url|-U|/s|p.so",
			"nbdkit|--timeout=5|--keep-alive|--no-mc|-f|--|p.so", true, false},
		{"nbdkit|-u|nobody|-g|nogroup|--log=stderr|--filter=cow|--|-weird.so|k=v",
			"nbdkit|--log=stderr|--filter=cow|-f|--|-weird.so|k=v", true, false},
		{"nbdkit|-f|-U|/tmp/s|p.so", "nbdkit|-f|--|p.so", false, false},
		{"nbdkit|-s|p.so", "nbdkit|-f|--|p.so", false, false},
		{"nbdkit|-f|--run|true|p.so", "nbdkit|-f|--|p.so", true, true},
		{"nbdkit|p.so|--dump-plugin", "nbdkit|--dump-plugin|-f|--|p.so", false, false},
		{"nbdkit|p.so|a|-v|b|--|-c|--d", "nbdkit|--verbose|-f|--|p.so|a|b|-c|--d", true, false},
		{"nbdkit|--dump-plugin|p.so", "nbdkit|--dump-plugin|-f|--|p.so", false, false},
		{"nbdkit|--exp=x|--tls=require|--vsock|p.so",
			"nbdkit|--export=x|--tls=require|-f|--|p.so", true, false},
		{"nbdkit|--no-structured-replies|--no-s|-e|",
			"nbdkit|--no-structured-replies|--no-sr|--export=|-f|--", true, false},
	} {
		s, err := Parse(strings.Split(tc.argv, "|"), false)
		if err != nil {
			t.Errorf("%s: %v", tc.argv, err)
			continue
		}
		if want := strings.Split(tc.args, "|"); !reflect.DeepEqual(s.Args, want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.argv, s.Args, want)
		}
		if s.Forks() != tc.forks || s.Run != tc.run {
			t.Errorf("%s: forks %v run %v, want %v %v", tc.argv, s.Forks(), s.Run, tc.forks, tc.run)
		}
	}
}

func TestParseFacts(t *testing.T) {
	s, err := Parse([]string{"nbdkit", "-U", "-", "--exit-with-parent", "--log", "null", "--run", "x", "p.so"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !s.TempSocket || !s.ExitWithParent || !s.Log || !s.Run {
		t.Errorf("facts: %+v", s)
	}
	s, _ = Parse([]string{"nbdkit", "-U", "/tmp/sock", "p.so"}, false)
	if s.TempSocket {
		t.Errorf("-U /tmp/sock is not a temporary socket")
	}
	// nbdkit 1.36 and later: --run alone listens on a temporary socket.
	s, _ = Parse([]string{"nbdkit", "p.so", "--run", "x"}, false)
	if !s.TempSocket {
		t.Errorf("--run without -U, -p, -i or --vsock: may be a temporary socket")
	}
	s, _ = Parse([]string{"nbdkit", "-p", "10809", "p.so", "--run", "x"}, false)
	if s.TempSocket {
		t.Errorf("--run with -p is not a temporary socket")
	}
}

func TestParsePosixlyCorrect(t *testing.T) {
	s, err := Parse([]string{"nbdkit", "-U", "/s", "p.so", "-v", "k=v"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"nbdkit", "-f", "--", "p.so", "-v", "k=v"}; !reflect.DeepEqual(s.Args, want) {
		t.Errorf("got %q, want %q", s.Args, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, argv := range []string{
		"nbdkit|--nosuch|p.so",
		"nbdkit|--no|p.so",
		"nbdkit|-X|p.so",
		"nbdkit|-U",
		"nbdkit|--unix",
		"nbdkit|--verbose=1|p.so",
	} {
		if s, err := Parse(strings.Split(argv, "|"), false); err == nil {
			t.Errorf("%s: accepted as %q", argv, s.Args)
		}
	}
}
