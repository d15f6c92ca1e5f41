// Package main is an nbdkit filter written in Go that counts the
// requests of each connection and logs them, over any plugin.
//
//	go build -buildmode=c-shared -o nbdkit-stats-filter.so
//	nbdkit -f -v --filter=./nbdkit-stats-filter.so memory 1G
//
// When a connection closes, a line per kind of request goes to nbdkit's
// debug output (nbdkit -v):
//
//	stats: export "": read 12 requests 49152 bytes
//
// With stats-file=PATH the same lines are appended to PATH instead.
// The counters are atomic: requests of one connection run in parallel.
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"libguestfs.org/nbdkit"
)

type statsFilter struct {
	nbdkit.Filter
	file string
}

// counter counts requests and their bytes.
type counter struct {
	requests, bytes atomic.Uint64
}

func (c *counter) add(n uint64) {
	c.requests.Add(1)
	c.bytes.Add(n)
}

type statsConnection struct {
	nbdkit.FilterConnection
	filter                  *statsFilter
	export                  string
	read, write, zero, trim counter
	flush                   counter
}

var (
	_ nbdkit.FilterConfigurer = (*statsFilter)(nil)
	_ nbdkit.FilterReader     = (*statsConnection)(nil)
	_ nbdkit.FilterWriter     = (*statsConnection)(nil)
	_ nbdkit.FilterZeroer     = (*statsConnection)(nil)
	_ nbdkit.FilterTrimmer    = (*statsConnection)(nil)
	_ nbdkit.FilterFlusher    = (*statsConnection)(nil)
)

func (f *statsFilter) ConfigHelp() string {
	return "stats-file=PATH  Append the counts to PATH (default: debug output)."
}

func (f *statsFilter) Config(next nbdkit.NextConfig, key, value string) error {
	if key != "stats-file" {
		return next.Config(key, value)
	}
	f.file = value
	return nil
}

func (f *statsFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &statsConnection{filter: f, export: exportName}, nil
}

func (c *statsConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	c.read.add(uint64(len(buf)))
	return next.PRead(buf, offset, flags)
}

func (c *statsConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	c.write.add(uint64(len(buf)))
	return next.PWrite(buf, offset, flags)
}

func (c *statsConnection) Zero(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	c.zero.add(uint64(count))
	return next.Zero(count, offset, flags)
}

func (c *statsConnection) Trim(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	c.trim.add(uint64(count))
	return next.Trim(count, offset, flags)
}

func (c *statsConnection) Flush(next nbdkit.Next, flags uint32) error {
	c.flush.add(0)
	return next.Flush(flags)
}

var fileMu sync.Mutex // connections close in parallel

// Close logs the connection's counts.
func (c *statsConnection) Close() {
	var lines string
	for _, s := range []struct {
		name string
		c    *counter
	}{{"read", &c.read}, {"write", &c.write}, {"zero", &c.zero}, {"trim", &c.trim},
		{"flush", &c.flush}} {
		lines += fmt.Sprintf("stats: export %q: %s %d requests %d bytes\n",
			c.export, s.name, s.c.requests.Load(), s.c.bytes.Load())
	}
	if c.filter.file == "" {
		nbdkit.Debug(lines)
		return
	}
	fileMu.Lock()
	defer fileMu.Unlock()
	f, err := os.OpenFile(c.filter.file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(lines)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		nbdkit.Errorf("stats: %v", err)
	}
}

func init() { nbdkit.RegisterFilter("stats", &statsFilter{}) }

func main() {}
