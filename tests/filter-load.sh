#!/usr/bin/env bash
# A .so built with the binding is one plugin or one filter: loaded as
# the other kind, registering both, or built against another nbdkit's
# headers, nbdkit refuses it with a clear message, and exits 1.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/filters.sh"

# refused MESSAGE NBDKIT-ARGS...: nbdkit does not start, and says so.
refused ()
{
    local message=$1 status=0; shift
    timeout 60 "$NBDKIT" -f -U "$tmp/s.sock" "$@" >"$tmp/load.log" 2>&1 || status=$?
    [ "$status" -eq 1 ] || { cat "$tmp/load.log" >&2; fail "nbdkit $*: exit status $status, not 1"; }
    expect_grep "$message" "$tmp/load.log"
}

refused '"passthrough" is a filter \(nbdkit.RegisterFilter\), not a plugin: load it with nbdkit --filter=./nbdkit-passthrough-filter.so PLUGIN' \
    "$passthrough_filter"
refused '"test" is a plugin \(nbdkit.Register\), not a filter: load it as nbdkit.s plugin, without --filter=' \
    --filter="$(test_plugin test)" memory size=1M
both=$(test_filter both)
refused 'calls both nbdkit.Register and nbdkit.RegisterFilter' "$both"
refused 'calls both nbdkit.Register and nbdkit.RegisterFilter' --filter="$both" memory size=1M

# nbdkit loads a filter only into the nbdkit whose headers built it:
# one built against another version's headers is refused, and nbdkit
# says which version it has and which it needs.
installed=$(sed -n 's/^#define NBDKIT_VERSION_STRING "\(.*\)"$/\1/p' \
    "$(pkg-config --variable=includedir nbdkit)/nbdkit-version.h")
[ -n "$installed" ] || fail "no NBDKIT_VERSION_STRING in the installed nbdkit-version.h"
mkdir "$tmp/include"
cp "$(pkg-config --variable=includedir nbdkit)"/nbdkit-*.h "$tmp/include/"
sed -i 's/^#define NBDKIT_VERSION_STRING .*/#define NBDKIT_VERSION_STRING "1.99.0"/' \
    "$tmp/include/nbdkit-version.h"
(cd "$abs_top_srcdir/tests/filters" &&
     CGO_CFLAGS="-I$tmp/include" "$GO" build -buildmode=c-shared \
        -o "$tmp/nbdkit-other-filter.so" ./passthrough) ||
    fail "building the filter against the other version's headers"
refused "filter is incompatible with this version of nbdkit \(_version = 1\.99\.0, need ${installed//./\\.}\)" \
    --filter="$tmp/nbdkit-other-filter.so" memory size=1M
