package main

// Server functions: call=PHASE:FUNCTION[:ARG] calls an nbdkit server
// function from a callback and logs what it returned, one line:
//
//	call FUNCTION("ARG") = VALUE
//	call FUNCTION("ARG") error: MESSAGE [notsupported]
//
// after a line "calls in PHASE" (not for config, which makes each call
// at once).
//
// "notsupported" marks an error that errors.Is finds to be
// nbdkit.ErrNotSupported.  PHASE is config (at once, in Config),
// getready, afterfork, preconnect, open, pread, close or cleanup; with
// "go-" before it (go-config, go-open...), the function is called in a
// goroutine that the callback starts and waits for, in a thread that
// is not nbdkit's.  In ARG, the two characters \0 stand for a NUL
// byte, which a command line cannot hold.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"libguestfs.org/nbdkit"
)

type call struct {
	function, arg string
}

var calls = map[string][]call{}

var phases = map[string]bool{"config": true, "getready": true, "afterfork": true,
	"preconnect": true, "open": true, "pread": true, "close": true, "cleanup": true}

func addCall(value string) error {
	fields := strings.SplitN(value, ":", 3)
	if len(fields) < 2 || !phases[strings.TrimPrefix(fields[0], "go-")] {
		return fmt.Errorf("call: expected PHASE:FUNCTION[:ARG], got %q", value)
	}
	c := call{function: fields[1]}
	if len(fields) == 3 {
		c.arg = strings.ReplaceAll(fields[2], `\0`, "\x00")
	}
	if _, ok := serverFunctions[c.function]; !ok {
		return fmt.Errorf("call: unknown function %q", c.function)
	}
	switch fields[0] {
	case "config":
		c.run()
		return nil
	case "go-config":
		calls["go-config"] = []call{c}
		runCalls("config")
		delete(calls, "go-config")
		return nil
	}
	calls[fields[0]] = append(calls[fields[0]], c)
	return nil
}

// runCalls makes the calls of phase, then those of go-phase in a
// goroutine; a line "calls in PHASE" is logged before each group.
func runCalls(phase string) {
	if len(calls[phase]) > 0 {
		callLog.Printf("calls in %s", phase)
	}
	for _, c := range calls[phase] {
		c.run()
	}
	if len(calls["go-"+phase]) == 0 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		callLog.Printf("calls in go-%s", phase)
		for _, c := range calls["go-"+phase] {
			c.run()
		}
	}()
	<-done
}

func (c call) run() {
	value, err := serverFunctions[c.function](c.arg)
	if err != nil {
		mark := ""
		if errors.Is(err, nbdkit.ErrNotSupported) {
			mark = " notsupported"
		}
		callLog.Printf("call %s(%q) error: %v%s", c.function, c.arg, err, mark)
		return
	}
	callLog.Printf("call %s(%q) = %v", c.function, c.arg, value)
}

// what names the value in the messages of the Parse* functions.
const what = "testvalue"

func result(v interface{}, err error) (interface{}, error) { return v, err }

var serverFunctions = map[string]func(arg string) (interface{}, error){
	"ParseSize":        func(a string) (interface{}, error) { return result(nbdkit.ParseSize(a)) },
	"ParseSizeOf":      func(a string) (interface{}, error) { return result(nbdkit.ParseSizeOf(what, a)) },
	"ParseBool":        func(a string) (interface{}, error) { return result(nbdkit.ParseBool(a)) },
	"ParseInt":         func(a string) (interface{}, error) { return result(nbdkit.ParseInt(what, a)) },
	"ParseUint":        func(a string) (interface{}, error) { return result(nbdkit.ParseUint(what, a)) },
	"ParseInt8":        func(a string) (interface{}, error) { return result(nbdkit.ParseInt8(what, a)) },
	"ParseUint8":       func(a string) (interface{}, error) { return result(nbdkit.ParseUint8(what, a)) },
	"ParseInt16":       func(a string) (interface{}, error) { return result(nbdkit.ParseInt16(what, a)) },
	"ParseUint16":      func(a string) (interface{}, error) { return result(nbdkit.ParseUint16(what, a)) },
	"ParseInt32":       func(a string) (interface{}, error) { return result(nbdkit.ParseInt32(what, a)) },
	"ParseUint32":      func(a string) (interface{}, error) { return result(nbdkit.ParseUint32(what, a)) },
	"ParseInt64":       func(a string) (interface{}, error) { return result(nbdkit.ParseInt64(what, a)) },
	"ParseUint64":      func(a string) (interface{}, error) { return result(nbdkit.ParseUint64(what, a)) },
	"ParseProbability": func(a string) (interface{}, error) { return result(nbdkit.ParseProbability(what, a)) },
	"ParseDelay":       func(a string) (interface{}, error) { return result(nbdkit.ParseDelay(what, a)) },
	"ReadPassword":     func(a string) (interface{}, error) { return result(nbdkit.ReadPassword(a)) },
	"Realpath":         func(a string) (interface{}, error) { return result(nbdkit.Realpath(a)) },
	"AbsolutePath":     func(a string) (interface{}, error) { return result(nbdkit.AbsolutePath(a)) },
	"ExportName":       func(string) (interface{}, error) { return result(nbdkit.ExportName()) },
	"IsTLS":            func(string) (interface{}, error) { return result(nbdkit.IsTLS()) },
	"PeerPID":          func(string) (interface{}, error) { return result(nbdkit.PeerPID()) },
	"PeerUID":          func(string) (interface{}, error) { return result(nbdkit.PeerUID()) },
	"PeerGID":          func(string) (interface{}, error) { return result(nbdkit.PeerGID()) },
	"PeerSecurityContext": func(string) (interface{}, error) {
		return result(nbdkit.PeerSecurityContext())
	},
	"PeerTLSDN":       func(string) (interface{}, error) { return result(nbdkit.PeerTLSDN()) },
	"PeerTLSIssuerDN": func(string) (interface{}, error) { return result(nbdkit.PeerTLSIssuerDN()) },
	"StdioSafe":       func(string) (interface{}, error) { return nbdkit.StdioSafe(), nil },
	"CurrentClient": func(string) (interface{}, error) {
		c, err := nbdkit.CurrentClient()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("export=%s tls=%v addr=%T pid=%d uid=%d gid=%d",
			c.ExportName, c.TLS, c.Addr, c.PID, c.UID, c.GID), nil
	},
	"PeerName": func(string) (interface{}, error) {
		addr, err := nbdkit.PeerName()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("%T network=%s", addr, addr.Network()), nil
	},
	"Nanosleep": func(a string) (interface{}, error) {
		d, err := time.ParseDuration(a)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		if err := nbdkit.Nanosleep(d); err != nil {
			return nil, err
		}
		return fmt.Sprintf("slept at least %s: %t", d, time.Since(start) >= d), nil
	},
	"Disconnect": func(a string) (interface{}, error) {
		return "disconnected", nbdkit.Disconnect(a == "force")
	},
	"Shutdown": func(string) (interface{}, error) {
		nbdkit.Shutdown()
		return "shutting down", nil
	},
}
