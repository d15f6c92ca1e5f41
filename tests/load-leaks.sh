#!/usr/bin/env bash
# Leaks: nbdkit's resident memory (VmRSS) must stay flat, after a
# warm-up, over
#  - 10^6 calls of nbdkit.Debug and nbdkit.Error (nbdkit -v, output to
#    /dev/null), one in 16 with a NUL byte;
#  - 10^4 connect/disconnect cycles (10^5 in make stress), from 4
#    clients at once (tests/clients/connect-cycles.c, libnbd): every
#    Open gets its Close, no worker goroutine is left, and every
#    connection object is collected after Close, so the binding's
#    handle table keeps nothing.
# Each phase prints RSS at the start, half way and at the end.
#
# $LEAK_MESSAGES and $LEAK_CONNECTIONS change the counts.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/hardening.sh"

plugin=$(test_plugin hardening)
python=/usr/bin/python3
messages=${LEAK_MESSAGES:-1000000}
connections=${LEAK_CONNECTIONS:-10000}
server_timeout=$((connections / 50 + 300))

# The client: libnbd's C API (libnbd-dev) if it can be built, else the
# same cycles in Python, which is slower but proves the same.  The
# Python handle is closed by dropping it (del): libnbd 1.14's Python
# (Debian 12) has no close().
client="$tmp/connect-cycles"
if pkg-config --exists libnbd 2>/dev/null &&
   "${CC:-cc}" -O2 -o "$client" "$abs_top_srcdir/tests/clients/connect-cycles.c" \
        $(pkg-config --cflags --libs libnbd) 2>"$tmp/cc.err"; then
    echo "leaks: connect/disconnect cycles with the C client (libnbd-dev)"
else
    if pkg-config --exists libnbd 2>/dev/null; then
        cat "$tmp/cc.err" >&2
        echo "leaks: the C client did not build, see above; using Python instead"
    else
        echo "leaks: no libnbd-dev (pkg-config libnbd): connect/disconnect cycles with" \
             "the Python client instead of the C one (tests/clients/connect-cycles.c)"
    fi
    cat >"$client" <<EOF
#!/bin/sh
exec $python -c '
import nbd, sys
for i in range(int(sys.argv[2])):
    h = nbd.NBD()
    h.connect_unix(sys.argv[1])
    h.pread(512, 0)
    h.shutdown()
    del h
print(sys.argv[2], "cycles")
' "\$@"
EOF
    chmod +x "$client"
fi

# rss: nbdkit's resident memory in KiB, once the plugin has collected
# its garbage and given free memory back (export "stats").
rss ()
{
    request stats
    awk '/^VmRSS:/ { print $2 }' "/proc/$nbdkit_pid/status"
}

# request EXPORT: one connection to EXPORT.
request ()
{
    hardening_connect "$tmp/leaks.sock" "$1"
}

# flat WHAT START HALF END LIMIT_KIB: the growth from START (and from
# HALF) must stay under LIMIT_KIB.
flat ()
{
    echo "leaks: $1: RSS $2 KiB at the start, $3 KiB half way, $4 KiB at the end"
    [ $(($4 - $2)) -le "$5" ] || fail "$1: RSS grew by $(($4 - $2)) KiB"
    [ $(($4 - $3)) -le $(($5 / 2)) ] || fail "$1: RSS grew by $(($4 - $3)) KiB in the second half"
}

# The server's -v output would be more than 100 MB: send it nowhere.
ln -s /dev/null "$tmp/leaks.log"
log="$tmp/leaks.calls"
start_server leaks -t 1 "$plugin" size=1M log="$log"
nbdkit_pid=$(cat "$tmp/leaks.pid")

# --- Debug and Error --------------------------------------------------
# In requests of 50000 calls (25000 of each), after a warm-up of 50000.
per_request=25000
request "debug:$per_request"
request "error:$per_request"
start=$(rss)
rounds=$((messages / per_request / 2))
for i in $(seq 1 "$rounds"); do
    request "debug:$per_request"
    request "error:$per_request"
    [ "$i" -ne $((rounds / 2)) ] || half=$(rss)
done
flat "$((rounds * per_request * 2)) Debug and Error calls" "$start" "$half" "$(rss)" 2048

# --- Connections ------------------------------------------------------
# 4 clients at once, after a warm-up of 2000 connections.
cycles ()
{
    local i pids=()
    for i in 1 2 3 4; do
        timeout -k 5 "$server_timeout" "$client" "$tmp/leaks.sock" $(($1 / 4)) \
            >"$tmp/cycles.$i.out" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { cat "$tmp/cycles.$((i + 1)).out" >&2; fail "a client failed"; }
    done
}
cycles 2000
start=$(rss)
started=$SECONDS
cycles $((connections / 2))
half=$(rss)
cycles $((connections / 2))
end=$(rss)
echo "leaks: $connections connections in $((SECONDS - started)) s"
flat "$connections connect/disconnect cycles" "$start" "$half" "$end" 2048

# Every connection closed, its worker gone, its object collected.
request stats
line=$(grep '^stats ' "$log" | tail -n1)
echo "leaks: $line"
total=$(grep -E -o ' opens=[0-9]+' <<<"$line" | cut -d= -f2)
[ "$total" -ge $((connections + 2000 + 2 * rounds)) ] || fail "only $total connections: $line"
for check in "closes=$total" "double_closes=0" "workers=0" "finalized=$total"; do
    grep -q " $check " <<<" $line " || fail "expected $check: $line"
done
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep "^Unload opens=$((total + 1)) closes=$((total + 1)) double_closes=0 workers=0 " "$log"
echo "leaks: ok"
