#!/usr/bin/env bash
# Daemon mode (no -f): nbdkit forks into the background and the parent
# exits.  The child re-executes nbdkit (reexec.c) and serves.  Started
# 50 times, because the ways this can go wrong are races.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
log=$tmp/log
sock=$tmp/sock
pidfile=$tmp/pid
head -c 2M /dev/urandom > "$tmp/data"

runs=50
for i in $(seq 1 $runs); do
    rm -f "$sock"
    start_daemon "$pidfile" -U "$sock" "$plugin" size=4M log="$log"
    pid=$daemon_pid
    uri="nbd+unix:///?socket=$sock"
    timeout -k 5 30 "$NBDCOPY" --connections=4 "$tmp/data" "$uri" ||
        fail "run $i: writing with nbdcopy failed"
    timeout -k 5 30 "$NBDCOPY" --connections=4 "$uri" "$tmp/back" ||
        fail "run $i: reading with nbdcopy failed"
    cmp <(head -c 2M "$tmp/back") "$tmp/data" || fail "run $i: data differs"
    # The pid file names the serving process, which is the one that
    # ran AfterFork.
    grep -q "^pid=$pid AfterFork" "$log" || { cat "$log"; fail "run $i: pid file $pid is not the server"; }
    kill_daemon "$pid"
    grep -q "^pid=$pid Unload" "$log" || { cat "$log"; fail "run $i: the server did not unload"; }
done
expect_count $runs "AfterFork" "$log"
echo "$runs daemon starts: each served, verified 2 MiB over 4 connections, and unloaded on SIGTERM"
