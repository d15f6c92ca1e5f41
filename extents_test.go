// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

import (
	"errors"
	"testing"
)

// Without nbdkit (the unit tests), an ExtentList that nbdkit did not
// make is empty and refuses everything, and NewExtentList fails with
// ErrNoServer; tests/nbd-extents.sh has them through nbdkit.
func TestExtentListWithoutNbdkit(t *testing.T) {
	var list ExtentList
	if n := list.Count(); n != 0 {
		t.Errorf("Count of an empty ExtentList: %d", n)
	}
	if _, err := list.Extent(0); err == nil {
		t.Error("Extent(0) of an empty ExtentList succeeded")
	}
	if err := list.Add(0, 512, 0); err == nil {
		t.Error("Add to an ExtentList nbdkit did not make succeeded")
	}
	list.Free()
	(*ExtentList)(nil).Free()
	if _, err := NewExtentList(0, 512); !errors.Is(err, ErrNoServer) {
		t.Errorf("NewExtentList without nbdkit: %v", err)
	}
}
