// A plugin that adds its own lines to nbdkit --dump-plugin.
//
//	go build -buildmode=c-shared -o nbdkit-dump-plugin-plugin.so
//	nbdkit --dump-plugin ./nbdkit-dump-plugin-plugin.so
//
// prints nbdkit's description of the plugin (name=dumpplugin,
// thread_model=parallel, has_pread=1, ...), the binding's
// golang_version=, and then the lines that DumpPlugin below prints.
// Scripts and bug reports read these key=value lines.  Served, it is a
// small read-only disk holding a greeting.
//
// This example is also written in the older style of the binding that
// ships inside nbdkit's source tree: instead of calling nbdkit.Register
// from init, it exports plugin_init itself and returns the result of
// nbdkit.PluginInitialize.  Both styles work; a plugin uses one of them.
package main

// import "C" is needed for the //export comment below, which makes cgo
// export plugin_init, the function nbdkit looks up in every plugin.
// (A comment directly above import "C" would be read as C code.)

import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"libguestfs.org/nbdkit"
)

// The plugin's version and what it can do, for DumpPlugin.
const pluginVersion = "1.0.0"

var features = []string{"pread", "dump_plugin"}

// The disk: a greeting, then zeroes up to diskSize.
const (
	greeting = "Hello from the dump-plugin example.\n"
	diskSize = 64 * 1024
)

type dumpPlugin struct {
	nbdkit.Plugin
}

type dumpConnection struct {
	nbdkit.Connection
}

var (
	_ nbdkit.PluginInterface     = (*dumpPlugin)(nil)
	_ nbdkit.ConnectionInterface = (*dumpConnection)(nil)
)

// DumpPlugin is called by nbdkit --dump-plugin after nbdkit has printed
// its own lines.  Print more key=value lines to standard output; by
// convention the keys start with the plugin's name.
func (p *dumpPlugin) DumpPlugin() {
	fmt.Println("dumpplugin_version=" + pluginVersion)
	fmt.Println("dumpplugin_features=" + strings.Join(features, ","))
}

func (p *dumpPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &dumpConnection{}, nil
}

func (c *dumpConnection) GetSize() (uint64, error) {
	return diskSize, nil
}

// PRead copies the part of the disk at offset into buf.  buf is
// nbdkit's own buffer: it must not be kept after PRead returns.
func (c *dumpConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	n := 0
	if offset < uint64(len(greeting)) {
		n = copy(buf, greeting[offset:])
	}
	for i := n; i < len(buf); i++ {
		buf[i] = 0
	}
	return nil
}

// plugin_init is what nbdkit calls first in every plugin.  The name
// that nbdkit shows (name=dumpplugin) must be letters and digits only.
//
//export plugin_init
func plugin_init() unsafe.Pointer {
	return nbdkit.PluginInitialize("dumpplugin", &dumpPlugin{})
}

// main is never called, but package main must have one.
func main() {}
