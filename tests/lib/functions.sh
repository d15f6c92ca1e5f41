# Shared helpers for the shell tests (tests/README.md lists the tests).
# Source this first:
#   . "$abs_top_srcdir/tests/lib/functions.sh"
# and, for a test of the features or the hardening plugin, its topic
# file after it (tests/lib/features.sh, tests/lib/hardening.sh).
#
# The Makefile exports GO, NBDKIT, NBDSH, NBDINFO, NBDCOPY, QEMU_IMG,
# abs_top_srcdir and abs_top_builddir; defaults let a test also run by
# hand from the top of the build tree: bash tests/foo.sh
#
# Servers:   start_server NAME PLUGIN ARGS   nbdkit -f on $tmp/NAME.sock
#            stop_server PID                 SIGTERM, and its exit status
#            start_daemon [--now] PIDFILE ARGS  nbdkit without -f
#            kill_daemon PID, wait_for_exit PID [SECONDS]
# Clients:   nbdsh_check URI SCRIPT          Python in nbdsh, with the
#            helpers of tests/lib/nbdcheck.py (expect_errno, ...)
# Checks:    fail MESSAGE, expect_grep, expect_no_grep, expect_count
# Waiting:   wait_for SECONDS COMMAND...     until COMMAND succeeds
#            wait_for_pidfile FILE, wait_for_lines N PATTERN FILE
# Plugins:   example_plugin NAME, test_plugin NAME: the built .so
# Versions:  nbdkit_at_least VERSION

set -euo pipefail

: "${abs_top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${abs_top_builddir:=$PWD}"
: "${NBDKIT:=nbdkit}" "${NBDSH:=/usr/bin/nbdsh}" "${NBDINFO:=nbdinfo}"
: "${NBDCOPY:=nbdcopy}" "${QEMU_IMG:=qemu-img}" "${GO:=go}"
export GOTOOLCHAIN=local

# nbdsh and the nbd Python module are Debian's: put Debian's python3
# first on PATH.
export PATH="/usr/bin:$PATH"

# The Python helpers (tests/lib/nbdcheck.py) for nbdsh and python3.
export PYTHONPATH="$abs_top_srcdir/tests/lib${PYTHONPATH:+:$PYTHONPATH}"

# Every server is bounded: no test can hang CI.
server_timeout=${server_timeout:-120}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbdkit-go-test.XXXXXX")
server_pids=()

cleanup ()
{
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail ()
{
    echo "FAIL: $*" >&2
    exit 1
}

# example_plugin NAME, test_plugin NAME: the built .so.
example_plugin ()
{
    echo "$abs_top_builddir/examples/$1/nbdkit-$1-plugin.so"
}
test_plugin ()
{
    echo "$abs_top_builddir/tests/plugins/$1/nbdkit-$1-plugin.so"
}

# start_server NAME PLUGIN [ARGS...]
# Serves PLUGIN in the foreground on the Unix socket $tmp/NAME.sock,
# logging to $tmp/NAME.log, and waits until it accepts connections.
# Sets $uri and $server_pid.
start_server ()
{
    local name=$1; shift
    local sock="$tmp/$name.sock" pidfile="$tmp/$name.pid" i
    rm -f "$sock" "$pidfile"
    timeout -k 5 "$server_timeout" \
        "$NBDKIT" -f -v -U "$sock" -P "$pidfile" "$@" \
        >"$tmp/$name.log" 2>&1 &
    server_pid=$!
    server_pids+=("$server_pid")
    for i in $(seq 1 200); do
        if [ -S "$sock" ] && [ -s "$pidfile" ]; then
            uri="nbd+unix:///?socket=$sock"
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$tmp/$name.log" >&2
            fail "nbdkit $* exited before serving"
        fi
        sleep 0.05
    done
    cat "$tmp/$name.log" >&2
    fail "nbdkit $* did not start serving within 10 seconds"
}

# stop_server PID: SIGTERM, then wait for the exit (bounded by the
# server's own timeout).  Returns the server's exit status.
stop_server ()
{
    local pid=$1 status=0
    kill "$pid" 2>/dev/null || true
    wait "$pid" || status=$?
    return "$status"
}

# nbdsh_check URI SCRIPT: run a Python script in nbdsh against URI
# (h is the connected handle) with the helpers of tests/lib/nbdcheck.py
# (expect_errno: a request must fail with an errno); a failed assert
# fails the test.
nbdsh_check ()
{
    timeout -k 5 60 "$NBDSH" -u "$1" -c 'from nbdcheck import *' -c "$2"
}

# expect_grep PATTERN FILE: the extended regexp is in FILE.
expect_grep ()
{
    grep -E -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not found in $2"; }
}

# expect_no_grep PATTERN FILE
expect_no_grep ()
{
    ! grep -E -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' unexpectedly in $2"; }
}

# count_lines PATTERN FILE: how many lines of FILE match the extended
# regexp (0 if FILE is missing).
count_lines ()
{
    local n
    # grep -c prints nothing for a missing file.
    n=$(grep -E -c -- "$1" "$2" 2>/dev/null) || true
    echo "${n:-0}"
}

# expect_count N PATTERN FILE: exactly N lines match.
expect_count ()
{
    local n
    n=$(count_lines "$2" "$3")
    [ "$n" -eq "$1" ] || { cat "$3" >&2; fail "expected $1 lines matching '$2' in $3, found $n"; }
}

# wait_for SECONDS COMMAND...: run COMMAND every 50 ms until it
# succeeds (0) or SECONDS have passed (1), for what happens in another
# process: a socket, a pid file, a line in a log.
wait_for ()
{
    local i
    for i in $(seq 1 $(( $1 * 20 ))); do
        "${@:2}" && return 0
        sleep 0.05
    done
    return 1
}

# exited PID: a process that is not our child has exited (a zombie
# counts as exited).
exited ()
{
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ]
}

# wait_for_exit PID [SECONDS]: wait until a process that is not our
# child (a daemon) has exited.
wait_for_exit ()
{
    wait_for "${2:-20}" exited "$1" ||
        fail "process $1 did not exit within ${2:-20} seconds"
}

# kill_daemon PID: SIGTERM a daemon and wait for it to exit.
kill_daemon ()
{
    kill "$1" 2>/dev/null || true
    wait_for_exit "$1"
}

# wait_for_pidfile FILE: nbdkit's daemon writes its pid file after the
# fork, so the starting command may return before it exists.
wait_for_pidfile ()
{
    wait_for 10 test -s "$1" || fail "no pid file $1 after 10 seconds"
}

# start_daemon [--now] PIDFILE ARGS...: start nbdkit ARGS -P PIDFILE in
# daemon mode (no -f; ARGS say where it listens), fail the test if the
# starting command fails, and wait for the pid file (with --now it must
# be there when the starting command returns, as the binding promises
# for a Go plugin).  Sets $daemon_pid, which cleanup kills.  The
# starting command's output is the caller's.
start_daemon ()
{
    local now=false
    [ "$1" != --now ] || { now=true; shift; }
    local pidfile=$1; shift
    rm -f "$pidfile"
    timeout -k 5 30 "$NBDKIT" -P "$pidfile" "$@" ||
        fail "nbdkit -P $pidfile $*: the daemon did not start"
    if $now; then
        [ -s "$pidfile" ] || fail "nbdkit $*: no pid file when the starting command returned"
    else
        wait_for_pidfile "$pidfile"
    fi
    daemon_pid=$(cat "$pidfile")
    server_pids+=("$daemon_pid")
}

# at_least N PATTERN FILE, exactly N PATTERN FILE: N lines or more,
# or exactly N lines, of FILE match (for wait_for).
at_least ()
{
    [ "$(count_lines "$2" "$3")" -ge "$1" ]
}
exactly ()
{
    [ "$(count_lines "$2" "$3")" -eq "$1" ]
}

# wait_for_lines N PATTERN FILE: nbdkit finishes closing a connection
# after the client has gone, and may exit without calling Close if
# SIGTERM comes first; so before stopping a server, wait (up to 10 s)
# until N lines match.  Check the exact count afterwards.
wait_for_lines ()
{
    wait_for 10 at_least "$@" || true
}

# nbdkit_at_least VERSION: the nbdkit under test is VERSION (such as
# 1.36) or newer, for what changed between releases.
nbdkit_at_least ()
{
    : "${nbdkit_version:=$("$NBDKIT" --version | awk '{ print $2; exit }')}"
    printf '%s\n%s\n' "$1" "$nbdkit_version" | sort -V -C
}
