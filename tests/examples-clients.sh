#!/usr/bin/env bash
# Serve every example through the real nbdkit and use it with real
# clients: nbdinfo, nbdsh, nbdcopy and qemu-img.
#
# Servers run in the foreground (start_server: nbdkit -f on a Unix
# socket); the tests/fork-*.sh tests cover nbdkit's forking modes.
. "$abs_top_srcdir/tests/lib/functions.sh"

### minimal: a 1 MiB read-only disk of zeroes.

start_server minimal "$(example_plugin minimal)"
[ "$("$NBDINFO" --size "$uri")" = 1048576 ] || fail "minimal: wrong size"
"$NBDINFO" --is read-only "$uri" || fail "minimal: not read-only"
nbdsh_check "$uri" '
assert h.get_size() == 1024 * 1024
assert h.is_read_only()
assert not h.can_trim() and not h.can_flush() and not h.can_fua()
assert h.pread(1024 * 1024, 0) == bytes(1024 * 1024)
assert h.pread(100, 12345) == bytes(100)
'
"$NBDCOPY" "$uri" "$tmp/minimal.raw"
cmp -n 1048576 "$tmp/minimal.raw" /dev/zero || fail "minimal: nbdcopy read something else than zeroes"
[ "$(stat -c %s "$tmp/minimal.raw")" -eq 1048576 ] || fail "minimal: nbdcopy copied the wrong size"
stop_server "$server_pid"

### ramdisk size=64M

size=$((64 * 1024 * 1024))

# The README's quick start, its last command word for word (from the
# README itself, the first quick start line): nbdkit --run serves the
# ramdisk to nbdsh.
quick=$(sed -n 's/^sudo apt-get .* && make && \(nbdkit -U - .*\)$/\1/p' "$abs_top_srcdir/README.md" | head -n1)
[ -n "$quick" ] || fail "no quick start command found in README.md"
(cd "$abs_top_builddir" && timeout -k 5 60 bash -c "$quick") >"$tmp/quick-start.out" ||
    fail "the README's quick start failed: $quick"
expect_grep "^bytearray\(b'hello'\)$" "$tmp/quick-start.out"

# Flags, and data written through one connection read back through it
# and through another (multi-conn).
start_server ramdisk "$(example_plugin ramdisk)" size=64M
[ "$("$NBDINFO" --size "$uri")" = "$size" ] || fail "ramdisk: wrong size"
nbdsh_check "$uri" '
assert h.get_size() == 64 * 1024 * 1024
assert not h.is_read_only()
assert h.can_multi_conn()
assert h.can_zero() and h.can_trim()
# No Flush, so neither flush nor FUA is advertised.
assert not h.can_flush() and not h.can_fua()

# A fresh disk reads as zeroes.
assert h.pread(1024 * 1024, 0) == bytes(1024 * 1024)
assert h.pread(4096, 64 * 1024 * 1024 - 4096) == bytes(4096)

# Writes that straddle page boundaries, and the last byte of the disk.
data = bytes(range(256)) * 1000
h.pwrite(data, 65536 - 100)
assert h.pread(len(data), 65536 - 100) == data
assert h.pread(100, 65536 - 200) == bytes(100)
h.pwrite(b"\xff", 64 * 1024 * 1024 - 1)
assert h.pread(2, 64 * 1024 * 1024 - 2) == b"\x00\xff"

# A second connection sees the same disk.
h2 = nbd.NBD()
h2.connect_uri(h.get_uri())
assert h2.pread(len(data), 65536 - 100) == data
h2.pwrite(b"second", 5)
assert h.pread(8, 3) == b"\x00\x00second"
h2.shutdown()

# Zero and trim, of parts of pages and of whole pages, compared with a
# model of the region.
base = 1024 * 1024
model = bytearray(b"\xaa" * (4 * 65536))
h.pwrite(bytes(model), base)
def clear(count, offset):
    model[offset:offset + count] = bytes(count)
    assert h.pread(len(model), base) == model
h.zero(1000, base + 10)
clear(1000, 10)
h.zero(2 * 65536, base + 65536)
clear(2 * 65536, 65536)
h.trim(65536 + 7, base + 3 * 65536 - 7)
clear(65536 + 7, 3 * 65536 - 7)
h.zero(10, base + 1010, nbd.CMD_FLAG_NO_HOLE)
clear(10, 1010)
assert model[:10] == b"\xaa" * 10 and model[1020:1030] == b"\xaa" * 10
h.trim(len(model), base)
clear(len(model), 0)
'
stop_server "$server_pid"

# nbdcopy in and out, qemu-img info and convert.
head -c $((16 * 1024 * 1024)) /dev/urandom >"$tmp/random.raw"
start_server ramdisk-copy "$(example_plugin ramdisk)" size=64M
"$NBDCOPY" "$tmp/random.raw" "$uri"
"$NBDCOPY" "$uri" "$tmp/copied.raw"
[ "$(stat -c %s "$tmp/copied.raw")" -eq "$size" ] || fail "ramdisk: nbdcopy copied the wrong size"
cmp -n $((16 * 1024 * 1024)) "$tmp/random.raw" "$tmp/copied.raw" ||
    fail "ramdisk: nbdcopy read back something else than it wrote"
cmp -i $((16 * 1024 * 1024)) -n $((48 * 1024 * 1024)) "$tmp/copied.raw" /dev/zero ||
    fail "ramdisk: the rest of the disk is not zeroes"

"$QEMU_IMG" info --output=json "$uri" >"$tmp/qemu-img-info.json"
expect_grep "\"virtual-size\": $size," "$tmp/qemu-img-info.json"
expect_grep '"format": "raw"' "$tmp/qemu-img-info.json"
"$QEMU_IMG" convert -f raw -O raw "$uri" "$tmp/converted.raw"
cmp "$tmp/copied.raw" "$tmp/converted.raw" || fail "ramdisk: qemu-img convert read something else"
stop_server "$server_pid"

# A bad size stops nbdkit with an error naming the key.
for bad in 64X "" -1 99999999999T; do
    status=0
    "$NBDKIT" -f -U "$tmp/bad.sock" "$(example_plugin ramdisk)" "size=$bad" \
        >"$tmp/bad.log" 2>&1 || status=$?
    [ "$status" -ne 0 ] || fail "ramdisk: size=$bad was accepted"
    expect_grep "error: .*size=$bad: " "$tmp/bad.log"
done
status=0
"$NBDKIT" -f -U "$tmp/bad.sock" "$(example_plugin ramdisk)" >"$tmp/bad.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "ramdisk: started without size="
expect_grep 'error: .*size parameter is required' "$tmp/bad.log"

### disk: a file-backed disk.

disk="$tmp/disk.img"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$disk"
cp "$disk" "$tmp/expected.img"
head -c 100000 /dev/urandom >"$tmp/patch"
export PATCH="$tmp/patch"

start_server disk "$(example_plugin disk)" file="$disk"
nbdsh_check "$uri" '
import os
assert h.get_size() == 4 * 1024 * 1024
assert not h.is_read_only()
assert h.can_flush() and h.can_fua() and h.can_trim() and h.can_multi_conn()
patch = open(os.environ["PATCH"], "rb").read()
h.pwrite(patch, 12345)
assert h.pread(len(patch), 12345) == patch
h.flush()
# FUA is emulated with Flush.
h.pwrite(b"fua write", 200000, nbd.CMD_FLAG_FUA)
# Zero is emulated by nbdkit with PWrite.
h.zero(1000, 300000)
assert h.pread(1000, 300000) == bytes(1000)
'
# The file holds exactly what was written, where it was written.
dd if="$tmp/patch" of="$tmp/expected.img" bs=1 seek=12345 conv=notrunc status=none
printf 'fua write' | dd of="$tmp/expected.img" bs=1 seek=200000 conv=notrunc status=none
dd if=/dev/zero of="$tmp/expected.img" bs=1 count=1000 seek=300000 conv=notrunc status=none
cmp "$disk" "$tmp/expected.img" || fail "disk: the file does not hold what was written"
[ "$(od -A n -t x1 -j 12345 -N 4 "$disk")" = "$(od -A n -t x1 -N 4 "$tmp/patch")" ] ||
    fail "disk: od shows the wrong bytes at 12345"
# The flush and the FUA write reached the server as such (nbdkit -v
# logs each request; the flush that emulates FUA is not logged).
expect_count 1 'debug: disk: flush$' "$tmp/disk.log"
expect_count 1 'debug: disk: pwrite count=9 offset=200000 fua=1$' "$tmp/disk.log"

# Trim punches a hole: the range reads back as zeroes, in the file too,
# and the file takes fewer blocks.
blocks_before=$(stat -c %b "$disk")
nbdsh_check "$uri" '
h.trim(1024 * 1024, 1024 * 1024)
assert h.pread(1024 * 1024, 1024 * 1024) == bytes(1024 * 1024)
assert h.pread(10, 1024 * 1024 - 10) != bytes(10)
'
blocks_after=$(stat -c %b "$disk")
cmp -i $((1024 * 1024)):0 -n $((1024 * 1024)) "$disk" /dev/zero ||
    fail "disk: the trimmed range of the file is not zeroes"
[ "$blocks_after" -lt "$blocks_before" ] ||
    fail "disk: trim freed no blocks ($blocks_before before, $blocks_after after)"
dd if=/dev/zero of="$tmp/expected.img" bs=1M count=1 seek=1 conv=notrunc status=none
cmp "$disk" "$tmp/expected.img" || fail "disk: trim changed more than the trimmed range"
stop_server "$server_pid"

# readonly=true: the client is told, and writes change nothing.
start_server disk-ro "$(example_plugin disk)" file="$disk" readonly=true
nbdsh_check "$uri" '
assert h.is_read_only()
assert not h.can_trim()
# Send the writes anyway (libnbd would refuse them itself): the server
# must refuse them.
h.set_strict_mode(0)
expect_errno("EPERM", "h.pwrite(b\"nope\", 0)")
expect_errno("EPERM", "h.trim(4096, 0)")
expect_errno("EPERM", "h.zero(4096, 0)")
assert h.pread(4, 12345) == open("'"$tmp/patch"'", "rb").read(4)
'
cmp "$disk" "$tmp/expected.img" || fail "disk: readonly=true let the file change"
stop_server "$server_pid"

# Configuration errors name the key.
status=0
"$NBDKIT" -f -U "$tmp/bad.sock" "$(example_plugin disk)" file="$tmp/no-such-file" \
    >"$tmp/bad.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "disk: started on a missing file"
expect_grep 'error: .*file parameter: .*no such file or directory' "$tmp/bad.log"
status=0
"$NBDKIT" -f -U "$tmp/bad.sock" "$(example_plugin disk)" file="$disk" readonly=maybe \
    >"$tmp/bad.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "disk: accepted readonly=maybe"
expect_grep 'error: .*readonly=maybe' "$tmp/bad.log"

### dump-plugin: served, it is a small read-only disk with a greeting.

start_server dump-plugin "$(example_plugin dump-plugin)"
[ "$("$NBDINFO" --size "$uri")" = 65536 ] || fail "dump-plugin: wrong size"
nbdsh_check "$uri" '
greeting = b"Hello from the dump-plugin example.\n"
assert h.is_read_only()
assert h.pread(len(greeting), 0) == greeting
assert h.pread(20, 6) == greeting[6:26]
assert h.pread(65536 - len(greeting), len(greeting)) == bytes(65536 - len(greeting))
'
stop_server "$server_pid"
