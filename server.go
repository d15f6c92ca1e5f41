// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The nbdkit_* functions a plugin may call, as Go.  Those that nbdkit
// 1.32 does not have are looked up when first called, so a plugin that
// uses them still loads there, and gets ErrNotSupported.

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include <string.h>
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

static int
go_call_parse_probability (void *fn, const char *what, const char *str,
                           double *r)
{
  return ((int (*) (const char *, const char *, double *)) fn) (what, str, r);
}

static int
go_call_parse_delay (void *fn, const char *what, const char *str,
                     unsigned *sec, unsigned *nsec)
{
  return ((int (*) (const char *, const char *, unsigned *, unsigned *)) fn)
    (what, str, sec, nsec);
}

static char *
go_call_string_function (void *fn)
{
  return ((char *(*) (void)) fn) ();
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
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// ErrNotSupported is returned by functions that the running nbdkit
// does not have (they appeared in a later release).
var ErrNotSupported = errors.New("not supported by this nbdkit")

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
	cs, err := cString("size", s)
	if err != nil {
		return 0, err
	}
	defer C.free(unsafe.Pointer(cs))
	r, err := C.nbdkit_parse_size(cs)
	if r == -1 {
		return 0, parseError("ParseSize", "", s, err)
	}
	return int64(r), nil
}

// ParseBool parses a boolean the way nbdkit does: 1, true, yes, on and
// 0, false, no, off, in any case.
func ParseBool(s string) (bool, error) {
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
	return fmt.Errorf("%s: %w (it needs a newer nbdkit)", f.name, ErrNotSupported)
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
// into a number from 0 to 1 (nbdkit ≥ 1.36).
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

// ParseDelay parses a delay such as 10, 1.5s or 40ms (nbdkit ≥ 1.40).
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
	return time.Duration(sec)*time.Second + time.Duration(nsec), err
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
	return pathFunction("Realpath", path, func(p *C.char) (*C.char, error) {
		ret, err := C.nbdkit_realpath(p)
		return ret, err
	})
}

// AbsolutePath makes path absolute, relative to the directory nbdkit
// started in; the path need not exist.
func AbsolutePath(path string) (string, error) {
	return pathFunction("AbsolutePath", path, func(p *C.char) (*C.char, error) {
		ret, err := C.nbdkit_absolute_path(p)
		return ret, err
	})
}

// Nanosleep sleeps for d, returning early with an error if the server
// is shutting down or the client disconnected.  Call it from connection
// callbacks only: nbdkit 1.32 can abort when it is called elsewhere.
func Nanosleep(d time.Duration) error {
	if d < 0 {
		d = 0
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
	name := C.nbdkit_export_name()
	if name == nil {
		return "", PluginError{Errmsg: "ExportName: no export name here (call it in a connection callback)",
			Errno: syscall.EINVAL}
	}
	return C.GoString(name), nil
}

// IsTLS reports whether the client has completed TLS authentication.
func IsTLS() (bool, error) {
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
	var storage C.struct_sockaddr_storage
	length := C.socklen_t(unsafe.Sizeof(storage))
	if r, err := C.nbdkit_peer_name((*C.struct_sockaddr)(unsafe.Pointer(&storage)), &length); r == -1 {
		return nil, errnoError("PeerName failed", err)
	}
	raw := C.GoBytes(unsafe.Pointer(&storage), C.int(length))
	return sockaddrToAddr(raw)
}

// PeerPID returns the process ID of a client on a Unix socket.
func PeerPID() (int64, error) { return peerID("PeerPID", C.nbdkit_peer_pid()) }

// PeerUID returns the user ID of a client on a Unix socket.
func PeerUID() (int64, error) { return peerID("PeerUID", C.nbdkit_peer_uid()) }

// PeerGID returns the group ID of a client on a Unix socket.
func PeerGID() (int64, error) { return peerID("PeerGID", C.nbdkit_peer_gid()) }

func peerID(function string, r C.int64_t) (int64, error) {
	if r == -1 {
		return -1, PluginError{Errmsg: function + ": not known (not in a connection callback, or the client is not on a Unix socket)",
			Errno: syscall.EINVAL}
	}
	return int64(r), nil
}

// stringFunction calls a newer nbdkit function returning a string
// that the caller frees.
func stringFunction(f *newerFunction) (string, error) {
	fn := f.lookup()
	if fn == nil {
		return "", f.notSupported()
	}
	s, err := C.go_call_string_function(fn)
	if s == nil {
		return "", errnoError(f.name+" failed", err)
	}
	defer C.free(unsafe.Pointer(s))
	return C.GoString(s), nil
}

// PeerSecurityContext returns the client's security context, such as
// its SELinux label (nbdkit ≥ 1.36).
func PeerSecurityContext() (string, error) { return stringFunction(&nbdkitPeerSecurityContext) }

// PeerTLSDN returns the distinguished name of the client's TLS
// certificate (nbdkit ≥ 1.40).
func PeerTLSDN() (string, error) { return stringFunction(&nbdkitPeerTLSDN) }

// PeerTLSIssuerDN returns the distinguished name of the issuer of the
// client's TLS certificate (nbdkit ≥ 1.40).
func PeerTLSIssuerDN() (string, error) { return stringFunction(&nbdkitPeerTLSIssuerDN) }

// Shutdown asks the server to shut down, as if it received SIGTERM.
func Shutdown() {
	C.nbdkit_shutdown()
}

// Disconnect drops the current client: at once if force, else after
// the requests in flight (nbdkit ≥ 1.34).
func Disconnect(force bool) error {
	fn := nbdkitDisconnect.lookup()
	if fn == nil {
		return nbdkitDisconnect.notSupported()
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
func StdioSafe() bool {
	return C.nbdkit_stdio_safe() == 1
}
