// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVet(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import "libguestfs.org/nbdkit"

type conn struct{ nbdkit.Connection }

func (c *conn) Pread(buf []byte, offset uint64, flags uint32) error { return nil }
func (c conn) Getsize() (uint64, error) { return 0, nil }
func (c *conn) PWrite(buf []byte, offset uint64, flags uint32) error { return nil }
func (c *conn) Zero(count uint32, offset uint64, flags uint32) error { return nil }
func (c *conn) CanZero() (bool, error) { return true, nil }
func (c *conn) helper() {}
func (c *conn) flush()  {}
`
	if err := os.WriteFile(filepath.Join(dir, "plugin.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := vetDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"plugin.go:7:16: method Pread of conn is never called: the binding's method is PRead",
		"plugin.go:8:15: method Getsize of conn is never called: the binding's method is GetSize",
		"plugin.go:9:16: conn has PWrite but no CanWrite: PWrite is never called (add a CanWrite method that returns true)",
	}
	text := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("nbdkit-vet:\n%s\nlacks\n%s", text, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("nbdkit-vet found %d, want %d:\n%s", len(got), len(want), text)
	}
}

// The examples are free of these mistakes.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*")
	if len(dirs) < 8 {
		t.Fatalf("examples: %q", dirs)
	}
	for _, dir := range dirs {
		got, err := vetDir(dir)
		if err != nil || len(got) != 0 {
			t.Errorf("%s: %v %q", dir, err, got)
		}
	}
}
