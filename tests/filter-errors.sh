#!/usr/bin/env bash
# An error or a panic in any callback of a Go filter: the message in
# nbdkit's log, the errno the client sees (EPERM, the filter's), and a
# server that goes on serving.  The features filter fails the methods
# named by ffail=, and panics in those named by fpanic=.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/filters.sh"

# message KIND METHOD: what the log says.
message ()
{
    if [ "$1" = ffail ]; then
        echo "$2: injected failure in $2"
    else
        echo "$2: panic: injected panic in $2"
    fi
}

for kind in ffail fpanic; do
    # Before serving: nbdkit does not start, and says why.
    for method in Config ConfigComplete GetReady AfterFork; do
        status=0
        rm -f "$tmp/start.sock"
        timeout 60 "$NBDKIT" -f -U "$tmp/start.sock" --filter="$features_filter" \
            memory "$kind=$method" size=1M >"$tmp/start.log" 2>&1 || status=$?
        [ "$status" -ne 0 ] || fail "$kind=$method: nbdkit started"
        [ "$status" -ne 124 ] || fail "$kind=$method: nbdkit hung"
        expect_grep "$(message "$kind" "$method")" "$tmp/start.log"
    done

    # At connection: the client cannot connect, the server goes on.
    for method in PreConnect Open Prepare GetSize CanWrite CanFlush \
        IsRotational CanTrim CanZero CanFastZero CanExtents CanFUA \
        CanMultiConn CanCache BlockSize; do
        name="conn-$kind-$method"
        start_server "$name" --filter="$features_filter" memory size=1M "$kind=$method"
        ! timeout 60 "$NBDSH" -u "$uri" -c 'h.get_size()' 2>"$tmp/$name.client" ||
            fail "$kind=$method: the client connected"
        expect_grep "$(message "$kind" "$method")" "$tmp/$name.log"
        kill -0 "$server_pid" || fail "$kind=$method: the server died"
        # Another connection is refused the same way: the filter is
        # still in charge.
        ! timeout 60 "$NBDSH" -u "$uri" -c 'h.get_size()' 2>/dev/null ||
            fail "$kind=$method: the second client connected"
        stop_server "$server_pid" || fail "$kind=$method: nbdkit exited with status $?"
    done

    # Exports: the listing fails, the server goes on.
    for method in ListExports DefaultExport; do
        name="exports-$kind-$method"
        start_server "$name" --filter="$features_filter" memory size=1M "$kind=$method"
        ! timeout 60 "$NBDINFO" --list "$uri" >/dev/null 2>&1 ||
            fail "$kind=$method: nbdinfo --list succeeded"
        expect_grep "$(message "$kind" "$method")" "$tmp/$name.log"
        stop_server "$server_pid" || fail "$kind=$method: nbdkit exited with status $?"
    done

    # Requests: the request fails (EPERM for an error, EIO for a
    # panic), the next succeeds on the same connection.
    errno=EPERM
    [ "$kind" = ffail ] || errno=EIO
    for method in PRead PWrite Flush Trim Zero Cache Extents; do
        name="data-$kind-$method"
        start_server "$name" --filter="$features_filter" memory size=1M "$kind=$method"
        timeout -k 5 60 "$NBDSH" --base-allocation -u "$uri" -c '
import errno
method = "'"$method"'"
def extent(metacontext, offset, entries, err):
    pass
requests = {
    "PRead": lambda: h.pread(512, 0),
    "PWrite": lambda: h.pwrite(b"x" * 512, 0),
    "Flush": lambda: h.flush(),
    "Trim": lambda: h.trim(512, 0),
    "Zero": lambda: h.zero(512, 0),
    "Cache": lambda: h.cache(512, 0),
    "Extents": lambda: h.block_status(512, 0, extent),
}
try:
    requests[method]()
    assert False, method + " succeeded"
except nbd.Error as e:
    assert e.errno == "'"$errno"'", (method, e.errno, e.string)
# The others still work.
for other, request in requests.items():
    if other != method:
        request()
' || fail "$kind=$method: the client did not see $errno"
        expect_grep "$(message "$kind" "$method")" "$tmp/$name.log"
        stop_server "$server_pid" || fail "$kind=$method: nbdkit exited with status $?"
    done

    # Only logged: the connection ends, or the server stops, as usual.
    for method in Finalize ExportDescription; do
        name="log-$kind-$method"
        start_server "$name" --filter="$features_filter" memory size=1M "$kind=$method"
        timeout 60 "$NBDINFO" "$uri" >/dev/null 2>&1 || true
        wait_for_lines 1 "$(message "$kind" "$method")" "$tmp/$name.log"
        expect_grep "$(message "$kind" "$method")" "$tmp/$name.log"
        stop_server "$server_pid" || fail "$kind=$method: nbdkit exited with status $?"
    done
done

# Panics in the callbacks that cannot fail: logged, and nbdkit exits 0.
start_server panics --filter="$features_filter" memory size=1M fpanic=Close,Cleanup,Unload
nbdsh_check "$uri" 'h.pread(512, 0)'
wait_for_lines 1 'Close: panic: injected panic in Close' "$tmp/panics.log"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
for method in Close Cleanup Unload; do
    expect_grep "$(message fpanic "$method")" "$tmp/panics.log"
done
# A panic in Load ends nbdkit, as for plugins.
status=0
NBDKIT_FILTER_PANIC_LOAD=1 timeout 60 "$NBDKIT" -f -U "$tmp/load.sock" \
    --filter="$features_filter" memory size=1M >"$tmp/load.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "a panic in Load: nbdkit exited with $status"
expect_grep 'Load: panic: injected panic in Load' "$tmp/load.log"

# The stack of a panic is in the debug output.
expect_grep 'debug: .*Close: panic: injected panic in Close' "$tmp/panics.log"
