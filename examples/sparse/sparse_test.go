package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through a real NBD
// client.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"strings"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

const hole = nbdkittest.StateHole | nbdkittest.StateZero

func TestSparse(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Params: []string{"size=1M"},
		Args:   []string{"-D", "sparse.extents=1"},
		// -v puts the plugin's debug messages in the log.
		Verbose: true,
	})
	c := srv.Connect(t)

	// A new disk is one hole.
	extents, err := c.BlockStatus(c.Size(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(extents) != 1 || extents[0] != (nbdkittest.Extent{Offset: 0, Length: 1 << 20, Flags: hole}) {
		t.Fatalf("extents of a new disk: %+v, want one hole", extents)
	}

	// A FUA write to the second page makes it data.
	data := bytes.Repeat([]byte{0xaa}, pageSize)
	if err := c.PWrite(data, pageSize, nbdkittest.FUA); err != nil {
		t.Fatal(err)
	}
	extents, err = c.BlockStatus(c.Size(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []nbdkittest.Extent{
		{Offset: 0, Length: pageSize, Flags: hole},
		{Offset: pageSize, Length: pageSize, Flags: 0},
		{Offset: 2 * pageSize, Length: 1<<20 - 2*pageSize, Flags: hole},
	}
	if len(extents) != len(want) {
		t.Fatalf("extents: %+v, want %+v", extents, want)
	}
	for i := range want {
		if extents[i] != want[i] {
			t.Errorf("extent %d: %+v, want %+v", i, extents[i], want[i])
		}
	}
	// ReqOne: the first extent only.
	extents, err = c.BlockStatus(c.Size(), 0, nbdkittest.ReqOne)
	if err != nil || len(extents) != 1 || extents[0] != want[0] {
		t.Errorf("extents with ReqOne: %+v, %v; want %+v", extents, err, want[:1])
	}
	if !strings.Contains(srv.Log(), "sparse: extents of") {
		t.Error("-D sparse.extents=1: no debug message in the log")
	}

	// A fast zero is accepted, and gives the page back.
	if err := c.Zero(pageSize, pageSize, nbdkittest.FastZero); err != nil {
		t.Fatal(err)
	}
	extents, err = c.BlockStatus(c.Size(), 0, 0)
	if err != nil || len(extents) != 1 || extents[0].Flags != hole {
		t.Errorf("extents after zeroing: %+v, %v; want one hole", extents, err)
	}

	if err := c.Cache(c.Size(), 0); err != nil {
		t.Error(err)
	}
	for name, got := range map[string]bool{
		"CanWrite": c.CanWrite(), "CanTrim": c.CanTrim(), "CanZero": c.CanZero(),
		"CanFastZero": c.CanFastZero(), "CanFUA": c.CanFUA(), "CanCache": c.CanCache(),
		"CanMultiConn": c.CanMultiConn(), "CanExtents": c.CanExtents(),
	} {
		if !got {
			t.Errorf("%s = false", name)
		}
	}
	// No Flush, but FUA: native (CanFUA returns nbdkit.FUANative).
	if c.CanFlush() {
		t.Error("CanFlush = true without Flush")
	}
}
