// The smallest useful nbdkit plugin in Go: a 1 MiB disk of zeroes.
//
// It implements only the three required methods (Open, GetSize and
// PRead); the embedded nbdkit.Plugin and nbdkit.Connection supply the
// rest, so the disk is read-only.
//
//	go build -buildmode=c-shared -o nbdkit-minimal-plugin.so
//	nbdkit -U - ./nbdkit-minimal-plugin.so --run 'nbdinfo "$uri"'
package main

import (
	"libguestfs.org/nbdkit"
)

type minimalPlugin struct {
	nbdkit.Plugin
}

type minimalConnection struct {
	nbdkit.Connection
}

const size = 1024 * 1024

func (p *minimalPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &minimalConnection{}, nil
}

func (c *minimalConnection) GetSize() (uint64, error) {
	return size, nil
}

// PRead fills buf with zeroes.  buf is nbdkit's own buffer: it must
// not be kept after PRead returns.
func (c *minimalConnection) PRead(buf []byte, offset uint64, flags uint32) error {
	for i := range buf {
		buf[i] = 0
	}
	return nil
}

func init() {
	nbdkit.Register("minimal", &minimalPlugin{})
}

// main is never called, but package main must have one.
func main() {}
