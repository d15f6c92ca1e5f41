// The plugin that nbdkittest's own tests serve: a RAM disk whose first
// 4 KiB are read-only (writes there fail with EPERM), with block-size
// constraints, a description, and the page size as its extents.
package main

import (
	"sync"
	"syscall"

	"libguestfs.org/nbdkit"
)

const (
	size      = 1 << 20
	protected = 4096
)

type testPlugin struct{ nbdkit.Plugin }

type testConnection struct{ nbdkit.Connection }

var (
	mu   sync.RWMutex
	disk = make([]byte, size)
)

var (
	_ nbdkit.BlockSizer      = (*testConnection)(nil)
	_ nbdkit.ExportDescriber = (*testConnection)(nil)
	_ nbdkit.Extenter        = (*testConnection)(nil)
)

func (p *testPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &testConnection{}, nil
}

func (c *testConnection) GetSize() (uint64, error)    { return size, nil }
func (c *testConnection) CanWrite() (bool, error)     { return true, nil }
func (c *testConnection) CanFlush() (bool, error)     { return true, nil }
func (c *testConnection) CanTrim() (bool, error)      { return true, nil }
func (c *testConnection) CanZero() (bool, error)      { return true, nil }
func (c *testConnection) CanMultiConn() (bool, error) { return true, nil }
func (c *testConnection) Flush(flags uint32) error    { return nil }
func (c *testConnection) Trim(n uint32, off uint64, flags uint32) error {
	return c.Zero(n, off, flags)
}

func (c *testConnection) ExportDescription() (string, error) {
	return "nbdkittest's test disk", nil
}

func (c *testConnection) BlockSize() (uint32, uint32, uint32, error) {
	return 512, 4096, 1 << 20, nil
}

func (c *testConnection) PRead(buf []byte, off uint64, flags uint32) error {
	mu.RLock()
	defer mu.RUnlock()
	copy(buf, disk[off:])
	return nil
}

func (c *testConnection) PWrite(buf []byte, off uint64, flags uint32) error {
	if off < protected {
		return nbdkit.PluginError{Errmsg: "the first 4 KiB are read-only", Errno: syscall.EPERM}
	}
	mu.Lock()
	defer mu.Unlock()
	copy(disk[off:], buf)
	return nil
}

func (c *testConnection) Zero(n uint32, off uint64, flags uint32) error {
	if flags&nbdkit.FlagFastZero != 0 {
		return nbdkit.PluginError{Errmsg: "no fast zero", Errno: syscall.ENOTSUP}
	}
	b := make([]byte, n)
	return c.PWrite(b, off, flags)
}

// Extents: the protected block is data, the rest one extent of data.
func (c *testConnection) Extents(n uint32, off uint64, flags uint32, e nbdkit.ExtentList) error {
	if off < protected {
		if err := e.Add(0, protected, 0); err != nil {
			return err
		}
		if flags&nbdkit.FlagReqOne != 0 {
			return nil
		}
	}
	return e.Add(protected, size-protected, nbdkit.ExtentZero)
}

func init() { nbdkit.Register("nbdkittest", &testPlugin{}) }

func main() {}
