// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package cmdline

import "strings"

// LoadedPath is an argument of Command.Args that names a file nbdkit
// loads: the path is Args[Arg][Offset:].
type LoadedPath struct{ Arg, Offset int }

// filterOption is how Parse spells every --filter option in Args.
const filterOption = "--filter="

// LoadedPaths finds the files nbdkit loads by path, which a server
// started as another user (-u, -g) may not be able to open: each
// --filter=PATH in order, and the plugin.  A name without a slash
// (memory, --filter=cow) is one of nbdkit's own, which anyone can
// read.
func (s *Command) LoadedPaths() []LoadedPath {
	var paths []LoadedPath
	for i, arg := range s.Args {
		if arg == "--" { // Parse puts every option before it
			break
		}
		if i > 0 && strings.HasPrefix(arg, filterOption) && strings.Contains(arg[len(filterOption):], "/") {
			paths = append(paths, LoadedPath{i, len(filterOption)})
		}
	}
	if s.PluginArg >= 0 && strings.Contains(s.Args[s.PluginArg], "/") {
		paths = append(paths, LoadedPath{s.PluginArg, 0})
	}
	return paths
}
