#!/usr/bin/env bash
# Faults, on the hardening test plugin:
#  - under load (16 connections at QD 8, tests/clients/load.py), with
#    failures injected by nbdkit's error filter (EIO on 2% of pread,
#    pwrite, zero, trim, cache and block status) and by the plugin
#    itself (2% of each data method, each with an errno of its own):
#    every injected failure reaches a client as an error with its
#    errno, and no read ever returns wrong data;
#  - clients killed (SIGKILL) with requests in flight: the server
#    serves on, Close is called once for each of their connections, no
#    goroutine is left and every connection object is collected;
#  - SIGTERM during load: nbdkit exits 0, Close is called once per
#    successful Open (the binding closes what nbdkit 1.32 leaves open),
#    Cleanup and Unload once, and no goroutine is left running;
#  - an error from every callback in turn: a request's errno reaches
#    the client (as nbdkit maps it onto the NBD protocol's few), a
#    failed handshake callback refuses the connection with the errno in
#    the server's log, and a failed setup callback stops nbdkit.
# (tests/errors-errno.sh has the kinds of Go error, tests/nbd-exports.sh and
# tests/nbd-block-size.sh the failures of ListExports, DefaultExport,
# ExportDescription and BlockSize answers.)
#
# $FAULT_SECONDS is the length of the load (default 5).
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/hardening.sh"

plugin=$(test_plugin hardening)
seconds=${FAULT_SECONDS:-5}
server_timeout=$((seconds * 3 + 120))
load_py="$abs_top_srcdir/tests/clients/load.py"
python=/usr/bin/python3

# field NAME [FILE]: the value of NAME=VALUE in the last line of FILE
# (or stdin) that has it.
field ()
{
    grep -E -o "(^| )$1=[^ ]*" "${2:-/dev/stdin}" | tail -n1 | cut -d= -f2
}

# run_clients NAME FIRST PROCESSES SECONDS [LOAD.PY ARGS...]: client
# processes FIRST, FIRST+1, ..., of 8 connections each (process p owns
# 8 regions of 2 MiB from 16p MiB), in the background; their pids are
# in $client_pids.
run_clients ()
{
    local name=$1 first=$2 processes=$3 secs=$4 p
    shift 4
    client_pids=()
    for p in $(seq "$first" $((first + processes - 1))); do
        "$python" "$load_py" --uri "$uri" --first $((p * 8)) --connections 8 \
            --depth 8 --region 2M --seconds "$secs" --seed "$p" \
            --report "$tmp/$name.$p.report" --model "$tmp/$name.$p.model" "$@" \
            >"$tmp/$name.$p.out" 2>&1 &
        client_pids+=($!)
        server_pids+=($!)       # killed at exit, if still there
    done
}

# wait_clients NAME: every client of run_clients must succeed.
wait_clients ()
{
    local p failed=0
    for p in "${!client_pids[@]}"; do
        wait "${client_pids[$p]}" || { failed=$((failed + 1)); cat "$tmp/$1.$p.out" >&2; }
    done
    [ "$failed" -eq 0 ] || fail "$1: $failed client processes failed"
}

# sum_reports KEY REPORT...: the sum of a number in the JSON reports
# (errors: of all the counts of errors).
sum_reports ()
{
    "$python" - "$@" <<'EOF'
import json, sys
key, total = sys.argv[1], 0
for name in sys.argv[2:]:
    r = json.load(open(name))
    total += sum(r[key].values()) if isinstance(r[key], dict) else r[key]
print(total)
EOF
}

# stats NAME: the plugin's counts, logged by a connection to export
# "stats" of server NAME.
stats ()
{
    hardening_connect "$tmp/$1.sock" stats
    grep '^stats ' "$log" | tail -n1
}

# all_closed NAME: every connection opened so far is closed.
all_closed ()
{
    local line
    line=$(stats "$1")
    [ "$(field opens <<<"$line")" = "$(field closes <<<"$line")" ]
}

# wait_all_closed NAME: until every connection opened so far is closed
# (the server notices a dead client by itself); up to 10 s.
wait_all_closed ()
{
    wait_for 10 all_closed "$1" || true
}

# --- Injected failures under load ------------------------------------
faults="EIO,pread:ENOMEM,pwrite:ENOSPC,zero:EPERM,trim:EINVAL,cache:ESHUTDOWN,flush:EPERM"
log="$tmp/load.calls"
start_server load -D nbdkit.backend.datapath=0 --filter=error "$plugin" \
    size=32M log="$log" error=EIO error-rate=2% random-fail=2
pid=$server_pid
run_clients load 0 2 "$seconds" --faults "$faults"
wait_clients load
timeout -k 5 120 "$python" "$load_py" --uri "$uri" --verify "$tmp"/load.?.model \
    --report "$tmp/load.verify" >"$tmp/load.verify.out" 2>&1 ||
    { cat "$tmp/load.verify.out" >&2; fail "the disk differs from the model after faults"; }
kill -0 "$pid" || fail "nbdkit died under injected faults"
stop_server "$pid" || fail "nbdkit exited with status $? after injected faults"

reports=("$tmp"/load.?.report)
ops=$(sum_reports ops "${reports[@]}")
seen=$(( $(sum_reports errors "${reports[@]}") + $(sum_reports read_retries "${reports[@]}" "$tmp/load.verify") ))
mismatches=$(( $(sum_reports mismatches "${reports[@]}" "$tmp/load.verify") ))
unexpected=$(sum_reports unexpected_errors "${reports[@]}")
by_filter=$(grep -c 'error: injecting EIO error into' "$tmp/load.log" || true)
by_plugin=$(field random_failures "$log")
logged=$(grep -c 'error: [A-Za-z]*: hardening: random failure in' "$tmp/load.log" || true)
echo "faults: $ops requests under load; injected $((by_filter + by_plugin)) failures" \
    "($by_filter by the error filter, $by_plugin by the plugin); clients saw $seen;" \
    "$unexpected wrong errnos, $mismatches reads of wrong data"
[ "$by_filter" -gt 0 ] && [ "$by_plugin" -gt 0 ] || fail "no failure was injected"
[ "$logged" -eq "$by_plugin" ] || fail "the plugin failed $by_plugin requests, nbdkit logged $logged"
[ "$seen" -eq $((by_filter + by_plugin)) ] ||
    fail "$((by_filter + by_plugin)) failures injected, clients saw $seen"
[ "$unexpected" -eq 0 ] && [ "$mismatches" -eq 0 ] || fail "wrong errnos or wrong data"
expect_no_grep 'panic|SIGSEGV|fatal' "$tmp/load.log"

# --- Clients killed with requests in flight ---------------------------
# One thread per connection (-t 1): with more, nbdkit 1.32 itself may
# abort when a client dies ("raw_send_socket: Assertion `sock >= 0'
# failed", with its own memory plugin too).  Requests are in flight all
# the same: the clients keep 8 each queued.
log="$tmp/kill.calls"
start_server kill -t 1 -D nbdkit.backend.datapath=0 "$plugin" size=64M log="$log" connlog=true
pid=$server_pid
# Processes 0 and 1 run to the end; 2 and 3 are killed once all 32
# connections are open and busy.
run_clients survive 0 2 "$seconds"
survivors=("${client_pids[@]}")
run_clients victim 2 2 60
wait_for_lines 32 '^Open ' "$log"
sleep 1
kill -9 "${client_pids[@]}"
for p in "${client_pids[@]}"; do
    wait "$p" 2>/dev/null || true
done
client_pids=("${survivors[@]}")
wait_clients survive
kill -0 "$pid" || fail "nbdkit died when clients were killed"
wait_all_closed kill
line=$(stats kill)
echo "faults: clients killed with requests in flight: $line"
opens=$(field opens <<<"$line")
[ "$opens" -ge 32 ] || fail "only $opens connections were opened"
[ "$(field closes <<<"$line")" -eq "$opens" ] || fail "not every connection was closed: $line"
[ "$(field double_closes <<<"$line")" -eq 0 ] || fail "a connection was closed twice: $line"
[ "$(field workers <<<"$line")" -eq 0 ] || fail "worker goroutines left: $line"
[ "$(field finalized <<<"$line")" -eq "$opens" ] ||
    fail "connection objects still referenced after Close: $line"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_no_grep 'panic|SIGSEGV|fatal' "$tmp/kill.log"

# --- SIGTERM during load ----------------------------------------------
# nbdkit 1.32 may stop answering but wait for its clients to go (with a
# C plugin too); clients that have not gone after 3 seconds are told
# to (SIGTERM), and then nbdkit exits.  -t 1 as above, since clients
# may die.
log="$tmp/term.calls"
start_server term -t 1 -D nbdkit.backend.datapath=0 "$plugin" size=32M log="$log"
pid=$server_pid
run_clients term 0 2 60 --tolerate-disconnect
sleep 2
kill "$pid"
wait_for 3 exited "$pid" || true
waited=
if kill -0 "$pid" 2>/dev/null; then
    waited=" (after its clients were stopped)"
    kill "${client_pids[@]}" 2>/dev/null || true
fi
start=$SECONDS
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || fail "nbdkit exited with status $status on SIGTERM during load$waited"
[ $((SECONDS - start)) -lt 10 ] || fail "nbdkit took $((SECONDS - start)) s to exit$waited"
for p in "${client_pids[@]}"; do
    wait "$p" 2>/dev/null || true
done
expect_count 1 '^Cleanup ' "$log"
expect_count 1 '^Unload ' "$log"
unload=$(grep '^Unload ' "$log")
left=$(grep -c 'closing a connection that nbdkit left open at shutdown' "$tmp/term.log" || true)
echo "faults: SIGTERM during load, nbdkit exited$waited, $left connections left open by nbdkit: $unload"
opens=$(field opens "$log")
[ "$opens" -ge 16 ] || fail "only $opens connections were opened"
[ "$(field closes "$log")" -eq "$opens" ] || fail "Close not called once per Open: $unload"
[ "$(field double_closes "$log")" -eq 0 ] || fail "a connection was closed twice: $unload"
[ "$(field workers "$log")" -eq 0 ] || fail "worker goroutines left at Unload: $unload"
[ "$(field goroutines "$log")" -le "$(field afterfork_goroutines "$log")" ] ||
    fail "more goroutines at Unload than before the first connection: $unload"
expect_no_grep 'panic|SIGSEGV|fatal' "$tmp/term.log"

# --- An error from every callback in turn -----------------------------
# The export name chooses the failing method of each connection.
log="$tmp/each.calls"
start_server each "$plugin" size=1M log="$log"
pid=$server_pid
timeout -k 5 60 "$python" - "$tmp/each.sock" <<'EOF' >"$tmp/each.out" || { cat "$tmp/each.out" >&2; fail "an error did not reach the client as it should"; }
import nbd, sys
from nbdcheck import expect_errno
sock = sys.argv[1]

def connect(name):
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_export_name(name)
    h.connect_unix(sock)
    return h

# During the handshake the NBD protocol carries no errno: the client is
# refused, and the errno is in the server's log.
for method in ["Open", "GetSize", "CanWrite", "CanFlush", "IsRotational", "CanTrim",
               "CanZero", "CanMultiConn", "CanFUA", "CanFastZero", "CanCache",
               "CanExtents", "BlockSize"]:
    expect_errno(None, lambda: connect("fail:%s:EACCES" % method), what="%s: refused" % method)

# Requests: the errno the plugin chose, mapped by nbdkit onto the NBD
# protocol's errnos (EROFS is EPERM, EFBIG and EDQUOT are ENOSPC, ...).
M = 1 << 20
requests = {
    "PRead": lambda h: h.pread(512, 0),
    "PWrite": lambda h: h.pwrite(b"x" * 512, 0),
    "PWrite/FUA": lambda h: h.pwrite(b"x" * 512, 0, nbd.CMD_FLAG_FUA),
    "Flush": lambda h: h.flush(),
    "Trim": lambda h: h.trim(512, 0),
    "Zero": lambda h: h.zero(512, 0),
    "Zero/FAST": lambda h: h.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO),
    "Cache": lambda h: h.cache(512, 0),
    "Extents": lambda h: h.block_status(512, 0, lambda *a: 0),
}
cases = [
    ("PRead", "EPERM", "EPERM"), ("PRead", "EROFS", "EPERM"), ("PRead", "ENOMEM", "ENOMEM"),
    ("PRead", "EOVERFLOW", "EINVAL"), ("PRead", "EAGAIN", "EINVAL"),
    ("PWrite", "EFBIG", "ENOSPC"), ("PWrite", "EDQUOT", "ENOSPC"),
    ("PWrite", "ENOSPC,wrapped", "ENOSPC"), ("PWrite/FUA", "EIO", "EIO"),
    ("Flush", "EIO", "EIO"), ("Flush", "ESHUTDOWN", "ESHUTDOWN"),
    ("Trim", "EINVAL", "EINVAL"), ("Trim", "EPERM,wrapped", "EPERM"),
    ("Zero", "ENOSPC", "ENOSPC"), ("Zero/FAST", "ENOTSUP", "ENOTSUP"),
    ("Cache", "EBADF", "EINVAL"), ("Cache", "ENOMEM", "ENOMEM"),
    ("Extents", "EPERM", "EPERM"), ("Extents", "EACCES,wrapped", "EINVAL"),
]
for request, errno, want in cases:
    method = request.split("/")[0]
    h = connect("fail:%s:%s" % (method, errno))
    expect_errno(want, lambda: requests[request](h), what="%s failing with %s" % (request, errno))
    # The connection goes on.
    if method == "PRead":
        h.pwrite(b"y" * 512, M // 2)
    else:
        assert h.pread(512, M // 2) in (bytes(512), b"y" * 512)
    h.shutdown()

# Zero failing with ENOTSUP, without the fast zero flag: nbdkit writes
# the zeroes with PWrite instead, and the client never knows.
h = connect("fail:Zero:ENOTSUP")
h.pwrite(b"z" * 512, 4096)
h.zero(512, 4096)
assert h.pread(512, 4096) == bytes(512)
print("Zero: ENOTSUP: written as zeroes by PWrite")
h.shutdown()
EOF
cat "$tmp/each.out"
kill -0 "$pid" || fail "nbdkit died after a callback failed"
stop_server "$pid" || fail "nbdkit exited with status $?"
for method in Open GetSize CanWrite CanFlush IsRotational CanTrim CanZero CanMultiConn \
              CanFUA CanFastZero CanCache CanExtents BlockSize; do
    expect_grep "error: $method: hardening: injected failure in $method \(errno 13: permission denied\)\$" \
        "$tmp/each.log"
done
expect_grep 'error: PRead: hardening: injected failure in PRead \(errno 30: read-only file system\)$' "$tmp/each.log"
expect_grep 'error: PWrite: hardening: injected failure in PWrite: no space left on device$' "$tmp/each.log"
expect_grep 'error: Extents: hardening: injected failure in Extents: permission denied$' "$tmp/each.log"
expect_no_grep 'panic|SIGSEGV|fatal' "$tmp/each.log"

# PreConnect: every connection refused, the server lives.
start_server preconnect "$plugin" size=1M fail=PreConnect:EPERM
for i in 1 2; do
    ! nbdsh_check "$uri" 'h.pread(512, 0)' 2>/dev/null || fail "connected although PreConnect failed"
done
kill -0 "$server_pid" || fail "nbdkit died after PreConnect failed"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 2 'error: PreConnect: hardening: injected failure in PreConnect \(errno 1: operation not permitted\)$' \
    "$tmp/preconnect.log"

# Setup callbacks: nbdkit exits non-zero, promptly, with the message
# and the errno, and serves no one.
for method in Config ConfigComplete GetReady AfterFork; do
    status=0
    start=$SECONDS
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/$method.sock" "$plugin" size=1M fail="$method:ENOSPC" \
        >"$tmp/$method.out" 2>&1 || status=$?
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
        { cat "$tmp/$method.out" >&2; fail "nbdkit exit status $status after $method failed"; }
    [ $((SECONDS - start)) -lt 10 ] || fail "nbdkit took too long to exit after $method failed"
    expect_grep "error: $method: hardening: injected failure in $method \(errno 28: no space left on device\)" \
        "$tmp/$method.out"
    [ ! -S "$tmp/$method.sock" ] || [ "$method" = AfterFork ] || fail "nbdkit served after $method failed"
done
echo "faults: ok"
