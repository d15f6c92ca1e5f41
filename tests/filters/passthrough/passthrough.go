// Package main is a Go filter with no method of its own: every
// callback is nbdkit's pass-through to the next layer, in C.
package main

import "libguestfs.org/nbdkit"

type passthroughFilter struct{ nbdkit.Filter }

func init() { nbdkit.RegisterFilter("passthrough", &passthroughFilter{}) }

func main() {}
