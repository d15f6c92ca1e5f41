// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// Optional capabilities.  A plugin or connection type that has one of
// these methods, with exactly this signature, gets the matching nbdkit
// callback; one that does not gets what nbdkit gives a C plugin that
// leaves the callback out (see nbdkit-plugin(3)), without any call into
// Go.  Check at compile time that a type has the method you meant:
//
//	var _ nbdkit.Extenter = (*diskConnection)(nil)

// Plugin-wide: static information, read once when the plugin is loaded.

// Versioner gives the plugin's version, shown by nbdkit --version and
// --dump-plugin.
type Versioner interface {
	Version() string
}

// LongNamer gives a longer, human-readable name for the plugin.
type LongNamer interface {
	LongName() string
}

// Describer gives a description of the plugin, shown by nbdkit --help.
type Describer interface {
	Description() string
}

// ConfigHelper gives the help text for the plugin's key=value
// parameters, shown by nbdkit --help.
type ConfigHelper interface {
	ConfigHelp() string
}

// MagicConfigKeyer names the key of a parameter given without "key=":
// with MagicConfigKey returning "file", nbdkit ./plugin.so disk.img
// means nbdkit ./plugin.so file=disk.img.
type MagicConfigKeyer interface {
	MagicConfigKey() string
}

// ThreadModeler chooses how much concurrency nbdkit allows: one of the
// ThreadModel* constants.  Without it the model is ThreadModelParallel.
// ThreadModel is called twice: when the plugin is loaded, where its
// answer is the most parallel model the plugin ever supports, and again
// after ConfigComplete, where it may choose a stricter model depending
// on the configuration (a looser answer is ignored by nbdkit).
type ThreadModeler interface {
	ThreadModel() uint32
}

// Plugin-wide: lifecycle and exports.

// AfterForker is called once in the process that serves, after nbdkit
// has forked into the background (if it does), changed user (-u) and
// written its pid file, and before the first connection.  Like
// GetReady, it runs only in the serving process; an error makes nbdkit
// exit 1 (a daemon's starting command too).
type AfterForker interface {
	AfterFork() error
}

// Cleaner is called after the last connection closed, before Unload,
// when the server shuts down after AfterFork ran.
type Cleaner interface {
	Cleanup()
}

// ExportLister lists the exports a client may connect to (NBD_OPT_LIST,
// nbdinfo --list).  readonly is true when nbdkit runs with -r; isTLS
// when the client has completed TLS negotiation.  Without it, the
// lone export advertised is the default export.
type ExportLister interface {
	ListExports(readonly, isTLS bool, exports ExportList) error
}

// DefaultExporter gives the name of the export a client gets when it
// asks for the default export "".  An error refuses the default export.
type DefaultExporter interface {
	DefaultExport(readonly, isTLS bool) (string, error)
}

// Connection: capabilities and extra operations.

// FUAChecker says how Forced Unit Access is handled: FUANone (not
// advertised), FUAEmulate (nbdkit calls Flush after each write; needs
// CanFlush to return true, else FUA is not advertised) or FUANative
// (PWrite, Zero and Trim see FlagFUA and must not return before the
// data is durable).  Without it: FUAEmulate if CanFlush returns true,
// else FUANone.
type FUAChecker interface {
	CanFUA() (uint32, error)
}

// FastZeroChecker says whether Zero honours FlagFastZero: when the flag
// is set, Zero must fail at once with ENOTSUP or EOPNOTSUPP unless it is
// faster than writing zeroes.  Fast zero is advertised to clients
// whatever the answer (nbdkit aborts on a fast zero it did not
// advertise, so one client request could end the server), but a fast
// zero reaches Zero only if CanFastZero returned true: without it, or
// when it returned false, or CanZero did, a fast zero fails at once
// with ENOTSUP and the client falls back to its slow path.
type FastZeroChecker interface {
	CanFastZero() (bool, error)
}

// CacheChecker says how cache (prefetch) requests are handled:
// CacheNone (not advertised), CacheEmulate (nbdkit reads and discards
// the data) or CacheNative (Cache is called, or if the connection has no
// Cache method, the request succeeds at once).  Without it: CacheNative
// if the connection is a Cacher, else CacheNone.
type CacheChecker interface {
	CanCache() (uint32, error)
}

// Cacher prefetches count bytes at offset.
type Cacher interface {
	Cache(count uint32, offset uint64, flags uint32) error
}

// ExtentsChecker says whether block status is answered by Extents.
// Without it: true if the connection is an Extenter.
type ExtentsChecker interface {
	CanExtents() (bool, error)
}

// Extenter describes the allocation of the range count bytes at offset,
// by calling extents.Add for consecutive extents starting at or before
// offset.  With FlagReqOne in flags, one extent is enough.  Extents
// that are not allocated or read as zeroes use ExtentHole and
// ExtentZero.  The extents need not cover the whole range: the reply
// ends where the last one ends, and the client asks again for the
// rest.  At least one extent is needed: with none, the request fails
// with EINVAL.
type Extenter interface {
	Extents(count uint32, offset uint64, flags uint32, extents ExtentList) error
}

// ExportDescriber gives a description of the export this connection
// serves, shown by nbdinfo.
type ExportDescriber interface {
	ExportDescription() (string, error)
}

// BlockSizer gives the block size constraints of the export: minimum (a
// power of 2 up to 64 KiB), preferred (a power of 2 from 512 and the
// minimum to 32 MiB) and maximum (at least the preferred size, a multiple of
// the minimum, or 0xffffffff for no limit).  All three zero means no
// constraints.
type BlockSizer interface {
	BlockSize() (minimum, preferred, maximum uint32, err error)
}
