// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// The Go RAM disk of the benchmarks, on the binding.  Its data is kept
// exactly like bench/c-ramdisk's and bench/go-floor's (one flat
// buffer, no lock), so that comparing the three measures the binding
// and not the data structure.  examples/ramdisk, the RAM disk a user
// would copy, is sparse and locked, and is measured beside it.
//
//	go build -buildmode=c-shared -o nbdkit-goramdisk-plugin.so
//	nbdkit -f -U sock ./nbdkit-goramdisk-plugin.so size=1G
//
// With allocs=FILE it also counts heap allocations (see allocs.go).
package main

import (
	"errors"
	"fmt"

	"libguestfs.org/nbdkit"
)

type ramdiskPlugin struct {
	nbdkit.Plugin
	disk   []byte
	size   int64
	allocs allocsConfig
}

type ramdiskConnection struct {
	nbdkit.Connection
	disk []byte
}

var (
	_ nbdkit.PluginInterface     = (*ramdiskPlugin)(nil)
	_ nbdkit.ConnectionInterface = (*ramdiskConnection)(nil)
	_ nbdkit.Extenter            = (*ramdiskConnection)(nil)
)

func (p *ramdiskPlugin) Config(key, value string) error {
	var err error
	switch key {
	case "size":
		p.size, err = nbdkit.ParseSize(value)
		return err
	case "allocs", "allocs-warmup", "allocs-requests":
		return p.allocs.config(key, value)
	}
	return p.Plugin.Config(key, value)
}

func (p *ramdiskPlugin) ConfigComplete() error {
	if p.size <= 0 {
		return errors.New("the size parameter is required, for example size=64M")
	}
	p.disk = make([]byte, p.size)
	return nil
}

func (p *ramdiskPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	c := &ramdiskConnection{disk: p.disk}
	if p.allocs.file != "" {
		return &countingConnection{ramdiskConnection: c, config: &p.allocs}, nil
	}
	return c, nil
}

func (c *ramdiskConnection) GetSize() (uint64, error)    { return uint64(len(c.disk)), nil }
func (c *ramdiskConnection) CanWrite() (bool, error)     { return true, nil }
func (c *ramdiskConnection) CanFlush() (bool, error)     { return true, nil }
func (c *ramdiskConnection) CanTrim() (bool, error)      { return true, nil }
func (c *ramdiskConnection) CanZero() (bool, error)      { return true, nil }
func (c *ramdiskConnection) CanMultiConn() (bool, error) { return true, nil }

func (c *ramdiskConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	copy(buf, c.disk[offset:])
	return nil
}

func (c *ramdiskConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	copy(c.disk[offset:], buf)
	return nil
}

// Flush has nothing to do: memory is as durable as this disk gets.
func (c *ramdiskConnection) Flush(flags uint32) error { return nil }

func (c *ramdiskConnection) Zero(count uint32, offset uint64, flags uint32) error {
	zeroBytes(c.disk[offset : offset+uint64(count)])
	return nil
}

func (c *ramdiskConnection) Trim(count uint32, offset uint64, flags uint32) error {
	zeroBytes(c.disk[offset : offset+uint64(count)])
	return nil
}

// zeroBytes is the loop that the compiler turns into memclr (the
// builtin clear needs Go 1.21).
func zeroBytes(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// Extents reports all data, in four pieces as bench/c-ramdisk does, so
// that the allocation count covers several calls of ExtentList.Add.
func (c *ramdiskConnection) Extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	piece := uint64(count / 4)
	if piece == 0 {
		piece = uint64(count)
	}
	for end := offset + uint64(count); offset < end; offset += piece {
		if end-offset < piece {
			piece = end - offset
		}
		if err := extents.Add(offset, piece, 0); err != nil {
			return fmt.Errorf("extent at %d: %w", offset, err)
		}
	}
	return nil
}

func init() {
	nbdkit.Register("goramdisk", &ramdiskPlugin{})
}

func main() {}
