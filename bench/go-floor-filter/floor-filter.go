// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// The filter floor of the benchmarks: a pass-through Go filter that
// uses no binding at all.  Its struct nbdkit_filter is in
// floor-filter.c; .pread and .pwrite each make one cgo call into an
// exported function below, which makes one cgo call back to C, to the
// next layer's pread or pwrite.  A Go filter that sees each request
// cannot cost less: two crossings, C to Go and Go to C.  What
// bench/go-filter (the same pass-through on the binding) costs over
// this is the binding's.
//
//	go build -buildmode=c-shared -o nbdkit-floor-filter.so
//	nbdkit -f -U sock --filter=./nbdkit-floor-filter.so memory 1G
package main

/*
#cgo pkg-config: nbdkit
#cgo LDFLAGS: -Wl,--unresolved-symbols=ignore-in-object-files
#include <stdint.h>
#include <nbdkit-filter.h>

static int
floor_next_pread (nbdkit_next *next, void *buf, uint32_t count,
                  uint64_t offset, uint32_t flags, int *err)
{
  return next->pread (next, buf, count, offset, flags, err);
}

static int
floor_next_pwrite (nbdkit_next *next, void *buf, uint32_t count,
                   uint64_t offset, uint32_t flags, int *err)
{
  return next->pwrite (next, buf, count, offset, flags, err);
}
*/
import "C"

import "unsafe"

//export go_floor_filter_pread
func go_floor_filter_pread(next *C.nbdkit_next, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t, err *C.int) C.int {
	return C.floor_next_pread(next, buf, count, offset, flags, err)
}

//export go_floor_filter_pwrite
func go_floor_filter_pwrite(next *C.nbdkit_next, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t, err *C.int) C.int {
	return C.floor_next_pwrite(next, buf, count, offset, flags, err)
}

// main is never called, but package main must have one.
func main() {}
