// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The next layer of a filter, as Go values: each method is one cgo call
// to a helper here that calls nbdkit's function pointer and returns the
// errno (0 for success), so that no Go pointer escapes to C and a
// request allocates nothing unless it fails.

/*
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include "filter.h"

// Called with the result of a next layer's call and the err it set,
// apart: C does not order the evaluation of arguments.
static int
go_next_errno (int r, int err)
{
  return r == -1 ? (err ? err : EIO) : 0;
}

static int
go_next_config (nbdkit_next_config *next, nbdkit_backend *nxdata,
                _GoString_ key, _GoString_ value)
{
  char *k = strndup (_GoStringPtr (key), _GoStringLen (key));
  char *v = strndup (_GoStringPtr (value), _GoStringLen (value));
  int r = k && v ? next (nxdata, k, v) : (nbdkit_error ("strndup: %m"), -1);

  free (k);
  free (v);
  return r;
}

static int
go_next_config_complete (nbdkit_next_config_complete *next,
                         nbdkit_backend *nxdata)
{
  return next (nxdata);
}

static int
go_next_preconnect (nbdkit_next_preconnect *next, nbdkit_backend *nxdata,
                    int readonly)
{
  return next (nxdata, readonly);
}

static int
go_next_list_exports (nbdkit_next_list_exports *next, nbdkit_backend *nxdata,
                      int readonly, struct nbdkit_exports *exports)
{
  return next (nxdata, readonly, exports);
}

static const char *
go_next_default_export (nbdkit_next_default_export *next,
                        nbdkit_backend *nxdata, int readonly)
{
  return next (nxdata, readonly);
}

static int
go_next_open (nbdkit_next_open *next, nbdkit_context *context, int readonly,
              _GoString_ exportname)
{
  char *name = strndup (_GoStringPtr (exportname), _GoStringLen (exportname));
  int r = name ? next (context, readonly, name) :
    (nbdkit_error ("strndup: %m"), -1);

  free (name);
  return r;
}

static nbdkit_next *
go_next_context_open (nbdkit_backend *backend, int readonly,
                      _GoString_ exportname, int shared)
{
  char *name = strndup (_GoStringPtr (exportname), _GoStringLen (exportname));
  nbdkit_next *next = NULL;

  if (name == NULL)
    nbdkit_error ("strndup: %m");
  else
    next = nbdkit_next_context_open (backend, readonly, name, shared);
  free (name);
  return next;
}

// The helpers below take the next context as a uintptr_t, not as a
// pointer: it is C memory, and cgo checks each pointer argument of a
// call for Go pointers, some 120 instructions on every request.
#define NEXT_OF(h) nbdkit_next *n = (nbdkit_next *) (h)

static int64_t
go_next_get_size (uintptr_t h)
{
  NEXT_OF (h);
  return n->get_size (n);
}

static const char *
go_next_export_description (uintptr_t h)
{
  NEXT_OF (h);
  return n->export_description (n);
}

static int
go_next_block_size (uintptr_t h, uint32_t *sizes)
{
  NEXT_OF (h);
  return n->block_size (n, &sizes[0], &sizes[1], &sizes[2]);
}

// The callbacks that take only the context and answer an int.
#define GO_NEXT_INT(name) \
  static int go_next_##name (uintptr_t h) { NEXT_OF (h); return n->name (n); }
GO_NEXT_INT (prepare)
GO_NEXT_INT (finalize)
GO_NEXT_INT (can_write)
GO_NEXT_INT (can_flush)
GO_NEXT_INT (is_rotational)
GO_NEXT_INT (can_trim)
GO_NEXT_INT (can_zero)
GO_NEXT_INT (can_fast_zero)
GO_NEXT_INT (can_extents)
GO_NEXT_INT (can_fua)
GO_NEXT_INT (can_multi_conn)
GO_NEXT_INT (can_cache)

static int
go_next_pread (uintptr_t h, void *buf, uint32_t count, uint64_t offset,
               uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->pread (n, buf, count, offset, flags, &err);

  return go_next_errno (r, err);
}

static int
go_next_pwrite (uintptr_t h, void *buf, uint32_t count, uint64_t offset,
                uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->pwrite (n, buf, count, offset, flags, &err);

  return go_next_errno (r, err);
}

static int
go_next_flush (uintptr_t h, uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->flush (n, flags, &err);

  return go_next_errno (r, err);
}

static int
go_next_trim (uintptr_t h, uint32_t count, uint64_t offset, uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->trim (n, count, offset, flags, &err);

  return go_next_errno (r, err);
}

static int
go_next_zero (uintptr_t h, uint32_t count, uint64_t offset, uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->zero (n, count, offset, flags, &err);

  return go_next_errno (r, err);
}

static int
go_next_extents (uintptr_t h, uint32_t count, uint64_t offset,
                 uint32_t flags, struct nbdkit_extents *extents)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->extents (n, count, offset, flags, extents, &err);

  return go_next_errno (r, err);
}

static int
go_next_cache (uintptr_t h, uint32_t count, uint64_t offset, uint32_t flags)
{
  NEXT_OF (h);
  int err = 0;
  int r = n->cache (n, count, offset, flags, &err);

  return go_next_errno (r, err);
}

static struct nbdkit_extents *
go_next_extents_full (uintptr_t h, uint32_t count, uint64_t offset,
                      uint32_t flags, int *err)
{
  NEXT_OF (h);
  struct nbdkit_extents *r;

  *err = 0;
  r = nbdkit_extents_full (n, count, offset, flags, err);
  if (r == NULL && *err == 0)
    *err = EIO;
  return r;
}
*/
import "C"

import (
	"fmt"
	"math"
	"syscall"
	"unsafe"
)

// Answers of CanZero for filters (a plugin's CanZero is a bool).
const (
	ZeroNone    = uint32(C.NBDKIT_ZERO_NONE)
	ZeroEmulate = uint32(C.NBDKIT_ZERO_EMULATE)
	ZeroNative  = uint32(C.NBDKIT_ZERO_NATIVE)
)

// NextError is the error of a call to the next layer that failed.  The
// next layer has logged why already: a filter method that returns a
// NextError as it is fails with its Errno, and nothing more is logged;
// one that wraps it (fmt.Errorf("...: %w", err)) logs its own message,
// and the client still sees Errno.
type NextError struct {
	Method string        // the next layer's method: "PRead"...
	Errno  syscall.Errno // what it failed with
}

// Error says which method of the next layer failed, and how.
func (e *NextError) Error() string {
	return fmt.Sprintf("the next layer's %s failed: %v", e.Method, e.Errno)
}

// Unwrap returns the errno, for errors.As and errors.Is.
func (e *NextError) Unwrap() error { return e.Errno }

// nextFailed makes the error of a failed call; errno 0 is none.
func nextFailed(method string, errno C.int) error {
	if errno == 0 {
		return nil
	}
	return &NextError{Method: method, Errno: syscall.Errno(errno)}
}

// errNoNext is the error of a call on a Next without a context, which
// nbdkit gives a connection whose filter unset it (NextOpen.SetNext).
func errNoNext(method string) error {
	return PluginError{Errmsg: "Next." + method + ": no next context", Errno: syscall.EINVAL}
}

// Next is the next layer of one connection (a filter or the plugin),
// given to each connection method.  It may be kept from Prepare until
// Finalize returns.  Its methods answer as the next layer's callbacks
// do, and its data methods send a request on.
type Next struct {
	next *C.nbdkit_next
}

// IsValid reports whether n is a context of the next layer: it is not
// for a connection whose next context its filter took away with
// NextOpen.SetNext.
func (n Next) IsValid() bool { return n.next != nil }

// handle is the context as the C helpers above take it.
func (n Next) handle() C.uintptr_t { return C.uintptr_t(uintptr(unsafe.Pointer(n.next))) }

// nextBool converts a next Can* answer.
func nextBool(method string, r C.int) (bool, error) {
	if r == -1 {
		return false, &NextError{Method: method, Errno: syscall.EIO}
	}
	return r != 0, nil
}

// nextUint32 converts a next Can* answer that is a constant.
func nextUint32(method string, r C.int) (uint32, error) {
	if r == -1 {
		return 0, &NextError{Method: method, Errno: syscall.EIO}
	}
	return uint32(r), nil
}

// GetSize returns the size of the next layer's export.
func (n Next) GetSize() (uint64, error) {
	if n.next == nil {
		return 0, errNoNext("GetSize")
	}
	size := C.go_next_get_size(n.handle())
	if size == -1 {
		return 0, &NextError{Method: "GetSize", Errno: syscall.EIO}
	}
	return uint64(size), nil
}

// ExportDescription returns the next layer's description of its
// export, "" if it has none.
func (n Next) ExportDescription() (string, error) {
	if n.next == nil {
		return "", errNoNext("ExportDescription")
	}
	return C.GoString(C.go_next_export_description(n.handle())), nil
}

// BlockSize returns the next layer's block size constraints (all 0 for
// none).
func (n Next) BlockSize() (minimum, preferred, maximum uint32, err error) {
	if n.next == nil {
		return 0, 0, 0, errNoNext("BlockSize")
	}
	var sizes [3]C.uint32_t
	if C.go_next_block_size(n.handle(), &sizes[0]) == -1 {
		return 0, 0, 0, &NextError{Method: "BlockSize", Errno: syscall.EIO}
	}
	return uint32(sizes[0]), uint32(sizes[1]), uint32(sizes[2]), nil
}

// Prepare prepares a context opened with Backend.OpenContext; nbdkit
// prepares the contexts it gives to connections itself.
func (n Next) Prepare() error {
	if n.next == nil {
		return errNoNext("Prepare")
	}
	return nextFailed("Prepare", -C.go_next_prepare(n.handle())*C.EIO)
}

// Finalize finalizes a context opened with Backend.OpenContext, before
// Close.
func (n Next) Finalize() error {
	if n.next == nil {
		return errNoNext("Finalize")
	}
	return nextFailed("Finalize", -C.go_next_finalize(n.handle())*C.EIO)
}

// Close closes a context opened with Backend.OpenContext (finalized
// first, if it was prepared).
func (n Next) Close() {
	if n.next != nil {
		C.nbdkit_next_context_close(n.next)
	}
}

// CanWrite returns the next layer's CanWrite.
func (n Next) CanWrite() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanWrite")
	}
	return nextBool("CanWrite", C.go_next_can_write(n.handle()))
}

// CanFlush returns the next layer's CanFlush.
func (n Next) CanFlush() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanFlush")
	}
	return nextBool("CanFlush", C.go_next_can_flush(n.handle()))
}

// IsRotational returns the next layer's IsRotational.
func (n Next) IsRotational() (bool, error) {
	if n.next == nil {
		return false, errNoNext("IsRotational")
	}
	return nextBool("IsRotational", C.go_next_is_rotational(n.handle()))
}

// CanTrim returns the next layer's CanTrim.
func (n Next) CanTrim() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanTrim")
	}
	return nextBool("CanTrim", C.go_next_can_trim(n.handle()))
}

// CanZero returns the next layer's CanZero: ZeroNone, ZeroEmulate or
// ZeroNative.
func (n Next) CanZero() (uint32, error) {
	if n.next == nil {
		return 0, errNoNext("CanZero")
	}
	return nextUint32("CanZero", C.go_next_can_zero(n.handle()))
}

// CanFastZero returns the next layer's CanFastZero.
func (n Next) CanFastZero() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanFastZero")
	}
	return nextBool("CanFastZero", C.go_next_can_fast_zero(n.handle()))
}

// CanExtents returns the next layer's CanExtents.
func (n Next) CanExtents() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanExtents")
	}
	return nextBool("CanExtents", C.go_next_can_extents(n.handle()))
}

// CanFUA returns the next layer's CanFUA: FUANone, FUAEmulate or
// FUANative.
func (n Next) CanFUA() (uint32, error) {
	if n.next == nil {
		return 0, errNoNext("CanFUA")
	}
	return nextUint32("CanFUA", C.go_next_can_fua(n.handle()))
}

// CanMultiConn returns the next layer's CanMultiConn.
func (n Next) CanMultiConn() (bool, error) {
	if n.next == nil {
		return false, errNoNext("CanMultiConn")
	}
	return nextBool("CanMultiConn", C.go_next_can_multi_conn(n.handle()))
}

// CanCache returns the next layer's CanCache: CacheNone, CacheEmulate
// or CacheNative.
func (n Next) CanCache() (uint32, error) {
	if n.next == nil {
		return 0, errNoNext("CanCache")
	}
	return nextUint32("CanCache", C.go_next_can_cache(n.handle()))
}

// checkBuffer refuses what a request cannot carry.  The error is built
// in a function of its own so that checkBuffer is inlined on the
// request path.
func checkBuffer(method string, buf []byte) error {
	if uint64(len(buf)) > math.MaxUint32 {
		return bufferTooLarge(method, len(buf))
	}
	return nil
}

//go:noinline
func bufferTooLarge(method string, length int) error {
	return PluginError{Errmsg: fmt.Sprintf("Next.%s: a request of %d bytes is too large",
		method, length), Errno: syscall.EINVAL}
}

// bufferPointer is buf's data, NULL if it is empty.
func bufferPointer(buf []byte) unsafe.Pointer {
	if len(buf) == 0 {
		return nil
	}
	return unsafe.Pointer(&buf[0])
}

// PRead reads len(buf) bytes at offset from the next layer into buf.
// buf may be nbdkit's buffer or the filter's own.
func (n Next) PRead(buf []byte, offset uint64, flags uint32) error {
	if n.next == nil {
		return errNoNext("PRead")
	}
	if err := checkBuffer("PRead", buf); err != nil {
		return err
	}
	return nextFailed("PRead", C.go_next_pread(n.handle(), bufferPointer(buf),
		C.uint32_t(len(buf)), C.uint64_t(offset), C.uint32_t(flags)))
}

// PWrite writes buf at offset to the next layer.
func (n Next) PWrite(buf []byte, offset uint64, flags uint32) error {
	if n.next == nil {
		return errNoNext("PWrite")
	}
	if err := checkBuffer("PWrite", buf); err != nil {
		return err
	}
	return nextFailed("PWrite", C.go_next_pwrite(n.handle(), bufferPointer(buf),
		C.uint32_t(len(buf)), C.uint64_t(offset), C.uint32_t(flags)))
}

// Flush sends a flush request to the next layer.
func (n Next) Flush(flags uint32) error {
	if n.next == nil {
		return errNoNext("Flush")
	}
	return nextFailed("Flush", C.go_next_flush(n.handle(), C.uint32_t(flags)))
}

// Trim sends a trim request to the next layer.
func (n Next) Trim(count uint32, offset uint64, flags uint32) error {
	if n.next == nil {
		return errNoNext("Trim")
	}
	return nextFailed("Trim", C.go_next_trim(n.handle(), C.uint32_t(count),
		C.uint64_t(offset), C.uint32_t(flags)))
}

// Zero sends a zero request to the next layer.
func (n Next) Zero(count uint32, offset uint64, flags uint32) error {
	if n.next == nil {
		return errNoNext("Zero")
	}
	return nextFailed("Zero", C.go_next_zero(n.handle(), C.uint32_t(count),
		C.uint64_t(offset), C.uint32_t(flags)))
}

// Extents asks the next layer for the extents of the range, added to
// extents: the list the filter's Extents was given, or one of its own
// (NewExtentList) to read back with Count and Extent.
func (n Next) Extents(count uint32, offset uint64, flags uint32, extents ExtentList) error {
	if n.next == nil {
		return errNoNext("Extents")
	}
	if extents.extents == nil {
		return errNoExtentList
	}
	return nextFailed("Extents", C.go_next_extents(n.handle(), C.uint32_t(count),
		C.uint64_t(offset), C.uint32_t(flags), extents.extents))
}

// ExtentsFull returns the next layer's extents of the whole range, as
// many requests as that takes (nbdkit_extents_full), in a list of the
// filter's own, to Free when done.
func (n Next) ExtentsFull(count uint32, offset uint64, flags uint32) (*ExtentList, error) {
	if n.next == nil {
		return nil, errNoNext("ExtentsFull")
	}
	var errno C.int
	list := C.go_next_extents_full(n.handle(), C.uint32_t(count), C.uint64_t(offset),
		C.uint32_t(flags), &errno)
	if list == nil {
		return nil, nextFailed("Extents", errno)
	}
	return &ExtentList{extents: list, owned: true}, nil
}

// Cache sends a cache request to the next layer.
func (n Next) Cache(count uint32, offset uint64, flags uint32) error {
	if n.next == nil {
		return errNoNext("Cache")
	}
	return nextFailed("Cache", C.go_next_cache(n.handle(), C.uint32_t(count),
		C.uint64_t(offset), C.uint32_t(flags)))
}

// Filter-wide next layers: each is the next layer of one callback, only
// valid during that callback.

// NextConfig passes a key=value parameter on to the next layer.
type NextConfig struct {
	fn      *C.nbdkit_next_config
	backend *C.nbdkit_backend
}

// Config passes key=value to the next layer's Config.
func (n NextConfig) Config(key, value string) error {
	if err := checkNoNUL("key", key); err != nil {
		return err
	}
	if err := checkNoNUL("value", value); err != nil {
		return err
	}
	return nextFailed("Config", -C.go_next_config(n.fn, n.backend, key, value)*C.EINVAL)
}

// NextConfigComplete is the next layer's ConfigComplete.
type NextConfigComplete struct {
	fn      *C.nbdkit_next_config_complete
	backend *C.nbdkit_backend
}

// ConfigComplete calls the next layer's ConfigComplete.
func (n NextConfigComplete) ConfigComplete() error {
	return nextFailed("ConfigComplete", -C.go_next_config_complete(n.fn, n.backend)*C.EINVAL)
}

// NextPreConnect is the next layer's PreConnect.
type NextPreConnect struct {
	fn      *C.nbdkit_next_preconnect
	backend *C.nbdkit_backend
}

// PreConnect calls the next layer's PreConnect.
func (n NextPreConnect) PreConnect(readonly bool) error {
	return nextFailed("PreConnect", -C.go_next_preconnect(n.fn, n.backend, cBool(readonly))*C.EIO)
}

// Backend returns the next layer's backend, to open contexts of it.
func (n NextPreConnect) Backend() Backend { return Backend{n.backend} }

// NextListExports is the next layer's ListExports.
type NextListExports struct {
	fn      *C.nbdkit_next_list_exports
	backend *C.nbdkit_backend
}

// ListExports adds the next layer's exports to exports: the list the
// filter's ListExports was given.
func (n NextListExports) ListExports(readonly bool, exports ExportList) error {
	if exports.exports == nil {
		return PluginError{Errmsg: "NextListExports.ListExports: not the list nbdkit passed to ListExports",
			Errno: syscall.EINVAL}
	}
	return nextFailed("ListExports",
		-C.go_next_list_exports(n.fn, n.backend, cBool(readonly), exports.exports)*C.EIO)
}

// Backend returns the next layer's backend, to open contexts of it.
func (n NextListExports) Backend() Backend { return Backend{n.backend} }

// NextDefaultExport is the next layer's DefaultExport.
type NextDefaultExport struct {
	fn      *C.nbdkit_next_default_export
	backend *C.nbdkit_backend
}

// DefaultExport returns the next layer's name of the default export.
func (n NextDefaultExport) DefaultExport(readonly bool) (string, error) {
	name := C.go_next_default_export(n.fn, n.backend, cBool(readonly))
	if name == nil {
		return "", &NextError{Method: "DefaultExport", Errno: syscall.EIO}
	}
	return C.GoString(name), nil
}

// Backend returns the next layer's backend, to open contexts of it.
func (n NextDefaultExport) Backend() Backend { return Backend{n.backend} }

// NextOpen opens the next layer for a connection, in Open.
type NextOpen struct {
	fn      *C.nbdkit_next_open
	context *C.nbdkit_context
	opened  *bool // Open called, and succeeded
}

// Open opens the next layer, with the client's readonly and export
// name or others (a filter that makes the export read-only passes
// true).  Call it once in Open.
func (n NextOpen) Open(readonly bool, exportName string) error {
	if err := checkNoNUL("export name", exportName); err != nil {
		return err
	}
	if n.opened != nil && *n.opened {
		return PluginError{Errmsg: "NextOpen.Open: the next layer is open already",
			Errno: syscall.EINVAL}
	}
	err := nextFailed("Open", -C.go_next_open(n.fn, n.context, cBool(readonly), exportName)*C.EIO)
	if err == nil && n.opened != nil {
		*n.opened = true
	}
	return err
}

// Backend returns the next layer's backend, to open contexts of it
// beside the connection's own.
func (n NextOpen) Backend() Backend {
	return Backend{C.nbdkit_context_get_backend(n.context)}
}

// SetNext makes next (from Backend.OpenContext) the connection's next
// layer, given to its methods from then on and prepared, finalized and
// closed by nbdkit, and returns the one it replaces, which is now the
// filter's to finalize and close.  NextOpen, kept by the connection,
// is valid until Close.
func (n NextOpen) SetNext(next Next) Next {
	return Next{C.nbdkit_context_set_next(n.context, next.next)}
}

// Backend is the next layer of the filter as a whole, from which a
// filter opens contexts of its own.
type Backend struct {
	backend *C.nbdkit_backend
}

// OpenContext opens a context of the next layer (nbdkit_next_context_open):
// Prepare it before use, and Finalize and Close it when done, unless it
// is given to NextOpen.SetNext.  A shared context may be opened outside
// a connection (in AfterFork) and used by all; one that is not shared
// belongs to the current connection, and must not outlive it.  nbdkit
// 1.32 opens one context of a connection's own at most (it aborts on an
// assertion for a second, after next.Open): open more shared.
func (b Backend) OpenContext(readonly bool, exportName string, shared bool) (Next, error) {
	if b.backend == nil {
		return Next{}, PluginError{Errmsg: "Backend.OpenContext: no backend", Errno: syscall.EINVAL}
	}
	if err := checkNoNUL("export name", exportName); err != nil {
		return Next{}, err
	}
	next := C.go_next_context_open(b.backend, cBool(readonly), exportName, cBool(shared))
	if next == nil {
		return Next{}, &NextError{Method: "OpenContext", Errno: syscall.EIO}
	}
	return Next{next}, nil
}

// cBool is 1 or 0.
func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// checkNoNUL refuses a string C would cut.
func checkNoNUL(what, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return PluginError{Errmsg: fmt.Sprintf("%s %q contains a NUL byte", what, s),
				Errno: syscall.EINVAL}
		}
	}
	return nil
}
