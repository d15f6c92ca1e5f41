#!/usr/bin/env bash
# nbdkit --dump-plugin on every example plugin: nbdkit's own lines, the
# binding's golang_version=, and the dump-plugin example's own lines,
# which must come after nbdkit's (stdout is a file here, so C stdio
# buffers it: the binding must flush it before Go writes).
. "$abs_top_srcdir/tests/lib/functions.sh"

# Every example the Makefile builds must be here: a missing one would
# otherwise pass unnoticed.
for name in minimal ramdisk disk dump-plugin; do
    [ -f "$(example_plugin "$name")" ] ||
        fail "example $name is not built: $(example_plugin "$name")"
done

count=0
for plugin in "$abs_top_builddir"/examples/*/nbdkit-*-plugin.so; do
    dir=$(basename "$(dirname "$plugin")")
    # An example's plugin name is its directory's name without the
    # dashes (plugin names are letters and digits): dumpplugin.
    name=${dir//-/}
    out="$tmp/$dir.out" err="$tmp/$dir.err"

    status=0
    "$NBDKIT" --dump-plugin "$plugin" >"$out" 2>"$err" || status=$?
    [ "$status" -eq 0 ] || { cat "$out" "$err" >&2; fail "$dir: exit status $status"; }
    [ ! -s "$err" ] || { cat "$err" >&2; fail "$dir: unexpected output on stderr"; }

    expect_count 1 "^name=$name\$" "$out"
    expect_count 1 '^api_version=2$' "$out"
    # Parallel unless the example chooses a model with ThreadModel.
    if grep -q 'ThreadModel()' "$abs_top_srcdir/examples/$dir"/*.go; then
        expect_count 1 '^thread_model=(serialize_connections|serialize_all_requests|serialize_requests|parallel)$' "$out"
    else
        expect_count 1 '^thread_model=parallel$' "$out"
    fi
    expect_count 1 '^golang_version=go1\.[0-9]+' "$out"
    expect_count 1 '^has_pread=1$' "$out"
    expect_count 1 "^path=$plugin\$" "$out"
    count=$((count + 1))
done
[ "$count" -ge 4 ] || fail "only $count example plugins found"

# The dump-plugin example's own lines, after everything nbdkit printed.
out="$tmp/dump-plugin.out"
expect_count 1 '^dumpplugin_version=[0-9]+\.[0-9]+\.[0-9]+$' "$out"
expect_count 1 '^dumpplugin_features=pread,dump_plugin$' "$out"
last_nbdkit_line=$(grep -n -E '^(path|name|api_version|thread_model|has_[a-z_]+)=' "$out" |
                   tail -n 1 | cut -d: -f1)
golang_line=$(grep -n '^golang_version=' "$out" | cut -d: -f1)
first_own_line=$(grep -n '^dumpplugin_' "$out" | head -n 1 | cut -d: -f1)
[ "$last_nbdkit_line" -lt "$golang_line" ] && [ "$golang_line" -lt "$first_own_line" ] || {
    cat "$out" >&2
    fail "dump-plugin: lines out of order (nbdkit's last at $last_nbdkit_line," \
         "golang_version at $golang_line, the plugin's first at $first_own_line)"
}

# The other examples print nothing of their own.
for dir in minimal ramdisk disk; do
    expect_no_grep '^dumpplugin_' "$tmp/$dir.out"
done
