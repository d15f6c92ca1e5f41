package nbdkittest_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"testing"

	"libguestfs.org/nbdkit/nbdkittest"
)

func serve(t *testing.T, opts nbdkittest.Options) *nbdkittest.Server {
	t.Helper()
	opts.Dir = "testdata/plugin"
	return nbdkittest.Serve(t, opts)
}

func TestReadWrite(t *testing.T) {
	s := serve(t, nbdkittest.Options{})
	c := s.Connect(t)
	if c.Size() != 1<<20 {
		t.Fatalf("Size = %d, want 1 MiB", c.Size())
	}
	data := bytes.Repeat([]byte("nbdkit!\n"), 1024)
	if n, err := c.WriteAt(data, 8192); err != nil || n != len(data) {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	got := make([]byte, len(data))
	if n, err := c.ReadAt(got, 8192); err != nil || n != len(got) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("read back different data")
	}
	// A second connection sees the write.
	c2 := s.Connect(t)
	if _, err := c2.ReadAt(got, 8192); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("second connection: %v", err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := c.PWrite(data[:512], 4096, nbdkittest.FUA); err != nil {
		t.Fatalf("FUA write: %v", err)
	}
	if err := c.Zero(4096, 8192, 0); err != nil {
		t.Fatal(err)
	}
	if err := c.Trim(4096, 12288, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadAt(got[:8192], 8192); err != nil || !bytes.Equal(got[:8192], make([]byte, 8192)) {
		t.Fatalf("zeroed and trimmed range: %v, not zeroes", err)
	}
}

func TestReadAtEOF(t *testing.T) {
	c := serve(t, nbdkittest.Options{}).Connect(t)
	buf := make([]byte, 8192)
	n, err := c.ReadAt(buf, int64(c.Size())-4096)
	if n != 4096 || err != io.EOF {
		t.Errorf("ReadAt across the end = %d, %v; want 4096, EOF", n, err)
	}
	if n, err := c.ReadAt(buf, int64(c.Size())); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}
	n, err = c.WriteAt(buf, int64(c.Size())-4096)
	if n != 4096 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteAt across the end = %d, %v; want 4096, ENOSPC", n, err)
	}
	if _, err := c.ReadAt(buf, -1); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ReadAt at -1: %v, want EINVAL", err)
	}
}

func TestErrno(t *testing.T) {
	c := serve(t, nbdkittest.Options{}).Connect(t)
	_, err := c.WriteAt(make([]byte, 512), 0)
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno != syscall.EPERM {
		t.Fatalf("write to the read-only block: %v (errno %d), want EPERM", err, errno)
	}
	var nbdErr *nbdkittest.Error
	if !errors.As(err, &nbdErr) || nbdErr.Op != "nbd_pwrite" {
		t.Errorf("error %#v is not an *Error of nbd_pwrite", err)
	}
	// FastZero reaches the plugin, which refuses it.
	if err := c.Zero(4096, 8192, nbdkittest.FastZero); !errors.Is(err, syscall.ENOTSUP) &&
		!errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("fast zero: %v, want ENOTSUP", err)
	}
}

func TestReadOnly(t *testing.T) {
	s := serve(t, nbdkittest.Options{ReadOnly: true})
	c := s.Connect(t)
	if c.CanWrite() || !c.IsReadOnly() {
		t.Error("with -r the export is writable")
	}
	// libnbd refuses the write itself: the server said read-only.
	if _, err := c.WriteAt(make([]byte, 512), 8192); !errors.Is(err, syscall.EPERM) &&
		!errors.Is(err, syscall.EROFS) {
		t.Errorf("write with -r: %v, want EPERM or EROFS", err)
	}
	// Unchecked, the write reaches nbdkit, which refuses it.
	u := s.ConnectWith(t, nbdkittest.ConnectOptions{Unchecked: true})
	if err := u.PWrite(make([]byte, 512), 8192, 0); !errors.Is(err, syscall.EPERM) &&
		!errors.Is(err, syscall.EROFS) {
		t.Errorf("unchecked write with -r: %v, want EPERM or EROFS from nbdkit", err)
	}
}

func TestCapabilities(t *testing.T) {
	c := serve(t, nbdkittest.Options{}).Connect(t)
	for name, got := range map[string]bool{
		"CanWrite": c.CanWrite(), "CanFlush": c.CanFlush(), "CanFUA": c.CanFUA(),
		"CanTrim": c.CanTrim(), "CanZero": c.CanZero(), "CanFastZero": c.CanFastZero(),
		"CanMultiConn": c.CanMultiConn(), "CanExtents": c.CanExtents(),
	} {
		if !got {
			t.Errorf("%s = false, want true", name)
		}
	}
	if c.CanCache() {
		// nbdkit emulates cache only with CanCache: the plugin has none.
		t.Error("CanCache = true, want false")
	}
	bs, err := c.BlockSize()
	if err != nil || bs != (nbdkittest.BlockSize{Minimum: 512, Preferred: 4096, Maximum: 1 << 20}) {
		t.Errorf("BlockSize = %+v, %v", bs, err)
	}
	if d, err := c.ExportDescription(); err != nil || d != "nbdkittest's test disk" {
		t.Errorf("ExportDescription = %q, %v", d, err)
	}
}

func TestBlockStatus(t *testing.T) {
	c := serve(t, nbdkittest.Options{}).Connect(t)
	extents, err := c.BlockStatus(c.Size(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []nbdkittest.Extent{
		{Offset: 0, Length: 4096, Flags: 0},
		{Offset: 4096, Length: c.Size() - 4096, Flags: nbdkittest.StateZero},
	}
	if len(extents) != 2 || extents[0] != want[0] || extents[1] != want[1] {
		t.Errorf("BlockStatus = %+v, want %+v", extents, want)
	}
	extents, err = c.BlockStatus(c.Size(), 0, nbdkittest.ReqOne)
	if err != nil || len(extents) != 1 || extents[0] != want[0] {
		t.Errorf("BlockStatus with ReqOne = %+v, %v; want %+v", extents, err, want[:1])
	}
}

func TestConcurrent(t *testing.T) {
	s := serve(t, nbdkittest.Options{Threads: 4})
	clients := []*nbdkittest.Client{s.Connect(t), s.Connect(t), s.Connect(t)}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := clients[i%len(clients)]
			off := int64(8192 + i*4096)
			data := bytes.Repeat([]byte{byte(i + 1)}, 4096)
			if _, err := c.WriteAt(data, off); err != nil {
				errs <- err
				return
			}
			got := make([]byte, 4096)
			if _, err := clients[(i+1)%len(clients)].ReadAt(got, off); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(got, data) {
				errs <- errors.New("another connection read different data")
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClosedClient(t *testing.T) {
	s := serve(t, nbdkittest.Options{})
	c, err := s.Dial(nbdkittest.ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadAt(make([]byte, 1), 0); !errors.Is(err, syscall.EBADF) {
		t.Errorf("read after Close: %v, want EBADF", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestListExports(t *testing.T) {
	s := serve(t, nbdkittest.Options{})
	exports, err := s.ListExports()
	if err != nil {
		t.Fatal(err)
	}
	// A plugin without ListExports has the default export only.
	if len(exports) != 1 || exports[0].Name != "" {
		t.Errorf("ListExports = %+v, want the default export", exports)
	}
}

func TestStartFailure(t *testing.T) {
	nbdkittest.Nbdkit(t) // Start needs it: fail or skip as Serve does
	_, err := nbdkittest.Start(nbdkittest.Options{
		Dir: "testdata/plugin", Params: []string{"nosuchkey=1"}})
	if err == nil || !strings.Contains(err.Error(), "nosuchkey") {
		t.Errorf("Start with an unknown key: %v, want nbdkit's error naming it", err)
	}
}

func TestBuildFailure(t *testing.T) {
	_, err := nbdkittest.BuildPlugin("testdata/nosuchdir", t.TempDir())
	if err == nil {
		t.Error("BuildPlugin of a missing directory succeeded")
	}
}

// errorsTB records Errorf, to see what Serve reports.
type errorsTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *errorsTB) Errorf(format string, args ...interface{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestMisspeltMethod: a plugin whose Pread should be PRead fails the
// test that serves it, naming the method and the right spelling.
func TestMisspeltMethod(t *testing.T) {
	r := &errorsTB{TB: t}
	// Cleanups run last first: this one after Serve's.
	t.Cleanup(func() {
		got := strings.Join(r.errors, "\n")
		if !strings.Contains(got, "method Pread of *main.misspeltConnection is never called: "+
			"the binding's method is PRead") {
			t.Errorf("Serve reported %q", got)
		}
	})
	s := nbdkittest.Serve(r, nbdkittest.Options{Dir: "testdata/misspelt"})
	c := s.Connect(t)
	buf := make([]byte, 512)
	// The embedded Connection's PRead answers, not Pread.
	if _, err := c.ReadAt(buf, 0); err == nil {
		t.Errorf("a read succeeded although PRead is not implemented")
	}
}
