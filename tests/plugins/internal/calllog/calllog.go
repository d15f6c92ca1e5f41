// Package calllog is the log the test plugins keep of what they are
// called with: one line per callback reached, appended to a file that
// the shell tests in tests/ read, to check what nbdkit called, with
// what, and what a real client saw.
package calllog

import (
	"fmt"
	"os"
	"strings"
	"sync"

	"libguestfs.org/nbdkit"
)

// Log is a plugin's call log.  Load runs before any parameter, so the
// lines logged before SetFile are kept and written when it is called,
// or dropped at ConfigComplete if it never is.
//
// Every line is one write(2) on a file opened with O_APPEND, so lines
// of concurrent callbacks never interleave.
type Log struct {
	// Name names the plugin in the errors of writing the log.
	Name string

	mu      sync.Mutex
	file    string
	pending []string
	done    bool // ConfigComplete was reached: stop keeping lines
}

// Printf logs one line.
func (l *Log) Printf(format string, args ...interface{}) {
	l.mu.Lock()
	file := l.file
	if file == "" {
		// Only before ConfigComplete, when nbdkit calls one callback
		// at a time: formatting under the lock costs nothing.
		if !l.done {
			l.pending = append(l.pending, fmt.Sprintf(format, args...)+"\n")
		}
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	l.write(file, fmt.Sprintf(format, args...)+"\n")
}

// SetFile names the log file, and writes the lines kept until now.
func (l *Log) SetFile(file string) {
	l.mu.Lock()
	l.file = file
	pending := l.pending
	l.pending = nil
	l.mu.Unlock()
	for _, line := range pending {
		l.write(file, line)
	}
}

// ConfigComplete stops keeping lines: without a file, they are dropped
// from now on.
func (l *Log) ConfigComplete() {
	l.mu.Lock()
	l.done = true
	l.pending = nil
	l.mu.Unlock()
}

func (l *Log) write(file, line string) {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0644)
	if err != nil {
		nbdkit.Error(fmt.Sprintf("%s: %v", l.Name, err))
		return
	}
	defer f.Close()
	if _, err := f.Write([]byte(line)); err != nil {
		nbdkit.Error(fmt.Sprintf("%s: %v", l.Name, err))
	}
}

// FlagNames shows flags symbolically: "0", or names joined with "|".
func FlagNames(flags uint32) string {
	var names []string
	for _, f := range []struct {
		bit  uint32
		name string
	}{
		{nbdkit.FlagMayTrim, "MAY_TRIM"},
		{nbdkit.FlagFUA, "FUA"},
		{nbdkit.FlagReqOne, "REQ_ONE"},
		{nbdkit.FlagFastZero, "FAST_ZERO"},
	} {
		if flags&f.bit != 0 {
			names = append(names, f.name)
			flags &^= f.bit
		}
	}
	if flags != 0 {
		names = append(names, fmt.Sprintf("%#x", flags))
	}
	if names == nil {
		return "0"
	}
	return strings.Join(names, "|")
}
