package main

// Connections.  The binding finds a connection's optional interfaces
// by type assertion when Open returns, so each choice of conn=KIND is
// a type of its own, embedding *conn (which has the required methods)
// and adding the optional methods of that kind:
//
//	plain           none
//	fua             FUAChecker
//	fastzero        FastZeroChecker
//	cancache        CacheChecker
//	cacher          Cacher
//	cache           CacheChecker and Cacher
//	extents         Extenter
//	canextents      ExtentsChecker, without Extenter
//	checkedextents  ExtentsChecker and Extenter
//	description     ExportDescriber
//	blocksize       BlockSizer
//	all             all of them

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"example.org/nbdkit-test-plugins/internal/calllog"
	"example.org/nbdkit-test-plugins/internal/params"
	"libguestfs.org/nbdkit"
)

type conn struct {
	nbdkit.Connection
	id                    int64
	exportName            string
	extentsMode           string // config.extents, or the export name
	inflight, maxInflight int64  // requests in PRead on this connection
}

type (
	fuaConn            struct{ *conn }
	fastZeroConn       struct{ *conn }
	canCacheConn       struct{ *conn }
	cacherConn         struct{ *conn }
	cacheConn          struct{ *conn }
	extentsConn        struct{ *conn }
	canExtentsConn     struct{ *conn }
	checkedExtentsConn struct{ *conn }
	descriptionConn    struct{ *conn }
	blockSizeConn      struct{ *conn }
	allConn            struct{ *conn }
)

var connectionKinds = map[string]func(*conn) nbdkit.ConnectionInterface{
	"plain":          func(c *conn) nbdkit.ConnectionInterface { return c },
	"fua":            func(c *conn) nbdkit.ConnectionInterface { return fuaConn{c} },
	"fastzero":       func(c *conn) nbdkit.ConnectionInterface { return fastZeroConn{c} },
	"cancache":       func(c *conn) nbdkit.ConnectionInterface { return canCacheConn{c} },
	"cacher":         func(c *conn) nbdkit.ConnectionInterface { return cacherConn{c} },
	"cache":          func(c *conn) nbdkit.ConnectionInterface { return cacheConn{c} },
	"extents":        func(c *conn) nbdkit.ConnectionInterface { return extentsConn{c} },
	"canextents":     func(c *conn) nbdkit.ConnectionInterface { return canExtentsConn{c} },
	"checkedextents": func(c *conn) nbdkit.ConnectionInterface { return checkedExtentsConn{c} },
	"description":    func(c *conn) nbdkit.ConnectionInterface { return descriptionConn{c} },
	"blocksize":      func(c *conn) nbdkit.ConnectionInterface { return blockSizeConn{c} },
	"all":            func(c *conn) nbdkit.ConnectionInterface { return allConn{c} },
}

// The compile-time checks: each kind has exactly what it claims.
var (
	_ nbdkit.FUAChecker      = fuaConn{}
	_ nbdkit.FastZeroChecker = fastZeroConn{}
	_ nbdkit.CacheChecker    = canCacheConn{}
	_ nbdkit.Cacher          = cacherConn{}
	_ nbdkit.CacheChecker    = cacheConn{}
	_ nbdkit.Cacher          = cacheConn{}
	_ nbdkit.Extenter        = extentsConn{}
	_ nbdkit.ExtentsChecker  = canExtentsConn{}
	_ nbdkit.ExtentsChecker  = checkedExtentsConn{}
	_ nbdkit.Extenter        = checkedExtentsConn{}
	_ nbdkit.ExportDescriber = descriptionConn{}
	_ nbdkit.BlockSizer      = blockSizeConn{}
	_ nbdkit.FUAChecker      = allConn{}
	_ nbdkit.FastZeroChecker = allConn{}
	_ nbdkit.CacheChecker    = allConn{}
	_ nbdkit.Cacher          = allConn{}
	_ nbdkit.ExtentsChecker  = allConn{}
	_ nbdkit.Extenter        = allConn{}
	_ nbdkit.ExportDescriber = allConn{}
	_ nbdkit.BlockSizer      = allConn{}
)

func (c fuaConn) CanFUA() (uint32, error)                     { return c.canFUA() }
func (c fastZeroConn) CanFastZero() (bool, error)             { return c.canFastZero() }
func (c canCacheConn) CanCache() (uint32, error)              { return c.canCache() }
func (c cacherConn) Cache(n uint32, o uint64, f uint32) error { return c.cache(n, o, f) }
func (c cacheConn) CanCache() (uint32, error)                 { return c.canCache() }
func (c cacheConn) Cache(n uint32, o uint64, f uint32) error  { return c.cache(n, o, f) }
func (c extentsConn) Extents(n uint32, o uint64, f uint32, e nbdkit.ExtentList) error {
	return c.extents(n, o, f, e)
}
func (c canExtentsConn) CanExtents() (bool, error)     { return c.canExtents() }
func (c checkedExtentsConn) CanExtents() (bool, error) { return c.canExtents() }
func (c checkedExtentsConn) Extents(n uint32, o uint64, f uint32, e nbdkit.ExtentList) error {
	return c.extents(n, o, f, e)
}
func (c descriptionConn) ExportDescription() (string, error)       { return c.exportDescription() }
func (c blockSizeConn) BlockSize() (uint32, uint32, uint32, error) { return c.blockSize() }

func (c allConn) CanFUA() (uint32, error)                  { return c.canFUA() }
func (c allConn) CanFastZero() (bool, error)               { return c.canFastZero() }
func (c allConn) CanCache() (uint32, error)                { return c.canCache() }
func (c allConn) Cache(n uint32, o uint64, f uint32) error { return c.cache(n, o, f) }
func (c allConn) CanExtents() (bool, error)                { return c.canExtents() }
func (c allConn) Extents(n uint32, o uint64, f uint32, e nbdkit.ExtentList) error {
	return c.extents(n, o, f, e)
}
func (c allConn) ExportDescription() (string, error)         { return c.exportDescription() }
func (c allConn) BlockSize() (uint32, uint32, uint32, error) { return c.blockSize() }

// The required methods, and the Can* answers every connection has.

func (c *conn) Close() {
	atomic.AddInt64(&open, -1)
	runCalls("close")
	callLog.Printf("Close #%d max_inflight=%d conn_max_inflight=%d max_open=%d", c.id,
		atomic.LoadInt64(&maxInflight), atomic.LoadInt64(&c.maxInflight),
		atomic.LoadInt64(&maxOpen))
}

func (c *conn) GetSize() (uint64, error) { return config.size, nil }

func (c *conn) CanWrite() (bool, error) { return config.canWrite, nil }
func (c *conn) CanFlush() (bool, error) { return config.canFlush, nil }
func (c *conn) CanTrim() (bool, error)  { return config.canTrim, nil }
func (c *conn) CanZero() (bool, error)  { return config.canZero, nil }

func (c *conn) PRead(buf []byte, offset uint64, flags uint32) error {
	raiseMax(&maxInflight, atomic.AddInt64(&inflight, 1))
	raiseMax(&c.maxInflight, atomic.AddInt64(&c.inflight, 1))
	defer atomic.AddInt64(&inflight, -1)
	defer atomic.AddInt64(&c.inflight, -1)
	callLog.Printf("PRead %d@%d flags=%s", len(buf), offset, calllog.FlagNames(flags))
	runCalls("pread")
	if config.sleep > 0 {
		time.Sleep(config.sleep)
	}
	disk.Read(buf, offset)
	return nil
}

func (c *conn) PWrite(buf []byte, offset uint64, flags uint32) error {
	callLog.Printf("PWrite %d@%d flags=%s", len(buf), offset, calllog.FlagNames(flags))
	disk.Write(buf, offset)
	return nil
}

func (c *conn) Flush(flags uint32) error {
	callLog.Printf("Flush flags=%s", calllog.FlagNames(flags))
	return nil
}

func (c *conn) Trim(count uint32, offset uint64, flags uint32) error {
	callLog.Printf("Trim %d@%d flags=%s", count, offset, calllog.FlagNames(flags))
	disk.Zero(count, offset)
	return nil
}

func (c *conn) Zero(count uint32, offset uint64, flags uint32) error {
	callLog.Printf("Zero %d@%d flags=%s", count, offset, calllog.FlagNames(flags))
	if config.noZeroMethod {
		return c.Connection.Zero(count, offset, flags)
	}
	if flags&nbdkit.FlagFastZero != 0 && config.fastZeroFails {
		return nbdkit.PluginError{Errmsg: "features plugin: no fast zero here",
			Errno: syscall.ENOTSUP}
	}
	disk.Zero(count, offset)
	return nil
}

// The optional methods, shared by the kinds that have them.

func (c *conn) canFUA() (uint32, error) {
	callLog.Printf("CanFUA")
	return config.fua, nil
}

func (c *conn) canFastZero() (bool, error) {
	callLog.Printf("CanFastZero")
	return config.fastZero, nil
}

func (c *conn) canCache() (uint32, error) {
	callLog.Printf("CanCache")
	return config.cache, nil
}

func (c *conn) cache(count uint32, offset uint64, flags uint32) error {
	callLog.Printf("Cache %d@%d flags=%s", count, offset, calllog.FlagNames(flags))
	return nil
}

func (c *conn) canExtents() (bool, error) {
	callLog.Printf("CanExtents")
	return config.canExtents, nil
}

// extentTypes is the disk's layout as Extents reports it, by quarters:
// data, a hole, zeroes (allocated), data.
var extentTypes = [4]uint32{0, nbdkit.ExtentHole | nbdkit.ExtentZero, nbdkit.ExtentZero, 0}

func (c *conn) extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	callLog.Printf("Extents %d@%d flags=%s mode=%s", count, offset, calllog.FlagNames(flags),
		c.extentsMode)
	err := c.addExtents(count, offset, flags, extents)
	if err != nil {
		callLog.Printf("Extents error: %v", err)
	}
	return err
}

func (c *conn) addExtents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	end := offset + uint64(count)
	switch c.extentsMode {
	case "normal":
		quarter := config.size / 4
		for q := offset / quarter; q < 4 && q*quarter < end; q++ {
			if err := extents.Add(q*quarter, quarter, extentTypes[q]); err != nil {
				return err
			}
			if flags&nbdkit.FlagReqOne != 0 {
				break
			}
		}
		return nil
	case "merged":
		return c.mergedExtents(count, offset, flags, extents)
	case "outoforder": // the second extent starts inside the first
		if err := extents.Add(offset, 8192, 0); err != nil {
			return err
		}
		return extents.Add(offset+4096, 4096, 0)
	case "gap": // a gap between two extents
		if err := extents.Add(offset, 4096, 0); err != nil {
			return err
		}
		return extents.Add(offset+8192, 4096, 0)
	case "late": // the first extent starts after offset
		return extents.Add(offset+4096, uint64(count), 0)
	case "before": // an extent entirely before the range, then a hole
		if err := extents.Add(0, offset, 0); err != nil {
			return err
		}
		return extents.Add(offset, uint64(count), nbdkit.ExtentHole|nbdkit.ExtentZero)
	case "beyond": // one hole far beyond the request and the disk
		return extents.Add(offset, 1<<40, nbdkit.ExtentHole|nbdkit.ExtentZero)
	case "badtype":
		return extents.Add(offset, uint64(count), 4)
	case "empty":
		return nil
	case "error":
		return nbdkit.PluginError{Errmsg: "features plugin: Extents failed as asked",
			Errno: syscall.EPERM}
	case "panic":
		panic("features plugin: Extents panicked as asked")
	}
	return fmt.Errorf("extents: unknown mode %q", c.extentsMode)
}

// mergedExtents builds the layout of "normal" in a list of its own
// (nbdkit.NewExtentList), from 4096-byte pieces starting at the
// beginning of the first quarter asked for, which nbdkit clips to the
// request and merges; reads it back, logging what it holds; and copies
// it into the answer.  The other methods of a list are tried on the way:
// a range that ends before it starts, an extent out of range, Free on
// nbdkit's list, and Free twice, each logged.
func (c *conn) mergedExtents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	end := offset + uint64(count)
	if _, err := nbdkit.NewExtentList(end, offset); err != nil {
		callLog.Printf("NewExtentList(%d, %d): %v", end, offset, err)
	}
	list, err := nbdkit.NewExtentList(offset, end)
	if err != nil {
		return err
	}
	defer list.Free()
	quarter := config.size / 4
	for piece := offset / quarter * quarter; piece < end && piece < config.size; piece += 4096 {
		if err := list.Add(piece, 4096, extentTypes[piece/quarter]); err != nil {
			return err
		}
	}
	var got []string
	for i := 0; i < list.Count(); i++ {
		e, err := list.Extent(i)
		if err != nil {
			return err
		}
		got = append(got, fmt.Sprintf("%d+%d:%d", e.Offset, e.Length, e.Type))
		if err := extents.Add(e.Offset, e.Length, e.Type); err != nil {
			return err
		}
	}
	callLog.Printf("Extents merged: %d extents: %s", list.Count(), strings.Join(got, " "))
	if _, err := list.Extent(list.Count()); err != nil {
		callLog.Printf("Extent(%d): %v", list.Count(), err)
	}
	extents.Free() // not ours: nothing happens
	callLog.Printf("answer after Free: %d extents", extents.Count())
	list.Free()
	callLog.Printf("own list after Free: %d extents", list.Count())
	return nil
}

// fromExport is value, or the export name where value is "export"
// (extents=, description=, blocksize=).
func (c *conn) fromExport(value string) string {
	if value == "export" {
		return c.exportName
	}
	return value
}

func (c *conn) exportDescription() (string, error) {
	mode := c.fromExport(config.description)
	callLog.Printf("ExportDescription mode=%s", mode)
	switch mode {
	case "nul":
		return "bad\x00description", nil
	case "long":
		return longString, nil
	case "error":
		return "", errors.New("features plugin: ExportDescription failed as asked")
	case "panic":
		panic("features plugin: ExportDescription panicked as asked")
	}
	return mode, nil
}

func (c *conn) blockSize() (minimum, preferred, maximum uint32, err error) {
	spec := c.fromExport(config.blockSize)
	callLog.Printf("BlockSize %s", spec)
	switch spec {
	case "error":
		return 0, 0, 0, errors.New("features plugin: BlockSize failed as asked")
	case "panic":
		panic("features plugin: BlockSize panicked as asked")
	case "":
		return 0, 0, 0, nil
	}
	sizes, err := params.BlockSize(spec)
	if err != nil {
		return 0, 0, 0, err
	}
	return sizes[0], sizes[1], sizes[2], nil
}
