// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// This file holds the Go half of every callback.  Each go_<callback>
// export is called by wrapper_<callback> in wrapper.c, converts C types
// to Go, and calls a plain Go function that does the work, so that the
// unit tests (which cannot use cgo) drive exactly the code nbdkit runs.
//
// Every callback recovers panics (catchPanic) and reports errors
// (reportError) itself: nothing unwinds into C, and C only sees 0 or -1.

/*
#include "wrapper.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// boolResult converts a Can* answer to nbdkit's 1, 0 or -1.
func boolResult(method string, yes bool, err error) int {
	if err != nil {
		reportError(method, err)
		return -1
	}
	if yes {
		return 1
	}
	return 0
}

// errorResult converts a method's error to nbdkit's 0 or -1.
func errorResult(method string, err error) int {
	if err != nil {
		reportError(method, err)
		return -1
	}
	return 0
}

var errBadHandle = errors.New("no such connection (internal error in the Go binding)")

// lookup finds the connection for a callback; a miss is reported.
func lookup(method string, id uintptr) *connection {
	c := connections.get(id)
	if c == nil {
		reportError(method, errBadHandle)
	}
	return c
}

// Plugin-wide callbacks.

//export go_load
func go_load() {
	if callLoad() != 0 {
		// nbdkit's load cannot fail: a plugin whose Load panicked
		// must not go on to serve.
		os.Exit(1)
	}
}

func callLoad() (result int) {
	defer catchPanic("Load", &result)
	pluginImpl.Load()
	return 0
}

//export go_unload
func go_unload() { callUnload() }

func callUnload() {
	result := 0
	defer catchPanic("Unload", &result)
	pluginImpl.Unload()
}

//export go_dump_plugin
func go_dump_plugin() { callDumpPlugin() }

func callDumpPlugin() {
	result := 0
	defer catchPanic("DumpPlugin", &result)
	fmt.Fprintf(os.Stdout, "golang_version=%s\n", runtime.Version())
	pluginImpl.DumpPlugin()
}

//export go_config
func go_config(key, value *C.char) C.int {
	return C.int(callConfig(C.GoString(key), C.GoString(value)))
}

func callConfig(key, value string) (result int) {
	defer catchPanic("Config", &result)
	return errorResult("Config", pluginImpl.Config(key, value))
}

//export go_config_complete
func go_config_complete() C.int { return C.int(callConfigComplete()) }

func callConfigComplete() (result int) {
	defer catchPanic("ConfigComplete", &result)
	return errorResult("ConfigComplete", pluginImpl.ConfigComplete())
}

//export go_get_ready
func go_get_ready() C.int { return C.int(callGetReady()) }

func callGetReady() (result int) {
	defer catchPanic("GetReady", &result)
	return errorResult("GetReady", pluginImpl.GetReady())
}

//export go_preconnect
func go_preconnect(readonly C.int) C.int { return C.int(callPreConnect(readonly != 0)) }

func callPreConnect(readonly bool) (result int) {
	defer catchPanic("PreConnect", &result)
	return errorResult("PreConnect", pluginImpl.PreConnect(readonly))
}

// Connections.

//export go_open
func go_open(readonly C.int, id *C.uintptr_t, caps *C.uint32_t) C.int {
	newID, newCaps, result := callOpen(readonly != 0)
	*id = C.uintptr_t(newID)
	*caps = C.uint32_t(newCaps)
	return C.int(result)
}

func callOpen(readonly bool) (id uintptr, caps uint32, result int) {
	defer catchPanic("Open", &result)
	conn, err := pluginImpl.Open(readonly)
	if err != nil {
		reportError("Open", err)
		return 0, 0, -1
	}
	if conn == nil {
		reportError("Open", errors.New("returned no connection and no error"))
		return 0, 0, -1
	}
	c := &connection{ConnectionInterface: conn}
	return connections.add(c), 0, 0
}

//export go_close
func go_close(id C.uintptr_t) { callClose(uintptr(id)) }

func callClose(id uintptr) {
	result := 0
	defer catchPanic("Close", &result)
	c := connections.remove(uintptr(id))
	if c == nil {
		reportError("Close", errBadHandle)
		return
	}
	c.Close()
}

//export go_get_size
func go_get_size(id C.uintptr_t) C.int64_t { return C.int64_t(callGetSize(uintptr(id))) }

func callGetSize(id uintptr) (result int64) {
	defer catchPanic("GetSize", &result)
	c := lookup("GetSize", id)
	if c == nil {
		return -1
	}
	size, err := c.GetSize()
	if err != nil {
		reportError("GetSize", err)
		return -1
	}
	if size > math.MaxInt64 {
		reportError("GetSize", PluginError{
			Errmsg: fmt.Sprintf("size %d is larger than the largest NBD disk", size),
			Errno:  syscall.EFBIG})
		return -1
	}
	return int64(size)
}

// askConnection calls one of the boolean Can* methods.
func askConnection(method string, id uintptr,
	question func(ConnectionInterface) (bool, error)) (result int) {
	defer catchPanic(method, &result)
	c := lookup(method, id)
	if c == nil {
		return -1
	}
	yes, err := question(c.ConnectionInterface)
	return boolResult(method, yes, err)
}

//export go_can_write
func go_can_write(id C.uintptr_t) C.int {
	return C.int(askConnection("CanWrite", uintptr(id), ConnectionInterface.CanWrite))
}

//export go_can_flush
func go_can_flush(id C.uintptr_t) C.int {
	return C.int(askConnection("CanFlush", uintptr(id), ConnectionInterface.CanFlush))
}

//export go_is_rotational
func go_is_rotational(id C.uintptr_t) C.int {
	return C.int(askConnection("IsRotational", uintptr(id), ConnectionInterface.IsRotational))
}

//export go_can_trim
func go_can_trim(id C.uintptr_t) C.int {
	return C.int(askConnection("CanTrim", uintptr(id), ConnectionInterface.CanTrim))
}

//export go_can_zero
func go_can_zero(id C.uintptr_t) C.int {
	return C.int(askConnection("CanZero", uintptr(id), ConnectionInterface.CanZero))
}

//export go_can_multi_conn
func go_can_multi_conn(id C.uintptr_t) C.int {
	return C.int(askConnection("CanMultiConn", uintptr(id), ConnectionInterface.CanMultiConn))
}

// Data: the hot path.  No allocation unless a request fails.

//export go_pread
func go_pread(id C.uintptr_t, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callPRead(uintptr(id), unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)))
}

func callPRead(id uintptr, buf []byte, offset uint64, flags uint32) (result int) {
	defer catchPanic("PRead", &result)
	c := lookup("PRead", id)
	if c == nil {
		return -1
	}
	return errorResult("PRead", c.PRead(buf, offset, flags))
}

//export go_pwrite
func go_pwrite(id C.uintptr_t, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callPWrite(uintptr(id), unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)))
}

func callPWrite(id uintptr, buf []byte, offset uint64, flags uint32) (result int) {
	defer catchPanic("PWrite", &result)
	c := lookup("PWrite", id)
	if c == nil {
		return -1
	}
	return errorResult("PWrite", c.PWrite(buf, offset, flags))
}

//export go_flush
func go_flush(id C.uintptr_t, flags C.uint32_t) C.int {
	return C.int(callFlush(uintptr(id), uint32(flags)))
}

func callFlush(id uintptr, flags uint32) (result int) {
	defer catchPanic("Flush", &result)
	c := lookup("Flush", id)
	if c == nil {
		return -1
	}
	return errorResult("Flush", c.Flush(flags))
}

//export go_trim
func go_trim(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callTrim(uintptr(id), uint32(count), uint64(offset), uint32(flags)))
}

func callTrim(id uintptr, count uint32, offset uint64, flags uint32) (result int) {
	defer catchPanic("Trim", &result)
	c := lookup("Trim", id)
	if c == nil {
		return -1
	}
	return errorResult("Trim", c.Trim(count, offset, flags))
}

//export go_zero
func go_zero(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callZero(uintptr(id), uint32(count), uint64(offset), uint32(flags)))
}

func callZero(id uintptr, count uint32, offset uint64, flags uint32) (result int) {
	defer catchPanic("Zero", &result)
	c := lookup("Zero", id)
	if c == nil {
		return -1
	}
	return errorResult("Zero", c.Zero(count, offset, flags))
}
