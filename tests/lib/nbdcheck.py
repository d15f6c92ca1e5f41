# Python helpers for the shell tests' client scripts.  nbdsh_check
# (tests/lib/functions.sh) imports them into every nbdsh script, and
# tests/lib/functions.sh puts this directory on PYTHONPATH, so that a
# python3 script or an nbdsh of its own can too:
#   from nbdcheck import expect_errno
#
# expect_errno(ERRNO, REQUEST): REQUEST must fail with the errno ERRNO
#   (the name libnbd gives it, e.g. "EINVAL"); returns the nbd.Error.
# errno_or_ok(ERRNO, REQUEST): REQUEST succeeds, or fails with ERRNO.
#
# REQUEST is a string of Python evaluated where the caller stands, such
# as "h.pread(512, 0)", and names the request in messages; or a
# function of no arguments (a lambda) with a name given as what=.
# ERRNO may be a tuple of names (any of them), or None (any errno).

import sys

import nbd

__all__ = ["expect_errno", "errno_or_ok"]


def _request(request, what, depth):
    """Run REQUEST (see above) in the frame DEPTH calls up; returns its
    name and the nbd.Error it raised, or None."""
    if what is None:
        what = request if isinstance(request, str) else request.__name__
    try:
        if isinstance(request, str):
            caller = sys._getframe(depth)
            eval(request, caller.f_globals, caller.f_locals)
        else:
            request()
    except nbd.Error as e:
        print("%s: %s: %s" % (what, e.errno, e.string))
        return what, e
    return what, None


def _check(what, err, errno):
    wanted = errno if isinstance(errno, tuple) else (errno,)
    assert errno is None or err.errno in wanted, \
        "%s failed with %s, not %s: %s" % (what, err.errno, errno, err.string)
    return err


def expect_errno(errno, request, what=None):
    """REQUEST must fail with ERRNO; returns the nbd.Error."""
    what, err = _request(request, what, 2)
    if err is None:
        raise AssertionError("%s succeeded, expected %s" % (what, errno or "an error"))
    return _check(what, err, errno)


def errno_or_ok(errno, request, what=None):
    """REQUEST succeeds (None), or fails with ERRNO (the nbd.Error)."""
    what, err = _request(request, what, 2)
    if err is None:
        print("%s: ok" % what)
        return None
    return _check(what, err, errno)
