// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// shortReader returns at most 3 bytes per ReadAt, and EOF after 10.
type shortReader struct{}

func (shortReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= 10 {
		return 0, io.EOF
	}
	n := copy(p, bytes.Repeat([]byte("x"), 3))
	if int(off)+n > 10 {
		n = 10 - int(off)
	}
	return n, nil
}

func TestReaderAtConnection(t *testing.T) {
	// A bytes.Reader: read-only, EOF past its end reads as zeroes.
	c := NewReaderAtConnection(bytes.NewReader([]byte("hello")), 16)
	if ok, _ := c.CanWrite(); ok {
		t.Errorf("a bytes.Reader is writable")
	}
	buf := bytes.Repeat([]byte{0xff}, 16)
	if err := c.PRead(buf, 0, 0); err != nil || !bytes.Equal(buf, append([]byte("hello"), make([]byte, 11)...)) {
		t.Errorf("PRead: %q %v", buf, err)
	}
	// Short reads are retried; the tail past EOF is zeroes.
	c = NewReaderAtConnection(shortReader{}, 16)
	buf = bytes.Repeat([]byte{0xff}, 14)
	if err := c.PRead(buf, 2, 0); err != nil || !bytes.Equal(buf, append(bytes.Repeat([]byte("x"), 8), make([]byte, 6)...)) {
		t.Errorf("PRead of short reads: %q %v", buf, err)
	}
	// A file: writable, Flush; an error carries its errno.
	path := filepath.Join(t.TempDir(), "disk")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c = NewReaderAtConnection(f, 4096)
	if w, _ := c.CanWrite(); !w {
		t.Errorf("an *os.File is not writable")
	}
	if fl, _ := c.CanFlush(); !fl {
		t.Errorf("an *os.File has no Flush")
	}
	if tr, _ := c.CanTrim(); tr {
		t.Errorf("an *os.File has Trim")
	}
	if err := c.PWrite([]byte("data"), 100, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(0); err != nil {
		t.Fatal(err)
	}
	buf = make([]byte, 8)
	if err := c.PRead(buf, 98, 0); err != nil || string(buf) != "\x00\x00data\x00\x00" {
		t.Errorf("read back: %q %v", buf, err)
	}
	f.Close()
	if err := c.PRead(buf, 0, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read from a closed file: %v", err)
	}
}
