// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// The floor of the benchmarks: a Go RAM disk that uses no binding at
// all.  Its struct nbdkit_plugin is in floor.c; .pread and .pwrite
// each make exactly one cgo call into the exported function below,
// which copies between nbdkit's buffer and a Go slice.  Nothing that
// reaches Go from nbdkit can cost less, so the binding's overhead is
// what bench/go-ramdisk (the same disk on the binding) costs over
// this.
//
//	go build -buildmode=c-shared -o nbdkit-gofloor-plugin.so
//	nbdkit -f -U sock ./nbdkit-gofloor-plugin.so size=1G
package main

/*
#cgo pkg-config: nbdkit
#cgo LDFLAGS: -Wl,--unresolved-symbols=ignore-in-object-files
#include <stdint.h>
*/
import "C"

import "unsafe"

// disk is the data, one flat buffer like bench/c-ramdisk's.  It is
// made by config_complete, before nbdkit starts any worker thread.
var disk []byte

//export go_floor_allocate
func go_floor_allocate(size C.uint64_t) {
	disk = make([]byte, size)
}

//export go_floor_pread
func go_floor_pread(buf unsafe.Pointer, count C.uint32_t, offset C.uint64_t) {
	copy(unsafe.Slice((*byte)(buf), count), disk[offset:])
}

//export go_floor_pwrite
func go_floor_pwrite(buf unsafe.Pointer, count C.uint32_t, offset C.uint64_t) {
	copy(disk[offset:], unsafe.Slice((*byte)(buf), count))
}

// main is never called, but package main must have one.
func main() {}
