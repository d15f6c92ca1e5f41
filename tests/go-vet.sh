#!/usr/bin/env bash
# go vet and gofmt over the package, every example and the test plugins:
# every module, with all its packages (tests/plugins is one module with
# its internal packages; tests/plugins/oldapi is one of its own).
. "$abs_top_srcdir/tests/lib/functions.sh"

cd "$abs_top_srcdir"
unformatted=$("$(dirname "$GO")/gofmt" -l . || true)
[ -z "$unformatted" ] || fail "not gofmt-formatted: $unformatted"
"$GO" vet . ./cmd/... ./internal/...
for dir in examples/*/ tests/plugins/ tests/plugins/*/ tests/filters/; do
    [ -f "$dir/go.mod" ] || continue    # in the module above, or C (czero)
    (cd "$dir" && "$GO" vet ./...) || fail "go vet failed in $dir"
done
