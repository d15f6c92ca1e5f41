# Bad input from a client, for tests/errors-bad-input.sh: what libnbd
# will not send.  A minimal NBD client over a Unix socket, speaking the fixed
# newstyle handshake byte by byte (the protocol is in
# https://github.com/NetworkBlockDevice/nbd/blob/master/doc/proto.md).
#
#   python3 rawnbd.py SOCKET
#
# Each case prints one line: what was sent, and what the server did
# (its reply, or that it closed the connection).  A case fails (and so
# does the script) if the server answers something it must not, or
# does not answer within 10 seconds.

import socket
import struct
import sys

NBDMAGIC = b"NBDMAGIC"
IHAVEOPT = b"IHAVEOPT"
REPLY_MAGIC = 0x3e889045565a9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_INFO, OPT_GO = 1, 2, 3, 6, 7
REP_ACK, REP_SERVER, REP_INFO = 1, 2, 3
ERR = 1 << 31
CMD_READ, CMD_WRITE = 0, 1

sock_path = sys.argv[1]
failures = 0


class Closed(Exception):
    pass


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise Closed()
        data += chunk
    return data


def connect():
    """Connect and finish the server's greeting (fixed newstyle)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    greeting = recv_exactly(s, 18)
    assert greeting[:16] == NBDMAGIC + IHAVEOPT, greeting
    s.sendall(struct.pack(">I", 1))     # client flags: FIXED_NEWSTYLE
    return s


def option(s, opt, data, length=None):
    s.sendall(IHAVEOPT + struct.pack(">II", opt, len(data) if length is None else length) + data)


def reply(s):
    """The next option reply: (type, data)."""
    magic, opt, rtype, length = struct.unpack(">QIII", recv_exactly(s, 20))
    assert magic == REPLY_MAGIC, hex(magic)
    return rtype, recv_exactly(s, length)


def go(s, name, opt=OPT_GO):
    """NBD_OPT_GO (or INFO) for name: the replies up to the final one."""
    option(s, opt, struct.pack(">I", len(name)) + name + struct.pack(">H", 0))
    replies = []
    while True:
        rtype, data = reply(s)
        replies.append((rtype, data))
        if rtype != REP_INFO:
            return replies


def rtype_name(rtype):
    if rtype & ERR:
        return "error %d" % (rtype & ~ERR)
    return {REP_ACK: "ack", REP_SERVER: "server", REP_INFO: "info"}.get(rtype, str(rtype))


def case(description, run, expect):
    """Run one case: run(s) returns what happened, which must be one of
    expect ("refused": an error reply, "closed": the server hung up,
    "ok": it accepted)."""
    global failures
    try:
        s = connect()
        try:
            outcome = run(s)
        except (Closed, ConnectionResetError, BrokenPipeError):
            outcome = "closed"
        except socket.timeout:
            outcome = "no answer within 10 s"
        s.close()
    except Exception as e:
        outcome = "exception: %r" % e
    good = outcome.split(":")[0] in expect
    if not good:
        failures += 1
    print("%s: %s: %s" % ("ok" if good else "FAIL", description, outcome))


def go_outcome(name, opt=OPT_GO):
    def run(s):
        replies = go(s, name, opt)
        rtype = replies[-1][0]
        if rtype & ERR:
            return "refused: %s %s" % (rtype_name(rtype), replies[-1][1][:80])
        size = [struct.unpack(">QH", d[2:12])[0] for t, d in replies
                if t == REP_INFO and d[:2] == b"\0\0"]
        return "ok: export of %s bytes" % size
    return run


# Export names the NBD protocol forbids or that C would cut short.
case("OPT_GO, export name with a NUL byte", go_outcome(b"a\0b"), ["refused", "closed"])
case("OPT_INFO, export name with a NUL byte", go_outcome(b"\0", OPT_INFO), ["refused", "closed"])
case("OPT_GO, export name of 4097 bytes", go_outcome(b"x" * 4097), ["refused", "closed"])
case("OPT_GO, export name of 65536 bytes", go_outcome(b"y" * 65536), ["refused", "closed"])
# nbdkit 1.32 lets this one through: the plugin must see it intact.
case("OPT_GO, export name that is not UTF-8", go_outcome(b"\xff\xfe\x80"), ["refused", "ok"])
case("OPT_GO, export name of 4096 bytes", go_outcome(b"z" * 4096), ["ok"])


def export_name_nul(s):
    # The oldest way: NBD_OPT_EXPORT_NAME, no reply, the server goes
    # straight to transmission or closes.
    option(s, OPT_EXPORT_NAME, b"bad\0name")
    data = s.recv(10)
    return "closed" if not data else "ok: %r" % data


case("OPT_EXPORT_NAME, export name with a NUL byte", export_name_nul, ["closed"])


def lying_length(s):
    # The option says 2 GiB of data follow, and none does.
    option(s, OPT_GO, b"", length=0x7fffffff)
    rtype, data = reply(s)
    return "refused: %s" % rtype_name(rtype) if rtype & ERR else "ok"


case("option length of 2 GiB", lying_length, ["refused", "closed"])


def name_longer_than_option(s):
    # The name's length is more than the option's data.
    option(s, OPT_GO, struct.pack(">I", 1000) + b"abc" + struct.pack(">H", 0))
    rtype, data = reply(s)
    return "refused: %s" % rtype_name(rtype) if rtype & ERR else "ok"


case("export name longer than its option", name_longer_than_option, ["refused", "closed"])


def unknown_option(s):
    option(s, 0x7777, b"junk")
    rtype, data = reply(s)
    if not rtype & ERR:
        return "ok"
    return go_outcome(b"")(s).replace("ok", "refused then ok", 1)


case("unknown option, then a good OPT_GO", unknown_option, ["refused then ok"])


def transmission(requests):
    """After a good OPT_GO, send raw requests; the outcome of each."""
    def run(s):
        replies = go(s, b"")
        assert not replies[-1][0] & ERR, replies
        outcomes = []
        for magic, cmd, offset, length, payload in requests:
            s.sendall(struct.pack(">IHHQQI", magic, 0, cmd, 0x1234, offset, length) + payload)
            rmagic, error, handle = struct.unpack(">IIQ", recv_exactly(s, 16))
            assert rmagic == SIMPLE_REPLY_MAGIC and handle == 0x1234, (hex(rmagic), handle)
            if error == 0 and cmd == CMD_READ:
                recv_exactly(s, length)
            outcomes.append("error %d" % error if error else "ok")
        if "ok" not in outcomes:
            return "refused: " + ", ".join(outcomes)
        return ("ok: " if len(set(outcomes)) == 1 else "mixed: ") + ", ".join(outcomes)
    return run


M = 1 << 20
# The disk is 1 MiB: out of bounds is refused by nbdkit (EINVAL, 22),
# never seen by the plugin; then a good read works.
case("read and write beyond the end of the disk",
     transmission([(REQUEST_MAGIC, CMD_READ, M - 512, 1024, b""),
                   (REQUEST_MAGIC, CMD_READ, 1 << 62, 512, b""),
                   (REQUEST_MAGIC, CMD_WRITE, M, 512, b"w" * 512)]), ["refused"])
case("read of 64 MiB", transmission([(REQUEST_MAGIC, CMD_READ, 0, 64 * M, b"")]),
     ["refused", "closed"])
case("read of 0 bytes, then of 512",
     transmission([(REQUEST_MAGIC, CMD_READ, 0, 0, b""), (REQUEST_MAGIC, CMD_READ, 0, 512, b"")]),
     ["ok", "mixed", "refused", "closed"])
case("unknown command", transmission([(REQUEST_MAGIC, 99, 0, 512, b"")]), ["refused", "closed"])
case("bad request magic", transmission([(0xdeadbeef, CMD_READ, 0, 512, b"")]), ["closed"])


def truncated(s):
    replies = go(s, b"")
    s.sendall(struct.pack(">IHHQ", REQUEST_MAGIC, 0, CMD_WRITE, 1))   # half a header
    s.shutdown(socket.SHUT_WR)
    return "closed" if not s.recv(1) else "ok"


case("half a request, then the client hangs up", truncated, ["closed"])


def garbage(s):
    s.sendall(bytes(range(256)) * 64)
    rtype, data = reply(s)
    return "ok"


case("16 KiB of garbage instead of an option", garbage, ["closed"])

print("%d failures" % failures)
sys.exit(1 if failures else 0)
