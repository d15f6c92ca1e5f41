// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"errors"
	"fmt"
	"io"
)

// TrimmerAt is what a value served by [NewReaderAtConnection] implements
// to be trimmed: TrimAt discards length bytes at offset, which then
// read as zeroes (on a file, punch a hole).
type TrimmerAt interface {
	TrimAt(offset, length int64) error
}

// NewReaderAtConnection returns a connection that serves size bytes
// of r: the most common plugin, in a few lines.
//
//	func (p *filePlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
//		return nbdkit.NewReaderAtConnection(p.file, p.size), nil
//	}
//
// What r implements decides what the export can do: with [io.WriterAt]
// it is writable (unless nbdkit runs with -r), with Sync() error (as
// [*os.File] has) it has Flush (and FUA), with [TrimmerAt] it has Trim.
// Zeroes are written with WriteAt.  A read that reaches the end of r
// ([io.EOF]) before size reads as zeroes past it, so a file shorter than
// size, or a [bytes.Reader], serves as a disk of size bytes; any other
// error from r reaches the client with its errno, if it carries one.
// r must be safe for concurrent ReadAt and WriteAt calls, as
// *os.File, *bytes.Reader and *io.SectionReader are.
//
// The connection does nothing on Close: close r yourself.  Embed the
// result to add methods of your own, such as the optional interfaces of
// a connection ([Extenter], [BlockSizer]...).
func NewReaderAtConnection(r io.ReaderAt, size uint64) ConnectionInterface {
	c := &readerAtConnection{r: r, size: size}
	c.w, _ = r.(io.WriterAt)
	c.sync, _ = r.(interface{ Sync() error })
	c.trim, _ = r.(TrimmerAt)
	return c
}

type readerAtConnection struct {
	Connection
	r    io.ReaderAt
	w    io.WriterAt
	sync interface{ Sync() error }
	trim TrimmerAt
	size uint64
}

func (c *readerAtConnection) GetSize() (uint64, error) { return c.size, nil }
func (c *readerAtConnection) CanWrite() (bool, error)  { return c.w != nil, nil }
func (c *readerAtConnection) CanFlush() (bool, error)  { return c.sync != nil, nil }
func (c *readerAtConnection) CanTrim() (bool, error)   { return c.trim != nil, nil }

// errNoProgress: ReadAt returned neither data nor an error.
var errNoProgress = errors.New("ReadAt returned no data and no error")

func (c *readerAtConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	for n := 0; n < len(buf); {
		m, err := c.r.ReadAt(buf[n:], int64(offset)+int64(n))
		n += m
		switch {
		case n == len(buf):
			return nil // io.EOF with the last byte is fine
		case err == io.EOF:
			zeroes := buf[n:]
			for i := range zeroes {
				zeroes[i] = 0
			}
			return nil
		case err != nil:
			return err
		case m == 0:
			return fmt.Errorf("PRead at %d: %w", offset+uint64(n), errNoProgress)
		}
	}
	return nil
}

func (c *readerAtConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	_, err := c.w.WriteAt(buf, int64(offset))
	return err
}

func (c *readerAtConnection) Flush(flags uint32) error { return c.sync.Sync() }

func (c *readerAtConnection) Trim(count uint32, offset uint64, flags uint32) error {
	return c.trim.TrimAt(int64(offset), int64(count))
}
