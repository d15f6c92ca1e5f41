// Several named exports, each with a description, and a default.
//
//	go build -buildmode=c-shared -o nbdkit-exports-plugin.so
//	nbdkit -f -U /tmp/exports.sock ./nbdkit-exports-plugin.so
//	nbdinfo --list 'nbd+unix:///?socket=/tmp/exports.sock'
//	nbdinfo 'nbd+unix:///blue?socket=/tmp/exports.sock'
//
// Each export is a small read-only disk filled with one byte, so a
// client can tell which one it got.  It shows:
//
//   - ExportLister: the list a client sees with nbdinfo --list;
//   - DefaultExporter: which export the default name "" means;
//   - ExportDescriber: the description shown for the open export;
//   - nbdkit.ExportName in Open: choosing what to serve.
package main

import (
	"fmt"
	"syscall"

	"libguestfs.org/nbdkit"
)

type export struct {
	name        string
	description string
	fill        byte
	size        uint64
}

// The exports, in the order they are listed; the first is the default.
var exports = []export{
	{"red", "a 1 MiB disk of 0x52 bytes", 'R', 1 << 20},
	{"green", "a 2 MiB disk of 0x47 bytes", 'G', 2 << 20},
	{"blue", "a 4 MiB disk of 0x42 bytes", 'B', 4 << 20},
}

type exportsPlugin struct {
	nbdkit.Plugin
}

type exportsConnection struct {
	nbdkit.Connection
	export *export
}

var (
	_ nbdkit.ExportLister    = (*exportsPlugin)(nil)
	_ nbdkit.DefaultExporter = (*exportsPlugin)(nil)
	_ nbdkit.ExportDescriber = (*exportsConnection)(nil)
)

// ListExports answers nbdinfo --list.  isTLS would let a plugin hide
// exports from clients that have not authenticated.
func (p *exportsPlugin) ListExports(readonly, isTLS bool, list nbdkit.ExportList) error {
	for _, e := range exports {
		if err := list.Add(e.name, e.description); err != nil {
			return err
		}
	}
	return nil
}

// DefaultExport names the export a client gets when it asks for "".
func (p *exportsPlugin) DefaultExport(readonly, isTLS bool) (string, error) {
	return exports[0].name, nil
}

// Open serves the export the client asked for.  nbdkit has already
// replaced "" by DefaultExport's answer.
func (p *exportsPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	name, err := nbdkit.ExportName()
	if err != nil {
		return nil, err
	}
	for i := range exports {
		if exports[i].name == name {
			return &exportsConnection{export: &exports[i]}, nil
		}
	}
	return nil, nbdkit.PluginError{
		Errmsg: fmt.Sprintf("no export called %q (try nbdinfo --list)", name),
		Errno:  syscall.ENOENT,
	}
}

func (c *exportsConnection) ExportDescription() (string, error) {
	return c.export.description, nil
}

func (c *exportsConnection) GetSize() (uint64, error) {
	return c.export.size, nil
}

func (c *exportsConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	for i := range buf {
		buf[i] = c.export.fill
	}
	return nil
}

func init() {
	nbdkit.Register("exports", &exportsPlugin{})
}

func main() {}
