package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through a real NBD
// client.  It needs nbdkit and libnbd-dev installed.

import (
	"os/exec"
	"strings"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestDumpPlugin(t *testing.T) {
	nbdkit := nbdkittest.Nbdkit(t)
	plugin := nbdkittest.Build(t, "")
	out, err := exec.Command(nbdkit, "--dump-plugin", plugin).CombinedOutput()
	if err != nil {
		t.Fatalf("nbdkit --dump-plugin: %v\n%s", err, out)
	}
	for _, line := range []string{
		"name=dumpplugin",
		"dumpplugin_version=" + pluginVersion,
		"dumpplugin_features=pread,dump_plugin",
	} {
		if !strings.Contains(string(out), "\n"+line+"\n") {
			t.Errorf("no line %q in:\n%s", line, out)
		}
	}
}

func TestDumpPluginServes(t *testing.T) {
	c := nbdkittest.Serve(t, nbdkittest.Options{}).Connect(t)
	if c.Size() != diskSize {
		t.Errorf("Size = %d, want %d", c.Size(), diskSize)
	}
	buf := make([]byte, len(greeting)+4)
	if _, err := c.ReadAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if want := greeting + "\x00\x00\x00\x00"; string(buf) != want {
		t.Errorf("read %q, want %q", buf, want)
	}
	if c.CanWrite() {
		t.Error("the disk is writable")
	}
}
