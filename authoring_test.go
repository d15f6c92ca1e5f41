// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"libguestfs.org/nbdkit/internal/methods"
)

type misspeltConnection struct{ Connection }

func (c *misspeltConnection) Pread(buf []byte, offset uint64, flags uint32) error { return nil }
func (c *misspeltConnection) Getsize() (uint64, error)                            { return 0, nil }
func (c *misspeltConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	return nil
}
func (c misspeltConnection) Zero(count uint32, offset uint64, flags uint32) error { return nil }
func (c misspeltConnection) CanZero() (bool, error)                               { return true, nil }

type wellSpeltConnection struct{ Connection }

func (c *wellSpeltConnection) PRead(buf []byte, offset uint64, flags uint32) error { return nil }
func (c *wellSpeltConnection) PWrite(buf []byte, offset uint64, flags uint32) error {
	return nil
}
func (c *wellSpeltConnection) CanWrite() (bool, error) { return true, nil }
func (c *wellSpeltConnection) Helper() int             { return 0 }

func TestAuthoringMistakes(t *testing.T) {
	bad := reflect.TypeOf(&misspeltConnection{})
	got := strings.Join(misspeltMethods(bad), "\n")
	for _, want := range []string{
		"method Getsize of *nbdkit.misspeltConnection is never called: the binding's method is GetSize",
		"method Pread of *nbdkit.misspeltConnection is never called: the binding's method is PRead",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("misspelt methods:\n%s\nlack %q", got, want)
		}
	}
	// PWrite without CanWrite; Zero with CanZero (value receivers) is fine;
	// Flush and Trim come from Connection, not the type.
	ungated := ungatedMethods(bad)
	if len(ungated) != 1 || !strings.Contains(ungated[0], "has PWrite but no CanWrite") {
		t.Errorf("ungated methods: %q", ungated)
	}
	good := reflect.TypeOf(&wellSpeltConnection{})
	if m := misspeltMethods(good); len(m) != 0 {
		t.Errorf("well spelt: %q", m)
	}
	if u := ungatedMethods(good); len(u) != 0 {
		t.Errorf("well gated: %q", u)
	}
	if u := ungatedMethods(reflect.TypeOf(&Connection{})); len(u) != 0 {
		t.Errorf("Connection itself: %q", u)
	}
}

func TestCheckConnectionOnce(t *testing.T) {
	log := setup(t, &testPlugin{})
	checkConnection(&misspeltConnection{})
	checkConnection(&misspeltConnection{})
	if len(log.errors) != 2 {
		t.Errorf("errors %q: want the two misspellings once", log.errors)
	}
	if len(log.debugs) != 1 {
		t.Errorf("debug %q: want the ungated PWrite once", log.debugs)
	}
}

// TestMethodsList: cmd/nbdkit-vet's list (internal/methods) is this
// package's: every method of its interfaces, and the same gates.
func TestMethodsList(t *testing.T) {
	var ours []string
	for _, name := range methodSpelling {
		ours = append(ours, name)
	}
	sort.Strings(ours)
	theirs := append([]string(nil), methods.Names...)
	sort.Strings(theirs)
	if !reflect.DeepEqual(ours, theirs) {
		t.Errorf("internal/methods.Names:\n%q\nthe interfaces' methods:\n%q", theirs, ours)
	}
	if !reflect.DeepEqual(gates, methods.Gates) {
		t.Errorf("internal/methods.Gates %q, gates %q", methods.Gates, gates)
	}
}
