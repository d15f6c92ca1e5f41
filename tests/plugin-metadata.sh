#!/usr/bin/env bash
# Static metadata: Version, LongName, Description and ConfigHelp reach
# nbdkit --help, --version and --dump-plugin; MagicConfigKey makes a
# bare VALUE mean magic=VALUE; a plugin without them shows none of
# them; and a NUL byte in any of them is a clear error when the plugin
# is loaded, not a crash.
. "$abs_top_srcdir/tests/lib/functions.sh"

plugin=$(test_plugin features)
minimal=$(example_plugin minimal)

# nbdkit PLUGIN --help: the long name next to the name, the description,
# then the config help.
"$NBDKIT" "$plugin" --help >"$tmp/help" 2>&1 || fail "nbdkit --help failed"
expect_grep '^plugin: features \(nbdkit Go binding features test plugin\)$' "$tmp/help"
expect_grep '^A RAM disk with every optional interface, for the tests\.$' "$tmp/help"
expect_grep '^log=<FILE>     Log every callback to FILE\.$' "$tmp/help"
expect_grep '^magic=<VALUE>  The magic config key, for tests\.$' "$tmp/help"

# --version: the plugin's version after its name.
"$NBDKIT" "$plugin" --version >"$tmp/version" 2>&1 || fail "nbdkit --version failed"
expect_grep '^features 7\.6\.5-features$' "$tmp/version"

# --dump-plugin: nbdkit's own lines for each piece of metadata.
"$NBDKIT" "$plugin" --dump-plugin >"$tmp/dump" 2>&1 || fail "nbdkit --dump-plugin failed"
for line in name=features version=7.6.5-features magic_config_key=magic \
            max_thread_model=parallel thread_model=parallel \
            has_longname=1 has_description=1 has_config_help=1 \
            has_thread_model=1 has_after_fork=1 has_cleanup=1 \
            has_list_exports=1 has_default_export=1 \
            has_can_fua=1 has_can_cache=1 has_extents=1 has_block_size=1; do
    expect_grep "^$line\$" "$tmp/dump"
done
expect_grep '^features_dump_plugin=yes$' "$tmp/dump"

# A plugin without the optional interfaces: none of it.
"$NBDKIT" "$minimal" --help >"$tmp/min-help" 2>&1 || fail "nbdkit --help failed"
expect_grep '^plugin: minimal$' "$tmp/min-help"
"$NBDKIT" "$minimal" --version >"$tmp/min-version" 2>&1 || fail "nbdkit --version failed"
expect_grep '^minimal$' "$tmp/min-version"
"$NBDKIT" "$minimal" --dump-plugin >"$tmp/min-dump" 2>&1 || fail "nbdkit --dump-plugin failed"
expect_grep '^name=minimal$' "$tmp/min-dump"
expect_grep '^max_thread_model=parallel$' "$tmp/min-dump"
expect_no_grep '^(version|magic_config_key)=' "$tmp/min-dump"
# (after_fork is always there: the binding needs it to survive forks.)
expect_no_grep '^has_(longname|description|config_help|thread_model|cleanup|list_exports|default_export)=' \
    "$tmp/min-dump"

# The magic config key: a bare value is magic=VALUE.
log="$tmp/magic.calls"
start_server magic "$plugin" log="$log" somevalue
nbdsh_check "$uri" 'assert h.get_size() == 1048576'
stop_server "$server_pid" || fail "nbdkit exited with status $?"
expect_grep '^Config magic=somevalue$' "$log"
expect_grep 'config key=magic, value=somevalue' "$tmp/magic.log"
# Without a magic config key, nbdkit uses its own default key (script).
if timeout 20 "$NBDKIT" -f -U "$tmp/nomagic.sock" "$minimal" somevalue \
        >"$tmp/nomagic.out" 2>&1; then
    fail "minimal plugin accepted a bare value"
fi
expect_grep 'unknown parameter script' "$tmp/nomagic.out"

# A NUL byte in any metadata string: nbdkit refuses to load the plugin,
# with the binding's message naming the method, and nothing crashes.
for method in Version LongName Description ConfigHelp MagicConfigKey; do
    status=0
    NBDKIT_FEATURES_NUL=$method "$NBDKIT" "$plugin" --dump-plugin \
        >"$tmp/nul-$method" 2>&1 || status=$?
    [ "$status" -eq 1 ] || { cat "$tmp/nul-$method" >&2; fail "$method with NUL: exit status $status"; }
    expect_grep "nbdkit\.PluginInitialize: $method \".*\\\\x00hidden\" contains a NUL byte" "$tmp/nul-$method"
    expect_grep 'plugin registration function failed' "$tmp/nul-$method"
    expect_no_grep 'panic|goroutine|SIGSEGV|core dumped' "$tmp/nul-$method"
    expect_no_grep '^name=features' "$tmp/nul-$method"
done
echo "metadata: ok"
