/* The C reference for the benchmarks: a RAM disk in one flat buffer.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 *   cc -O2 -fPIC -shared $(pkg-config --cflags nbdkit) \
 *      -o nbdkit-cramdisk-plugin.so c-ramdisk.c
 *   nbdkit -f -U sock ./nbdkit-cramdisk-plugin.so size=1G
 *
 * bench/go-floor and bench/go-ramdisk keep their data exactly like
 * this (one zeroed buffer of size bytes, no lock: the parallel thread
 * model lets overlapping requests race, as on a real disk), so that
 * comparing them measures the cost of getting from nbdkit into Go and
 * nothing else.  It answers the same requests as bench/go-ramdisk:
 * pread, pwrite, flush, trim, zero and extents.
 */

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static uint64_t size;           /* from size= */
static uint8_t *disk;

static int
cramdisk_config (const char *key, const char *value)
{
  int64_t r;

  if (strcmp (key, "size") != 0) {
    nbdkit_error ("unknown parameter %s", key);
    return -1;
  }
  r = nbdkit_parse_size (value);
  if (r == -1)
    return -1;
  size = r;
  return 0;
}

static int
cramdisk_config_complete (void)
{
  if (size == 0) {
    nbdkit_error ("the size parameter is required, for example size=64M");
    return -1;
  }
  /* calloc of a large size maps fresh zero pages, as Go's make does. */
  disk = calloc (1, size);
  if (disk == NULL) {
    nbdkit_error ("calloc: %m");
    return -1;
  }
  return 0;
}

static void
cramdisk_unload (void)
{
  free (disk);
}

static void *
cramdisk_open (int readonly)
{
  /* Connections have no state of their own. */
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static int64_t
cramdisk_get_size (void *handle)
{
  return size;
}

static int
cramdisk_can_write (void *handle)
{
  return 1;
}

static int
cramdisk_can_flush (void *handle)
{
  return 1;
}

static int
cramdisk_can_trim (void *handle)
{
  return 1;
}

static int
cramdisk_can_zero (void *handle)
{
  return 1;
}

static int
cramdisk_can_multi_conn (void *handle)
{
  return 1;
}

static int
cramdisk_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
                uint32_t flags)
{
  memcpy (buf, disk + offset, count);
  return 0;
}

static int
cramdisk_pwrite (void *handle, const void *buf, uint32_t count,
                 uint64_t offset, uint32_t flags)
{
  memcpy (disk + offset, buf, count);
  return 0;
}

/* Memory has nothing to flush to. */
static int
cramdisk_flush (void *handle, uint32_t flags)
{
  return 0;
}

static int
cramdisk_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  memset (disk + offset, 0, count);
  return 0;
}

static int
cramdisk_trim (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  memset (disk + offset, 0, count);
  return 0;
}

/* All data, added in four pieces as bench/go-ramdisk does, so that
 * both pay for the same calls of nbdkit_add_extent.
 */
static int
cramdisk_extents (void *handle, uint32_t count, uint64_t offset,
                  uint32_t flags, struct nbdkit_extents *extents)
{
  uint32_t piece = count / 4 ? count / 4 : count;
  uint64_t end = offset + count;

  while (offset < end) {
    uint64_t n = end - offset < piece ? end - offset : piece;
    if (nbdkit_add_extent (extents, offset, n, 0) == -1)
      return -1;
    offset += n;
  }
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name              = "cramdisk",
  .version           = "1.0",
  .unload            = cramdisk_unload,
  .config            = cramdisk_config,
  .config_complete   = cramdisk_config_complete,
  .open              = cramdisk_open,
  .get_size          = cramdisk_get_size,
  .can_write         = cramdisk_can_write,
  .can_flush         = cramdisk_can_flush,
  .can_trim          = cramdisk_can_trim,
  .can_zero          = cramdisk_can_zero,
  .can_multi_conn    = cramdisk_can_multi_conn,
  .pread             = cramdisk_pread,
  .pwrite            = cramdisk_pwrite,
  .flush             = cramdisk_flush,
  .zero              = cramdisk_zero,
  .trim              = cramdisk_trim,
  .extents           = cramdisk_extents,
  .errno_is_preserved = 1,
};

NBDKIT_REGISTER_PLUGIN (plugin)
