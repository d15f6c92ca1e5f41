// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

// The optional interfaces, in the style of database/sql/driver: a
// method with exactly this signature, on the plugin (the value given
// to Register) or on a connection (the value Open returns), gets the
// nbdkit callback; without it nbdkit does what it does for a C plugin
// that leaves the callback out, and no call crosses into Go.  go doc
// sorts types alphabetically, so each doc comment says on its own
// which value implements the interface and what happens without it.

// Plugin-wide, static information, read once when the plugin is loaded.

// Versioner is implemented by a plugin (the value given to [Register])
// that has a version: nbdkit shows it after the plugin's name in
// nbdkit PLUGIN --version, and in --dump-plugin output.  Without it the
// plugin has no version.
type Versioner interface {
	Version() string
}

// LongNamer is implemented by a plugin (the value given to [Register])
// that has a longer, human-readable name: nbdkit PLUGIN --help shows
// it next to the name, and nbdkit uses it in error messages.  Without
// it there is only the name given to Register.
type LongNamer interface {
	LongName() string
}

// Describer is implemented by a plugin (the value given to [Register])
// that describes itself: a text of one or more lines, shown by nbdkit
// --help.  Without it there is no description.
type Describer interface {
	Description() string
}

// ConfigHelper is implemented by a plugin (the value given to
// [Register]) that documents its key=value parameters: the help text,
// shown by nbdkit --help.  Without it --help lists no parameters.
type ConfigHelper interface {
	ConfigHelp() string
}

// MagicConfigKeyer is implemented by a plugin (the value given to
// [Register]) that names the key of a parameter given without "key=":
// with MagicConfigKey returning "file", nbdkit ./plugin.so disk.img
// means nbdkit ./plugin.so file=disk.img.  Without it a bare value
// means script=VALUE (nbdkit's default magic key), which the default
// [Plugin.Config] refuses.
type MagicConfigKeyer interface {
	MagicConfigKey() string
}

// ThreadModeler is implemented by a plugin (the value given to
// [Register]) that limits how much concurrency nbdkit allows: its
// ThreadModel returns one of the ThreadModel* constants, such as
// [ThreadModelSerializeRequests].  Without it the model is
// [ThreadModelParallel]: methods of different connections, and of one
// connection, may run at the same time.
//
// ThreadModel is called twice: when the plugin is loaded, where its
// answer is the most parallel model the plugin ever supports, and again
// after ConfigComplete, where it may choose a stricter model depending
// on the configuration (a looser answer is ignored by nbdkit).
type ThreadModeler interface {
	ThreadModel() uint32
}

// Plugin-wide, lifecycle and exports.

// AfterForker is implemented by a plugin (the value given to
// [Register]) that has set-up to do once it serves: AfterFork is called
// once in the process that serves, after nbdkit has forked into the
// background (if it does), changed user (-u) and written its pid file,
// and before the first connection.  Like GetReady, it runs only in the
// serving process (see [Reexecuted]); an error makes nbdkit exit 1 (a
// daemon's starting command too).  Without it nothing is called there.
type AfterForker interface {
	AfterFork() error
}

// Cleaner is implemented by a plugin (the value given to [Register])
// that has something to stop, such as the goroutines AfterFork
// started: Cleanup is called after the last connection closed, before
// Unload, when the server shuts down after AfterFork ran.  Without it
// nbdkit goes straight to Unload.
type Cleaner interface {
	Cleanup()
}

// ExportLister is implemented by a plugin (the value given to
// [Register]) that serves several exports: ListExports lists the
// exports a client may connect to (NBD_OPT_LIST, nbdinfo --list) by
// calling [ExportList.Add] for each.  readonly is true when nbdkit runs
// with -r; isTLS when the client has completed TLS negotiation.  Without
// it, the lone export listed is the default export (see
// [DefaultExporter]).
type ExportLister interface {
	ListExports(readonly, isTLS bool, exports ExportList) error
}

// DefaultExporter is implemented by a plugin (the value given to
// [Register]) whose default export has a name: DefaultExport gives the
// name of the export a client gets when it asks for the default export
// "", which [ExportName] then returns.  An error refuses the default
// export.  Without it the default export's name is "".
type DefaultExporter interface {
	DefaultExport(readonly, isTLS bool) (string, error)
}

// Per connection: capabilities and extra operations.

// FUAChecker is implemented by a connection (the value
// plugin's Open returns) that chooses how Forced Unit Access
// is handled: CanFUA returns [FUANone] (not advertised), [FUAEmulate]
// (nbdkit calls Flush after each write; needs CanFlush to return true,
// else FUA is not advertised) or [FUANative] (PWrite, Zero and Trim see
// [FlagFUA] and must not return before the data is durable).  Without
// it: FUAEmulate if CanFlush returns true, else FUANone.
type FUAChecker interface {
	CanFUA() (uint32, error)
}

// FastZeroChecker is implemented by a connection (the value
// plugin's Open returns) whose Zero honours [FlagFastZero]:
// when the flag is set, Zero must fail at once with [syscall.ENOTSUP]
// or [syscall.EOPNOTSUPP] unless it is faster than writing zeroes.
// Fast zero is advertised to clients whatever the answer (nbdkit aborts
// on a fast zero it did not advertise, so one client request could end
// the server), but a fast zero reaches Zero only if CanFastZero
// returned true: without it, or when it returned false, or CanZero did,
// a fast zero fails at once with ENOTSUP and the client falls back to
// its slow path.
type FastZeroChecker interface {
	CanFastZero() (bool, error)
}

// CacheChecker is implemented by a connection (the value
// plugin's Open returns) that chooses how cache (prefetch)
// requests are handled: CanCache returns [CacheNone] (not advertised),
// [CacheEmulate] (nbdkit reads and discards the data) or [CacheNative]
// (Cache is called, or if the connection is not a [Cacher], the request
// succeeds at once).  Without it: CacheNative if the connection is a
// Cacher, else CacheNone.
type CacheChecker interface {
	CanCache() (uint32, error)
}

// Cacher is implemented by a connection (the value
// plugin's Open returns) that can prefetch: Cache prefetches
// count bytes at offset, so that a later read is faster.  Cache
// requests are advertised and reach Cache unless a [CacheChecker] says
// otherwise.  Without it cache requests are not advertised.
type Cacher interface {
	Cache(count uint32, offset uint64, flags uint32) error
}

// ExtentsChecker is implemented by a connection (the value
// plugin's Open returns) that is an [Extenter] only some of
// the time: CanExtents says whether block status requests are answered
// by Extents.  Without it: true if the connection is an Extenter.
// Without an Extents method the answer is false whatever CanExtents
// says.
type ExtentsChecker interface {
	CanExtents() (bool, error)
}

// Extenter is implemented by a connection (the value
// plugin's Open returns) that knows where its data, holes and
// zeroes are (block status: nbdinfo --map, qemu-img map; nbdcopy skips
// the holes).  Extents describes the range of count bytes at offset, by
// calling [ExtentList.Add] for consecutive extents starting at or
// before offset.  With [FlagReqOne] in flags, one extent is enough.
// Extents that are not allocated or read as zeroes have the types
// [ExtentHole] and [ExtentZero].  The extents need not cover the whole
// range: the reply ends where the last one ends, and the client asks
// again for the rest.  At least one extent is needed: with none, the
// request fails with EINVAL.  Without it clients see the whole disk as
// allocated data.
type Extenter interface {
	Extents(count uint32, offset uint64, flags uint32, extents ExtentList) error
}

// ExportDescriber is implemented by a connection (the value
// plugin's Open returns) that describes the export it serves:
// ExportDescription gives a human-readable text that clients may ask
// for, as nbdinfo does.  An error is logged and the client gets no
// description, as it does without the method.
type ExportDescriber interface {
	ExportDescription() (string, error)
}

// BlockSizer is implemented by a connection (the value
// plugin's Open returns) whose export has block size
// constraints: BlockSize gives the minimum (a power of 2 up to 64 KiB),
// preferred (a power of 2 from 512 and the minimum to 32 MiB) and
// maximum (at least the preferred size, a multiple of the minimum, or
// 0xffffffff for no limit) size of a request.  All three zero means no
// constraints, as without the method.  An error, or sizes outside these
// rules, refuses the client.
type BlockSizer interface {
	BlockSize() (minimum, preferred, maximum uint32, err error)
}
