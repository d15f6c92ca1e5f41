#!/usr/bin/env bash
# Strings from Go to nbdkit's log: printf directives ('%s', '%n') are
# printed as text, not interpreted (which would crash or print garbage),
# and a NUL byte does not cut the message short: it shows as \x00 in
# errors and as <NUL> in debug output.  Debug output reads the same on
# every nbdkit: a line per line of the message, quoted as nbdkit 1.36
# and later quote it (the binding quotes it itself for older nbdkit);
# errors are written as they are, on every nbdkit.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin test)

# expect_fixed TEXT FILE: the fixed string TEXT is in FILE.
expect_fixed ()
{
    grep -F -q -- "$1" "$2" || { cat "$2" >&2; fail "'$1' not found in $2"; }
}

# Debug and Error (called in GetReady), with directives.
text='100%s done %n%n%n %d %x %p %% %.*s end'
start_server directives "$plugin" size=1M debug="$text" fail=PRead:"%s%n%p"
nbdsh_check "$uri" '
assert h.pread(512, 0) == bytes(512)
expect_errno("EIO", "h.pread(512, 8192)")
'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_fixed "debug: $text" "$tmp/directives.log"
expect_fixed "error: $text" "$tmp/directives.log"
# A returned error's message, too.
expect_fixed 'error: PRead: test failure %s%n%p in PRead' "$tmp/directives.log"
expect_count 1 "^nbdkit: debug: 100%s done .* end\$" "$tmp/directives.log"
expect_count 1 "^nbdkit: error: 100%s done .* end\$" "$tmp/directives.log"

# A NUL byte: "before\x00after".
start_server nul "$plugin" size=1M debug=nul
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_count 1 '^nbdkit: debug: before<NUL>after$' "$tmp/nul.log"
expect_count 1 '^nbdkit: error: before\\x00after$' "$tmp/nul.log"

# Several lines, control characters, a backslash and UTF-8: debug
# output has a line per line, quoted; the error is written as it is.
text=$'first line\n\tsecond: a tab, a \\ backslash, \e[1mbold\e[0m, del \x7f\r\nthird: caf\xc3\xa9\n\nfifth, after an empty line\n'
start_server lines "$plugin" size=1M debug="$text"
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
grep -a -F -A4 'nbdkit: debug: first line' "$tmp/lines.log" >"$tmp/lines.debug" ||
    { cat "$tmp/lines.log" >&2; fail "no debug line 'first line'"; }
cat >"$tmp/lines.expected" <<'EOF'
nbdkit: debug: first line
nbdkit: debug: \tsecond: a tab, a \\ backslash, \x1b[1mbold\x1b[0m, del \x7f
nbdkit: debug: third: caf\xc3\xa9
nbdkit: debug: 
nbdkit: debug: fifth, after an empty line
EOF
diff -u "$tmp/lines.expected" "$tmp/lines.debug" || fail "the debug lines of a text of several lines"
expect_count 1 'debug: fifth' "$tmp/lines.log"
grep -a -F -x -A4 'nbdkit: error: first line' "$tmp/lines.log" >"$tmp/lines.error" || true
printf 'nbdkit: error: %s' "$text" | cmp -s - "$tmp/lines.error" ||
    { cat "$tmp/lines.log" >&2; fail "the error is not written as it is"; }

# A long message arrives whole.
long=$(printf 'x%.0s' $(seq 1 20000))
start_server long "$plugin" size=1M debug="<${long}>"
nbdsh_check "$uri" 'assert h.pread(512, 0) == bytes(512)'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_fixed "debug: <${long}>" "$tmp/long.log"
expect_fixed "error: <${long}>" "$tmp/long.log"
echo "strings: ok"
