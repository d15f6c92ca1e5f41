package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through real NBD
// clients.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestExports(t *testing.T) {
	srv := nbdkittest.Serve(t, nbdkittest.Options{})

	list, err := srv.ListExports()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(exports) {
		t.Fatalf("ListExports = %+v, want %d exports", list, len(exports))
	}
	for i, e := range exports {
		if list[i] != (nbdkittest.Export{Name: e.name, Description: e.description}) {
			t.Errorf("export %d = %+v, want %q, %q", i, list[i], e.name, e.description)
		}
	}

	// Each export, and the default one, which is the first.
	for _, name := range []string{"red", "green", "blue", ""} {
		c := srv.ConnectWith(t, nbdkittest.ConnectOptions{Export: name})
		want := exports[0]
		for _, e := range exports {
			if e.name == name {
				want = e
			}
		}
		if got, err := c.ExportName(); err != nil || got != want.name {
			t.Errorf("export %q: ExportName = %q, %v; want %q", name, got, err, want.name)
		}
		if got, err := c.ExportDescription(); err != nil || got != want.description {
			t.Errorf("export %q: ExportDescription = %q, %v", name, got, err)
		}
		if c.Size() != want.size {
			t.Errorf("export %q: Size = %d, want %d", name, c.Size(), want.size)
		}
		buf := make([]byte, 4096)
		if _, err := c.ReadAt(buf, int64(want.size)-4096); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, bytes.Repeat([]byte{want.fill}, len(buf))) {
			t.Errorf("export %q does not read as %q bytes", name, want.fill)
		}
	}

	// An unknown export fails to open.
	if c, err := srv.Dial(nbdkittest.ConnectOptions{Export: "purple"}); err == nil {
		c.Close()
		t.Error("export purple opened")
	}
}
