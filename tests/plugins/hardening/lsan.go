package main

// LeakSanitizer's check, when nbdkit runs with libasan preloaded
// (tests/sanitizers.sh): Unload asks for it, after every connection is
// closed, so that the report does not depend on nbdkit exiting.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

static int
leak_check (void)
{
  int (*check) (void) =
    (int (*) (void)) dlsym (RTLD_DEFAULT, "__lsan_do_recoverable_leak_check");

  return check ? check () : -1;
}
*/
import "C"

// leakCheck reports leaks to stderr: 1 if there are, 0 if not, -1 if
// LeakSanitizer is not there.
func leakCheck() int {
	return int(C.leak_check())
}
