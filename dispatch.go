// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// This file holds the Go half of every callback, in the order and
// sections of wrapper.c.  Each go_<callback> export is called by
// wrapper_<callback> in wrapper.c, converts C types to Go, and calls a
// plain Go function that does the work, so that the unit tests (which
// cannot use cgo) drive exactly the code nbdkit runs.
//
// Every callback recovers panics (catchPanic) and reports errors
// (reportError) itself: nothing unwinds into C, and C only sees 0 or -1
// (or NULL).

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
func lookup(method string, id uintptr) *connection { return lookupIn(&connections, method, id) }

// lookupIn finds the connection of a callback in table (a plugin's or a
// filter's); a miss is reported.
func lookupIn[T any](table *connectionTable[T], method string, id uintptr) *T {
	c := table.get(id)
	if c == nil {
		reportError(method, errBadHandle)
	}
	return c
}

// Plugin-wide callbacks.

//export go_load
func go_load() { loadLayer(pluginImpl.Load) }

// loadLayer runs the plugin's or the filter's Load.  nbdkit's load
// cannot fail: a layer whose Load panicked must not go on to serve.
func loadLayer(load func()) {
	if callLoad(load) != 0 {
		os.Exit(1)
	}
}

func callLoad(load func()) (result int) {
	prepareReexec()
	defer catchPanic("Load", &result, -1)
	load()
	return 0
}

//export go_unload
func go_unload() { callUnload() }

func callUnload() {
	defer ignorePanic("Unload")
	pluginImpl.Unload()
}

//export go_config
func go_config(key, value *C.char) C.int {
	return C.int(callConfig(C.GoString(key), C.GoString(value)))
}

func callConfig(key, value string) (result int) {
	defer catchPanic("Config", &result, -1)
	return errorResult("Config", pluginImpl.Config(key, value))
}

//export go_config_complete
func go_config_complete() C.int { return C.int(callConfigComplete()) }

func callConfigComplete() (result int) {
	defer catchPanic("ConfigComplete", &result, -1)
	return errorResult("ConfigComplete", pluginImpl.ConfigComplete())
}

//export go_dump_plugin
func go_dump_plugin() { callDumpPlugin() }

func callDumpPlugin() {
	defer ignorePanic("DumpPlugin")
	fmt.Fprintf(os.Stdout, "golang_version=%s\n", runtime.Version())
	pluginImpl.DumpPlugin()
}

//export go_preconnect
func go_preconnect(readonly C.int) C.int { return C.int(callPreConnect(readonly != 0)) }

func callPreConnect(readonly bool) (result int) {
	defer catchPanic("PreConnect", &result, -1)
	return errorResult("PreConnect", pluginImpl.PreConnect(readonly))
}

//export go_get_ready
func go_get_ready() C.int { return C.int(callGetReady()) }

func callGetReady() (result int) {
	defer catchPanic("GetReady", &result, -1)
	return errorResult("GetReady", pluginImpl.GetReady())
}

// The plugin-wide optional callbacks below are only in struct
// nbdkit_plugin when the plugin implements their interface.

//export go_thread_model
func go_thread_model() C.int { return C.int(callThreadModel()) }

func callThreadModel() (result int) {
	defer catchPanic("ThreadModel", &result, -1)
	model := pluginImpl.(ThreadModeler).ThreadModel()
	if model > ThreadModelParallel {
		reportError("ThreadModel", PluginError{
			Errmsg: fmt.Sprintf("returned %d, not a ThreadModel* constant", model),
			Errno:  syscall.EINVAL})
		return -1
	}
	return int(model)
}

//export go_serving
func go_serving() { startServing() }

//export go_after_fork
func go_after_fork() C.int { return C.int(callAfterFork()) }

func callAfterFork() (result int) {
	defer catchPanic("AfterFork", &result, -1)
	return errorResult("AfterFork", pluginImpl.(AfterForker).AfterFork())
}

//export go_cleanup
func go_cleanup() { callCleanup() }

func callCleanup() {
	defer ignorePanic("Cleanup")
	pluginImpl.(Cleaner).Cleanup()
}

//export go_list_exports
func go_list_exports(readonly, isTLS C.int, exports *C.struct_nbdkit_exports) C.int {
	return C.int(callListExports(readonly != 0, isTLS != 0, ExportList{exports}))
}

func callListExports(readonly, isTLS bool, exports ExportList) (result int) {
	defer catchPanic("ListExports", &result, -1)
	return errorResult("ListExports",
		pluginImpl.(ExportLister).ListExports(readonly, isTLS, exports))
}

//export go_default_export
func go_default_export(readonly, isTLS C.int) *C.char {
	return callDefaultExport(readonly != 0, isTLS != 0)
}

func callDefaultExport(readonly, isTLS bool) (name *C.char) {
	defer catchPanic("DefaultExport", &name, nil)
	s, err := pluginImpl.(DefaultExporter).DefaultExport(readonly, isTLS)
	return stringResult("DefaultExport", "export name", s, err)
}

// stringResult gives nbdkit the string a callback answered, interned,
// or NULL with the error reported.
func stringResult(method, what, s string, err error) *C.char {
	var interned *C.char
	if err == nil {
		interned, err = internString(what, s)
	}
	if err != nil {
		reportError(method, err)
		return nil
	}
	return interned
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
	defer catchPanic("Open", &result, -1)
	conn, err := pluginImpl.Open(readonly)
	if err != nil {
		reportError("Open", err)
		return 0, 0, -1
	}
	if conn == nil {
		reportError("Open", errors.New("returned no connection and no error"))
		return 0, 0, -1
	}
	c, caps := newConnection(conn)
	return connections.add(c), caps, 0
}

//export go_close
func go_close(id C.uintptr_t) { callClose(uintptr(id)) }

func callClose(id uintptr) {
	defer ignorePanic("Close")
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
	defer catchPanic("GetSize", &result, -1)
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
	question func(*connection) (bool, error)) (result int) {
	return askBool(&connections, method, id, question)
}

// askConnectionFor calls an optional method that answers with a
// number between 0 and max.
func askConnectionFor(method string, id uintptr, max uint32,
	question func(*connection) (uint32, error)) (result int) {
	return askConstant(&connections, method, id, max, question)
}

// askBool calls a boolean Can* method of a connection in table.
func askBool[T any](table *connectionTable[T], method string, id uintptr,
	question func(*T) (bool, error)) (result int) {
	defer catchPanic(method, &result, -1)
	c := lookupIn(table, method, id)
	if c == nil {
		return -1
	}
	yes, err := question(c)
	return boolResult(method, yes, err)
}

// askConstant calls a Can* method of a connection in table that
// answers with a constant from 0 to max.
func askConstant[T any](table *connectionTable[T], method string, id uintptr, max uint32,
	question func(*T) (uint32, error)) (result int) {
	defer catchPanic(method, &result, -1)
	c := lookupIn(table, method, id)
	if c == nil {
		return -1
	}
	answer, err := question(c)
	return constantResult(method, answer, max, err)
}

// constantResult converts the answer of a Can* method that is one of
// the constants from 0 to max to nbdkit's answer, or -1.
func constantResult(method string, answer, max uint32, err error) int {
	if err == nil && answer > max {
		err = PluginError{Errmsg: fmt.Sprintf("returned %d, not one of the constants", answer),
			Errno: syscall.EINVAL}
	}
	if err != nil {
		reportError(method, err)
		return -1
	}
	return int(answer)
}

//export go_can_write
func go_can_write(id C.uintptr_t) C.int {
	return C.int(askConnection("CanWrite", uintptr(id), (*connection).CanWrite))
}

//export go_can_flush
func go_can_flush(id C.uintptr_t) C.int {
	return C.int(askConnection("CanFlush", uintptr(id), (*connection).CanFlush))
}

//export go_is_rotational
func go_is_rotational(id C.uintptr_t) C.int {
	return C.int(askConnection("IsRotational", uintptr(id), (*connection).IsRotational))
}

//export go_can_trim
func go_can_trim(id C.uintptr_t) C.int {
	return C.int(askConnection("CanTrim", uintptr(id), (*connection).CanTrim))
}

//export go_can_zero
func go_can_zero(id C.uintptr_t) C.int {
	return C.int(askConnection("CanZero", uintptr(id), (*connection).CanZero))
}

//export go_can_multi_conn
func go_can_multi_conn(id C.uintptr_t) C.int {
	return C.int(askConnection("CanMultiConn", uintptr(id), (*connection).CanMultiConn))
}

// The connection's optional callbacks below are only called by
// wrapper.c when the connection's capability bit says that it
// implements their interface.

//export go_can_fua
func go_can_fua(id C.uintptr_t) C.int {
	return C.int(askConnectionFor("CanFUA", uintptr(id), FUANative,
		func(c *connection) (uint32, error) { return c.fuaChecker.CanFUA() }))
}

//export go_can_fast_zero
func go_can_fast_zero(id C.uintptr_t) C.int {
	return C.int(askConnection("CanFastZero", uintptr(id), func(c *connection) (bool, error) {
		return c.fastZeroChecker.CanFastZero()
	}))
}

//export go_can_cache
func go_can_cache(id C.uintptr_t) C.int {
	return C.int(askConnectionFor("CanCache", uintptr(id), CacheNative,
		func(c *connection) (uint32, error) { return c.cacheChecker.CanCache() }))
}

//export go_can_extents
func go_can_extents(id C.uintptr_t) C.int {
	return C.int(askConnection("CanExtents", uintptr(id), func(c *connection) (bool, error) {
		return c.extentsChecker.CanExtents()
	}))
}

//export go_export_description
func go_export_description(id C.uintptr_t) *C.char {
	return callExportDescription(uintptr(id))
}

func callExportDescription(id uintptr) (description *C.char) {
	defer catchPanic("ExportDescription", &description, nil)
	c := lookup("ExportDescription", id)
	if c == nil {
		return nil
	}
	s, err := c.exportDescriber.ExportDescription()
	return stringResult("ExportDescription", "description", s, err)
}

//export go_block_size
func go_block_size(id C.uintptr_t, minimum, preferred, maximum *C.uint32_t) C.int {
	min, pref, max, result := callBlockSize(uintptr(id))
	*minimum, *preferred, *maximum = C.uint32_t(min), C.uint32_t(pref), C.uint32_t(max)
	return C.int(result)
}

func callBlockSize(id uintptr) (minimum, preferred, maximum uint32, result int) {
	defer catchPanic("BlockSize", &result, -1)
	c := lookup("BlockSize", id)
	if c == nil {
		return 0, 0, 0, -1
	}
	return blockSizeResult(c.blockSizer.BlockSize())
}

// blockSizeResult gives nbdkit the plugin's or filter's block sizes,
// checked, or -1 with the error reported.
func blockSizeResult(minimum, preferred, maximum uint32, err error) (uint32, uint32, uint32, int) {
	if err == nil {
		err = checkBlockSize(minimum, preferred, maximum)
	}
	if err != nil {
		reportError("BlockSize", err)
		return 0, 0, 0, -1
	}
	return minimum, preferred, maximum, 0
}

// checkBlockSize applies the NBD protocol's rules, so that a mistake
// is reported clearly instead of confusing clients.
func checkBlockSize(minimum, preferred, maximum uint32) error {
	bad := func(format string, args ...interface{}) error {
		return PluginError{Errmsg: fmt.Sprintf("returned minimum %d, preferred %d, maximum %d: ",
			minimum, preferred, maximum) + fmt.Sprintf(format, args...), Errno: syscall.EINVAL}
	}
	powerOf2 := func(n uint32) bool { return n != 0 && n&(n-1) == 0 }
	switch {
	case minimum == 0 && preferred == 0 && maximum == 0:
		return nil // no constraints
	case !powerOf2(minimum) || minimum > 64*1024:
		return bad("the minimum must be a power of 2 from 1 to 65536")
	case !powerOf2(preferred) || preferred < minimum || preferred < 512 || preferred > 32*1024*1024:
		return bad("the preferred size must be a power of 2 from 512 and the minimum to 33554432")
	case maximum < preferred:
		return bad("the maximum must be at least the preferred size")
	case maximum != 0xffffffff && maximum%minimum != 0:
		return bad("the maximum must be a multiple of the minimum, or 4294967295")
	}
	return nil
}

// Data.

// missingConnection is the connection of an id that is not in the
// table: each data method fails with errBadHandle, so that the data
// callbacks report a bad handle as any other error, with no test of
// their own on the hot path.
type missingConnection struct{ *Connection }

func (missingConnection) PRead([]byte, uint64, uint32) error               { return errBadHandle }
func (missingConnection) PWrite([]byte, uint64, uint32) error              { return errBadHandle }
func (missingConnection) Flush(uint32) error                               { return errBadHandle }
func (missingConnection) Trim(uint32, uint64, uint32) error                { return errBadHandle }
func (missingConnection) Zero(uint32, uint64, uint32) error                { return errBadHandle }
func (missingConnection) Cache(uint32, uint64, uint32) error               { return errBadHandle }
func (missingConnection) Extents(uint32, uint64, uint32, ExtentList) error { return errBadHandle }

var missing = &connection{ConnectionInterface: missingConnection{&Connection{}},
	extenter: missingConnection{}, cacher: missingConnection{}}

// dataConnection is the connection for a data callback: the one with
// this id, or missing.
func dataConnection(id uintptr) *connection {
	if c := connections.get(id); c != nil {
		return c
	}
	return missing
}

//export go_pread
func go_pread(id C.uintptr_t, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callPRead(uintptr(id), unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)))
}

func callPRead(id uintptr, buf []byte, offset uint64, flags uint32) (result int) {
	defer catchPanic("PRead", &result, -1)
	return errorResult("PRead", dataConnection(id).PRead(buf, offset, flags))
}

//export go_pwrite
func go_pwrite(id C.uintptr_t, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callPWrite(uintptr(id), unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)))
}

func callPWrite(id uintptr, buf []byte, offset uint64, flags uint32) (result int) {
	defer catchPanic("PWrite", &result, -1)
	return errorResult("PWrite", dataConnection(id).PWrite(buf, offset, flags))
}

//export go_flush
func go_flush(id C.uintptr_t, flags C.uint32_t) C.int {
	return C.int(callFlush(uintptr(id), uint32(flags)))
}

func callFlush(id uintptr, flags uint32) (result int) {
	defer catchPanic("Flush", &result, -1)
	return errorResult("Flush", dataConnection(id).Flush(flags))
}

//export go_trim
func go_trim(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callTrim(uintptr(id), uint32(count), uint64(offset), uint32(flags)))
}

func callTrim(id uintptr, count uint32, offset uint64, flags uint32) (result int) {
	defer catchPanic("Trim", &result, -1)
	return errorResult("Trim", dataConnection(id).Trim(count, offset, flags))
}

//export go_zero
func go_zero(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callZero(uintptr(id), uint32(count), uint64(offset), uint32(flags)))
}

func callZero(id uintptr, count uint32, offset uint64, flags uint32) (result int) {
	defer catchPanic("Zero", &result, -1)
	return errorResult("Zero", dataConnection(id).Zero(count, offset, flags))
}

//export go_extents
func go_extents(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t,
	extents *C.struct_nbdkit_extents) C.int {
	return C.int(callExtents(uintptr(id), uint32(count), uint64(offset), uint32(flags),
		ExtentList{extents: extents}))
}

func callExtents(id uintptr, count uint32, offset uint64, flags uint32,
	extents ExtentList) (result int) {
	defer catchPanic("Extents", &result, -1)
	return errorResult("Extents", dataConnection(id).extenter.Extents(count, offset, flags, extents))
}

//export go_cache
func go_cache(id C.uintptr_t, count C.uint32_t, offset C.uint64_t, flags C.uint32_t) C.int {
	return C.int(callCache(uintptr(id), uint32(count), uint64(offset), uint32(flags)))
}

func callCache(id uintptr, count uint32, offset uint64, flags uint32) (result int) {
	defer catchPanic("Cache", &result, -1)
	return errorResult("Cache", dataConnection(id).cacher.Cache(count, offset, flags))
}
