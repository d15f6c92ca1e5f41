package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through a real NBD
// client.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

// newDisk is a 1 MiB file for the plugin to serve.
func newDisk(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestDisk(t *testing.T) {
	file := newDisk(t)
	srv := nbdkittest.Serve(t, nbdkittest.Options{Params: []string{"file=" + file}})
	c := srv.Connect(t)

	if c.Size() != 1<<20 {
		t.Fatalf("Size = %d, want the file's 1 MiB", c.Size())
	}
	data := []byte("written through NBD")
	if _, err := c.WriteAt(data, 4096); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	// The data is in the file.
	contents, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(contents[4096:4096+len(data)], data) {
		t.Error("the write did not reach the file")
	}

	// Flush enables FUA, emulated by nbdkit with Flush.
	if !c.CanFlush() || !c.CanFUA() || !c.CanTrim() || !c.CanMultiConn() {
		t.Error("CanFlush, CanFUA, CanTrim or CanMultiConn not advertised")
	}
	if err := c.PWrite(data, 8192, nbdkittest.FUA); err != nil {
		t.Fatal(err)
	}

	// Trim punches a hole that reads as zeroes.  A file system that
	// cannot punch holes answers EOPNOTSUPP, which reaches the client.
	err = c.Trim(65536, 0, 0)
	if errors.Is(err, syscall.EOPNOTSUPP) {
		t.Logf("trim: %v (this file system cannot punch holes)", err)
	} else if err != nil {
		t.Fatal(err)
	} else {
		got := make([]byte, 65536)
		if _, err := c.ReadAt(got, 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, make([]byte, len(got))) {
			t.Error("a trimmed range does not read as zeroes")
		}
	}
}

func TestDiskReadOnly(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Params: []string{"file=" + newDisk(t), "readonly=yes"}})
	c := srv.ConnectWith(t, nbdkittest.ConnectOptions{Unchecked: true})
	if c.CanWrite() {
		t.Error("readonly=yes: the export is writable")
	}
	// The write reaches nbdkit, which refuses it.
	if err := c.PWrite([]byte("x"), 0, 0); !errors.Is(err, syscall.EPERM) &&
		!errors.Is(err, syscall.EROFS) {
		t.Errorf("write to readonly=yes: %v, want EPERM or EROFS", err)
	}
}

func TestDiskMissingFile(t *testing.T) {
	nbdkittest.Nbdkit(t) // Start needs it: fail or skip as Serve does
	_, err := nbdkittest.Start(nbdkittest.Options{
		Params: []string{"file=" + filepath.Join(t.TempDir(), "none.img")}})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("a missing file: %v, want nbdkit to refuse to start", err)
	}
}
