// A RAM disk that every connection shares.
//
//	go build -buildmode=c-shared -o nbdkit-ramdisk-plugin.so
//	nbdkit -f -U /tmp/ramdisk.sock ./nbdkit-ramdisk-plugin.so size=64M
//	nbdinfo 'nbd+unix:///?socket=/tmp/ramdisk.sock'
//
// The disk lives in memory and is lost when nbdkit exits.  Memory is
// taken a page at a time when a page is first written, so a big disk
// that is mostly empty costs little, and Zero and Trim give whole pages
// back.
//
// It shows: a required parameter with a clear error, state shared by
// all connections and protected for the parallel thread model, and the
// Can* methods that enable PWrite, Zero and Trim.
package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	"libguestfs.org/nbdkit"
)

// ramdiskPlugin is the plugin: its configuration and the one disk that
// all connections share.
type ramdiskPlugin struct {
	nbdkit.Plugin
	size    uint64 // from size=
	sizeSet bool   // size= was given
	disk    *ramdisk
}

// ramdiskConnection is one client connection.  It holds no state of its
// own, only the shared disk.
type ramdiskConnection struct {
	nbdkit.Connection
	disk *ramdisk
}

// Compile-time checks that the types implement the interfaces: a
// misspelt method name is then an error here instead of a method that
// is silently never called.
var (
	_ nbdkit.PluginInterface     = (*ramdiskPlugin)(nil)
	_ nbdkit.ConnectionInterface = (*ramdiskConnection)(nil)
)

// Config is called once for each key=value on the nbdkit command line.
func (p *ramdiskPlugin) Config(key string, value string) error {
	switch key {
	case "size":
		size, err := parseSize(value)
		if err != nil {
			return fmt.Errorf("size=%s: %w", value, err)
		}
		p.size, p.sizeSet = size, true
		return nil
	default:
		// The embedded nbdkit.Plugin rejects any other key.
		return p.Plugin.Config(key, value)
	}
}

// ConfigComplete is called after the last Config: check that nothing
// required is missing, and create the disk.
func (p *ramdiskPlugin) ConfigComplete() error {
	if !p.sizeSet {
		return errors.New("the size parameter is required, for example size=64M")
	}
	p.disk = &ramdisk{size: p.size, pages: make(map[uint64]*[pageSize]byte)}
	return nil
}

// Open is called for each new connection.  A read-only connection
// (nbdkit -r) needs nothing special: nbdkit then never sends writes.
func (p *ramdiskPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &ramdiskConnection{disk: p.disk}, nil
}

// GetSize returns the size of the disk in bytes.
func (c *ramdiskConnection) GetSize() (uint64, error) {
	return c.disk.size, nil
}

// PWrite is only called if CanWrite returns true.  The embedded
// nbdkit.Connection says false (a read-only disk), so say yes here.
func (c *ramdiskConnection) CanWrite() (bool, error) { return true, nil }

// CanZero enables Zero.  Without it nbdkit would write zeroes with
// PWrite, which works but allocates pages that Zero gives back.
func (c *ramdiskConnection) CanZero() (bool, error) { return true, nil }

// CanTrim enables Trim.
func (c *ramdiskConnection) CanTrim() (bool, error) { return true, nil }

// CanMultiConn says that a client may open several connections at once
// and spread its requests over them: they all share one disk and none
// of them caches anything, so a write through one connection is seen
// by every other as soon as it completes.
func (c *ramdiskConnection) CanMultiConn() (bool, error) { return true, nil }

// There is no Flush, and CanFlush (from the embedded nbdkit.Connection)
// says false: memory has nothing to flush to.  Because Flush cannot be
// called, the binding does not advertise FUA (force unit access) to
// clients either.  That is safe: every write is complete, and visible
// to every connection, by the time PWrite returns.

// PRead fills buf with the data at offset.  nbdkit has already checked
// that the request lies within GetSize, and buf is nbdkit's own buffer,
// which must not be kept after PRead returns.
func (c *ramdiskConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	c.disk.read(buf, offset)
	return nil
}

// PWrite writes buf at offset.  The same rules as PRead apply to buf.
func (c *ramdiskConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	c.disk.write(buf, offset)
	return nil
}

// Zero writes count zero bytes at offset.  It always frees whole pages,
// so the flag nbdkit.FlagMayTrim (permission to do that) makes no
// difference.
func (c *ramdiskConnection) Zero(count uint32, offset uint64, flags uint32) error {
	c.disk.zero(count, offset)
	return nil
}

// Trim discards count bytes at offset.  A client must not rely on what
// a trimmed range reads back as; this disk makes it zeroes.
func (c *ramdiskConnection) Trim(count uint32, offset uint64, flags uint32) error {
	c.disk.zero(count, offset)
	return nil
}

// pageSize is the unit in which the disk takes and gives back memory.
const pageSize = 64 * 1024

// ramdisk is the data: a sparse array of pages.  A page that was never
// written, or was zeroed or trimmed as a whole, is absent and reads as
// zeroes.
//
// With the parallel thread model nbdkit calls PRead, PWrite, Zero and
// Trim from many threads at once, for one connection and for several.
// mu lets reads run together and gives each write the disk to itself,
// so the map never changes under a reader and no one sees half a write.
type ramdisk struct {
	size  uint64
	mu    sync.RWMutex
	pages map[uint64]*[pageSize]byte
}

func (d *ramdisk) read(buf []byte, offset uint64) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	forEachPage(offset, uint64(len(buf)), func(number, start, end uint64) {
		chunk := buf[:end-start]
		buf = buf[end-start:]
		if page := d.pages[number]; page != nil {
			copy(chunk, page[start:end])
		} else {
			zeroBytes(chunk)
		}
	})
}

func (d *ramdisk) write(buf []byte, offset uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	forEachPage(offset, uint64(len(buf)), func(number, start, end uint64) {
		page := d.pages[number]
		if page == nil {
			page = new([pageSize]byte)
			d.pages[number] = page
		}
		copy(page[start:end], buf)
		buf = buf[end-start:]
	})
}

func (d *ramdisk) zero(count uint32, offset uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	forEachPage(offset, uint64(count), func(number, start, end uint64) {
		if start == 0 && end == pageSize {
			delete(d.pages, number) // the whole page: free it
		} else if page := d.pages[number]; page != nil {
			zeroBytes(page[start:end])
		}
	})
}

// forEachPage splits the range of count bytes at offset at page
// boundaries, and calls fn with each page number and the part
// [start, end) of that page that the range covers, in order.
func forEachPage(offset, count uint64, fn func(number, start, end uint64)) {
	for count > 0 {
		number, start := offset/pageSize, offset%pageSize
		n := pageSize - start
		if n > count {
			n = count
		}
		fn(number, start, start+n)
		offset += n
		count -= n
	}
}

func zeroBytes(b []byte) {
	for i := range b {
		b[i] = 0
	}
}

// parseSize parses a number of bytes with an optional suffix K, M, G
// or T (in either case), each 1024 times the one before, as nbdkit's
// own size parameters do: 512, 64K, 100M, 2G, 1T.  nbdkit.ParseSize
// calls nbdkit's own parser, which knows more suffixes; this one is
// spelt out to show how to validate a parameter in Go.
func parseSize(s string) (uint64, error) {
	digits, shift := s, uint(0)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		case 't', 'T':
			shift = 40
		}
		if shift > 0 {
			digits = s[:n-1]
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, errors.New("too large for an NBD disk")
	}
	if err != nil {
		return 0, errors.New("not a size: give a number of bytes, " +
			"optionally followed by K, M, G or T")
	}
	// The NBD protocol's sizes are signed 64-bit numbers.
	if n > math.MaxInt64>>shift {
		return 0, errors.New("too large for an NBD disk")
	}
	return n << shift, nil
}

func init() {
	nbdkit.Register("ramdisk", &ramdiskPlugin{})
}

// main is never called, but package main must have one.
func main() {}
