# Helpers for the shell tests that use the hardening plugin.  Source it
# after tests/lib/functions.sh:
#   . "$abs_top_srcdir/tests/lib/hardening.sh"

# hardening_connect SOCKET EXPORT: one connection to EXPORT, whose name
# tells the plugin what to do in Open (debug:N, error:N, stats, ...).
hardening_connect ()
{
    timeout -k 5 300 /usr/bin/python3 -c "
import nbd
h = nbd.NBD()
h.set_export_name('$2')
h.connect_unix('$1')
h.shutdown()
"
}
