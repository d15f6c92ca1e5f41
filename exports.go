// Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.

package nbdkit

/*
#include <stdlib.h>
#include <string.h>
#include "wrapper.h"

// nbdkit copies both strings; they only need to live for the call.
static int
go_add_export (struct nbdkit_exports *exports,
               _GoString_ name, _GoString_ description, int has_description)
{
  char *n = strndup (_GoStringPtr (name), _GoStringLen (name));
  char *d = NULL;
  int r;

  if (has_description)
    d = strndup (_GoStringPtr (description), _GoStringLen (description));
  if (n == NULL || (has_description && d == NULL)) {
    nbdkit_error ("strndup: %m");
    r = -1;
  }
  else
    r = nbdkit_add_export (exports, n, d);
  free (n);
  free (d);
  return r;
}

// A string nbdkit keeps until the connection ends.  The pointer of an
// empty Go string may be NULL, which nbdkit_strndup_intern refuses.
static const char *
go_intern (_GoString_ s)
{
  if (_GoStringLen (s) == 0)
    return nbdkit_strdup_intern ("");
  return nbdkit_strndup_intern (_GoStringPtr (s), _GoStringLen (s));
}
*/
import "C"

import (
	"fmt"
	"strings"
	"syscall"
)

// maxExportName is the NBD protocol's limit on export names and
// descriptions, in bytes.
const maxExportName = 4096

// ExportList collects the answer of [ExportLister]'s ListExports:
// nbdkit's own list, filled in place with [ExportList.Add].  It is only
// valid during the ListExports call it was given to.
type ExportList struct {
	exports *C.struct_nbdkit_exports
}

// Add lists the export name, with a description if description is not
// empty.  Names are UTF-8, unique, and at most 4096 bytes; neither
// string may contain a NUL byte.
func (l ExportList) Add(name, description string) error {
	if l.exports == nil {
		return PluginError{Errmsg: "ExportList.Add: not the list nbdkit passed to ListExports",
			Errno: syscall.EINVAL}
	}
	if err := checkExportString("export name", name); err != nil {
		return err
	}
	if err := checkExportString("export description", description); err != nil {
		return err
	}
	hasDescription := C.int(0)
	if description != "" {
		hasDescription = 1
	}
	r, err := C.go_add_export(l.exports, name, description, hasDescription)
	if r == -1 {
		return errnoError(fmt.Sprintf("ExportList.Add: nbdkit refused export %q", name), err)
	}
	return nil
}

// AddDefault lists the default export, as nbdkit does for a plugin
// without ListExports: the name [DefaultExporter] gives, or "".
func (l ExportList) AddDefault() error {
	if l.exports == nil {
		return PluginError{Errmsg: "ExportList.AddDefault: not the list nbdkit passed to ListExports",
			Errno: syscall.EINVAL}
	}
	r, err := C.nbdkit_use_default_export(l.exports)
	if r == -1 {
		return errnoError("ExportList.AddDefault failed", err)
	}
	return nil
}

// checkExportString refuses what C would silently cut or the protocol
// would refuse.
func checkExportString(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return PluginError{Errmsg: fmt.Sprintf("%s %q contains a NUL byte", what, s),
			Errno: syscall.EINVAL}
	}
	if len(s) > maxExportName {
		return PluginError{Errmsg: fmt.Sprintf("%s is %d bytes, more than the %d the NBD protocol allows",
			what, len(s), maxExportName), Errno: syscall.EINVAL}
	}
	return nil
}

// internString gives nbdkit a copy of s that lives until the end of
// the connection (or until unload outside one), or reports why not.
func internString(what, s string) (*C.char, error) {
	if err := checkExportString(what, s); err != nil {
		return nil, err
	}
	p, err := C.go_intern(s)
	if p == nil {
		return nil, errnoError("nbdkit_strndup_intern failed", err)
	}
	return p, nil
}

// errnoError makes an error from a failed C call's errno (EIO if unset).
func errnoError(msg string, err error) error {
	errno, ok := err.(syscall.Errno)
	if !ok || errno == 0 {
		errno = syscall.EIO
	}
	return PluginError{Errmsg: msg, Errno: errno}
}
