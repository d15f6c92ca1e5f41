#!/usr/bin/env bash
# The Go unit tests of the package, with the race detector.
. "$abs_top_srcdir/tests/lib/functions.sh"

cd "$abs_top_srcdir"
"$GO" test -race -count=1 . ./cmd/... ./internal/...
