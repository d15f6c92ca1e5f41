// A file served through one shared file offset: a plugin that must
// not see two requests at once, and says so with its thread model.
//
//	go build -buildmode=c-shared -o nbdkit-seekfile-plugin.so
//	nbdkit -f -U /tmp/seekfile.sock ./nbdkit-seekfile-plugin.so disk.img
//
// Every connection uses the same *os.File, positioned with Seek and
// then read or written with Read and Write.  Two requests running at
// once would move each other's file offset, so the plugin chooses
// ThreadModelSerializeAllRequests: nbdkit then runs one request at a
// time across all connections.  The same holds for a plugin that wraps
// a library or device that is not safe for concurrent use.
//
// The thread model can also depend on the configuration: ThreadModel
// is asked again after ConfigComplete, and may then choose a stricter
// model (here: with serialize=connections, one connection at a time).
package main

import (
	"errors"
	"io"
	"os"

	"libguestfs.org/nbdkit"
)

type seekfilePlugin struct {
	nbdkit.Plugin
	path        string
	file        *os.File
	connections bool // serialize=connections
}

type seekfileConnection struct {
	nbdkit.Connection
	file *os.File
}

var (
	_ nbdkit.ThreadModeler    = (*seekfilePlugin)(nil)
	_ nbdkit.MagicConfigKeyer = (*seekfilePlugin)(nil)
	_ nbdkit.Cleaner          = (*seekfilePlugin)(nil)
)

// ThreadModel is called when the plugin is loaded (before Config: the
// loosest model the plugin ever allows) and after ConfigComplete.
func (p *seekfilePlugin) ThreadModel() uint32 {
	if p.connections {
		return nbdkit.ThreadModelSerializeConnections
	}
	return nbdkit.ThreadModelSerializeAllRequests
}

func (p *seekfilePlugin) MagicConfigKey() string { return "file" }

func (p *seekfilePlugin) ConfigHelp() string {
	return "file=<FILENAME>     (required) The file to serve.\n" +
		"serialize=connections  Serve one connection at a time."
}

func (p *seekfilePlugin) Config(key, value string) error {
	switch key {
	case "file":
		// Relative to where nbdkit was started, whatever the current
		// directory is later.
		path, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return err
		}
		p.path = path
		return nil
	case "serialize":
		if value != "connections" && value != "requests" {
			return errors.New("serialize must be connections or requests")
		}
		p.connections = value == "connections"
		return nil
	}
	return p.Plugin.Config(key, value)
}

func (p *seekfilePlugin) ConfigComplete() error {
	if p.path == "" {
		return errors.New("the file parameter is required")
	}
	return nil
}

// GetReady opens the one file that every connection shares.
func (p *seekfilePlugin) GetReady() error {
	f, err := os.OpenFile(p.path, os.O_RDWR, 0)
	if err != nil {
		return err // an *os.PathError: its errno reaches nbdkit
	}
	p.file = f
	return nil
}

// Cleanup closes the file when the server shuts down.
func (p *seekfilePlugin) Cleanup() {
	if p.file != nil {
		p.file.Close()
	}
}

func (p *seekfilePlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &seekfileConnection{file: p.file}, nil
}

func (c *seekfileConnection) GetSize() (uint64, error) {
	info, err := c.file.Stat()
	if err != nil {
		return 0, err
	}
	return uint64(info.Size()), nil
}

func (c *seekfileConnection) CanWrite() (bool, error) { return true, nil }
func (c *seekfileConnection) CanFlush() (bool, error) { return true, nil }

// PRead is only safe because nbdkit never runs two requests at once.
func (c *seekfileConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	if _, err := c.file.Seek(int64(offset), io.SeekStart); err != nil {
		return err
	}
	_, err := io.ReadFull(c.file, buf)
	return err
}

func (c *seekfileConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	if _, err := c.file.Seek(int64(offset), io.SeekStart); err != nil {
		return err
	}
	_, err := c.file.Write(buf)
	return err
}

// Flush makes the writes durable.  With it, FUA writes are emulated by
// nbdkit: PWrite, then Flush.
func (c *seekfileConnection) Flush(flags uint32) error {
	return c.file.Sync()
}

func init() {
	nbdkit.Register("seekfile", &seekfilePlugin{})
}

func main() {}
