#!/usr/bin/env bash
# Sanitizers over the C half (wrapper.c, reexec.c and the cgo glue),
# in a dedicated build of the hardening test plugin:
#  - AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer
#    (CGO_CFLAGS=-fsanitize=address,undefined, nbdkit run with
#    LD_PRELOAD of libasan, since nbdkit itself is not built with it)
#    under a workload that reaches every C path: every kind of request,
#    errors, refused connections, exports, descriptions, block sizes,
#    random extents, messages with NUL bytes, a connection left open at
#    SIGTERM (closed by the binding), and --run (the fork and the
#    re-execution).  No ASan or UBSan report, and no leak from our code
#    (nbdkit 1.32 leaks its own connection struct when it leaves a
#    connection open at shutdown: reported, not ours);
#  - panics under ASan and UBSan, and the leak check again;
#  - ThreadSanitizer: go build -race -buildmode=c-shared.  The
#    toolchain builds it, but the race runtime cannot run in a shared
#    object that nbdkit loads; the race detector watches the dispatch
#    in go test -race instead (tests/go-unit.sh, dispatch_race_test.go).
. "$abs_top_srcdir/tests/lib/functions.sh"

python=/usr/bin/python3
plugin_src="$abs_top_srcdir/tests/plugins/hardening"
cc=${CC:-gcc}

# --- The builds -------------------------------------------------------
libasan=$("$cc" -print-file-name=libasan.so)
[ -e "$libasan" ] && [ "${libasan#/}" != "$libasan" ] ||
    fail "$cc has no ASan runtime (libasan.so): cannot build with -fsanitize=address"
asan_so="$tmp/nbdkit-hardening-asan-plugin.so"
(cd "$plugin_src" &&
 CC="$cc" CGO_CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
 CGO_LDFLAGS="-fsanitize=address,undefined" \
 "$GO" build -buildmode=c-shared -o "$asan_so") >"$tmp/build-asan.out" 2>&1 ||
    { cat "$tmp/build-asan.out" >&2; fail "the ASan/UBSan build failed"; }
nm -D "$asan_so" >"$tmp/asan.symbols"
grep -q __asan_report "$tmp/asan.symbols" || fail "the plugin is not instrumented by ASan"
grep -q __ubsan_handle "$tmp/asan.symbols" || fail "the plugin is not instrumented by UBSan"
echo "sanitizers: built $(basename "$asan_so") with -fsanitize=address,undefined"

# A report aborts nbdkit (and is looked for in its log).  Leaks are
# looked for by the plugin's Unload (lsan.go), after every connection
# is closed: with libasan preloaded, nbdkit sometimes hangs at exit, in
# glibc (libp11-kit's destructor waits for the locale lock, whose
# reader count is corrupt), with an uninstrumented plugin too and never
# without libasan.  A hang at exit after Unload is noted and ended.
export ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=0:fast_unwind_on_malloc=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
export NBDKIT_HARDENING_LEAK_CHECK=1

# nbdkit with libasan preloaded (the commands it runs do without).
nbdkit_asan="$tmp/nbdkit-asan"
cat >"$nbdkit_asan" <<EOF
#!/bin/sh
LD_PRELOAD=$libasan exec $NBDKIT "\$@"
EOF
chmod +x "$nbdkit_asan"

# start_asan NAME ARGS...: start_server with libasan preloaded.
start_asan ()
{
    NBDKIT=$nbdkit_asan start_server "$@"
}

# stop_asan NAME: SIGTERM, and nbdkit exits 0, or hangs at exit after
# the plugin is unloaded (see above) and is ended.
stop_asan ()
{
    local nbdkit_pid status=0
    nbdkit_pid=$(cat "$tmp/$1.pid")
    kill "$nbdkit_pid"
    wait_for 15 exited "$nbdkit_pid" || true
    if kill -0 "$nbdkit_pid" 2>/dev/null; then
        expect_grep 'debug: hardening: unload plugin' "$tmp/$1.log"
        echo "sanitizers: $1: nbdkit with libasan hung at exit, after unload: ended"
        kill -9 "$nbdkit_pid"
        wait "$server_pid" || true
        return 0
    fi
    wait "$server_pid" || status=$?
    [ "$status" -eq 0 ] || { grep -E -A30 'ERROR|runtime error' "$tmp/$1.log" >&2 || true
                             fail "$1: nbdkit under ASan exited with status $status"; }
}

# expect_clean LOG: no report of ASan or UBSan.
expect_clean ()
{
    expect_no_grep 'ERROR: AddressSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$1"
}

# leaks LOG: the LeakSanitizer report, one line per leak: "ours" or
# "other", the size, and the first frames.
leaks ()
{
    awk '
        function flush() {
            if (what != "") print (ours ? "ours" : "other"), what, frames
            what = ""; ours = 0; frames = ""
        }
        /^(Direct|Indirect) leak of/ { flush(); what = $4 " bytes"; n = 0; next }
        what != "" && /^    #[0-9]/ {
            if ($0 ~ /wrapper\.c|reexec\.c|cgo-gcc-prolog|_cgo_|Cfunc|hardening|libguestfs/) ours = 1
            frame = $0
            sub(/^ *#[0-9]+ 0x[0-9a-f]+ +(in )?/, "", frame)
            if (n++ < 4) frames = frames " | " frame
            next
        }
        what != "" { flush(); n = 0 }
        END { flush() }
    ' "$1"
}

# --- ASan, LeakSanitizer and UBSan under a workload -------------------
log="$tmp/asan.calls"
start_asan asan -D nbdkit.backend.datapath=0 "$asan_so" size=16M log="$log" connlog=true
pid=$server_pid
timeout -k 5 120 "$python" "$abs_top_srcdir/tests/clients/load.py" --uri "$uri" \
    --connections 4 --seconds 3 >"$tmp/asan.load" 2>&1 ||
    { cat "$tmp/asan.load" >&2; fail "load under ASan"; }
timeout -k 5 120 "$python" - "$tmp/asan.sock" <<'EOF' || fail "the workload under ASan failed"
import nbd, sys
from nbdcheck import expect_errno
def connect(name, meta=True):
    h = nbd.NBD()
    if meta:
        h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_full_info(True)
    h.set_export_name(name)
    h.connect_unix(sys.argv[1])
    return h
for name in ["fail:Open:EPERM", "fail:CanWrite:EACCES", "fail:BlockSize:EIO"]:
    expect_errno(None, lambda: connect(name), what=name)
for name, call in [("fail:PRead:ENOSPC,wrapped", lambda h: h.pread(512, 0)),
                   ("fail:Extents:EPERM", lambda h: h.block_status(512, 0, lambda *a: 0)),
                   ("extents:huge", lambda h: h.block_status(512, 4096, lambda *a: 0))]:
    h = connect(name)
    expect_errno(None, lambda: call(h), what=name)
    h.shutdown()
h = connect("extents:random")
for i in range(300):
    try:
        h.block_status(65536, i * 4099, lambda *a: 0)
    except nbd.Error:
        pass
h.shutdown()
h = connect("extents:many")
h.block_status(8 << 20, 0, lambda *a: 0)
print("description:", h.get_export_description())
h.shutdown()
for name in ["debug:2000", "error:2000", "stats"]:
    connect(name, meta=False).shutdown()
EOF
timeout -k 5 60 "$NBDINFO" --list "$uri" >/dev/null || fail "nbdinfo --list under ASan"
timeout -k 5 60 "$NBDINFO" --json "$uri" >/dev/null || fail "nbdinfo --json under ASan"
opened=$(( $(grep -c '^Open ' "$log") + 1 ))
# A connection open at SIGTERM: nbdkit 1.32 waits for the client to go
# (4 seconds), skips Close, and the binding closes it.
timeout -k 5 60 "$NBDSH" -u "$uri" -c 'import time; h.pread(512, 0); time.sleep(4)' \
    >/dev/null 2>&1 &
server_pids+=($!)
wait_for_lines "$opened" '^Open ' "$log"
stop_asan asan
expect_clean "$tmp/asan.log"
expect_count 1 '^Unload leak check: [01]$' "$log"
expect_grep 'closing a connection that nbdkit left open at shutdown' "$tmp/asan.log"
leaks "$tmp/asan.log" >"$tmp/asan.leaks"
echo "sanitizers: ASan, UBSan: no report; LeakSanitizer: $(grep -c '^ours' "$tmp/asan.leaks") leaks of ours," \
    "$(grep -c '^other' "$tmp/asan.leaks") of nbdkit or others:"
sed 's/^/    /' "$tmp/asan.leaks"
[ "$(grep -c '^ours' "$tmp/asan.leaks")" -eq 0 ] || fail "LeakSanitizer found leaks in the binding"

# --- --run: nbdkit forks, the child re-executes nbdkit ----------------
export TMPDIR=$tmp/run
mkdir "$TMPDIR"
timeout -k 5 120 "$nbdkit_asan" -v -U - "$asan_so" size=1M --run "
    env -u LD_PRELOAD $NBDSH -u \"\$uri\" -c 'h.pwrite(b\"r\" * 512, 0); assert h.pread(512, 0) == b\"r\" * 512'
" >"$tmp/run.out" 2>&1 || { cat "$tmp/run.out" >&2; fail "--run under ASan failed"; }
expect_clean "$tmp/run.out"
leaks "$tmp/run.out" >"$tmp/run.leaks"
[ "$(grep -c '^ours' "$tmp/run.leaks")" -eq 0 ] ||
    { cat "$tmp/run.leaks" >&2; fail "LeakSanitizer found leaks in the binding under --run"; }
echo "sanitizers: --run (fork and re-execution) under ASan and UBSan: no report, no leak of ours"

# --- Panics -----------------------------------------------------------
start_asan panics "$asan_so" size=1M panic=Close
timeout -k 5 60 "$python" - "$tmp/panics.sock" <<'EOF' || fail "panics under ASan"
import nbd, sys
for method in ["PRead", "PWrite", "Cache", "Extents", "CanFUA", "BlockSize", "GetSize"]:
    h = nbd.NBD()
    h.add_meta_context(nbd.CONTEXT_BASE_ALLOCATION)
    h.set_export_name("panic:" + method)
    try:
        h.connect_unix(sys.argv[1])
        h.pwrite(b"p" * 512, 0)
        h.pread(512, 0)
        h.cache(512, 0)
        h.block_status(512, 0, lambda *a: 0)
    except nbd.Error:
        pass
EOF
stop_asan panics
expect_clean "$tmp/panics.log"
leaks "$tmp/panics.log" >"$tmp/panics.leaks"
[ "$(grep -c '^ours' "$tmp/panics.leaks")" -eq 0 ] ||
    { cat "$tmp/panics.leaks" >&2; fail "LeakSanitizer found leaks in the binding after panics"; }
[ "$(grep -c 'error: [A-Za-z]*: panic: hardening: injected panic' "$tmp/panics.log")" -ge 7 ] ||
    fail "the panics did not happen"
echo "sanitizers: panics in 7 callbacks and in Close under ASan and UBSan: no report, no leak of ours"

# --- ThreadSanitizer --------------------------------------------------
race_so="$tmp/nbdkit-hardening-race-plugin.so"
if ! (cd "$plugin_src" && CC="$cc" "$GO" build -race -buildmode=c-shared -o "$race_so") \
        >"$tmp/build-race.out" 2>&1; then
    echo "sanitizers: go build -race -buildmode=c-shared is refused by this toolchain:"
    sed 's/^/    /' "$tmp/build-race.out"
else
    status=0
    timeout -k 5 30 "$NBDKIT" -f -U "$tmp/race.sock" "$race_so" size=1M --run true \
        >"$tmp/race.out" 2>&1 || status=$?
    if grep -q 'ThreadSanitizer failed to allocate' "$tmp/race.out"; then
        echo "sanitizers: go build -race -buildmode=c-shared builds, but the race runtime cannot" \
            "run inside nbdkit (exit status $status):"
        sed 's/^/    /' "$tmp/race.out" | head -n 3
        echo "    (Go's race runtime maps its shadow memory for a Go program's own layout," \
            "not for a shared object loaded at 0x7f...: the race detector covers the" \
            "dispatch through go test -race, tests/go-unit.sh)"
    else
        # It runs: a short load, and no race.
        start_server race "$race_so" size=16M
        timeout -k 5 120 "$python" "$abs_top_srcdir/tests/clients/load.py" --uri "$uri" \
            --connections 4 --seconds 3 >"$tmp/race.load" 2>&1 || fail "load under -race"
        stop_server "$server_pid" || fail "nbdkit built with -race exited with status $?"
        expect_no_grep 'WARNING: DATA RACE' "$tmp/race.log"
        echo "sanitizers: the -race build serves a load inside nbdkit: no race"
    fi
fi
echo "sanitizers: ok"
