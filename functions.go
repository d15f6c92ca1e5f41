// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The nbdkit_* functions a plugin may call, as Go.  Those that nbdkit
// 1.32 does not have are looked up when first called, so a plugin that
// uses them still loads there, and gets ErrNotSupported.
//
// Every function is safe to call from any callback and any goroutine,
// on every nbdkit from 1.32 on: where nbdkit would abort (an assertion
// in nbdkit_peer_tls_dn without a connection, in nbdkit_nanosleep
// before nbdkit serves), the binding returns an error or does what
// nbdkit would have done, without calling it.

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include "wrapper.h"

// Newer nbdkit functions, found at run time.
static void *
go_nbdkit_symbol (const char *name)
{
  return dlsym (RTLD_DEFAULT, name);
}

static int
go_call_disconnect (void *fn, int force)
{
  ((void (*) (int)) fn) (force);
  return 0;
}

// These parsers do not set errno when they refuse a string: clear it,
// so that the error is EINVAL, not an errno left from before.
static int
go_call_parse_probability (void *fn, const char *what, const char *str,
                           double *r)
{
  errno = 0;
  return ((int (*) (const char *, const char *, double *)) fn) (what, str, r);
}

static int
go_call_parse_delay (void *fn, const char *what, const char *str,
                     unsigned *sec, unsigned *nsec)
{
  errno = 0;
  return ((int (*) (const char *, const char *, unsigned *, unsigned *)) fn)
    (what, str, sec, nsec);
}

// nbdkit 1.40.x built without GnuTLS returns (char *) -1 from
// nbdkit_peer_tls_dn and nbdkit_peer_tls_issuer_dn: *unsupported is
// set, and NULL returned, never to be freed.
static char *
go_call_string_function (void *fn, int *unsupported)
{
  char *s = ((char *(*) (void)) fn) ();

  *unsupported = s == (char *) -1;
  return *unsupported ? NULL : s;
}

// Whether the calling thread serves a client.  nbdkit 1.40 to 1.44
// abort (an assertion) in nbdkit_peer_tls_dn and
// nbdkit_peer_tls_issuer_dn in a thread without one.
// nbdkit_peer_name tells, on every version: without a client it fails
// leaving errno alone (it logs "no connection in this thread"); with
// one it fails only if getpeername(2) does, which sets errno.
static int
go_have_connection (void)
{
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;

  errno = 0;
  return nbdkit_peer_name ((struct sockaddr *) &addr, &len) == 0 || errno != 0;
}

// Passwords are wiped before the memory is freed.
static void
go_free_secret (char *s)
{
  if (s) {
    explicit_bzero (s, strlen (s));
    free (s);
  }
}
*/
import "C"

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// ErrNotSupported is returned by functions that the running nbdkit
// does not have (they appeared in a later release).
var ErrNotSupported = errors.New("not supported by this nbdkit")

// ErrNoServer is returned, wrapped, by functions that need nbdkit when
// the plugin's code runs without it: in a test binary (go test), or a
// tool that imports the package.  Debug and Error then write to
// stderr, AbsolutePath and Realpath work as they would in nbdkit,
// Nanosleep sleeps, Shutdown does nothing and StdioSafe is true; every
// other function returns an error wrapping ErrNoServer, never crashes.
var ErrNoServer = errors.New("not running in nbdkit")

// insideNbdkit: the plugin was loaded by nbdkit, whose nbdkit_*
// functions it can call.  Elsewhere their addresses are 0.
var insideNbdkit = func() bool {
	name := C.CString("nbdkit_debug")
	defer C.free(unsafe.Pointer(name))
	return C.go_nbdkit_symbol(name) != nil
}()

// noServer is the error of function outside nbdkit, or nil inside.
func noServer(function string) error {
	if insideNbdkit {
		return nil
	}
	return fmt.Errorf("%s: %w", function, ErrNoServer)
}

// cString copies s for a C call, refusing a NUL byte that C would
// silently treat as the end of the string.  Free the result.
func cString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, PluginError{Errmsg: fmt.Sprintf("%s %q contains a NUL byte", what, s),
			Errno: syscall.EINVAL}
	}
	return C.CString(s), nil
}

// parseError describes a value nbdkit's parser refused; nbdkit has
// already logged its own reason.
func parseError(function, what, s string, err error) error {
	errno, ok := err.(syscall.Errno)
	if !ok || errno == 0 {
		errno = syscall.EINVAL
	}
	if what != "" {
		what += ": "
	}
	return PluginError{Errmsg: fmt.Sprintf("%s%s: cannot parse %q", what, function, s), Errno: errno}
}

// ParseSize parses a size with an optional scale suffix, such as 512,
// 64K or 2G (see nbdkit_parse_size in nbdkit-plugin(3)).
func ParseSize(s string) (int64, error) {
	return parseSize("ParseSize", "", s)
}

// ParseSizeOf is ParseSize with the name of the value in its error,
// as the other Parse* functions have: ParseSizeOf("size", value).
func ParseSizeOf(what, s string) (int64, error) {
	return parseSize("ParseSizeOf", what, s)
}

func parseSize(function, what, s string) (int64, error) {
	if err := noServer(function); err != nil {
		return 0, err
	}
	name := what
	if name == "" {
		name = "size"
	}
	cs, err := cString(name, s)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(cs))
	r, err := C.nbdkit_parse_size(cs)
	if r == -1 {
		return 0, parseError(function, what, s, err)
	}
	return int64(r), nil
}

// ParseBool parses a boolean the way nbdkit does: 1, true, yes, on and
// 0, false, no, off, in any case.
func ParseBool(s string) (bool, error) {
	if err := noServer("ParseBool"); err != nil {
		return false, err
	}
	cs, err := cString("boolean", s)
	if err != nil {
		return false, err
	}
	defer C.free(unsafe.Pointer(cs))
	r, err := C.nbdkit_parse_bool(cs)
	if r == -1 {
		return false, parseError("ParseBool", "", s, err)
	}
	return r == 1, nil
}

// callParser passes what and s to one of nbdkit's parsers.
func callParser(function, what, s string, parse func(what, str *C.char) (C.int, error)) error {
	if err := noServer(function); err != nil {
		return err
	}
	cwhat, err := cString("what", what)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cwhat))
	cs, err := cString(what, s)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	if ret, err := parse(cwhat, cs); ret == -1 {
		return parseError(function, what, s, err)
	}
	return nil
}

// ParseInt parses a decimal, octal (0...) or hexadecimal (0x...) int;
// what names the value in error messages.  The other Parse* functions
// do the same for each size of integer, refusing values out of range.
func ParseInt(what, s string) (int, error) {
	var r C.int
	err := callParser("ParseInt", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_int(w, s, &r)
		return ret, err
	})
	return int(r), err
}

// ParseUint parses an unsigned int; see ParseInt.
func ParseUint(what, s string) (uint, error) {
	var r C.uint
	err := callParser("ParseUint", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_unsigned(w, s, &r)
		return ret, err
	})
	return uint(r), err
}

// ParseInt8 parses an int8; see ParseInt.
func ParseInt8(what, s string) (int8, error) {
	var r C.int8_t
	err := callParser("ParseInt8", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_int8_t(w, s, &r)
		return ret, err
	})
	return int8(r), err
}

// ParseUint8 parses a uint8; see ParseInt.
func ParseUint8(what, s string) (uint8, error) {
	var r C.uint8_t
	err := callParser("ParseUint8", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_uint8_t(w, s, &r)
		return ret, err
	})
	return uint8(r), err
}

// ParseInt16 parses an int16; see ParseInt.
func ParseInt16(what, s string) (int16, error) {
	var r C.int16_t
	err := callParser("ParseInt16", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_int16_t(w, s, &r)
		return ret, err
	})
	return int16(r), err
}

// ParseUint16 parses a uint16; see ParseInt.
func ParseUint16(what, s string) (uint16, error) {
	var r C.uint16_t
	err := callParser("ParseUint16", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_uint16_t(w, s, &r)
		return ret, err
	})
	return uint16(r), err
}

// ParseInt32 parses an int32; see ParseInt.
func ParseInt32(what, s string) (int32, error) {
	var r C.int32_t
	err := callParser("ParseInt32", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_int32_t(w, s, &r)
		return ret, err
	})
	return int32(r), err
}

// ParseUint32 parses a uint32; see ParseInt.
func ParseUint32(what, s string) (uint32, error) {
	var r C.uint32_t
	err := callParser("ParseUint32", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_uint32_t(w, s, &r)
		return ret, err
	})
	return uint32(r), err
}

// ParseInt64 parses an int64; see ParseInt.
func ParseInt64(what, s string) (int64, error) {
	var r C.int64_t
	err := callParser("ParseInt64", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_int64_t(w, s, &r)
		return ret, err
	})
	return int64(r), err
}

// ParseUint64 parses a uint64; see ParseInt.
func ParseUint64(what, s string) (uint64, error) {
	var r C.uint64_t
	err := callParser("ParseUint64", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.nbdkit_parse_uint64_t(w, s, &r)
		return ret, err
	})
	return uint64(r), err
}

// newerFunction finds an nbdkit function that nbdkit 1.32 lacks, once.
type newerFunction struct {
	name string
	once sync.Once
	fn   unsafe.Pointer
}

func (f *newerFunction) lookup() unsafe.Pointer {
	f.once.Do(func() {
		name := C.CString(f.name)
		defer C.free(unsafe.Pointer(name))
		f.fn = C.go_nbdkit_symbol(name)
	})
	return f.fn
}

func (f *newerFunction) notSupported() error {
	if err := noServer(f.name); err != nil {
		return err
	}
	return fmt.Errorf("%s: %w (it needs a newer nbdkit)", f.name, ErrNotSupported)
}

// noConnection is the error of a function that needs a client, called
// in a thread that serves none: outside the connection callbacks (and
// PreConnect, ListExports, DefaultExport), or in a goroutine.
func noConnection(function string) error {
	return PluginError{Errmsg: function + ": no client in this thread (call it in a " +
		"connection callback, not in a goroutine)", Errno: syscall.EINVAL}
}

// serving is set when nbdkit calls after_fork (go_serving), in the
// process that serves: nbdkit has set up its quit pipe, which
// nbdkit_nanosleep and nbdkit_shutdown use.  Before, nbdkit's quit
// pipe is file descriptor 0: nbdkit_nanosleep polls stdin and aborts
// if there is input (an assertion; nbdkit 1.32 to 1.44), and
// nbdkit_shutdown writes a byte to it.
var serving, shutdownPending atomic.Bool

func startServing() {
	serving.Store(true)
	if shutdownPending.Load() {
		C.nbdkit_shutdown()
	}
}

var (
	nbdkitDisconnect          = newerFunction{name: "nbdkit_disconnect"}
	nbdkitParseProbability    = newerFunction{name: "nbdkit_parse_probability"}
	nbdkitPeerSecurityContext = newerFunction{name: "nbdkit_peer_security_context"}
	nbdkitParseDelay          = newerFunction{name: "nbdkit_parse_delay"}
	nbdkitPeerTLSDN           = newerFunction{name: "nbdkit_peer_tls_dn"}
	nbdkitPeerTLSIssuerDN     = newerFunction{name: "nbdkit_peer_tls_issuer_dn"}
)

// ParseProbability parses a probability such as 0.1, 10%, 1/10 or 1:10
// (nbdkit ≥ 1.36).  nbdkit accepts any number that is not negative,
// including numbers above 1: 2, 200% and 4/2 are all 2, and so is
// 2:1 (N:M is N/M, not odds).  0/0 is 0.  It refuses negative numbers,
// NaN, infinity, N/0 and anything after the number but a %.  Check the
// range yourself if the value must be at most 1.
func ParseProbability(what, s string) (float64, error) {
	fn := nbdkitParseProbability.lookup()
	if fn == nil {
		return 0, nbdkitParseProbability.notSupported()
	}
	var r C.double
	err := callParser("ParseProbability", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.go_call_parse_probability(fn, w, s, &r)
		return ret, err
	})
	return float64(r), err
}

// ParseDelay parses a delay such as 10, 1.5s, 40ms, 10us (or μs) or
// 100ns: seconds if there is no unit (nbdkit ≥ 1.40).  nbdkit refuses
// negative numbers, NaN, infinity and unknown units, but it does not
// check the range: a delay of 2^32 seconds (136 years) or more comes
// back from nbdkit as a wrong, smaller one.  ParseDelay refuses those
// with ERANGE instead.
func ParseDelay(what, s string) (time.Duration, error) {
	fn := nbdkitParseDelay.lookup()
	if fn == nil {
		return 0, nbdkitParseDelay.notSupported()
	}
	var sec, nsec C.unsigned
	err := callParser("ParseDelay", what, s, func(w, s *C.char) (C.int, error) {
		ret, err := C.go_call_parse_delay(fn, w, s, &sec, &nsec)
		return ret, err
	})
	if err == nil && delaySeconds(s) >= 1<<32 {
		return 0, parseError("ParseDelay", what, s, syscall.ERANGE)
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec), err
}

// delaySeconds is the number of seconds in a delay that nbdkit
// accepted, computed in Go, or 0 if Go cannot read the number as C
// does.
func delaySeconds(s string) float64 {
	units := []struct {
		suffix string
		scale  float64
	}{{"ms", 1e-3}, {"us", 1e-6}, {"μs", 1e-6}, {"ns", 1e-9}, {"s", 1}, {"", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			number := strings.TrimLeft(strings.TrimSuffix(s, u.suffix), " \t\n\v\f\r")
			d, err := strconv.ParseFloat(number, 64)
			if err != nil {
				return 0
			}
			return d * u.scale
		}
	}
	return 0
}

// ReadPassword reads a password as nbdkit's password=... parameters
// do: the value itself, "-" to prompt on the terminal, "+FILE" to read
// FILE, or "-FD" to read file descriptor FD.  The password is never
// logged.  "-" and "-FD" can only be read once, so they are refused
// when nbdkit forks (see WillReexecute), where the re-executed server
// reads its parameters again: use "+FILE" there, or nbdkit -f without
// --run.
func ReadPassword(value string) (string, error) {
	if readOnce(value) && (WillReexecute() || Reexecuted()) {
		return "", PluginError{Errmsg: fmt.Sprintf("ReadPassword: %q reads the terminal or a "+
			"file descriptor, which works once, and nbdkit forks: the Go binding then "+
			"re-executes nbdkit, which reads its parameters again; use +FILE, or nbdkit -f "+
			"without --run",
			value), Errno: syscall.EINVAL}
	}
	if err := noServer("ReadPassword"); err != nil {
		return "", err
	}
	cs, err := cString("password parameter", value)
	if err != nil {
		return "", err
	}
	defer C.go_free_secret(cs)
	var password *C.char
	if r, err := C.nbdkit_read_password(cs, &password); r == -1 {
		return "", errnoError("ReadPassword: cannot read the password", err)
	}
	defer C.go_free_secret(password)
	return C.GoString(password), nil
}

// readOnce reports whether a password parameter reads the terminal
// ("-") or a file descriptor ("-FD").
func readOnce(value string) bool {
	if value == "" || value[0] != '-' {
		return false
	}
	for _, c := range value[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pathFunction calls nbdkit_realpath or nbdkit_absolute_path.
func pathFunction(function, path string, call func(*C.char) (*C.char, error)) (string, error) {
	cs, err := cString("path", path)
	if err != nil {
		return "", err
	}
	defer C.free(unsafe.Pointer(cs))
	r, err := call(cs)
	if r == nil {
		return "", errnoError(fmt.Sprintf("%s: %s failed", function, path), err)
	}
	defer C.free(unsafe.Pointer(r))
	return C.GoString(r), nil
}

// Realpath returns the canonical absolute path of an existing path,
// relative paths being taken from the directory nbdkit started in.
func Realpath(path string) (string, error) {
	if !insideNbdkit {
		abs, err := AbsolutePath(path)
		if err != nil {
			return "", err
		}
		return filepath.EvalSymlinks(abs)
	}
	return pathFunction("Realpath", path, func(p *C.char) (*C.char, error) {
		ret, err := C.nbdkit_realpath(p)
		return ret, err
	})
}

// AbsolutePath makes path absolute, relative to the directory nbdkit
// started in; the path need not exist.
func AbsolutePath(path string) (string, error) {
	if !insideNbdkit {
		if strings.IndexByte(path, 0) >= 0 {
			return "", PluginError{Errmsg: fmt.Sprintf("AbsolutePath: %q contains a NUL byte", path),
				Errno: syscall.EINVAL}
		}
		return filepath.Abs(path)
	}
	return pathFunction("AbsolutePath", path, func(p *C.char) (*C.char, error) {
		ret, err := C.nbdkit_absolute_path(p)
		return ret, err
	})
}

// Nanosleep sleeps for d, returning early with an error if the server
// is shutting down, or, in a connection callback, if the client
// disconnected.  It may be called from any callback or goroutine.
// Before nbdkit serves (in Load, Config, ConfigComplete and GetReady,
// or a goroutine they started, until nbdkit calls after_fork) nbdkit
// cannot interrupt a sleep, and would abort in nbdkit_nanosleep:
// Nanosleep then sleeps with time.Sleep.
func Nanosleep(d time.Duration) error {
	if d < 0 {
		d = 0
	}
	if !serving.Load() || !insideNbdkit {
		time.Sleep(d)
		return nil
	}
	sec := d / time.Second
	if sec > 0xffffffff {
		sec = 0xffffffff
	}
	nsec := d % time.Second
	if r, err := C.nbdkit_nanosleep(C.unsigned(sec), C.unsigned(nsec)); r == -1 {
		return errnoError("Nanosleep interrupted", err)
	}
	return nil
}

// ExportName returns the export name the client asked for.  It is only
// valid in connection callbacks (from PreConnect on); elsewhere it
// returns an error.
func ExportName() (string, error) {
	if err := noServer("ExportName"); err != nil {
		return "", err
	}
	name := C.nbdkit_export_name()
	if name == nil {
		return "", PluginError{Errmsg: "ExportName: no export name here (call it in a connection callback)",
			Errno: syscall.EINVAL}
	}
	return C.GoString(name), nil
}

// IsTLS reports whether the client has completed TLS authentication.
func IsTLS() (bool, error) {
	if err := noServer("IsTLS"); err != nil {
		return false, err
	}
	r := C.nbdkit_is_tls()
	if r == -1 {
		return false, PluginError{Errmsg: "IsTLS: no client here (call it in a connection callback)",
			Errno: syscall.EINVAL}
	}
	return r == 1, nil
}

// VsockAddr is the address of a peer connected over AF_VSOCK.
type VsockAddr struct {
	CID  uint32
	Port uint32
}

// Network returns "vsock".
func (a *VsockAddr) Network() string { return "vsock" }

// String returns "vsock:CID:PORT".
func (a *VsockAddr) String() string { return fmt.Sprintf("vsock:%d:%d", a.CID, a.Port) }

// PeerName returns the client's address: a *net.UnixAddr, *net.TCPAddr
// or *VsockAddr.
func PeerName() (net.Addr, error) {
	if err := noServer("PeerName"); err != nil {
		return nil, err
	}
	var storage C.struct_sockaddr_storage
	length := C.socklen_t(unsafe.Sizeof(storage))
	if r, err := C.nbdkit_peer_name((*C.struct_sockaddr)(unsafe.Pointer(&storage)), &length); r == -1 {
		return nil, errnoError("PeerName failed", err)
	}
	raw := C.GoBytes(unsafe.Pointer(&storage), C.int(length))
	return sockaddrToAddr(raw)
}

// PeerPID returns the process ID of a client on a Unix socket.
func PeerPID() (int64, error) {
	return peerID("PeerPID", func() C.int64_t { return C.nbdkit_peer_pid() })
}

// PeerUID returns the user ID of a client on a Unix socket.
func PeerUID() (int64, error) {
	return peerID("PeerUID", func() C.int64_t { return C.nbdkit_peer_uid() })
}

// PeerGID returns the group ID of a client on a Unix socket.
func PeerGID() (int64, error) {
	return peerID("PeerGID", func() C.int64_t { return C.nbdkit_peer_gid() })
}

func peerID(function string, call func() C.int64_t) (int64, error) {
	if err := noServer(function); err != nil {
		return -1, err
	}
	r := call()
	if r == -1 {
		return -1, PluginError{Errmsg: function + ": not known (not in a connection callback, or the client is not on a Unix socket)",
			Errno: syscall.EINVAL}
	}
	return int64(r), nil
}

// stringFunction calls a newer nbdkit function of the client that
// returns a string the caller frees, only in a thread that serves a
// client.
func stringFunction(function string, f *newerFunction) (string, error) {
	fn := f.lookup()
	if fn == nil {
		return "", f.notSupported()
	}
	if C.go_have_connection() == 0 {
		return "", noConnection(function)
	}
	var unsupported C.int
	s, err := C.go_call_string_function(fn, &unsupported)
	if unsupported != 0 {
		return "", fmt.Errorf("%s: %w (this nbdkit was built without GnuTLS)",
			f.name, ErrNotSupported)
	}
	if s == nil {
		return "", errnoError(function+": "+f.name+" failed", err)
	}
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s), nil
}

// PeerSecurityContext returns the client's security context, such as
// its SELinux label (nbdkit ≥ 1.36).  Without a security module that
// labels sockets, it fails with ENOPROTOOPT ("protocol not
// available").  Outside a connection, or in a goroutine, it returns an
// error.
func PeerSecurityContext() (string, error) {
	return stringFunction("PeerSecurityContext", &nbdkitPeerSecurityContext)
}

// PeerTLSDN returns the distinguished name of the client's TLS
// certificate (nbdkit ≥ 1.40), such as "CN=client,O=Example".  It is
// "" if the client did not authenticate with an X.509 certificate:
// without TLS, with a pre-shared key, or if nbdkit does not ask for
// the client's certificate (nbdkit --tls-verify-peer).  Outside a
// connection, or in a goroutine, it returns an error (nbdkit itself
// would abort).
func PeerTLSDN() (string, error) { return stringFunction("PeerTLSDN", &nbdkitPeerTLSDN) }

// PeerTLSIssuerDN returns the distinguished name of the issuer of the
// client's TLS certificate (nbdkit ≥ 1.40); see PeerTLSDN.
func PeerTLSIssuerDN() (string, error) {
	return stringFunction("PeerTLSIssuerDN", &nbdkitPeerTLSIssuerDN)
}

// Shutdown asks the server to shut down, as if it received SIGTERM.
// Called before nbdkit serves (see Nanosleep), it takes effect when
// nbdkit starts to serve: nbdkit then exits without serving anyone.
func Shutdown() {
	shutdownPending.Store(true)
	if serving.Load() {
		C.nbdkit_shutdown()
	}
}

// Disconnect drops the current client: at once if force, else after
// the requests in flight (nbdkit ≥ 1.34).  Outside a connection, or in
// a goroutine, it returns an error (where nbdkit would do nothing).
func Disconnect(force bool) error {
	fn := nbdkitDisconnect.lookup()
	if fn == nil {
		return nbdkitDisconnect.notSupported()
	}
	if C.go_have_connection() == 0 {
		return noConnection("Disconnect")
	}
	f := C.int(0)
	if force {
		f = 1
	}
	C.go_call_disconnect(fn, f)
	return nil
}

// StdioSafe reports whether the plugin may use stdin and stdout: false
// when nbdkit serves over them (-s) or they belong to a --run command.
//
// Outside nbdkit (see ErrNoServer) it is true.
func StdioSafe() bool {
	return !insideNbdkit || C.nbdkit_stdio_safe() == 1
}
