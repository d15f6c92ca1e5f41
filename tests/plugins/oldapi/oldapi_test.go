package main

import (
	"syscall"
	"testing"

	"libguestfs.org/nbdkit"
)

// Old plugins test their own methods without nbdkit, and inspect the
// errors they return with a plain type assertion.

func TestPWriteErrors(t *testing.T) {
	c := &OldConnection{}
	buf := make([]byte, 512)

	err := c.PWrite(buf, 8192, 0)
	perr, ok := err.(nbdkit.PluginError)
	if !ok {
		t.Fatalf("PWrite at 8192: %T %v, want an nbdkit.PluginError", err, err)
	}
	if perr.Errno != syscall.EPERM || perr.Errmsg != "denied" {
		t.Errorf("PWrite at 8192: %#v", perr)
	}

	err = c.PWrite(buf, 12288, 0)
	if _, ok := err.(nbdkit.PluginError); ok || err == nil {
		t.Errorf("PWrite at 12288: %T %v, want a wrapped EINVAL", err, err)
	}
}

func TestConfig(t *testing.T) {
	p := &OldPlugin{}
	err := p.Config("nosuchkey", "1")
	perr, ok := err.(nbdkit.PluginError)
	if !ok || perr.Errmsg != "unknown parameter nosuchkey" {
		t.Errorf("Config(nosuchkey): %T %v", err, err)
	}
	if err := p.Config("size", "2M"); err != nil || size != 2<<20 {
		t.Errorf("Config(size, 2M): %v, size %d", err, size)
	}
	if _, ok := p.Config("size", "2X").(nbdkit.PluginError); !ok {
		t.Errorf("Config(size, 2X) did not fail with a PluginError")
	}
}
