# Load with data verification, for tests/load-verify.sh and errors-faults.sh.
# Run with Debian's python3 (which has the nbd module):
#
#   python3 load.py --uri URI --first 8 --connections 8 --seconds 10 \
#       --region 2M --depth 8 --report FILE --model FILE
#
# Each connection owns a region of the disk (connection g of the whole
# run: bytes [g*region, (g+1)*region)), cut into slots.  It keeps
# --depth requests in flight, each in a slot that no other request of
# the connection is using, so the expected content (the model) is
# exact whatever order the server runs them in: pread, pwrite (FUA at
# random), zero (fast zero at random), trim, cache, block status
# (REQ_ONE at random) and flush, as far as the server offers them.
# Every successful read is checked against the model, and every extent
# that block status calls zero against the model's zeroes.  All
# connections of the process are driven by one select() loop.
#
# With --faults ERRNO,OP:ERRNO,... requests may fail with those errnos
# (ERRNO: any request; OP:ERRNO: requests of type OP): a failure is
# counted, and what a failed write, zero or trim covered is unknown
# until read back.  Any other errno is an unexpected error.  Data read must match the
# model wherever it is known: a failure may be an error, never wrong
# data.  With --tolerate-disconnect, the server going away ends the run
# without failing it.
#
# At the end each connection's region is read back through another
# connection of the process (multi-conn), and --model FILE saves a hash
# of every 64 KiB of the model that is known, for --verify.
#
#   python3 load.py --uri URI --verify MODEL...
#
# reads the whole of each saved region through one new connection and
# compares it with the hashes.
#
# The last line of output is a JSON summary; --report FILE saves it too.

import argparse
import errno as errnos
import hashlib
import json
import os
import random
import select
import sys
import time

import nbd

CHUNK = 64 * 1024           # hashes in the model file
ERRNOS = {"EPERM": 1, "EIO": 5, "ENOMEM": 12, "EINVAL": 22, "ENOSPC": 28,
          "ESHUTDOWN": 108, "EOVERFLOW": 75, "ENOTSUP": 95}


class Disconnected(Exception):
    pass


def size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if s and s[-1].upper() in units:
        return int(s[:-1]) * units[s[-1].upper()]
    return int(s)


class Connection:
    """One NBD connection, its region and its model of the region."""

    def __init__(self, run, index, base):
        self.run = run
        self.index = index
        self.base = base
        self.model = bytearray(run.region)      # the disk starts zeroed
        self.known = bytearray(b"\1" * run.region)
        h = nbd.NBD()
        h.set_handle_name("load%d" % index)
        h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
        h.connect_uri(run.uri)
        self.h = h
        self.fd = h.aio_get_fd()
        self.free_slots = list(range(run.slots))
        random.shuffle(self.free_slots)
        self.in_flight = 0
        ops = [("pread", 30), ("pwrite", 30)]
        if h.can_zero():
            ops.append(("zero", 8))
        if h.can_trim():
            ops.append(("trim", 8))
        if h.can_cache():
            ops.append(("cache", 4))
        if h.can_meta_context(nbd.CONTEXT_BASE_ALLOCATION):
            ops.append(("block_status", 12))
        if h.can_flush():
            ops.append(("flush", 4))
        self.ops = [name for name, weight in ops for _ in range(weight)]
        self.fua = h.can_fua()
        self.fast_zero = h.can_fast_zero()
        if not h.can_multi_conn() and run.connections > 1:
            raise Exception("the server does not offer multi-conn")

    # The model.

    def known_runs(self, start, end):
        """The runs [s, e) of known bytes in [start, end), in order."""
        known = self.known
        s = start
        while s < end:
            s = known.find(1, s, end)
            if s < 0:
                return
            e = known.find(0, s, end)
            if e < 0:
                e = end
            yield s, e
            s = e

    def learn(self, start, data):
        """A successful write: the region holds data at start."""
        self.model[start:start + len(data)] = data
        self.known[start:start + len(data)] = b"\1" * len(data)

    def forget(self, start, length):
        self.known[start:start + length] = bytes(length)

    def check_read(self, start, data):
        """Compare a successful read with the model, then adopt what was
        unknown."""
        end = start + len(data)
        if self.known.find(0, start, end) < 0:
            if data != self.model[start:end]:
                self.mismatch("pread", start, data, self.model[start:end])
            return
        view = memoryview(data)
        for s, e in self.known_runs(start, end):
            if view[s - start:e - start] != self.model[s:e]:
                self.mismatch("pread", s, bytes(view[s - start:e - start]), self.model[s:e])
        self.learn(start, data)

    def check_zero(self, start, end):
        """Block status said [start, end) reads as zeroes."""
        for s, e in self.known_runs(start, end):
            if self.model.count(0, s, e) != e - s:
                self.mismatch("block_status", s, bytes(e - s), self.model[s:e])

    def mismatch(self, op, start, got, want):
        self.run.mismatches += 1
        first = next(i for i in range(len(want)) if got[i] != want[i])
        if self.run.mismatches <= 10:
            print("MISMATCH: %s on connection %d at disk offset %d: byte %d is %d, want %d"
                  % (op, self.index, self.base + start + first, first, got[first], want[first]),
                  file=sys.stderr)

    # Requests.

    def issue(self):
        """Start one request in a free slot."""
        run = self.run
        op = random.choice(self.ops)
        slot = self.free_slots.pop()
        slot_start = slot * run.slot_size
        length = random.choice([1, 512, 4096, 65536, run.slot_size,
                                random.randint(1, run.slot_size)])
        length = min(length, run.slot_size)
        start = slot_start + random.randint(0, run.slot_size - length)
        if random.random() < 0.5:
            start -= start % 512
        offset = self.base + start
        h = self.h
        fast = op == "zero" and self.fast_zero and random.random() < 0.25

        def done(err, action=None):
            self.free_slots.append(slot)
            self.in_flight -= 1
            if fast and err.value == errnos.ENOTSUP:
                # A fast zero the plugin cannot do fast fails at once,
                # leaving the data alone (the model still holds).
                run.count("fast_zero_refused", 0)
                return 1
            run.count(op, err.value)
            if err.value == 0:
                if action:
                    action()
            elif op in ("pwrite", "zero", "trim"):
                self.forget(start, length)
            return 1

        if op == "pread":
            buf = nbd.Buffer(length)
            h.aio_pread(buf, offset,
                        lambda err: done(err, lambda: self.check_read(start, buf.to_bytearray())))
        elif op == "pwrite":
            data = random.randbytes(length)
            flags = nbd.CMD_FLAG_FUA if self.fua and random.random() < 0.25 else 0
            h.aio_pwrite(nbd.Buffer.from_bytearray(bytearray(data)), offset,
                         lambda err: done(err, lambda: self.learn(start, data)), flags)
        elif op in ("zero", "trim"):
            flags = nbd.CMD_FLAG_FUA if self.fua and random.random() < 0.25 else 0
            if fast:
                flags |= nbd.CMD_FLAG_FAST_ZERO
            call = h.aio_zero if op == "zero" else h.aio_trim
            # Every plugin under test reads a trimmed range back as zeroes.
            call(length, offset,
                 lambda err: done(err, lambda: self.learn(start, bytes(length))), flags)
        elif op == "cache":
            h.aio_cache(length, offset, done)
        elif op == "flush":
            h.aio_flush(done)
        elif op == "block_status":
            zeroes = []

            def extent(metacontext, off, entries, err):
                pos = off
                for i in range(0, len(entries), 2):
                    n, flags = entries[i], entries[i + 1]
                    if n == 0:
                        run.mismatches += 1
                        print("MISMATCH: block status gave an empty extent", file=sys.stderr)
                    if flags & nbd.STATE_ZERO:
                        zeroes.append((pos, min(pos + n, offset + length)))
                    pos += n
                return 0

            def check():
                for s, e in zeroes:
                    if s < e:
                        self.check_zero(s - self.base, e - self.base)

            flags = nbd.CMD_FLAG_REQ_ONE if random.random() < 0.25 else 0
            h.aio_block_status(length, offset, extent, lambda err: done(err, check), flags)
        self.in_flight += 1

    def verify_region(self, reader):
        """Read the whole region through another connection."""
        for start in range(0, self.run.region, 256 * 1024):
            n = min(256 * 1024, self.run.region - start)
            self.check_read(start, read_retrying(reader.h, n, self.base + start))

    def model_hashes(self):
        return [hashlib.sha256(self.model[s:s + CHUNK]).hexdigest()
                if self.known.find(0, s, s + CHUNK) < 0 else None
                for s in range(0, self.run.region, CHUNK)]


retries = 0


def read_retrying(h, n, offset):
    """A read that an injected fault may fail: try again."""
    global retries
    for attempt in range(100):
        try:
            return h.pread(n, offset)
        except nbd.Error as e:
            if e.errno not in ERRNOS or attempt == 99:
                raise
            retries += 1


class Run:
    def __init__(self, args):
        self.uri = args.uri
        self.connections = args.connections
        self.region = size(args.region)
        self.depth = args.depth
        self.slots = max(2 * args.depth, 16)
        self.slot_size = self.region // self.slots
        self.allowed = {"*": set()}
        for spec in filter(None, args.faults.split(",")):
            op, _, errno = spec.rpartition(":")
            self.allowed.setdefault(op or "*", set()).add(ERRNOS[errno])
        if args.tolerate_disconnect:
            # What requests in flight fail with when the server goes.
            self.allowed["*"] |= {errnos.ENOTCONN, errnos.ESHUTDOWN, errnos.ECONNRESET,
                                  errnos.EPIPE}
        self.ops = {}
        self.errors = {}
        self.unexpected = 0
        self.mismatches = 0

    def count(self, op, errno):
        self.ops[op] = self.ops.get(op, 0) + 1
        if errno:
            key = "%s:%s" % (op, os.strerror(errno))
            self.errors[key] = self.errors.get(key, 0) + 1
            if errno not in self.allowed["*"] | self.allowed.get(op, set()):
                self.unexpected += 1
                if self.unexpected <= 10:
                    print("UNEXPECTED ERROR: %s failed: %s" % (op, os.strerror(errno)),
                          file=sys.stderr)


def load(args):
    run = Run(args)
    random.seed(args.seed * 1000 + args.first)
    conns = [Connection(run, g, g * run.region)
             for g in range(args.first, args.first + args.connections)]
    by_fd = {c.fd: c for c in conns}
    start = time.monotonic()
    deadline = start + args.seconds
    disconnected = None
    try:
        while True:
            running = time.monotonic() < deadline
            if running:
                for c in conns:
                    while c.in_flight < run.depth and c.free_slots:
                        c.issue()
            elif all(c.in_flight == 0 for c in conns):
                break
            readers, writers = [], []
            for c in conns:
                direction = c.h.aio_get_direction()
                if direction & nbd.AIO_DIRECTION_READ:
                    readers.append(c.fd)
                if direction & nbd.AIO_DIRECTION_WRITE:
                    writers.append(c.fd)
            if any(c.h.aio_is_dead() or c.h.aio_is_closed() for c in conns):
                raise Disconnected("the server closed the connection")
            r, w, _ = select.select(readers, writers, [], 1.0)
            for fd in r:
                by_fd[fd].h.aio_notify_read()
            for fd in w:
                by_fd[fd].h.aio_notify_write()
    except (nbd.Error, Disconnected) as e:
        if not args.tolerate_disconnect:
            raise
        disconnected = str(e)
    seconds = time.monotonic() - start
    if disconnected is None:
        for i, c in enumerate(conns):
            c.verify_region(conns[(i + 1) % len(conns)])
        if args.model:
            with open(args.model, "w") as f:
                json.dump([{"base": c.base, "region": run.region, "hashes": c.model_hashes()}
                           for c in conns], f)
        for c in conns:
            c.h.shutdown()
    summary = {"connections": len(conns), "depth": run.depth, "seconds": round(seconds, 1),
               "ops": sum(run.ops.values()), "by_op": run.ops, "errors": run.errors,
               "unexpected_errors": run.unexpected, "mismatches": run.mismatches,
               "disconnected": disconnected, "read_retries": retries}
    return summary


def verify(args):
    h = nbd.NBD()
    h.connect_uri(args.uri)
    summary = {"chunks": 0, "unknown": 0, "mismatches": 0}
    for name in args.verify:
        with open(name) as f:
            regions = json.load(f)
        for r in regions:
            for i, want in enumerate(r["hashes"]):
                if want is None:
                    summary["unknown"] += 1
                    continue
                offset = r["base"] + i * CHUNK
                n = min(CHUNK, r["region"] - i * CHUNK)
                got = hashlib.sha256(read_retrying(h, n, offset)).hexdigest()
                summary["chunks"] += 1
                if got != want:
                    summary["mismatches"] += 1
                    print("MISMATCH: the 64 KiB at %d differ from the model" % offset,
                          file=sys.stderr)
    h.shutdown()
    summary["read_retries"] = retries
    return summary


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--uri", required=True)
    p.add_argument("--first", type=int, default=0)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--region", default="2M")
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", default="")
    p.add_argument("--tolerate-disconnect", action="store_true")
    p.add_argument("--model")
    p.add_argument("--report")
    p.add_argument("--verify", nargs="+")
    args = p.parse_args()
    summary = verify(args) if args.verify else load(args)
    line = json.dumps(summary, sort_keys=True)
    if args.report:
        with open(args.report, "w") as f:
            f.write(line + "\n")
    print(line)
    ok = summary["mismatches"] == 0 and summary.get("unexpected_errors", 0) == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
