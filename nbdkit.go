// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

// Package nbdkit lets a Go program be an nbdkit plugin.
//
// nbdkit is a Network Block Device (NBD) server whose backends are
// plugins loaded from shared objects.  A Go plugin is a package main
// that implements [PluginInterface] and [ConnectionInterface], registers
// itself with [Register], and is built as a C shared object:
//
//	go build -buildmode=c-shared -o nbdkit-foo-plugin.so
//	nbdkit -f ./nbdkit-foo-plugin.so size=1G
//
// # Writing a plugin
//
// Embed [Plugin] in your plugin type and [Connection] in your
// connection type: they supply a default for every method, so you only
// write the ones you need.  Open, GetSize and PRead are required.  The
// plugin is the one value given to Register; its Open returns a new
// connection value for each client.
//
//	type diskPlugin struct{ nbdkit.Plugin }
//	type diskConnection struct{ nbdkit.Connection }
//
//	func (p *diskPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
//		return &diskConnection{}, nil
//	}
//	func (c *diskConnection) GetSize() (uint64, error) { return 1 << 20, nil }
//	func (c *diskConnection) PRead(buf []byte, offset uint64, flags uint32) error {
//		// fill buf with the data at offset
//		return nil
//	}
//
//	func init() { nbdkit.Register("disk", &diskPlugin{}) }
//	func main() {}
//
// Plugins written for the binding shipped inside nbdkit's source tree,
// which export plugin_init themselves and call [PluginInitialize], work
// unchanged.
//
// # Optional interfaces
//
// Everything else a C plugin can do is an optional interface, as in
// database/sql/driver: a plugin or connection type with the method gets
// the nbdkit callback, one without gets what nbdkit gives a C plugin
// that leaves it out, at no cost.  Each interface's doc says what that
// is.
//
// Implemented by the plugin (the value given to Register): [Versioner],
// [LongNamer], [Describer], [ConfigHelper], [MagicConfigKeyer],
// [ThreadModeler], [AfterForker], [Cleaner], [ExportLister],
// [DefaultExporter].
//
// Implemented by a connection (the value Open returns): [FUAChecker],
// [FastZeroChecker], [CacheChecker], [Cacher], [ExtentsChecker],
// [Extenter], [ExportDescriber], [BlockSizer].
//
// Check at compile time that a type has the method you meant, with its
// exact name and signature:
//
//	var _ nbdkit.Extenter = (*diskConnection)(nil)
//
// The nbdkit_* functions are here too: [ParseSize], [ParseBool], the
// [ParseInt] family, [ReadPassword], [AbsolutePath], [ExportName],
// [PeerName], [CurrentClient] and more; those newer than the running
// nbdkit return [ErrNotSupported].  [Debug], [Error] and (Go 1.21)
// NewSlogHandler write to nbdkit's log.
//
// # Can* callbacks
//
// PWrite is only called if CanWrite returned true, and likewise Flush
// (CanFlush), Trim (CanTrim) and Zero (CanZero).  This differs from C
// plugins, where the presence of the callback is enough.  A FUA write
// is emulated with Flush only when CanFlush returned true; otherwise
// FUA is not advertised to clients.
//
// # Buffers
//
// The buf given to PRead and PWrite is nbdkit's own buffer, not a copy.
// A plugin must not keep buf, or any slice of it, after the method
// returns.
//
// # Errors and panics
//
// A method reports failure by returning an error.  The message is
// passed to nbdkit_error and the client sees an errno taken from
// PluginError.Errno if the error is (or wraps) a [PluginError] with a
// non-zero Errno, else from a [syscall.Errno] found with [errors.As] (so
// errors from the os package carry their errno), else EIO.  A panic in
// any method is recovered: the request fails with EIO, the panic value
// is logged as an error and the stack as debug output (nbdkit -v), and
// the server goes on serving.
//
// # Concurrency
//
// The thread model is NBDKIT_THREAD_MODEL_PARALLEL unless the plugin is
// a [ThreadModeler]: methods of different connections, and of one
// connection, may run concurrently, so state shared between requests
// needs its own locking.
//
// # Filters
//
// A package main can be an nbdkit filter instead, which sits between
// the client and the plugin: embed Filter and FilterConnection, call
// RegisterFilter from init, build nbdkit-NAME-filter.so and run
// nbdkit --filter=./nbdkit-NAME-filter.so PLUGIN.  Each callback of
// struct nbdkit_filter is an optional interface (FilterReader,
// FilterWriter, FilterSizer, FilterConfigurer...) whose method gets the
// next layer (Next, NextConfig, NextOpen...) as its first argument;
// what a filter lacks goes to the next layer in C.  See
// nbdkit-golang-filter(3).
//
// # Forking and --run
//
// Unless run with -f, -s, --exit-with-parent or socket activation,
// nbdkit forks before serving (daemon mode, and --run).  The Go runtime
// does not survive a fork, so the forked child re-executes nbdkit,
// which loads the plugin again: Load, Config and ConfigComplete run
// twice, first in a process that only checks the configuration
// ([WillReexecute]), then in the server ([Reexecuted]).  GetReady and
// AfterFork run once, in the serving process: do one-time set-up
// (ports, locks, goroutines, connections) there.  If the server fails
// to start, the command that started nbdkit fails with its error.
//
// # Testing a plugin
//
// A plugin's methods are plain Go methods, which its own go test can
// call as nbdkit would (see the example of [Register]).  Outside nbdkit
// the functions that need the server fail with [ErrNoServer], and an
// [ExtentList] or [ExportList] can be filled only in nbdkit: the
// package libguestfs.org/nbdkit/nbdkittest serves the plugin with the
// real nbdkit, from go test, and connects real NBD clients to it.
package nbdkit

/*
#cgo pkg-config: nbdkit
#cgo LDFLAGS: -Wl,--unresolved-symbols=ignore-in-object-files
#include <stdlib.h>
#include "wrapper.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"
)

// APIVersion is the nbdkit plugin API version this binding uses.
const APIVersion = C.NBDKIT_API_VERSION

// The thread models, the answers of [ThreadModeler]: how many requests
// nbdkit lets run at the same time, from the strictest to the most
// parallel (see Threads in nbdkit-plugin(3)).
const (
	ThreadModelSerializeConnections = uint32(C.NBDKIT_THREAD_MODEL_SERIALIZE_CONNECTIONS)  // one connection at a time
	ThreadModelSerializeAllRequests = uint32(C.NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS) // one request at a time
	ThreadModelSerializeRequests    = uint32(C.NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS)     // one request at a time per connection
	ThreadModelParallel             = uint32(C.NBDKIT_THREAD_MODEL_PARALLEL)               // any number: the default
)

// The flags, bits of the flags argument of the data methods (PWrite,
// Zero, Trim, Extents, Cache...): test one with flags&FlagFUA != 0.  A
// method sees only the flags that apply to it, and FlagFUA only with
// [FUANative].
const (
	FlagMayTrim  = uint32(C.NBDKIT_FLAG_MAY_TRIM)  // Zero may punch a hole
	FlagFUA      = uint32(C.NBDKIT_FLAG_FUA)       // PWrite, Zero, Trim: durable before returning
	FlagReqOne   = uint32(C.NBDKIT_FLAG_REQ_ONE)   // Extents: one extent is enough
	FlagFastZero = uint32(C.NBDKIT_FLAG_FAST_ZERO) // Zero: fail unless fast (see FastZeroChecker)
)

// The answers of [FUAChecker]: whether clients may send writes with
// Forced Unit Access, and who makes them durable.
const (
	FUANone    = uint32(C.NBDKIT_FUA_NONE)    // FUA is not advertised
	FUAEmulate = uint32(C.NBDKIT_FUA_EMULATE) // nbdkit calls Flush after the write
	FUANative  = uint32(C.NBDKIT_FUA_NATIVE)  // PWrite, Zero and Trim see FlagFUA
)

// The answers of [CacheChecker]: whether clients may send cache
// (prefetch) requests, and who answers them.
const (
	CacheNone    = uint32(C.NBDKIT_CACHE_NONE)    // cache is not advertised
	CacheEmulate = uint32(C.NBDKIT_CACHE_EMULATE) // nbdkit reads and discards the data
	CacheNative  = uint32(C.NBDKIT_CACHE_NATIVE)  // Cache is called, if the connection is a Cacher
)

// The extent types, bits of the type given to [ExtentList.Add] and of
// [Extent].Type: 0 is allocated data, ExtentHole|ExtentZero a hole that
// reads as zeroes.
const (
	ExtentHole = uint32(C.NBDKIT_EXTENT_HOLE) // not allocated
	ExtentZero = uint32(C.NBDKIT_EXTENT_ZERO) // reads as zeroes
)

// PluginInterface is the plugin-wide part of a plugin: the value given
// to [Register].  Embed [Plugin] to get a default for each method; Open
// must be implemented.  The optional interfaces implemented by the
// plugin, such as [Versioner] and [ExportLister], add more.
type PluginInterface interface {
	// Load is called once, just after the plugin is loaded.
	Load()
	// Unload is called once, just before the plugin is unloaded.
	Unload()
	// DumpPlugin prints extra key=value lines for nbdkit --dump-plugin.
	DumpPlugin()
	// Config is called for each key=value on the command line.
	Config(key string, value string) error
	// ConfigComplete is called after the last Config.
	ConfigComplete() error
	// GetReady is called once before the server starts serving, in
	// the process that serves (see WillReexecute).
	GetReady() error
	// PreConnect is called when a client connects, before Open.
	PreConnect(readonly bool) error
	// Open is called for each new connection (required).
	Open(readonly bool) (ConnectionInterface, error)
}

// ConnectionInterface is one client connection: the value the
// plugin's Open returns.  Embed [Connection] to get a default
// for each method; GetSize and PRead must be implemented.  The optional
// interfaces implemented by a connection, such as [Extenter] and
// [FUAChecker], add more.
type ConnectionInterface interface {
	// Close is called once when the connection ends, also for a
	// connection still open when nbdkit shuts down (nbdkit 1.32 skips
	// .close for those; the binding closes them before Cleanup and
	// Unload).
	Close()
	// GetSize returns the size of the disk in bytes (required).
	GetSize() (uint64, error)
	// CanWrite reports whether PWrite may be called.
	CanWrite() (bool, error)
	// CanFlush reports whether Flush may be called.
	CanFlush() (bool, error)
	// IsRotational reports whether the disk is a rotating medium.
	IsRotational() (bool, error)
	// CanTrim reports whether Trim may be called.
	CanTrim() (bool, error)
	// CanZero reports whether Zero may be called; nbdkit writes zeroes
	// with PWrite otherwise.
	CanZero() (bool, error)
	// CanMultiConn reports whether a client may open several
	// connections and expect them to see each other's flushed writes.
	CanMultiConn() (bool, error)
	// PRead fills buf with the data at offset (required).
	PRead(buf []byte, offset uint64, flags uint32) error
	// PWrite writes buf at offset.
	PWrite(buf []byte, offset uint64, flags uint32) error
	// Flush makes earlier writes durable.
	Flush(flags uint32) error
	// Trim discards count bytes at offset.
	Trim(count uint32, offset uint64, flags uint32) error
	// Zero writes count zero bytes at offset.
	Zero(count uint32, offset uint64, flags uint32) error
}

// Plugin supplies a default for every [PluginInterface] method; embed
// it in your plugin type.
type Plugin struct{}

// Connection supplies a default for every [ConnectionInterface] method;
// embed it in your connection type.
type Connection struct{}

// Load does nothing.
func (p *Plugin) Load() {}

// Unload does nothing.
func (p *Plugin) Unload() {}

// DumpPlugin prints nothing.
func (p *Plugin) DumpPlugin() {}

// Config rejects every key: a plugin that takes parameters implements
// its own Config.
func (p *Plugin) Config(key string, value string) error {
	return fmt.Errorf("unknown parameter %s", key)
}

// ConfigComplete accepts any configuration.
func (p *Plugin) ConfigComplete() error { return nil }

// GetReady does nothing.
func (p *Plugin) GetReady() error { return nil }

// PreConnect accepts every client.
func (p *Plugin) PreConnect(readonly bool) error { return nil }

// Open fails: every plugin must implement its own Open.
func (p *Plugin) Open(readonly bool) (ConnectionInterface, error) {
	return nil, notImplemented("Open")
}

// Close does nothing.
func (c *Connection) Close() {}

// GetSize fails: every plugin must implement its own GetSize.
func (c *Connection) GetSize() (uint64, error) { return 0, notImplemented("GetSize") }

// CanWrite returns false: the disk is read-only.
func (c *Connection) CanWrite() (bool, error) { return false, nil }

// CanFlush returns false.
func (c *Connection) CanFlush() (bool, error) { return false, nil }

// IsRotational returns false.
func (c *Connection) IsRotational() (bool, error) { return false, nil }

// CanTrim returns false.
func (c *Connection) CanTrim() (bool, error) { return false, nil }

// CanZero returns false: nbdkit writes zeroes with PWrite instead.
func (c *Connection) CanZero() (bool, error) { return false, nil }

// CanMultiConn returns false.
func (c *Connection) CanMultiConn() (bool, error) { return false, nil }

// PRead fails: every plugin must implement its own PRead.
func (c *Connection) PRead(buf []byte, offset uint64, flags uint32) error {
	return notImplemented("PRead")
}

// PWrite fails; it is only called if CanWrite returned true.
func (c *Connection) PWrite(buf []byte, offset uint64, flags uint32) error {
	return notImplemented("PWrite")
}

// Flush fails; it is only called if CanFlush returned true.
func (c *Connection) Flush(flags uint32) error { return notImplemented("Flush") }

// Trim fails; it is only called if CanTrim returned true.
func (c *Connection) Trim(count uint32, offset uint64, flags uint32) error {
	return notImplemented("Trim")
}

// Zero fails; it is only called if CanZero returned true.
func (c *Connection) Zero(count uint32, offset uint64, flags uint32) error {
	return notImplemented("Zero")
}

// The plugin being served.  It is set once, by PluginInitialize, before
// nbdkit calls any other callback, and only read afterwards.
var pluginImpl PluginInterface

// PluginInitialize returns the plugin description that nbdkit expects
// from plugin_init.  Call it from your own exported plugin_init:
//
//	//export plugin_init
//	func plugin_init() unsafe.Pointer {
//		return nbdkit.PluginInitialize("disk", &diskPlugin{})
//	}
//
// or let [Register] do it for you.  name is the plugin's name as nbdkit
// shows it: letters and digits, starting with a letter.
func PluginInitialize(name string, impl PluginInterface) (plugin unsafe.Pointer) {
	defer catchPanic("PluginInitialize", &plugin, nil)
	info, err := describePlugin(name, impl)
	if err != nil {
		Error("nbdkit.PluginInitialize: " + err.Error())
		return nil
	}
	pluginImpl = impl
	checkPlugin(impl)
	return unsafe.Pointer(C.wrapper_plugin_init(info))
}

// describePlugin reads the plugin's static information and optional
// capabilities, once, for nbdkit, which keeps the strings for the life
// of the process.
func describePlugin(name string, impl PluginInterface) (*C.struct_plugin_info, error) {
	if isNil(impl) {
		return nil, fmt.Errorf("the plugin (%T) is nil", impl)
	}
	// Go memory: wrapper_plugin_init copies what it needs.
	info := &C.struct_plugin_info{}
	var err error
	setString := func(dest **C.char, what, value string) {
		if err == nil {
			*dest, err = staticCString(what, value)
		}
	}
	setString(&info.name, "the plugin name", name)
	if name == "" {
		err = errors.New("the plugin name is empty")
	}
	setString(&info.longname, "LongName", optionalString(impl, LongNamer.LongName))
	setString(&info.version, "Version", optionalString(impl, Versioner.Version))
	setString(&info.description, "Description", optionalString(impl, Describer.Description))
	setString(&info.config_help, "ConfigHelp", optionalString(impl, ConfigHelper.ConfigHelp))
	setString(&info.magic_config_key, "MagicConfigKey",
		optionalString(impl, MagicConfigKeyer.MagicConfigKey))
	if err != nil {
		return nil, err
	}

	info.thread_model = C.int(ThreadModelParallel)
	if p, ok := impl.(ThreadModeler); ok {
		model := p.ThreadModel()
		if model > ThreadModelParallel {
			return nil, fmt.Errorf("ThreadModel returned %d, not a ThreadModel* constant", model)
		}
		info.thread_model = C.int(model)
	}
	info.caps = C.uint32_t(pluginCapabilities(impl))
	return info, nil
}

// pluginCapabilities returns the enum plugin_capability bits of the
// optional plugin-wide interfaces that impl implements.
func pluginCapabilities(impl PluginInterface) uint32 {
	var caps uint32
	discover[ThreadModeler](impl, C.PLUGIN_THREAD_MODEL, &caps)
	discover[AfterForker](impl, C.PLUGIN_AFTER_FORK, &caps)
	discover[ExportLister](impl, C.PLUGIN_LIST_EXPORTS, &caps)
	discover[DefaultExporter](impl, C.PLUGIN_DEFAULT_EXPORT, &caps)
	discover[Cleaner](impl, C.PLUGIN_CLEANUP, &caps)
	return caps
}

// optionalString is what method returns if impl implements it, else "".
func optionalString[Interface any](impl PluginInterface, method func(Interface) string) string {
	if p, ok := impl.(Interface); ok {
		return method(p)
	}
	return ""
}

// staticCString copies s to C memory that is never freed, for strings
// nbdkit keeps for the life of the process.  "" stays NULL, as in a C
// plugin that leaves the field out.
func staticCString(what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	if s == "" {
		return nil, nil
	}
	return C.CString(s), nil
}

var registered struct {
	name  string
	impl  PluginInterface
	err   error // a mistake in calling Register, reported at load
	calls int
}

// Register names the plugin to serve.  Call it from an init function;
// the package then supplies plugin_init, and the plugin's main package
// needs nothing else but an empty func main().
//
//	func init() { nbdkit.Register("disk", &diskPlugin{}) }
//	func main() {}
//
// A plugin that exports its own plugin_init (the older style, calling
// [PluginInitialize]) does not call Register.
//
// A plugin .so serves one plugin: calling Register twice, or with a
// nil plugin, is an error that nbdkit reports when it loads the plugin.
func Register(name string, impl PluginInterface) {
	registered.calls++
	switch {
	case registered.err != nil:
	case registered.calls > 1:
		registered.err = fmt.Errorf("nbdkit.Register called more than once (%q, then %q): "+
			"a plugin .so serves one plugin", registered.name, name)
	case isNil(impl):
		registered.err = fmt.Errorf("nbdkit.Register(%q, %T): the plugin is nil", name, impl)
	}
	registered.name = name
	registered.impl = impl
}

// isNil reports whether impl is nil, or a nil pointer in an interface.
func isNil(impl interface{}) bool {
	if impl == nil {
		return true
	}
	v := reflect.ValueOf(impl)
	return v.Kind() == reflect.Ptr && v.IsNil()
}

//export go_registered_plugin
func go_registered_plugin() unsafe.Pointer {
	if err := registeredKind(); err != nil {
		Error(err.Error())
		return nil
	}
	switch {
	case registered.err != nil:
		Error(registered.err.Error())
		return nil
	case registered.calls == 0:
		Error("no plugin registered: call nbdkit.Register from an init function, " +
			"or export plugin_init and call nbdkit.PluginInitialize")
		return nil
	}
	return PluginInitialize(registered.name, registered.impl)
}
