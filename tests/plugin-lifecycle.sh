#!/usr/bin/env bash
# The order of the plugin-wide callbacks under nbdkit -f: Load, Config,
# ConfigComplete, ThreadModel, GetReady, AfterFork (once), then for each
# client PreConnect, Open, its requests, Close; at shutdown Cleanup, then
# Unload.  AfterFork returning an error stops nbdkit with its message.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

log="$tmp/life.calls"
start_server life "$features" log="$log" size=64K
# The server is up: everything before the first client has happened
# (AfterFork may follow the pidfile by a moment).
wait_count 1 '^AfterFork$' "$log"
expect_count 0 '^(PreConnect|Open|Cleanup|Unload)' "$log"
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
wait_count 1 '^Close ' "$log"
nbdsh_check "$uri" 'assert h.pread(512, 4096) == bytes(512)'
# Both connections are closed, and nothing is cleaned up yet.
wait_count 2 '^Close ' "$log"
expect_count 0 '^(Cleanup|Unload)' "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"

# The lifecycle callbacks, consecutive repeats (Config) counted once.
grep -E -o '^(ThreadModel|Load|Config|ConfigComplete|GetReady|AfterFork|PreConnect|Open|PRead|Close|Cleanup|Unload)( |$)' \
    "$log" | tr -d ' ' | uniq | tr '\n' ' ' >"$tmp/order"
expected="ThreadModel Load Config ConfigComplete ThreadModel GetReady AfterFork \
PreConnect Open PRead Close PreConnect Open PRead Close Cleanup Unload "
[ "$(cat "$tmp/order")" = "$expected" ] ||
    { cat "$log" >&2; fail "callback order: $(cat "$tmp/order")"; }
for callback in Load ConfigComplete GetReady AfterFork Cleanup Unload; do
    expect_count 1 "^$callback( |\$)" "$log"
done
expect_count 2 '^Config ' "$log"
# nbdkit's own log agrees on the order of the last two.
grep -o -E 'debug: features: (cleanup|unload)' "$tmp/life.log" | cut -d' ' -f3 |
    tr '\n' ' ' >"$tmp/nbdkit-order"
[ "$(cat "$tmp/nbdkit-order")" = "cleanup unload " ] ||
    { cat "$tmp/life.log" >&2; fail "nbdkit's order: $(cat "$tmp/nbdkit-order")"; }

# AfterFork fails: nbdkit stops with a non-zero status and the message,
# before serving anyone.
log="$tmp/afterfork.calls"
status=0
timeout 20 "$NBDKIT" -f -U "$tmp/afterfork.sock" "$features" log="$log" afterfork=fail \
    >"$tmp/afterfork.out" 2>&1 || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "AfterFork failed, and nbdkit exit status is $status"
expect_grep 'error: AfterFork: features plugin: AfterFork failed as asked' "$tmp/afterfork.out"
expect_count 1 '^AfterFork$' "$log"
expect_count 0 '^(PreConnect|Open)' "$log"
echo "lifecycle: ok"
