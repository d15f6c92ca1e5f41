#!/usr/bin/env bash
# What goes wrong after nbdkit's fork is reported, never a hang: a
# setup that fails in the re-executed server, and a Go crash there.
. "$abs_top_srcdir/tests/functions.sh"

plugin=$(test_plugin forktest)
log=$tmp/log

# GetReady fails on its second run (in the re-executed server).  With
# --run the command's client is refused, so nbdkit fails quickly;
# under a timeout, to prove it does not hang.
status=0
start=$(date +%s)
timeout -k 5 60 "$NBDKIT" -U - "$plugin" failsecond=1 log="$log" \
    --run "$NBDINFO --size \"\$uri\"" >"$tmp/run.out" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))
cat "$tmp/run.out"
[ "$status" -ne 0 ] || fail "--run succeeded although the server failed"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "--run hung until the timeout"
[ "$elapsed" -lt 30 ] || fail "--run took $elapsed s to fail"
expect_grep "failing on purpose in the re-executed server" "$tmp/run.out"
expect_count 0 " AfterFork" "$log"
echo "--run with a failing server: exit $status after $elapsed s"

# In daemon mode the daemon exits, and connections are refused.
rm -f "$log"
timeout -k 5 30 "$NBDKIT" -U "$tmp/sock" -P "$tmp/pid" "$plugin" failsecond=1 log="$log" ||
    fail "the original process already failed"
wait_for_pidfile "$tmp/pid"
pid=$(cat "$tmp/pid")
wait_for_exit "$pid" 10
if timeout -k 5 20 "$NBDINFO" --size "nbd+unix:///?socket=$tmp/sock" 2>/dev/null; then
    fail "a failed daemon still serves"
fi
expect_count 2 " GetReady" "$log"
expect_count 0 " AfterFork" "$log"
echo "daemon with a failing server: exited, connections refused"

# A panic in a goroutine of the re-executed server crashes it with Go's
# own crash report, as in any Go program.
status=0
timeout -k 5 60 "$NBDKIT" -U - "$plugin" panicat=65536 \
    --run "$NBDSH -u \"\$uri\" -c 'h.pread(512, 65536)'" >"$tmp/panic.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "the crash went unnoticed"
expect_grep "panic: forktest: deliberate crash at offset 65536" "$tmp/panic.out"
expect_grep "^goroutine [0-9]+ \[running\]:" "$tmp/panic.out"
expect_grep "forktest.go:[0-9]+" "$tmp/panic.out"
echo "a crash after the fork prints Go's panic message and stack"
