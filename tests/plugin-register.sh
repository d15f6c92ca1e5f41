#!/usr/bin/env bash
# Mistakes in registering the plugin get a clear error when nbdkit
# loads it: Register called twice, Register with a nil plugin (nil, or
# a nil pointer), and no Register at all.  Mistakes Go's compiler
# cannot see are reported: a method misspelt by case (Pread, Getsize),
# which is never called, and PWrite without CanWrite.
. "$abs_top_srcdir/tests/lib/functions.sh"

# build NAME BODY [METHODS]: a plugin whose init function is BODY,
# with more METHODS.
build ()
{
    local dir="$tmp/$1"
    mkdir -p "$dir"
    cat > "$dir/go.mod" <<EOM
module example.org/$1

go 1.19

require libguestfs.org/nbdkit v0.0.0

replace libguestfs.org/nbdkit => $abs_top_srcdir
EOM
    cat > "$dir/plugin.go" <<EOM
package main

import "libguestfs.org/nbdkit"

type plugin struct{ nbdkit.Plugin }
type connection struct{ nbdkit.Connection }

func (p *plugin) Open(readonly bool) (nbdkit.ConnectionInterface, error) {
	return &connection{}, nil
}
func (c *connection) GetSize() (uint64, error) { return 512, nil }
func (c *connection) PRead(buf []byte, offset uint64, flags uint32) error { return nil }

var _ = (*plugin)(nil)

${3:-}

func init() { $2 }
func main() {}
EOM
    (cd "$dir" && "$GO" build -buildmode=c-shared -o "$dir/plugin.so") ||
        fail "$1: the plugin did not build"
}

# refused NAME PATTERN: nbdkit refuses to load NAME's plugin, saying so.
refused ()
{
    local status=0
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/$1.sock" "$tmp/$1/plugin.so" >"$tmp/$1.out" 2>&1 ||
        status=$?
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { cat "$tmp/$1.out"; fail "$1: exit status $status"; }
    expect_grep "$2" "$tmp/$1.out"
    echo "$1: $(grep error "$tmp/$1.out" | head -n1)"
}

build twice 'nbdkit.Register("first", &plugin{}); nbdkit.Register("second", &plugin{})'
refused twice 'nbdkit.Register called more than once \("first", then "second"\)'
build nil 'nbdkit.Register("nilplugin", nil)'
refused nil 'nbdkit.Register\("nilplugin", <nil>\): the plugin is nil'
build nilpointer 'var p *plugin; nbdkit.Register("nilpointer", p)'
refused nilpointer 'nbdkit.Register\("nilpointer", \*main.plugin\): the plugin is nil'
build none ''
refused none 'no plugin registered: call nbdkit.Register'
# Misspelt and ungated methods: a warning at load for the plugin's, at
# the first Open for the connection's; the plugin serves all the same.
build misspelt 'nbdkit.Register("misspelt", &plugin{})' '
func (p *plugin) Getready() error { return nil }
func (c *connection) Pread(buf []byte, offset uint64, flags uint32) error { return nil }
func (c *connection) PWrite(buf []byte, offset uint64, flags uint32) error { return nil }'
timeout -k 5 30 "$NBDKIT" -v -U - "$tmp/misspelt/plugin.so" \
    --run "$NBDINFO --size \"\$uri\" && $NBDINFO --size \"\$uri\"" >"$tmp/misspelt.out" 2>&1 ||
    { cat "$tmp/misspelt.out"; fail "misspelt: does not serve"; }
expect_count 2 "error: warning: method Getready of \*main.plugin is never called: the binding's method is GetReady" "$tmp/misspelt.out"
expect_count 1 "error: warning: method Pread of \*main.connection is never called: the binding's method is PRead" "$tmp/misspelt.out"
expect_count 1 "debug: warning: \*main.connection has PWrite but no CanWrite: PWrite is never called" "$tmp/misspelt.out"
echo "misspelt: the plugin warned in both processes, the connection at its first Open of two, and served"
# And the right way still serves.
build once 'nbdkit.Register("once", &plugin{})'
timeout -k 5 30 "$NBDKIT" -U - "$tmp/once/plugin.so" --run "$NBDINFO --size \"\$uri\"" >"$tmp/once.out" ||
    fail "once: does not serve"
[ "$(cat "$tmp/once.out")" = 512 ] || fail "once: size $(cat "$tmp/once.out")"
