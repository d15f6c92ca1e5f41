// Package main is a filter with every data method, each passing the
// request on, that counts the heap allocations of the requests it
// serves: from the start of its request number warmup to the start of
// request number $NBDKIT_FILTER_ALLOCS_LAST (the client's last), so
// that what the runtime does once per thread when the connection's
// threads exit, and the Finalize call itself, fall outside the window.
// Finalize appends "requests=N mallocs=M" to $NBDKIT_FILTER_ALLOCS.
// The memory plugin under it is C: the Go heap is the filter's alone.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"

	"libguestfs.org/nbdkit"
)

const warmup = 1000

type allocsFilter struct{ nbdkit.Filter }

type allocsConnection struct {
	nbdkit.FilterConnection
	last     uint64 // the number of the client's last request
	requests atomic.Uint64
	start    atomic.Uint64 // mallocs at request number warmup
	end      atomic.Uint64 // mallocs at request number last
}

func (f *allocsFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	last, err := strconv.ParseUint(os.Getenv("NBDKIT_FILTER_ALLOCS_LAST"), 10, 64)
	if err != nil || last <= warmup {
		return nil, fmt.Errorf("NBDKIT_FILTER_ALLOCS_LAST must be a number above %d", warmup)
	}
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	return &allocsConnection{last: last}, nil
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

// count is called at the start of each request.
func (c *allocsConnection) count() {
	switch c.requests.Add(1) {
	case warmup:
		c.start.Store(mallocs())
	case c.last:
		c.end.Store(mallocs())
	}
}

func (c *allocsConnection) Finalize(next nbdkit.Next) error {
	n := c.requests.Load()
	if n <= warmup {
		return nil
	}
	f, err := os.OpenFile(os.Getenv("NBDKIT_FILTER_ALLOCS"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if n < c.last {
		_, err = fmt.Fprintf(f, "only %d requests of %d\n", n, c.last)
	} else {
		_, err = fmt.Fprintf(f, "requests=%d mallocs=%d\n", c.last-warmup, c.end.Load()-c.start.Load())
	}
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
