#!/usr/bin/env bash
# Thread models: the plugin counts the requests inside PRead (each
# sleeps, so that overlapping requests are seen) under four concurrent
# clients with four requests in flight each.  Parallel overlaps (so the
# detector works), serialize_requests only across connections,
# serialize_all_requests and serialize_connections never; the model
# chosen by ThreadModel after the configuration is what nbdkit uses,
# but never looser than the one it gave at load; and examples/seekfile,
# whose shared file offset needs serialized requests, serves correct
# data to concurrent clients.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

seekfile=$(example_plugin seekfile)

# clients URI CHECK: four threads, each with its own connection, send
# four reads at once and wait for them; CHECK(n, i, data) checks the
# data client n read at offset i * 65536.
clients ()
{
    timeout -k 5 60 "$NBDSH" -n -c "
import threading
errors = []
def client(n):
    try:
        c = nbd.NBD()
        c.connect_uri('$1')
        bufs = [nbd.Buffer(4096) for i in range(4)]
        for i in range(4):
            c.aio_pread(bufs[i], i * 65536 + n * 4096)
        while c.aio_in_flight() > 0:
            c.poll(-1)
        for i in range(4):
            $2
        c.shutdown()
    except Exception as e:
        errors.append(e)
threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
"
}

# overlap NAME ARGS...: serve the features plugin with PRead sleeping,
# run the clients, and set $global (most requests in PRead at once),
# $per_conn (most on one connection) and $max_open (most connections
# open at once).
overlap ()
{
    local name=$1; shift
    log="$tmp/$name.calls"
    start_server "$name" "$features" log="$log" sleep=40ms "$@"
    clients "$uri" 'assert bufs[i].to_bytearray() == bytes(4096)'
    wait_count 4 '^Close ' "$log"
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
    expect_count 16 '^PRead 4096@' "$log"
    global=$(sed -n 's/^Unload max_inflight=\([0-9]*\) .*/\1/p' "$log")
    max_open=$(sed -n 's/^Unload .* max_open=\([0-9]*\)$/\1/p' "$log")
    per_conn=$(sed -n 's/^Close .* conn_max_inflight=\([0-9]*\) .*/\1/p' "$log" | sort -n | tail -1)
    echo "$name: $global requests at once, $per_conn on one connection, $max_open connections"
    [ -n "$global" ] && [ -n "$per_conn" ] && [ -n "$max_open" ] ||
        { cat "$log" >&2; fail "$name: no counts in the log"; }
}

# Parallel: requests overlap, on one connection and across them.
overlap parallel model=parallel
expect_grep 'using thread model: parallel' "$tmp/parallel.log"
[ "$global" -gt 1 ] || fail "parallel: requests never overlapped; the detector does not work"
[ "$per_conn" -gt 1 ] || fail "parallel: requests on one connection never overlapped"

# serialize_requests: one request at a time per connection, but
# connections run in parallel.
overlap requests model=serialize_requests
expect_grep 'using thread model: serialize_requests' "$tmp/requests.log"
[ "$per_conn" -eq 1 ] || fail "serialize_requests: $per_conn requests at once on one connection"
[ "$global" -gt 1 ] || fail "serialize_requests: connections did not run in parallel"

# serialize_all_requests: one request at a time in the whole server.
overlap all model=serialize_all_requests
expect_grep 'using thread model: serialize_all_requests' "$tmp/all.log"
[ "$global" -eq 1 ] || fail "serialize_all_requests: $global requests at once"

# serialize_connections: one connection at a time.
overlap connections model=serialize_connections
expect_grep 'using thread model: serialize_connections' "$tmp/connections.log"
[ "$global" -eq 1 ] || fail "serialize_connections: $global requests at once"
[ "$max_open" -eq 1 ] || fail "serialize_connections: $max_open connections at once"

# ThreadModel is asked at load (for the loosest model) and again after
# ConfigComplete, where it lowers the model.
expect_grep '^ThreadModel parallel$' "$tmp/all.calls"
grep -E '^(ThreadModel|ConfigComplete|GetReady)' "$tmp/all.calls" | tr '\n' ' ' >"$tmp/order"
[ "$(cat "$tmp/order")" = "ThreadModel parallel ConfigComplete ThreadModel serialize_all_requests GetReady stdio_safe=true " ] ||
    fail "ThreadModel calls: $(cat "$tmp/order")"

# A looser model after the configuration than at load is ignored: the
# load-time answer (here serialize_all_requests) stands.
NBDKIT_FEATURES_MODEL=serialize_all_requests overlap looser model=parallel
expect_grep 'using thread model: serialize_all_requests' "$tmp/looser.log"
[ "$global" -eq 1 ] || fail "a looser model was used: $global requests at once"

# --dump-plugin shows the load-time model as max_thread_model, and the
# one after the configuration as thread_model.
"$NBDKIT" "$features" --dump-plugin >"$tmp/dump" 2>&1
expect_grep '^max_thread_model=parallel$' "$tmp/dump"
expect_grep '^thread_model=parallel$' "$tmp/dump"
"$NBDKIT" "$features" --dump-plugin model=serialize_requests >"$tmp/dump" 2>&1
expect_grep '^max_thread_model=parallel$' "$tmp/dump"
expect_grep '^thread_model=serialize_requests$' "$tmp/dump"
NBDKIT_FEATURES_MODEL=serialize_connections "$NBDKIT" "$features" --dump-plugin >"$tmp/dump" 2>&1
expect_grep '^max_thread_model=serialize_connections$' "$tmp/dump"
expect_grep '^thread_model=serialize_connections$' "$tmp/dump"

# Not a thread model, at load or after the configuration: a clear error.
status=0
NBDKIT_FEATURES_MODEL=invalid timeout 20 "$NBDKIT" -f -U "$tmp/bad.sock" "$features" \
    >"$tmp/bad-load.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "invalid model at load: exit status $status"
expect_grep 'ThreadModel returned 99, not a ThreadModel\* constant' "$tmp/bad-load.out"
status=0
timeout 20 "$NBDKIT" -f -U "$tmp/bad.sock" "$features" model=invalid \
    >"$tmp/bad-config.out" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "invalid model after config: exit status $status"
expect_grep 'error: ThreadModel: returned 99, not a ThreadModel\* constant' "$tmp/bad-config.out"

# examples/seekfile: serialize_all_requests from load on; concurrent
# clients get the right data although every request moves one shared
# file offset.
"$NBDKIT" "$seekfile" --dump-plugin >"$tmp/seekfile-dump" 2>&1
expect_grep '^max_thread_model=serialize_all_requests$' "$tmp/seekfile-dump"
expect_grep '^thread_model=serialize_all_requests$' "$tmp/seekfile-dump"
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(256):
        f.write(bytes([i]) * 4096)
' "$tmp/disk.img"
check_data='assert bufs[i].to_bytearray() == bytes([i * 16 + n]) * 4096, (n, i)'
start_server seekfile "$seekfile" "$tmp/disk.img"
clients "$uri" "$check_data"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep 'using thread model: serialize_all_requests' "$tmp/seekfile.log"
# serialize=connections lowers it after the configuration.
start_server seekfile-conn "$seekfile" "$tmp/disk.img" serialize=connections
clients "$uri" "$check_data"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep 'using thread model: serialize_connections' "$tmp/seekfile-conn.log"
echo "thread-model: ok"
