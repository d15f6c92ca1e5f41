// A test filter for nbdkit's forking modes with two Go runtimes in one
// nbdkit: a Go filter (this .so, built from the binding, so with its
// own copy of reexec.c and its own Go runtime) over nbdkit's memory
// plugin or over a Go plugin.  It passes every request through (in C,
// forkfilter.c) and logs its own one-time callbacks, as a Go filter
// built on the binding's filter API would run them.
//
// The binding's plugin half serves as the Go side: Register makes
// Config, GetReady, AfterFork and Unload the filter's, and
// forkfilter.c calls them through the binding's go_* exports and
// reexec.h's hooks exactly as wrapper.c does for a plugin.
//
// Parameters (NAME is the filter's name, forkfilter unless built with
// -ldflags "-X main.layerName=NAME", for a second Go filter):
//
//	NAME-log=FILE       append "pid=PID NAME EVENT" lines: Load,
//	                    GetReady and AfterFork (with reexecuted= and
//	                    willreexecute=), Unload
//	NAME-failafterfork=1  AfterFork fails
package main

// #cgo pkg-config: nbdkit
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"libguestfs.org/nbdkit"
)

// layerName is the filter's name and the prefix of its parameters.
var layerName = "forkfilter"

type filterLayer struct {
	nbdkit.Plugin
	logPath       string
	failAfterFork bool
}

var _ nbdkit.AfterForker = (*filterLayer)(nil)

func (f *filterLayer) log(format string, args ...interface{}) {
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
		fmt.Sprintf(format, args...), nbdkit.Reexecuted(), nbdkit.WillReexecute())
}

func (f *filterLayer) Config(key, value string) error {
	switch strings.TrimPrefix(key, layerName+"-") {
	case "log":
		path, err := nbdkit.AbsolutePath(value)
		if err != nil {
			return err
		}
		f.logPath = path
		f.log("Load") // Load itself runs before the first Config
	case "failafterfork":
		f.failAfterFork = value == "1"
	default:
		return f.Plugin.Config(key, value)
	}
	return nil
}

func (f *filterLayer) GetReady() error {
	f.log("GetReady")
	return nil
}

func (f *filterLayer) AfterFork() error {
	f.log("AfterFork")
	if f.failAfterFork {
		return errors.New(layerName + ": AfterFork fails on purpose")
	}
	return nil
}

func (f *filterLayer) Unload() { f.log("Unload") }

// forkfilter_owns reports whether a parameter is the filter's: the
// others go on to the plugin.
//
//export forkfilter_owns
func forkfilter_owns(key *C.char) C.int {
	if strings.HasPrefix(C.GoString(key), layerName+"-") {
		return 1
	}
	return 0
}

// forkfilter_name is the filter's name, for nbdkit (kept for the life
// of the process).
//
//export forkfilter_name
func forkfilter_name() *C.char { return C.CString(layerName) }

func init() { nbdkit.Register(layerName, &filterLayer{}) }

func main() {}
