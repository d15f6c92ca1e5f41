#!/usr/bin/env bash
# Block status: Extents through nbdsh's block_status (with and without
# REQ_ONE), nbdinfo --map and qemu-img map on examples/sparse; and the
# features plugin's Extents doing it wrong (out of order, gaps, an
# unknown type, no extent, an error, a panic): the client gets an error
# and the server serves on, or nbdkit clips where nbdkit-plugin(3) says
# it does.  A plugin's own list (NewExtentList), merged by nbdkit and
# read back.  A connection without Extenter reports everything as data.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

sparse=$(example_plugin sparse)

# --- examples/sparse: holes where nothing was written ---------------
start_server sparse "$sparse" size=1M
nbdsh_status "$uri" '
assert h.can_meta_context("base:allocation")
assert status(M, 0) == [M, 3], status(M, 0)
h.pwrite(b"x" * 4096, 65536)           # allocates the page at 65536
h.pwrite(b"y" * 4096, 5 * 32768)       # and the one at 163840
want = [65536, 3, 32768, 0, 65536, 3, 32768, 0, 851968, 3]
assert status(M, 0) == want, status(M, 0)
# REQ_ONE: exactly one extent, whatever follows it.
assert status(M, 0, nbd.CMD_FLAG_REQ_ONE) == [65536, 3]
assert status(M - 65536, 65536, nbd.CMD_FLAG_REQ_ONE) == [32768, 0]
# From the middle of a hole: the reply starts at the offset asked.
assert status(65536, 4096) == [61440, 3, 32768, 0], status(65536, 4096)
'
# nbdinfo and qemu-img see the same map.
"$NBDINFO" --map "$uri" | awk '{print $1, $2, $3}' >"$tmp/map"
cat >"$tmp/map.expected" <<'EOF'
0 65536 3
65536 32768 0
98304 65536 3
163840 32768 0
196608 851968 3
EOF
diff -u "$tmp/map.expected" "$tmp/map" || fail "nbdinfo --map"
"$QEMU_IMG" map -f raw --output=json "$uri" >"$tmp/qemu-map"
/usr/bin/python3 - "$tmp/qemu-map" <<'EOF' || fail "qemu-img map"
import json, sys
got = [(e["start"], e["length"], e["data"], e["zero"]) for e in json.load(open(sys.argv[1]))]
want = [(0, 65536, False, True), (65536, 32768, True, False), (98304, 65536, False, True),
        (163840, 32768, True, False), (196608, 851968, False, True)]
assert got == want, got
EOF
# Zeroing a whole page makes it a hole again.
nbdsh_status "$uri" '
h.zero(32768, 65536)
assert status(M, 0) == [163840, 3, 32768, 0, 851968, 3], status(M, 0)
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"

# --- the features plugin: a layout by quarters ----------------------
log="$tmp/normal.calls"
start_server normal "$features" log="$log" conn=extents extents=normal
nbdsh_status "$uri" '
Q = M // 4
assert status(M, 0) == [Q, 0, Q, 3, Q, 2, Q, 0], status(M, 0)
assert status(M, 0, nbd.CMD_FLAG_REQ_ONE) == [Q, 0]
assert status(4096, Q + 4096, nbd.CMD_FLAG_REQ_ONE) == [4096, 3]
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Extents 1048576@0 flags=0 mode=normal$' "$log"
expect_grep '^Extents 1048576@0 flags=REQ_ONE mode=normal$' "$log"
expect_grep '^Extents 4096@266240 flags=REQ_ONE mode=normal$' "$log"

# extents=export: each connection's export name is the mode, so one
# server answers every way of doing it.
log="$tmp/modes.calls"
start_server modes "$features" log="$log" conn=extents extents=export
pid=$server_pid
sock="$tmp/modes.sock"
nbdsh_status "$uri" "
def connect(mode):
    global h
    h = nbd.NBD()
    h.add_meta_context('base:allocation')
    h.connect_uri('nbd+unix:///' + mode + '?socket=$sock')

# nbdkit's documented clipping: extents before the offset are ignored,
# and an extent beyond the request (here beyond the disk) is cut at the
# end of the disk, or at the end of the request with REQ_ONE.
connect('before')
assert status(65536, 4096) == [65536, 3], status(65536, 4096)
assert status(65536, 4096, nbd.CMD_FLAG_REQ_ONE) == [65536, 3]
connect('beyond')
assert status(65536, 4096) == [M - 4096, 3], status(65536, 4096)
assert status(65536, 4096, nbd.CMD_FLAG_REQ_ONE) == [65536, 3]

# Extents doing it wrong: an error with the errno it should be, and the
# connection goes on working.
for mode, errno in [('outoforder', 'EINVAL'), ('gap', 'EINVAL'), ('late', 'EINVAL'),
                    ('badtype', 'EINVAL'), ('empty', 'EINVAL'),
                    ('error', 'EPERM'), ('panic', 'EIO')]:
    connect(mode)
    for flags in (0, nbd.CMD_FLAG_REQ_ONE):
        expect_errno(errno, lambda: status(65536, 4096, flags),
                     what='extents=%s flags=%d' % (mode, flags))
    h.pwrite(mode.encode() * 4, 0)
    assert h.pread(len(mode) * 4, 0) == mode.encode() * 4
"
# And so does the server.
nbdsh_check "nbd+unix:///normal?socket=$sock" 'assert h.pread(5, 0) == b"panic"'
kill -0 "$pid" || fail "nbdkit died"
stop_server "$pid" || fail "nbdkit exited with status $?"
# Each failure is in the server's log, once per request.
expect_count 4 'error: nbdkit_add_extent: extents must be added in ascending order and must be contiguous' \
    "$tmp/modes.log"
expect_count 2 'error: Extents: ExtentList.Add: nbdkit refused the extent of 4096 bytes at 8192 ' "$tmp/modes.log"
expect_count 2 'error: Extents: ExtentList.Add: nbdkit refused the extent of 4096 bytes at 12288 ' "$tmp/modes.log"
expect_count 2 'error: nbdkit_add_extent: first extent must not be > start' "$tmp/modes.log"
expect_count 2 'error: Extents: ExtentList.Add: unknown extent type 0x4' "$tmp/modes.log"
expect_count 2 'error: extents: plugin must return at least one extent' "$tmp/modes.log"
expect_count 2 'error: Extents: features plugin: Extents failed as asked \(errno 1' "$tmp/modes.log"
expect_count 2 'error: Extents: panic: features plugin: Extents panicked as asked' "$tmp/modes.log"
expect_no_grep 'SIGSEGV|fatal error|core dumped' "$tmp/modes.log"
expect_count 2 '^Extents 65536@4096 flags=0 mode=(before|beyond)$' "$log"
expect_count 1 '^Extents 65536@4096 flags=REQ_ONE mode=panic$' "$log"

# --- a list of the plugin's own: NewExtentList, read back, merged -----
# extents=merged builds the quarters from 4096-byte pieces in a list of
# its own, which nbdkit clips to the request and merges; the plugin
# reads it back (Count, Extent) and copies it into the answer.
log="$tmp/merged.calls"
start_server merged "$features" log="$log" conn=extents extents=merged
nbdsh_status "$uri" '
Q = M // 4
assert status(M, 0) == [Q, 0, Q, 3, Q, 2, Q, 0], status(M, 0)
assert status(65536, 4096) == [65536, 0], status(65536, 4096)
assert status(Q, Q - 4096) == [4096, 0, Q - 4096, 3], status(Q, Q - 4096)
assert status(Q, Q - 4096, nbd.CMD_FLAG_REQ_ONE) == [4096, 0]
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
Q=262144
expect_count 1 "^Extents merged: 4 extents: 0\\+$Q:0 $Q\\+$Q:3 $((2 * Q))\\+$Q:2 $((3 * Q))\\+$Q:0\$" "$log"
expect_count 1 '^Extents merged: 1 extents: 4096\+65536:0$' "$log"
expect_count 2 "^Extents merged: 2 extents: $((Q - 4096))\\+4096:0 $Q\\+$((Q - 4096)):3\$" "$log"
# A range that ends before it starts is refused; an extent out of
# range is an error (nbdkit would abort); Free frees only the plugin's
# own list, once.
expect_count 4 '^NewExtentList\([0-9]+, [0-9]+\): NewExtentList: nbdkit refused the range from [0-9]+ to [0-9]+ \(errno 34: ' "$log"
expect_count 4 'error: nbdkit_extents_new: start \([0-9]+\) >= end' "$tmp/merged.log"
expect_count 1 '^Extent\(4\): ExtentList.Extent: no extent 4 in a list of 4 \(errno 22: ' "$log"
expect_count 4 '^answer after Free: [1-9][0-9]* extents$' "$log"
expect_count 4 '^own list after Free: 0 extents$' "$log"
expect_no_grep 'SIGSEGV|fatal error|core dumped|Assertion|double free' "$tmp/merged.log"

# Without Extents: everything is data, as nbdkit says for a plugin
# without .extents; Extents is never reached.  conn=plain has no
# Extenter, conn=canextents a CanExtents but no Extents, and
# conn=checkedextents both, with CanExtents false.
for kind in plain canextents checkedextents; do
    log="$tmp/$kind.calls"
    start_server "$kind" "$features" log="$log" conn=$kind canextents=false
    nbdsh_status "$uri" '
assert status(M, 0) == [M, 0], status(M, 0)
assert status(4096, 8192, nbd.CMD_FLAG_REQ_ONE) == [4096, 0]
'
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
    expect_count 0 '^Extents' "$log"
done
expect_count 1 '^CanExtents$' "$tmp/checkedextents.calls"

# CanExtents true with Extents: the plugin's layout again.
log="$tmp/checked.calls"
start_server checked "$features" log="$log" conn=checkedextents canextents=true
nbdsh_status "$uri" 'assert status(M, 0) == [M // 4, 0, M // 4, 3, M // 4, 2, M // 4, 0]'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Extents 1048576@0 flags=0 mode=normal$' "$log"
echo "extents: ok"
