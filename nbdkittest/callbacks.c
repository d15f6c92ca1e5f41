/* nbdkittest: the C side of libnbd's callbacks.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * libnbd takes callbacks as structs of a function pointer and a
 * user_data pointer.  Go cannot build those with a Go function in
 * them, so these wrappers do, passing a runtime/cgo.Handle as
 * user_data to the exported Go functions in client.go.
 */

#include <stdint.h>
#include <stdlib.h>

#include <libnbd.h>

#include "_cgo_export.h"
#include "callbacks.h"

static int
extent_callback (void *user_data, const char *metacontext,
                 uint64_t offset, uint32_t *entries, size_t nr_entries,
                 int *error)
{
  return nbdkittestExtents ((uintptr_t) user_data, (char *) metacontext,
                            offset, entries, nr_entries);
}

int
nbdkittest_block_status (struct nbd_handle *h, uint64_t count,
                         uint64_t offset, uintptr_t data, uint32_t flags)
{
  nbd_extent_callback callback = {
    .callback = extent_callback,
    .user_data = (void *) data,
  };

  return nbd_block_status (h, count, offset, callback, flags);
}

static int
list_callback (void *user_data, const char *name, const char *description)
{
  return nbdkittestListed ((uintptr_t) user_data, (char *) name,
                           (char *) description);
}

int
nbdkittest_opt_list (struct nbd_handle *h, uintptr_t data)
{
  nbd_list_callback callback = {
    .callback = list_callback,
    .user_data = (void *) data,
  };

  return nbd_opt_list (h, callback);
}
