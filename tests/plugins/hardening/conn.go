package main

// Connections and the disk they share.

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"libguestfs.org/nbdkit"
)

type conn struct {
	nbdkit.Connection
	own         *faults // this connection's, from the export name
	extentsMode string
	closeCount  int32
	stop        chan struct{} // closed by Close: the worker returns
}

var (
	_ nbdkit.FUAChecker      = (*conn)(nil)
	_ nbdkit.FastZeroChecker = (*conn)(nil)
	_ nbdkit.CacheChecker    = (*conn)(nil)
	_ nbdkit.Cacher          = (*conn)(nil)
	_ nbdkit.ExtentsChecker  = (*conn)(nil)
	_ nbdkit.Extenter        = (*conn)(nil)
	_ nbdkit.ExportDescriber = (*conn)(nil)
	_ nbdkit.BlockSizer      = (*conn)(nil)
)

func (p *hardeningPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	name, _ := nbdkit.ExportName()
	if config.connLog {
		tls, _ := nbdkit.IsTLS()
		callLog.Printf("Open export=%q readonly=%t tls=%t", name, readonly, tls)
	}
	c := &conn{own: newFaults()}
	if err := c.useExportName(name); err != nil {
		return nil, err
	}
	if err := c.check("Open"); err != nil {
		return nil, err
	}
	if config.requireTLS {
		if tls, err := nbdkit.IsTLS(); err != nil || !tls {
			return nil, nbdkit.PluginError{Errmsg: "refusing a client without TLS",
				Errno: permissionDenied}
		}
	}
	atomic.AddInt64(&opens, 1)
	c.stop = make(chan struct{})
	atomic.AddInt64(&workers, 1)
	go worker(c.stop)
	runtime.SetFinalizer(c, func(*conn) { atomic.AddInt64(&finalized, 1) })
	return c, nil
}

// worker stands for a connection's background work; it must not refer
// to the connection, or the connection could never be collected.
func worker(stop chan struct{}) {
	defer atomic.AddInt64(&workers, -1)
	<-stop
}

// useExportName does what the export name asks (see hardening.go).
func (c *conn) useExportName(name string) error {
	verb, arg, _ := strings.Cut(name, ":")
	switch verb {
	case "fail":
		return c.own.addFailure(arg)
	case "panic":
		c.own.panics[arg] = true
	case "debug", "error":
		n, err := strconv.Atoi(arg)
		if err != nil {
			return fmt.Errorf("export %q: %w", name, err)
		}
		report := nbdkit.Debug
		if verb == "error" {
			report = nbdkit.Error
		}
		for i := 0; i < n; i++ {
			msg := fmt.Sprintf("hardening: message %d of %d", i, n)
			if i%16 == 0 {
				msg += "\x00with a NUL byte"
			}
			report(msg)
		}
	case "stats":
		collect()
		settle()
		callLog.Printf("stats %s goroutines=%d", counts(), runtime.NumGoroutine())
	case "extents":
		c.extentsMode = arg
	}
	return nil
}

// check fails or panics if the plugin or this connection is to.
func (c *conn) check(method string) error {
	if err := pluginFaults.check(method); err != nil {
		return err
	}
	if err := c.own.check(method); err != nil {
		return err
	}
	return randomFailure(method)
}

func (c *conn) Close() {
	if atomic.AddInt32(&c.closeCount, 1) != 1 {
		atomic.AddInt64(&doubleCloses, 1)
		return
	}
	atomic.AddInt64(&closes, 1)
	close(c.stop)
	if config.connLog {
		callLog.Printf("Close")
	}
	pluginFaults.mustNotFail("Close")
	c.own.mustNotFail("Close")
}

// answer is a Can* method: yes, unless it fails.
func (c *conn) answer(method string) (bool, error) {
	if err := c.check(method); err != nil {
		return false, err
	}
	return method != "IsRotational", nil
}

func (c *conn) GetSize() (uint64, error) {
	if err := c.check("GetSize"); err != nil {
		return 0, err
	}
	return disk.size, nil
}

func (c *conn) CanWrite() (bool, error)     { return c.answer("CanWrite") }
func (c *conn) CanFlush() (bool, error)     { return c.answer("CanFlush") }
func (c *conn) IsRotational() (bool, error) { return c.answer("IsRotational") }
func (c *conn) CanTrim() (bool, error)      { return c.answer("CanTrim") }
func (c *conn) CanZero() (bool, error)      { return c.answer("CanZero") }
func (c *conn) CanMultiConn() (bool, error) { return c.answer("CanMultiConn") }
func (c *conn) CanFastZero() (bool, error)  { return c.answer("CanFastZero") }
func (c *conn) CanExtents() (bool, error)   { return c.answer("CanExtents") }

func (c *conn) CanFUA() (uint32, error) {
	if err := c.check("CanFUA"); err != nil {
		return 0, err
	}
	return nbdkit.FUANative, nil
}

func (c *conn) CanCache() (uint32, error) {
	if err := c.check("CanCache"); err != nil {
		return 0, err
	}
	return nbdkit.CacheNative, nil
}

func (c *conn) ExportDescription() (string, error) {
	if err := c.check("ExportDescription"); err != nil {
		return "", err
	}
	return "the hardening test disk", nil
}

func (c *conn) BlockSize() (uint32, uint32, uint32, error) {
	if err := c.check("BlockSize"); err != nil {
		return 0, 0, 0, err
	}
	return config.blockSize[0], config.blockSize[1], config.blockSize[2], nil
}

func (c *conn) PRead(buf []byte, offset uint64, flags uint32) error {
	if err := c.check("PRead"); err != nil {
		return err
	}
	disk.read(buf, offset)
	return nil
}

func (c *conn) PWrite(buf []byte, offset uint64, flags uint32) error {
	if err := c.check("PWrite"); err != nil {
		return err
	}
	disk.write(buf, offset)
	return nil
}

func (c *conn) Flush(flags uint32) error { return c.check("Flush") }

func (c *conn) Trim(count uint32, offset uint64, flags uint32) error {
	if err := c.check("Trim"); err != nil {
		return err
	}
	disk.zero(offset, uint64(count))
	return nil
}

func (c *conn) Zero(count uint32, offset uint64, flags uint32) error {
	if err := c.check("Zero"); err != nil {
		return err
	}
	disk.zero(offset, uint64(count))
	return nil
}

func (c *conn) Cache(count uint32, offset uint64, flags uint32) error {
	return c.check("Cache")
}

func (c *conn) Extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	if err := c.check("Extents"); err != nil {
		return err
	}
	switch c.extentsMode {
	case "many": // a 512 byte extent at a time, alternating types
		for o := offset; o < offset+uint64(count); o += 512 {
			if err := extents.Add(o, 512, uint32(o/512%2)*nbdkit.ExtentZero); err != nil {
				return err
			}
		}
		return nil
	case "zerolen": // an empty extent first
		if err := extents.Add(offset, 0, 0); err != nil {
			return err
		}
	case "huge": // offset + length overflows
		return extents.Add(offset, math.MaxUint64, 0)
	case "random":
		return randomExtents(count, offset, flags, extents)
	}
	return disk.extents(offset, uint64(count), flags&nbdkit.FlagReqOne != 0, extents)
}

// randomExtents adds up to 20 extents chosen at random from the
// request (so the same request gets the same answer): mostly good,
// sometimes empty, unknown types, gaps, overlaps, starting before the
// request or overflowing the offset.  nbdkit and the binding must
// refuse the bad ones and never send a client a wrong reply.
func randomExtents(count uint32, offset uint64, flags uint32, extents nbdkit.ExtentList) error {
	r := rand.New(rand.NewSource(int64(offset) ^ int64(count)<<24 ^ int64(flags)<<56))
	o := offset
	if r.Intn(8) == 0 && o >= 4096 {
		o -= uint64(r.Intn(4096))
	}
	for i := r.Intn(20); i >= 0; i-- {
		length := uint64(r.Intn(4)) * uint64(r.Intn(1<<17))
		switch r.Intn(40) {
		case 0:
			length = math.MaxUint64 - uint64(r.Intn(1<<20))
		case 1:
			o += uint64(r.Intn(4096)) // a gap
		case 2:
			if o >= 512 {
				o -= uint64(r.Intn(512)) // an overlap
			}
		}
		if err := extents.Add(o, length, uint32(r.Intn(5))); err != nil {
			return err
		}
		o += length
	}
	return nil
}

// ramDisk is the disk: pages allocated when first written, and freed
// when zeroed or trimmed whole, so that block status has holes to show.
type ramDisk struct {
	size  uint64
	mu    sync.RWMutex
	pages []*[pageSize]byte // nil: a hole, reads as zeroes
}

const pageSize = 64 * 1024

var disk *ramDisk

func newDisk(size uint64) {
	disk = &ramDisk{size: size, pages: make([]*[pageSize]byte, (size+pageSize-1)/pageSize)}
}

// each calls f for each page the range touches, with the part of the
// page it covers and where that part is in the range.
func each(offset, count uint64, f func(page, start, end, done uint64)) {
	done := uint64(0)
	for done < count {
		page, start := (offset+done)/pageSize, (offset+done)%pageSize
		n := pageSize - start
		if n > count-done {
			n = count - done
		}
		f(page, start, start+n, done)
		done += n
	}
}

func (d *ramDisk) read(buf []byte, offset uint64) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	each(offset, uint64(len(buf)), func(page, start, end, done uint64) {
		dst := buf[done : done+end-start]
		if p := d.pages[page]; p != nil {
			copy(dst, p[start:end])
		} else {
			for i := range dst {
				dst[i] = 0
			}
		}
	})
}

func (d *ramDisk) write(buf []byte, offset uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	each(offset, uint64(len(buf)), func(page, start, end, done uint64) {
		if d.pages[page] == nil {
			d.pages[page] = new([pageSize]byte)
		}
		copy(d.pages[page][start:end], buf[done:])
	})
}

func (d *ramDisk) zero(offset, count uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	each(offset, count, func(page, start, end, done uint64) {
		p := d.pages[page]
		switch {
		case p == nil:
		case start == 0 && end == pageSize:
			d.pages[page] = nil
		default:
			for i := start; i < end; i++ {
				p[i] = 0
			}
		}
	})
}

// extents adds a run of data or holes at a time, from the page that
// holds offset to the one that holds the end of the range.
func (d *ramDisk) extents(offset, count uint64, one bool, extents nbdkit.ExtentList) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	end := offset + count
	pageType := func(page uint64) uint32 {
		if d.pages[page] == nil {
			return nbdkit.ExtentHole | nbdkit.ExtentZero
		}
		return 0
	}
	runStart := offset / pageSize * pageSize
	runType := pageType(offset / pageSize)
	for page := offset/pageSize + 1; page*pageSize < end; page++ {
		if t := pageType(page); t != runType {
			if err := extents.Add(runStart, page*pageSize-runStart, runType); err != nil {
				return err
			}
			if one {
				return nil
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
