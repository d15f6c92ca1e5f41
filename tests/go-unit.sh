#!/usr/bin/env bash
# The Go unit tests of the package, with the race detector; then the
# internal packages' again without cgo, as they are meant to build.
. "$abs_top_srcdir/tests/lib/functions.sh"

cd "$abs_top_srcdir"
"$GO" test -race -count=1 . ./cmd/... ./internal/...
CGO_ENABLED=0 "$GO" test -count=1 ./internal/...
