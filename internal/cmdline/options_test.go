// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package cmdline

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestOptionTableMatchesNbdkit compares the fork support's option
// table (cmdline.go) with the installed nbdkit, so that the suite
// fails the day a new nbdkit adds an option: every option it lists
// must be in the table, with the argument kind its --help shows.
func TestOptionTableMatchesNbdkit(t *testing.T) {
	nbdkit := os.Getenv("NBDKIT") // set by make check
	if nbdkit == "" {
		var err error
		if nbdkit, err = exec.LookPath("nbdkit"); err != nil {
			t.Skip("no nbdkit installed to compare the option table with")
		}
	}
	output := func(arg string) string {
		out, err := exec.Command(nbdkit, arg).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", nbdkit, arg, err, out)
		}
		return string(out)
	}

	for _, name := range strings.Fields(output("--long-options")) {
		o, err := findLongOption(strings.TrimPrefix(name, "--"))
		if err != nil || "--"+o.long != name {
			t.Errorf("nbdkit has the option %s, which cmdline.go's table lacks", name)
		}
	}
	for _, name := range strings.Fields(output("--short-options")) {
		if len(name) != 2 || findShortOption(name[1]) == nil {
			t.Errorf("nbdkit has the option %s, which cmdline.go's table lacks", name)
		}
	}

	// The synopsis shows each option in brackets, with its argument:
	// [-D|--debug PLUGIN|FILTER|nbdkit.FLAG=N], [--filter=FILTER ...],
	// [--exit-with-parent], [--no-mc|--no-meta-contexts].
	help := output("--help")
	if i := strings.Index(help, "PLUGIN [[KEY=]VALUE"); i >= 0 {
		help = help[:i]
	}
	checked := 0
	for _, group := range regexp.MustCompile(`\[(-[^\[\]]*)\]`).FindAllStringSubmatch(help, -1) {
		words := strings.Fields(group[1])
		names, _, hasValue := strings.Cut(words[0], "=")
		takesArg := hasValue || len(words) > 1
		for _, name := range strings.Split(names, "|") {
			var o *nbdkitOption
			switch {
			case strings.HasPrefix(name, "--"):
				o, _ = findLongOption(name[2:])
			case len(name) == 2:
				o = findShortOption(name[1])
			}
			if o == nil {
				t.Errorf("nbdkit --help shows %s, which cmdline.go's table lacks", name)
				continue
			}
			if o.hasArg != takesArg {
				t.Errorf("nbdkit --help shows %s with argument %v, cmdline.go's table says %v",
					name, takesArg, o.hasArg)
			}
			checked++
		}
	}
	if checked < 40 {
		t.Errorf("only %d options found in nbdkit --help: has its synopsis changed?\n%s", checked, help)
	}
}
