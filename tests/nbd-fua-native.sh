#!/usr/bin/env bash
# CanFUA, counted inside the plugin: FUANative sends FlagFUA to PWrite,
# Zero and Trim and never calls Flush for it; FUAEmulate with CanFlush
# true writes without the flag and then calls Flush; FUAEmulate with
# CanFlush false, and FUANone, do not advertise FUA and never reach
# Flush for it.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

# Three requests with FUA, then the data read back.
fua_requests='
h.pwrite(b"F" * 4096, 0, nbd.CMD_FLAG_FUA)
h.zero(1024, 1024, nbd.CMD_FLAG_FUA)
h.trim(1024, 2048, nbd.CMD_FLAG_FUA)
assert h.pread(4096, 0) == b"F" * 1024 + bytes(2048) + b"F" * 1024
'

# FUANative, even with CanFlush false: advertised, the flag reaches
# each method, and there is no Flush to call.
serve native conn=fua fua=native flush=false -- "
assert h.can_fua()
assert not h.can_flush()
$fua_requests"
expect_count 1 '^CanFUA$' "$log"
expect_count 1 '^PWrite 4096@0 flags=FUA$' "$log"
expect_count 1 '^Zero 1024@1024 flags=MAY_TRIM\|FUA$' "$log"
expect_count 1 '^Trim 1024@2048 flags=FUA$' "$log"
expect_count 0 '^Flush' "$log"

# FUANative with CanFlush true: still no Flush for FUA, only for the
# client's own flush.
serve native-flush conn=fua fua=native flush=true -- "
assert h.can_fua()
assert h.can_flush()
$fua_requests
h.flush()"
expect_count 1 '^PWrite 4096@0 flags=FUA$' "$log"
expect_count 1 '^Flush' "$log"

# FUAEmulate with CanFlush true: the methods see no flag, and nbdkit
# calls Flush after each of them.
serve emulate conn=fua fua=emulate flush=true -- "
assert h.can_fua()
$fua_requests"
expect_count 1 '^PWrite 4096@0 flags=0$' "$log"
expect_count 1 '^Zero 1024@1024 flags=MAY_TRIM$' "$log"
expect_count 1 '^Trim 1024@2048 flags=0$' "$log"
expect_count 3 '^Flush flags=0$' "$log"
# Each Flush follows its request.
grep -E '^(PWrite|Zero|Trim|Flush)' "$log" | cut -d' ' -f1 | tr '\n' ' ' >"$tmp/order"
[ "$(cat "$tmp/order")" = "PWrite Flush Zero Flush Trim Flush " ] ||
    fail "FUAEmulate order: $(cat "$tmp/order")"

# A FUA write sent although FUA is not advertised: refused, and the
# connection goes on.
fua_refused='h.set_strict_mode(0)
expect_errno("EINVAL", "h.pwrite(b\"F\" * 512, 0, nbd.CMD_FLAG_FUA)")
h.pwrite(b"G" * 512, 0)
assert h.pread(512, 0) == b"G" * 512
'

# FUAEmulate with CanFlush false: FUA is not advertised (nbdkit would
# need Flush to emulate it).  Sent anyway, it is refused, Flush is never
# reached, and the server goes on.
serve emulate-noflush conn=fua fua=emulate flush=false -- "
assert not h.can_fua()
assert not h.can_flush()
$fua_refused"
expect_count 1 '^CanFUA$' "$log"
expect_count 0 '^Flush' "$log"
expect_count 0 'flags=.*FUA' "$log"
expect_grep 'CanFUA returned FUAEmulate but CanFlush is false' "$tmp/emulate-noflush.log"

# FUANone: not advertised even though Flush could emulate it.
serve none conn=fua fua=none flush=true -- "
assert not h.can_fua()
assert h.can_flush()
$fua_refused
h.flush()"
expect_count 1 '^Flush' "$log"
expect_count 0 'flags=.*FUA' "$log"
echo "fua-native: ok"
