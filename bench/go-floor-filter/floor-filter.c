/* The C half of bench/go-floor-filter: a plain nbdkit filter whose
 * .pread and .pwrite each call one exported Go function, which calls
 * the next layer (see floor-filter.go).  Everything else is left to
 * the next layer, as a NULL field does in nbdkit.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 */

#include <stdint.h>

#include <nbdkit-filter.h>

#include "_cgo_export.h"

static int
floor_filter_pread (nbdkit_next *next, void *handle, void *buf,
                    uint32_t count, uint64_t offset, uint32_t flags,
                    int *err)
{
  return go_floor_filter_pread (next, buf, count, offset, flags, err);
}

static int
floor_filter_pwrite (nbdkit_next *next, void *handle, const void *buf,
                     uint32_t count, uint64_t offset, uint32_t flags,
                     int *err)
{
  return go_floor_filter_pwrite (next, (void *) buf, count, offset, flags,
                                 err);
}

static struct nbdkit_filter filter = {
  .name              = "floorfilter",
  .longname          = "bare-cgo pass-through Go filter (benchmark floor)",
  .pread             = floor_filter_pread,
  .pwrite            = floor_filter_pwrite,
};

NBDKIT_REGISTER_FILTER (filter)
