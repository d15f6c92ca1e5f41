package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through real NBD
// clients.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"strings"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestRamdisk(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{Params: []string{"size=1M"}})
	c := srv.Connect(t)

	if c.Size() != 1<<20 {
		t.Fatalf("Size = %d, want 1M", c.Size())
	}
	// Data written across a page boundary reads back, from this
	// connection and from another one: all connections share the disk.
	data := bytes.Repeat([]byte("ramdisk "), 2*pageSize/8)
	if _, err := c.WriteAt(data, pageSize/2); err != nil {
		t.Fatal(err)
	}
	other := srv.Connect(t)
	got := make([]byte, len(data))
	if _, err := other.ReadAt(got, pageSize/2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("another connection reads different data")
	}

	// Zero and Trim make the range read as zeroes.
	if err := c.Zero(pageSize, pageSize/2, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Trim(pageSize, 3*pageSize/2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadAt(got, pageSize/2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, make([]byte, len(got))) {
		t.Error("zeroed and trimmed data does not read as zeroes")
	}

	// What the Can* methods say reaches the client.
	if !c.CanWrite() || !c.CanZero() || !c.CanTrim() || !c.CanMultiConn() {
		t.Error("CanWrite, CanZero, CanTrim or CanMultiConn not advertised")
	}
	// No Flush: no flush and no FUA.
	if c.CanFlush() || c.CanFUA() {
		t.Error("flush or FUA advertised without Flush")
	}
}

func TestRamdiskNeedsSize(t *testing.T) {
	nbdkittest.Nbdkit(t) // Start needs it: fail or skip as Serve does
	srv, err := nbdkittest.Start(nbdkittest.Options{Params: []string{"size=64Q"}})
	if err == nil {
		srv.Stop()
		t.Fatal("size=64Q accepted")
	}
	if !strings.Contains(err.Error(), "size=64Q: not a size") {
		t.Errorf("the error does not explain: %v", err)
	}
	if _, err := nbdkittest.Start(nbdkittest.Options{}); err == nil ||
		!strings.Contains(err.Error(), "the size parameter is required") {
		t.Errorf("without size=: %v", err)
	}
}
