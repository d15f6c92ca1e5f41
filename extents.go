// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

/*
#include <errno.h>
#include "wrapper.h"

// Returns the errno, so that the Go side needs no errno capture, which
// allocates with Go 1.19 (its cgo pointer check boxes the pointer to
// the incomplete struct).
static int
go_add_extent (void *extents, uint64_t offset, uint64_t length, uint32_t type)
{
  if (nbdkit_add_extent (extents, offset, length, type) == -1)
    return errno ? errno : EIO;
  return 0;
}

// nbdkit has exported these since 1.10, for filters; plugins find them
// at run time, since nbdkit-plugin.h declares them only from 1.44.
// struct nbdkit_extent, named otherwise: 1.44's header has it too.
struct go_extent {
  uint64_t offset;
  uint64_t length;
  uint32_t type;
};

static void *
go_call_extents_new (void *fn, uint64_t start, uint64_t end, int *err)
{
  void *r;

  errno = 0;
  r = ((void *(*) (uint64_t, uint64_t)) fn) (start, end);
  *err = r == NULL ? (errno ? errno : ENOMEM) : 0;
  return r;
}

static void
go_call_extents_free (void *fn, void *extents)
{
  ((void (*) (void *)) fn) (extents);
}

static size_t
go_call_extents_count (void *fn, void *extents)
{
  return ((size_t (*) (const void *)) fn) (extents);
}

static struct go_extent
go_call_get_extent (void *fn, void *extents, size_t i)
{
  return ((struct go_extent (*) (const void *, size_t)) fn) (extents, i);
}
*/
import "C"

import (
	"fmt"
	"math"
	"syscall"
	"unsafe"
)

// ExtentList collects the answer of [Extenter]'s Extents: nbdkit's own
// list, filled in place with [ExtentList.Add].  It is only valid during
// the Extents call it was given to.
//
// A plugin can also make lists of its own with [NewExtentList], fill
// them with Add, and read them back with [ExtentList.Count] and
// [ExtentList.Extent]: nbdkit clips what is added to the list's range
// and merges adjacent extents of the same type, as it does for the
// answer.  Only nbdkit makes lists: outside nbdkit (in go test) a list
// stays empty and Add fails.
type ExtentList struct {
	extents *C.struct_nbdkit_extents
	owned   bool // made by NewExtentList, freed by Free
}

// Extent is one extent of an ExtentList, as [ExtentList.Extent] returns
// it.
type Extent struct {
	Offset uint64
	Length uint64
	Type   uint32 // 0 (data), ExtentHole, ExtentZero or ExtentHole|ExtentZero
}

var errNoExtentList = PluginError{
	Errmsg: "ExtentList.Add: not the list nbdkit passed to Extents, nor one from NewExtentList",
	Errno:  syscall.EINVAL,
}

var (
	nbdkitExtentsNew   = newerFunction{name: "nbdkit_extents_new"}
	nbdkitExtentsFree  = newerFunction{name: "nbdkit_extents_free"}
	nbdkitExtentsCount = newerFunction{name: "nbdkit_extents_count"}
	nbdkitGetExtent    = newerFunction{name: "nbdkit_get_extent"}
)

// NewExtentList makes an empty list for the range from start to end
// (end not included), such as the range of a request.  Free it with
// [ExtentList.Free] when done.  A list of its own lets a plugin build
// an answer in parts, or from several sources, and check it or rework
// it (read it back, move it to other offsets) before it adds its
// extents to the list nbdkit passed to Extents.  nbdkit refuses a range that ends
// beyond 2^63 bytes, or whose start is after its end.  Outside nbdkit
// NewExtentList fails with [ErrNoServer].
func NewExtentList(start, end uint64) (*ExtentList, error) {
	fn := nbdkitExtentsNew.lookup()
	if fn == nil || nbdkitExtentsFree.lookup() == nil {
		return nil, nbdkitExtentsNew.notSupported()
	}
	var errnum C.int
	extents := C.go_call_extents_new(fn, C.uint64_t(start), C.uint64_t(end), &errnum)
	if extents == nil {
		return nil, errnoError(fmt.Sprintf("NewExtentList: nbdkit refused the range from %d to %d",
			start, end), syscall.Errno(errnum))
	}
	return &ExtentList{extents: (*C.struct_nbdkit_extents)(extents), owned: true}, nil
}

// Free frees a list made by [NewExtentList]; it is empty and unusable
// afterwards.  Free does nothing for the list nbdkit passed to Extents,
// which nbdkit frees, or for a list already freed.
func (e *ExtentList) Free() {
	if e == nil || e.extents == nil || !e.owned {
		return
	}
	C.go_call_extents_free(nbdkitExtentsFree.lookup(), unsafe.Pointer(e.extents))
	e.extents = nil
}

// Count returns the number of extents in the list, as nbdkit has
// merged and clipped them.  It is 0 for a list freed or not made by
// nbdkit.
func (e ExtentList) Count() int {
	fn := nbdkitExtentsCount.lookup()
	if e.extents == nil || fn == nil {
		return 0
	}
	return int(C.go_call_extents_count(fn, unsafe.Pointer(e.extents)))
}

// Extent returns extent i of the list, from 0 to Count()-1.
func (e ExtentList) Extent(i int) (Extent, error) {
	fn := nbdkitGetExtent.lookup()
	if fn == nil {
		return Extent{}, nbdkitGetExtent.notSupported()
	}
	// nbdkit aborts on an index out of range.
	if n := e.Count(); i < 0 || i >= n {
		return Extent{}, PluginError{
			Errmsg: fmt.Sprintf("ExtentList.Extent: no extent %d in a list of %d", i, n),
			Errno:  syscall.EINVAL,
		}
	}
	x := C.go_call_get_extent(fn, unsafe.Pointer(e.extents), C.size_t(i))
	return Extent{Offset: uint64(x.offset), Length: uint64(x.length), Type: uint32(x._type)}, nil
}

// Add appends the extent of length bytes at offset, of type 0 (data),
// [ExtentHole], [ExtentZero] or ExtentHole|ExtentZero.  Extents must be
// added in order and without gaps; nbdkit clips them to the requested
// range and ignores any beyond it.  Add returns an error, with the
// reason in nbdkit's error output, for an extent out of order, one
// that ends beyond 2^63 bytes, or an unknown type.
func (e ExtentList) Add(offset, length uint64, extentType uint32) error {
	if e.extents == nil {
		return errNoExtentList
	}
	if extentType&^(ExtentHole|ExtentZero) != 0 {
		return PluginError{
			Errmsg: fmt.Sprintf("ExtentList.Add: unknown extent type %#x", extentType),
			Errno:  syscall.EINVAL,
		}
	}
	// nbdkit 1.32 does not check this: offset+length wraps around, and
	// the client is told of an extent of 4 GiB past the end of the disk.
	if offset > math.MaxInt64 || length > math.MaxInt64-offset {
		return PluginError{
			Errmsg: fmt.Sprintf("ExtentList.Add: the extent of %d bytes at %d ends beyond "+
				"the largest disk (2^63 bytes)", length, offset),
			Errno: syscall.EINVAL,
		}
	}
	errnum := C.go_add_extent(unsafe.Pointer(e.extents), C.uint64_t(offset),
		C.uint64_t(length), C.uint32_t(extentType))
	if errnum != 0 {
		return errnoError(fmt.Sprintf("ExtentList.Add: nbdkit refused the extent of %d bytes at %d",
			length, offset), syscall.Errno(errnum))
	}
	return nil
}
