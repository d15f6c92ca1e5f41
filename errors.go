// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"syscall"
)

// PluginError is an error with the errno the client should see.
// Return it, or an error wrapping it, from any method:
//
//	return nbdkit.PluginError{Errmsg: "read-only region", Errno: syscall.EPERM}
type PluginError struct {
	Errmsg string        // the message, passed to nbdkit_error
	Errno  syscall.Errno // the errno sent to the client; 0 means EIO
}

// String returns the message, followed by the errno if there is one.
func (e PluginError) String() string {
	if e.Errno != 0 {
		return fmt.Sprintf("%s (errno %d: %v)", e.Errmsg, int(e.Errno), e.Errno)
	}
	return e.Errmsg
}

// Error returns the same text as [PluginError.String]: the message,
// then the errno if there is one, so that PluginError is an error.
func (e PluginError) Error() string {
	return e.String()
}

// errnoOf chooses the errno that the client sees for err: a PluginError's
// Errno, else a wrapped syscall.Errno, else EIO.
func errnoOf(err error) syscall.Errno {
	if errno := errnoIn(err); errno != 0 {
		return errno
	}
	return syscall.EIO
}

// errnoIn is the errno err carries itself, or 0.
func errnoIn(err error) syscall.Errno {
	var value PluginError
	if errors.As(err, &value) && value.Errno != 0 {
		return value.Errno
	}
	var pointer *PluginError
	if errors.As(err, &pointer) && pointer != nil && pointer.Errno != 0 {
		return pointer.Errno
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return errno
	}
	return 0
}

// notImplemented is what the default methods of Plugin and Connection
// return when a required method is missing, or when a Can* method said
// yes without the method it allows.
func notImplemented(method string) error {
	return PluginError{
		Errmsg: "the plugin does not implement " + method,
		Errno:  syscall.EOPNOTSUPP,
	}
}

// reportError hands a callback's error to nbdkit: message and errno,
// the error's own, else one the callback set with SetError (as in the
// in-tree binding), else EIO.
func reportError(method string, err error) { reportErrno(method, err) }

// reportErrno is reportError, returning the errno, for the data
// callbacks of filters, which hand it to nbdkit themselves.  A filter's
// *NextError returned as it is was logged by the layer that failed:
// only its errno is set.
func reportErrno(method string, err error) syscall.Errno {
	errno := errnoIn(err)
	if set := logSink.takeSetError(); errno == 0 {
		errno = set
	}
	if errno == 0 {
		errno = syscall.EIO
	}
	if next, ok := err.(*NextError); ok && next != nil {
		logSink.setError(errno)
		return errno
	}
	logSink.error(method+": "+err.Error(), errno)
	return errno
}

// catchPanic, deferred by every callback that returns a result, turns
// a panic into a failed callback: *result becomes failed (nbdkit's -1,
// or NULL), and nothing ever unwinds into nbdkit's C stack.
func catchPanic[Result any](method string, result *Result, failed Result) {
	if value := recover(); value != nil {
		reportPanic(method, value)
		*result = failed
	}
}

// ignorePanic is catchPanic for the callbacks that return nothing.
func ignorePanic(method string) {
	if value := recover(); value != nil {
		reportPanic(method, value)
	}
}

// reportPanic logs the panic value as an error, and the stack as debug
// output, a debug line per line of the stack (see Debug), its tabs made
// spaces so that they read the same on every nbdkit.
func reportPanic(method string, value interface{}) {
	logSink.error(fmt.Sprintf("%s: panic: %v", method, value), syscall.EIO)
	stack := strings.ReplaceAll(string(debug.Stack()), "\n\t", "\n    ")
	logSink.debug(fmt.Sprintf("%s: panic: %v\n%s", method, value, stack))
}
