package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through a real NBD
// client.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

// newFile is a file of size bytes, each the low byte of its offset.
func newFile(t *testing.T, size int) (string, []byte) {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i)
	}
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file, data
}

func TestReaderAt(t *testing.T) {
	// A size that is not a multiple of any block size.
	file, data := newFile(t, 1<<20+100)
	srv := nbdkittest.Serve(t, nbdkittest.Options{Params: []string{"file=" + file}})
	c := srv.Connect(t)

	if c.Size() != uint64(len(data)) {
		t.Fatalf("Size = %d, want the file's %d", c.Size(), len(data))
	}
	// The whole file reads back, and ReadAt stops at its end with EOF.
	got := make([]byte, len(data)+50)
	n, err := c.ReadAt(got, 0)
	if n != len(data) || err != io.EOF {
		t.Fatalf("ReadAt of the whole file = %d, %v; want %d, EOF", n, err, len(data))
	}
	if !bytes.Equal(got[:n], data) {
		t.Error("the file reads back different data")
	}

	// An *os.File is an io.WriterAt and has Sync: writable, with Flush.
	if !c.CanWrite() || !c.CanFlush() {
		t.Fatal("CanWrite or CanFlush not advertised for an *os.File")
	}
	hello := []byte("hello, ReaderAt")
	if _, err := c.WriteAt(hello, int64(len(data))-int64(len(hello))); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	contents, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(contents, hello) {
		t.Error("the write did not reach the end of the file")
	}
}

func TestReaderAtReadOnly(t *testing.T) {
	file, data := newFile(t, 1<<20)
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Params: []string{"file=" + file, "readonly=true"}})
	c := srv.ConnectWith(t, nbdkittest.ConnectOptions{Unchecked: true})

	// An io.SectionReader is only an io.ReaderAt: a read-only export.
	if c.CanWrite() || c.CanFlush() {
		t.Error("a read-only io.ReaderAt advertises writes or flush")
	}
	got := make([]byte, 4096)
	if _, err := c.ReadAt(got, 8192); err != nil || !bytes.Equal(got, data[8192:8192+4096]) {
		t.Errorf("ReadAt: %v, or different data", err)
	}
	// The write reaches nbdkit, which refuses it.
	if err := c.PWrite([]byte("x"), 0, 0); !errors.Is(err, syscall.EPERM) &&
		!errors.Is(err, syscall.EROFS) {
		t.Errorf("write to readonly=true: %v, want EPERM or EROFS", err)
	}
}
