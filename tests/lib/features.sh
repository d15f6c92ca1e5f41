# Helpers for the shell tests that use the features plugin.  Source it
# after tests/lib/functions.sh:
#   . "$abs_top_srcdir/tests/lib/features.sh"

features=$(test_plugin features)

# serve NAME [ARGS...] -- SCRIPT
# Serves the features plugin with ARGS, logging its calls to
# $tmp/NAME.calls (also in $log), runs SCRIPT in nbdsh against it, and
# stops the server, which must exit with status 0.
serve ()
{
    local name=$1; shift
    local args=()
    while [ "$1" != "--" ]; do args+=("$1"); shift; done
    shift
    log="$tmp/$name.calls"
    start_server "$name" "$features" log="$log" "${args[@]}"
    nbdsh_check "$uri" "$1"
    wait_closed "$log"
    stop_server "$server_pid" || fail "nbdkit exited with status $?"
}

# nbdsh_status URI SCRIPT: nbdsh_check with the base:allocation meta
# context, and status(count, offset, flags=0) returning the flat list of
# (length, type) pairs of the server's block status reply.  M is 1 MiB.
status_py='
def status(count, offset, flags=0):
    got = []
    def extent(metacontext, off, entries, err):
        assert metacontext == "base:allocation", metacontext
        assert off == offset, off
        got.extend(entries)
    h.block_status(count, offset, extent, flags)
    return got
M = 1048576
'
nbdsh_status ()
{
    timeout -k 5 60 "$NBDSH" --base-allocation -u "$1" -c 'from nbdcheck import *' \
        -c "$status_py$2"
}

# wait_count N PATTERN FILE: wait (up to 10 s) until exactly N lines of
# FILE match the extended regexp, for what the server does after a
# client has gone, then check it.
wait_count ()
{
    wait_for 10 exactly "$@" || expect_count "$@"
}

# wait_closed LOG: wait (up to 10 s) until every connection opened has
# been closed.  nbdkit finishes closing a connection after the client
# has gone, and exits without calling Close if SIGTERM comes first.
wait_closed ()
{
    wait_count "$(grep -c '^Open ' "$1" || true)" '^Close ' "$1"
}
