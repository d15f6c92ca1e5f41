#!/usr/bin/env bash
# A panic in a plugin method is recovered: the request (or connection)
# fails with EIO, nbdkit logs the panic value as an error and the stack
# as debug output, and the server goes on serving.  A panic before the
# server starts makes nbdkit exit non-zero, promptly, with the message.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)


# expect_panic_logged METHOD LOGFILE: the error line with the panic
# value, and a goroutine stack in the debug output, a debug line per
# line of the stack, on every nbdkit (1.36 and later would print a
# newline inside one line as \n, and a tab as \t).
expect_panic_logged ()
{
    expect_grep "error: $1: panic: test panic in $1\$" "$2"
    expect_grep "debug: $1: panic: test panic in $1\$" "$2"
    expect_grep 'debug: goroutine [0-9]+ \[.*\]:$' "$2"
    expect_grep "debug: main\.\(\*test(Plugin|Connection)\)\.$1\(.*\)\$" "$2"
    expect_grep 'debug:     /.*/tests/plugins/test/test\.go:[0-9]+ \+0x[0-9a-f]+$' "$2"
    expect_no_grep 'debug: .*(\\n|\\t)' "$2"
}

# PRead and PWrite panic at offset 4096 only.
for method in PRead PWrite; do
    start_server "$method" "$plugin" size=1M write=true panic="$method"
    pid=$server_pid
    check="
if '$method' == 'PRead':
    expect_errno('EIO', 'h.pread(512, 4096)')
else:
    expect_errno('EIO', \"h.pwrite(b'p' * 512, 4096)\")
h.pwrite(b'q' * 512, 0)
assert h.pread(512, 0) == b'q' * 512
assert h.pread(512, 8192) == bytes(512)
"
    nbdsh_check "$uri" "$check"
    nbdsh_check "$uri" "$check"
    kill -0 "$pid" || fail "nbdkit died after a panic in $method"
    stop_server "$pid" || fail "nbdkit exited with status $? after a panic in $method"
    expect_panic_logged "$method" "$tmp/$method.log"
    expect_count 2 "error: $method: panic:" "$tmp/$method.log"
done

# A run-time panic (nil pointer dereference: a SIGSEGV in Go code) and
# a panic with an error value are recovered the same way.
start_server runtime "$plugin" size=1M write=true panic=PRead:nil panic=PWrite:error
pid=$server_pid
nbdsh_check "$uri" "
expect_errno('EIO', 'h.pread(512, 4096)')
expect_errno('EIO', \"h.pwrite(b'p' * 512, 4096)\")
assert h.pread(512, 0) == bytes(512)
"
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
kill -0 "$pid" || fail "nbdkit died after a nil pointer dereference"
stop_server "$pid" || fail "nbdkit exited with status $? after a run-time panic"
expect_grep 'error: PRead: panic: runtime error: invalid memory address or nil pointer dereference' \
    "$tmp/runtime.log"
expect_grep 'error: PWrite: panic: test panic error in PWrite$' "$tmp/runtime.log"
expect_grep 'debug: main\.maybePanic\(' "$tmp/runtime.log"

# Flush, Trim, Zero: the request fails with EIO, the connection lives.
start_server ftz "$plugin" size=1M write=true flush=true trim=true zero=true \
    panic=Flush panic=Trim panic=Zero
nbdsh_check "$uri" "
expect_errno('EIO', 'h.flush()')
expect_errno('EIO', 'h.trim(512, 0)')
expect_errno('EIO', 'h.zero(512, 0)')
h.pwrite(b'r' * 512, 0)
assert h.pread(512, 0) == b'r' * 512
"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
for method in Flush Trim Zero; do
    expect_panic_logged "$method" "$tmp/ftz.log"
done

# Open and GetSize panic on their first call only: the first connection
# fails, the second works.  A panic in CanWrite or PreConnect fails
# every connection, and the server still lives.
for method in Open GetSize CanWrite PreConnect; do
    start_server "$method" "$plugin" size=1M write=true panic="$method"
    pid=$server_pid
    if nbdsh_check "$uri" 'h.pread(512, 0)' 2>"$tmp/$method.err"; then
        fail "first connection succeeded despite a panic in $method"
    fi
    case $method in
        Open|GetSize)
            nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)' ;;
        *)
            ! nbdsh_check "$uri" 'h.pread(512, 0)' 2>>"$tmp/$method.err" ||
                fail "second connection succeeded despite a panic in $method" ;;
    esac
    kill -0 "$pid" || fail "nbdkit died after a panic in $method"
    stop_server "$pid" || fail "nbdkit exited with status $? after a panic in $method"
    expect_panic_logged "$method" "$tmp/$method.log"
done

# Close: logged, and the server keeps serving.
start_server Close "$plugin" size=1M panic=Close
pid=$server_pid
for i in 1 2 3; do
    nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
done
kill -0 "$pid" || fail "nbdkit died after a panic in Close"
wait_for_lines 3 'error: Close: panic:' "$tmp/Close.log"
stop_server "$pid" || fail "nbdkit exited with status $? after a panic in Close"
expect_panic_logged Close "$tmp/Close.log"
expect_count 3 'error: Close: panic:' "$tmp/Close.log"

# Unload: logged, and nbdkit still exits normally.
start_server Unload "$plugin" size=1M panic=Unload
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
stop_server "$server_pid" || fail "nbdkit exited with status $? after a panic in Unload"
expect_panic_logged Unload "$tmp/Unload.log"

# DumpPlugin: logged, and nbdkit's own fields are all still printed.
NBDKIT_TEST_PANIC=DumpPlugin timeout -k 5 30 "$NBDKIT" --dump-plugin "$plugin" \
    >"$tmp/dump.out" 2>"$tmp/dump.err" || fail "nbdkit --dump-plugin exited with status $?"
expect_grep '^name=test$' "$tmp/dump.out"
expect_grep '^has_pread=1$' "$tmp/dump.out"
expect_grep 'error: DumpPlugin: panic: test panic in DumpPlugin' "$tmp/dump.err"

# Before serving: nbdkit exits non-zero, promptly, with the message.
# Load runs before any parameter, so its panic is set in the
# environment.
for method in Load Config ConfigComplete GetReady; do
    status=0
    start=$SECONDS
    NBDKIT_TEST_PANIC=$([ "$method" = Load ] && echo Load || true) \
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/$method.sock" "$plugin" size=1M \
        $([ "$method" = Load ] || echo "panic=$method") \
        >"$tmp/$method.out" 2>"$tmp/$method.err" || status=$?
    cat "$tmp/$method.err"
    [ "$status" -ne 0 ] || fail "nbdkit exited 0 after a panic in $method"
    [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
        fail "nbdkit did not exit cleanly after a panic in $method (status $status)"
    [ $((SECONDS - start)) -lt 10 ] || fail "nbdkit took too long to exit after a panic in $method"
    expect_grep "$method: panic: test panic in $method" "$tmp/$method.err"
    [ ! -S "$tmp/$method.sock" ] || fail "nbdkit served after a panic in $method"
done
echo "panics: ok"
