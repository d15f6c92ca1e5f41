// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

/*
#include "wrapper.h"
*/
import "C"

import (
	"sync"
	"sync/atomic"
)

// connection is what the binding knows of one open connection: the
// plugin's value, and its optional interfaces, found once in Open.
type connection struct {
	ConnectionInterface
	fuaChecker      FUAChecker
	fastZeroChecker FastZeroChecker
	cacheChecker    CacheChecker
	cacher          Cacher
	extentsChecker  ExtentsChecker
	extenter        Extenter
	exportDescriber ExportDescriber
	blockSizer      BlockSizer
}

// newConnection discovers what conn implements, and returns the
// connection and its enum connection_capability bits for wrapper.c.
func newConnection(conn ConnectionInterface) (*connection, uint32) {
	checkConnection(conn)
	c := &connection{ConnectionInterface: conn}
	var caps uint32
	c.fuaChecker = discover[FUAChecker](conn, C.CONNECTION_CAN_FUA, &caps)
	c.fastZeroChecker = discover[FastZeroChecker](conn, C.CONNECTION_CAN_FAST_ZERO, &caps)
	c.cacheChecker = discover[CacheChecker](conn, C.CONNECTION_CAN_CACHE, &caps)
	c.cacher = discover[Cacher](conn, C.CONNECTION_CACHE, &caps)
	c.extentsChecker = discover[ExtentsChecker](conn, C.CONNECTION_CAN_EXTENTS, &caps)
	c.extenter = discover[Extenter](conn, C.CONNECTION_EXTENTS, &caps)
	c.exportDescriber = discover[ExportDescriber](conn, C.CONNECTION_EXPORT_DESCRIPTION, &caps)
	c.blockSizer = discover[BlockSizer](conn, C.CONNECTION_BLOCK_SIZE, &caps)
	return c, caps
}

// discover returns v as an Interface, and sets bit in caps, if v
// implements Interface; else it returns nil.  Each optional callback
// is discovered in one line, once per plugin or connection.
func discover[Interface any](v interface{}, bit uint32, caps *uint32) Interface {
	method, ok := v.(Interface)
	if ok {
		*caps |= bit
	}
	return method
}

// connectionTable maps the ids that wrapper.c (and filter.c, for
// filterConnection) keeps in its handles to connections.  Open and
// Close take the mutex; request callbacks look
// an id up without locking, with one atomic load of the slot array and
// one of the slot.  nbdkit never uses a handle after Close, nor before
// Open returned it, so a slot is only reused once nothing can read it.
type connectionTable[T any] struct {
	mu    sync.Mutex
	slots atomic.Pointer[[]atomic.Pointer[T]]
	free  []uintptr // ids of empty slots, reused first
	open  int       // number of connections in the table
}

var connections connectionTable[connection]

// add stores c and returns its id.
func (t *connectionTable[T]) add(c *T) uintptr {
	t.mu.Lock()
	defer t.mu.Unlock()
	var id uintptr
	if n := len(t.free); n > 0 {
		id = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		id = t.grow()
	}
	(*t.slots.Load())[id].Store(c)
	t.open++
	return id
}

// grow doubles the slot array, publishing a copy so that readers of the
// old array still find every connection stored before the copy, and
// returns the id of a new empty slot.  The caller holds t.mu.
func (t *connectionTable[T]) grow() uintptr {
	var old []atomic.Pointer[T]
	if p := t.slots.Load(); p != nil {
		old = *p
	}
	slots := make([]atomic.Pointer[T], 2*len(old)+16)
	for i := range old {
		slots[i].Store(old[i].Load())
	}
	for id := len(slots) - 1; id > len(old); id-- {
		t.free = append(t.free, uintptr(id))
	}
	t.slots.Store(&slots)
	return uintptr(len(old))
}

// get returns the connection with this id, or nil.
func (t *connectionTable[T]) get(id uintptr) *T {
	p := t.slots.Load()
	if p == nil || id >= uintptr(len(*p)) {
		return nil
	}
	return (*p)[id].Load()
}

// remove empties the slot of id and returns what it held.
func (t *connectionTable[T]) remove(id uintptr) *T {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.slots.Load()
	if p == nil || id >= uintptr(len(*p)) {
		return nil
	}
	c := (*p)[id].Swap(nil)
	if c != nil {
		t.free = append(t.free, id)
		t.open--
	}
	return c
}

// count returns the number of open connections.
func (t *connectionTable[T]) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.open
}
