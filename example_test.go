// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit_test

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"strings"

	"libguestfs.org/nbdkit"
)

// helloPlugin serves a read-only disk of 1 MiB that starts with a
// greeting: the plugin of the examples.  In its own package main, the
// plugin would have
//
//	func init() { nbdkit.Register("hello", &helloPlugin{}) }
//	func main() {}
type helloPlugin struct{ nbdkit.Plugin }

// helloConnection serves the disk with NewReaderAtConnection, embedded,
// and adds two optional interfaces of its own.
type helloConnection struct{ nbdkit.ConnectionInterface }

const (
	helloSize = 1 << 20
	pageSize  = 4096
)

// The compile-time checks: a misspelt or mistyped method would
// otherwise never be called.
var (
	_ nbdkit.BlockSizer = (*helloConnection)(nil)
	_ nbdkit.Extenter   = (*helloConnection)(nil)
)

func (p *helloPlugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	greeting := bytes.NewReader([]byte("hello, world\n"))
	return &helloConnection{nbdkit.NewReaderAtConnection(greeting, helloSize)}, nil
}

// BlockSize asks clients for requests of whole 512-byte sectors, and
// of whole pages where they can.
func (c *helloConnection) BlockSize() (minimum, preferred, maximum uint32, err error) {
	return 512, pageSize, 0xffffffff, nil
}

// Extents says that the first page, with the greeting, is data and the
// rest a hole that reads as zeroes.  nbdkit clips the extents to the
// range asked for.
func (c *helloConnection) Extents(count uint32, offset uint64, flags uint32,
	extents nbdkit.ExtentList) error {
	if offset < pageSize {
		if err := extents.Add(0, pageSize, 0); err != nil {
			return err
		}
	}
	return extents.Add(pageSize, helloSize-pageSize, nbdkit.ExtentHole|nbdkit.ExtentZero)
}

// A plugin's main package registers the plugin from an init function,
// and has an empty main.  Register only records the plugin, for nbdkit
// to find when it loads the .so, so a test of the plugin (here, the
// example) can call it too, and then call the plugin's methods, which
// are plain Go, as nbdkit does for a client.
func ExampleRegister() {
	plugin := &helloPlugin{}
	nbdkit.Register("hello", plugin) // in the plugin: from func init()

	conn, err := plugin.Open(true)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	size, err := conn.GetSize()
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 5)
	if err := conn.PRead(buf, 0, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Println(size, string(buf))
	// Output: 1048576 hello
}

// A connection is a BlockSizer if it has the method.  The binding finds
// out once, when Open returns the connection, with a type assertion
// like this one, and nbdkit then asks BlockSize when a client connects.
// A connection without the method has no block size constraints, and
// costs nothing for it.
func ExampleBlockSizer() {
	plugin := &helloPlugin{}
	conn, err := plugin.Open(true)
	if err != nil {
		log.Fatal(err)
	}
	if sizer, ok := conn.(nbdkit.BlockSizer); ok {
		fmt.Println(sizer.BlockSize())
	}

	plain := nbdkit.NewReaderAtConnection(strings.NewReader("hello"), helloSize)
	_, ok := plain.(nbdkit.BlockSizer)
	fmt.Println(ok)
	// Output:
	// 512 4096 4294967295 <nil>
	// false
}

// A plugin's own list, to build an answer in parts: nbdkit merges
// adjacent extents of the same type.  In nbdkit this prints
//
//	0 8192 0
//	8192 1040384 3
//
// This example is compiled but not run by go test: an ExtentList is
// nbdkit's own list, which only nbdkit makes, and outside nbdkit
// NewExtentList fails with ErrNoServer.  The list nbdkit passes to
// Extents is filled the same way, with Add (see helloConnection's
// Extents); nbdkittest's Client.BlockStatus shows a test what a client
// sees of it.
func ExampleExtentList() {
	list, err := nbdkit.NewExtentList(0, helloSize)
	if err != nil {
		log.Fatal(err)
	}
	defer list.Free()
	for _, e := range []nbdkit.Extent{
		{Offset: 0, Length: pageSize, Type: 0},
		{Offset: pageSize, Length: pageSize, Type: 0},
		{Offset: 2 * pageSize, Length: helloSize - 2*pageSize, Type: nbdkit.ExtentHole | nbdkit.ExtentZero},
	} {
		if err := list.Add(e.Offset, e.Length, e.Type); err != nil {
			log.Fatal(err)
		}
	}
	for i := 0; i < list.Count(); i++ {
		e, err := list.Extent(i)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(e.Offset, e.Length, e.Type)
	}
}

// In go test, a plugin's code runs without nbdkit: the functions that
// need the server fail with an error wrapping ErrNoServer instead of
// crashing, so a test can tell that apart from a real failure.
func ExampleErrNoServer() {
	_, err := nbdkit.ParseSize("1G")
	fmt.Println(errors.Is(err, nbdkit.ErrNoServer))
	// Output: true
}
