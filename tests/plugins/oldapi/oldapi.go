// A plugin written only against the API of the Go binding that ships
// in nbdkit's source tree, in the style of its examples: it exports
// plugin_init itself and calls nbdkit.PluginInitialize.  tests/plugin-oldapi.sh
// proves that such a plugin builds and runs unchanged.
//
// It is a RAM disk (size=BYTES, with an optional K, M or G suffix).  It
// is writable, but has no Flush and no Trim, so neither is advertised.
// Its data methods misbehave at fixed offsets:
//
//	PRead  at 4096:  panics
//	PWrite at 8192:  fails with nbdkit.PluginError{..., Errno: EPERM}
//	PWrite at 12288: fails with an error wrapping syscall.EINVAL
package main

import (
	"C"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"libguestfs.org/nbdkit"
)

var pluginName = "oldapi"

type OldPlugin struct {
	nbdkit.Plugin
}

type OldConnection struct {
	nbdkit.Connection
}

var size uint64 = 1024 * 1024
var disk []byte
var lock sync.RWMutex

// parseSize accepts an integer with an optional K, M or G suffix.
func parseSize(value string) (uint64, error) {
	var shift uint
	switch {
	case strings.HasSuffix(value, "K"):
		shift = 10
	case strings.HasSuffix(value, "M"):
		shift = 20
	case strings.HasSuffix(value, "G"):
		shift = 30
	}
	if shift != 0 {
		value = value[:len(value)-1]
	}
	n, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		return 0, err
	}
	return n << shift, nil
}

func (p *OldPlugin) Config(key string, value string) error {
	if key == "size" {
		var err error
		size, err = parseSize(value)
		if err != nil {
			return nbdkit.PluginError{Errmsg: "size: " + err.Error()}
		}
		return nil
	} else {
		return nbdkit.PluginError{Errmsg: "unknown parameter " + key}
	}
}

func (p *OldPlugin) GetReady() error {
	disk = make([]byte, size)
	return nil
}

// CanWrite on the plugin type, not the connection: the old binding
// never called it, and this one must not either (or be hurt by it).
func (p *OldPlugin) CanWrite() (bool, error) {
	return false, nbdkit.PluginError{Errmsg: "OldPlugin.CanWrite must not be called"}
}

func (p *OldPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &OldConnection{}, nil
}

func (c *OldConnection) GetSize() (uint64, error) {
	return size, nil
}

// Note that CanWrite is required in golang plugins, otherwise PWrite
// will never be called.
func (c *OldConnection) CanWrite() (bool, error) {
	return true, nil
}

func (c *OldConnection) PRead(buf []byte, offset uint64,
	flags uint32) error {
	if offset == 4096 {
		panic("oldapi: PRead at 4096")
	}
	lock.RLock()
	defer lock.RUnlock()
	copy(buf, disk[offset:int(offset)+len(buf)])
	return nil
}

func (c *OldConnection) PWrite(buf []byte, offset uint64,
	flags uint32) error {
	switch offset {
	case 8192:
		return nbdkit.PluginError{Errmsg: "denied", Errno: syscall.EPERM}
	case 12288:
		return fmt.Errorf("bad: %w", syscall.EINVAL)
	}
	lock.Lock()
	defer lock.Unlock()
	copy(disk[offset:int(offset)+len(buf)], buf)
	return nil
}

//----------------------------------------------------------------------
//
// The boilerplate below this line is required by all golang plugins,
// as well as importing "C" and "unsafe" modules at the top of the
// file.

//export plugin_init
func plugin_init() unsafe.Pointer {
	// If your plugin needs to do any initialization, you can
	// either put it here or implement a Load() method.
	// ...

	// Then you must call the following function.
	return nbdkit.PluginInitialize(pluginName, &OldPlugin{})
}

// This is never(?) called, but must exist.
func main() {}
