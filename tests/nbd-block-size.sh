#!/usr/bin/env bash
# BlockSize: the minimum, preferred and maximum block sizes reach
# nbdinfo; all three zero means no constraints; values the NBD protocol
# forbids, an error or a panic give a clear error naming BlockSize in
# the server's log, the client cannot use that export, and the server
# serves on.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

# blocksize=export: the export name is BlockSize's answer.
log="$tmp/bs.calls"
start_server bs "$features" log="$log" conn=blocksize blocksize=export
pid=$server_pid
export_uri () { echo "nbd+unix:///$1?socket=$tmp/bs.sock"; }

# check_sizes EXPORT MIN PREF MAX: nbdinfo shows these (none if MIN is
# "none").
check_sizes ()
{
    "$NBDINFO" --no-content --json "$(export_uri "$1")" >"$tmp/sizes.json" ||
        fail "nbdinfo on export $1 failed"
    /usr/bin/python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["exports"][0]
got = [e.get("block_size_" + k) for k in ("minimum", "preferred", "maximum")]
want = [None if v == "none" else int(v) for v in sys.argv[2:]]
assert got == want, (got, want)
' "$tmp/sizes.json" "$2" "$3" "$4" || { cat "$tmp/sizes.json" >&2; fail "block sizes of $1"; }
}
check_sizes 512:4096:1048576 512 4096 1048576
check_sizes 1:512:4294967295 1 512 4294967295
check_sizes 65536:33554432:4294967295 65536 33554432 4294967295
check_sizes 4096:4096:4096 4096 4096 4096
check_sizes 0:0:0 none none none
nbdsh_check "$(export_uri 512:4096:1048576)" '
assert h.get_block_size(nbd.SIZE_MINIMUM) == 512
assert h.get_block_size(nbd.SIZE_PREFERRED) == 4096
assert h.get_block_size(nbd.SIZE_MAXIMUM) == 1048576
h.pwrite(b"b" * 4096, 0)
assert h.pread(4096, 0) == b"b" * 4096
'

# Invalid answers: the export cannot be used, with the reason.  A
# client that reads from it must fail (nbdinfo 1.22 exits 0 for an
# export it cannot open, printing "export-size: unavailable").
check_refused ()
{
    if nbdsh_check "$(export_uri "$1")" 'h.pread(512, 0)' >"$tmp/refused.out" 2>&1; then
        cat "$tmp/refused.out" >&2
        fail "a client read from export $1"
    fi
    expect_grep 'nbd_connect_uri: ' "$tmp/refused.out"
    expect_grep "error: $2" "$tmp/bs.log"
}
check_refused 3:4096:1048576 \
    'BlockSize: returned minimum 3, preferred 4096, maximum 1048576: the minimum must be a power of 2'
check_refused 131072:131072:4294967295 \
    'BlockSize: returned minimum 131072, .*: the minimum must be a power of 2 from 1 to 65536'
check_refused 0:4096:0 'BlockSize: returned minimum 0, preferred 4096, maximum 0: the minimum'
check_refused 4096:512:1048576 \
    'BlockSize: returned minimum 4096, preferred 512, maximum 1048576: the preferred size must be'
check_refused 512:67108864:4294967295 'BlockSize: returned .*: the preferred size must be'
check_refused 512:4096:1024 \
    'BlockSize: returned minimum 512, preferred 4096, maximum 1024: the maximum must be at least the preferred'
check_refused 512:4096:5000 \
    'BlockSize: returned minimum 512, preferred 4096, maximum 5000: the maximum must be a multiple of the minimum'
check_refused error 'BlockSize: features plugin: BlockSize failed as asked'
check_refused panic 'BlockSize: panic: features plugin: BlockSize panicked as asked'
# A preferred size below 512, which nbdkit would refuse too.
check_refused 1:1:4294967295 \
    'BlockSize: returned minimum 1, preferred 1, maximum 4294967295: the preferred size must be a power of 2 from 512'

# The server is still serving, and every connection was closed.
check_sizes 512:4096:1048576 512 4096 1048576
kill -0 "$pid" || fail "nbdkit died"
wait_closed "$log"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_no_grep 'SIGSEGV|fatal error|core dumped' "$tmp/bs.log"
expect_count "$(grep -c '^Open ' "$log")" '^Close ' "$log"

# Without BlockSize: no constraints.
start_server plain "$features" conn=plain
"$NBDINFO" --no-content --json "$uri" >"$tmp/plain.json"
expect_no_grep 'block_size' "$tmp/plain.json"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
echo "block-size: ok"
