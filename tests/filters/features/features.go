// Package main is the test filter: it implements every filter
// callback, logs each call with its arguments to $NBDKIT_FILTER_LOG
// (one line each), passes the request on to the next layer, and can be
// told to fail or panic in any callback, or to answer otherwise than
// the next layer:
//
//	ffail=METHOD,...      fail METHOD (errno EPERM for data requests)
//	fpanic=METHOD,...     panic in METHOD
//	fsize=N               GetSize answers N
//	fdescription=TEXT     ExportDescription answers TEXT
//	fexport=NAME          DefaultExport answers NAME
//	fexports=NAME,...     ListExports adds these after the next layer's
//	fblocksize=MIN,PREF,MAX  BlockSize answers these
//	frotational=true      IsRotational answers true
//	fmulticonn=false      CanMultiConn answers false
//	freadonly=true        Open opens the next layer read-only
//	fthreadmodel=N        ThreadModel answers N
//	fcontext=true         Open also opens, uses and closes a context of
//	                      its own (Backend.OpenContext)
//	fsetnext=true         Open opens the connection's next layer as a
//	                      context of its own, given with NextOpen.SetNext
//	fshared=true          AfterFork opens a shared context, Cleanup
//	                      closes it
//
// Every other key=value goes to the next layer.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"libguestfs.org/nbdkit"
)

type featuresFilter struct {
	nbdkit.Filter
}

type featuresConnection struct {
	nbdkit.FilterConnection
	export string
}

var (
	logMu   sync.Mutex
	fail    = map[string]bool{}
	panics  = map[string]bool{}
	options = map[string]string{}
)

// logf appends a line to the call log.
func logf(format string, args ...interface{}) {
	name := os.Getenv("NBDKIT_FILTER_LOG")
	if name == "" {
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}

// enter logs the call, and panics or returns the injected failure.
func enter(method string, format string, args ...interface{}) error {
	logf("%s%s", method, fmt.Sprintf(format, args...))
	if panics[method] {
		panic("injected panic in " + method)
	}
	if fail[method] {
		return nbdkit.PluginError{Errmsg: "injected failure in " + method, Errno: syscall.EPERM}
	}
	return nil
}

func (f *featuresFilter) Load() {
	logf("Load")
	if os.Getenv("NBDKIT_FILTER_PANIC_LOAD") != "" {
		panic("injected panic in Load")
	}
}

func (f *featuresFilter) Unload() { enter("Unload", "") }

func (f *featuresFilter) LongName() string    { return "the Go test filter" }
func (f *featuresFilter) Description() string { return "Logs and checks every filter callback." }
func (f *featuresFilter) ConfigHelp() string  { return "ffail=METHOD,... fail METHOD" }

func (f *featuresFilter) ThreadModel() uint32 {
	logf("ThreadModel")
	if s := options["fthreadmodel"]; s != "" {
		n, _ := strconv.Atoi(s)
		return uint32(n)
	}
	return nbdkit.ThreadModelParallel
}

func (f *featuresFilter) Config(next nbdkit.NextConfig, key, value string) error {
	if err := enter("Config", " %s=%s", key, value); err != nil {
		return err
	}
	switch key {
	case "ffail", "fpanic":
		for _, m := range strings.Split(value, ",") {
			if key == "ffail" {
				fail[m] = true
			} else {
				panics[m] = true
			}
		}
		return nil
	}
	switch key {
	case "fsize", "fdescription", "fexport", "fexports", "fblocksize",
		"frotational", "fmulticonn", "freadonly", "fthreadmodel", "fcontext",
		"fsetnext", "fshared":
		options[key] = value
		return nil
	}
	return next.Config(key, value)
}

func (f *featuresFilter) ConfigComplete(next nbdkit.NextConfigComplete) error {
	if err := enter("ConfigComplete", ""); err != nil {
		return err
	}
	return next.ConfigComplete()
}

func (f *featuresFilter) GetReady(threadModel uint32) error {
	return enter("GetReady", " %d", threadModel)
}

// shared is the context AfterFork opens with fshared=true.
var shared nbdkit.Next

func (f *featuresFilter) AfterFork(backend nbdkit.Backend) error {
	if err := enter("AfterFork", ""); err != nil {
		return err
	}
	if options["fshared"] != "true" {
		return nil
	}
	var err error
	shared, err = backend.OpenContext(true, "", true)
	if err == nil {
		err = shared.Prepare()
	}
	if err != nil {
		return err
	}
	size, err := shared.GetSize()
	logf("AfterFork: shared context size %d %v", size, err)
	return err
}

func (f *featuresFilter) Cleanup(backend nbdkit.Backend) {
	enter("Cleanup", "")
	if shared.IsValid() {
		logf("Cleanup: shared context finalized %v", shared.Finalize())
		shared.Close()
	}
}

func (f *featuresFilter) PreConnect(next nbdkit.NextPreConnect, readonly bool) error {
	if err := enter("PreConnect", " readonly=%v", readonly); err != nil {
		return err
	}
	return next.PreConnect(readonly)
}

func (f *featuresFilter) ListExports(next nbdkit.NextListExports, readonly, isTLS bool,
	exports nbdkit.ExportList) error {
	if err := enter("ListExports", " readonly=%v tls=%v", readonly, isTLS); err != nil {
		return err
	}
	if err := next.ListExports(readonly, exports); err != nil {
		return err
	}
	if s := options["fexports"]; s != "" {
		for _, name := range strings.Split(s, ",") {
			if err := exports.Add(name, "from the filter"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *featuresFilter) DefaultExport(next nbdkit.NextDefaultExport, readonly, isTLS bool) (string, error) {
	if err := enter("DefaultExport", " readonly=%v tls=%v", readonly, isTLS); err != nil {
		return "", err
	}
	if name, ok := options["fexport"]; ok {
		return name, nil
	}
	return next.DefaultExport(readonly)
}

func (f *featuresFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string,
	isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := enter("Open", " readonly=%v export=%q tls=%v", readonly, exportName, isTLS); err != nil {
		return nil, err
	}
	if options["freadonly"] == "true" {
		readonly = true
	}
	if options["fsetnext"] == "true" {
		ctx, err := next.Backend().OpenContext(readonly, exportName, false)
		if err != nil {
			return nil, err
		}
		old := next.SetNext(ctx)
		logf("Open: SetNext replaced a context: %v", old.IsValid())
		return &featuresConnection{export: exportName}, nil
	}
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	if options["fcontext"] == "true" {
		// Shared: nbdkit 1.32 aborts on a second context of the
		// connection's own.
		ctx, err := next.Backend().OpenContext(true, exportName, true)
		if err != nil {
			return nil, err
		}
		err = ctx.Prepare()
		size, _ := ctx.GetSize()
		logf("Open: own context size %d %v", size, err)
		if err == nil {
			err = ctx.Finalize()
		}
		ctx.Close()
		if err != nil {
			return nil, err
		}
	}
	return &featuresConnection{export: exportName}, nil
}

func (c *featuresConnection) Close() { enter("Close", "") }

func (c *featuresConnection) Prepare(next nbdkit.Next, readonly bool) error {
	if err := enter("Prepare", " readonly=%v", readonly); err != nil {
		return err
	}
	size, err := next.GetSize()
	logf("Prepare: next size %d %v", size, err)
	return err
}

func (c *featuresConnection) Finalize(next nbdkit.Next) error {
	return enter("Finalize", "")
}

func (c *featuresConnection) GetSize(next nbdkit.Next) (uint64, error) {
	if err := enter("GetSize", ""); err != nil {
		return 0, err
	}
	if s := options["fsize"]; s != "" {
		return strconv.ParseUint(s, 10, 64)
	}
	return next.GetSize()
}

func (c *featuresConnection) ExportDescription(next nbdkit.Next) (string, error) {
	if err := enter("ExportDescription", ""); err != nil {
		return "", err
	}
	if s, ok := options["fdescription"]; ok {
		return s, nil
	}
	return next.ExportDescription()
}

func (c *featuresConnection) BlockSize(next nbdkit.Next) (uint32, uint32, uint32, error) {
	if err := enter("BlockSize", ""); err != nil {
		return 0, 0, 0, err
	}
	if s := options["fblocksize"]; s != "" {
		var min, pref, max uint32
		fmt.Sscanf(s, "%d,%d,%d", &min, &pref, &max)
		return min, pref, max, nil
	}
	return next.BlockSize()
}

func (c *featuresConnection) CanWrite(next nbdkit.Next) (bool, error) {
	if err := enter("CanWrite", ""); err != nil {
		return false, err
	}
	return next.CanWrite()
}

func (c *featuresConnection) CanFlush(next nbdkit.Next) (bool, error) {
	if err := enter("CanFlush", ""); err != nil {
		return false, err
	}
	return next.CanFlush()
}

func (c *featuresConnection) IsRotational(next nbdkit.Next) (bool, error) {
	if err := enter("IsRotational", ""); err != nil {
		return false, err
	}
	if options["frotational"] == "true" {
		return true, nil
	}
	return next.IsRotational()
}

func (c *featuresConnection) CanTrim(next nbdkit.Next) (bool, error) {
	if err := enter("CanTrim", ""); err != nil {
		return false, err
	}
	return next.CanTrim()
}

func (c *featuresConnection) CanZero(next nbdkit.Next) (uint32, error) {
	if err := enter("CanZero", ""); err != nil {
		return 0, err
	}
	return next.CanZero()
}

func (c *featuresConnection) CanFastZero(next nbdkit.Next) (bool, error) {
	if err := enter("CanFastZero", ""); err != nil {
		return false, err
	}
	return next.CanFastZero()
}

func (c *featuresConnection) CanExtents(next nbdkit.Next) (bool, error) {
	if err := enter("CanExtents", ""); err != nil {
		return false, err
	}
	return next.CanExtents()
}

func (c *featuresConnection) CanFUA(next nbdkit.Next) (uint32, error) {
	if err := enter("CanFUA", ""); err != nil {
		return 0, err
	}
	return next.CanFUA()
}

func (c *featuresConnection) CanMultiConn(next nbdkit.Next) (bool, error) {
	if err := enter("CanMultiConn", ""); err != nil {
		return false, err
	}
	if options["fmulticonn"] == "false" {
		return false, nil
	}
	return next.CanMultiConn()
}

func (c *featuresConnection) CanCache(next nbdkit.Next) (uint32, error) {
	if err := enter("CanCache", ""); err != nil {
		return 0, err
	}
	return next.CanCache()
}

func (c *featuresConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	if err := enter("PRead", " %d %d %#x", len(buf), offset, flags); err != nil {
		return err
	}
	return next.PRead(buf, offset, flags)
}

func (c *featuresConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	if err := enter("PWrite", " %d %d %#x", len(buf), offset, flags); err != nil {
		return err
	}
	return next.PWrite(buf, offset, flags)
}

func (c *featuresConnection) Flush(next nbdkit.Next, flags uint32) error {
	if err := enter("Flush", " %#x", flags); err != nil {
		return err
	}
	return next.Flush(flags)
}

func (c *featuresConnection) Trim(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	if err := enter("Trim", " %d %d %#x", count, offset, flags); err != nil {
		return err
	}
	return next.Trim(count, offset, flags)
}

func (c *featuresConnection) Zero(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	if err := enter("Zero", " %d %d %#x", count, offset, flags); err != nil {
		return err
	}
	return next.Zero(count, offset, flags)
}

// Extents reads the next layer's extents into a list of its own, and
// builds the answer from it: what a filter that changes extents does.
func (c *featuresConnection) Extents(next nbdkit.Next, count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	if err := enter("Extents", " %d %d %#x", count, offset, flags); err != nil {
		return err
	}
	own, err := nbdkit.NewExtentList(offset, offset+uint64(count))
	if err != nil {
		return err
	}
	defer own.Free()
	if err := next.Extents(count, offset, flags, *own); err != nil {
		return err
	}
	for i := 0; i < own.Count(); i++ {
		e, err := own.Extent(i)
		if err != nil {
			return err
		}
		logf("Extents: next %d %d %d", e.Offset, e.Length, e.Type)
		if err := extents.Add(e.Offset, e.Length, e.Type); err != nil {
			return err
		}
	}
	return nil
}

func (c *featuresConnection) Cache(next nbdkit.Next, count uint32, offset uint64, flags uint32) error {
	if err := enter("Cache", " %d %d %#x", count, offset, flags); err != nil {
		return err
	}
	return next.Cache(count, offset, flags)
}

// Every optional interface, checked at compile time.
var (
	_ nbdkit.FilterConfigurer        = (*featuresFilter)(nil)
	_ nbdkit.FilterConfigCompleter   = (*featuresFilter)(nil)
	_ nbdkit.FilterGetReadier        = (*featuresFilter)(nil)
	_ nbdkit.FilterAfterForker       = (*featuresFilter)(nil)
	_ nbdkit.FilterCleaner           = (*featuresFilter)(nil)
	_ nbdkit.FilterPreConnecter      = (*featuresFilter)(nil)
	_ nbdkit.FilterExportLister      = (*featuresFilter)(nil)
	_ nbdkit.FilterDefaultExporter   = (*featuresFilter)(nil)
	_ nbdkit.ThreadModeler           = (*featuresFilter)(nil)
	_ nbdkit.FilterPreparer          = (*featuresConnection)(nil)
	_ nbdkit.FilterFinalizer         = (*featuresConnection)(nil)
	_ nbdkit.FilterSizer             = (*featuresConnection)(nil)
	_ nbdkit.FilterExportDescriber   = (*featuresConnection)(nil)
	_ nbdkit.FilterBlockSizer        = (*featuresConnection)(nil)
	_ nbdkit.FilterWriteChecker      = (*featuresConnection)(nil)
	_ nbdkit.FilterFlushChecker      = (*featuresConnection)(nil)
	_ nbdkit.FilterRotationalChecker = (*featuresConnection)(nil)
	_ nbdkit.FilterTrimChecker       = (*featuresConnection)(nil)
	_ nbdkit.FilterZeroChecker       = (*featuresConnection)(nil)
	_ nbdkit.FilterFastZeroChecker   = (*featuresConnection)(nil)
	_ nbdkit.FilterExtentsChecker    = (*featuresConnection)(nil)
	_ nbdkit.FilterFUAChecker        = (*featuresConnection)(nil)
	_ nbdkit.FilterMultiConnChecker  = (*featuresConnection)(nil)
	_ nbdkit.FilterCacheChecker      = (*featuresConnection)(nil)
	_ nbdkit.FilterReader            = (*featuresConnection)(nil)
	_ nbdkit.FilterWriter            = (*featuresConnection)(nil)
	_ nbdkit.FilterFlusher           = (*featuresConnection)(nil)
	_ nbdkit.FilterTrimmer           = (*featuresConnection)(nil)
	_ nbdkit.FilterZeroer            = (*featuresConnection)(nil)
	_ nbdkit.FilterExtenter          = (*featuresConnection)(nil)
	_ nbdkit.FilterCacher            = (*featuresConnection)(nil)
)

func init() { nbdkit.RegisterFilter("features", &featuresFilter{}) }

func main() {}
