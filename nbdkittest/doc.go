// Package nbdkittest tests an nbdkit plugin written with
// libguestfs.org/nbdkit from go test, as net/http/httptest tests an
// HTTP handler: it builds the plugin as nbdkit loads it, serves it with
// the real nbdkit, and connects real NBD clients (libnbd) to it.
//
// A test in the plugin's own package (package main):
//
//	func TestDisk(t *testing.T) {
//		srv := nbdkittest.Serve(t, nbdkittest.Options{Params: []string{"size=1M"}})
//		c := srv.Connect(t)
//		if _, err := c.WriteAt([]byte("hello"), 0); err != nil {
//			t.Fatal(err)
//		}
//		buf := make([]byte, 5)
//		if _, err := c.ReadAt(buf, 0); err != nil || string(buf) != "hello" {
//			t.Fatalf("read %q, %v", buf, err)
//		}
//	}
//
// Serve runs go build -buildmode=c-shared in the test's package
// directory (Options.Dir names another) into t.TempDir(), with the go
// command of the Go running the test ($GO overrides it), and starts
// nbdkit ($NBDKIT, else nbdkit on PATH) in the foreground on a Unix
// socket in t.TempDir(), with the options' parameters, filters, thread
// count and flags.  When the test ends it stops nbdkit, and if the test
// failed puts nbdkit's log in the test's log (Options.Verbose, or
// $NBDKITTEST_VERBOSE=1, adds nbdkit -v and so the plugin's
// nbdkit.Debug messages).  Without nbdkit the test fails saying what to
// install; $NBDKITTEST_SKIP_MISSING=1 makes it skip instead.
//
// A Client is one NBD connection, through libnbd: io.ReaderAt and
// io.WriterAt, Size, Flush, Trim, Zero, Cache and BlockStatus, the
// capabilities the server advertised (CanWrite, CanFUA, CanTrim,
// CanMultiConn...), the export's description and block size, and
// ListExports.  An error the server sent is an *Error whose Errno
// errors.As finds as a syscall.Errno, so a test checks that a write to a
// read-only region fails with EPERM as the plugin said.  Several
// Clients may be open at once, and each is safe from several
// goroutines.
//
// The package needs, besides the binding's own build dependencies,
// nbdkit to run and libnbd's development files to build (Debian: nbdkit
// and libnbd-dev); the package libguestfs.org/nbdkit alone needs
// neither.  Only libnbd 1.14's API is used.
package nbdkittest
