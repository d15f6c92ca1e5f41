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
	"unsafe"
)

// serverCommandError is why the re-executed command line could not be
// built; it matters only if nbdkit forks.
var serverCommandError error

// willReexecute is set at load: nbdkit is going to fork.
var willReexecute bool

// prepareReexec reads nbdkit's command line and hands the re-executed
// server's command line to reexec.c.
func prepareReexec() {
	raw, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		serverCommandError = err
		C.reexec_set_command(nil, 0)
		return
	}
	argv := splitCmdline(raw)
	command, err := parseServerCommand(argv, os.Getenv("POSIXLY_CORRECT") != "")
	if err != nil {
		serverCommandError = fmt.Errorf("cannot read nbdkit's command line: %w", err)
		C.reexec_set_command(nil, C.REEXEC_FORKS)
		willReexecute = true
		return
	}
	if C.reexec_socket_activated() != 0 {
		command.socketActivated = true
	}
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
	willReexecute = command.forks() && C.reexec_process() == C.PROCESS_ORIGINAL
	cargv := make([]*C.char, len(command.args)+1)
	for i, arg := range command.args {
		cargv[i] = C.CString(arg)
	}
	C.reexec_set_command((**C.char)(unsafe.Pointer(&cargv[0])), flags)
	for _, arg := range cargv[:len(command.args)] {
		C.free(unsafe.Pointer(arg))
	}
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

// checkReexec fails GetReady, before nbdkit forks, if the forked child
// would not be able to re-execute nbdkit.
func checkReexec() error {
	if willReexecute && serverCommandError != nil {
		return fmt.Errorf("nbdkit is about to fork, and a Go plugin can only serve after "+
			"a fork by re-executing nbdkit, which is not possible here (%v): "+
			"run nbdkit with -f", serverCommandError)
	}
	return nil
}

// WillReexecute reports whether this process only checks the
// configuration.  nbdkit forks before serving unless run with -f, -s or
// socket activation (and always with --run), and the Go runtime does
// not survive a fork; the forked child re-executes nbdkit, and the new
// process runs Load, Config, ConfigComplete and GetReady again before
// serving.  In the original process WillReexecute is true: report
// configuration errors, but leave one-time work (locks, goroutines,
// connections) to AfterFork, which only the serving process runs.
func WillReexecute() bool {
	return willReexecute
}

// Reexecuted reports whether this process is the server that nbdkit's
// forked child re-executed: the second run of Load, Config,
// ConfigComplete and GetReady.
func Reexecuted() bool {
	return C.reexec_process() != C.PROCESS_ORIGINAL
}
