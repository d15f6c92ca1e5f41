#!/usr/bin/env bash
# Every callback of a Go filter is reached, with the right arguments,
# in the right order, and what it answers is what a real client sees;
# requests reach the plugin through it.  The features filter logs each
# call to $NBDKIT_FILTER_LOG.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/filters.sh"

# --dump-plugin with a filter: Load, its fields, Unload.
NBDKIT_FILTER_LOG="$tmp/dump.calls" "$NBDKIT" --filter="$features_filter" \
    --dump-plugin memory >"$tmp/dump.out"
expect_count 1 '^Load$' "$tmp/dump.calls"
expect_count 1 '^Unload$' "$tmp/dump.calls"
# --help shows the filter's longname, description and config help.
"$NBDKIT" --filter="$features_filter" memory --help >"$tmp/help.out" 2>&1 || true
expect_grep 'the Go test filter' "$tmp/help.out"
expect_grep 'ffail=METHOD' "$tmp/help.out"

log="$tmp/calls"
export NBDKIT_FILTER_LOG="$log"
start_server all --filter="$features_filter" memory size=1M \
    fsize=524288 fdescription="from the Go filter" frotational=true \
    fmulticonn=false fblocksize=512,4096,65536 fexports=one,two
pid=$server_pid

nbdsh_check "$uri" '
assert h.get_size() == 524288
assert not h.is_read_only()
assert h.can_flush()
assert h.can_trim()
assert h.can_zero()
assert h.can_fast_zero()
assert h.is_rotational()
assert not h.can_multi_conn()
assert h.can_fua()
assert h.can_cache()

h.pwrite(b"A" * 512, 4096)
assert h.pread(512, 4096) == b"A" * 512
h.pwrite(b"B" * 512, 8192, nbd.CMD_FLAG_FUA)
h.flush()
h.trim(512, 4096)
assert h.pread(512, 4096) == bytes(512)
h.zero(1024, 8192)
assert h.pread(1024, 8192) == bytes(1024)
h.cache(4096, 0)
'
# Block status through the filter: its list is built from the plugin's.
timeout -k 5 60 "$NBDSH" --base-allocation -u "$uri" -c '
h.pwrite(b"C" * 65536, 327680)
got = []
def f(metacontext, offset, entries, err):
    if metacontext == nbd.CONTEXT_BASE_ALLOCATION:
        got.extend(entries)
h.block_status(131072, 262144, f)
assert got == [65536, 3, 65536, 0], got
'
# Description and block size, as nbdinfo shows them.
"$NBDINFO" --json "$uri" >"$tmp/info.json"
expect_grep '"description": "from the Go filter"' "$tmp/info.json"
expect_grep '"block_size_minimum": 512' "$tmp/info.json"
expect_grep '"block_size_preferred": 4096' "$tmp/info.json"
expect_grep '"block_size_maximum": 65536' "$tmp/info.json"
# Exports: the plugin's default, then the filter's own.
"$NBDINFO" --list --json "$uri" >"$tmp/list.json"
expect_grep '"export-name": "one"' "$tmp/list.json"
expect_grep '"export-name": "two"' "$tmp/list.json"

wait_for_lines 4 '^Close$' "$log"
stop_server "$pid" || fail "nbdkit exited with status $?"

# Each callback, with its arguments.
for line in 'Load' 'Config size=1M' 'Config fsize=524288' 'ConfigComplete' \
    'ThreadModel' 'GetReady 3' 'AfterFork' 'PreConnect readonly=false' \
    'DefaultExport readonly=false tls=false' \
    'Open readonly=false export="" tls=false' 'Prepare readonly=false' \
    'Prepare: next size 1048576 <nil>' \
    'GetSize' 'ExportDescription' 'BlockSize' 'CanWrite' 'CanFlush' \
    'IsRotational' 'CanTrim' 'CanZero' 'CanFastZero' 'CanExtents' 'CanFUA' \
    'CanMultiConn' 'CanCache' \
    'PWrite 512 4096 0x0' 'PRead 512 4096 0x0' 'PWrite 512 8192 0x2' \
    'Flush 0x0' 'Trim 512 4096 0x0' 'Zero 1024 8192 0x1' 'Cache 4096 0 0x0' \
    'Extents 131072 262144 0x0' 'Extents: next 262144 65536 3' 'Extents: next 327680 65536 0' \
    'ListExports readonly=false tls=false' 'Finalize' 'Close' 'Cleanup' 'Unload'
do
    grep -F -x -q -- "$line" "$log" || { cat "$log" >&2; fail "no call '$line'"; }
done
# Order: the lifecycle of nbdkit-filter(3).
order=$(grep -E -x 'Load|ConfigComplete|GetReady 3|AfterFork|Open.*|Prepare readonly=false|Finalize|Close|Cleanup|Unload' \
    "$log" | sed 's/^Open.*/Open/' | awk '!seen[$0]++' | tr '\n' ' ')
[ "$order" = "Load ConfigComplete GetReady 3 AfterFork Open Prepare readonly=false Finalize Close Cleanup Unload " ] ||
    { cat "$log" >&2; fail "callbacks out of order: $order"; }

# freadonly: Open opens the plugin read-only, and the client sees it.
rm -f "$log"
start_server ro --filter="$features_filter" memory size=1M freadonly=true
nbdsh_check "$uri" '
assert h.is_read_only()
try:
    h.pwrite(b"x", 0)
    assert False, "a write to a read-only export succeeded"
except nbd.Error:
    pass
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Open readonly=false' "$log"
expect_no_grep '^PWrite' "$log"

# ThreadModel: a stricter model than the plugin's is nbdkit's choice.
rm -f "$log"
start_server tm --filter="$features_filter" memory size=1M fthreadmodel=1
nbdsh_check "$uri" 'assert h.get_size() == 1048576'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^GetReady 1$' "$log"
expect_grep 'using thread model: serialize_all_requests' "$tmp/tm.log"

# The context functions: a context of the filter's own in Open
# (Backend.OpenContext, Prepare, Finalize, Close), a shared one from
# AfterFork to Cleanup, and the connection's next layer given with
# NextOpen.SetNext, through which the data goes.
rm -f "$log"
start_server ctx --filter="$features_filter" memory size=1M fcontext=true fshared=true
nbdsh_check "$uri" 'h.pwrite(b"x" * 512, 0); assert h.pread(512, 0) == b"x" * 512'
wait_for_lines 1 '^Close$' "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Open: own context size 1048576 <nil>$' "$log"
expect_grep '^AfterFork: shared context size 1048576 <nil>$' "$log"
expect_grep '^Cleanup: shared context finalized <nil>$' "$log"
rm -f "$log"
start_server setnext --filter="$features_filter" memory size=1M fsetnext=true
nbdsh_check "$uri" '
assert h.get_size() == 1048576
h.pwrite(b"y" * 512, 4096)
assert h.pread(512, 4096) == b"y" * 512
'
wait_for_lines 1 '^Close$' "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Open: SetNext replaced a context: false$' "$log"
expect_grep '^Prepare: next size 1048576 <nil>$' "$log"

# DefaultExport: the filter's name for "" is what Open sees.
rm -f "$log"
start_server defexport --filter="$features_filter" memory size=1M fexport=chosen
nbdsh_check "$uri" 'assert h.get_size() == 1048576'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Open readonly=false export="chosen" tls=false$' "$log"
