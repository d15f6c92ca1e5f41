# Helpers for the shell tests of Go filters.  Source it after
# tests/lib/functions.sh:
#   . "$abs_top_srcdir/tests/lib/filters.sh"

# test_filter NAME: the built test filter .so.
test_filter ()
{
    echo "$abs_top_builddir/tests/filters/$1/nbdkit-$1-filter.so"
}

features_filter=$(test_filter features)
passthrough_filter=$(test_filter passthrough)
