// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package cmdline

import (
	"reflect"
	"testing"
)

// TestLoadedPaths: the files a -u daemon's server loads, from the
// server's command line as Parse rebuilds it: every
// --filter=PATH in order (also after the plugin, where getopt finds
// options too), and the plugin, but not nbdkit's own by name, nor
// what follows "--".
func TestLoadedPaths(t *testing.T) {
	for _, test := range []struct {
		argv []string
		want []string
	}{
		{[]string{"nbdkit", "-u", "nobody", "--filter=/r/f2.so", "--filter", "cow",
			"--filter", "./f1.so", "/r/p.so", "file=/r/disk", "--filter=/x"},
			[]string{"/r/f2.so", "./f1.so", "/x", "/r/p.so"}},
		{[]string{"nbdkit", "-u", "nobody", "--filter=exitwhen", "memory", "1M"}, nil},
		{[]string{"nbdkit", "-u", "nobody", "--filter=/r/f.so", "--", "--filter=/r/p.so"},
			[]string{"/r/f.so", "--filter=/r/p.so"}},
		{[]string{"nbdkit", "--version"}, nil},
	} {
		command, err := Parse(test.argv, false)
		if err != nil {
			t.Fatalf("%q: %v", test.argv, err)
		}
		var got []string
		for _, path := range command.LoadedPaths() {
			got = append(got, command.Args[path.Arg][path.Offset:])
		}
		if !reflect.DeepEqual(got, test.want) {
			t.Errorf("%q: loaded paths %q, want %q", test.argv, got, test.want)
		}
	}
}
