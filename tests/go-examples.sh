#!/usr/bin/env bash
# go test where plugin authors run it: in nbdkittest/ (the test helper's
# own tests) and in every example, whose _test.go serves the example
# with the real nbdkit through nbdkittest and checks data, errors and
# capabilities with a libnbd client.  Uses the configured $GO (to run
# go test, and so to build the plugins) and $NBDKIT.
. "$abs_top_srcdir/tests/lib/functions.sh"

pkg-config --exists libnbd ||
    fail "nbdkittest needs libnbd's development files (Debian: apt-get install libnbd-dev)"
export GO NBDKIT
cd "$abs_top_srcdir"
failed=() passed=0
for dir in nbdkittest examples/*/; do
    dir=${dir%/}
    echo "=== $dir: go vet, go test"
    if (cd "$dir" && "$GO" vet . && "$GO" test -count=1 .); then
        passed=$((passed + 1))
    else
        failed+=("$dir")
    fi
done
echo "go test passed in $passed directories"
[ "${#failed[@]}" -eq 0 ] || fail "go test failed in: ${failed[*]}"
