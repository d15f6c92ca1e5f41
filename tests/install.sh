#!/usr/bin/env bash
# make install, as a distribution packages it (DESTDIR): the Go package
# in $(datadir)/gocode/src/libguestfs.org/nbdkit and the examples in
# $(docdir)/examples, sources only.  Each installed example is copied
# out and built against the installed package, in module mode (a
# replace line) and in GOPATH mode (GO111MODULE=off), with the
# configured Go and with Debian's Go 1.19; nbdkit serves each plugin
# built and a client reads (and where it can, writes) data.  Then
# make uninstall removes every file.
. "$abs_top_srcdir/tests/lib/functions.sh"

: "${EXAMPLES:=minimal ramdisk disk dump-plugin sparse exports seekfile}"
dest=$tmp/dest
# Make variables from the Makefile (by hand: asked from the Makefile).
make_var ()
{
    make -s --no-print-directory -C "$abs_top_builddir" -f Makefile -f - print-var \
        <<<"print-var: ; @echo \$($1)"
}
: "${gocodedir:=$(make_var gocodedir)}" "${exampledir:=$(make_var exampledir)}"
case $gocodedir in
    */share/gocode/src/libguestfs.org/nbdkit) ;;
    *) fail "gocodedir is $gocodedir" ;;
esac
gopath=$dest${gocodedir%/src/libguestfs.org/nbdkit}
pkg=$dest$gocodedir
examples=$dest$exampledir/examples

# Not the make running this test: its jobserver is not ours.
run_make () { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$abs_top_builddir" "$@"; }

run_make install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "make install DESTDIR=$dest failed"; }

### What is installed: the package's sources, and only those.

# The package: go.mod, and what cgo and go build compile, every .c, .h
# and .go file of the top directory, but the tests; the same of the
# subpackage nbdkittest, if there is one, and of the internal packages
# that the package imports.
deps=$(cd "$abs_top_srcdir" && "$GO" list -deps -f '{{.ImportPath}}' .) || fail "go list -deps . failed"
internal=$(sed -n 's|^libguestfs.org/nbdkit/internal/|internal/|p' <<<"$deps")
expected=$( (cd "$abs_top_srcdir" && ls go.mod *.c *.h *.go &&
             if [ -d nbdkittest ]; then ls nbdkittest/*.c nbdkittest/*.h nbdkittest/*.go 2>/dev/null || true; fi &&
             for dir in $internal; do ls "$dir"/*.go; done) |
    grep -v '_test\.go$' | sort)
installed=$(cd "$pkg" && find . -type f | sed 's|^\./||' | sort)
[ "$installed" = "$expected" ] ||
    fail "$pkg holds: $(echo $installed); expected: $(echo $expected)"
# Every example's sources, and nothing built.
expected=$(cd "$abs_top_srcdir/examples" &&
    for n in $EXAMPLES ${FILTER_EXAMPLES-}; do ls "$n"/go.mod "$n"/*.go; done | sort)
installed=$(cd "$examples" && find . -type f | sed 's|^\./||' | sort)
[ "$installed" = "$expected" ] ||
    fail "$examples holds: $(echo $installed); expected: $(echo $expected)"
for f in $expected; do
    case $f in */go.mod) continue ;; esac
    cmp "$abs_top_srcdir/examples/$f" "$examples/$f" || fail "$f is not installed as it is"
done
# The README's links to the examples work in the installed docs.
for link in $(grep -o '](examples/[^)]*)' "$abs_top_srcdir/README.md" | sed 's/^](//; s/)$//' | sort -u); do
    [ -e "$dest$exampledir/$link" ] || fail "the installed README links to $link, which is not installed"
done
# An installed example's replace line points at the installed package.
for n in $EXAMPLES ${FILTER_EXAMPLES-}; do
    expect_grep "^replace libguestfs.org/nbdkit => $gocodedir\$" "$examples/$n/go.mod"
done
echo "installed: $(find "$pkg" -type f | wc -l) files in $gocodedir, $(echo $expected | wc -w) in $exampledir/examples"

### Each example built against the installed package, and served.

# A client reads the whole disk (at most 16 MiB) and, if it can,
# writes and reads back.
check='
size = h.get_size()
assert size > 0
h.pread(min(size, 16 << 20), 0)
if not h.is_read_only():
    h.pwrite(b"installed", 4096)
    assert h.pread(9, 4096) == b"installed"
print("size=%d read_only=%s" % (size, h.is_read_only()))
'
export CHECK_SCRIPT=$check

# serve EXAMPLE PLUGIN: nbdkit serves the plugin to nbdsh, with the
# parameters the example needs (a new example with required ones goes
# here too).
serve ()
{
    local args=()
    case $1 in
        ramdisk|sparse) args=(size=16M) ;;
        disk|seekfile|readerat) truncate -s 1M "$tmp/disk.img"; args=(file="$tmp/disk.img") ;;
    esac
    timeout -k 5 "$server_timeout" "$NBDKIT" -U - "$2" "${args[@]}" \
        --run "$(printf %q "$NBDSH")"' -u "$uri" -c "$CHECK_SCRIPT"'
}

# build GO MODE EXAMPLE: build a copy of the installed EXAMPLE against
# the installed package, and check that the package came from there.
# Prints the plugin's path.
build ()
{
    local go=$1 mode=$2 n=$3 dir pkgdir
    dir=$tmp/$("$go" env GOVERSION)-$mode/$n
    mkdir -p "${dir%/*}"
    cp -r "$examples/$n" "$dir"
    case $mode in
        module)
            # The replace line, pointed at the DESTDIR copy.  Nothing
            # is downloaded: GOPROXY=off.
            sed -i "s|^replace libguestfs.org/nbdkit => .*|replace libguestfs.org/nbdkit => $pkg|" "$dir/go.mod"
            export GO111MODULE=on GOFLAGS=-mod=mod GOPROXY=off
            ;;
        gopath)
            rm "$dir/go.mod"
            export GO111MODULE=off GOPATH=$gopath
            ;;
    esac
    pkgdir=$(cd "$dir" && "$go" list -f '{{.Dir}}' libguestfs.org/nbdkit) ||
        fail "$go ($mode): go list does not find libguestfs.org/nbdkit for $n"
    [ "$pkgdir" = "$pkg" ] || fail "$go ($mode): $n uses the package in $pkgdir, not $pkg"
    (cd "$dir" && CC="${CC:-cc}" "$go" build -buildmode=c-shared -o "nbdkit-$n-plugin.so") >&2 ||
        fail "$go ($mode): $n does not build against the installed package"
    unset GO111MODULE GOFLAGS GOPROXY GOPATH
    echo "$dir/nbdkit-$n-plugin.so"
}

gos=("$GO")
go119=${GO119:-/usr/lib/go-1.19/bin/go}
if [ -x "$go119" ] && [ "$("$go119" env GOVERSION)" != "$("$GO" env GOVERSION)" ]; then
    gos+=("$go119")
else
    echo "install: $go119 not found or the configured Go: building with $GO only"
fi

# Every example in module mode with the configured Go, as a user copies
# one; otherwise ramdisk (Register from init) and dump-plugin (its own
# //export plugin_init, so cgo in the plugin too), which cover both
# ways a plugin is written, at a quarter of the time.
for go in "${gos[@]}"; do
    for mode in module gopath; do
        if [ "$go" = "$GO" ] && [ "$mode" = module ]; then
            names=$EXAMPLES
        else
            names="ramdisk dump-plugin"
        fi
        for n in $names; do
            plugin=$(build "$go" "$mode" "$n")
            out=$(serve "$n" "$plugin") ||
                fail "$go ($mode): $n built against the installed package does not serve (are its parameters in serve()?)"
            echo "$("$go" env GOVERSION) $mode: $n: $out"
        done
    done
done

### An installed example's own test, against the installed nbdkittest.

# The module-mode copy of minimal built above; nbdkittest needs libnbd's
# development files.
if [ -d "$pkg/nbdkittest" ] && pkg-config --exists libnbd; then
    dir=$tmp/$("$GO" env GOVERSION)-module/minimal
    (cd "$dir" && GOFLAGS=-mod=mod GOPROXY=off CC="${CC:-cc}" \
        timeout -k 5 300 "$GO" test -count=1 .) >"$tmp/go-test.log" 2>&1 ||
        { cat "$tmp/go-test.log" >&2; fail "go test of the installed minimal example failed"; }
    echo "go test of the installed minimal example, with the installed nbdkittest: $(tail -n 1 "$tmp/go-test.log")"
else
    echo "install: no nbdkittest or no libnbd-dev: the installed example's test not run"
fi

### make uninstall removes every file it installed.

run_make uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1 ||
    { cat "$tmp/uninstall.log" >&2; fail "make uninstall DESTDIR=$dest failed"; }
left=$(find "$dest" -type f)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "make uninstall removed every file"
