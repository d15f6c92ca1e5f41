#!/usr/bin/env bash
# Concurrency: 8 clients at once, each with several requests in flight
# (libnbd's asynchronous API), write a distinct pattern to their own
# region, read it back and check it, several times over.  Then one
# connection checks every region.  Nothing may be lost or mixed up.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)


clients=8
region=$((8 * 1024 * 1024))         # bytes per client
chunk=$((256 * 1024))               # bytes per request
loops=4
size=$((clients * region))

log="$tmp/concurrent.calls"
start_server concurrent "$plugin" log="$log" size=$size write=true multiconn=true
pid=$server_pid

# The pattern of client i, loop k, chunk j: every byte the same, and
# different from the neighbouring chunks, loops and clients.
common="
clients, region, chunk, loops = $clients, $region, $chunk, $loops
def pattern(i, k, j):
    return bytearray([(i * 37 + k * 11 + j * 3) % 251 + 1]) * chunk
"

# Each client is a process of its own, so that the 8 connections really
# run at once.
cat >"$tmp/client.py" <<EOF
$common
import os
i = int(os.environ["CLIENT"])
assert h.can_multi_conn()
base = i * region
nchunks = region // chunk
inflight = 8

def run(requests):
    # Issue the requests with up to 8 in flight, and retire each one:
    # a failed command raises.
    cookies = []
    for start in requests:
        while h.aio_in_flight() >= inflight:
            h.poll(-1)
        cookies.append(start())
    while h.aio_in_flight() > 0:
        h.poll(-1)
    for cookie in cookies:
        assert h.aio_command_completed(cookie)

mismatches = 0
for k in range(loops):
    wbufs = [nbd.Buffer.from_bytearray(pattern(i, k, j)) for j in range(nchunks)]
    run([lambda j=j: h.aio_pwrite(wbufs[j], base + j * chunk)
         for j in range(nchunks)])
    rbufs = [nbd.Buffer(chunk) for j in range(nchunks)]
    run([lambda j=j: h.aio_pread(rbufs[j], base + j * chunk)
         for j in range(nchunks)])
    for j in range(nchunks):
        if rbufs[j].to_bytearray() != pattern(i, k, j):
            mismatches += 1
print("client %d: %d mismatches in %d loops" % (i, mismatches, loops))
assert mismatches == 0
EOF

# run_clients WHAT NBDSH-ARGS...: $clients nbdsh processes at once, with
# CLIENT set to 0, 1, ...; every one must succeed.
run_clients ()
{
    local what=$1 i p failed=0 client_pids=()
    shift
    for i in $(seq 0 $((clients - 1))); do
        CLIENT=$i timeout -k 5 60 "$NBDSH" "$@" &
        client_pids+=($!)
    done
    for p in "${client_pids[@]}"; do
        wait "$p" || failed=$((failed + 1))
    done
    [ "$failed" -eq 0 ] || fail "$failed of $clients $what failed"
}

start=$SECONDS
run_clients clients -u "$uri" -c "exec(open('$tmp/client.py').read())"
echo "concurrent: $clients clients took $((SECONDS - start)) s"
kill -0 "$pid" || fail "nbdkit died"

# One connection checks every region.
cat >"$tmp/verify.py" <<EOF
$common
mismatches = 0
for i in range(clients):
    for j in range(region // chunk):
        if h.pread(chunk, i * region + j * chunk) != pattern(i, loops - 1, j):
            mismatches += 1
print("verify: %d mismatches in %d chunks" % (mismatches, clients * region // chunk))
assert mismatches == 0
EOF
nbdsh_check "$uri" "exec(open('$tmp/verify.py').read())"

# Connections opening and closing at once: 8 processes, each opening
# 16 connections in turn and reading its region back.
cat >"$tmp/reconnect.py" <<EOF
$common
import os
i = int(os.environ["CLIENT"])
for n in range(16):
    h = nbd.NBD()
    h.connect_uri("$uri")
    assert h.pread(chunk, i * region) == pattern(i, loops - 1, 0)
    h.shutdown()
    del h
EOF
run_clients "reconnecting clients" -n -c "exec(open('$tmp/reconnect.py').read())"
wait_for_lines $((clients + 1 + clients * 16)) '^Close$' "$log"

stop_server "$pid" || fail "nbdkit exited with status $?"
# Every request reached the plugin exactly once; every Open was closed.
nchunks=$((region / chunk))
expect_count $((clients * loops * nchunks)) "^PWrite $chunk@" "$log"
expect_count $((clients * loops * nchunks + clients * nchunks + clients * 16)) "^PRead $chunk@" "$log"
conns=$((clients + 1 + clients * 16))
expect_count "$conns" '^Open ' "$log"
expect_count "$conns" '^Close$' "$log"
echo "concurrent: ok"
