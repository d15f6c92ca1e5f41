#!/usr/bin/env bash
# A Go filter in real stacks: what a Go filter without methods passes
# through is exactly what the plain plugin answers; data verified under
# 16 connections at once; over a C plugin (memory) and over a Go plugin
# of this binding; stacked with nbdkit's C filters (cow, cache, error)
# on both sides; in every start mode (-f, --run, daemon).
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/filters.sh"

go_plugin=$(test_plugin test)
go_plugin_args=(size=16M write=true flush=true trim=true zero=true)

# info NAME ARGS...: nbdinfo --json of nbdkit ARGS, without the URI,
# and without the content probe (it runs file(1), which a minimal
# system lacks: then the field holds whatever nbdinfo's buffer held).
info ()
{
    local name=$1; shift
    start_server "$name" "$@"
    "$NBDINFO" --json --no-content "$uri" | grep -v '"uri"' >"$tmp/$name.json"
    stop_server "$server_pid" || fail "nbdkit $* exited with status $?"
}

# Pass-through: the same answers with the Go filter as without, over a
# C plugin and a Go plugin.
info plain-memory memory size=16M
info pt-memory --filter="$passthrough_filter" memory size=16M
diff -u "$tmp/plain-memory.json" "$tmp/pt-memory.json" ||
    fail "the pass-through Go filter changed what memory answers"
info plain-go "$go_plugin" "${go_plugin_args[@]}"
info pt-go --filter="$passthrough_filter" "$go_plugin" "${go_plugin_args[@]}"
diff -u "$tmp/plain-go.json" "$tmp/pt-go.json" ||
    fail "the pass-through Go filter changed what the Go plugin answers"
# and no call into Go for what the filter lacks: nothing logged of it.
expect_no_grep 'panic|error' "$tmp/pt-go.log"

# verify URI: 16 connections at once, each writing and reading back
# its own pattern in its own region, then one reads everything back.
verify_py='
import threading
M = 1024 * 1024
uri = h.get_uri()
errors = []
def worker(i):
    try:
        c = nbd.NBD()
        c.connect_uri(uri)
        for j in range(16):
            off = i * M + j * 65536
            data = bytes([(i * 16 + j) % 251 + 1]) * 65536
            c.pwrite(data, off)
            assert c.pread(65536, off) == data, (i, j)
        c.flush()
        c.shutdown()
    except Exception as e:
        errors.append(e)
threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
for i in range(16):
    for j in range(16):
        off = i * M + j * 65536
        assert h.pread(65536, off) == bytes([(i * 16 + j) % 251 + 1]) * 65536, (i, j)
'
verify ()
{
    nbdsh_check "$1" "$verify_py" || fail "data not verified: $2"
}

# stack NAME ARGS...: verified data through the stack in ARGS (-f).
stack ()
{
    local name=$1; shift
    start_server "$name" "$@"
    verify "$uri" "$*"
    stop_server "$server_pid" || fail "nbdkit $* exited with status $?"
    expect_no_grep 'nbdkit: .*error:' "$tmp/$name.log"
}

for plugin in "memory size=16M" "$go_plugin ${go_plugin_args[*]}"; do
    # shellcheck disable=SC2086
    set -- $plugin
    kind=c
    [ "$1" = memory ] || kind=go
    stack "$kind-features" --filter="$features_filter" "$@"
    stack "$kind-passthrough" --filter="$passthrough_filter" "$@"
    # C filters outside and inside the Go filter.
    stack "$kind-cow-outside" --filter=cow --filter="$features_filter" "$@"
    stack "$kind-cow-inside" --filter="$features_filter" --filter=cow "$@"
    stack "$kind-cache-cow" --filter=cache --filter="$features_filter" --filter=cow "$@"
    stack "$kind-two-go" --filter="$features_filter" --filter="$passthrough_filter" "$@"
done

# The error filter under the Go filter: the plugin's injected errors
# reach the client through it with their errno, logged once.
start_server error --filter="$features_filter" --filter=error memory size=1M \
    error=EPERM error-pread-rate=100%
nbdsh_check "$uri" '
try:
    h.pread(512, 0)
    assert False
except nbd.Error as e:
    assert e.errno == "EPERM", e.errno
h.pwrite(b"x" * 512, 0)
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_no_grep 'PRead: the next layer' "$tmp/error.log"
# ... and over it: the error filter fails the Go filter's requests.
start_server error2 --filter=error --filter="$features_filter" memory size=1M \
    error=ENOSPC error-pwrite-rate=100%
nbdsh_check "$uri" '
try:
    h.pwrite(b"x" * 512, 0)
    assert False
except nbd.Error as e:
    assert e.errno == "ENOSPC", e.errno
assert h.pread(512, 0) == bytes(512)
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"

# Start modes over the C plugin: --run and daemon re-execute nbdkit.
export NBDKIT_FILTER_LOG="$tmp/run.calls"
timeout -k 5 "$server_timeout" "$NBDKIT" -U - --filter="$features_filter" \
    memory size=16M --run "$NBDSH -u \"\$uri\" -c '$verify_py'" >"$tmp/run.log" 2>&1 ||
    { cat "$tmp/run.log" >&2; fail "--run over memory"; }
expect_count 1 '^GetReady' "$tmp/run.calls"
expect_count 1 '^AfterFork' "$tmp/run.calls"
unset NBDKIT_FILTER_LOG

timeout -k 5 "$server_timeout" "$NBDKIT" -U "$tmp/daemon.sock" -P "$tmp/daemon.pid" \
    --filter="$features_filter" memory size=16M >"$tmp/daemon.log" 2>&1 ||
    { cat "$tmp/daemon.log" >&2; fail "daemon over memory did not start"; }
wait_for_pidfile "$tmp/daemon.pid"
daemon_pid=$(cat "$tmp/daemon.pid")
verify "nbd+unix:///?socket=$tmp/daemon.sock" "daemon over memory"
kill_daemon "$daemon_pid"
