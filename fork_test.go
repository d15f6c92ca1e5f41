// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"reflect"
	"testing"
)

// TestLoadedPaths: the files a -u daemon's server loads, from the
// server's command line as parseServerCommand rebuilds it: every
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
		command, err := parseServerCommand(test.argv, false)
		if err != nil {
			t.Fatalf("%q: %v", test.argv, err)
		}
		var got []string
		for _, path := range loadedPaths(command.args, command.pluginArg) {
			got = append(got, command.args[path.arg][path.offset:])
		}
		if !reflect.DeepEqual(got, test.want) {
			t.Errorf("%q: loaded paths %q, want %q", test.argv, got, test.want)
		}
	}
}
