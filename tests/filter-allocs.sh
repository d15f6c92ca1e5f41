#!/usr/bin/env bash
# A Go filter's requests allocate nothing: 5000 reads, writes, zeroes,
# trims and flushes through a filter with every data method over the C
# memory plugin, counted by the Go runtime from the start of the 1000th
# request to the start of the 5000th.  (Counting on to Finalize once
# found 99 allocations on Debian 13, not seen again in 30 runs: after
# the last request, nbdkit's worker threads end, which the Go runtime
# handles, and Finalize is called; neither is a request.)
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/filters.sh"

export NBDKIT_FILTER_ALLOCS="$tmp/allocs" NBDKIT_FILTER_ALLOCS_LAST=5000
start_server allocs --filter="$(test_filter allocs)" memory size=16M
nbdsh_check "$uri" '
buf = bytearray(4096)
for i in range(1000):
    off = (i % 1024) * 4096
    h.pwrite(buf, off)
    h.pread(4096, off)
    h.zero(4096, off)
    h.trim(4096, off)
    h.flush()
'
wait_for_lines 1 'requests=' "$tmp/allocs"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
cat "$tmp/allocs"
expect_grep '^requests=4000 mallocs=0$' "$tmp/allocs"
