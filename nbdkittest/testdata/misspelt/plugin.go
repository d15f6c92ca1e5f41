// A plugin with a method misspelt by case (Pread for PRead), which is
// never called: nbdkittest fails the test that serves it.
package main

import "libguestfs.org/nbdkit"

type misspeltPlugin struct{ nbdkit.Plugin }

type misspeltConnection struct{ nbdkit.Connection }

func (p *misspeltPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &misspeltConnection{}, nil
}

func (c *misspeltConnection) GetSize() (uint64, error) { return 4096, nil }

// Pread should be PRead: the embedded Connection's PRead is called.
func (c *misspeltConnection) Pread(buf []byte, offset uint64, flags uint32) error {
	return nil
}

func init() { nbdkit.Register("misspelt", &misspeltPlugin{}) }

func main() {}
