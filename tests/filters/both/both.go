// Package main registers a plugin and a filter, which a .so cannot be:
// nbdkit refuses it either way, saying why.
package main

import "libguestfs.org/nbdkit"

type bothPlugin struct{ nbdkit.Plugin }

type bothFilter struct{ nbdkit.Filter }

func init() {
	nbdkit.Register("both", &bothPlugin{})
	nbdkit.RegisterFilter("both", &bothFilter{})
}

func main() {}
