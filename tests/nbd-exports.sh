#!/usr/bin/env bash
# Exports: ListExports, DefaultExport and ExportDescription seen by
# nbdinfo, on examples/exports and on the features plugin; "use the
# default export" (ExportList.AddDefault); and names or descriptions
# that the NBD protocol cannot carry (a NUL byte, more than 4096 bytes),
# errors and panics: a clear error, and the server serves on.
. "$abs_top_srcdir/tests/lib/functions.sh"
. "$abs_top_srcdir/tests/lib/features.sh"

exports=$(example_plugin exports)

# json_check FILE PYTHON: PYTHON asserts about j, the JSON in FILE.
json_check ()
{
    /usr/bin/python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
e = j['exports']
$2" "$1" || { cat "$1" >&2; fail "unexpected nbdinfo output in $1"; }
}

# --- examples/exports ------------------------------------------------
start_server exports "$exports"
sock="$tmp/exports.sock"
"$NBDINFO" --list --json "$uri" >"$tmp/list.json"
json_check "$tmp/list.json" '
assert [(x["export-name"], x["description"], x["export-size"]) for x in e] == [
    ("red", "a 1 MiB disk of 0x52 bytes", 1 << 20),
    ("green", "a 2 MiB disk of 0x47 bytes", 2 << 20),
    ("blue", "a 4 MiB disk of 0x42 bytes", 4 << 20)], e'
# The default export "" is "red", with its description.
"$NBDINFO" --no-content --json "$uri" >"$tmp/default.json"
json_check "$tmp/default.json" '
assert len(e) == 1
assert e[0]["export-name"] == "red", e
assert e[0]["description"] == "a 1 MiB disk of 0x52 bytes", e
assert e[0]["export-size"] == 1 << 20, e'
nbdsh_check "nbd+unix:///blue?socket=$sock" '
assert h.get_size() == 4 << 20
assert h.pread(4, 0) == b"BBBB"'
# An unknown export is refused, with the plugin's reason in the log.
if "$NBDINFO" --no-content "nbd+unix:///nosuch?socket=$sock" >"$tmp/nosuch.out" 2>&1; then
    fail "nbdinfo connected to an unknown export"
fi
expect_grep 'No such file or directory' "$tmp/nosuch.out"
expect_grep 'error: Open: no export called "nosuch"' "$tmp/exports.log"
nbdsh_check "$uri" 'assert h.pread(4, 0) == b"RRRR"'
stop_server "$server_pid" || fail "nbdkit exited with status $?"

# --- the features plugin: ListExports with AddDefault ----------------
# exports=list lists "one" (described), "two" (not), and the default
# export, which nbdkit names by calling DefaultExport.
log="$tmp/list.calls"
start_server list "$features" log="$log" exports=list default=dflt \
    conn=description description=export
sock="$tmp/list.sock"
"$NBDINFO" --list --json "$uri" >"$tmp/features-list.json"
json_check "$tmp/features-list.json" '
assert [x["export-name"] for x in e] == ["one", "two", "dflt"], e
assert e[0]["description"] == "the first export", e
assert "description" not in e[1], e[1]'
# Connecting to "" gets the default export's name (in Open, and as the
# canonical name), and the description ExportDescription gives
# (description=export: the export name).
"$NBDINFO" --no-content --json "$uri" >"$tmp/dflt.json"
json_check "$tmp/dflt.json" '
assert e[0]["export-name"] == "dflt", e
assert e[0]["description"] == "dflt", e'
"$NBDINFO" --no-content --json "nbd+unix:///hello%20there?socket=$sock" >"$tmp/hello.json"
json_check "$tmp/hello.json" '
assert e[0]["export-name"] == "hello there", e
assert e[0]["description"] == "hello there", e'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^ListExports readonly=false tls=false mode=list$' "$log"
expect_grep '^DefaultExport readonly=false tls=false$' "$log"
expect_grep '^Open #[0-9]+ readonly=false export="dflt" ' "$log"
expect_grep '^Open #[0-9]+ readonly=false export="hello there" ' "$log"

# exports=default: AddDefault alone, as nbdkit does without
# ListExports.  DefaultExport returning "" is the export "".
start_server adddefault "$features" exports=default
"$NBDINFO" --list --json "$uri" >"$tmp/adddefault.json"
json_check "$tmp/adddefault.json" 'assert [x["export-name"] for x in e] == [""], e'
nbdsh_check "$uri" 'assert h.get_size() == 1048576'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_no_grep 'error' "$tmp/adddefault.log"

# ListExports going wrong: nbdinfo --list gets an error, the reason is
# in the server's log, and the server goes on serving.  Each ListExports
# call takes the next mode of the list.
bad_modes=(nulname nuldesc longname longdesc error panic)
start_server badlist "$features" exports="$(IFS=,; echo "${bad_modes[*]}")"
pid=$server_pid
for mode in "${bad_modes[@]}"; do
    if "$NBDINFO" --list "$uri" >"$tmp/$mode.out" 2>&1; then
        cat "$tmp/$mode.out" >&2
        fail "nbdinfo --list succeeded with exports=$mode"
    fi
    expect_grep 'server replied with error to list request' "$tmp/$mode.out"
done
nbdsh_check "$uri" 'assert h.get_size() == 1048576'
kill -0 "$pid" || fail "nbdkit died"
stop_server "$pid" || fail "nbdkit exited with status $?"
for message in \
    'export name "bad\\x00name" contains a NUL byte' \
    'export description "bad\\x00description" contains a NUL byte' \
    'export name is 5000 bytes, more than the 4096 the NBD protocol allows' \
    'export description is 5000 bytes, more than the 4096 the NBD protocol allows' \
    'features plugin: ListExports failed as asked' \
    'panic: features plugin: ListExports panicked as asked'; do
    expect_count 1 "error: ListExports: $message" "$tmp/badlist.log"
done
expect_no_grep 'SIGSEGV|fatal error|core dumped' "$tmp/badlist.log"

# DefaultExport going wrong: the default export is refused with a clear
# message, a named export still works, and so does the server.
for mode in nul long error; do
    start_server "default-$mode" "$features" default=$mode
    pid=$server_pid
    if "$NBDINFO" --no-content "$uri" >"$tmp/default-$mode.out" 2>&1; then
        cat "$tmp/default-$mode.out" >&2
        fail "nbdinfo got the default export with default=$mode"
    fi
    nbdsh_check "nbd+unix:///named?socket=$tmp/default-$mode.sock" 'assert h.get_size() == 1048576'
    stop_server "$pid" || fail "nbdkit exited with status $? with default=$mode"
    expect_grep 'default export \(""\) not permitted' "$tmp/default-$mode.log"
done
expect_grep 'error: DefaultExport: .*export name "bad\\x00name" contains a NUL byte' "$tmp/default-nul.log"
expect_grep 'error: DefaultExport: .*export name is 5000 bytes, more than the 4096' "$tmp/default-long.log"
expect_grep 'error: DefaultExport: features plugin: DefaultExport refused as asked' "$tmp/default-error.log"

# ExportDescription going wrong (description=export: the export name
# chooses): no description, an error in the log, and the export still
# serves.  An empty description is no description, without error.
log="$tmp/desc.calls"
start_server desc "$features" log="$log" conn=description description=export
pid=$server_pid
for mode in nul long error panic ""; do
    "$NBDINFO" --no-content --json "nbd+unix:///$mode?socket=$tmp/desc.sock" >"$tmp/desc-$mode.json"
    json_check "$tmp/desc-$mode.json" "
assert e[0]['export-name'] == '$mode', e
assert 'description' not in e[0], e
assert e[0]['export-size'] == 1048576, e"
done
kill -0 "$pid" || fail "nbdkit died"
wait_closed "$log"
stop_server "$pid" || fail "nbdkit exited with status $?"
expect_grep 'error: ExportDescription: .*description "bad\\x00description" contains a NUL byte' "$tmp/desc.log"
expect_grep 'error: ExportDescription: .*description is 5000 bytes, more than the 4096' "$tmp/desc.log"
expect_grep 'error: ExportDescription: features plugin: ExportDescription failed as asked' "$tmp/desc.log"
expect_grep 'error: ExportDescription: panic: features plugin: ExportDescription panicked as asked' "$tmp/desc.log"
expect_count 0 'error: ExportDescription: .*(strndup|no string)' "$tmp/desc.log"
# Every connection was closed (nbdinfo may open more than one).
expect_count "$(grep -c '^Open ' "$log")" '^Close ' "$log"
echo "exports: ok"
