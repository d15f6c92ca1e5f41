#!/usr/bin/env bash
# go vet and gofmt over the package, every example and every test plugin.
. "$abs_top_srcdir/tests/lib/functions.sh"

cd "$abs_top_srcdir"
unformatted=$("$(dirname "$GO")/gofmt" -l . || true)
[ -z "$unformatted" ] || fail "not gofmt-formatted: $unformatted"
"$GO" vet . ./cmd/... ./internal/...
for dir in examples/*/ tests/plugins/*/; do
    [ -f "$dir/go.mod" ] || continue    # tests/plugins/czero is C
    (cd "$dir" && "$GO" vet .) || fail "go vet failed in $dir"
done
