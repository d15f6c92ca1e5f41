/* A C plugin for tests/nbd-fast-zero.sh, the yardstick for the Go
 * binding's fast zero: a 1 MiB RAM disk whose zero callbacks are
 * chosen at build time.
 *
 *   -DCAN_ZERO=0|1        .can_zero's answer
 *   -DZERO_METHOD         has .zero
 *   -DCAN_FAST_ZERO=0|1   has .can_fast_zero, with this answer
 */

#include <stdint.h>
#include <string.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_ALL_REQUESTS

static char disk[1024 * 1024];

static void *
czero_open (int readonly)
{
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static int64_t
czero_get_size (void *handle)
{
  return sizeof disk;
}

static int
czero_can_write (void *handle)
{
  return 1;
}

static int
czero_can_zero (void *handle)
{
  return CAN_ZERO;
}

static int
czero_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  memcpy (buf, disk + offset, count);
  return 0;
}

static int
czero_pwrite (void *handle, const void *buf, uint32_t count,
              uint64_t offset, uint32_t flags)
{
  memcpy (disk + offset, buf, count);
  return 0;
}

#ifdef ZERO_METHOD
static int
czero_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  memset (disk + offset, 0, count);
  return 0;
}
#endif

#ifdef CAN_FAST_ZERO
static int
czero_can_fast_zero (void *handle)
{
  return CAN_FAST_ZERO;
}
#endif

static struct nbdkit_plugin plugin = {
  .name = "czero",
  .open = czero_open,
  .get_size = czero_get_size,
  .can_write = czero_can_write,
  .can_zero = czero_can_zero,
  .pread = czero_pread,
  .pwrite = czero_pwrite,
#ifdef ZERO_METHOD
  .zero = czero_zero,
#endif
#ifdef CAN_FAST_ZERO
  .can_fast_zero = czero_can_fast_zero,
#endif
};

NBDKIT_REGISTER_PLUGIN (plugin)
