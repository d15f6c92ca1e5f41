// A sparse RAM disk that tells clients where its holes are.
//
//	go build -buildmode=c-shared -o nbdkit-sparse-plugin.so
//	nbdkit -f -U /tmp/sparse.sock ./nbdkit-sparse-plugin.so size=1G
//	nbdinfo --map 'nbd+unix:///?socket=/tmp/sparse.sock'
//
// Memory is taken a page at a time when a page is first written; Zero
// and Trim give whole pages back.  Beyond the ramdisk example it shows
// the optional interfaces of a connection:
//
//   - Extenter: block status (nbdinfo --map, qemu-img map, nbdcopy skip
//     the holes);
//   - FastZeroChecker: zeroing is always fast here, so fast zero
//     requests are accepted;
//   - FUAChecker with FUANative: RAM is as durable as it gets, so a FUA
//     write needs no Flush at all;
//   - CacheChecker and Cacher: prefetching RAM is a no-op that succeeds;
//   - a debug flag: nbdkit -D sparse.extents=1 logs every block status
//     request (see debugflags.go).
package main

import (
	"errors"
	"fmt"
	"sync"

	"libguestfs.org/nbdkit"
)

const pageSize = 32 * 1024

type sparsePlugin struct {
	nbdkit.Plugin
	size uint64
	disk *sparseDisk
}

type sparseConnection struct {
	nbdkit.Connection
	disk *sparseDisk
}

// The compile-time checks catch a misspelt or mistyped method, which
// would otherwise silently never be called.
var (
	_ nbdkit.PluginInterface     = (*sparsePlugin)(nil)
	_ nbdkit.Versioner           = (*sparsePlugin)(nil)
	_ nbdkit.ConfigHelper        = (*sparsePlugin)(nil)
	_ nbdkit.MagicConfigKeyer    = (*sparsePlugin)(nil)
	_ nbdkit.ConnectionInterface = (*sparseConnection)(nil)
	_ nbdkit.Extenter            = (*sparseConnection)(nil)
	_ nbdkit.FastZeroChecker     = (*sparseConnection)(nil)
	_ nbdkit.FUAChecker          = (*sparseConnection)(nil)
	_ nbdkit.CacheChecker        = (*sparseConnection)(nil)
	_ nbdkit.Cacher              = (*sparseConnection)(nil)
)

func (p *sparsePlugin) Version() string { return "1.0" }

func (p *sparsePlugin) ConfigHelp() string {
	return "size=<SIZE>  (required) Size of the disk, e.g. 1G."
}

// MagicConfigKey lets users write nbdkit ./plugin.so 1G for size=1G.
func (p *sparsePlugin) MagicConfigKey() string { return "size" }

func (p *sparsePlugin) Config(key, value string) error {
	if key != "size" {
		return p.Plugin.Config(key, value)
	}
	// nbdkit's own parser: the same suffixes as every other plugin.
	size, err := nbdkit.ParseSize(value)
	if err != nil {
		return err
	}
	p.size = uint64(size)
	return nil
}

func (p *sparsePlugin) ConfigComplete() error {
	if p.size == 0 {
		return errors.New("the size parameter is required, for example size=1G")
	}
	p.disk = &sparseDisk{size: p.size, pages: make(map[uint64]*[pageSize]byte)}
	return nil
}

func (p *sparsePlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &sparseConnection{disk: p.disk}, nil
}

func (c *sparseConnection) GetSize() (uint64, error)           { return c.disk.size, nil }
func (c *sparseConnection) CanWrite() (bool, error)            { return true, nil }
func (c *sparseConnection) CanTrim() (bool, error)             { return true, nil }
func (c *sparseConnection) CanZero() (bool, error)             { return true, nil }
func (c *sparseConnection) CanMultiConn() (bool, error)        { return true, nil }
func (c *sparseConnection) CanFastZero() (bool, error)         { return true, nil }
func (c *sparseConnection) CanFUA() (uint32, error)            { return nbdkit.FUANative, nil }
func (c *sparseConnection) CanCache() (uint32, error)          { return nbdkit.CacheNative, nil }
func (c *sparseConnection) Cache(uint32, uint64, uint32) error { return nil }

func (c *sparseConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	c.disk.read(buf, offset)
	return nil
}

// PWrite may see nbdkit.FlagFUA; the data is in RAM once copied, so
// there is nothing more to do for it.
func (c *sparseConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	c.disk.write(buf, offset)
	return nil
}

func (c *sparseConnection) Trim(count uint32, offset uint64, flags uint32) error {
	c.disk.zero(offset, uint64(count))
	return nil
}

// Zero is always fast here (pages are dropped, partial pages cleared),
// so nbdkit.FlagFastZero needs no special case.
func (c *sparseConnection) Zero(count uint32, offset uint64, flags uint32) error {
	c.disk.zero(offset, uint64(count))
	return nil
}

// Extents reports each run of pages: allocated pages are data, missing
// ones are holes that read as zeroes.
func (c *sparseConnection) Extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	if debugExtents() {
		nbdkit.Debug(fmt.Sprintf("sparse: extents of %d bytes at %d, flags %#x", count, offset, flags))
	}
	return c.disk.extents(offset, uint64(count), flags&nbdkit.FlagReqOne != 0, extents)
}

// sparseDisk is the disk all connections share.
type sparseDisk struct {
	size  uint64
	mu    sync.RWMutex
	pages map[uint64]*[pageSize]byte // by page number; missing = zeroes
}

// each calls f for every page touched by the range, with the part of
// the page that the range covers.
func each(offset, count uint64, f func(page, start, end uint64)) {
	for count > 0 {
		page, start := offset/pageSize, offset%pageSize
		n := pageSize - start
		if n > count {
			n = count
		}
		f(page, start, start+n)
		offset += n
		count -= n
	}
}

func (d *sparseDisk) read(buf []byte, offset uint64) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	done := uint64(0)
	each(offset, uint64(len(buf)), func(page, start, end uint64) {
		dst := buf[done : done+end-start]
		if p := d.pages[page]; p != nil {
			copy(dst, p[start:end])
		} else {
			for i := range dst {
				dst[i] = 0
			}
		}
		done += end - start
	})
}

func (d *sparseDisk) write(buf []byte, offset uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	done := uint64(0)
	each(offset, uint64(len(buf)), func(page, start, end uint64) {
		p := d.pages[page]
		if p == nil {
			p = new([pageSize]byte)
			d.pages[page] = p
		}
		copy(p[start:end], buf[done:])
		done += end - start
	})
}

func (d *sparseDisk) zero(offset, count uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	each(offset, count, func(page, start, end uint64) {
		p := d.pages[page]
		switch {
		case p == nil:
		case start == 0 && end == pageSize:
			delete(d.pages, page)
		default:
			for i := start; i < end; i++ {
				p[i] = 0
			}
		}
	})
}

// extents adds one extent per run of allocated or missing pages,
// starting at the page that contains offset.
func (d *sparseDisk) extents(offset, count uint64, one bool, extents nbdkit.ExtentList) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	end := offset + count
	runStart := offset / pageSize * pageSize
	runType := d.pageType(offset / pageSize)
	for page := offset/pageSize + 1; page*pageSize < end; page++ {
		if t := d.pageType(page); t != runType {
			if err := extents.Add(runStart, page*pageSize-runStart, runType); err != nil {
				return err
			}
			if one {
				return nil // FlagReqOne: the first extent is enough
			}
			runStart, runType = page*pageSize, t
		}
	}
	runEnd := (end + pageSize - 1) / pageSize * pageSize
	if runEnd > d.size {
		runEnd = d.size
	}
	return extents.Add(runStart, runEnd-runStart, runType)
}

func (d *sparseDisk) pageType(page uint64) uint32 {
	if d.pages[page] != nil {
		return 0 // data
	}
	return nbdkit.ExtentHole | nbdkit.ExtentZero
}

func init() {
	nbdkit.Register("sparse", &sparsePlugin{})
}

func main() {}
