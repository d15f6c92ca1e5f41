#!/usr/bin/env bash
# A plugin written for the Go binding in nbdkit's source tree (its own
# plugin_init calling nbdkit.PluginInitialize, types embedding
# nbdkit.Plugin and nbdkit.Connection, errors checked with a type
# assertion to nbdkit.PluginError) builds with both Go versions, passes
# its own unit test, and runs unchanged.
. "$abs_top_srcdir/tests/lib/functions.sh"

src="$abs_top_srcdir/tests/plugins/oldapi"
plugins=("$(test_plugin oldapi)")

# Built with Debian's Go 1.19 too, and served the same way.
go119=${GO119:-/usr/lib/go-1.19/bin/go}
if [ -x "$go119" ]; then
    (cd "$src" && CC="${CC:-cc}" "$go119" build -buildmode=c-shared \
        -o "$tmp/go119/nbdkit-oldapi-plugin.so") ||
        fail "the oldapi plugin does not build with $("$go119" version)"
    plugins+=("$tmp/go119/nbdkit-oldapi-plugin.so")
else
    echo "oldapi: $go119 not found, not building with Go 1.19"
fi

# The plugin's own unit test, which type-asserts nbdkit.PluginError.
(cd "$src" && "$GO" test -count=1 .) ||
    fail "go test of the oldapi plugin failed with $("$GO" version)"

for plugin in "${plugins[@]}"; do
    echo "oldapi: serving $plugin"
    start_server oldapi "$plugin" size=1M
    pid=$server_pid
    nbdsh_check "$uri" '
assert h.get_size() == 1048576
assert not h.is_read_only()
# No Flush, no Trim in the plugin: neither advertised, and so no FUA.
assert not h.can_flush()
assert not h.can_trim()
assert not h.can_fua()

# Round trip.
h.pwrite(b"old" * 1000, 0)
assert h.pread(3000, 0) == b"old" * 1000

# Errors: a PluginError with EPERM, a wrapped syscall.EINVAL.
expect_errno("EPERM", "h.pwrite(b\"x\" * 512, 8192)")
expect_errno("EINVAL", "h.pwrite(b\"x\" * 512, 12288)")
# A panic in PRead: EIO, and the connection goes on.
expect_errno("EIO", "h.pread(512, 4096)")
assert h.pread(512, 8192) == bytes(512)

# Requests for what the plugin lacks, sent anyway: refused cleanly.
h.set_strict_mode(0)
errno_or_ok("EINVAL", "h.pwrite(b\"F\" * 512, 0, nbd.CMD_FLAG_FUA)")
errno_or_ok("EINVAL", "h.trim(512, 0)")
errno_or_ok("EINVAL", "h.flush()")
assert h.pread(512, 0)[:3] in (b"old", b"FFF")
'
    kill -0 "$pid" || fail "nbdkit died"
    nbdsh_check "$uri" 'assert h.pread(3, 3) == b"old"'
    stop_server "$pid" || fail "nbdkit exited with status $?"
    expect_grep 'error: .*denied' "$tmp/oldapi.log"
    expect_grep 'error: .*bad: invalid argument' "$tmp/oldapi.log"
    expect_grep 'error: .*panic.*oldapi: PRead at 4096' "$tmp/oldapi.log"
    expect_no_grep 'OldPlugin.CanWrite must not be called' "$tmp/oldapi.log"
    expect_no_grep 'Flush called although|Trim called although' "$tmp/oldapi.log"

    # Bad configuration: non-zero exit, naming the key.
    for arg in nosuchkey=1 size=12x; do
        status=0
        timeout -k 5 30 "$NBDKIT" -f -U "$tmp/bad.sock" "$plugin" "$arg" \
            >"$tmp/bad.out" 2>"$tmp/bad.err" || status=$?
        cat "$tmp/bad.err"
        [ "$status" -ne 0 ] || fail "nbdkit $plugin $arg exited 0"
        [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
            fail "nbdkit $plugin $arg did not exit cleanly (status $status)"
        expect_grep "error: .*${arg%%=*}" "$tmp/bad.err"
    done
done
echo "oldapi: ok"
