package nbdkittest

// The client: libnbd, through cgo.  Every function used here is in
// libnbd 1.14 (Debian 12).

/*
#cgo pkg-config: libnbd
#include <stdlib.h>
#include <libnbd.h>
#include "callbacks.h"
*/
import "C"

import (
	"fmt"
	"io"
	"runtime"
	"runtime/cgo"
	"sync"
	"syscall"
	"unsafe"
)

// Flag is a flag of an NBD command, for the methods that take one.
type Flag uint32

// The command flags (libnbd's LIBNBD_CMD_FLAG_*).  A plugin sees them
// as nbdkit.FlagFUA, nbdkit.FlagFastZero, nbdkit.FlagReqOne, and, for
// Zero, nbdkit.FlagMayTrim when NoHole is absent.
const (
	// FUA (force unit access): PWrite, Zero and Trim return only once
	// the data is durable.  Needs CanFUA.
	FUA Flag = 0x01
	// NoHole forbids Zero to punch a hole: without it the server may
	// trim (the plugin's Zero sees nbdkit.FlagMayTrim).
	NoHole Flag = 0x02
	// DF (don't fragment) asks PRead for one reply chunk.  Needs CanDF.
	DF Flag = 0x04
	// ReqOne asks BlockStatus for one extent only.
	ReqOne Flag = 0x08
	// FastZero makes Zero fail at once (ENOTSUP) rather than be slow.
	// Needs CanFastZero.
	FastZero Flag = 0x10
)

// The flags of an Extent (libnbd's LIBNBD_STATE_*, the same values as
// nbdkit.ExtentHole and nbdkit.ExtentZero).
const (
	StateHole uint32 = 1 // not allocated
	StateZero uint32 = 2 // reads as zeroes
)

// The constants above are libnbd's: a compile-time check that they
// are its values (a difference is an index out of range).
var _ = [1]struct{}{}[(uint32(FUA)^uint32(C.LIBNBD_CMD_FLAG_FUA))|
	(uint32(NoHole)^uint32(C.LIBNBD_CMD_FLAG_NO_HOLE))|
	(uint32(DF)^uint32(C.LIBNBD_CMD_FLAG_DF))|
	(uint32(ReqOne)^uint32(C.LIBNBD_CMD_FLAG_REQ_ONE))|
	(uint32(FastZero)^uint32(C.LIBNBD_CMD_FLAG_FAST_ZERO))|
	(StateHole^uint32(C.LIBNBD_STATE_HOLE))|(StateZero^uint32(C.LIBNBD_STATE_ZERO))|
	uint32(TLSDisable^C.LIBNBD_TLS_DISABLE)|uint32(TLSAllow^C.LIBNBD_TLS_ALLOW)|
	uint32(TLSRequire^C.LIBNBD_TLS_REQUIRE)]

// maxRequest is the most ReadAt and WriteAt ask for in one request:
// nbdkit's limit, and less than libnbd's.
const maxRequest = 32 << 20

// Error is an error of libnbd: one the server sent, or one libnbd found
// itself (a request beyond the end of the disk, an unsupported flag...).
// errors.As(err, &errno) with a syscall.Errno finds its Errno, and
// errors.Is(err, syscall.EPERM) compares it.
type Error struct {
	Op    string        // the libnbd function, "nbd_pwrite"
	Msg   string        // libnbd's message (nbd_get_error)
	Errno syscall.Errno // the errno (nbd_get_errno); 0 if libnbd has none
}

// Error returns libnbd's message, or without one the function and the errno.
func (e *Error) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return e.Op + ": " + e.Errno.Error()
}

// Unwrap returns the Errno, or nil without one.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// lastError is libnbd's error of the call that just failed.  libnbd
// keeps it per thread: the caller holds runtime.LockOSThread.
func lastError(op string) error {
	e := &Error{Op: op, Errno: syscall.Errno(C.nbd_get_errno())}
	if msg := C.nbd_get_error(); msg != nil {
		e.Msg = C.GoString(msg)
	}
	return e
}

// TLS modes for ConnectOptions.TLS (libnbd's nbd_set_tls).
const (
	TLSDisable = 0 // the default: plain text
	TLSAllow   = 1 // TLS if the server offers it
	TLSRequire = 2 // TLS or fail
)

// ConnectOptions are what Dial asks of the server.
type ConnectOptions struct {
	Export      string // the export name; "" is the default export
	TLS         int    // TLSDisable, TLSAllow or TLSRequire
	TLSPSKFile  string // a PSK file, as nbdkit --tls-psk takes
	TLSUsername string // the PSK user name; "" is the login name
	// TLSCertificates is a directory of X.509 certificates, as
	// nbdkit --tls-certificates takes (ca-cert.pem, client-cert.pem,
	// client-key.pem); "" is libnbd's default.
	TLSCertificates string
	// Unchecked turns libnbd's strict mode off: requests libnbd would
	// refuse itself (a write to a read-only export, an unaligned or
	// out-of-bounds request, a flag the server did not advertise)
	// are sent, so a test sees what nbdkit and the plugin answer.
	Unchecked bool
}

// Client is one NBD connection to the server, through libnbd.  Its
// methods are safe from several goroutines; libnbd runs one request of
// a Client at a time, so open several Clients for requests in parallel.
type Client struct {
	mu     sync.RWMutex // Close takes it for writing, every call for reading
	handle *C.struct_nbd_handle
	size   uint64
	max    int // the largest request ReadAt and WriteAt make
}

// Compile-time checks.
var (
	_ io.ReaderAt = (*Client)(nil)
	_ io.WriterAt = (*Client)(nil)
	_ io.Closer   = (*Client)(nil)
)

// Dial connects to the nbdkit server listening on the Unix socket, and
// asks for what the Client reports: the export's description and block
// size, and block status (the base:allocation context).
func Dial(socket string, opts ConnectOptions) (*Client, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h := C.nbd_create()
	if h == nil {
		return nil, lastError("nbd_create")
	}
	c := &Client{handle: h}
	fail := func(op string) (*Client, error) {
		err := lastError(op)
		C.nbd_close(h)
		return nil, err
	}
	export := C.CString(opts.Export)
	defer C.free(unsafe.Pointer(export))
	if C.nbd_set_export_name(h, export) == -1 {
		return fail("nbd_set_export_name")
	}
	ctx := C.CString(C.LIBNBD_CONTEXT_BASE_ALLOCATION)
	defer C.free(unsafe.Pointer(ctx))
	if C.nbd_add_meta_context(h, ctx) == -1 {
		return fail("nbd_add_meta_context")
	}
	if C.nbd_set_full_info(h, true) == -1 {
		return fail("nbd_set_full_info")
	}
	if opts.Unchecked && C.nbd_set_strict_mode(h, 0) == -1 {
		return fail("nbd_set_strict_mode")
	}
	if err := setTLS(h, opts); err != nil {
		C.nbd_close(h)
		return nil, err
	}
	sock := C.CString(socket)
	defer C.free(unsafe.Pointer(sock))
	if C.nbd_connect_unix(h, sock) == -1 {
		return fail("nbd_connect_unix")
	}
	size := C.nbd_get_size(h)
	if size == -1 {
		return fail("nbd_get_size")
	}
	c.size = uint64(size)
	c.max = maxRequest
	if m := C.nbd_get_block_size(h, C.LIBNBD_SIZE_MAXIMUM); m > 0 && m < maxRequest {
		c.max = int(m)
	}
	return c, nil
}

// setTLS sets the TLS options of a handle not yet connected.
func setTLS(h *C.struct_nbd_handle, opts ConnectOptions) error {
	if opts.TLS == TLSDisable {
		return nil
	}
	if C.nbd_set_tls(h, C.int(opts.TLS)) == -1 {
		return lastError("nbd_set_tls")
	}
	for _, set := range []struct {
		op    string
		value string
		f     func(*C.struct_nbd_handle, *C.char) C.int
	}{
		{"nbd_set_tls_psk_file", opts.TLSPSKFile,
			func(h *C.struct_nbd_handle, s *C.char) C.int { return C.nbd_set_tls_psk_file(h, s) }},
		{"nbd_set_tls_username", opts.TLSUsername,
			func(h *C.struct_nbd_handle, s *C.char) C.int { return C.nbd_set_tls_username(h, s) }},
		{"nbd_set_tls_certificates", opts.TLSCertificates,
			func(h *C.struct_nbd_handle, s *C.char) C.int { return C.nbd_set_tls_certificates(h, s) }},
	} {
		if set.value == "" {
			continue
		}
		s := C.CString(set.value)
		r := set.f(h, s)
		C.free(unsafe.Pointer(s))
		if r == -1 {
			return lastError(set.op)
		}
	}
	return nil
}

// call runs f on the handle, with the thread locked so that libnbd's
// per-thread error is the one of f's call.
func (c *Client) call(op string, f func(h *C.struct_nbd_handle) C.int) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == nil {
		return &Error{Op: op, Msg: op + ": the client is closed", Errno: syscall.EBADF}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if f(c.handle) == -1 {
		return lastError(op)
	}
	return nil
}

// flag asks a yes/no question of the handle (nbd_can_*); false if the
// client is closed.
func (c *Client) flag(f func(h *C.struct_nbd_handle) C.int) bool {
	yes := false
	c.call("", func(h *C.struct_nbd_handle) C.int {
		r := f(h)
		yes = r == 1
		return r
	})
	return yes
}

// Close disconnects cleanly (NBD_CMD_DISC) and frees the handle.  It
// returns an error if the server did not take the disconnect; a closed
// Client's methods fail with EBADF.  Closing twice is harmless.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle == nil {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var err error
	if C.nbd_shutdown(c.handle, 0) == -1 {
		err = lastError("nbd_shutdown")
	}
	C.nbd_close(c.handle)
	c.handle = nil
	return err
}

// Size is the size of the export in bytes.
func (c *Client) Size() uint64 { return c.size }

// ReadAt reads len(p) bytes at off, as io.ReaderAt does: in requests of
// at most the server's maximum block size (32 MiB at most), returning
// io.EOF for the part beyond the end of the disk, or the first error.
func (c *Client) ReadAt(p []byte, off int64) (int, error) {
	n, eof, err := c.bounds("nbd_pread", len(p), off)
	if err != nil {
		return 0, err
	}
	for done := 0; done < n; {
		chunk := min(n-done, c.max)
		if err := c.PRead(p[done:done+chunk], uint64(off)+uint64(done), 0); err != nil {
			return done, err
		}
		done += chunk
	}
	if eof {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off, as io.WriterAt does: in requests of at most
// the server's maximum block size, returning the first error.  The part
// of p beyond the end of the disk is not written, and the error is then
// ENOSPC, as NBD servers answer such a write.
func (c *Client) WriteAt(p []byte, off int64) (int, error) {
	n, beyond, err := c.bounds("nbd_pwrite", len(p), off)
	if err != nil {
		return 0, err
	}
	for done := 0; done < n; {
		chunk := min(n-done, c.max)
		if err := c.PWrite(p[done:done+chunk], uint64(off)+uint64(done), 0); err != nil {
			return done, err
		}
		done += chunk
	}
	if beyond {
		return n, &Error{Op: "nbd_pwrite", Errno: syscall.ENOSPC,
			Msg: fmt.Sprintf("nbd_pwrite: %d bytes at %d go beyond the end of the %d byte disk",
				len(p), off, c.size)}
	}
	return n, nil
}

// bounds is how much of count bytes at off lie on the disk, and whether
// some do not.
func (c *Client) bounds(op string, count int, off int64) (int, bool, error) {
	if off < 0 {
		return 0, false, &Error{Op: op, Errno: syscall.EINVAL,
			Msg: fmt.Sprintf("%s: negative offset %d", op, off)}
	}
	if uint64(off) >= c.size {
		return 0, count > 0, nil
	}
	if left := c.size - uint64(off); uint64(count) > left {
		return int(left), true, nil
	}
	return count, false, nil
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// PRead sends one read request (NBD_CMD_READ) for len(buf) bytes at
// offset, with flags (DF), and returns the server's error unchanged.
func (c *Client) PRead(buf []byte, offset uint64, flags Flag) error {
	if len(buf) == 0 {
		return nil
	}
	return c.call("nbd_pread", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_pread(h, unsafe.Pointer(&buf[0]), C.size_t(len(buf)),
			C.uint64_t(offset), C.uint32_t(flags))
	})
}

// PWrite sends one write request (NBD_CMD_WRITE) of buf at offset, with
// flags (FUA).
func (c *Client) PWrite(buf []byte, offset uint64, flags Flag) error {
	if len(buf) == 0 {
		return nil
	}
	return c.call("nbd_pwrite", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_pwrite(h, unsafe.Pointer(&buf[0]), C.size_t(len(buf)),
			C.uint64_t(offset), C.uint32_t(flags))
	})
}

// Flush asks the server to make every completed write durable.
func (c *Client) Flush() error {
	return c.call("nbd_flush", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_flush(h, 0)
	})
}

// Trim discards count bytes at offset, with flags (FUA).
func (c *Client) Trim(count, offset uint64, flags Flag) error {
	return c.call("nbd_trim", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_trim(h, C.uint64_t(count), C.uint64_t(offset), C.uint32_t(flags))
	})
}

// Zero writes count zero bytes at offset, with flags (FUA, NoHole,
// FastZero).
func (c *Client) Zero(count, offset uint64, flags Flag) error {
	return c.call("nbd_zero", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_zero(h, C.uint64_t(count), C.uint64_t(offset), C.uint32_t(flags))
	})
}

// Cache asks the server to prefetch count bytes at offset.
func (c *Client) Cache(count, offset uint64) error {
	return c.call("nbd_cache", func(h *C.struct_nbd_handle) C.int {
		return C.nbd_cache(h, C.uint64_t(count), C.uint64_t(offset), 0)
	})
}

// Extent is one extent of a BlockStatus reply.
type Extent struct {
	Offset uint64 // where it starts
	Length uint64
	Flags  uint32 // StateHole, StateZero, or 0 for data
}

// extentReply collects the base:allocation extents of one request.
type extentReply struct {
	next    uint64 // where the next extent starts
	extents []Extent
}

//export nbdkittestExtents
func nbdkittestExtents(data C.uintptr_t, context *C.char, offset C.uint64_t,
	entries *C.uint32_t, n C.size_t) C.int {
	if C.GoString(context) != C.LIBNBD_CONTEXT_BASE_ALLOCATION {
		return 0
	}
	reply := cgo.Handle(data).Value().(*extentReply)
	reply.next = uint64(offset)
	pairs := unsafe.Slice((*uint32)(unsafe.Pointer(entries)), int(n))
	for i := 0; i+1 < len(pairs); i += 2 {
		e := Extent{Offset: reply.next, Length: uint64(pairs[i]), Flags: pairs[i+1]}
		reply.extents = append(reply.extents, e)
		reply.next += e.Length
	}
	return 0
}

// BlockStatus asks which parts of count bytes at offset are allocated
// or read as zeroes (the base:allocation context), with flags (ReqOne).
// The server may answer for less than count bytes, or more; with
// ReqOne, one extent.  It needs CanExtents: without it the server has
// no base:allocation, and libnbd fails the request.
func (c *Client) BlockStatus(count, offset uint64, flags Flag) ([]Extent, error) {
	reply := &extentReply{}
	handle := cgo.NewHandle(reply)
	defer handle.Delete()
	err := c.call("nbd_block_status", func(h *C.struct_nbd_handle) C.int {
		return C.nbdkittest_block_status(h, C.uint64_t(count), C.uint64_t(offset),
			C.uintptr_t(handle), C.uint32_t(flags))
	})
	if err != nil {
		return nil, err
	}
	return reply.extents, nil
}

// The capabilities the server advertised for this connection.

// CanWrite reports whether the export is writable (not -r, and the
// plugin's CanWrite said yes).
func (c *Client) CanWrite() bool { return !c.IsReadOnly() }

// IsReadOnly reports whether the export is read-only.  A closed client
// reports true.
func (c *Client) IsReadOnly() bool {
	writable := false
	c.call("nbd_is_read_only", func(h *C.struct_nbd_handle) C.int {
		r := C.nbd_is_read_only(h)
		writable = r == 0
		return r
	})
	return !writable
}

// CanFlush reports whether the server takes Flush.
func (c *Client) CanFlush() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_flush(h) })
}

// CanFUA reports whether the server takes the FUA flag.
func (c *Client) CanFUA() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_fua(h) })
}

// CanTrim reports whether the server takes Trim.
func (c *Client) CanTrim() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_trim(h) })
}

// CanZero reports whether the server takes Zero.
func (c *Client) CanZero() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_zero(h) })
}

// CanFastZero reports whether the server takes the FastZero flag.
func (c *Client) CanFastZero() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_fast_zero(h) })
}

// CanCache reports whether the server takes Cache.
func (c *Client) CanCache() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_cache(h) })
}

// CanMultiConn reports whether several connections to the export see
// each other's writes and flushes (NBD_FLAG_CAN_MULTI_CONN).
func (c *Client) CanMultiConn() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_multi_conn(h) })
}

// CanDF reports whether the server takes the DF flag.
func (c *Client) CanDF() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_df(h) })
}

// CanExtents reports whether the server answers BlockStatus: whether it
// agreed to the base:allocation context.  nbdkit agrees for every
// plugin; one without Extents reports the whole disk as data.
func (c *Client) CanExtents() bool {
	ctx := C.CString(C.LIBNBD_CONTEXT_BASE_ALLOCATION)
	defer C.free(unsafe.Pointer(ctx))
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_can_meta_context(h, ctx) })
}

// IsRotational reports whether the server said the disk is rotational.
func (c *Client) IsRotational() bool {
	return c.flag(func(h *C.struct_nbd_handle) C.int { return C.nbd_is_rotational(h) })
}

// ExportName is the export's name as the server calls it (for the
// default export "", the name the plugin's DefaultExport gave).
func (c *Client) ExportName() (string, error) {
	var name string
	err := c.call("nbd_get_canonical_export_name", func(h *C.struct_nbd_handle) C.int {
		s := C.nbd_get_canonical_export_name(h)
		if s == nil {
			return -1
		}
		name = C.GoString(s)
		C.free(unsafe.Pointer(s))
		return 0
	})
	return name, err
}

// ExportDescription is the description the server gave the export (the
// plugin's ExportDescription).  Without one it fails (ENOTSUP).
func (c *Client) ExportDescription() (string, error) {
	var description string
	err := c.call("nbd_get_export_description", func(h *C.struct_nbd_handle) C.int {
		s := C.nbd_get_export_description(h)
		if s == nil {
			return -1
		}
		description = C.GoString(s)
		C.free(unsafe.Pointer(s))
		return 0
	})
	return description, err
}

// BlockSize is the server's block-size constraints, in bytes; 0 for
// one it did not advertise.
type BlockSize struct {
	Minimum, Preferred, Maximum uint64
}

// BlockSize is the block-size constraints the server advertised (the
// plugin's BlockSize, or what a filter such as blocksize-policy sets).
func (c *Client) BlockSize() (BlockSize, error) {
	var sizes [3]uint64
	err := c.call("nbd_get_block_size", func(h *C.struct_nbd_handle) C.int {
		for i, kind := range []C.int{C.LIBNBD_SIZE_MINIMUM, C.LIBNBD_SIZE_PREFERRED,
			C.LIBNBD_SIZE_MAXIMUM} {
			r := C.nbd_get_block_size(h, kind)
			if r == -1 {
				return -1
			}
			sizes[i] = uint64(r)
		}
		return 0
	})
	return BlockSize{sizes[0], sizes[1], sizes[2]}, err
}

// Export is an export as the server lists it.
type Export struct {
	Name, Description string
}

//export nbdkittestListed
func nbdkittestListed(data C.uintptr_t, name, description *C.char) C.int {
	list := cgo.Handle(data).Value().(*[]Export)
	*list = append(*list, Export{C.GoString(name), C.GoString(description)})
	return 0
}

// ListExports asks the server on the Unix socket for its exports
// (NBD_OPT_LIST: the plugin's ListExports), with their descriptions.
func ListExports(socket string, opts ConnectOptions) ([]Export, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h := C.nbd_create()
	if h == nil {
		return nil, lastError("nbd_create")
	}
	defer C.nbd_close(h)
	if err := setTLS(h, opts); err != nil {
		return nil, err
	}
	if C.nbd_set_opt_mode(h, true) == -1 {
		return nil, lastError("nbd_set_opt_mode")
	}
	sock := C.CString(socket)
	defer C.free(unsafe.Pointer(sock))
	if C.nbd_connect_unix(h, sock) == -1 {
		return nil, lastError("nbd_connect_unix")
	}
	var list []Export
	handle := cgo.NewHandle(&list)
	defer handle.Delete()
	if C.nbdkittest_opt_list(h, C.uintptr_t(handle)) == -1 {
		err := lastError("nbd_opt_list")
		C.nbd_opt_abort(h)
		return nil, err
	}
	C.nbd_opt_abort(h)
	if list == nil {
		list = []Export{}
	}
	return list, nil
}
