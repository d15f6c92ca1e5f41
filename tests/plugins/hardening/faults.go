package main

// Injected faults: a method that fails with a chosen errno, or panics.

import (
	"fmt"
	"math/rand"
	"strings"
	"sync/atomic"
	"syscall"

	"libguestfs.org/nbdkit"
)

const permissionDenied = syscall.EPERM

// errnos are the errno names fail= understands.
var errnos = map[string]syscall.Errno{
	"EPERM": syscall.EPERM, "EIO": syscall.EIO, "ENOMEM": syscall.ENOMEM,
	"EINVAL": syscall.EINVAL, "ENOSPC": syscall.ENOSPC, "EOVERFLOW": syscall.EOVERFLOW,
	"ENOTSUP": syscall.ENOTSUP, "ESHUTDOWN": syscall.ESHUTDOWN, "EROFS": syscall.EROFS,
	"EFBIG": syscall.EFBIG, "EDQUOT": syscall.EDQUOT, "EBADF": syscall.EBADF,
	"EAGAIN": syscall.EAGAIN, "EACCES": syscall.EACCES,
}

type failure struct {
	errno   syscall.Errno
	wrapped bool // fmt.Errorf("...: %w", errno) rather than a PluginError
}

// faults are the methods that fail or panic.
type faults struct {
	failures map[string]failure
	panics   map[string]bool
}

func newFaults() *faults {
	return &faults{failures: map[string]failure{}, panics: map[string]bool{}}
}

// addFailure reads METHOD:ERRNO or METHOD:ERRNO,wrapped.
func (f *faults) addFailure(spec string) error {
	method, errno, ok := strings.Cut(spec, ":")
	if !ok || method == "" {
		return fmt.Errorf("fail: expected METHOD:ERRNO, got %q", spec)
	}
	wrapped := strings.HasSuffix(errno, ",wrapped")
	e, ok := errnos[strings.TrimSuffix(errno, ",wrapped")]
	if !ok {
		return fmt.Errorf("fail: unknown errno %q", errno)
	}
	f.failures[method] = failure{errno: e, wrapped: wrapped}
	return nil
}

// withNUL puts a NUL byte in the messages of injected failures and
// panics (nul=true), which C would cut short.
var withNUL bool

func injected(what, method string) string {
	if withNUL {
		return "hardening:\x00 injected " + what + " in " + method
	}
	return "hardening: injected " + what + " in " + method
}

// check panics or returns the error if method is to fail.
func (f *faults) check(method string) error {
	f.mustNotFail(method)
	fail, ok := f.failures[method]
	switch {
	case !ok:
		return nil
	case fail.wrapped:
		return fmt.Errorf("%s: %w", injected("failure", method), fail.errno)
	}
	return nbdkit.PluginError{Errmsg: injected("failure", method), Errno: fail.errno}
}

// mustNotFail is check for methods that cannot return an error.
func (f *faults) mustNotFail(method string) {
	if f.panics[method] {
		panic(injected("panic", method))
	}
}

// Random failures (random-fail=PERCENT): each data request fails with
// this probability, with an errno for each method (among the few that
// the NBD protocol carries), so that a client can tell that the errno
// it got is its own request's.
var (
	randomFailPercent float64
	randomFailures    int64
	randomErrnos      = map[string]syscall.Errno{
		"PRead": syscall.ENOMEM, "PWrite": syscall.ENOSPC, "Zero": syscall.EPERM,
		"Trim": syscall.EINVAL, "Cache": syscall.ESHUTDOWN, "Extents": syscall.EIO,
		"Flush": syscall.EPERM,
	}
)

func randomFailure(method string) error {
	errno, ok := randomErrnos[method]
	if !ok || randomFailPercent == 0 || rand.Float64()*100 >= randomFailPercent {
		return nil
	}
	atomic.AddInt64(&randomFailures, 1)
	return nbdkit.PluginError{Errmsg: "hardening: random failure in " + method, Errno: errno}
}
