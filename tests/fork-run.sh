#!/usr/bin/env bash
# Captive mode, nbdkit --run: nbdkit forks, the parent runs the command
# and the child serves.  The child re-executes nbdkit (reexec.c), so a
# Go plugin serves normally.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
log=$tmp/log
# nbdkit makes -U -'s temporary directory in $TMPDIR.
export TMPDIR=$tmp/sockets
mkdir "$TMPDIR"

# Write and read back through nbdsh, and through nbdcopy with several
# connections.
head -c 8M /dev/urandom > "$tmp/data"
timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=16M log="$log" --run '
    set -e
    '"$NBDSH"' -u "$uri" -c "
h.pwrite(b\"go plugin\" * 1000, 4096)
assert h.pread(9000, 4096) == b\"go plugin\" * 1000
"
    '"$NBDCOPY"' --connections=4 '"$tmp/data"' "$uri"
    '"$NBDCOPY"' --connections=4 "$uri" '"$tmp/back"'
' || fail "--run with nbdsh and nbdcopy failed"
cmp <(head -c 8M "$tmp/back") "$tmp/data" || fail "nbdcopy read back different data"
expect_count 1 "AfterFork" "$log"
# GetReady runs once, in the server (reexec.c).
expect_count 1 "GetReady reexecuted=true" "$log"
expect_count 1 "GetReady" "$log"

# The command's exit status is nbdkit's.
status=0
timeout -k 5 60 "$NBDKIT" -U - "$plugin" --run 'exit 3' || status=$?
[ "$status" -eq 3 ] || fail "--run 'exit 3' exited with $status"

# A quick command, again and again: every server ends, unloads, and
# leaves no socket directory behind.
rm -f "$log"
for i in $(seq 1 20); do
    timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M log="$log" --run true ||
        fail "--run true failed on run $i"
done
expect_count 20 "AfterFork" "$log"
expect_count 20 "Unload" "$log"
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "left behind in \$TMPDIR: $left"
echo "20 quick --run: 20 servers, 20 unloads, nothing left behind"

# Every example serves under --run.
for example in minimal ramdisk disk dump-plugin sparse exports seekfile; do
    so=$(example_plugin "$example")
    [ -f "$so" ] || fail "example $example is not built"
    case $example in
        ramdisk|sparse) args=(size=16M) ;;
        disk|seekfile) truncate -s 1M "$tmp/disk.img"; args=(file="$tmp/disk.img") ;;
        *) args=() ;;
    esac
    size=$(timeout -k 5 60 "$NBDKIT" -U - "$so" "${args[@]}" --run "$NBDINFO --size \"\$uri\"") ||
        fail "example $example does not serve under --run"
    [ "$size" -gt 0 ] || fail "example $example: size $size"
done
echo "every example serves under --run"
