package main

// nbdkit's debug flags: nbdkit -D sparse.extents=1 sets the C variable
// sparse_debug_extents in this plugin before Load is called.  nbdkit
// finds it by name (<plugin>_debug_<flag>), so it must be a C global:
// declare it in a cgo preamble.  A file with //export functions cannot
// define C variables in its preamble; keep it in a file of its own, like
// this one.

/*
int sparse_debug_extents = 0;
*/
import "C"

// debugExtents reports whether -D sparse.extents=1 was given.
func debugExtents() bool {
	return C.sparse_debug_extents != 0
}
