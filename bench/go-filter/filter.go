// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Package main is the benchmarks' Go filter: its PRead and PWrite pass
// each request on to the next layer, so that a stack with it costs, over
// the same stack without it, one crossing into Go and one back to C per
// request (see bench/run's filter part).
package main

import "libguestfs.org/nbdkit"

type benchFilter struct{ nbdkit.Filter }

type benchConnection struct{ nbdkit.FilterConnection }

func (f *benchFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &benchConnection{}, nil
}

func (c *benchConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	return next.PRead(buf, offset, flags)
}

func (c *benchConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	return next.PWrite(buf, offset, flags)
}

func init() { nbdkit.RegisterFilter("bench", &benchFilter{}) }

func main() {}
