// Package main is an nbdkit filter written in Go: it guards a range of
// the disk against writes, over any plugin.
//
//	go build -buildmode=c-shared -o nbdkit-guard-filter.so
//	nbdkit --filter=./nbdkit-guard-filter.so memory 1G guard-offset=0 guard-length=1M
//
// Reads go through untouched.  A write, trim or zero that touches the
// guarded range fails with EPERM, and reaches the plugin not at all;
// everything else (and every method the filter does not have) passes
// straight to the plugin, in C, without a call into Go.
package main

import (
	"fmt"
	"syscall"

	"libguestfs.org/nbdkit"
)

// guardFilter holds the guarded range, set by the command line.
type guardFilter struct {
	nbdkit.Filter
	offset, length uint64
}

// guardConnection is one client's connection: the filter's methods
// for the requests it checks.
type guardConnection struct {
	nbdkit.FilterConnection
	filter *guardFilter
}

// The filter's and the connection's optional methods, checked at
// compile time.
var (
	_ nbdkit.FilterConfigurer = (*guardFilter)(nil)
	_ nbdkit.FilterWriter     = (*guardConnection)(nil)
	_ nbdkit.FilterTrimmer    = (*guardConnection)(nil)
	_ nbdkit.FilterZeroer     = (*guardConnection)(nil)
)

func (f *guardFilter) ConfigHelp() string {
	return "guard-offset=OFFSET  Start of the guarded range (default 0).\n" +
		"guard-length=LENGTH  Size of the guarded range (default 0: nothing)."
}

// Config takes the filter's own keys and passes the plugin's on.
func (f *guardFilter) Config(next nbdkit.NextConfig, key, value string) error {
	var err error
	switch key {
	case "guard-offset":
		f.offset, err = parseSize(key, value)
	case "guard-length":
		f.length, err = parseSize(key, value)
	default:
		return next.Config(key, value)
	}
	return err
}

func parseSize(key, value string) (uint64, error) {
	n, err := nbdkit.ParseSizeOf(key, value)
	if err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// Open opens the plugin with the client's arguments.
func (f *guardFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &guardConnection{filter: f}, nil
}

// check refuses a request that overlaps the guarded range.
func (c *guardConnection) check(what string, count, offset uint64) error {
	f := c.filter
	if f.length == 0 || offset+count <= f.offset || offset >= f.offset+f.length {
		return nil
	}
	return nbdkit.PluginError{
		Errmsg: fmt.Sprintf("%s of %d bytes at %d: the range from %d to %d is guarded",
			what, count, offset, f.offset, f.offset+f.length),
		Errno: syscall.EPERM,
	}
}

func (c *guardConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	if err := c.check("write", uint64(len(buf)), offset); err != nil {
		return err
	}
	return next.PWrite(buf, offset, flags)
}

func (c *guardConnection) Trim(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	if err := c.check("trim", uint64(count), offset); err != nil {
		return err
	}
	return next.Trim(count, offset, flags)
}

func (c *guardConnection) Zero(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	if err := c.check("zero", uint64(count), offset); err != nil {
		return err
	}
	return next.Zero(count, offset, flags)
}

func init() { nbdkit.RegisterFilter("guard", &guardFilter{}) }

func main() {}
