#!/usr/bin/env bash
# Every callback of PluginInterface and ConnectionInterface is reached,
# with the right arguments, and what the plugin answers is what a real
# client sees.  The test plugin logs each callback to a file.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)


# --dump-plugin: Load, DumpPlugin and Unload, and the plugin's own line
# after nbdkit's fields.
NBDKIT_TEST_LOG="$tmp/dump.calls" "$NBDKIT" --dump-plugin "$plugin" >"$tmp/dump.out"
expect_grep '^name=test$' "$tmp/dump.out"
expect_grep '^golang_version=go' "$tmp/dump.out"
expect_grep '^test_dump_plugin=yes$' "$tmp/dump.out"
[ "$(tail -n 1 "$tmp/dump.out")" = "test_dump_plugin=yes" ] ||
    { cat "$tmp/dump.out" >&2; fail "DumpPlugin output is not last"; }
expect_count 1 '^Load$' "$tmp/dump.calls"
expect_count 1 '^DumpPlugin$' "$tmp/dump.calls"
expect_count 1 '^Unload' "$tmp/dump.calls"

# Everything on.
log="$tmp/calls"
start_server all "$plugin" log="$log" size=1M write=true flush=true \
    trim=true zero=true rotational=true multiconn=true
all_pid=$server_pid

nbdsh_check "$uri" '
assert h.get_size() == 1048576
assert not h.is_read_only()
assert h.can_flush()
assert h.can_trim()
assert h.can_zero()
assert h.is_rotational()
assert h.can_multi_conn()
assert h.can_fua()

h.pwrite(b"A" * 512, 4096)
assert h.pread(512, 4096) == b"A" * 512
h.flush()
h.trim(512, 4096)
assert h.pread(512, 4096) == bytes(512)
h.pwrite(b"B" * 1024, 8192)
h.zero(1024, 8192)
assert h.pread(1024, 8192) == bytes(1024)
assert h.pread(512, 9216) == bytes(512)
h.pwrite(b"C" * 512, 65536, nbd.CMD_FLAG_FUA)
assert h.pread(512, 65536) == b"C" * 512
'
# Four more connections: five in all.
for i in 1 2 3 4; do
    nbdsh_check "$uri" 'assert h.pread(512, 65536) == b"C" * 512'
done

# Unload only happens at exit.
expect_count 0 '^Unload' "$log"
wait_for_lines 5 '^Close$' "$log"
stop_server "$all_pid" || fail "nbdkit exited with status $?"

[ "$(head -n 1 "$log")" = "Load" ] || { cat "$log" >&2; fail "Load is not first"; }
[ "$(tail -n 1 "$log" | cut -d' ' -f1)" = "Unload" ] ||
    { cat "$log" >&2; fail "Unload is not last"; }
expect_count 1 '^Load$' "$log"
expect_count 1 "^Config log=$log\$" "$log"
expect_count 1 '^Config size=1M$' "$log"
expect_count 1 '^Config multiconn=true$' "$log"
expect_count 1 '^ConfigComplete$' "$log"
expect_count 1 '^GetReady$' "$log"
expect_count 5 '^PreConnect readonly=false$' "$log"
expect_count 5 '^Open readonly=false$' "$log"
expect_count 5 '^Close$' "$log"
expect_count 1 '^Unload' "$log"
for cb in GetSize CanWrite CanFlush IsRotational CanTrim CanZero CanMultiConn; do
    expect_grep "^$cb\$" "$log"
done
expect_grep '^PWrite 512@4096 flags=0$' "$log"
expect_grep '^PRead 512@4096 flags=0$' "$log"
expect_grep '^Flush #1 flags=0$' "$log"
expect_grep '^Trim 512@4096 ' "$log"
expect_grep '^Zero 1024@8192 ' "$log"
# The FUA write is emulated: the write, then a flush.
grep -A1 '^PWrite 512@65536 ' "$log" | tail -n 1 | grep -q '^Flush #2 ' ||
    { cat "$log" >&2; fail "FUA write was not followed by Flush"; }
expect_count 2 '^Flush' "$log"
expect_grep '^Unload flushes=2$' "$log"
expect_count 5 '^PRead 512@65536 ' "$log"

# Everything off, read-only client: the answers are seen as false.
log="$tmp/calls-off"
start_server off "$plugin" log="$log" size=64K write=false flush=false \
    trim=false zero=false rotational=false multiconn=false
nbdsh_check "$uri" '
assert h.get_size() == 65536
assert h.is_read_only()
assert not h.can_flush()
assert not h.can_trim()
assert not h.can_zero()
assert not h.is_rotational()
assert not h.can_multi_conn()
assert not h.can_fua()
assert h.pread(512, 0) == bytes(512)
'
wait_for_lines 1 '^Close$' "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 '^Open readonly=false$' "$log"
expect_count 1 '^Close$' "$log"
expect_count 0 '^(PWrite|Flush|Trim|Zero)' "$log"

# nbdkit -r: PreConnect and Open are told the connection is read-only.
log="$tmp/calls-ro"
start_server ro -r "$plugin" log="$log" write=true
nbdsh_check "$uri" 'assert h.is_read_only()'
wait_for_lines 1 '^Close$' "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 '^PreConnect readonly=true$' "$log"
expect_count 1 '^Open readonly=true$' "$log"
expect_count 1 '^Close$' "$log"
echo "callbacks: all reached"
