#!/usr/bin/env bash
# Can* gating: PWrite, Flush, Trim and Zero are only reached when
# CanWrite, CanFlush, CanTrim and CanZero said yes, even when a client
# sends the request anyway (strict mode off, so libnbd does not refuse
# it on its own side).
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)

# write=false (and flush=false, trim=false): read-only, nothing
# reaches the plugin's PWrite, Flush, Trim or Zero.
log="$tmp/ro.calls"
start_server ro "$plugin" log="$log" size=1M write=false flush=false trim=false zero=true
nbdsh_check "$uri" '
assert h.is_read_only()
assert not h.can_flush()
assert not h.can_trim()
expect_errno(None, "h.pwrite(b\"x\" * 512, 0)", what="pwrite refused by libnbd")

h.set_strict_mode(0)
expect_errno("EPERM", "h.pwrite(b\"x\" * 512, 0)")
expect_errno("EPERM", "h.zero(512, 0)")
expect_errno("EPERM", "h.trim(512, 0)")
expect_errno("EINVAL", "h.flush()")
# The server is still there and the disk unchanged.
assert h.pread(512, 0) == bytes(512)
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^PRead 512@0 ' "$log"
expect_count 0 '^(PWrite|Flush|Trim|Zero)' "$log"

# write=true: data is written and read back.  flush=false, trim=false:
# not advertised, and never reached even when sent.  zero=false: a
# client zero is emulated by nbdkit with PWrite.
log="$tmp/rw.calls"
start_server rw "$plugin" log="$log" size=1M write=true flush=false trim=false zero=false
nbdsh_check "$uri" '
assert not h.is_read_only()
assert not h.can_flush()
assert not h.can_trim()
h.pwrite(b"W" * 4096, 65536)
assert h.pread(4096, 65536) == b"W" * 4096
h.zero(1024, 66560)
assert h.pread(4096, 65536) == b"W" * 1024 + bytes(1024) + b"W" * 2048

h.set_strict_mode(0)
expect_errno(None, "h.trim(512, 65536)")
expect_errno(None, "h.flush()")
assert h.pread(4096, 65536) == b"W" * 1024 + bytes(1024) + b"W" * 2048
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^PWrite 4096@65536 ' "$log"
expect_grep '^PWrite 1024@66560 ' "$log"
expect_count 0 '^(Flush|Trim|Zero)' "$log"

# flush=true, trim=true, zero=true: each reaches its method.
log="$tmp/all.calls"
start_server all "$plugin" log="$log" size=1M write=true flush=true trim=true zero=true
nbdsh_check "$uri" '
assert h.can_flush()
assert h.can_trim()
assert h.can_zero()
h.pwrite(b"Z" * 4096, 65536)
h.flush()
h.zero(1024, 66560)
h.trim(1024, 65536)
assert h.pread(4096, 65536) == bytes(2048) + b"Z" * 2048
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 '^PWrite' "$log"
expect_count 1 '^Flush #1 flags=0$' "$log"
expect_count 1 '^Zero 1024@66560 ' "$log"
expect_count 1 '^Trim 1024@65536 ' "$log"
echo "gating: ok"
