// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package main

// Counting heap allocations per request, through the real server.
//
// With allocs=FILE, every connection counts its requests.  At request
// number allocs-warmup it reads runtime.MemStats.Mallocs; at request
// number allocs-warmup + allocs-requests it reads it again, and
// appends a line to FILE:
//
//	requests=100000 mallocs=0 ops=pread
//
// Everything between the two readings is requests served by nbdkit
// through the binding (Go allocates nowhere else here), so mallocs /
// requests is what a plugin pays per request.  Every allocation is
// also sampled, and when there were any, the heap profile is written
// to FILE.OPS.pprof, where go tool pprof -sample_index=alloc_objects
// shows where they come from.  The client sends one
// kind of request per connection, one at a time, and at least
// allocs-warmup + allocs-requests of them.

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"

	"libguestfs.org/nbdkit"
)

type allocsConfig struct {
	file     string
	warmup   uint64
	requests uint64
}

func (a *allocsConfig) config(key, value string) error {
	var err error
	switch key {
	case "allocs":
		a.file = value
		runtime.MemProfileRate = 1
	case "allocs-warmup":
		a.warmup, err = strconv.ParseUint(value, 10, 64)
	case "allocs-requests":
		a.requests, err = strconv.ParseUint(value, 10, 64)
	}
	if err != nil {
		return fmt.Errorf("%s=%s: %w", key, value, err)
	}
	return nil
}

// The kinds of request, counted between the two readings.
const (
	opPRead = iota
	opPWrite
	opFlush
	opZero
	opTrim
	opExtents
)

var opNames = [...]string{"pread", "pwrite", "flush", "zero", "trim", "extents"}

// countingConnection is a ramdiskConnection that counts.  The plain
// ramdiskConnection, used for the timings, has no counter at all.
type countingConnection struct {
	*ramdiskConnection
	config  *allocsConfig
	count   atomic.Uint64
	ops     [len(opNames)]atomic.Uint64 // requests of each kind
	mallocs atomic.Uint64               // at request number warmup
}

var _ nbdkit.Extenter = (*countingConnection)(nil)

// request is called at the start of every request.
func (c *countingConnection) request(op int) {
	n := c.count.Add(1)
	switch {
	case n == c.config.warmup:
		c.mallocs.Store(mallocs())
	case n > c.config.warmup && n < c.config.warmup+c.config.requests:
		c.ops[op].Add(1)
	case n == c.config.warmup+c.config.requests:
		c.report(mallocs() - c.mallocs.Load())
	}
}

func mallocs() uint64 {
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	return stats.Mallocs
}

func (c *countingConnection) report(mallocs uint64) {
	var ops []string
	for i, name := range opNames {
		if c.ops[i].Load() != 0 {
			ops = append(ops, name)
		}
	}
	line := fmt.Sprintf("requests=%d mallocs=%d ops=%s\n",
		c.config.requests, mallocs, strings.Join(ops, ","))
	err := writeFile(c.config.file, os.O_APPEND, func(f *os.File) error {
		_, err := f.WriteString(line)
		return err
	})
	if err == nil && mallocs > 0 {
		err = writeFile(c.config.file+"."+strings.Join(ops, ",")+".pprof", os.O_TRUNC,
			func(f *os.File) error { return pprof.Lookup("allocs").WriteTo(f, 0) })
	}
	if err != nil {
		nbdkit.Error("allocs: " + err.Error())
	}
}

func writeFile(name string, flag int, write func(*os.File) error) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|flag, 0o644)
	if err != nil {
		return err
	}
	err = write(f)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return err
}

func (c *countingConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	c.request(opPRead)
	return c.ramdiskConnection.PRead(buf, offset, flags)
}

func (c *countingConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	c.request(opPWrite)
	return c.ramdiskConnection.PWrite(buf, offset, flags)
}

func (c *countingConnection) Flush(flags uint32) error {
	c.request(opFlush)
	return c.ramdiskConnection.Flush(flags)
}

func (c *countingConnection) Zero(count uint32, offset uint64, flags uint32) error {
	c.request(opZero)
	return c.ramdiskConnection.Zero(count, offset, flags)
}

func (c *countingConnection) Trim(count uint32, offset uint64, flags uint32) error {
	c.request(opTrim)
	return c.ramdiskConnection.Trim(count, offset, flags)
}

func (c *countingConnection) Extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	c.request(opExtents)
	return c.ramdiskConnection.Extents(count, offset, flags, extents)
}
