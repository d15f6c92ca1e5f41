package nbdkittest_test

import (
	"fmt"
	"log"

	"libguestfs.org/nbdkit/nbdkittest"
)

// Serve the ramdisk example and write and read through a client.  In a
// test, nbdkittest.Serve(t, ...) does the same and stops the server
// when the test ends; Start is for code without a *testing.T.
func Example() {
	srv, err := nbdkittest.Start(nbdkittest.Options{
		Dir:    "../examples/ramdisk",
		Params: []string{"size=1M"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	c, err := srv.Dial(nbdkittest.ConnectOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteAt([]byte("hello"), 0); err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := c.ReadAt(buf, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Size(), string(buf), c.CanWrite(), c.CanFlush())
	// Output: 1048576 hello true false
}
