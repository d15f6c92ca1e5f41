// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The Go half of every filter callback.  Each go_filter_<field> export
// is called by filter_<field> in filter.c, converts C types to Go, and
// calls a plain Go function that does the work, as dispatch.go does for
// plugins.  Every callback recovers panics and reports errors itself:
// nothing unwinds into C.  The data callbacks report their errno
// through nbdkit's *err, as a C filter does.

/*
#include "filter.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"syscall"
	"unsafe"
)

// filterConnection is what the binding knows of one connection through
// the filter: the value Open returned, and its optional interfaces,
// found once in Open.
type filterConnection struct {
	FilterConnectionInterface
	preparer          FilterPreparer
	finalizer         FilterFinalizer
	sizer             FilterSizer
	exportDescriber   FilterExportDescriber
	blockSizer        FilterBlockSizer
	writeChecker      FilterWriteChecker
	flushChecker      FilterFlushChecker
	rotationalChecker FilterRotationalChecker
	trimChecker       FilterTrimChecker
	zeroChecker       FilterZeroChecker
	fastZeroChecker   FilterFastZeroChecker
	extentsChecker    FilterExtentsChecker
	fuaChecker        FilterFUAChecker
	multiConnChecker  FilterMultiConnChecker
	cacheChecker      FilterCacheChecker
	reader            FilterReader
	writer            FilterWriter
	flusher           FilterFlusher
	trimmer           FilterTrimmer
	zeroer            FilterZeroer
	extenter          FilterExtenter
	cacher            FilterCacher
}

// newFilterConnection discovers what conn implements, and returns the
// connection and its enum filter_connection_capability bits.
func newFilterConnection(conn FilterConnectionInterface) (*filterConnection, uint32) {
	c := &filterConnection{FilterConnectionInterface: conn}
	var caps uint32
	c.preparer = discover[FilterPreparer](conn, C.FCONN_PREPARE, &caps)
	c.finalizer = discover[FilterFinalizer](conn, C.FCONN_FINALIZE, &caps)
	c.sizer = discover[FilterSizer](conn, C.FCONN_GET_SIZE, &caps)
	c.exportDescriber = discover[FilterExportDescriber](conn, C.FCONN_EXPORT_DESCRIPTION, &caps)
	c.blockSizer = discover[FilterBlockSizer](conn, C.FCONN_BLOCK_SIZE, &caps)
	c.writeChecker = discover[FilterWriteChecker](conn, C.FCONN_CAN_WRITE, &caps)
	c.flushChecker = discover[FilterFlushChecker](conn, C.FCONN_CAN_FLUSH, &caps)
	c.rotationalChecker = discover[FilterRotationalChecker](conn, C.FCONN_IS_ROTATIONAL, &caps)
	c.trimChecker = discover[FilterTrimChecker](conn, C.FCONN_CAN_TRIM, &caps)
	c.zeroChecker = discover[FilterZeroChecker](conn, C.FCONN_CAN_ZERO, &caps)
	c.fastZeroChecker = discover[FilterFastZeroChecker](conn, C.FCONN_CAN_FAST_ZERO, &caps)
	c.extentsChecker = discover[FilterExtentsChecker](conn, C.FCONN_CAN_EXTENTS, &caps)
	c.fuaChecker = discover[FilterFUAChecker](conn, C.FCONN_CAN_FUA, &caps)
	c.multiConnChecker = discover[FilterMultiConnChecker](conn, C.FCONN_CAN_MULTI_CONN, &caps)
	c.cacheChecker = discover[FilterCacheChecker](conn, C.FCONN_CAN_CACHE, &caps)
	c.reader = discover[FilterReader](conn, C.FCONN_PREAD, &caps)
	c.writer = discover[FilterWriter](conn, C.FCONN_PWRITE, &caps)
	c.flusher = discover[FilterFlusher](conn, C.FCONN_FLUSH, &caps)
	c.trimmer = discover[FilterTrimmer](conn, C.FCONN_TRIM, &caps)
	c.zeroer = discover[FilterZeroer](conn, C.FCONN_ZERO, &caps)
	c.extenter = discover[FilterExtenter](conn, C.FCONN_EXTENTS, &caps)
	c.cacher = discover[FilterCacher](conn, C.FCONN_CACHE, &caps)
	return c, caps
}

// filterConnections holds the open filter connections, as connections
// holds a plugin's.
var filterConnections connectionTable[filterConnection]

// lookupFilter finds the connection for a callback; a miss is reported.
func lookupFilter(method string, id uintptr) *filterConnection {
	return lookupIn(&filterConnections, method, id)
}

// dataResult gives nbdkit a data callback's result: 0, or -1 with the
// errno in *err.
func dataResult(errno syscall.Errno, err *C.int) C.int {
	if errno == 0 {
		return 0
	}
	*err = C.int(errno)
	return -1
}

// Filter-wide callbacks.

//export go_filter_load
func go_filter_load() { loadLayer(filterImpl.Load) }

//export go_filter_unload
func go_filter_unload() {
	defer ignorePanic("Unload")
	filterImpl.Unload()
}

//export go_filter_config
func go_filter_config(next *C.nbdkit_next_config, backend *C.nbdkit_backend,
	key, value *C.char) C.int {
	return C.int(callFilterConfig(NextConfig{next, backend}, C.GoString(key), C.GoString(value)))
}

func callFilterConfig(next NextConfig, key, value string) (result int) {
	defer catchPanic("Config", &result, -1)
	return errorResult("Config", filterImpl.(FilterConfigurer).Config(next, key, value))
}

//export go_filter_config_complete
func go_filter_config_complete(next *C.nbdkit_next_config_complete,
	backend *C.nbdkit_backend) C.int {
	return C.int(callFilterConfigComplete(NextConfigComplete{next, backend}))
}

func callFilterConfigComplete(next NextConfigComplete) (result int) {
	defer catchPanic("ConfigComplete", &result, -1)
	return errorResult("ConfigComplete",
		filterImpl.(FilterConfigCompleter).ConfigComplete(next))
}

//export go_filter_thread_model
func go_filter_thread_model() C.int { return C.int(callFilterThreadModel()) }

func callFilterThreadModel() (result int) {
	defer catchPanic("ThreadModel", &result, -1)
	model := filterImpl.(ThreadModeler).ThreadModel()
	if model > ThreadModelParallel {
		return errorResult("ThreadModel", PluginError{
			Errmsg: fmt.Sprintf("returned %d, not a ThreadModel* constant", model),
			Errno:  syscall.EINVAL})
	}
	return int(model)
}

//export go_filter_get_ready
func go_filter_get_ready(threadModel C.int) C.int {
	return C.int(callFilterGetReady(uint32(threadModel)))
}

func callFilterGetReady(threadModel uint32) (result int) {
	defer catchPanic("GetReady", &result, -1)
	return errorResult("GetReady", filterImpl.(FilterGetReadier).GetReady(threadModel))
}

//export go_filter_after_fork
func go_filter_after_fork(backend *C.nbdkit_backend) C.int {
	return C.int(callFilterAfterFork(Backend{backend}))
}

func callFilterAfterFork(backend Backend) (result int) {
	defer catchPanic("AfterFork", &result, -1)
	return errorResult("AfterFork", filterImpl.(FilterAfterForker).AfterFork(backend))
}

//export go_filter_cleanup
func go_filter_cleanup(backend *C.nbdkit_backend) {
	defer ignorePanic("Cleanup")
	filterImpl.(FilterCleaner).Cleanup(Backend{backend})
}

//export go_filter_preconnect
func go_filter_preconnect(next *C.nbdkit_next_preconnect, backend *C.nbdkit_backend,
	readonly C.int) C.int {
	return C.int(callFilterPreConnect(NextPreConnect{next, backend}, readonly != 0))
}

func callFilterPreConnect(next NextPreConnect, readonly bool) (result int) {
	defer catchPanic("PreConnect", &result, -1)
	return errorResult("PreConnect", filterImpl.(FilterPreConnecter).PreConnect(next, readonly))
}

//export go_filter_list_exports
func go_filter_list_exports(next *C.nbdkit_next_list_exports, backend *C.nbdkit_backend,
	readonly, isTLS C.int, exports *C.struct_nbdkit_exports) C.int {
	return C.int(callFilterListExports(NextListExports{next, backend}, readonly != 0, isTLS != 0,
		ExportList{exports}))
}

func callFilterListExports(next NextListExports, readonly, isTLS bool,
	exports ExportList) (result int) {
	defer catchPanic("ListExports", &result, -1)
	return errorResult("ListExports",
		filterImpl.(FilterExportLister).ListExports(next, readonly, isTLS, exports))
}

//export go_filter_default_export
func go_filter_default_export(next *C.nbdkit_next_default_export, backend *C.nbdkit_backend,
	readonly, isTLS C.int) *C.char {
	return callFilterDefaultExport(NextDefaultExport{next, backend}, readonly != 0, isTLS != 0)
}

func callFilterDefaultExport(next NextDefaultExport, readonly, isTLS bool) (name *C.char) {
	defer catchPanic("DefaultExport", &name, nil)
	s, err := filterImpl.(FilterDefaultExporter).DefaultExport(next, readonly, isTLS)
	return stringResult("DefaultExport", "export name", s, err)
}

// Connections.

//export go_filter_open
func go_filter_open(next *C.nbdkit_next_open, context *C.nbdkit_context, readonly C.int,
	exportName *C.char, isTLS C.int, id *C.uintptr_t, caps *C.uint32_t) C.int {
	opened := false
	newID, newCaps, result := callFilterOpen(NextOpen{next, context, &opened},
		readonly != 0, C.GoString(exportName), isTLS != 0)
	*id = C.uintptr_t(newID)
	*caps = C.uint32_t(newCaps)
	return C.int(result)
}

func callFilterOpen(next NextOpen, readonly bool, exportName string,
	isTLS bool) (id uintptr, caps uint32, result int) {
	defer catchPanic("Open", &result, -1)
	conn, err := filterImpl.Open(next, readonly, exportName, isTLS)
	if err == nil && conn == nil {
		err = errors.New("returned no connection and no error")
	}
	if err != nil {
		reportError("Open", err)
		return 0, 0, -1
	}
	c, caps := newFilterConnection(conn)
	return filterConnections.add(c), caps, 0
}

//export go_filter_close
func go_filter_close(id C.uintptr_t) {
	defer ignorePanic("Close")
	c := filterConnections.remove(uintptr(id))
	if c == nil {
		reportError("Close", errBadHandle)
		return
	}
	c.Close()
}

//export go_filter_prepare
func go_filter_prepare(id C.uintptr_t, next *C.nbdkit_next, readonly C.int) C.int {
	return C.int(callFilterPrepare(uintptr(id), Next{next}, readonly != 0))
}

func callFilterPrepare(id uintptr, next Next, readonly bool) (result int) {
	defer catchPanic("Prepare", &result, -1)
	c := lookupFilter("Prepare", id)
	if c == nil {
		return -1
	}
	return errorResult("Prepare", c.preparer.Prepare(next, readonly))
}

//export go_filter_finalize
func go_filter_finalize(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(callFilterFinalize(uintptr(id), Next{next}))
}

func callFilterFinalize(id uintptr, next Next) (result int) {
	defer catchPanic("Finalize", &result, -1)
	c := lookupFilter("Finalize", id)
	if c == nil {
		return -1
	}
	return errorResult("Finalize", c.finalizer.Finalize(next))
}

//export go_filter_get_size
func go_filter_get_size(id C.uintptr_t, next *C.nbdkit_next) C.int64_t {
	return C.int64_t(callFilterGetSize(uintptr(id), Next{next}))
}

func callFilterGetSize(id uintptr, next Next) (result int64) {
	defer catchPanic("GetSize", &result, -1)
	c := lookupFilter("GetSize", id)
	if c == nil {
		return -1
	}
	size, err := c.sizer.GetSize(next)
	if err == nil && size > math.MaxInt64 {
		err = PluginError{Errmsg: fmt.Sprintf("size %d is larger than the largest NBD disk", size),
			Errno: syscall.EFBIG}
	}
	if err != nil {
		reportError("GetSize", err)
		return -1
	}
	return int64(size)
}

//export go_filter_export_description
func go_filter_export_description(id C.uintptr_t, next *C.nbdkit_next) *C.char {
	return callFilterExportDescription(uintptr(id), Next{next})
}

func callFilterExportDescription(id uintptr, next Next) (description *C.char) {
	defer catchPanic("ExportDescription", &description, nil)
	c := lookupFilter("ExportDescription", id)
	if c == nil {
		return nil
	}
	s, err := c.exportDescriber.ExportDescription(next)
	if err == nil && s == "" {
		return nil
	}
	return stringResult("ExportDescription", "description", s, err)
}

//export go_filter_block_size
func go_filter_block_size(id C.uintptr_t, next *C.nbdkit_next,
	minimum, preferred, maximum *C.uint32_t) C.int {
	min, pref, max, result := callFilterBlockSize(uintptr(id), Next{next})
	*minimum, *preferred, *maximum = C.uint32_t(min), C.uint32_t(pref), C.uint32_t(max)
	return C.int(result)
}

func callFilterBlockSize(id uintptr, next Next) (minimum, preferred, maximum uint32, result int) {
	defer catchPanic("BlockSize", &result, -1)
	c := lookupFilter("BlockSize", id)
	if c == nil {
		return 0, 0, 0, -1
	}
	return blockSizeResult(c.blockSizer.BlockSize(next))
}

// askFilter calls one of the boolean Can* methods.
func askFilter(method string, id uintptr, question func(*filterConnection) (bool, error)) int {
	return askBool(&filterConnections, method, id, question)
}

// askFilterFor calls a Can* method that answers with a constant from 0
// to max.
func askFilterFor(method string, id uintptr, max uint32,
	question func(*filterConnection) (uint32, error)) int {
	return askConstant(&filterConnections, method, id, max, question)
}

//export go_filter_can_write
func go_filter_can_write(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanWrite", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.writeChecker.CanWrite(Next{next})
	}))
}

//export go_filter_can_flush
func go_filter_can_flush(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanFlush", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.flushChecker.CanFlush(Next{next})
	}))
}

//export go_filter_is_rotational
func go_filter_is_rotational(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("IsRotational", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.rotationalChecker.IsRotational(Next{next})
	}))
}

//export go_filter_can_trim
func go_filter_can_trim(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanTrim", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.trimChecker.CanTrim(Next{next})
	}))
}

//export go_filter_can_zero
func go_filter_can_zero(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilterFor("CanZero", uintptr(id), ZeroNative,
		func(c *filterConnection) (uint32, error) { return c.zeroChecker.CanZero(Next{next}) }))
}

//export go_filter_can_fast_zero
func go_filter_can_fast_zero(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanFastZero", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.fastZeroChecker.CanFastZero(Next{next})
	}))
}

//export go_filter_can_extents
func go_filter_can_extents(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanExtents", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.extentsChecker.CanExtents(Next{next})
	}))
}

//export go_filter_can_fua
func go_filter_can_fua(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilterFor("CanFUA", uintptr(id), FUANative,
		func(c *filterConnection) (uint32, error) { return c.fuaChecker.CanFUA(Next{next}) }))
}

//export go_filter_can_multi_conn
func go_filter_can_multi_conn(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilter("CanMultiConn", uintptr(id), func(c *filterConnection) (bool, error) {
		return c.multiConnChecker.CanMultiConn(Next{next})
	}))
}

//export go_filter_can_cache
func go_filter_can_cache(id C.uintptr_t, next *C.nbdkit_next) C.int {
	return C.int(askFilterFor("CanCache", uintptr(id), CacheNative,
		func(c *filterConnection) (uint32, error) { return c.cacheChecker.CanCache(Next{next}) }))
}

// Data: the hot path.  No allocation unless a request fails.

//export go_filter_pread
func go_filter_pread(id C.uintptr_t, next *C.nbdkit_next, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterPRead(uintptr(id), Next{next}, unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)), err)
}

func callFilterPRead(id uintptr, next Next, buf []byte, offset uint64, flags uint32) (errno syscall.Errno) {
	defer catchPanic("PRead", &errno, syscall.EIO)
	c := lookupFilter("PRead", id)
	if c == nil {
		return syscall.EIO
	}
	if err := c.reader.PRead(next, buf, offset, flags); err != nil {
		return reportErrno("PRead", err)
	}
	return 0
}

//export go_filter_pwrite
func go_filter_pwrite(id C.uintptr_t, next *C.nbdkit_next, buf unsafe.Pointer, count C.uint32_t,
	offset C.uint64_t, flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterPWrite(uintptr(id), Next{next}, unsafe.Slice((*byte)(buf), count),
		uint64(offset), uint32(flags)), err)
}

func callFilterPWrite(id uintptr, next Next, buf []byte, offset uint64, flags uint32) (errno syscall.Errno) {
	defer catchPanic("PWrite", &errno, syscall.EIO)
	c := lookupFilter("PWrite", id)
	if c == nil {
		return syscall.EIO
	}
	if err := c.writer.PWrite(next, buf, offset, flags); err != nil {
		return reportErrno("PWrite", err)
	}
	return 0
}

//export go_filter_flush
func go_filter_flush(id C.uintptr_t, next *C.nbdkit_next, flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterFlush(uintptr(id), Next{next}, uint32(flags)), err)
}

func callFilterFlush(id uintptr, next Next, flags uint32) (errno syscall.Errno) {
	defer catchPanic("Flush", &errno, syscall.EIO)
	c := lookupFilter("Flush", id)
	if c == nil {
		return syscall.EIO
	}
	if err := c.flusher.Flush(next, flags); err != nil {
		return reportErrno("Flush", err)
	}
	return 0
}

// rangeOp is one of the requests of a range without data.
type rangeOp int

const (
	opTrim rangeOp = iota
	opZero
	opCache
)

var rangeMethods = [...]string{opTrim: "Trim", opZero: "Zero", opCache: "Cache"}

// callFilterRange calls the Trim, Zero or Cache method.
func callFilterRange(op rangeOp, id uintptr, next Next, count uint32, offset uint64,
	flags uint32) (errno syscall.Errno) {
	method := rangeMethods[op]
	defer catchPanic(method, &errno, syscall.EIO)
	c := lookupFilter(method, id)
	if c == nil {
		return syscall.EIO
	}
	var err error
	switch op {
	case opTrim:
		err = c.trimmer.Trim(next, count, offset, flags)
	case opZero:
		err = c.zeroer.Zero(next, count, offset, flags)
	case opCache:
		err = c.cacher.Cache(next, count, offset, flags)
	}
	if err != nil {
		return reportErrno(method, err)
	}
	return 0
}

//export go_filter_trim
func go_filter_trim(id C.uintptr_t, next *C.nbdkit_next, count C.uint32_t, offset C.uint64_t,
	flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterRange(opTrim, uintptr(id), Next{next},
		uint32(count), uint64(offset), uint32(flags)), err)
}

//export go_filter_zero
func go_filter_zero(id C.uintptr_t, next *C.nbdkit_next, count C.uint32_t, offset C.uint64_t,
	flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterRange(opZero, uintptr(id), Next{next},
		uint32(count), uint64(offset), uint32(flags)), err)
}

//export go_filter_cache
func go_filter_cache(id C.uintptr_t, next *C.nbdkit_next, count C.uint32_t, offset C.uint64_t,
	flags C.uint32_t, err *C.int) C.int {
	return dataResult(callFilterRange(opCache, uintptr(id), Next{next},
		uint32(count), uint64(offset), uint32(flags)), err)
}

//export go_filter_extents
func go_filter_extents(id C.uintptr_t, next *C.nbdkit_next, count C.uint32_t, offset C.uint64_t,
	flags C.uint32_t, extents *C.struct_nbdkit_extents, err *C.int) C.int {
	return dataResult(callFilterExtents(uintptr(id), Next{next}, uint32(count), uint64(offset),
		uint32(flags), ExtentList{extents: extents}), err)
}

func callFilterExtents(id uintptr, next Next, count uint32, offset uint64, flags uint32,
	extents ExtentList) (errno syscall.Errno) {
	defer catchPanic("Extents", &errno, syscall.EIO)
	c := lookupFilter("Extents", id)
	if c == nil {
		return syscall.EIO
	}
	if err := c.extenter.Extents(next, count, offset, flags, extents); err != nil {
		return reportErrno("Extents", err)
	}
	return 0
}
