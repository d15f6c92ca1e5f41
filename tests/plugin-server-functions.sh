#!/usr/bin/env bash
# Server functions, called by the features plugin (call=PHASE:FUNCTION:ARG)
# and their results logged: every Parse* on good and bad input,
# ReadPassword from a value, +FILE and -FD (and the password never in
# nbdkit's -v log), Realpath and AbsolutePath relative to nbdkit's
# directory, Nanosleep, ExportName, IsTLS, PeerName and the peer's
# pid/uid/gid over a Unix socket, StdioSafe, and Shutdown.
# The functions of newer nbdkit releases fail with ErrNotSupported on an
# older nbdkit, and work on a newer one: ParseProbability and ParseDelay
# on good and bad input, PeerSecurityContext, PeerTLSDN and
# PeerTLSIssuerDN (tests/security.sh has them with a client
# certificate), and Disconnect, which drops the client.  Every function
# that needs a client, called where there is none (any callback
# outside a connection, any goroutine) returns an error and never makes
# nbdkit abort; Nanosleep and Shutdown before nbdkit serves are safe.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

# expect_line LINE FILE: LINE is a whole line of FILE, exactly.
expect_line ()
{
    grep -F -x -q -- "$1" "$2" || { cat "$2" >&2; fail "line not found in $2: $1"; }
}

# Good input: FUNCTION:ARG=RESULT.
good=(
    ParseSize:1M=1048576 ParseSize:512=512 ParseSize:2k=2048 ParseSize:1G=1073741824
    ParseSize:0=0 ParseSizeOf:64K=65536
    ParseBool:on=true ParseBool:OFF=false ParseBool:Yes=true ParseBool:0=false
    ParseBool:true=true ParseBool:1=true ParseBool:no=false
    ParseInt:0x10=16 ParseInt:010=8 ParseInt:-5=-5 ParseInt:2147483647=2147483647
    ParseUint:4294967295=4294967295 ParseUint:0=0
    ParseInt8:127=127 ParseInt8:-128=-128
    ParseUint8:255=255 ParseUint8:0xff=255
    ParseInt16:32767=32767 ParseInt16:-32768=-32768
    ParseUint16:65535=65535
    ParseInt32:-2147483648=-2147483648 ParseInt32:0x7fffffff=2147483647
    ParseUint32:0xffffffff=4294967295
    ParseInt64:-9223372036854775808=-9223372036854775808
    ParseInt64:9223372036854775807=9223372036854775807
    ParseUint64:18446744073709551615=18446744073709551615 ParseUint64:0x10=16
    ParseUint64:0777=511
)
# Bad input: FUNCTION:ARG=ERRNO (the errno in the error's text).
bad=(
    ParseSize:1X=22 ParseSize:=22 ParseSize:abc=22 ParseSize:-1=22 ParseSizeOf:1X=22
    ParseBool:maybe=22 ParseBool:=22 ParseBool:2=22
    ParseInt:1.5=22 ParseInt:12abc=22 ParseInt:=22 ParseInt:0x=22 ParseInt:2147483648=34
    ParseUint:-1=22 ParseUint:4294967296=34
    ParseInt8:128=34 ParseInt8:-129=34
    ParseUint8:256=34 ParseUint8:-1=22
    ParseInt16:32768=34 ParseUint16:65536=34
    ParseInt32:2147483648=34 ParseUint32:4294967296=34
    ParseInt64:9223372036854775808=34
    ParseUint64:18446744073709551616=34 ParseUint64:-1=22
)
# The functions of newer releases, with the release that has them.
declare -A since=([Disconnect]=1.34 [ParseProbability]=1.36 [PeerSecurityContext]=1.36
                  [ParseDelay]=1.40 [PeerTLSDN]=1.40 [PeerTLSIssuerDN]=1.40)
has () { nbdkit_at_least "${since[$1]}"; }
if has ParseProbability; then
    # Any number that is not negative, above 1 too; N:M is N/M.
    good+=(ParseProbability:0.5=0.5 ParseProbability:10%=0.1 ParseProbability:1/10=0.1
           ParseProbability:1:10=0.1 ParseProbability:200%=2 ParseProbability:2=2
           ParseProbability:3/2=1.5 ParseProbability:0=0 ParseProbability:0/0=0
           ParseProbability:1e-3=0.001)
    bad+=(ParseProbability:-0.1=22 ParseProbability:-5%=22 ParseProbability:1/0=22
          ParseProbability:nan=22 ParseProbability:inf=22 ParseProbability:abc=22
          ParseProbability:10%%=22 ParseProbability:=22)
fi
if has ParseDelay; then
    # nbdkit does not check the range: the binding refuses 2^32 s.
    good+=(ParseDelay:1s=1s ParseDelay:10=10s ParseDelay:1.5s=1.5s ParseDelay:40ms=40ms
           ParseDelay:10us=10µs ParseDelay:10μs=10µs ParseDelay:100ns=100ns ParseDelay:0=0s
           ParseDelay:1e3ms=1s ParseDelay:4294967295=1193046h28m15s
           ParseDelay:5000000000ms=1388h53m20s)
    bad+=(ParseDelay:-1=22 ParseDelay:1x=22 ParseDelay:inf=22 ParseDelay:nan=22
          ParseDelay:1h=22 ParseDelay:=22 ParseDelay:4294967296=34 ParseDelay:1e10s=34)
fi
# A NUL byte (\0 in the parameter) is refused before C sees it.
nul=(ParseSize ParseBool ParseInt ParseUint64 ReadPassword Realpath AbsolutePath)

calls=()
for spec in "${good[@]}" "${bad[@]}"; do
    calls+=("call=config:${spec%=*}")
done
for f in "${nul[@]}"; do
    calls+=("call=config:$f:1\\02")
done

# Passwords: a value, +FILE (relative to nbdkit's directory), -FD,
# a missing file, and "-" with stdin not a terminal.
mkdir "$tmp/wd"
printf 'file-secret-6Fq\n' >"$tmp/wd/pw"
printf 'fd-secret-9Kz\n' >"$tmp/pwfd"
calls+=(call=config:ReadPassword:direct-secret-3Jw call=config:ReadPassword:+pw
        call=config:ReadPassword:-3 call=config:ReadPassword:+nosuch
        call=config:ReadPassword:-)
# Paths, relative to the directory nbdkit runs in.
ln -s pw "$tmp/wd/link"
calls+=(call=config:Realpath:link call=config:Realpath:. call=config:Realpath:nosuch
        call=config:AbsolutePath:foo/bar call=config:AbsolutePath:/x/../y
        call=config:AbsolutePath:)
# Connection functions outside a connection, and functions of newer
# nbdkit releases.
newer=(ParseProbability:1/4 ParseDelay:250ms PeerSecurityContext PeerTLSDN PeerTLSIssuerDN
       Disconnect)
for f in ExportName IsTLS PeerPID PeerName StdioSafe "${newer[@]}"; do
    calls+=("call=config:$f")
done
# In Open: the client, and the newer functions again (Disconnect only
# where it is not supported: it drops the client, see below).
for f in Nanosleep:50ms ExportName IsTLS PeerName PeerPID PeerUID PeerGID "${newer[@]}"; do
    [ "$f" != Disconnect ] || ! has Disconnect || continue
    calls+=("call=open:$f")
done
# CurrentClient: all of it at once in Open, an error in a goroutine.
calls+=(call=open:CurrentClient call=go-open:CurrentClient)

log="$tmp/funcs.calls"
cd "$tmp/wd"
start_server funcs "$features" log="$log" "${calls[@]}" 3<"$tmp/pwfd" </dev/null
cd "$tmp"
sock="$tmp/funcs.sock"
nbdsh_check "nbd+unix:///some-export?socket=$sock" '
import os
print("client", os.getpid(), os.getuid(), os.getgid())
assert h.pread(512, 0) == bytes(512)
' >"$tmp/client"
stop_server "$server_pid" || fail "nbdkit exited with status $?"

for spec in "${good[@]}"; do
    call=${spec%=*} value=${spec##*=}
    expect_line "call ${call%%:*}(\"${call#*:}\") = $value" "$log"
done
for spec in "${bad[@]}"; do
    call=${spec%=*} errno=${spec##*=}
    f=${call%%:*} arg=${call#*:}
    expect_grep "^call $f\(\"$arg\"\) error: .*$f: cannot parse \"$arg\" \(errno $errno:" "$log"
done
# ParseSizeOf names the value, as the Parse* family does.
expect_grep '^call ParseSizeOf\("1X"\) error: testvalue: ParseSizeOf: cannot parse "1X"' "$log"
for f in "${nul[@]}"; do
    expect_grep "^call $f\(\"1\\\\x002\"\) error: .*\"1\\\\x002\" contains a NUL byte \(errno 22:" "$log"
done

# Passwords: read right, and never in nbdkit's log (the direct value is
# only where nbdkit echoes its own command line).
expect_line 'call ReadPassword("direct-secret-3Jw") = direct-secret-3Jw' "$log"
expect_line 'call ReadPassword("+pw") = file-secret-6Fq' "$log"
expect_line 'call ReadPassword("-3") = fd-secret-9Kz' "$log"
expect_grep '^call ReadPassword\("\+nosuch"\) error: .*\(errno 2: no such file or directory\)$' "$log"
expect_grep '^call ReadPassword\("-"\) error: ' "$log"
expect_grep 'error: open nosuch: No such file or directory' "$tmp/funcs.log"
expect_grep 'stdin is not a tty' "$tmp/funcs.log"
expect_no_grep 'file-secret|fd-secret' "$tmp/funcs.log"
expect_count 1 'direct-secret' "$tmp/funcs.log"
expect_grep 'config key=call, value=config:ReadPassword:direct-secret' "$tmp/funcs.log"

# Paths.
expect_line "call Realpath(\"link\") = $tmp/wd/pw" "$log"
expect_line "call Realpath(\".\") = $tmp/wd" "$log"
expect_grep '^call Realpath\("nosuch"\) error: .*\(errno 2: ' "$log"
expect_line "call AbsolutePath(\"foo/bar\") = $tmp/wd/foo/bar" "$log"
expect_line 'call AbsolutePath("/x/../y") = /x/../y' "$log"
expect_grep '^call AbsolutePath\(""\) error: ' "$log"

# Outside a connection: errors, not crashes.
for f in ExportName IsTLS PeerPID PeerName; do
    expect_grep "^call $f\(\"\"\) error: " "$log"
done
expect_line 'call StdioSafe("") = true' "$log"
expect_grep '^GetReady stdio_safe=true$' "$log"

# Newer functions: on an older nbdkit, errors that errors.Is finds to
# be ErrNotSupported, in Config and in Open; on a newer one, results,
# and errors (never ErrNotSupported, never an abort) where there is no
# client.
for spec in "${newer[@]}"; do
    f=${spec%%:*}
    if ! has "$f"; then
        expect_count 2 "^call $f\(\"[^\"]*\"\) error: .*not supported by this nbdkit.* notsupported\$" "$log"
        continue
    fi
    expect_no_grep "^call $f\(.* notsupported\$" "$log"
    case $f in
        ParseProbability) expect_count 2 '^call ParseProbability\("1/4"\) = 0.25$' "$log" ;;
        ParseDelay) expect_count 2 '^call ParseDelay\("250ms"\) = 250ms$' "$log" ;;
        PeerSecurityContext)
            # No client in Config.  In Open, the client's label, or
            # ENOPROTOOPT where no security module labels sockets.
            expect_count 1 '^call PeerSecurityContext\(""\) error: PeerSecurityContext: no client in this thread' "$log"
            expect_count 2 '^call PeerSecurityContext\(""\) ' "$log"
            expect_grep '^call PeerSecurityContext\(""\) (= .+|error: .*\(errno 92: protocol not available\))$' "$log" ;;
        PeerTLSDN|PeerTLSIssuerDN)
            # No client in Config; no certificate (no TLS) in Open.
            expect_count 1 "^call $f\(\"\"\) error: $f: no client in this thread" "$log"
            expect_line "call $f(\"\") = " "$log" ;;
        Disconnect)
            expect_count 1 '^call Disconnect\(""\) error: Disconnect: no client in this thread' "$log" ;;
    esac
done
expect_no_grep 'Assertion|SIGABRT|SIGSEGV' "$tmp/funcs.log"

# In Open: the client's export name, no TLS, a Unix socket peer with
# the client's pid, uid and gid, and a full sleep.
read -r _ pid uid gid <"$tmp/client"
expect_line 'call Nanosleep("50ms") = slept at least 50ms: true' "$log"
expect_line 'call ExportName("") = some-export' "$log"
expect_line 'call IsTLS("") = false' "$log"
expect_line 'call PeerName("") = *net.UnixAddr network=unix' "$log"
expect_line "call PeerPID(\"\") = $pid" "$log"
expect_line "call PeerUID(\"\") = $uid" "$log"
expect_line "call PeerGID(\"\") = $gid" "$log"
expect_line "call CurrentClient(\"\") = export=some-export tls=false addr=*net.UnixAddr pid=$pid uid=$uid gid=$gid" "$log"
expect_grep '^call CurrentClient\(""\) error: ExportName: no export name here' "$log"
expect_grep '^Open #1 readonly=false export="some-export" \(<nil>\) tls=false \(<nil>\)$' "$log"

# As root, a client running as another user shows that the uid and gid
# are the peer's, not nbdkit's.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    log="$tmp/peer.calls"
    start_server peer "$features" log="$log" call=open:PeerUID call=open:PeerGID call=open:PeerPID
    chmod 755 "$tmp"
    chmod 777 "$tmp/peer.sock"
    timeout -k 5 60 setpriv --reuid=65534 --regid=65533 --clear-groups \
        "$NBDSH" -u "$uri" -c 'import os; print(os.getpid(), os.getuid(), os.getgid())' >"$tmp/peer-client"
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
    read -r pid uid gid <"$tmp/peer-client"
    [ "$uid" -eq 65534 ] && [ "$gid" -eq 65533 ] || fail "setpriv: uid $uid gid $gid"
    expect_line "call PeerUID(\"\") = 65534" "$log"
    expect_line "call PeerGID(\"\") = 65533" "$log"
    expect_line "call PeerPID(\"\") = $pid" "$log"
fi

# StdioSafe is false when nbdkit serves on stdin/stdout (-s; nbdsh runs
# it as a child and reaps it).
log="$tmp/single.calls"
timeout -k 5 60 "$NBDSH" -c "
h.connect_command(['$NBDKIT', '-s', '--exit-with-parent', '$features', 'log=$log',
                   'call=getready:StdioSafe'])
assert h.pread(512, 0) == bytes(512)
"
expect_line 'call StdioSafe("") = false' "$log"
expect_grep '^GetReady stdio_safe=false$' "$log"

# Shutdown from a callback: nbdkit exits, with status 0.
log="$tmp/shutdown.calls"
start_server shutdown "$features" log="$log" call=open:Shutdown
pid=$server_pid
timeout -k 5 60 "$NBDSH" -u "$uri" -c 'h.pread(512, 0)' >/dev/null 2>&1 || true
wait_for 10 exited "$pid" || fail "nbdkit still running 10 s after Shutdown"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { cat "$tmp/shutdown.log" >&2; fail "nbdkit exited with status $status after Shutdown"; }
expect_line 'call Shutdown("") = shutting down' "$log"
expect_grep '^Cleanup$' "$log"

# --- Everywhere: every function that needs a client, in every callback
# and in a goroutine of each (go-PHASE), on one server and one client.
# Where there is no client, an error; nbdkit never aborts (1.40 to 1.44
# abort in nbdkit_peer_tls_dn without a client; every version aborts in
# nbdkit_nanosleep before serving, when stdin has input: /dev/null).
client_functions=(ExportName IsTLS PeerName PeerPID PeerUID PeerGID PeerSecurityContext
                  PeerTLSDN PeerTLSIssuerDN)
phases=(config getready afterfork preconnect open pread close cleanup)
calls=()
for phase in "${phases[@]}"; do
    for p in "$phase" "go-$phase"; do
        for f in "${client_functions[@]}" Nanosleep:10ms StdioSafe; do
            calls+=("call=$p:$f")
        done
        # Disconnect where it drops no one.
        case $p in preconnect|open|pread) ;; *) calls+=("call=$p:Disconnect") ;; esac
    done
done
log="$tmp/everywhere.calls"
start_server everywhere "$features" log="$log" "${calls[@]}" </dev/null
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
wait_closed "$log"
stop_server "$server_pid" || fail "nbdkit exited with status $? (calls everywhere)"
expect_no_grep 'Assertion|SIGABRT|SIGSEGV|panic' "$tmp/everywhere.log"
# Each call, with the phase it was made in: "PHASE: call ...".
phased=$tmp/everywhere.phased
awk '/^calls in / { phase = $3; next } /^call / { print (phase ? phase : "config") ": " $0 }' \
    "$log" >"$phased"
expect_count "${#calls[@]}" ': call ' "$phased"
for phase in "${phases[@]}"; do
    expect_grep "^go-$phase: call " "$phased"
done
# With a client (Open and PRead in nbdkit's thread): its answers.
for p in open pread; do
    for f in ExportName IsTLS PeerName PeerPID PeerUID PeerGID; do
        expect_count 1 "^$p: call $f\\(\"\"\\) = " "$phased"
    done
done
# Without one (the plugin-wide callbacks, and every goroutine): errors.
for f in "${client_functions[@]}" Disconnect; do
    expect_no_grep "^(config|getready|afterfork|cleanup|go-[a-z]*): call $f\\(\"\"\\) = " "$phased"
done
for f in PeerSecurityContext PeerTLSDN PeerTLSIssuerDN Disconnect; do
    has "$f" || continue
    expect_count 12 "^(config|getready|afterfork|cleanup|go-[a-z]*): call $f\\(\"\"\\) error: $f: no client in this thread" "$phased"
done
# Nanosleep sleeps in full, before nbdkit serves too; in Close and
# Cleanup, nbdkit may end it early (the client or the server is going).
for p in config go-config getready go-getready afterfork go-afterfork preconnect go-preconnect \
         open go-open pread go-pread; do
    expect_count 1 "^$p: call Nanosleep\\(\"10ms\"\\) = slept at least 10ms: true\$" "$phased"
done
expect_count 4 '^(go-)?(close|cleanup): call Nanosleep\("10ms"\) (= slept at least 10ms: true|error: Nanosleep interrupted)' \
    "$phased"
echo "server-functions: every function, in every callback and goroutine: no abort"

# --- Disconnect drops the client: after the request in flight, or at
# once with force; the server serves the next client.
if has Disconnect; then
    for mode in "" force; do
        log="$tmp/disconnect$mode.calls"
        start_server "disconnect$mode" "$features" log="$log" "call=pread:Disconnect${mode:+:$mode}"
        pid=$server_pid
        for client in 1 2; do
            nbdsh_check "$uri" "
try:
    h.pread(512, 0)
    first = 'served'
except nbd.Error as e:
    first = 'failed: ' + e.string
try:
    h.pread(512, 0)
    raise AssertionError('still connected after Disconnect; first read ' + first)
except nbd.Error as e:
    print('Disconnect($mode): first read', first, '; then:', e.string)
" || fail "Disconnect($mode) did not drop the client"
        done
        kill -0 "$pid" || fail "nbdkit died after Disconnect($mode)"
        stop_server "$pid" || fail "nbdkit exited with status $? after Disconnect($mode)"
        expect_count 2 '^call Disconnect\("'"$mode"'"\) = disconnected$' "$log"
    done
    echo "server-functions: Disconnect drops the client, and the server serves on"
fi

# --- Shutdown and Nanosleep before nbdkit serves: nbdkit 1.32 to 1.44
# write a byte to stdin then (their quit pipe is not there yet); the
# binding waits until nbdkit serves, which it then does not.
: >"$tmp/stdin"
log="$tmp/early.calls"
status=0
timeout -k 5 60 "$NBDKIT" -f -v -U "$tmp/early.sock" "$features" log="$log" \
    call=config:Nanosleep:10ms call=config:Shutdown <>"$tmp/stdin" >"$tmp/early.log" 2>&1 ||
    status=$?
[ "$status" -eq 0 ] || { cat "$tmp/early.log" >&2; fail "Shutdown in Config: nbdkit exited with status $status"; }
[ ! -s "$tmp/stdin" ] || fail "Shutdown in Config wrote to nbdkit's stdin: $(od -c "$tmp/stdin")"
expect_line 'call Nanosleep("10ms") = slept at least 10ms: true' "$log"
expect_line 'call Shutdown("") = shutting down' "$log"
expect_grep '^AfterFork$' "$log"
expect_no_grep '^(PreConnect|Open)' "$log"
expect_grep '^Cleanup$' "$log"
echo "server-functions: ok"
