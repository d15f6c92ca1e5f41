// Package main is an nbdkit filter written in Go that transforms data:
// every byte is XORed with a key on its way to the plugin and back, so
// the plugin stores the transformed data and clients see their own.
//
//	go build -buildmode=c-shared -o nbdkit-xor-filter.so
//	nbdkit --filter=./nbdkit-xor-filter.so memory 1G xor-key=0x5a
//
// Reads transform nbdkit's buffer in place.  Writes need a buffer of
// their own (the client's data must not change): each connection keeps
// one, grown to the largest write, so a request allocates nothing once
// the buffer has grown.  Zeroes do not read back as zeroes through an
// XOR, so the filter writes the key instead of passing zero requests
// on, and says that trimmed data is not zeroes.
package main

import (
	"sync"

	"libguestfs.org/nbdkit"
)

// xorFilter holds the key.
type xorFilter struct {
	nbdkit.Filter
	key byte
}

// xorConnection is one client's connection.
type xorConnection struct {
	nbdkit.FilterConnection
	key byte
	mu  sync.Mutex // writes of one connection may run in parallel
	buf []byte     // for the transformed data of a write
}

var (
	_ nbdkit.FilterConfigurer  = (*xorFilter)(nil)
	_ nbdkit.FilterReader      = (*xorConnection)(nil)
	_ nbdkit.FilterWriter      = (*xorConnection)(nil)
	_ nbdkit.FilterZeroer      = (*xorConnection)(nil)
	_ nbdkit.FilterZeroChecker = (*xorConnection)(nil)
	_ nbdkit.FilterTrimChecker = (*xorConnection)(nil)
	_ nbdkit.FilterExtenter    = (*xorConnection)(nil)
)

func (f *xorFilter) ConfigHelp() string {
	return "xor-key=BYTE  The key, 0 to 255 (default 0x5a)."
}

func (f *xorFilter) Config(next nbdkit.NextConfig, key, value string) error {
	if key != "xor-key" {
		return next.Config(key, value)
	}
	k, err := nbdkit.ParseUint8(key, value)
	f.key = k
	return err
}

func (f *xorFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &xorConnection{key: f.key}, nil
}

// xor transforms src into dst (which may be src).
func xor(dst, src []byte, key byte) {
	for i, b := range src {
		dst[i] = b ^ key
	}
}

// PRead reads the plugin's data into nbdkit's buffer, and transforms it
// in place.
func (c *xorConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	if err := next.PRead(buf, offset, flags); err != nil {
		return err
	}
	xor(buf, buf, c.key)
	return nil
}

// PWrite writes the transformed data from the connection's own buffer.
func (c *xorConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cap(c.buf) < len(buf) {
		c.buf = make([]byte, len(buf))
	}
	out := c.buf[:len(buf)]
	xor(out, buf, c.key)
	return next.PWrite(out, offset, flags)
}

// CanZero: nbdkit turns zero requests into writes of zeroes, unless
// the key is 0 and zeroes stay zeroes.
func (c *xorConnection) CanZero(next nbdkit.Next) (uint32, error) {
	if c.key == 0 {
		return next.CanZero()
	}
	return nbdkit.ZeroEmulate, nil
}

// Zero is only called with key 0 (see CanZero).
func (c *xorConnection) Zero(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	return next.Zero(count, offset, flags)
}

// CanTrim: trimmed data reads as the plugin likes; it is not zeroes
// here either way, so trim stays allowed.
func (c *xorConnection) CanTrim(next nbdkit.Next) (bool, error) { return next.CanTrim() }

// Extents: the plugin's holes read as the key, not as zeroes, through
// the filter: only the allocation is passed on.
func (c *xorConnection) Extents(next nbdkit.Next, count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	own, err := nbdkit.NewExtentList(offset, offset+uint64(count))
	if err != nil {
		return err
	}
	defer own.Free()
	if err := next.Extents(count, offset, flags, *own); err != nil {
		return err
	}
	for i := 0; i < own.Count(); i++ {
		e, err := own.Extent(i)
		if err != nil {
			return err
		}
		kind := e.Type
		if c.key != 0 {
			kind &^= nbdkit.ExtentZero
		}
		if err := extents.Add(e.Offset, e.Length, kind); err != nil {
			return err
		}
	}
	return nil
}

func init() { nbdkit.RegisterFilter("xor", &xorFilter{key: 0x5a}) }

func main() {}
