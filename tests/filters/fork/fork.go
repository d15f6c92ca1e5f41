// Package main is a Go filter, built on the binding's filter API, for
// nbdkit's forking modes with two or three Go runtimes in one nbdkit:
// over nbdkit's memory plugin or a Go plugin, alone or under a second
// build of itself.  It logs its one-time callbacks and each
// connection's Open, and serves reads and writes in Go (through next),
// so the data path runs in the re-executed server's Go runtime.
//
// Parameters (NAME is the filter's name, fork unless built with
// -ldflags "-X main.layerName=NAME", for a second Go filter); every
// other parameter goes on to the next layer:
//
//	NAME-log=FILE         append "pid=PID NAME EVENT reexecuted=...
//	                      willreexecute=..." lines: Load, GetReady,
//	                      AfterFork, Open, Unload
//	NAME-failafterfork=1  AfterFork fails
package main

import (
	"errors"
	"fmt"
	"os"

	"libguestfs.org/nbdkit"
)

// layerName is the filter's name and the prefix of its parameters.
var layerName = "fork"

type forkFilter struct {
	nbdkit.Filter
	logPath       string
	failAfterFork bool
}

// The callbacks under test, checked at build time.
var (
	_ nbdkit.FilterConfigurer  = (*forkFilter)(nil)
	_ nbdkit.FilterGetReadier  = (*forkFilter)(nil)
	_ nbdkit.FilterAfterForker = (*forkFilter)(nil)
	_ nbdkit.FilterReader      = (*forkConnection)(nil)
	_ nbdkit.FilterWriter      = (*forkConnection)(nil)
)

func (f *forkFilter) log(event string) {
	if f.logPath == "" {
		return
	}
	file, err := os.OpenFile(f.logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0666)
	if err != nil {
		nbdkit.Error("log: " + err.Error())
		return
	}
	defer file.Close()
	fmt.Fprintf(file, "pid=%d %s %s reexecuted=%v willreexecute=%v\n", os.Getpid(), layerName,
		event, nbdkit.Reexecuted(), nbdkit.WillReexecute())
}

func (f *forkFilter) Config(next nbdkit.NextConfig, key, value string) error {
	switch key {
	case layerName + "-log":
		path, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return err
		}
		f.logPath = path
		f.log("Load") // Load itself runs before the first Config
	case layerName + "-failafterfork":
		f.failAfterFork = value == "1"
	default:
		return next.Config(key, value)
	}
	return nil
}

func (f *forkFilter) GetReady(threadModel uint32) error {
	f.log("GetReady")
	return nil
}

func (f *forkFilter) AfterFork(backend nbdkit.Backend) error {
	f.log("AfterFork")
	if f.failAfterFork {
		return errors.New(layerName + ": AfterFork fails on purpose")
	}
	return nil
}

func (f *forkFilter) Unload() { f.log("Unload") }

func (f *forkFilter) Open(next nbdkit.NextOpen, readonly bool, exportName string, isTLS bool) (nbdkit.FilterConnectionInterface, error) {
	if err := next.Open(readonly, exportName); err != nil {
		return nil, err
	}
	f.log("Open")
	return &forkConnection{}, nil
}

// forkConnection serves reads and writes in Go, through the next
// layer.
type forkConnection struct{ nbdkit.FilterConnection }

func (c *forkConnection) PRead(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	return next.PRead(buf, offset, flags)
}

func (c *forkConnection) PWrite(next nbdkit.Next, buf []byte, offset uint64, flags uint32) error {
	return next.PWrite(buf, offset, flags)
}

func init() { nbdkit.RegisterFilter(layerName, &forkFilter{}) }

func main() {}
