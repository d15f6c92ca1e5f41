// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The dispatch under the race detector (tests/go-unit.sh runs go test
// -race): connections opening and closing while others run every
// callback, and the plugin-wide callbacks at the same time.  The race
// detector cannot watch a plugin inside nbdkit (its Go runtime cannot
// map the memory of a shared object that nbdkit loads; see
// tests/sanitizers.sh), so this drives the same Go code directly.

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// countingLog counts what would go to nbdkit's log.
type countingLog struct {
	errors, debugs int64
}

func (l *countingLog) debug(string)                { atomic.AddInt64(&l.debugs, 1) }
func (l *countingLog) error(string, syscall.Errno) { atomic.AddInt64(&l.errors, 1) }
func (l *countingLog) setError(syscall.Errno)      {}
func (l *countingLog) takeSetError() syscall.Errno { return 0 }

// racePlugin's connections implement every optional interface.  Each
// connection fills reads with its own number, so a lookup that found
// another connection shows.
type racePlugin struct {
	Plugin
	opened int64
}

type raceConnection struct {
	Connection
	number byte
	closes int32
	calls  int64
}

var (
	_ ThreadModeler   = (*racePlugin)(nil)
	_ AfterForker     = (*racePlugin)(nil)
	_ Cleaner         = (*racePlugin)(nil)
	_ ExportLister    = (*racePlugin)(nil)
	_ DefaultExporter = (*racePlugin)(nil)
	_ FUAChecker      = (*raceConnection)(nil)
	_ FastZeroChecker = (*raceConnection)(nil)
	_ CacheChecker    = (*raceConnection)(nil)
	_ Cacher          = (*raceConnection)(nil)
	_ ExtentsChecker  = (*raceConnection)(nil)
	_ Extenter        = (*raceConnection)(nil)
	_ ExportDescriber = (*raceConnection)(nil)
	_ BlockSizer      = (*raceConnection)(nil)
)

func (p *racePlugin) Open(readonly bool) (ConnectionInterface, error) {
	n := atomic.AddInt64(&p.opened, 1)
	return &raceConnection{number: byte(n)}, nil
}

func (p *racePlugin) Config(key, value string) error { return nil }
func (p *racePlugin) PreConnect(readonly bool) error { return nil }
func (p *racePlugin) ThreadModel() uint32            { return ThreadModelParallel }
func (p *racePlugin) AfterFork() error               { return nil }
func (p *racePlugin) Cleanup()                       {}
func (p *racePlugin) DefaultExport(bool, bool) (string, error) {
	// An error: a name would go to nbdkit_strndup_intern, which is
	// not there without nbdkit.
	return "", errors.New("no default export in this test")
}

// ListExports adds to the list given to it, which without nbdkit is
// no list: Add reports that, without calling C.
func (p *racePlugin) ListExports(readonly, isTLS bool, list ExportList) error {
	return list.Add("race", "")
}

func (c *raceConnection) count()                             { atomic.AddInt64(&c.calls, 1) }
func (c *raceConnection) Close()                             { atomic.AddInt32(&c.closes, 1) }
func (c *raceConnection) GetSize() (uint64, error)           { c.count(); return 1 << 20, nil }
func (c *raceConnection) CanWrite() (bool, error)            { c.count(); return true, nil }
func (c *raceConnection) CanFlush() (bool, error)            { c.count(); return true, nil }
func (c *raceConnection) IsRotational() (bool, error)        { c.count(); return false, nil }
func (c *raceConnection) CanTrim() (bool, error)             { c.count(); return true, nil }
func (c *raceConnection) CanZero() (bool, error)             { c.count(); return true, nil }
func (c *raceConnection) CanMultiConn() (bool, error)        { c.count(); return true, nil }
func (c *raceConnection) CanFUA() (uint32, error)            { c.count(); return FUANative, nil }
func (c *raceConnection) CanFastZero() (bool, error)         { c.count(); return true, nil }
func (c *raceConnection) CanCache() (uint32, error)          { c.count(); return CacheNative, nil }
func (c *raceConnection) CanExtents() (bool, error)          { c.count(); return true, nil }
func (c *raceConnection) Flush(uint32) error                 { c.count(); return nil }
func (c *raceConnection) Trim(uint32, uint64, uint32) error  { c.count(); return nil }
func (c *raceConnection) Zero(uint32, uint64, uint32) error  { c.count(); return nil }
func (c *raceConnection) Cache(uint32, uint64, uint32) error { c.count(); return nil }

func (c *raceConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	c.count()
	for i := range buf {
		buf[i] = c.number
	}
	return nil
}

func (c *raceConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	c.count()
	if len(buf) > 0 && buf[0] != c.number {
		return fmt.Errorf("connection %d got the write of connection %d", c.number, buf[0])
	}
	return nil
}

func (c *raceConnection) Extents(count uint32, offset uint64, flags uint32, e ExtentList) error {
	c.count()
	return e.Add(offset, uint64(count), ExtentHole) // no list: an error, without C
}

func (c *raceConnection) ExportDescription() (string, error) {
	c.count()
	return "", errors.New("no description in this test")
}

func (c *raceConnection) BlockSize() (uint32, uint32, uint32, error) {
	c.count()
	return 512, 4096, 1 << 20, nil
}

// everyCall runs every connection callback once on id, as nbdkit's
// go_* exports do, and reports what went wrong.
func everyCall(id uintptr, number byte) error {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = number
	}
	checks := []struct {
		name   string
		result int
		want   int
	}{
		{"GetSize", int(callGetSize(id)), 1 << 20},
		{"CanWrite", askConnection("CanWrite", id, (*connection).CanWrite), 1},
		{"CanFlush", askConnection("CanFlush", id, (*connection).CanFlush), 1},
		{"IsRotational", askConnection("IsRotational", id, (*connection).IsRotational), 0},
		{"CanTrim", askConnection("CanTrim", id, (*connection).CanTrim), 1},
		{"CanZero", askConnection("CanZero", id, (*connection).CanZero), 1},
		{"CanMultiConn", askConnection("CanMultiConn", id, (*connection).CanMultiConn), 1},
		{"CanFUA", askConnectionFor("CanFUA", id, FUANative,
			func(c *connection) (uint32, error) { return c.fuaChecker.CanFUA() }), int(FUANative)},
		{"CanCache", askConnectionFor("CanCache", id, CacheNative,
			func(c *connection) (uint32, error) { return c.cacheChecker.CanCache() }), int(CacheNative)},
		{"CanFastZero", askConnection("CanFastZero", id,
			func(c *connection) (bool, error) { return c.fastZeroChecker.CanFastZero() }), 1},
		{"CanExtents", askConnection("CanExtents", id,
			func(c *connection) (bool, error) { return c.extentsChecker.CanExtents() }), 1},
		{"PWrite", callPWrite(id, buf, 0, FlagFUA), 0},
		{"PRead", callPRead(id, buf, 0, 0), 0},
		{"Flush", callFlush(id, 0), 0},
		{"Trim", callTrim(id, 512, 0, 0), 0},
		{"Zero", callZero(id, 512, 0, FlagMayTrim), 0},
		{"Cache", callCache(id, 512, 0, 0), 0},
		{"Extents", callExtents(id, 512, 0, 0, ExtentList{}), -1},
	}
	for _, check := range checks {
		if check.result != check.want {
			return fmt.Errorf("%s on connection %d returned %d, want %d",
				check.name, number, check.result, check.want)
		}
	}
	for i, b := range buf {
		if b != number {
			return fmt.Errorf("PRead on connection %d read byte %d from connection %d", number, i, b)
		}
	}
	if callExportDescription(id) != nil {
		return fmt.Errorf("ExportDescription gave a description")
	}
	if min, pref, max, r := callBlockSize(id); r != 0 || min != 512 || pref != 4096 || max != 1<<20 {
		return fmt.Errorf("BlockSize: %d %d %d %d", min, pref, max, r)
	}
	return nil
}

// TestRaceEveryCallback opens and closes connections in some
// goroutines (the table grows and reuses slots) while others run every
// callback on connections of their own, and others the plugin-wide
// callbacks.
func TestRaceEveryCallback(t *testing.T) {
	log := &countingLog{}
	savedLog, savedPlugin := logSink, pluginImpl
	p := &racePlugin{}
	logSink, pluginImpl = log, p
	defer func() { logSink, pluginImpl = savedLog, savedPlugin }()

	const churners, workers, rounds = 8, 8, 500
	before := int64(tableSlots())
	var (
		wg       sync.WaitGroup
		errs     = make(chan error, churners+workers+1)
		stop     = make(chan struct{})
		conns    sync.Map // id -> *raceConnection, to check Close
		maxSlots int64
	)
	open := func() (uintptr, *raceConnection, error) {
		id, _, r := callOpen(false)
		if r != 0 {
			return 0, nil, errors.New("callOpen failed")
		}
		c := connections.get(id).ConnectionInterface.(*raceConnection)
		conns.Store(c, true)
		if n := int64(tableSlots()); n > atomic.LoadInt64(&maxSlots) {
			atomic.StoreInt64(&maxSlots, n)
		}
		return id, c, nil
	}
	for g := 0; g < churners; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				ids := make([]uintptr, 1+(g+round)%16)
				for i := range ids {
					id, _, err := open()
					if err != nil {
						errs <- err
						return
					}
					ids[i] = id
				}
				for _, id := range ids {
					callClose(id)
				}
			}
		}(g)
	}
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < rounds/4; round++ {
				id, c, err := open()
				if err == nil {
					err = everyCall(id, c.number)
				}
				if err != nil {
					errs <- err
					return
				}
				callClose(id)
			}
		}()
	}
	var pluginWide sync.WaitGroup
	pluginWide.Add(1)
	go func() {
		defer pluginWide.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			results := []int{callPreConnect(false), callConfig("k", "v"), callConfigComplete(),
				callAfterFork(), callThreadModel()}
			for i, r := range results {
				if r != []int{0, 0, 0, 0, int(ThreadModelParallel)}[i] {
					errs <- fmt.Errorf("plugin-wide callback %d returned %d", i, r)
					return
				}
			}
			if callListExports(false, false, ExportList{}) != -1 ||
				callDefaultExport(false, false) != nil {
				errs <- errors.New("ListExports or DefaultExport succeeded without nbdkit")
				return
			}
			callCleanup()
		}
	}()
	wg.Wait()
	close(stop)
	pluginWide.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if n := connections.count(); n != 0 {
		t.Errorf("%d connections left in the table", n)
	}
	conns.Range(func(key, _ interface{}) bool {
		if c := key.(*raceConnection); atomic.LoadInt32(&c.closes) != 1 {
			t.Errorf("connection %d closed %d times", c.number, c.closes)
		}
		return true
	})
	// At most churners*16 + workers connections are open at once: the
	// table must not grow beyond what doubling needs for that.
	if max := int64(2*(churners*16+workers) + 16); maxSlots > max && maxSlots > before {
		t.Errorf("the table grew to %d slots for at most %d connections", maxSlots,
			churners*16+workers)
	}
	t.Logf("%d connections, %d slots at most, %d errors and %d debug messages logged",
		atomic.LoadInt64(&p.opened), maxSlots, log.errors, log.debugs)
}

// TestTableReuse: a million open/close cycles leave the table as small
// as the most connections ever open at once needs.
func TestTableReuse(t *testing.T) {
	savedLog, savedPlugin := logSink, pluginImpl
	logSink, pluginImpl = &countingLog{}, &racePlugin{}
	defer func() { logSink, pluginImpl = savedLog, savedPlugin }()
	const cycles = 200000
	before := tableSlots()
	var ids [8]uintptr
	for i := 0; i < cycles/len(ids); i++ {
		for j := range ids {
			id, _, r := callOpen(false)
			if r != 0 {
				t.Fatal("callOpen failed")
			}
			ids[j] = id
		}
		for _, id := range ids {
			callClose(id)
		}
	}
	if n := connections.count(); n != 0 {
		t.Errorf("%d connections left", n)
	}
	if slots := tableSlots(); slots > before && slots > 2*8+16 {
		t.Errorf("the table grew from %d to %d slots in %d cycles of 8 connections",
			before, slots, cycles/8)
	}
}

// tableSlots is the size of the connection table (it never shrinks).
func tableSlots() int {
	if p := connections.slots.Load(); p != nil {
		return len(*p)
	}
	return 0
}
