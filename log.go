// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

/*
#include "wrapper.h"

// Go strings are passed without copying; "%.*s" needs no terminating NUL.
static void
go_nbdkit_debug (_GoString_ msg)
{
  nbdkit_debug ("%.*s", (int) _GoStringLen (msg), _GoStringPtr (msg));
}

static void
go_nbdkit_error (_GoString_ msg, int errnum)
{
  nbdkit_error ("%.*s", (int) _GoStringLen (msg), _GoStringPtr (msg));
  if (errnum)
    nbdkit_set_error (errnum);
}
*/
import "C"

import (
	"strings"
	"syscall"
)

// Debug writes msg to nbdkit's debug output, shown with nbdkit -v.
func Debug(msg string) {
	server.debug(msg)
}

// Error writes msg to nbdkit's error output.  Returning an error from a
// method does this for you; Error is for problems a method recovers
// from.
func Error(msg string) {
	server.error(msg, 0)
}

// SetError sets the errno that the client sees when the current
// callback fails.  Returning a PluginError does this for you.
func SetError(err syscall.Errno) {
	C.nbdkit_set_error(C.int(err))
}

// serverLog is where messages go: nbdkit itself, or a recorder in tests
// (the Go unit tests run without nbdkit).
type serverLog interface {
	debug(msg string)
	error(msg string, errno syscall.Errno)
}

var server serverLog = nbdkitLog{}

type nbdkitLog struct{}

func (nbdkitLog) debug(msg string) {
	C.go_nbdkit_debug(visibleNUL(msg))
}

func (nbdkitLog) error(msg string, errno syscall.Errno) {
	C.go_nbdkit_error(visibleNUL(msg), C.int(errno))
}

// visibleNUL writes NUL bytes as \x00: C would silently cut the message
// at the first one.
func visibleNUL(msg string) string {
	if strings.IndexByte(msg, 0) < 0 {
		return msg
	}
	return strings.ReplaceAll(msg, "\x00", `\x00`)
}
