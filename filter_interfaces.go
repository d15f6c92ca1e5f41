// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Optional capabilities of filters.  A filter or filter connection
// type that has one of these methods, with exactly this signature,
// gets the matching nbdkit filter callback; one that does not leaves
// it to the next layer, without any call into Go (see nbdkit-filter(3)
// for each callback).  Every method gets the next layer as its first
// argument, to call or not.  Check at compile time that a type has the
// method you meant:
//
//	var _ nbdkit.FilterReader = (*xorConnection)(nil)
//
// A filter type may also be a LongNamer, Describer, ConfigHelper or
// ThreadModeler, as a plugin is; a filter without ThreadModel keeps
// the plugin's thread model.

// Filter-wide.

// FilterConfigurer sees each key=value of the command line before the
// plugin: it handles the filter's own keys, and passes the rest on
// with next.Config.
type FilterConfigurer interface {
	Config(next NextConfig, key, value string) error
}

// FilterConfigCompleter is called after the last Config, and must call
// next.ConfigComplete.
type FilterConfigCompleter interface {
	ConfigComplete(next NextConfigComplete) error
}

// FilterGetReadier is called once before the server serves, in the
// process that serves (as a plugin's GetReady), with the thread model
// nbdkit chose (a ThreadModel* constant).  The next layer's GetReady
// is called by nbdkit itself.
type FilterGetReadier interface {
	GetReady(threadModel uint32) error
}

// FilterAfterForker is called once in the process that serves, after
// nbdkit forked (if it does) and before the first connection.  backend
// may open contexts of the next layer (Backend.OpenContext) shared by
// all connections, until FilterCleaner's Cleanup.
type FilterAfterForker interface {
	AfterFork(backend Backend) error
}

// FilterCleaner is called after the last connection closed, before
// Unload, when the server shuts down after AfterFork ran.
type FilterCleaner interface {
	Cleanup(backend Backend)
}

// FilterPreConnecter is called when a client connects, before Open,
// and must call next.PreConnect unless it refuses the client.
type FilterPreConnecter interface {
	PreConnect(next NextPreConnect, readonly bool) error
}

// FilterExportLister lists the exports a client may connect to: the
// next layer's (next.ListExports), changed, or its own.
type FilterExportLister interface {
	ListExports(next NextListExports, readonly, isTLS bool, exports ExportList) error
}

// FilterDefaultExporter gives the name of the default export "": the
// next layer's (next.DefaultExport), or its own.
type FilterDefaultExporter interface {
	DefaultExport(next NextDefaultExport, readonly, isTLS bool) (string, error)
}

// Per connection: lifecycle.

// FilterPreparer is called once the next layer is open and prepared,
// before the connection's first request: it may query the next layer
// (next.GetSize...).
type FilterPreparer interface {
	Prepare(next Next, readonly bool) error
}

// FilterFinalizer is called when the connection ends, before the next
// layer is finalized and before Close: it may still send requests to
// the next layer (next.Flush...).
type FilterFinalizer interface {
	Finalize(next Next) error
}

// Per connection: metadata.  Each answers for the export as the client
// sees it: the next layer's answer (next.GetSize...), changed or not.

// FilterSizer gives the size of the export in bytes.
type FilterSizer interface {
	GetSize(next Next) (uint64, error)
}

// FilterExportDescriber gives the description of the export ("" for
// none).
type FilterExportDescriber interface {
	ExportDescription(next Next) (string, error)
}

// FilterBlockSizer gives the block size constraints of the export, with
// the rules of BlockSizer.
type FilterBlockSizer interface {
	BlockSize(next Next) (minimum, preferred, maximum uint32, err error)
}

// FilterWriteChecker says whether the export is writable.  Unlike a
// plugin, a filter needs no CanWrite for PWrite: nbdkit sends writes
// only if the outermost layer says yes, and so for the others.
type FilterWriteChecker interface {
	CanWrite(next Next) (bool, error)
}

// FilterFlushChecker says whether flush requests are advertised.
type FilterFlushChecker interface {
	CanFlush(next Next) (bool, error)
}

// FilterRotationalChecker says whether the export is a rotating medium.
type FilterRotationalChecker interface {
	IsRotational(next Next) (bool, error)
}

// FilterTrimChecker says whether trim requests are advertised.
type FilterTrimChecker interface {
	CanTrim(next Next) (bool, error)
}

// FilterZeroChecker says how zero requests are handled: ZeroNone (not
// advertised), ZeroEmulate (nbdkit writes zeroes with PWrite) or
// ZeroNative (Zero is called).
type FilterZeroChecker interface {
	CanZero(next Next) (uint32, error)
}

// FilterFastZeroChecker says whether fast zero requests are advertised.
type FilterFastZeroChecker interface {
	CanFastZero(next Next) (bool, error)
}

// FilterExtentsChecker says whether block status is advertised.
type FilterExtentsChecker interface {
	CanExtents(next Next) (bool, error)
}

// FilterFUAChecker says how FUA is handled: FUANone, FUAEmulate
// (nbdkit calls Flush after the write) or FUANative.
type FilterFUAChecker interface {
	CanFUA(next Next) (uint32, error)
}

// FilterMultiConnChecker says whether a client may use several
// connections and see each other's flushed writes.
type FilterMultiConnChecker interface {
	CanMultiConn(next Next) (bool, error)
}

// FilterCacheChecker says how cache requests are handled: CacheNone,
// CacheEmulate (nbdkit reads and discards) or CacheNative (Cache is
// called).
type FilterCacheChecker interface {
	CanCache(next Next) (uint32, error)
}

// Per connection: data.  Each sees a request of the client on its way
// to the next layer, which it may pass on (next.PRead...), change, split,
// or answer itself.  buf is nbdkit's own buffer: it must not be kept
// after the method returns.  An error returned as the next layer gave
// it (a *NextError) fails the request with its errno, and is not logged
// again; any other error is logged, with the errno of the error rules
// (PluginError, a wrapped syscall.Errno, else EIO).

// FilterReader handles read requests.
type FilterReader interface {
	PRead(next Next, buf []byte, offset uint64, flags uint32) error
}

// FilterWriter handles write requests.
type FilterWriter interface {
	PWrite(next Next, buf []byte, offset uint64, flags uint32) error
}

// FilterFlusher handles flush requests.
type FilterFlusher interface {
	Flush(next Next, flags uint32) error
}

// FilterTrimmer handles trim requests.
type FilterTrimmer interface {
	Trim(next Next, count uint32, offset uint64, flags uint32) error
}

// FilterZeroer handles zero requests.
type FilterZeroer interface {
	Zero(next Next, count uint32, offset uint64, flags uint32) error
}

// FilterExtenter handles block status requests: it adds to extents the
// extents of the range, which it may read from the next layer first
// (next.Extents into a list of its own, see NewExtentList and
// Next.ExtentsFull).
type FilterExtenter interface {
	Extents(next Next, count uint32, offset uint64, flags uint32, extents ExtentList) error
}

// FilterCacher handles cache requests.
type FilterCacher interface {
	Cache(next Next, count uint32, offset uint64, flags uint32) error
}
