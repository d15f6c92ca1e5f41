package main

// go test builds this filter with go build -buildmode=c-shared, serves
// it with the real nbdkit over its memory plugin, and checks it through
// a real NBD client.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestGuard(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Plugin:  "memory",
		Params:  []string{"size=1M", "guard-offset=64K", "guard-length=64K"},
		Filters: []string{nbdkittest.BuildFilter(t, "")},
	})
	c := srv.Connect(t)

	// Outside the range: written and read back.
	data := bytes.Repeat([]byte("go"), 2048)
	if _, err := c.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if _, err := c.ReadAt(got, 0); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q..., %v", got[:8], err)
	}
	// Touching the range: EPERM, and the data is unchanged.
	if _, err := c.WriteAt(data, 64*1024-1024); !errors.Is(err, syscall.EPERM) {
		t.Errorf("write into the guarded range: %v, want EPERM", err)
	}
	if err := c.Zero(4096, 100*1024, 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("zero in the guarded range: %v, want EPERM", err)
	}
	if err := c.Trim(4096, 127*1024, 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("trim over the guarded range: %v, want EPERM", err)
	}
	if _, err := c.ReadAt(got, 64*1024-1024); err != nil || !bytes.Equal(got, make([]byte, len(got))) {
		t.Errorf("the guarded range changed: %q..., %v", got[:8], err)
	}
	// Just after it: allowed.
	if _, err := c.WriteAt(data, 128*1024); err != nil {
		t.Errorf("write after the guarded range: %v", err)
	}
}
