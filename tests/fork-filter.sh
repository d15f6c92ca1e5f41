#!/usr/bin/env bash
# Go filters after nbdkit's fork: a Go filter (tests/filters/fork, on
# the binding's filter API, with its own Go runtime and its own copy of
# reexec.c, serving reads and writes in Go) over nbdkit's memory plugin
# and over a Go plugin, and two Go filters over each, under --run and
# in daemon mode.  However many Go libraries see the fork,
# nbdkit is re-executed once, every layer's GetReady and AfterFork run
# once, in the server, and the start fails if any layer's AfterFork
# does.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
filter=$abs_top_builddir/tests/filters/fork/nbdkit-fork-filter.so
[ -f "$filter" ] || fail "the test filter is not built"
# A second Go filter: another build, since nbdkit (dlopen) loads one
# file once.
(cd "$abs_top_srcdir/tests/filters" &&
     "$GO" build -buildmode=c-shared -ldflags "-X main.layerName=fork2" \
        -o "$tmp/nbdkit-fork2-filter.so" ./fork) || fail "building the second filter"
filter2=$tmp/nbdkit-fork2-filter.so
export TMPDIR=$tmp/sockets              # -U -'s temporary directories
mkdir "$TMPDIR"
mkdir -m 777 "$tmp/pub"                 # logs and sockets, for -u nobody
chmod 755 "$tmp"
logs=$tmp/pub

# The layer stacks: filters (outermost first) and plugin, with each Go
# layer's log.
one_over_c=(--filter="$filter" memory 1M fork-log="$logs/fork.log")
one_over_go=(--filter="$filter" "$plugin" size=1M log="$logs/plugin.log"
             fork-log="$logs/fork.log")
two_over_c=(--filter="$filter2" "${one_over_c[@]}" fork2-log="$logs/fork2.log")
two_over_go=(--filter="$filter2" "${one_over_go[@]}" fork2-log="$logs/fork2.log")

# data_ok URI: write through every layer and read it back.
data_ok='timeout -k 5 60 '"$NBDSH"' -u "$uri" -c "
h.pwrite(b\"two go runtimes\" * 100, 4096)
assert h.pread(1500, 4096) == b\"two go runtimes\" * 100
"'

# once_each LOG...: each Go layer ran Load twice, once in the original
# process and once in the server, and GetReady, AfterFork and Unload
# once, in the server; each filter opened the client's connection in
# the server; every layer in the same two processes (nbdkit
# re-executed once).  Sets $server to the server's pid.
once_each ()
{
    local log pids
    for log; do
        expect_count 1 "Load reexecuted=false willreexecute=true" "$log"
        expect_count 1 "Load reexecuted=true willreexecute=false" "$log"
        expect_count 1 "GetReady reexecuted=true willreexecute=false" "$log"
        expect_count 1 "GetReady" "$log"
        expect_count 1 "AfterFork" "$log"
        expect_count 1 "Unload" "$log"
    done
    server=$(grep -E " AfterFork" "$1" | grep -E -o "^pid=[0-9]+" | cut -d= -f2)
    for log; do
        expect_grep "^pid=$server( fork2?)? GetReady" "$log"
        expect_grep "^pid=$server( fork2?)? AfterFork" "$log"
        case $log in */fork*.log)
            expect_count 1 " Open " "$log"
            expect_grep "^pid=$server fork2? Open reexecuted=true" "$log" ;;
        esac
    done
    pids=$(cat "$@" | grep -E -o "^pid=[0-9]+" | sort -u | wc -l)
    [ "$pids" -eq 2 ] || { cat "$@"; fail "$pids processes ran the layers, not 2"; }
}

for stack in one_over_c one_over_go two_over_c two_over_go; do
    declare -n args=$stack
    layer_logs=("$logs/fork.log")
    case $stack in two_*) layer_logs+=("$logs/fork2.log") ;; esac
    case $stack in *_go) layer_logs+=("$logs/plugin.log") ;; esac

    # --run
    rm -f "$logs"/*.log
    timeout -k 5 60 "$NBDKIT" -U - "${args[@]}" --run "$data_ok" ||
        fail "$stack, --run: failed"
    once_each "${layer_logs[@]}"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$stack, --run: left $(ls -A "$TMPDIR") behind"

    # Daemon mode: the pid file names the server once the starting
    # command returns.
    rm -f "$logs"/*.log
    start_daemon --now "$tmp/$stack.pid" -U "$tmp/$stack.sock" "${args[@]}"
    pid=$daemon_pid
    uri="nbd+unix:///?socket=$tmp/$stack.sock" bash -c "$data_ok" ||
        fail "$stack, daemon: data"
    kill_daemon "$pid"
    once_each "${layer_logs[@]}"
    [ "$server" = "$pid" ] || fail "$stack, daemon: the layers' server $server is not $pid"
    echo "$stack: --run and daemon serve; one re-execution, each layer's GetReady, AfterFork and Open once in the server"
done
unset -n args

# -f: no fork, no re-execution: one process runs everything once.
rm -f "$logs"/*.log
timeout -k 5 60 "$NBDKIT" -f -U "$tmp/fg.sock" "${two_over_go[@]}" &
server_pids+=($!)
wait_for 10 test -S "$tmp/fg.sock" || true
uri="nbd+unix:///?socket=$tmp/fg.sock" bash -c "$data_ok" || fail "-f: data"
for log in "$logs"/*.log; do
    expect_count 1 "GetReady reexecuted=false willreexecute=false" "$log"
    expect_count 1 "AfterFork" "$log"
done
[ "$(cat "$logs"/*.log | grep -E -o "^pid=[0-9]+" | sort -u | wc -l)" -eq 1 ] ||
    fail "-f: more than one process"
echo "-f: one process, each layer once"

# Any layer's AfterFork failing fails the start, in both modes, with
# its error, though the layers under it said they were ready: the
# filter's over the plugin, the outer filter's over the inner, and the
# plugin's under a filter.
# fails_to_start NAME PATTERN ARGS...: nbdkit ARGS exits 1 with a
# message matching PATTERN, and a --run command in ARGS did not run.
fails_to_start ()
{
    local name=$1 pattern=$2 status=0; shift 2
    rm -f "$tmp/ran" "$tmp/fail.sock"    # a failed daemon leaves its socket
    timeout -k 5 30 "$NBDKIT" "$@" >"$tmp/$name.out" 2>&1 || status=$?
    [ "$status" -eq 1 ] || { cat "$tmp/$name.out"; fail "$name: exit status $status, not 1"; }
    expect_grep "$pattern" "$tmp/$name.out"
    expect_grep "the server did not start" "$tmp/$name.out"
    [ ! -e "$tmp/ran" ] || fail "$name: the --run command ran"
}
for mode in run daemon; do
    case $mode in
        run) start=(-U - --run "touch $tmp/ran") ;;
        daemon) start=(-U "$tmp/fail.sock") ;;
    esac
    rm -f "$logs"/*.log
    fails_to_start "filter, $mode" "fork: AfterFork fails on purpose" \
        "${start[@]}" "${one_over_go[@]}" fork-failafterfork=1
    expect_count 1 "AfterFork" "$logs/plugin.log"
    fails_to_start "outer filter, $mode" "fork2: AfterFork fails on purpose" \
        "${start[@]}" "${two_over_go[@]}" fork2-failafterfork=1
    exec 9>"$tmp/held"
    flock 9
    fails_to_start "plugin, $mode" "lock $tmp/held: resource temporarily unavailable" \
        "${start[@]}" "${one_over_go[@]}" lock="$tmp/held"
    exec 9>&-
done
echo "a failing AfterFork of the plugin, the filter or the outer filter: exit 1 with its error, in both modes"

# --run's command gets the soft fd limit nbdkit was started with, though
# two Go runtimes raised it.
(
    ulimit -S -n 1000
    timeout -k 5 60 "$NBDKIT" -U - "${two_over_go[@]}" --run 'test "$(ulimit -S -n)" = 1000' ||
        fail "the --run command does not have the soft fd limit nbdkit was started with"
)
echo "--run's command keeps the soft fd limit of 1000 with three Go layers"

# -u/-g as root, with the plugin and both filters in a root-only
# directory: the daemon's server, started as nobody, loads them from
# the files opened as root, and keeps none of them open.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    group=$(id -gn nobody)
    private=$tmp/private
    mkdir -m 700 "$private"
    cp "$plugin" "$private/plugin.so"
    cp "$filter" "$private/filter.so"
    cp "$filter2" "$private/filter2.so"
    private_stack=(--filter="$private/filter2.so" --filter="$private/filter.so"
                   "$private/plugin.so" size=1M log="$logs/plugin.log"
                   fork-log="$logs/fork.log" fork2-log="$logs/fork2.log")
    # nobody appends to the logs root made.
    writable_logs () { local l; for l in plugin fork fork2; do
        rm -f "$logs/$l.log"; install -m 666 /dev/null "$logs/$l.log"; done; }
    writable_logs
    start_daemon --now "$tmp/pub/u.pid" -u nobody -g "$group" -U "$tmp/pub/u.sock" "${private_stack[@]}"
    pid=$daemon_pid
    [ "$(stat -c %U "/proc/$pid")" = nobody ] || fail "-u nobody daemon runs as $(stat -c %U "/proc/$pid")"
    uri="nbd+unix:///?socket=$tmp/pub/u.sock" bash -c "$data_ok" || fail "-u nobody daemon: data"
    ! ls -l "/proc/$pid/fd" | grep -E -q '\.so$' || {
        ls -l "/proc/$pid/fd"; fail "-u nobody daemon: a layer's file is still open in the server"; }
    kill_daemon "$pid"
    once_each "$logs/fork2.log" "$logs/fork.log" "$logs/plugin.log"
    writable_logs
    timeout -k 5 60 "$NBDKIT" -u nobody -g "$group" -U - "${private_stack[@]}" --run "$data_ok" ||
        fail "-u nobody --run, root-only layers: failed"
    once_each "$logs/fork2.log" "$logs/fork.log" "$logs/plugin.log"
    echo "-u nobody: root-only plugin and filters served in daemon and --run mode"
else
    echo "not root, or no user nobody: -u/-g not tried"
fi
