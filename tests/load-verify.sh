#!/usr/bin/env bash
# Load with data verification.  32 connections at once (4 client
# processes of 8, multi-conn), each keeping 8 requests in flight: a mix
# of pread, pwrite (some FUA), zero (some fast), trim, cache, block
# status (some REQ_ONE) and flush, as far as each plugin offers them,
# on examples/ramdisk, examples/sparse and the hardening test plugin
# (which adds Flush and Cache), all under the PARALLEL thread model.
# tests/clients/load.py checks every read, and every extent said to
# read as zeroes, against a model of what the disk must hold; then
# every region through another connection, and the whole disk through
# a new one.  0 mismatches, 0 errors.
#
# $LOAD_SECONDS is the time per plugin (default 6); make stress gives
# each plugin 200 seconds, 10 minutes in all.
. "$abs_top_srcdir/tests/lib/functions.sh"

seconds=${LOAD_SECONDS:-6}
processes=4 per_process=8 depth=8 region=2M
connections=$((processes * per_process))
size=$((connections * 2))M
server_timeout=$((seconds * 2 + 120))
load_py="$abs_top_srcdir/tests/clients/load.py"
python=/usr/bin/python3

# summarize NAME REPORT...: one line of figures from the clients'
# reports; fails unless every client saw 0 mismatches and 0 errors.
summarize ()
{
    "$python" - "$@" <<'EOF'
import json, sys
name, reports = sys.argv[1], [json.load(open(f)) for f in sys.argv[2:]]
ops = {}
for r in reports:
    for op, n in r["by_op"].items():
        ops[op] = ops.get(op, 0) + n
total = sum(ops.values())
conns = sum(r["connections"] for r in reports)
seconds = max(r["seconds"] for r in reports)
mismatches = sum(r["mismatches"] for r in reports)
errors = sum(sum(r["errors"].values()) for r in reports)
print("load-verify: %s: %d connections x QD %d x %.1f s: %d ops (%s), %d mismatches, %d errors"
      % (name, conns, reports[0]["depth"], seconds, total,
         " ".join("%s %d" % kv for kv in sorted(ops.items())), mismatches, errors))
with open(sys.argv[2] + ".total", "w") as f:
    f.write("%d %d %.1f %d\n" % (conns, total, seconds, mismatches + errors))
sys.exit(0 if mismatches == 0 and errors == 0 else 1)
EOF
}

grand_ops=0 grand_seconds=0 grand_bad=0
for name in ramdisk sparse hardening; do
    case $name in
        hardening) so=$(test_plugin hardening) ;;
        *) so=$(example_plugin "$name") ;;
    esac
    "$NBDKIT" --dump-plugin "$so" >"$tmp/$name.dump"
    expect_grep '^thread_model=parallel$' "$tmp/$name.dump"

    # Debug output, but not a line per request.
    start_server "$name" -D nbdkit.backend.datapath=0 "$so" size="$size"
    pid=$server_pid
    client_pids=()
    for p in $(seq 0 $((processes - 1))); do
        timeout -k 5 $((seconds + 120)) "$python" "$load_py" --uri "$uri" \
            --first $((p * per_process)) --connections "$per_process" --depth "$depth" \
            --region "$region" --seconds "$seconds" --seed "$p" \
            --report "$tmp/$name.$p.report" --model "$tmp/$name.$p.model" \
            >"$tmp/$name.$p.out" 2>&1 &
        client_pids+=($!)
    done
    failed=0
    for p in "${!client_pids[@]}"; do
        wait "${client_pids[$p]}" || { failed=$((failed + 1)); cat "$tmp/$name.$p.out" >&2; }
    done
    kill -0 "$pid" || fail "$name: nbdkit died under load"
    reports=()
    for p in $(seq 0 $((processes - 1))); do
        [ -s "$tmp/$name.$p.report" ] || fail "$name: client $p did not finish"
        reports+=("$tmp/$name.$p.report")
    done
    summarize "$name" "${reports[@]}" || failed=$((failed + 1))
    [ "$failed" -eq 0 ] || fail "$name: $failed client processes failed"

    # The whole disk, through a new connection.
    timeout -k 5 120 "$python" "$load_py" --uri "$uri" --verify "$tmp/$name".*.model \
        >"$tmp/$name.verify" 2>&1 || { cat "$tmp/$name.verify" >&2; fail "$name: the disk differs from the model"; }
    echo "load-verify: $name: whole disk read back: $(tail -n1 "$tmp/$name.verify")"
    stop_server "$pid" || fail "$name: nbdkit exited with status $?"
    expect_no_grep 'error:|panic|SIGSEGV|fatal' "$tmp/$name.log"

    read -r c ops secs bad <"${reports[0]}.total"
    grand_ops=$((grand_ops + ops))
    grand_seconds=$(awk "BEGIN { print $grand_seconds + $secs }")
    grand_bad=$((grand_bad + bad))
done
echo "load-verify: total: $connections connections x $grand_ops ops x" \
    "$(awk "BEGIN { printf \"%.2f\", $grand_seconds / 60 }") minutes, $grand_bad mismatches and errors"
