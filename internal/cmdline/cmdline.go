// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Package cmdline reads nbdkit's command line and rewrites it for the
// re-executed server of the binding's fork support (fork.go in
// libguestfs.org/nbdkit).  This is plain Go, run in the original
// process where the Go runtime works, so that the forked child only
// has to exec; it needs no cgo, so that it is tested and fuzzed
// without it.
package cmdline

import (
	"bytes"
	"fmt"
	"strings"
)

// nbdkitOption is one of nbdkit's command line options.
type nbdkitOption struct {
	long   string
	short  byte // 0 if none
	hasArg bool
	// drop: the re-executed server must not see it, because the
	// original process already did what it asks (listening, forking,
	// --run, printing the URI).  -u and -g are handled apart: see
	// Parse.
	drop bool
	// aliasOf names the option this one is another name for, when
	// neither has a short letter.
	aliasOf string
}

// nbdkitOptions are nbdkit's options (nbdkit --long-options and
// --short-options) from 1.32 to 1.44.  Aliases are separate entries
// with the same short letter or canonical name.  options_test.go
// compares the table with the installed nbdkit.
var nbdkitOptions = []nbdkitOption{
	{long: "ipv4-only", short: '4'},
	{long: "ipv6-only", short: '6'},
	{long: "debug", short: 'D', hasArg: true},
	{long: "dump-config"},
	{long: "dump-plugin"},
	{long: "exit-with-parent"},
	{long: "export", short: 'e', hasArg: true},
	{long: "export-name", short: 'e', hasArg: true},
	{long: "exportname", short: 'e', hasArg: true},
	{long: "filter", hasArg: true},
	{long: "foreground", short: 'f', drop: true},
	{long: "no-fork", short: 'f', drop: true},
	{long: "group", short: 'g', hasArg: true, drop: true},
	{long: "help"},
	{long: "ip-addr", short: 'i', hasArg: true, drop: true},
	{long: "ipaddr", short: 'i', hasArg: true, drop: true},
	{long: "keepalive"},                        // 1.42
	{long: "keep-alive", aliasOf: "keepalive"}, // 1.42
	{long: "log", hasArg: true},
	{long: "long-options"},
	{long: "mask-handshake", hasArg: true},
	{long: "new-style", short: 'n'},
	{long: "newstyle", short: 'n'},
	{long: "no-mc", aliasOf: "no-meta-contexts"}, // 1.38
	{long: "no-meta-contexts"},                   // 1.38
	{long: "no-sr"},
	{long: "no-structured-replies", aliasOf: "no-sr"},
	{long: "old-style", short: 'o'},
	{long: "oldstyle", short: 'o'},
	{long: "pid-file", short: 'P', hasArg: true},
	{long: "pidfile", short: 'P', hasArg: true},
	{long: "port", short: 'p', hasArg: true, drop: true},
	{long: "print-uri", drop: true},                       // 1.40
	{long: "print-url", aliasOf: "print-uri", drop: true}, // 1.40
	{long: "read-only", short: 'r'},
	{long: "readonly", short: 'r'},
	{long: "run", hasArg: true, drop: true},
	{long: "selinux-label", hasArg: true},
	{long: "short-options"},
	{long: "show-uri", aliasOf: "print-uri", drop: true}, // 1.40
	{long: "show-url", aliasOf: "print-uri", drop: true}, // 1.40
	{long: "single", short: 's', drop: true},
	{long: "stdin", short: 's', drop: true},
	{long: "swap"},
	{long: "threads", short: 't', hasArg: true},
	{long: "timeout", hasArg: true},                      // 1.42
	{long: "time-out", aliasOf: "timeout", hasArg: true}, // 1.42
	{long: "tls", hasArg: true},
	{long: "tls-certificates", hasArg: true},
	{long: "tls-psk", hasArg: true},
	{long: "tls-verify-peer"},
	{long: "unix", short: 'U', hasArg: true, drop: true},
	{long: "user", short: 'u', hasArg: true, drop: true},
	{long: "verbose", short: 'v'},
	{long: "version", short: 'V'},
	{long: "vsock", drop: true},
}

// hiddenOptions lets the tests play an nbdkit newer than the table:
// the long options it lists, separated by commas, are unknown.  Set it
// with go build -ldflags
// "-X libguestfs.org/nbdkit/internal/cmdline.hiddenOptions=...".
var hiddenOptions string

// Command is what the original command line says about serving.
type Command struct {
	// Args is the command line of the re-executed server: the
	// options that still apply, -f, and the plugin with its arguments.
	Args []string
	// PluginArg is the index in Args of the plugin (a path or a
	// name), or -1.
	PluginArg int
	// Facts about the original command line.
	Run            bool   // --run: captive mode
	Foreground     bool   // -f
	Single         bool   // -s
	ExitWithParent bool   // --exit-with-parent
	Log            bool   // --log=...
	Verbose        bool   // -v
	Listens        bool   // -U, -p, -i or --vsock
	UnixSocket     string // -U's value
	User, Group    string // -u, -g
	TempSocket     bool   // nbdkit makes a temporary socket (-U -)
	Serves         bool   // not --help, --version, --dump-plugin, ...
	// Not on the command line (the caller sets it): started by
	// socket activation.
	SocketActivated bool
}

// Forks reports whether nbdkit forks before serving: in captive mode
// (--run, even with -f) and in daemon mode (no -f, -s,
// --exit-with-parent, which implies -f, or socket activation).
func (s *Command) Forks() bool {
	return s.Serves && !s.SocketActivated &&
		(s.Run || !(s.Foreground || s.Single || s.ExitWithParent))
}

// Parse reads nbdkit's argv (argv[0] included) the way nbdkit's
// getopt_long does, and builds the re-executed server's command line.
// As with GNU getopt, options may come after the plugin (nbdkit -U -
// memory 1G --run CMD) unless posixlyCorrect (POSIXLY_CORRECT is set),
// and "--" ends the options.
func Parse(argv []string, posixlyCorrect bool) (*Command, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty command line")
	}
	s := &Command{Args: []string{argv[0]}, Serves: true}
	keep := func(o *nbdkitOption, value string) {
		s.note(o, value)
		if o.drop {
			return
		}
		if o.hasArg {
			s.Args = append(s.Args, "--"+o.long+"="+value)
		} else {
			s.Args = append(s.Args, "--"+o.long)
		}
	}
	var operands []string // the plugin and its arguments, in order
	for i := 1; i < len(argv); i++ {
		arg := argv[i]
		if arg == "--" {
			operands = append(operands, argv[i+1:]...)
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			if posixlyCorrect {
				operands = append(operands, argv[i:]...)
				break
			}
			operands = append(operands, arg)
			continue
		}
		if strings.HasPrefix(arg, "--") {
			name, value, hasValue := strings.Cut(arg[2:], "=")
			o, err := findLongOption(name)
			if err != nil {
				return nil, err
			}
			switch {
			case o.hasArg && !hasValue:
				if i+1 >= len(argv) {
					return nil, fmt.Errorf("option --%s needs an argument", o.long)
				}
				i++
				value = argv[i]
			case !o.hasArg && hasValue:
				return nil, fmt.Errorf("option --%s takes no argument", o.long)
			}
			keep(o, value)
			continue
		}
		// A cluster of short options: -rU- or -rU -, -fv.
		for j := 1; j < len(arg); j++ {
			o := findShortOption(arg[j])
			if o == nil {
				return nil, fmt.Errorf("unknown option -%c", arg[j])
			}
			if !o.hasArg {
				keep(o, "")
				continue
			}
			value := arg[j+1:]
			if value == "" {
				if i+1 >= len(argv) {
					return nil, fmt.Errorf("option -%c needs an argument", o.short)
				}
				i++
				value = argv[i]
			}
			keep(o, value)
			break
		}
	}
	// With --run nbdkit forks before it changes user, and the
	// re-executed server starts as root and changes user itself, so
	// that it can read what the original could.  A daemon has already
	// changed user when it forks.
	if s.Run && s.Group != "" {
		s.Args = append(s.Args, "--group="+s.Group)
	}
	if s.Run && s.User != "" {
		s.Args = append(s.Args, "--user="+s.User)
	}
	// nbdkit 1.36 and later listen on a temporary socket for --run
	// when no other is given (1.32 on TCP port 10809; reexec.c only
	// removes a Unix socket).
	s.TempSocket = s.UnixSocket == "-" || (s.Run && !s.Listens)
	// The daemon's errors go to the terminal until it serves, then
	// to syslog (reexec.c), as for a C plugin's daemon.
	s.Args = append(s.Args, "-f", "--")
	s.PluginArg = -1
	if len(operands) > 0 {
		s.PluginArg = len(s.Args)
	}
	s.Args = append(s.Args, operands...)
	return s, nil
}

// note records what an option says about how nbdkit serves.
func (s *Command) note(o *nbdkitOption, value string) {
	switch o.long {
	case "run":
		s.Run = true
	case "foreground", "no-fork":
		s.Foreground = true
	case "single", "stdin":
		s.Single = true
	case "exit-with-parent":
		s.ExitWithParent = true
	case "log":
		s.Log = true
	case "verbose":
		s.Verbose = true
	case "unix":
		s.UnixSocket = value
		s.Listens = true
	case "port", "ip-addr", "ipaddr", "vsock":
		s.Listens = true
	case "user":
		s.User = value
	case "group":
		s.Group = value
	case "help", "version", "dump-config", "dump-plugin", "long-options", "short-options":
		s.Serves = false
	}
}

// findLongOption matches a long option as getopt_long does: an exact
// name, else a unique prefix (prefixes of aliases of one option are not
// ambiguous).
func findLongOption(name string) (*nbdkitOption, error) {
	var found *nbdkitOption
	for i := range nbdkitOptions {
		o := &nbdkitOptions[i]
		if hiddenOptions != "" && strings.Contains(","+hiddenOptions+",", ","+o.long+",") {
			continue
		}
		if o.long == name {
			return o, nil
		}
		if name != "" && strings.HasPrefix(o.long, name) {
			if found != nil && !sameOption(found, o) {
				return nil, fmt.Errorf("option --%s is ambiguous", name)
			}
			if found == nil {
				found = o
			}
		}
	}
	if found == nil {
		return nil, fmt.Errorf("unknown option --%s", name)
	}
	return found, nil
}

// sameOption reports whether two entries are names of one option.
func sameOption(a, b *nbdkitOption) bool {
	identity := func(o *nbdkitOption) string {
		switch {
		case o.short != 0:
			return string(o.short)
		case o.aliasOf != "":
			return o.aliasOf
		}
		return o.long
	}
	return identity(a) == identity(b)
}

// findShortOption returns the first entry with the short letter c, or
// nil.
func findShortOption(c byte) *nbdkitOption {
	for i := range nbdkitOptions {
		if nbdkitOptions[i].short == c {
			return &nbdkitOptions[i]
		}
	}
	return nil
}

// Split splits /proc/self/cmdline's NUL-terminated arguments.
func Split(raw []byte) []string {
	raw = bytes.TrimSuffix(raw, []byte{0})
	var argv []string
	for _, arg := range bytes.Split(raw, []byte{0}) {
		argv = append(argv, string(arg))
	}
	return argv
}
