// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Go's half of surviving nbdkit's fork (the C half, and why, is in
// reexec.c): at load, build the command line that the forked child
// re-executes, while the Go runtime still works.

/*
#include <stdlib.h>
#include "reexec.h"
*/
import "C"

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"unsafe"
)

// willReexecute is set at load: nbdkit is going to fork.
var willReexecute bool

// prepareReexec reads nbdkit's command line and hands the re-executed
// server's command line to reexec.c.
func prepareReexec() {
	var command *serverCommand
	raw, err := os.ReadFile("/proc/self/cmdline")
	if err == nil {
		command, err = parseServerCommand(splitCmdline(raw), os.Getenv("POSIXLY_CORRECT") != "")
	}
	if err != nil {
		// Whether nbdkit forks is not known: if it does, reexec.c
		// fails at the fork, before it, with this message.
		message := C.CString(fmt.Sprintf("a Go plugin or filter serves after nbdkit's fork "+
			"by re-executing nbdkit with the same options, and cannot read "+
			"nbdkit's command line: %v", err))
		C.reexec_set_command(nil, 0, nil, nil, 0, message)
		C.free(unsafe.Pointer(message))
		return
	}
	command.socketActivated = C.reexec_socket_activated() != 0
	debugOff.Store(!command.verbose)
	var flags C.int
	if command.forks() {
		flags |= C.REEXEC_FORKS
	}
	if command.run {
		flags |= C.REEXEC_RUN
	}
	if command.tempSocket {
		flags |= C.REEXEC_TEMP_SOCKET
	}
	if command.verbose {
		flags |= C.REEXEC_VERBOSE
	}
	if command.log {
		flags |= C.REEXEC_LOG_SET
	}
	willReexecute = command.forks() && C.reexec_process() == C.PROCESS_ORIGINAL
	var user *C.char
	var paths []C.struct_reexec_path
	if command.forks() && !command.run && (command.user != "" || command.group != "") {
		// A daemon changes user before it forks: the server starts
		// as that user, and may need the plugin and the filters
		// opened for it.
		if command.user != "" {
			user = C.CString(command.user)
			defer C.free(unsafe.Pointer(user))
		}
		for _, path := range loadedPaths(command.args, command.pluginArg) {
			paths = append(paths, C.struct_reexec_path{arg: C.int(path.arg), offset: C.int(path.offset)})
		}
	}
	var cpaths *C.struct_reexec_path
	if len(paths) > 0 {
		cpaths = &paths[0]
	}
	cargv := make([]*C.char, len(command.args)+1)
	for i, arg := range command.args {
		cargv[i] = C.CString(arg)
	}
	C.reexec_set_command((**C.char)(unsafe.Pointer(&cargv[0])), flags, user, cpaths, C.int(len(paths)), nil)
	for _, arg := range cargv[:len(command.args)] {
		C.free(unsafe.Pointer(arg))
	}
}

// loadedPath is an argument of the server's command line that names a
// file nbdkit loads: the path is args[arg][offset:].
type loadedPath struct{ arg, offset int }

// filterOption is how the server's command line (parseServerCommand)
// spells every --filter option.
const filterOption = "--filter="

// loadedPaths finds the files nbdkit loads by path in the server's
// command line args: each --filter=PATH among the options, before
// "--", and the plugin at pluginArg (-1 if none).  A name without a
// slash (memory, --filter=cow) is one of nbdkit's own, which anyone
// can read.
func loadedPaths(args []string, pluginArg int) []loadedPath {
	var paths []loadedPath
	for i, arg := range args {
		if arg == "--" {
			break
		}
		if i > 0 && strings.HasPrefix(arg, filterOption) && strings.Contains(arg[len(filterOption):], "/") {
			paths = append(paths, loadedPath{i, len(filterOption)})
		}
	}
	if pluginArg >= 0 && strings.Contains(args[pluginArg], "/") {
		paths = append(paths, loadedPath{pluginArg, 0})
	}
	return paths
}

// splitCmdline splits /proc/self/cmdline's NUL-terminated arguments.
func splitCmdline(raw []byte) []string {
	raw = bytes.TrimSuffix(raw, []byte{0})
	var argv []string
	for _, arg := range bytes.Split(raw, []byte{0}) {
		argv = append(argv, string(arg))
	}
	return argv
}

// WillReexecute reports whether this process only checks the
// configuration.  nbdkit forks before serving unless run with -f, -s,
// --exit-with-parent or socket activation (and always with --run), and
// the Go runtime does not survive a fork; the forked child re-executes
// nbdkit, and the new process runs Load, Config, ConfigComplete,
// GetReady and AfterFork before serving.  In the original process
// WillReexecute is true: it runs Load, Config and ConfigComplete, to
// report configuration errors on the terminal, but not GetReady, so
// one-time set-up there (ports, locks, connections) happens once, in
// the process that serves.
func WillReexecute() bool {
	return willReexecute
}

// Reexecuted reports whether this process is the server that nbdkit's
// forked child re-executed: the second run of Load, Config and
// ConfigComplete, and the only run of GetReady and AfterFork.
func Reexecuted() bool {
	return C.reexec_process() != C.PROCESS_ORIGINAL
}
