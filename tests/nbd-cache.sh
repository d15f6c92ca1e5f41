#!/usr/bin/env bash
# Cache (prefetch) requests: CanCache's three answers, with and without
# a Cache method, and the default without CanCache, seen from nbdsh and
# counted inside the plugin.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

# CacheNative with a Cache method: Cache is called, nothing is read.
serve native conn=cache cache=native -- '
assert h.can_cache()
h.cache(65536, 4096)
h.cache(512, 0)
'
expect_count 1 '^CanCache$' "$log"
expect_count 1 '^Cache 65536@4096 flags=0$' "$log"
expect_count 1 '^Cache 512@0 flags=0$' "$log"
expect_count 0 '^PRead' "$log"

# CacheEmulate: nbdkit reads the range with PRead; Cache is not called.
serve emulate conn=cache cache=emulate -- '
assert h.can_cache()
h.cache(65536, 4096)
'
expect_count 0 '^Cache ' "$log"
# The reads cover exactly the range asked (in one or more pieces).
awk '/^PRead / { split($2, a, "@"); n += a[1];
                 if (first == "") first = a[2] }
     END { if (n != 65536 || first != 4096) { print "read", n, "from", first; exit 1 } }' "$log" ||
    { cat "$log" >&2; fail "CacheEmulate did not read the 65536 bytes at 4096"; }

# CacheEmulate without a Cache method works the same.
serve emulate-nocache conn=cancache cache=emulate -- '
assert h.can_cache()
h.cache(4096, 8192)
'
expect_grep '^PRead 4096@8192 flags=0$' "$log"

# CacheNone: not advertised; a client that sends it anyway gets an
# error, and neither Cache nor PRead is reached.
serve none conn=cache cache=none -- '
assert not h.can_cache()
h.set_strict_mode(0)
expect_errno("EINVAL", "h.cache(4096, 0)")
assert h.pread(512, 0) == bytes(512)
'
expect_count 0 '^Cache ' "$log"
expect_count 1 '^PRead' "$log"

# CacheNative without a Cache method: the request succeeds at once.
serve native-nocache conn=cancache cache=native -- '
assert h.can_cache()
h.cache(65536, 0)
h.cache(512, 1048576 - 512)
'
expect_count 1 '^CanCache$' "$log"
expect_count 0 '^(Cache |PRead)' "$log"

# Without CanCache: CacheNative if the connection has a Cache method...
serve default-cacher conn=cacher -- '
assert h.can_cache()
h.cache(1024, 2048)
'
expect_count 0 '^CanCache$' "$log"
expect_count 1 '^Cache 1024@2048 flags=0$' "$log"
expect_count 0 '^PRead' "$log"

# ...else CacheNone.
serve default-plain conn=plain -- '
assert not h.can_cache()
'
expect_count 0 '^(CanCache|Cache |PRead)' "$log"
echo "cache: ok"
