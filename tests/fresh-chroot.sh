#!/usr/bin/env bash
# The README on a new user's machine: a fresh minimal Debian, the
# README's quick start copied from README.md as it stands, then the
# README's test command.  Not part of make check; run as root:
#
#   bash tests/fresh-chroot.sh bookworm     # Debian 12 (make check-fresh-debian12)
#   bash tests/fresh-chroot.sh trixie       # Debian 13 (make check-fresh-debian13)
#
# It builds `debootstrap --variant=minbase SUITE` under /var/tmp (the
# base is cached as a tarball in $NBDKIT_GO_CI_CACHE, default
# /var/tmp/nbdkit-go-ci, and rebuilt when older than a week or when
# NBDKIT_GO_CI_REFRESH=1), bind-mounts /proc, /sys and /dev, and clones
# HEAD of this checkout to /root/nbdkit-golang in it, where a root user
# would clone it (with NBDKIT_GO_CI_TREE=worktree: HEAD plus the
# uncommitted changes to tracked files).  There, as root, it runs
#  - the quick start: the first ```sh block under "## Quick start"
#    (bookworm) or under "### Debian 13" (trixie), `sudo ` dropped,
#    and checks that it printed what the README promises;
#  - the test command: the second ```sh block under "## Quick start".
# The logs are kept in $NBDKIT_GO_CI_CACHE/logs-SUITE.  The chroot is
# unmounted and removed at the end, also on failure.  The last line is
#   SUITE: N passed, N failed, N skipped
set -uo pipefail

suite=${1:-}
case "$suite" in
    bookworm) name=debian12 heading='^## Quick start' ;;
    trixie) name=debian13 heading='^### Debian 13' ;;
    *) echo "usage: $0 bookworm|trixie" >&2; exit 2 ;;
esac
promise="bytearray(b'hello')"

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NBDKIT_GO_CI_CACHE:-/var/tmp/nbdkit-go-ci}
logs=$cache/logs-$suite
base=$cache/$suite-base.tar
started=$SECONDS
# This script's output, also for a trap run while a command's output
# goes to a log.
exec 3>&1

say () { echo "fresh-chroot $suite: $*"; }
minutes () { awk -v s=$((SECONDS - $1)) 'BEGIN { printf "%.1f min", s / 60 }'; }
counts=""
result ()
{
    counts=$1
    echo "$name: $counts"
}
die ()
{
    say "$*"
    result "0 passed, 1 failed, 0 skipped"
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "$top is not a git checkout"

# --- The README's blocks ------------------------------------------------
# block HEADING N: the Nth ```sh block of the section that starts at the
# line matching HEADING and ends at the next heading of its level or
# above.
block ()
{
    awk -v heading="$1" -v want="$2" '
        function level(line) { match(line, /^#+/); return RLENGTH }
        !insection && $0 ~ heading { insection = 1; lvl = level($0); next }
        insection && !inblock && /^#+ / && level($0) <= lvl { exit }
        insection && !inblock && /^```sh[ \t]*$/ { inblock = 1; n++; next }
        inblock && /^```[ \t]*$/ { inblock = 0; if (n == want) exit; next }
        inblock && n == want { print }
    ' "$top/README.md"
}
quick_start=$(block "$heading" 1 | sed -E 's/(^|[;&|(][ \t]*)sudo[ \t]+/\1/g')
test_command=$(block '^## Quick start' 2)
[ -n "$quick_start" ] || die "no \`\`\`sh block under '$heading' in README.md"
[ -n "$test_command" ] || die "no test command (second \`\`\`sh block under '## Quick start') in README.md"
grep -q 'apt-get update' <<<"$quick_start" ||
    die "the quick start does not run apt-get update: a fresh system's package lists are empty"
grep -q -F "$promise" "$top/README.md" ||
    die "README.md no longer promises that the quick start prints $promise"
say "quick start from README.md:"
sed 's/^/    /' <<<"$quick_start"
say "test command from README.md:"
sed 's/^/    /' <<<"$test_command"

# --- The chroot, removed whatever happens ---------------------------------
rm -rf "$logs" && mkdir -p "$logs" || die "cannot make $logs"
root=$(mktemp -d "$cache/chroot-$suite.XXXXXX") && chmod 755 "$root" ||
    die "cannot make a directory in $cache"

# bg COMMAND...: run COMMAND in the background and wait for it, so that
# a signal ends this script (and so removes the chroot) at once, not
# after COMMAND; the cleanup ends COMMAND.
bg_pid=
bg ()
{
    local status
    "$@" &
    bg_pid=$!
    wait "$bg_pid"
    status=$?
    bg_pid=
    return "$status"
}

mounted () { awk -v d="$root" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts; }
cleanup ()
{
    local pid tries
    trap - EXIT INT TERM HUP
    [ -z "$bg_pid" ] || kill "$bg_pid" 2>/dev/null
    # Processes left inside the chroot (a daemon a test forgot) would
    # keep its mounts busy: end them, by pid.
    for tries in 1 2 3; do
        local left=()
        for pid in /proc/[0-9]*; do
            [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && left+=("${pid#/proc/}")
        done
        [ "${#left[@]}" -gt 0 ] || break
        say "ending processes left in the chroot: ${left[*]}"
        kill -9 "${left[@]}" 2>/dev/null
        sleep 1
    done
    mounted | sort -r | while read -r m; do
        umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || true
    done
    if [ -n "$(mounted)" ]; then
        say "still mounted, NOT removing $root:"
        mounted
    else
        rm -rf --one-file-system "$root"
    fi
}
trap 'cleanup >&3 2>&1' EXIT
trap '{ say "interrupted"; result "0 passed, 1 failed, 0 skipped"; } >&3; exit 130' INT TERM HUP

# The base: debootstrap once, cached as a tarball outside the tree.
if [ -f "$base" ] && [ "${NBDKIT_GO_CI_REFRESH:-0}" != 1 ] &&
   [ -n "$(find "$base" -mtime -7)" ]; then
    t=$SECONDS
    tar -C "$root" --numeric-owner -xpf "$base" || die "cannot extract $base"
    say "base from $base ($(minutes $t))"
else
    t=$SECONDS
    say "debootstrap --variant=minbase $suite (log: $logs/debootstrap.log)"
    bg debootstrap --variant=minbase "$suite" "$root" >"$logs/debootstrap.log" 2>&1 3>&- ||
        { tail -n 20 "$logs/debootstrap.log"; die "debootstrap failed"; }
    tar -C "$root" --numeric-owner -cpf "$base.tmp" . && mv "$base.tmp" "$base" ||
        { rm -f "$base.tmp"; die "cannot write $base"; }
    say "debootstrap done, cached in $base ($(minutes $t))"
fi

mount -t proc proc "$root/proc" &&
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" &&
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" ||
    die "cannot mount /proc, /sys and /dev in $root"
cp -L /etc/resolv.conf "$root/etc/resolv.conf" || die "cannot copy /etc/resolv.conf"

# The checkout, as a root user clones it: in /root (mode 0700).
rev=HEAD
if [ "${NBDKIT_GO_CI_TREE:-head}" = worktree ]; then
    rev=$(git -C "$top" stash create) && [ -n "$rev" ] || rev=HEAD
fi
checkout=/root/nbdkit-golang
git clone -q --no-hardlinks "$top" "$root$checkout" &&
git -C "$root$checkout" -c advice.detachedHead=false checkout -q "$rev" ||
    die "cannot clone $top into the chroot"
say "checkout of $(git -C "$root$checkout" log -1 --format='%h %s' | cut -c1-60)" \
    "in $checkout (mode $(stat -c %a "$root/root"))"

# in_chroot SECONDS SCRIPT: run SCRIPT with bash in the checkout, as
# root, with the environment of a fresh login and no terminal.
in_chroot ()
{
    bg timeout -k 10 "$1" chroot "$root" /usr/bin/env -i \
        HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive \
        /bin/bash -c "cd $checkout && $2" </dev/null 3>&-
}

# --- The quick start ----------------------------------------------------
t=$SECONDS
printf '%s\n' "$quick_start" >"$root/root/quick-start.sh"
in_chroot 900 "bash /root/quick-start.sh" >"$logs/quick-start.log" 2>&1
status=$?
if [ "$status" -ne 0 ]; then
    tail -n 40 "$logs/quick-start.log"
    die "the quick start failed with status $status ($(minutes $t)); log: $logs/quick-start.log"
fi
grep -q -F "$promise" "$logs/quick-start.log" ||
    { tail -n 40 "$logs/quick-start.log"; die "the quick start did not print $promise"; }
say "the quick start passed and printed $promise ($(minutes $t))"
in_chroot 60 'echo "versions: $(nbdkit --version), $($(sed -n "s/^GO = //p" Makefile) version), $(dpkg-query -W -f "libnbd \${Version}" libnbd-bin)"' |
    sed "s/^/fresh-chroot $suite: /"

# --- The test command ---------------------------------------------------
t=$SECONDS
in_chroot 1500 "$test_command" >"$logs/make-check.log" 2>&1
status=$?
say "the test command exited with status $status ($(minutes $t)); log: $logs/make-check.log"
suitelog=$root$checkout/test-suite.log
if [ ! -f "$suitelog" ]; then
    tail -n 40 "$logs/make-check.log"
    die "no test-suite.log: the build or the test harness failed"
fi
cp "$suitelog" "$logs/"
mkdir -p "$logs/tests" && cp "$root$checkout"/tests/*.log "$logs/tests/" 2>/dev/null
count () { sed -n "s/^# $1: *\([0-9]*\)$/\1/p" "$suitelog" | head -n1; }
grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' "$suitelog" | sed "s/^/fresh-chroot $suite: /"
grep -E '^(SKIP|FAIL|ERROR|XPASS):' "$logs/make-check.log" | sed "s/^/fresh-chroot $suite: /"
for test in $(sed -n -E 's/^(FAIL|ERROR|XPASS): ([^ ]*).*/\2/p' "$logs/make-check.log"); do
    f=$root$checkout/${test%.sh}.log
    [ -f "$f" ] || continue
    say "--- the last lines of $test's log"
    tail -n 25 "$f"
done
passed=$(count PASS) skipped=$(count SKIP)
failed=$(($(count FAIL) + $(count ERROR) + $(count XPASS)))
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
say "done in $(minutes "$started")"
result "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
