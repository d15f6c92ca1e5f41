package main

// go test serves this filter over nbdkit's memory plugin and checks
// the counts it writes when a connection closes.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestStats(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stats")
	srv := nbdkittest.Serve(t, nbdkittest.Options{
		Plugin:  "memory",
		Params:  []string{"size=1M", "stats-file=" + file},
		Filters: []string{nbdkittest.BuildFilter(t, "")},
	})
	c, err := srv.Dial(nbdkittest.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := 0; i < 3; i++ {
		if _, err := c.ReadAt(buf, int64(i)*4096); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WriteAt(buf, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// nbdkit closes the connection after the client has gone.
	var stats []byte
	for i := 0; i < 100 && !strings.Contains(string(stats), "flush"); i++ {
		time.Sleep(50 * time.Millisecond)
		stats, _ = os.ReadFile(file)
	}
	for _, want := range []string{
		`stats: export "": read 3 requests 12288 bytes`,
		`stats: export "": write 1 requests 4096 bytes`,
		`stats: export "": flush 1 requests 0 bytes`,
	} {
		if !strings.Contains(string(stats), want+"\n") {
			t.Errorf("no line %q in:\n%s", want, stats)
		}
	}
}
