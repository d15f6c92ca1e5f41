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
*/
import "C"

import (
	"fmt"
	"math"
	"syscall"
	"unsafe"
)

// ExtentList collects the answer of Extents: nbdkit's own list, filled
// in place.  It is only valid during the Extents call it was given to.
type ExtentList struct {
	extents *C.struct_nbdkit_extents
}

var errNoExtentList = PluginError{
	Errmsg: "ExtentList.Add: not the list nbdkit passed to Extents",
	Errno:  syscall.EINVAL,
}

// Add appends the extent of length bytes at offset, of type 0 (data),
// ExtentHole, ExtentZero or ExtentHole|ExtentZero.  Extents must be
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
