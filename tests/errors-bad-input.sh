#!/usr/bin/env bash
# Bad input, each giving a clear error and, once serving, the server
# serving on:
#  - malformed, unknown and missing parameters of the examples and the
#    hardening test plugin (tests/plugin-config.sh has the test plugin's);
#  - what a client can send that libnbd will not (tests/clients/
#    rawnbd.py): export names with NUL bytes, too long or not UTF-8,
#    lying lengths, requests out of bounds or unknown, garbage;
#  - NUL bytes in the messages of errors and panics;
#  - extents: 131072 of them, an empty one, one whose end overflows
#    (tests/nbd-extents.sh has the other mistakes);
#  - a panic in every callback in turn: every connection callback on
#    one server (the export name chooses the method), and the plugin's
#    own callbacks with -f and with --run.  tests/errors-panics.sh has the
#    kinds of panic; here every callback is reached.
# Nothing may hang, crash, or truncate a message.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin hardening)
python=/usr/bin/python3
tried=0
# Some messages have bytes that are not UTF-8: match bytes.
export LC_ALL=C

# expect_startup_error NAME PATTERN [NBDKIT ARGS...]: nbdkit -f exits
# non-zero, promptly and cleanly, with an error line matching PATTERN,
# and serves no one.
expect_startup_error ()
{
    local name=$1 pattern=$2 status=0 start=$SECONDS
    shift 2
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/$name.sock" "$@" >"$tmp/$name.err" 2>&1 || status=$?
    [ "$status" -ne 0 ] || fail "$name: nbdkit exited 0"
    [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
        { cat "$tmp/$name.err" >&2; fail "$name: nbdkit did not exit cleanly (status $status)"; }
    [ $((SECONDS - start)) -lt 10 ] || fail "$name: nbdkit took $((SECONDS - start)) s to exit"
    # (AfterFork runs once nbdkit listens: the socket may be left.)
    [ ! -S "$tmp/$name.sock" ] || ! timeout 10 "$NBDINFO" --size \
        "nbd+unix:///?socket=$tmp/$name.sock" >/dev/null 2>&1 || fail "$name: nbdkit served"
    expect_grep "error: .*$pattern" "$tmp/$name.err"
    tried=$((tried + 1))
}

# --- Parameters -------------------------------------------------------
ramdisk=$(example_plugin ramdisk)
sparse=$(example_plugin sparse)
disk=$(example_plugin disk)
long=$(printf 'v%.0s' $(seq 1 100000))
n=0
while IFS='|' read -r so pattern arg; do
    n=$((n + 1))
    expect_startup_error "config$n" "$pattern" "$so" ${arg:+"$arg"}
done <<EOF
$ramdisk|size=-1: not a size|size=-1
$ramdisk|size=1.5G: not a size|size=1.5G
$ramdisk|too large for an NBD disk|size=99999999999999999999
$ramdisk|not a size|size=$(printf '\xff\xfe')
$ramdisk|not a size|size=1 2
$ramdisk|unknown parameter bogus|bogus=1
$ramdisk|unknown parameter script|=value
$ramdisk|unknown parameter k|k=v=w
$ramdisk|unknown parameter bogus|bogus=$long
$ramdisk|the size parameter is required|
$sparse|ParseSize: cannot parse "12Q"|size=12Q
$sparse|ParseSize: cannot parse ""|size=
$sparse|ParseSize: cannot parse "1Q"|1Q
$disk|file|file=$tmp/no-such-file
$plugin|fail: expected METHOD:ERRNO|fail=PRead
$plugin|fail: unknown errno "ENOPE"|fail=PRead:ENOPE
$plugin|allow-uid: not a user or group id|allow-uid=-5
$plugin|blocksize: expected MIN:PREF:MAX|blocksize=1:2
$plugin|blocksize: .*value out of range|blocksize=1:2:99999999999
$plugin|random-fail: not a percentage|random-fail=lots
$plugin|ReadPassword: cannot read the password \(errno 2: no such file or directory\)|password=+$tmp/no-such-file
$plugin|nul: ParseBool: cannot parse "maybe"|nul=maybe
$plugin|require-tls: ParseBool: cannot parse ""|require-tls=
EOF
echo "bad-input: $tried bad configurations refused"

# --- What a client can send that libnbd will not ----------------------
log="$tmp/raw.calls"
start_server raw "$plugin" size=1M connlog=true log="$log"
pid=$server_pid
timeout -k 5 120 "$python" "$abs_top_srcdir/tests/clients/rawnbd.py" "$tmp/raw.sock" \
    >"$tmp/raw.out" 2>&1 || { cat "$tmp/raw.out" >&2; fail "the server answered bad input wrongly"; }
cat "$tmp/raw.out"
raw_cases=$(grep -c '^ok: ' "$tmp/raw.out")
tried=$((tried + raw_cases))
nbdsh_check "$uri" 'h.pwrite(b"s" * 512, 0); assert h.pread(512, 0) == b"s" * 512'
kill -0 "$pid" || fail "nbdkit died of bad input"
stop_server "$pid" || fail "nbdkit exited with status $? after bad input"
# nbdkit refused the names C would cut short; the plugin saw what it
# let through byte for byte: the name that is not UTF-8, and 4096 bytes.
expect_grep 'export name may not include NUL bytes' "$tmp/raw.log"
expect_grep 'export name too long' "$tmp/raw.log"
expect_count 1 '^Open export="\\xff\\xfe\\x80" ' "$log"
expect_count 1 "^Open export=\"z{4096}\" " "$log"
expect_no_grep 'panic|SIGSEGV|fatal|Assertion' "$tmp/raw.log"

# --- NUL bytes in messages --------------------------------------------
# An error and a panic whose messages have a NUL byte: the whole
# message is logged, the NUL shown as \x00 in errors and <NUL> in debug
# output (see tests/plugin-strings.sh), and the errno still right.
start_server nul "$plugin" size=1M nul=true fail=PRead:EPERM panic=Cache
nbdsh_check "$uri" '
expect_errno("EPERM", "h.pread(512, 0)")
expect_errno("EIO", "h.cache(512, 0)")
h.pwrite(b"n" * 512, 0)
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep 'error: PRead: hardening:\\x00 injected failure in PRead \(errno 1: operation not permitted\)$' "$tmp/nul.log"
expect_grep 'error: Cache: panic: hardening:\\x00 injected panic in Cache$' "$tmp/nul.log"
expect_grep 'debug: Cache: panic: hardening:<NUL> injected panic in Cache$' "$tmp/nul.log"
tried=$((tried + 3))

# --- Extents ----------------------------------------------------------
# extents=many: 131072 extents of 512 bytes for a 64 MiB request;
# zerolen: an empty extent first (nbdkit ignores it); huge: an extent
# whose end is beyond 2^64 (refused, or clipped to the request).
start_server extents "$plugin" size=64M
sock="$tmp/extents.sock"
timeout -k 5 60 "$python" - "$sock" <<'EOF' || fail "bad extents were not handled"
import nbd, sys
def connect(name):
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_export_name(name)
    h.connect_unix(sys.argv[1])
    return h
def status(h, count, offset):
    got = []
    h.block_status(count, offset, lambda ctx, off, entries, err: got.extend(entries) or 0)
    return got
M = 1 << 20
h = connect("extents:many")
e = status(h, 64 * M, 0)
print("many: %d extents, %d bytes" % (len(e) // 2, sum(e[0::2])))
assert len(e) >= 2 and e[0] == 512 and e[1] == 0 and e[3] == nbd.STATE_ZERO, e[:8]
h = connect("extents:zerolen")
e = status(h, M, 0)
print("zerolen:", e)
assert e == [M, nbd.STATE_HOLE | nbd.STATE_ZERO], e
h = connect("extents:huge")
try:
    e = status(h, M, 4096)
    print("huge: clipped:", e)
    assert sum(e[0::2]) <= M, e
except nbd.Error as err:
    print("huge: refused:", err.errno)
    assert err.errno in ("EINVAL", "EIO"), err.errno
assert h.pread(512, 0) == bytes(512)
EOF
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_no_grep 'panic|SIGSEGV|fatal' "$tmp/extents.log"
tried=$((tried + 3))

# --- A panic in every connection callback ------------------------------
# During the handshake a panic refuses the connection (ExportDescription:
# the export has no description); in a request the client gets EIO; in
# Close it is logged.  The server goes on.
start_server each "$plugin" size=1M
pid=$server_pid
timeout -k 5 60 "$python" - "$tmp/each.sock" <<'EOF' >"$tmp/each.out" ||
import nbd, sys
from nbdcheck import expect_errno
def connect(name):
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_full_info(True)
    h.set_export_name(name)
    h.connect_unix(sys.argv[1])
    return h
for method in ["Open", "GetSize", "CanWrite", "CanFlush", "IsRotational", "CanTrim",
               "CanZero", "CanMultiConn", "CanFUA", "CanFastZero", "CanCache",
               "CanExtents", "BlockSize"]:
    expect_errno(None, lambda: connect("panic:" + method), what="%s: refused" % method)
h = connect("panic:ExportDescription")
try:
    d = h.get_export_description()
    raise AssertionError("a description although ExportDescription panicked: %r" % d)
except nbd.Error:
    print("ExportDescription: no description; reads work:", h.pread(4, 0) == bytes(4))
h.shutdown()
for method, call in [("PRead", lambda h: h.pread(512, 0)),
                     ("PWrite", lambda h: h.pwrite(b"p" * 512, 0)),
                     ("Flush", lambda h: h.flush()),
                     ("Trim", lambda h: h.trim(512, 0)),
                     ("Zero", lambda h: h.zero(512, 0)),
                     ("Cache", lambda h: h.cache(512, 0)),
                     ("Extents", lambda h: h.block_status(512, 0, lambda *a: 0))]:
    h = connect("panic:" + method)
    expect_errno("EIO", lambda: call(h), what=method)
    assert h.get_size() == 1 << 20
    h.shutdown()
for i in range(3):
    h = connect("panic:Close")
    h.pread(512, 0)
    h.shutdown()
print("Close: 3 connections closed")
EOF
    { cat "$tmp/each.out" >&2; fail "a panic was not handled as it should"; }
cat "$tmp/each.out"
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
kill -0 "$pid" || fail "nbdkit died of a panic"
wait_for_lines 3 'error: Close: panic:' "$tmp/each.log"
stop_server "$pid" || fail "nbdkit exited with status $? after panics"
methods="Open GetSize CanWrite CanFlush IsRotational CanTrim CanZero CanMultiConn CanFUA
         CanFastZero CanCache CanExtents BlockSize ExportDescription PRead PWrite Flush Trim
         Zero Cache Extents Close"
for method in $methods; do
    expect_grep "error: $method: panic: hardening: injected panic in $method\$" "$tmp/each.log"
    expect_grep "debug: $method: panic: hardening: injected panic in $method\$" "$tmp/each.log"
    tried=$((tried + 1))
done
expect_count 3 'error: Close: panic:' "$tmp/each.log"
expect_grep 'debug: main\.\(\*conn\)\.Close\(' "$tmp/each.log"
expect_no_grep 'SIGSEGV|fatal|Assertion' "$tmp/each.log"

# --- A panic in every plugin callback, with -f and with --run ----------
# Before serving: a clear error and a non-zero exit, never a hang.  In
# --run mode nbdkit forks after GetReady, and AfterFork runs in the
# re-executed server: the command's client is refused.
export TMPDIR=$tmp/run
mkdir "$TMPDIR"
for method in Load Config ConfigComplete ThreadModel GetReady AfterFork; do
    args=(size=1M)
    [ "$method" = Load ] || args+=(panic="$method")
    NBDKIT_HARDENING_PANIC=$([ "$method" = Load ] && echo Load || true) \
        expect_startup_error "f-$method" "$method: panic: hardening: injected panic in $method" \
        "$plugin" "${args[@]}"
    status=0 start=$SECONDS
    NBDKIT_HARDENING_PANIC=$([ "$method" = Load ] && echo Load || true) \
        timeout -k 5 60 "$NBDKIT" -U - "$plugin" "${args[@]}" \
        --run "$NBDINFO --size \"\$uri\" && touch $tmp/ran-$method" >"$tmp/run-$method.out" 2>&1 ||
        status=$?
    [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
        { cat "$tmp/run-$method.out" >&2; fail "--run: nbdkit exit status $status after a panic in $method"; }
    [ $((SECONDS - start)) -lt 30 ] || fail "--run: nbdkit took $((SECONDS - start)) s after a panic in $method"
    [ ! -e "$tmp/ran-$method" ] || fail "--run: the command reached a server whose $method panicked"
    expect_grep "error: $method: panic: hardening: injected panic in $method" "$tmp/run-$method.out"
    tried=$((tried + 1))
done
# After serving: logged, and nbdkit exits 0.  DefaultExport: the
# default export is refused, a named one works.
for method in Cleanup Unload DefaultExport; do
    check="$NBDINFO --size \"\$uri\""
    [ "$method" != DefaultExport ] ||
        check="! $NBDINFO --size \"\$uri\" && $NBDINFO --size \"nbd+unix:///named?socket=\$unixsocket\""
    timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M panic="$method" --run "$check" \
        >"$tmp/run-$method.out" 2>&1 ||
        { cat "$tmp/run-$method.out" >&2; fail "--run: nbdkit failed after a panic in $method"; }
    expect_grep "error: $method: panic: hardening: injected panic in $method" "$tmp/run-$method.out"
    start_server "f-$method" "$plugin" size=1M panic="$method"
    if [ "$method" = DefaultExport ]; then
        ! timeout -k 5 60 "$NBDINFO" --size "$uri" >/dev/null 2>&1 ||
            fail "-f: the default export served although DefaultExport panicked"
    fi
    timeout -k 5 60 "$NBDINFO" --size "nbd+unix:///named?socket=$tmp/f-$method.sock" >/dev/null ||
        fail "-f: no service after a panic in $method"
    stop_server "$server_pid" || fail "-f: nbdkit exited with status $? after a panic in $method"
    expect_grep "error: $method: panic: hardening: injected panic in $method" "$tmp/f-$method.log"
    tried=$((tried + 2))
done
# A request's panic in the re-executed server: EIO, and it serves on.
timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M panic=PRead --run "$NBDSH -u \"\$uri\" -c '
from nbdcheck import expect_errno
expect_errno(\"EIO\", \"h.pread(512, 0)\")
h.pwrite(b\"r\" * 512, 0)
'" >"$tmp/run-PRead.out" 2>&1 || { cat "$tmp/run-PRead.out" >&2; fail "--run: a panic in PRead"; }
expect_grep 'error: PRead: panic: hardening: injected panic in PRead' "$tmp/run-PRead.out"
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "left behind in \$TMPDIR: $left"
tried=$((tried + 1))
echo "bad-input: ok, $tried bad inputs tried"
