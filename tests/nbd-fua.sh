#!/usr/bin/env bash
# FUA: a plugin whose CanFlush is false must survive a client's FUA
# request (the old binding aborted the whole server), and Flush must
# never be called for it.  With CanFlush true, FUA is advertised and
# emulated with a Flush after the write.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)


# The requests with FUA, sent whether or not the server advertises it
# (strict mode off).  Each either succeeds or fails cleanly with EINVAL,
# and the connection goes on working.
fua_requests='
h.set_strict_mode(0)
errno_or_ok("EINVAL", "h.pwrite(b\"F\" * 512, 65536, nbd.CMD_FLAG_FUA)")
errno_or_ok("EINVAL", "h.zero(512, 66048, nbd.CMD_FLAG_FUA)")
errno_or_ok("EINVAL", "h.trim(512, 66560, nbd.CMD_FLAG_FUA)")
h.pwrite(b"G" * 512, 0)
assert h.pread(512, 0) == b"G" * 512
'

# flush=false: no FUA, no Flush, the server survives.
log="$tmp/noflush.calls"
start_server noflush "$plugin" log="$log" size=1M write=true trim=true zero=true flush=false
pid=$server_pid
nbdsh_check "$uri" "
assert not h.can_flush()
assert not h.can_fua()
$fua_requests"
kill -0 "$pid" || fail "nbdkit died after a FUA write"
nbdsh_check "$uri" 'assert h.pread(512, 0) == b"G" * 512'
wait_for_lines 2 '^Close$' "$log"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_count 0 '^Flush' "$log"
expect_count 2 '^Close$' "$log"
expect_no_grep 'Flush called although' "$tmp/noflush.log"

# flush=true: FUA advertised, and every FUA request is followed by a
# Flush.
log="$tmp/flush.calls"
start_server flush "$plugin" log="$log" size=1M write=true trim=true zero=true flush=true
nbdsh_check "$uri" "
assert h.can_flush()
assert h.can_fua()
h.pwrite(b'F' * 512, 65536, nbd.CMD_FLAG_FUA)
assert h.pread(512, 65536) == b'F' * 512
h.zero(512, 65536, nbd.CMD_FLAG_FUA)
h.trim(512, 66048, nbd.CMD_FLAG_FUA)
h.pwrite(b'n' * 512, 131072)
assert h.pread(512, 65536) == bytes(512)
"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
for req in 'PWrite 512@65536 ' 'Zero 512@65536 ' 'Trim 512@66048 '; do
    next=$(grep -A1 "^$req" "$log" | sed -n 2p)
    case $next in
        Flush*) ;;
        *) cat "$log" >&2; fail "$req with FUA was followed by '$next', not Flush" ;;
    esac
done
# The write without FUA is not flushed.
expect_count 3 '^Flush' "$log"

# The same FUA requests against the ramdisk example, if it is built.
ramdisk=$(example_plugin ramdisk)
if [ -f "$ramdisk" ]; then
    echo "fua: the same against the ramdisk example"
    start_server ramdisk "$ramdisk" size=1M
    pid=$server_pid
    nbdsh_check "$uri" "$fua_requests"
    kill -0 "$pid" || fail "ramdisk example died after a FUA write"
    nbdsh_check "$uri" 'assert h.pread(512, 0) == b"G" * 512'
    stop_server "$pid" || fail "ramdisk example exited with status $?"
else
    echo "fua: $ramdisk not built, skipping that part"
fi
echo "fua: ok"
