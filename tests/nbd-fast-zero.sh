#!/usr/bin/env bash
# Fast zero: a zero request with FAST_ZERO reaches Zero with
# FlagFastZero; Zero failing it with ENOTSUP reaches the client as
# ENOTSUP with the data untouched.  Fast zero is always advertised, so
# that no client request can reach nbdkit's assertion on an
# unadvertised FAST_ZERO (which aborts nbdkit 1.32 and 1.42, and does
# for a C plugin): without a fast path (no CanFastZero, CanFastZero
# false, CanZero false or no Zero) a fast zero fails at once with
# ENOTSUP, and leaves the data alone.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

# CanFastZero true: Zero sees FlagFastZero, and zeroes.
serve fast conn=fastzero fastzero=true zero=true -- '
assert h.can_zero()
assert h.can_fast_zero()
h.pwrite(b"D" * 8192, 0)
h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
assert h.pread(8192, 0) == bytes(4096) + b"D" * 4096
h.zero(4096, 4096)
assert h.pread(8192, 0) == bytes(8192)
'
expect_count 1 '^CanFastZero$' "$log"
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM\|)?FAST_ZERO$' "$log"
expect_count 1 '^Zero 4096@4096 flags=(MAY_TRIM|0)$' "$log"

# Zero fails fast zeroes with ENOTSUP: the client sees ENOTSUP, the data
# is untouched, nbdkit does not fall back to writing zeroes, and a
# normal zero still works.
serve fails conn=fastzero fastzero=true fastzero-fails=true zero=true -- '
assert h.can_fast_zero()
h.pwrite(b"D" * 4096, 0)
expect_errno("ENOTSUP", "h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)")
assert h.pread(4096, 0) == b"D" * 4096
h.zero(4096, 0)
assert h.pread(4096, 0) == bytes(4096)
'
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM\|)?FAST_ZERO$' "$log"
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM|0)$' "$log"
expect_count 1 '^PWrite' "$log"
expect_grep 'error: Zero: features plugin: no fast zero here' "$tmp/fails.log"

# Every combination, through a client that sends FAST_ZERO whatever is
# advertised (strict mode off), for the Go plugin and for the same C
# plugin (tests/plugins/czero) on the same nbdkit.
probe='
h.set_strict_mode(0)
result = "can_zero=%d can_fast_zero=%d" % (h.can_zero(), h.can_fast_zero())
h.pwrite(b"D" * 8192, 0)
try:
    h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
    fast = "ok"
except nbd.Error as e:
    fast = e.errno
try:
    data = {bytes(4096): "zeroed", b"D" * 4096: "untouched"}.get(bytes(h.pread(4096, 0)), "other")
    h.zero(4096, 4096)
    zero = "zeroed" if h.pread(4096, 4096) == bytes(4096) else "kept"
except nbd.Error:
    fast, data, zero = "server-died", "-", "-"
print("%s fast=%s data=%s zero=%s" % (result, fast, data, zero))
'
# probe_with NAME ARGS...: the probe's line against nbdkit ARGS.
probe_with ()
{
    local name=$1; shift
    timeout -k 5 60 "$NBDKIT" -U - "$@" --run "$NBDSH -u \"\$uri\" -c '$probe'" \
        >"$tmp/$name.out" 2>&1 || true
    grep '^can_zero=' "$tmp/$name.out" || echo "no-result"
}
cflags=$(pkg-config --cflags nbdkit)
for zeromethod in true false; do
    for canzero in true false; do
        for fastzero in absent true false; do
            combo="zeromethod=$zeromethod canzero=$canzero canfastzero=$fastzero"
            defs="-DCAN_ZERO=$([ $canzero = true ] && echo 1 || echo 0)"
            [ $zeromethod = true ] && defs="$defs -DZERO_METHOD"
            case $fastzero in
                absent) goargs="conn=plain" ;;
                *) goargs="conn=fastzero fastzero=$fastzero"
                   defs="$defs -DCAN_FAST_ZERO=$([ $fastzero = true ] && echo 1 || echo 0)" ;;
            esac
            # The Go plugin never dies, always advertises fast zero,
            # and zeroes fast only with its fast path.
            go=$(probe_with go "$features" zero=$canzero zeromethod=$zeromethod $goargs)
            if [ $zeromethod = true ] && [ $canzero = true ] && [ $fastzero = true ]; then
                want="fast=ok data=zeroed"
            else
                want="fast=ENOTSUP data=untouched"
            fi
            [ "$go" = "can_zero=1 can_fast_zero=1 $want zero=zeroed" ] ||
                { cat "$tmp/go.out"; fail "$combo: Go plugin: $go"; }
            # The C plugin: the same answers where nbdkit survives and
            # advertised fast zero.
            $CC $cflags $defs -fPIC -shared -o "$tmp/czero.so" \
                "$abs_top_srcdir/tests/plugins/czero/czero.c" || fail "building czero.c"
            c=$(probe_with c "$tmp/czero.so")
            case $c in
                *can_fast_zero=1*) [ "$c" = "$go" ] || fail "$combo: C plugin $c, Go plugin $go" ;;
                *can_fast_zero=0*server-died*) ;; # nbdkit's assertion: the hole the binding closes
                *) cat "$tmp/c.out"; fail "$combo: C plugin: $c" ;;
            esac
            printf '%-52s Go: %s\n%-52s C:  %s\n' "$combo" "$go" "" "$c"
        done
    done
done

echo "fast-zero: ok"
