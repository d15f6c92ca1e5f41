#!/usr/bin/env bash
# Configuration: a bad parameter makes nbdkit exit non-zero with one
# clear line naming the key; a good configuration serves what it says.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)

# expect_config_error NAME PATTERN PLUGIN ARGS...: nbdkit refuses to
# start, and its stderr is exactly one line, matching PATTERN.
expect_config_error ()
{
    local name=$1 pattern=$2 status=0
    shift 2
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/$name.sock" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" || status=$?
    echo "$name: status $status: $(cat "$tmp/$name.err")"
    [ "$status" -ne 0 ] || fail "nbdkit $* exited 0"
    [ "$status" -ne 124 ] && [ "$status" -lt 128 ] ||
        fail "nbdkit $* did not exit cleanly (status $status)"
    [ ! -S "$tmp/$name.sock" ] || fail "nbdkit $* served"
    [ "$(wc -l <"$tmp/$name.err")" -eq 1 ] ||
        { cat "$tmp/$name.err" >&2; fail "nbdkit $*: expected one line on stderr"; }
    expect_grep "$pattern" "$tmp/$name.err"
}

expect_config_error unknown 'error: .*nosuchkey' "$plugin" size=1M nosuchkey=1
expect_config_error size 'error: .*size: cannot parse "12x"' "$plugin" size=12x
expect_config_error size-empty 'error: .*size: cannot parse ""' "$plugin" size=
expect_config_error size-huge 'error: .*size: cannot parse "99999999999G"' "$plugin" size=99999999999G
expect_config_error bool 'error: .*write: cannot parse "maybe"' "$plugin" write=maybe
expect_config_error fail 'error: .*fail: expected METHOD:KIND' "$plugin" fail=PRead
# The default Config of nbdkit.Plugin rejects every key, by name.
minimal=$(example_plugin minimal)
if [ -f "$minimal" ]; then
    expect_config_error minimal 'error: .*bogus' "$minimal" bogus=1
fi

# A good configuration serves, with each size syntax.
for size in 4096:4096 3K:3072 5M:5242880 2m:2097152; do
    start_server "good-${size%:*}" "$plugin" size="${size%:*}" write=yes multiconn=on
    nbdsh_check "$uri" "
assert h.get_size() == ${size#*:}, h.get_size()
assert not h.is_read_only()
assert h.can_multi_conn()
h.pwrite(b'k' * 512, ${size#*:} - 512)
assert h.pread(512, ${size#*:} - 512) == b'k' * 512
"
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
done
echo "config: ok"
