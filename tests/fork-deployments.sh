#!/usr/bin/env bash
# Where users really run nbdkit, a Go plugin starts, in --run and in
# daemon mode, as nbdkit's memory plugin does (the yardstick), or fails
# before the fork with a message that says what to do: a hard fd limit
# of 1024, the caller's file descriptors, listening sockets that are
# not nbdkit's, one-time set-up in GetReady, a server that fails to
# start, -u/-g with the plugin in a root-only directory,
# --exit-with-parent, and options the binding does not know.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin forktest)
size_is_1M='test "$('"$NBDINFO"' --size "$uri")" = 1048576'

# run_ok NAME ARGS...: nbdkit -U - ARGS --run (a client) succeeds.
run_ok ()
{
    local name=$1; shift
    timeout -k 5 60 "$NBDKIT" -U - "$@" --run "$size_is_1M" ||
        fail "$name: nbdkit --run failed"
}

# daemon_ok NAME ARGS...: a daemon on $tmp/NAME.sock serves.  For a Go
# plugin the starting command returns once the server serves, so the
# pid file is there at once; for a C plugin it may come later.
daemon_ok ()
{
    local name=$1; shift
    start_daemon "$tmp/$name.pid" -U "$tmp/$name.sock" "$@"
    pid=$daemon_pid
    [ "$(timeout -k 5 20 "$NBDINFO" --size "nbd+unix:///?socket=$tmp/$name.sock")" = 1048576 ] ||
        fail "$name: the daemon does not serve"
}

# fails_before_fork NAME PATTERN ARGS...: nbdkit ARGS exits 1 with a
# message matching PATTERN, and a --run command in ARGS did not run.
fails_before_fork ()
{
    local name=$1 pattern=$2 status=0; shift 2
    rm -f "$tmp/ran"
    timeout -k 5 30 "$NBDKIT" "$@" >"$tmp/$name.out" 2>&1 || status=$?
    [ "$status" -eq 1 ] || { cat "$tmp/$name.out"; fail "$name: exit status $status, not 1"; }
    expect_grep "$pattern" "$tmp/$name.out"
    [ ! -e "$tmp/ran" ] || fail "$name: the --run command ran"
    echo "$name: $(head -n1 "$tmp/$name.out")"
}

# 1. A hard fd limit of 1024 (systemd's LimitNOFILE=1024, containers).
(
    ulimit -n 1024
    run_ok "fd limit 1024, memory" memory 1M
    run_ok "fd limit 1024, --run" "$plugin" size=1M
    daemon_ok fdlimit "$plugin" size=1M
    kill_daemon "$pid"
)
echo "1. a hard fd limit of 1024: --run and daemon serve"

# The Go runtime raises the soft fd limit to the hard one; --run's
# command gets the limit nbdkit was started with, as with a C plugin.
(
    ulimit -S -n 1000
    timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M --run 'test "$(ulimit -S -n)" = 1000' ||
        fail "the --run command does not have the soft fd limit nbdkit was started with"
)
echo "1. --run's command keeps the soft fd limit of 1000 nbdkit was started with"

# 2. The caller's file descriptors.  Socket activation puts nbdkit's
# sockets at fd 3, 4...: a caller's fd there is refused before the
# fork, by number; one above is left as it was, and works.
fails_before_fork "caller's fd 3, --run" "file descriptor 3 open: pass it as a higher" \
    -U - --filter=exitwhen "$plugin" size=1M exit-when-pipe-closed=3 \
    --run "touch $tmp/ran" 3< <(sleep 1)
fails_before_fork "caller's fd 3, daemon" "file descriptor 3 open: pass it as a higher" \
    -U "$tmp/fd3.sock" --filter=exitwhen "$plugin" size=1M exit-when-pipe-closed=3 \
    3< <(sleep 1)
for p in memory "$plugin"; do
    # The pipe closes after 2 s, and exitwhen (in the server) stops it.
    start_daemon "$tmp/fd5.pid" -U "$tmp/fd5.sock" --filter=exitwhen "$p" size=1M \
        exit-when-pipe-closed=5 exit-when-poll=1 5< <(sleep 2)
    pid=$daemon_pid
    [ "$(readlink "/proc/$pid/fd/5")" != "" ] || fail "caller's fd 5: not in the server of $p"
    wait_for_exit "$pid" 20
    rm -f "$tmp/fd5.sock" "$tmp/fd5.pid"
done
echo "2. caller's fd 5: the server keeps it, and exitwhen stops it when the pipe closes (memory too)"

# 3. Only nbdkit's own listening sockets are handed over: one the
# caller left open (at fd 7) is not served.  A listening fd 3 is not
# socket activation: with -f nbdkit serves on -U.
cat > "$tmp/stray.py" <<'EOF'
import os, socket, sys
fd, path = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen()
os.dup2(s.fileno(), fd)
os.set_inheritable(fd, True)
os.execvp(sys.argv[3], sys.argv[3:])
EOF
not_nbd ()
{
    ! timeout -k 1 3 "$NBDINFO" --size "nbd+unix:///?socket=$1" >/dev/null 2>&1 ||
        fail "$2: the caller's listening socket serves NBD"
}
/usr/bin/python3 "$tmp/stray.py" 7 "$tmp/stray-run" \
    timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M \
    --run "$size_is_1M && ! timeout -k 1 3 $NBDINFO --size nbd+unix:///?socket=$tmp/stray-run" ||
    fail "stray socket, --run: failed, or the caller's socket served NBD"
/usr/bin/python3 "$tmp/stray.py" 7 "$tmp/stray-daemon" \
    "$NBDKIT" -U "$tmp/stray.sock" -P "$tmp/stray.pid" "$plugin" size=1M ||
    fail "stray socket, daemon: did not start"
pid=$(cat "$tmp/stray.pid")
server_pids+=("$pid")
[ "$("$NBDINFO" --size "nbd+unix:///?socket=$tmp/stray.sock")" = 1048576 ] ||
    fail "stray socket, daemon: does not serve"
not_nbd "$tmp/stray-daemon" "stray socket, daemon"
kill_daemon "$pid"
/usr/bin/python3 "$tmp/stray.py" 3 "$tmp/stray-fg" \
    timeout -k 5 60 "$NBDKIT" -f -U "$tmp/fg.sock" "$plugin" size=1M log="$tmp/fg.log" &
server_pids+=($!)
wait_for 10 test -S "$tmp/fg.sock" || true
[ "$("$NBDINFO" --size "nbd+unix:///?socket=$tmp/fg.sock")" = 1048576 ] ||
    fail "stray fd 3 with -f: nbdkit does not serve on -U"
not_nbd "$tmp/stray-fg" "stray fd 3 with -f"
echo "3. a caller's listening socket is never served, and fd 3 alone is not socket activation"

# 4. One-time set-up in GetReady: a plugin that listens on a TCP port
# there, as plugins for the in-tree binding do, starts; the port is the
# serving process's.
# owner.py PORT: the pid in the plugin's greeting on PORT.
cat > "$tmp/owner.py" <<'EOF'
import socket, sys
print(socket.create_connection(("127.0.0.1", int(sys.argv[1]))).recv(100).decode().split()[1])
EOF
port=$((20000 + RANDOM % 20000))
timeout -k 5 60 "$NBDKIT" -U - "$plugin" size=1M listen=127.0.0.1:$port log="$tmp/listen.log" \
    --run "$size_is_1M && /usr/bin/python3 $tmp/owner.py $port > $tmp/owner" ||
    fail "GetReady listens, --run: failed"
expect_count 1 "Listening" "$tmp/listen.log"
expect_grep "^pid=$(cat "$tmp/owner") AfterFork" "$tmp/listen.log"
port=$((port + 1))
daemon_ok listen "$plugin" size=1M listen=127.0.0.1:$port
[ "$(/usr/bin/python3 "$tmp/owner.py" $port)" = "$pid" ] ||
    fail "GetReady listens, daemon: the port is not the server's"
kill_daemon "$pid"
echo "4. GetReady listening on a TCP port: --run and daemon serve, the port is the server's"

# 5. A server that fails to start (here AfterFork: the lock is held)
# makes the starting command fail with the error, as for a C plugin.
exec 9>"$tmp/held"
flock 9
fails_before_fork "AfterFork fails, daemon" "lock $tmp/held: resource temporarily unavailable" \
    -U "$tmp/af.sock" "$plugin" size=1M lock="$tmp/held"
fails_before_fork "AfterFork fails, --run" "lock $tmp/held: resource temporarily unavailable" \
    -U - "$plugin" size=1M lock="$tmp/held" --run "touch $tmp/ran"
exec 9>&-
echo "5. a server that fails in AfterFork: exit 1 with its error, in both modes"

# Once it serves, a daemon's errors go to syslog, as nbdkit's do (here
# a syslog of our own at /dev/log, if the machine has none).
if [ "$(id -u)" = 0 ] && [ ! -e /dev/log ]; then
    cat > "$tmp/syslogd.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
EOF
    /usr/bin/python3 "$tmp/syslogd.py" "$tmp/syslog" &
    syslogd=$!
    server_pids+=("$syslogd")
    wait_for 5 test -S /dev/log || true
    # log= a file that cannot be opened: each Open logs an error.  A
    # read at 64 KiB then panics in a goroutine, which ends the daemon:
    # Go's report of it reaches syslog too.
    daemon_ok syslog "$plugin" size=1M log=/nonexistent/log panicat=65536 2>"$tmp/syslog.stderr"
    ! timeout -k 5 20 "$NBDSH" -u "nbd+unix:///?socket=$tmp/syslog.sock" -c 'h.pread(512, 65536)' \
        2>/dev/null || fail "the read that panics succeeded"
    wait_for_exit "$pid" 20
    wait_for_lines 1 "forktest.go:[0-9]+" "$tmp/syslog"
    kill "$syslogd"
    rm -f /dev/log
    expect_grep "forktest\[1\]: error: log: open /nonexistent/log" "$tmp/syslog"
    expect_grep "panic: forktest: deliberate crash at offset 65536" "$tmp/syslog"
    expect_grep "forktest.go:[0-9]+" "$tmp/syslog"
    expect_no_grep "forktest\[1\]|panic" "$tmp/syslog.stderr"
    echo "5. a daemon's errors go to the terminal until it serves, then to syslog, a goroutine's panic too"
else
    echo "5. /dev/log exists, or not root: a daemon's errors to syslog not tried"
fi

# 6. -u/-g as root, with the plugin and a password file in a root-only
# directory (a checkout in /root).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    group=$(id -gn nobody)
    private=$tmp/private
    mkdir -m 700 "$private"
    chmod 755 "$tmp"
    mkdir -m 777 "$tmp/pub"             # nobody writes the pid file
    cp "$plugin" "$private/plugin.so"
    printf secret > "$private/password"
    chmod 600 "$private/password"
    run_ok "-u nobody, root-only plugin, --run" -u nobody -g "$group" "$private/plugin.so" size=1M \
        password=+"$private/password"
    daemon_ok pub/nobody -u nobody -g "$group" "$private/plugin.so" size=1M
    [ "$(stat -c %U "/proc/$pid")" = nobody ] || fail "-u nobody daemon runs as $(stat -c %U "/proc/$pid")"
    kill_daemon "$pid"
    # The daemon's server starts as nobody: a root-only file it reads
    # at start fails, on the terminal, naming the file and the user.
    fails_before_fork "-u nobody daemon, root-only password file" \
        "$private/password.*[Pp]ermission denied" \
        -u nobody -g "$group" -U "$tmp/pub/pw.sock" "$private/plugin.so" size=1M password=+"$private/password"
    expect_grep "as user nobody" "$tmp/-u nobody daemon, root-only password file.out"
    printf 'alice:0123456789abcdef0123456789abcdef\n' > "$private/psk"
    chmod 600 "$private/psk"
    fails_before_fork "-u nobody daemon, root-only TLS key" "$private/psk.*[Pp]ermission denied" \
        --tls=require --tls-psk="$private/psk" \
        -u nobody -g "$group" -U "$tmp/pub/tls.sock" "$private/plugin.so" size=1M
    expect_grep "as user nobody" "$tmp/-u nobody daemon, root-only TLS key.out"
    echo "6. -u nobody: root-only plugin served in --run and daemon mode; root-only password file with --run"
else
    echo "6. not root, or no user nobody: -u/-g not tried"
fi

# 7. --exit-with-parent implies -f: nothing forks, and ReadPassword
# takes -FD.
timeout -k 5 30 "$NBDKIT" --exit-with-parent -U "$tmp/ewp.sock" "$plugin" size=1M \
    log="$tmp/ewp.log" password=-3 3<<<"secret" &
server_pids+=($!)
wait_for 10 test -S "$tmp/ewp.sock" || true
[ "$("$NBDINFO" --size "nbd+unix:///?socket=$tmp/ewp.sock")" = 1048576 ] ||
    fail "--exit-with-parent: does not serve"
expect_count 1 " Load reexecuted=false willreexecute=false" "$tmp/ewp.log"
expect_count 1 "Password 6" "$tmp/ewp.log"
echo "7. --exit-with-parent: one process, WillReexecute false, ReadPassword -3 works"

# 8. An option the binding does not know (played by a build that
# hides --threads): nothing changes without a fork; with one, nbdkit
# fails before it, naming the option.
(cd "$abs_top_srcdir/tests/plugins/forktest" &&
     "$GO" build -buildmode=c-shared -ldflags "-X libguestfs.org/nbdkit.hiddenOptions=threads" \
        -o "$tmp/hidden.so") || fail "building the plugin with a hidden option"
timeout -k 5 30 "$NBDKIT" -f --threads=4 -U "$tmp/hidden.sock" "$tmp/hidden.so" size=1M &
server_pids+=($!)
wait_for 10 test -S "$tmp/hidden.sock" || true
[ "$("$NBDINFO" --size "nbd+unix:///?socket=$tmp/hidden.sock")" = 1048576 ] ||
    fail "unknown option with -f: does not serve"
fails_before_fork "unknown option, --run" "unknown option --threads" \
    --threads=4 -U - "$tmp/hidden.so" size=1M --run "touch $tmp/ran"
fails_before_fork "unknown option, daemon" "unknown option --threads" \
    --threads=4 -U "$tmp/hidden-d.sock" "$tmp/hidden.so" size=1M
echo "8. an unknown option: serves with -f; fails before the fork otherwise"

# nbdkit 1.36 and later: --run without -U listens on a temporary
# socket, which must not be left behind.
version=$("$NBDKIT" --version | awk '{print $2}')
if [ "$(printf '%s\n' 1.36 "$version" | sort -V | head -n1)" = 1.36 ]; then
    mkdir "$tmp/tmpdir"
    TMPDIR=$tmp/tmpdir timeout -k 5 60 "$NBDKIT" "$plugin" size=1M --run "$size_is_1M" ||
        fail "--run without -U failed"
    [ -z "$(ls "$tmp/tmpdir")" ] || fail "--run without -U left $(ls "$tmp/tmpdir") behind"
    echo "--run without -U: served, and no socket directory left behind"
else
    echo "nbdkit $version: --run without -U listens on TCP, not tried"
fi
