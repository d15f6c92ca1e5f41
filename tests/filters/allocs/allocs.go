// Package main is a filter with every data method, each passing the
// request on, that counts the heap allocations of the requests it
// serves: from its 1000th request to the connection's Finalize, it
// appends "requests=N mallocs=M" to $NBDKIT_FILTER_ALLOCS.  The memory
// plugin under it is C: the Go heap is the filter's alone.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"

	"libguestfs.org/nbdkit"
)

const warmup = 1000

type allocsFilter struct{ nbdkit.Filter }

type allocsConnection struct {
	nbdkit.FilterConnection
	requests atomic.Uint64
	mallocs  atomic.Uint64 // at request number warmup
}

func (f *allocsFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &allocsConnection{}, nil
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// count is called at each request.
func (c *allocsConnection) count() {
	if c.requests.Add(1) == warmup {
		c.mallocs.Store(mallocs())
	}
}

func (c *allocsConnection) Finalize(next nbdkit.Next) error {
	end := mallocs()
	n := c.requests.Load()
	if n <= warmup {
		return nil
	}
	f, err := os.OpenFile(os.Getenv("NBDKIT_FILTER_ALLOCS"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "requests=%d mallocs=%d\n", n-warmup, end-c.mallocs.Load())
	return err
}

func (c *allocsConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	c.count()
	return next.PRead(buf, offset, flags)
}

func (c *allocsConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	c.count()
	return next.PWrite(buf, offset, flags)
}

func (c *allocsConnection) Zero(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	c.count()
	return next.Zero(count, offset, flags)
}

func (c *allocsConnection) Trim(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	c.count()
	return next.Trim(count, offset, flags)
}

func (c *allocsConnection) Flush(next nbdkit.Next, flags uint32) error {
	c.count()
	return next.Flush(flags)
}

func (c *allocsConnection) CanWrite(next nbdkit.Next) (bool, error) { return next.CanWrite() }

func init() { nbdkit.RegisterFilter("allocs", &allocsFilter{}) }

func main() {}
