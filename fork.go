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
	"fmt"
	"os"
	"unsafe"

	"libguestfs.org/nbdkit/internal/cmdline"
)

// willReexecute is set at load: nbdkit is going to fork.
var willReexecute bool

// prepareReexec reads nbdkit's command line and hands the re-executed
// server's command line to reexec.c.
func prepareReexec() {
	var command *cmdline.Command
	raw, err := os.ReadFile("/proc/self/cmdline")
	if err == nil {
		command, err = cmdline.Parse(cmdline.Split(raw), os.Getenv("POSIXLY_CORRECT") != "")
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
	command.SocketActivated = C.reexec_socket_activated() != 0
	debugOff.Store(!command.Verbose)
	var flags C.int
	if command.Forks() {
		flags |= C.REEXEC_FORKS
	}
	if command.Run {
		flags |= C.REEXEC_RUN
	}
	if command.TempSocket {
		flags |= C.REEXEC_TEMP_SOCKET
	}
	if command.Verbose {
		flags |= C.REEXEC_VERBOSE
	}
	if command.Log {
		flags |= C.REEXEC_LOG_SET
	}
	willReexecute = command.Forks() && C.reexec_process() == C.PROCESS_ORIGINAL
	var user *C.char
	var paths []C.struct_reexec_path
	if command.Forks() && !command.Run && (command.User != "" || command.Group != "") {
		// A daemon changes user before it forks: the server starts
		// as that user, and may need the plugin and the filters
		// opened for it.
		if command.User != "" {
			user = C.CString(command.User)
			defer C.free(unsafe.Pointer(user))
		}
		for _, path := range command.LoadedPaths() {
			paths = append(paths, C.struct_reexec_path{arg: C.int(path.Arg), offset: C.int(path.Offset)})
		}
	}
	var cpaths *C.struct_reexec_path
	if len(paths) > 0 {
		cpaths = &paths[0]
	}
	cargv := make([]*C.char, len(command.Args)+1)
	for i, arg := range command.Args {
		cargv[i] = C.CString(arg)
	}
	C.reexec_set_command((**C.char)(unsafe.Pointer(&cargv[0])), flags, user, cpaths, C.int(len(paths)), nil)
	for _, arg := range cargv[:len(command.Args)] {
		C.free(unsafe.Pointer(arg))
	}
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
