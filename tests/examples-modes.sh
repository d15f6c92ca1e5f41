#!/usr/bin/env bash
# Every example in each way nbdkit is started:
#   fg      nbdkit -f, in the foreground (start_server);
#   run     nbdkit -U - ... --run 'nbdsh ...', captive;
#   daemon  nbdkit -U SOCK -P PIDFILE ..., in the background, stopped
#           by the pid in its pid file.
# In each, nbdsh writes data and reads it back, and checks the backing
# file where there is one; the read-only examples are read and their
# content checked.  The file-backed examples are given relative paths,
# as a user types them: a daemon serves from /, so a plugin must make
# them absolute in Config (nbdkit.AbsolutePath).
. "$abs_top_srcdir/tests/lib/functions.sh"

# nbdkit starts in $data, where the relative paths point.
data=$tmp/data
mkdir "$data"
cd "$data"

# The backing file of disk and seekfile, named relative to $data.  Its
# name is this run's own, so that no file of that name can be found
# elsewhere (in a daemon's /, say) by mistake.
file=$(basename "$tmp").img

# What the checks get from the environment: the mode, written into the
# data so that each mode writes something new, and the backing file's
# absolute path.
export MODE FILE="$data/$file" CHECK_SCRIPT

### The checks, one nbdsh script per example: h is connected.

check_minimal='
assert h.get_size() == 1 << 20
assert h.is_read_only()
assert h.pread(1 << 20, 0) == bytes(1 << 20)
'

check_dump_plugin='
greeting = b"Hello from the dump-plugin example.\n"
assert h.is_read_only()
assert h.get_size() == 65536
assert h.pread(65536, 0) == greeting + bytes(65536 - len(greeting))
'

# Every export is listed, and each serves its own byte; the default is
# red.
check_exports='
expected = [("red", b"R", 1 << 20), ("green", b"G", 2 << 20), ("blue", b"B", 4 << 20)]
assert h.is_read_only()
assert h.get_size() == 1 << 20
assert h.pread(1 << 20, 0) == b"R" * (1 << 20)
uri = h.get_uri()
lister = nbd.NBD()
lister.set_opt_mode(True)
lister.connect_uri(uri)
names = []
lister.opt_list(lambda name, description: names.append(name))
lister.opt_abort()
assert names == [name for name, fill, size in expected], names
for name, fill, size in expected:
    h2 = nbd.NBD()
    h2.connect_uri(uri.replace(":///", ":///" + name, 1))
    assert h2.get_size() == size, (name, h2.get_size())
    assert h2.pread(size, 0) == fill * size, name
    h2.shutdown()
'

# A fresh disk of zeroes; data written, zeroed, and seen by a second
# connection.
check_ramdisk='
import os
data = ("ramdisk %s " % os.environ["MODE"]).encode() * 4096
assert h.get_size() == 16 << 20
assert not h.is_read_only()
assert h.pread(len(data), 1 << 20) == bytes(len(data))
h.pwrite(data, 1 << 20)
assert h.pread(len(data), 1 << 20) == data
h.zero(4096, 1 << 20)
assert h.pread(4096, 1 << 20) == bytes(4096)
h2 = nbd.NBD()
h2.connect_uri(h.get_uri())
assert h2.pread(len(data) - 4096, (1 << 20) + 4096) == data[4096:]
h2.shutdown()
'

# Data written and read back, and block status: the written pages are
# data, the rest of the disk a hole.
check_sparse='
import os
data = ("sparse %s " % os.environ["MODE"]).encode() * 4096
assert h.get_size() == 16 << 20
h.pwrite(data, 1 << 20)
assert h.pread(len(data), 1 << 20) == data
h.pwrite(b"FUA", 8 << 20, nbd.CMD_FLAG_FUA)
assert h.pread(3, 8 << 20) == b"FUA"
h2 = nbd.NBD()
h2.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
h2.connect_uri(h.get_uri())
extents = []
def collect(context, offset, entries, err):
    extents.extend(zip(entries[0::2], entries[1::2]))
h2.block_status(16 << 20, 0, collect)
def flags_at(offset):
    start = 0
    for length, flags in extents:
        if start <= offset < start + length:
            return flags
        start += length
    raise AssertionError("no extent at %d: %r" % (offset, extents))
hole = nbd.STATE_HOLE | nbd.STATE_ZERO
assert flags_at(0) == hole, extents
assert flags_at(1 << 20) == 0, extents
assert flags_at((1 << 20) + len(data) - 1) == 0, extents
assert flags_at(4 << 20) == hole, extents
h2.shutdown()
'

# file_at(offset, count): what the backing file holds there.
file_py='
import os
path = os.environ["FILE"]
def file_at(offset, count):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(count)
'

# The disk is the file: what the client reads is in it, and what it
# writes, flushes and trims reaches it.
check_disk=$file_py'
data = ("disk %s " % os.environ["MODE"]).encode() * 4096
assert h.get_size() == os.path.getsize(path) == 4 << 20
assert not h.is_read_only()
assert h.pread(4 << 20, 0) == file_at(0, 4 << 20)
h.pwrite(data, 12345)
h.flush()
assert h.pread(len(data), 12345) == data
assert file_at(12345, len(data)) == data
h.trim(1 << 20, 2 << 20)
assert h.pread(1 << 20, 2 << 20) == bytes(1 << 20)
assert file_at(2 << 20, 1 << 20) == bytes(1 << 20)
'

# readonly=yes: the client is told, a write sent anyway is refused
# with EPERM, and the file does not change.
check_disk_ro='
import os
with open(os.environ["FILE"], "rb") as f:
    before = f.read()
assert h.is_read_only()
assert h.pread(len(before), 0) == before
h.set_strict_mode(0)
expect_errno("EPERM", "h.pwrite(b\"nope\", 0)")
with open(os.environ["FILE"], "rb") as f:
    assert f.read() == before
'

# seekfile: the same file checks as disk, without trim.
check_seekfile=$file_py'
data = ("seekfile %s " % os.environ["MODE"]).encode() * 4096
assert h.get_size() == 4 << 20
assert h.pread(4 << 20, 0) == file_at(0, 4 << 20)
h.pwrite(data, 100000)
h.pwrite(b"FUA", 3 << 20, nbd.CMD_FLAG_FUA)
h.flush()
assert h.pread(len(data), 100000) == data
assert file_at(100000, len(data)) == data
assert file_at(3 << 20, 3) == b"FUA"
'

# readerat: nbdkit.NewReaderAtConnection over the file, written, flushed
# and read back; readonly=yes refuses writes.
check_readerat='
import os
path = os.environ["FILE"]
data = ("readerat %s " % os.environ["MODE"]).encode() * 1000
assert h.get_size() == 4 << 20
assert h.can_flush() and not h.is_read_only()
with open(path, "rb") as f:
    assert h.pread(65536, 0) == f.read(65536)
h.pwrite(data, 4096)
h.flush()
assert h.pread(len(data), 4096) == data
with open(path, "rb") as f:
    f.seek(4096)
    assert f.read(len(data)) == data
'
check_readerat_ro='
import os
assert h.is_read_only()
with open(os.environ["FILE"], "rb") as f:
    assert h.pread(65536, 65536) == f.read(131072)[65536:]
h.set_strict_mode(0)
expect_errno("EPERM", "h.pwrite(b\"x\", 0)")
'

### The modes.  Each runs $CHECK_SCRIPT against the served example.

# mode_fg NAME PLUGIN ARGS...
mode_fg ()
{
    local name=$1-fg; shift
    start_server "$name" "$@"
    nbdsh_check "$uri" "$CHECK_SCRIPT" ||
        { cat "$tmp/$name.log" >&2; fail "$name: the check failed"; }
    stop_server "$server_pid" || fail "$name: nbdkit exited with status $?"
}

# mode_run NAME PLUGIN ARGS...: nbdkit's exit status is nbdsh's.
mode_run ()
{
    local name=$1-run; shift
    timeout -k 5 "$server_timeout" "$NBDKIT" -U - "$@" \
        --run "$(printf %q "$NBDSH")"' -u "$uri" -c "from nbdcheck import *" -c "$CHECK_SCRIPT"' \
        >"$tmp/$name.log" 2>&1 ||
        { cat "$tmp/$name.log" >&2; fail "$name: nbdkit --run failed"; }
}

# mode_daemon NAME PLUGIN ARGS...: the starting command returns once
# the server serves, with its pid file written.
mode_daemon ()
{
    local name=$1-daemon; shift
    local sock=$tmp/$name.sock
    start_daemon --now "$tmp/$name.pid" -U "$sock" "$@"
    [ "$(readlink "/proc/$daemon_pid/cwd")" = / ] || fail "$name: the daemon does not run in /"
    nbdsh_check "nbd+unix:///?socket=$sock" "$CHECK_SCRIPT" ||
        fail "$name: the check failed (the daemon logs to syslog)"
    kill_daemon "$daemon_pid"
}

### Every example in every mode.

# A new backing file of random data for each run of a file-backed
# example.
new_file () { head -c $((4 * 1024 * 1024)) /dev/urandom >"$FILE"; }

for name in minimal dump-plugin exports ramdisk sparse disk disk-ro seekfile readerat readerat-ro; do
    example=$name
    args=()
    case $name in
        ramdisk) args=(size=16M) ;;
        sparse) args=(16M) ;;                   # the magic config key, size=
        disk) args=(file="$file") ;;
        disk-ro) example=disk args=(file="$file" readonly=yes) ;;
        seekfile) args=("$file") ;;            # the magic config key, file=
        readerat) args=(file="$file") ;;
        readerat-ro) example=readerat args=(file="$file" readonly=yes) ;;
    esac
    check=check_${name//-/_}
    CHECK_SCRIPT=${!check}
    for MODE in fg run daemon; do
        case $example in disk|seekfile|readerat) new_file ;; esac
        "mode_$MODE" "$name" "$(example_plugin "$example")" "${args[@]}"
        echo "$name: $MODE: checked"
    done
done

### disk's readonly= takes every boolean nbdkit knows.

for value in yes on 1 true TRUE no off 0 false; do
    case $value in
        yes|on|1|true|TRUE) want=0 ;;           # nbdinfo --is: 0 is true
        *) want=2 ;;                            # 2 is false
    esac
    status=0
    timeout -k 5 60 "$NBDKIT" -U - "$(example_plugin disk)" file="$file" "readonly=$value" \
        --run "$(printf %q "$NBDINFO")"' --is read-only "$uri"' >"$tmp/bool.log" 2>&1 ||
        status=$?
    [ "$status" -eq "$want" ] ||
        { cat "$tmp/bool.log" >&2; fail "disk: readonly=$value: nbdinfo --is read-only exited with $status, not $want"; }
done
echo "disk: readonly= takes yes, on, 1, true, TRUE, no, off, 0 and false"
