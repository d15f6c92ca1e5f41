/* The C half of bench/go-floor: a plain nbdkit plugin whose data
 * callbacks each call one exported Go function (see floor.go).
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 */

#include <stdint.h>
#include <string.h>
#include <errno.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "_cgo_export.h"

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static int64_t size;            /* from size= */

static int
floor_config (const char *key, const char *value)
{
  if (strcmp (key, "size") != 0) {
    nbdkit_error ("unknown parameter %s", key);
    return -1;
  }
  size = nbdkit_parse_size (value);
  return size == -1 ? -1 : 0;
}

static int
floor_config_complete (void)
{
  if (size <= 0) {
    nbdkit_error ("the size parameter is required, for example size=64M");
    return -1;
  }
  go_floor_allocate (size);
  return 0;
}

static void *
floor_open (int readonly)
{
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static int64_t
floor_get_size (void *handle)
{
  return size;
}

static int
floor_can_write (void *handle)
{
  return 1;
}

static int
floor_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  go_floor_pread (buf, count, offset);
  return 0;
}

static int
floor_pwrite (void *handle, const void *buf, uint32_t count,
              uint64_t offset, uint32_t flags)
{
  go_floor_pwrite ((void *) buf, count, offset);
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name              = "gofloor",
  .version           = "1.0",
  .config            = floor_config,
  .config_complete   = floor_config_complete,
  .open              = floor_open,
  .get_size          = floor_get_size,
  .can_write         = floor_can_write,
  .pread             = floor_pread,
  .pwrite            = floor_pwrite,
};

NBDKIT_REGISTER_PLUGIN (plugin)
