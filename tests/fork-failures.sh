#!/usr/bin/env bash
# What goes wrong after nbdkit's fork is reported, never a hang: a
# setup that fails in the re-executed server, and a Go crash there.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
log=$tmp/log

# GetReady fails in the re-executed server (the only one that runs
# it).  As when a C plugin's GetReady fails, nbdkit --run exits 1 with
# the error, without running the command; under a timeout, to prove
# it does not hang.
status=0
start=$(date +%s)
timeout -k 5 60 "$NBDKIT" -U - "$plugin" failsecond=1 log="$log" \
    --run "touch $tmp/ran; $NBDINFO --size \"\$uri\"" >"$tmp/run.out" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))
cat "$tmp/run.out"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || fail "--run hung until the timeout"
[ "$status" -eq 1 ] || fail "--run with a failing server: exit status $status, not 1"
[ "$elapsed" -lt 30 ] || fail "--run took $elapsed s to fail"
[ ! -e "$tmp/ran" ] || fail "--run ran the command although the server failed"
expect_grep "failing on purpose in the re-executed server" "$tmp/run.out"
expect_grep "the server did not start" "$tmp/run.out"
expect_count 0 " AfterFork" "$log"
echo "--run with a failing server: exit $status after $elapsed s, the command not run"

# In daemon mode the starting command fails, with the server's error
# on its stderr, as for a C plugin whose GetReady fails; nothing is
# left serving.
rm -f "$log"
status=0
timeout -k 5 30 "$NBDKIT" -U "$tmp/sock" -P "$tmp/pid" "$plugin" failsecond=1 log="$log" \
    >"$tmp/daemon.out" 2>&1 || status=$?
cat "$tmp/daemon.out"
[ "$status" -eq 1 ] || fail "daemon with a failing server: exit status $status, not 1"
expect_grep "failing on purpose in the re-executed server" "$tmp/daemon.out"
expect_grep "the server did not start" "$tmp/daemon.out"
if timeout -k 5 20 "$NBDINFO" --size "nbd+unix:///?socket=$tmp/sock" 2>/dev/null; then
    fail "a failed daemon still serves"
fi
expect_count 1 " GetReady" "$log"
expect_count 0 " AfterFork" "$log"
echo "daemon with a failing server: exit 1, the error on stderr, connections refused"

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
