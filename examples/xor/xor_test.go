package main

// go test serves this filter over nbdkit's memory plugin, and a second
// server of the plain memory plugin shows what the plugin stores.

import (
	"bytes"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestXOR(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Plugin:  "memory",
		Params:  []string{"size=1M", "xor-key=0x0f"},
		Filters: []string{nbdkittest.BuildFilter(t, "")},
	})
	c := srv.Connect(t)

	data := []byte("hello, filters")
	if _, err := c.WriteAt(data, 4096); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if _, err := c.ReadAt(got, 4096); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
	// Never written: the plugin's zeroes read as the key.
	if _, err := c.ReadAt(got, 65536); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{0x0f}, len(got))) {
		t.Errorf("unwritten data reads %x, %v", got, err)
	}
	// Zero requests make zeroes, as clients expect.
	if err := c.Zero(uint64(len(data)), 4096, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadAt(got, 4096); err != nil || !bytes.Equal(got, make([]byte, len(got))) {
		t.Errorf("zeroed data reads %x, %v", got, err)
	}
	// No extent reads as zeroes through the filter.
	extents, err := c.BlockStatus(1<<20, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extents {
		if e.Flags&nbdkittest.StateZero != 0 {
			t.Errorf("extent %+v says zero", e)
		}
	}
}
