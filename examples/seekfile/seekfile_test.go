package main

// go test serves this plugin with the real nbdkit (nbdkittest builds it
// with go build -buildmode=c-shared) and checks it through real NBD
// clients.  It needs nbdkit and libnbd-dev installed.

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func TestSeekfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// file is the magic config key: a bare file name works.
	srv := nbdkittest.Serve(t, nbdkittest.Options{Params: []string{file}})

	// Many requests at once over two connections: nbdkit serializes
	// them, so no request moves another's file offset.
	clients := []*nbdkittest.Client{srv.Connect(t), srv.Connect(t)}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			data := bytes.Repeat([]byte{byte('a' + i)}, 65536)
			c := clients[i%2]
			if _, err := c.WriteAt(data, int64(i)*65536); err != nil {
				t.Error(err)
				return
			}
			got := make([]byte, len(data))
			if _, err := c.ReadAt(got, int64(i)*65536); err != nil {
				t.Error(err)
			} else if !bytes.Equal(got, data) {
				t.Errorf("range %d reads back different data", i)
			}
		}(i)
	}
	wg.Wait()
	if err := clients[0].Flush(); err != nil {
		t.Fatal(err)
	}
	contents, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if contents[i*65536] != byte('a'+i) || contents[i*65536+65535] != byte('a'+i) {
			t.Errorf("range %d is not in the file", i)
		}
	}
	// With Flush, FUA is emulated.
	if !clients[0].CanFlush() || !clients[0].CanFUA() {
		t.Error("CanFlush or CanFUA not advertised")
	}
}
