package nbdkittest

import "testing"

// BuildFilter builds the Go filter package in dir ("" is the current
// directory, the test's own package in go test) as nbdkit loads it,
// into t.TempDir(), and returns the filter's path, for Options.Filters
// (outermost first) over any plugin:
//
//	srv := nbdkittest.Serve(t, nbdkittest.Options{
//		Plugin:  "memory",
//		Params:  []string{"size=1M"},
//		Filters: []string{nbdkittest.BuildFilter(t, "")},
//	})
//
// It fails the test if the build fails, with the compiler's output.
func BuildFilter(t testing.TB, dir string) string {
	t.Helper()
	filter, err := BuildFilterTo(dir, t.TempDir())
	if err != nil {
		t.Fatalf("nbdkittest: %v", err)
	}
	return filter
}

// BuildFilterTo is BuildFilter without a testing.TB: it builds the
// filter package in dir into the directory out, as BuildPlugin builds a
// plugin.
func BuildFilterTo(dir, out string) (string, error) {
	return buildShared(dir, out, "filter")
}
