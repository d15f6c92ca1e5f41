#!/usr/bin/env bash
# Fuzzing.  The Go fuzz targets of the package (the *_fuzz_test.go
# files: errno choice, strings going to C, BlockSize's check, nbdkit's
# command line for the fork support, the peer's address), one at a
# time (go test -fuzz takes one), for $FUZZ_TIME each (default 2s;
# make stress gives each 2 minutes).  A failing input is saved under
# testdata/fuzz/ by go test, which replays it from then on.
#
# Then the extents builder, which is nbdkit's (nbdkit_add_extent) behind
# ExtentList.Add: the hardening plugin answers block status with
# extents drawn at random (good, empty, of unknown types, with gaps,
# overlapping, overflowing), $FUZZ_EXTENTS requests (default 3000) at
# random offsets, and every reply a client gets must be a good one.
. "$abs_top_srcdir/tests/lib/functions.sh"

fuzztime=${FUZZ_TIME:-2s}
parallel=${FUZZ_PARALLEL:-1}
requests=${FUZZ_EXTENTS:-3000}

cd "$abs_top_srcdir"
targets=$("$GO" test -list '^Fuzz' . | grep '^Fuzz') || fail "cannot list the fuzz targets"
[ "$(wc -w <<<"$targets")" -ge 8 ] || fail "fuzz targets missing: $targets"
for target in $targets; do
    # go test -fuzz may stop with "context deadline exceeded" and no
    # failing input when the machine is busy (the fuzzer's own
    # deadline): try again, twice.
    for attempt in 1 2 3; do
        ! "$GO" test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -parallel "$parallel" . \
            >"$tmp/$target.out" 2>&1 || break
        if grep -q 'Failing input written' "$tmp/$target.out" ||
           ! grep -q 'context deadline exceeded' "$tmp/$target.out" || [ "$attempt" -eq 3 ]; then
            cat "$tmp/$target.out" >&2
            fail "$target found a failure"
        fi
        echo "fuzz: $target: the fuzzer's deadline passed, trying again"
    done
    execs=$(grep -o 'execs: [0-9]*' "$tmp/$target.out" | tail -n1 | cut -d' ' -f2)
    echo "fuzz: $target: ${execs:-?} inputs in $fuzztime"
done
cd - >/dev/null

# --- Extents ----------------------------------------------------------
start_server extents "$(test_plugin hardening)" size=64M
timeout -k 5 600 /usr/bin/python3 - "$tmp/extents.sock" "$requests" <<'EOF' ||
import nbd, random, sys
h = nbd.NBD()
h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h.set_export_name("extents:random")
h.connect_unix(sys.argv[1])
size = h.get_size()
random.seed(6)
replies = errors = 0
for i in range(int(sys.argv[2])):
    count = random.choice([1, 512, 4096, 65536, 1 << 20, random.randint(1, 1 << 22)])
    offset = random.randint(0, size - 1)
    count = min(count, size - offset)
    flags = nbd.CMD_FLAG_REQ_ONE if random.random() < 0.3 else 0
    got = []
    try:
        h.block_status(count, offset, lambda ctx, off, e, err: got.append((off, e)) or 0, flags)
    except nbd.Error as e:
        assert e.errno in ("EINVAL", "EIO"), (offset, count, e.errno, e.string)
        errors += 1
        continue
    # A good reply: from the offset asked, extents of some bytes, of
    # known types, not beyond the disk; with REQ_ONE just one.
    assert len(got) == 1 and got[0][0] == offset, (offset, count, got)
    entries = got[0][1]
    assert entries and len(entries) % 2 == 0, entries
    lengths, types = entries[0::2], entries[1::2]
    assert all(n > 0 for n in lengths), entries
    assert all(t & ~(nbd.STATE_HOLE | nbd.STATE_ZERO) == 0 for t in types), entries
    assert offset + sum(lengths) <= size, (offset, count, entries)
    assert not flags or len(lengths) == 1, entries
    replies += 1
assert h.pread(512, 0) == bytes(512)
print("fuzz: extents: %d requests: %d good replies, %d refused" % (replies + errors, replies, errors))
assert replies > 0 and errors > 0
EOF
    fail "a client got a bad block status reply"
kill -0 "$server_pid" || fail "nbdkit died of random extents"
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_no_grep 'panic|SIGSEGV|fatal|Assertion' "$tmp/extents.log"
echo "fuzz: ok"
