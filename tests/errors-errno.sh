#!/usr/bin/env bash
# Errors returned by a plugin reach the client with the right errno,
# and nbdkit's log with the message:
#   nbdkit.PluginError{Errno: EPERM}         -> EPERM  (perm)
#   &nbdkit.PluginError{Errno: EPERM}        -> EPERM  (permptr)
#   fmt.Errorf("...: %w", syscall.EINVAL)    -> EINVAL (inval)
#   &os.PathError{Err: syscall.ENOSPC}       -> ENOSPC (nospc)
#   errors.New("...")                        -> EIO    (plain)
#   SetError(ENOSPC), errors.New("...")      -> ENOSPC (seterror, as in
#                                               the in-tree binding)
#   SetError(ENOSPC), PluginError{EPERM}     -> EPERM  (seterror-own)
# The test plugin fails PRead and PWrite only at offset 8192; every
# other request on the same connection still works.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)

for kind in perm:EPERM permptr:EPERM inval:EINVAL nospc:ENOSPC plain:EIO \
            seterror:ENOSPC seterror-own:EPERM; do
    errno=${kind#*:} kind=${kind%:*}
    start_server "$kind" "$plugin" size=1M write=true \
        fail=PRead:"$kind" fail=PWrite:"$kind"
    nbdsh_check "$uri" "
expect_errno('$errno', 'h.pread(512, 8192)')
expect_errno('$errno', \"h.pwrite(b'x' * 512, 8192)\")
# Everything else works, and the failed write wrote nothing.
h.pwrite(b'a' * 1024, 0)
h.pwrite(b'b' * 512, 12288)
assert h.pread(1024, 0) == b'a' * 1024
assert h.pread(512, 12288) == b'b' * 512
assert h.pread(1024, 7680) == bytes(1024)
"
    # A second connection is fine too.
    nbdsh_check "$uri" 'assert h.pread(512, 0) == b"a" * 512'
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
    for method in PRead PWrite; do
        expect_grep "error: $method: .*test failure $kind in $method" "$tmp/$kind.log"
    done
    case $kind in
        nospc) expect_grep 'error: PWrite: .*/nospc: no space left on device' "$tmp/$kind.log" ;;
        inval) expect_grep 'error: PWrite: .*: invalid argument' "$tmp/$kind.log" ;;
    esac
done

# Flush, Trim and Zero carry their errno too.
start_server ftz "$plugin" size=1M write=true flush=true trim=true zero=true \
    fail=Flush:nospc fail=Trim:inval fail=Zero:perm
nbdsh_check "$uri" "
expect_errno('ENOSPC', 'h.flush()')
expect_errno('EINVAL', 'h.trim(512, 0)')
expect_errno('EPERM', 'h.zero(512, 0)')
h.pwrite(b'c' * 512, 0)
assert h.pread(512, 0) == b'c' * 512
"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep 'error: Flush: .*test failure nospc in Flush' "$tmp/ftz.log"
expect_grep 'error: Trim: .*test failure inval in Trim' "$tmp/ftz.log"
expect_grep 'error: Zero: .*test failure perm in Zero' "$tmp/ftz.log"

# An error from Open refuses the connection; the server goes on.
start_server open "$plugin" size=1M fail=Open:perm
pid=$server_pid
for i in 1 2; do
    if nbdsh_check "$uri" 'print(h.get_size())' 2>"$tmp/open.err"; then
        fail "connection $i succeeded although Open failed"
    fi
done
kill -0 "$pid" || fail "nbdkit died after Open failed"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_count 2 'error: Open: .*test failure perm in Open' "$tmp/open.log"
echo "errors: ok"
