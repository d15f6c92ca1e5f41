#!/usr/bin/env bash
# Fast zero: a zero request with FAST_ZERO reaches Zero with
# FlagFastZero; Zero failing it with ENOTSUP reaches the client as
# ENOTSUP with the data untouched; CanFastZero false, or no
# CanFastZero, is not advertised.
. "$abs_top_srcdir/tests/functions.sh"
. "$abs_top_srcdir/tests/plugins/features/functions.sh"

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
try:
    h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
    assert False, "fast zero succeeded"
except nbd.Error as e:
    print("fast zero refused:", e.errno, e.string)
    assert e.errno == "ENOTSUP", e.errno
assert h.pread(4096, 0) == b"D" * 4096
h.zero(4096, 0)
assert h.pread(4096, 0) == bytes(4096)
'
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM\|)?FAST_ZERO$' "$log"
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM|0)$' "$log"
expect_count 1 '^PWrite' "$log"
expect_grep 'error: Zero: features plugin: no fast zero here' "$tmp/fails.log"

# CanFastZero false: not advertised, and Zero never sees the flag.
# (The client must not send it anyway: nbdkit 1.32 itself aborts on an
# unadvertised FAST_ZERO, whatever the plugin, even a C one.)
serve slow conn=fastzero fastzero=false zero=true -- '
assert h.can_zero()
assert not h.can_fast_zero()
h.pwrite(b"D" * 4096, 0)
h.zero(4096, 0)
assert h.pread(4096, 0) == bytes(4096)
'
expect_count 1 '^CanFastZero$' "$log"
expect_count 1 '^Zero 4096@0 flags=(MAY_TRIM|0)$' "$log"

# Without CanFastZero: not advertised, whether CanZero is true or
# false, as nbdkit does for a C plugin that has .zero but no
# .can_fast_zero (the binding always has .zero).  With CanZero false a
# zero is written with PWrite.
serve default-zero conn=plain zero=true -- '
assert h.can_zero()
assert not h.can_fast_zero()
'
serve default-nozero conn=plain zero=false -- '
assert h.can_zero()             # nbdkit emulates it with PWrite
assert not h.can_fast_zero()
h.pwrite(b"D" * 4096, 0)
h.zero(4096, 0)
assert h.pread(4096, 0) == bytes(4096)
'
expect_count 0 '^(Zero|CanFastZero)' "$log"
expect_count 2 '^PWrite 4096@0 ' "$log"
echo "fast-zero: ok"
