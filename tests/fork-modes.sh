#!/usr/bin/env bash
# Every way of starting nbdkit: those that do not fork run the plugin
# once and never re-execute; those that fork re-execute, whatever the
# spelling of the options; AfterFork runs exactly once, in the process
# that serves, and a lock it takes holds in every mode.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
log=$tmp/log
lock=$tmp/lock

# check_log MODE LOADS: the log shows one serving process: Load twice
# (original and re-executed) or once (no fork), GetReady, AfterFork and
# the lock once, in the pid that served.
check_log ()
{
    local mode=$1 loads=$2 serving
    expect_count "$loads" " Load " "$log"
    expect_count 1 " GetReady" "$log"
    expect_count 1 " AfterFork" "$log"
    expect_count 1 " Locked" "$log"
    serving=$(sed -n 's/^pid=\([0-9]*\) AfterFork$/\1/p' "$log")
    grep -q "^pid=$serving Open" "$log" || { cat "$log"; fail "$mode: AfterFork did not run in the serving process"; }
    if [ "$loads" -eq 1 ]; then
        expect_count 2 "reexecuted=false willreexecute=false" "$log"
    else
        expect_count 1 "Load reexecuted=false willreexecute=true" "$log"
        expect_count 1 "reexecuted=false willreexecute=true" "$log"
        expect_count 2 "reexecuted=true willreexecute=false" "$log"
        grep -q "^pid=$serving GetReady" "$log" || { cat "$log"; fail "$mode: GetReady did not run in the serving process"; }
    fi
    echo "$mode: $loads load(s), AfterFork and lock once, in pid $serving"
    rm -f "$log"
}

nbdsh_size='print(h.get_size())'

# -f: no fork.
start_server fg "$plugin" log="$log" lock="$lock"
nbdsh_check "$uri" "$nbdsh_size" >/dev/null
stop_server "$server_pid"
check_log "-f" 1

# -s: nbdkit serves its stdin and does not fork.
timeout -k 5 60 "$NBDSH" -c '
h.connect_command(["'"$NBDKIT"'", "-s", "--exit-with-parent", "'"$plugin"'",
                   "log='"$log"'", "lock='"$lock"'"])
assert h.get_size() == 64 * 1024 * 1024
h.shutdown()
'
wait_for_unload () { wait_for 10 grep -q Unload "$log" || fail "no Unload"; }
wait_for_unload
check_log "-s" 1

# Socket activation by the caller: no fork.
size=$(timeout -k 5 60 "$NBDINFO" --size -- [ "$NBDKIT" "$plugin" log="$log" lock="$lock" ])
[ "$size" -eq $((64 * 1024 * 1024)) ] || fail "socket activation: size $size"
wait_for_unload
check_log "socket activation" 1

# --run, with the options spelt every way getopt allows.
run_with ()
{
    local mode=$1; shift
    timeout -k 5 60 "$NBDKIT" "$@" ||
        fail "$mode: nbdkit $* failed"
    check_log "$mode" 2
}
runcmd='test "$('"$NBDINFO"' --size "$uri")" = 1048576'
run_with "-U - --run" -U - "$plugin" size=1M log="$log" lock="$lock" --run "$runcmd"
run_with "-rU -" -rU - "$plugin" size=1M log="$log" lock="$lock" --run "$runcmd"
run_with "-U-" -U- --run "$runcmd" "$plugin" size=1M log="$log" lock="$lock"
run_with "--unix=- --ru=" --unix=- --ru="$runcmd" "$plugin" size=1M log="$log" lock="$lock"
run_with "abbreviations" --un - --threads=4 --exit-with-par --run "$runcmd" "$plugin" size=1M log="$log" lock="$lock"
run_with "--" -U - --run "$runcmd" -- "$plugin" size=1M log="$log" lock="$lock"

# Arguments with spaces reach the re-executed plugin unchanged.
mkdir "$tmp/a dir"
run_with "spaces" -U - --run "$runcmd" "$plugin" size=1M "log=$log" "lock=$tmp/a dir/lock file"
[ -f "$tmp/a dir/lock file" ] || fail "spaces: the lock file with spaces in its name was not made"

# Relative plugin path and relative -P, in daemon mode (which changes
# directory to /).
cp "$plugin" "$tmp/rel-plugin.so"
cd "$tmp"
start_daemon rel.pid -U sock ./rel-plugin.so size=1M log=log lock=lock
cd - >/dev/null
pid=$daemon_pid
size=$("$NBDINFO" --size "nbd+unix:///?socket=$tmp/sock")
[ "$size" -eq 1048576 ] || fail "relative paths: size $size"
kill_daemon "$pid"
check_log "daemon, relative paths" 2

# TCP: -p on loopback and -i 127.0.0.1, daemon and --run.
port=$((20000 + RANDOM % 20000))
start_daemon "$tmp/tcp.pid" -p "$port" -i 127.0.0.1 "$plugin" size=1M log="$log" lock="$lock"
pid=$daemon_pid
size=$("$NBDINFO" --size "nbd://127.0.0.1:$port")
[ "$size" -eq 1048576 ] || fail "TCP: size $size"
kill_daemon "$pid"
check_log "TCP daemon -p -i" 2
port=$((port + 1))
run_with "TCP --run" -p "$port" --ipaddr=127.0.0.1 "$plugin" size=1M log="$log" lock="$lock" \
    --run "test \"\$($NBDINFO --size nbd://127.0.0.1:$port)\" = 1048576"

# --exit-with-parent with --run.
run_with "--exit-with-parent --run" --exit-with-parent -U - "$plugin" size=1M log="$log" lock="$lock" --run "$runcmd"

# -u and -g as root: the server changes user before forking.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chmod 755 "$tmp"
    touch "$log" "$lock"
    chmod 666 "$log" "$lock"
    group=$(id -gn nobody)
    run_with "-u nobody -g $group" -u nobody -g "$group" -U - "$plugin" size=1M log="$log" lock="$lock" \
        --run "$runcmd"
    # nbdkit writes the pid file after changing user.
    mkdir -m 777 "$tmp/u"
    touch "$log"
    chmod 666 "$log"
    start_daemon "$tmp/u/pid" -u nobody -g "$group" -U "$tmp/u/sock" "$plugin" size=1M log="$log" lock="$lock"
    pid=$daemon_pid
    "$NBDINFO" --size "nbd+unix:///?socket=$tmp/u/sock" >/dev/null || fail "-u nobody daemon does not serve"
    [ "$(stat -c %U /proc/$pid)" = nobody ] || fail "-u nobody: the server runs as $(stat -c %U /proc/$pid)"
    kill_daemon "$pid"
    check_log "-u nobody daemon" 2
else
    echo "not root: -u/-g not tried"
fi
