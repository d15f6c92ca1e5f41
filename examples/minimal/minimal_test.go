package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through a real NBD
// client.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"errors"
	"syscall"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestMinimal(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{})
	c := srv.Connect(t)

	if c.Size() != size {
		t.Errorf("Size = %d, want %d", c.Size(), size)
	}
	buf := bytes.Repeat([]byte{0xff}, 4096)
	if _, err := c.ReadAt(buf, size-4096); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, make([]byte, 4096)) {
		t.Error("the disk does not read as zeroes")
	}

	// Without CanWrite the disk is read-only, and says so.
	if c.CanWrite() || c.CanFlush() || c.CanTrim() || c.CanZero() {
		t.Error("a plugin with only Open, GetSize and PRead advertises writes")
	}
	// A write sent anyway is refused by nbdkit with EPERM.
	u := srv.ConnectWith(t, nbdkittest.ConnectOptions{Unchecked: true})
	if err := u.PWrite([]byte("hello"), 0, 0); !errors.Is(err, syscall.EPERM) {
		t.Errorf("write: %v, want EPERM", err)
	}
}
