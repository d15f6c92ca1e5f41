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

// What SetError set on this thread, for the error of the callback
// that fails next (see reportError): nbdkit's own is write-only.
static __thread int set_errno;

static void
go_nbdkit_set_error (int errnum)
{
  set_errno = errnum;
  nbdkit_set_error (errnum);
}

static int
go_take_set_error (void)
{
  int errnum = set_errno;

  set_errno = 0;
  return errnum;
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
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Debug writes msg to nbdkit's debug output, shown with nbdkit -v.
//
// Each line of msg is a debug line of its own, so that text of several
// lines (a stack, a table) reads line by line.  The text is quoted the
// way nbdkit 1.36 and later quote every debug line, and the binding
// does the same on older nbdkit, so the output is the same on every
// version: printable ASCII is written as is, a backslash as \\, a tab
// as \t (and \a, \b, \f, \r, \v likewise), any other byte as \xHH
// (UTF-8 too, byte by byte).  A NUL byte, which a C string cannot
// hold, is written as <NUL>.
func Debug(msg string) {
	if debugOff.Load() {
		return
	}
	logSink.debug(msg)
}

// Debugf is Debug with fmt.Sprintf's formatting.  Without nbdkit -v it
// returns at once, without formatting: a debug line costs nothing
// then (but what Go does to pass args).
func Debugf(format string, args ...interface{}) {
	if debugOff.Load() {
		return
	}
	logSink.debug(fmt.Sprintf(format, args...))
}

// Errorf is Error with fmt.Sprintf's formatting.
func Errorf(format string, args ...interface{}) {
	logSink.error(fmt.Sprintf(format, args...), 0)
}

// debugOff is set at load when nbdkit runs without -v, which shows no
// debug output: Debug and Debugf then skip the work.
var debugOff atomic.Bool

// Error writes msg to nbdkit's error output.  Returning an error from a
// method does this for you; Error is for problems a method recovers
// from.  nbdkit writes errors as they are, on every version; a NUL
// byte, which a C string cannot hold, is written as \x00.
func Error(msg string) {
	logSink.error(msg, 0)
}

// SetError sets the errno that the client sees when the current
// callback fails.  Returning a PluginError does this for you.  A
// callback that calls SetError and then returns an error without an
// errno of its own (errors.New, fmt.Errorf without %w of one) fails
// with SetError's errno instead of EIO; an errno the error carries
// (PluginError.Errno, a wrapped syscall.Errno) wins over it.  Call it
// from the callback's own goroutine: like nbdkit_set_error, it is per
// thread.
func SetError(err syscall.Errno) {
	logSink.setError(err)
}

// messageSink is where messages go: nbdkit itself, stderr outside
// nbdkit, or a recorder in tests (the Go unit tests run without nbdkit).
type messageSink interface {
	debug(msg string)
	error(msg string, errno syscall.Errno)
	// setError and takeSetError keep SetError's errno for this
	// thread's next failing callback.
	setError(errno syscall.Errno)
	takeSetError() syscall.Errno
}

// logSink receives every debug and error message of the binding.
var logSink messageSink = newLogSink()

// newLogSink returns nbdkit's log, or stderr outside nbdkit (see
// ErrNoServer), where nbdkit_debug and nbdkit_error are not there.
func newLogSink() messageSink {
	if insideNbdkit {
		return nbdkitLog{}
	}
	return &stderrLog{}
}

// stderrLog writes what nbdkit would log to stderr, as nbdkit writes
// it: "nbdkit: debug: ..." and "nbdkit: error: ...".
type stderrLog struct {
	mu sync.Mutex
	errnoSlot
}

// errnoSlot keeps SetError's errno for a log that nbdkit's per-thread
// error does not back (outside nbdkit, and in the unit tests).
type errnoSlot struct {
	mu    sync.Mutex
	errno syscall.Errno
}

func (s *errnoSlot) setError(errno syscall.Errno) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errno = errno
}

func (s *errnoSlot) takeSetError() syscall.Errno {
	s.mu.Lock()
	defer s.mu.Unlock()
	errno := s.errno
	s.errno = 0
	return errno
}

func (l *stderrLog) debug(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		line, rest, more := nextLine(msg)
		fmt.Fprintf(os.Stderr, "nbdkit: debug: %s\n", debugText(line, false))
		if !more {
			return
		}
		msg = rest
	}
}

func (l *stderrLog) error(msg string, errno syscall.Errno) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(os.Stderr, "nbdkit: error: %s\n", visibleNUL(msg))
}

type nbdkitLog struct{}

func (nbdkitLog) debug(msg string) {
	quotes := nbdkitQuotesDebug()
	for {
		line, rest, more := nextLine(msg)
		C.go_nbdkit_debug(debugText(line, quotes))
		if !more {
			return
		}
		msg = rest
	}
}

func (nbdkitLog) error(msg string, errno syscall.Errno) {
	C.go_nbdkit_error(visibleNUL(msg), C.int(errno))
}

func (nbdkitLog) setError(errno syscall.Errno) { C.go_nbdkit_set_error(C.int(errno)) }

func (nbdkitLog) takeSetError() syscall.Errno { return syscall.Errno(C.go_take_set_error()) }

// nbdkit 1.36 and later quote each debug line as a C string.  They are
// the versions that have nbdkit_peer_security_context, new in 1.36.
var (
	quotesOnce  sync.Once
	quotesDebug bool
)

func nbdkitQuotesDebug() bool {
	quotesOnce.Do(func() { quotesDebug = nbdkitPeerSecurityContext.lookup() != nil })
	return quotesDebug
}

// nextLine splits msg at its first line end ("\n" or "\r\n").  more is
// false for the last line; a line end at the very end of msg does not
// start another, empty, line.
func nextLine(msg string) (line, rest string, more bool) {
	i := strings.IndexByte(msg, '\n')
	if i < 0 {
		return msg, "", false
	}
	line, rest = strings.TrimSuffix(msg[:i], "\r"), msg[i+1:]
	return line, rest, rest != ""
}

// nulText stands for a NUL byte in debug output.  Written as \x00, it
// would read \\x00 on nbdkit 1.36 and later, which double every
// backslash.
const nulText = "<NUL>"

// debugText is what the binding passes to nbdkit_debug for one line,
// so that nbdkit prints the line quoted: as it is if nbdkit quotes
// (only NUL bytes need a stand-in), else quoted here exactly as
// nbdkit 1.36's c_string_quote would.
func debugText(line string, nbdkitQuotes bool) string {
	if nbdkitQuotes {
		if strings.IndexByte(line, 0) < 0 {
			return line
		}
		return strings.ReplaceAll(line, "\x00", nulText)
	}
	i := 0
	for i < len(line) && !needsQuoting(line[i]) {
		i++
	}
	if i == len(line) {
		return line
	}
	var b strings.Builder
	b.Grow(len(line) + 16)
	b.WriteString(line[:i])
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case !needsQuoting(c):
			b.WriteByte(c)
		case c == 0:
			b.WriteString(nulText)
		case c == '\\':
			b.WriteString(`\\`)
		case c >= '\a' && c <= '\r':
			b.WriteByte('\\')
			b.WriteByte("abtnvfr"[c-'\a'])
		default:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// needsQuoting: all but printable ASCII, and the backslash.
func needsQuoting(c byte) bool {
	return c < ' ' || c > '~' || c == '\\'
}

// visibleNUL writes NUL bytes as \x00: C would silently cut the message
// at the first one.
func visibleNUL(msg string) string {
	if strings.IndexByte(msg, 0) < 0 {
		return msg
	}
	return strings.ReplaceAll(msg, "\x00", `\x00`)
}
