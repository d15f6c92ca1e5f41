#!/usr/bin/env bash
# Debug flags: examples/sparse declares sparse_debug_extents in C, so
# nbdkit -D sparse.extents=1 sets it, and Extents logs every block
# status request; without the flag (or with 0) it logs nothing; a flag
# the plugin does not declare is reported by nbdkit.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

sparse=$(example_plugin sparse)

block_status='
assert status(M, 0) == [M, 3], status(M, 0)
assert status(65536, 4096, nbd.CMD_FLAG_REQ_ONE) == [65536, 3]
'

# -D sparse.extents=1: one line per request, with the flags.
start_server on -D sparse.extents=1 "$sparse" size=1M
nbdsh_status "$uri" "$block_status"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 'debug: sparse: extents of 1048576 bytes at 0, flags 0(x0)?$' "$tmp/on.log"
expect_count 1 'debug: sparse: extents of 65536 bytes at 4096, flags 0x4$' "$tmp/on.log"
expect_count 2 'debug: sparse: extents of ' "$tmp/on.log"

# Without the flag, and with it set to 0: nothing, though -v is on and
# the requests are the same.
start_server off "$sparse" size=1M
nbdsh_status "$uri" "$block_status"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 0 'sparse: extents of' "$tmp/off.log"
# nbdkit's own trace of the calls is there.
expect_count 2 'debug: sparse: extents count=' "$tmp/off.log"

start_server zero -D sparse.extents=0 "$sparse" size=1M
nbdsh_status "$uri" "$block_status"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 0 'sparse: extents of' "$tmp/zero.log"

# A flag the plugin does not declare: nbdkit (1.32 to 1.42 at least)
# warns, naming the C variable it looked for, and serves on.
start_server nosuch -D sparse.nosuch=1 "$sparse" size=1M
nbdsh_status "$uri" "$block_status"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep 'sparse does not contain a global variable called sparse_debug_nosuch' "$tmp/nosuch.log"
expect_count 0 'sparse: extents of' "$tmp/nosuch.log"
echo "debug-flags: ok"
