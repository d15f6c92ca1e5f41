/* Go binding for nbdkit plugins: the C half.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * nbdkit calls the functions in this file.  Each one translates its
 * arguments, crosses into Go once through the export go_<callback>
 * (see dispatch.go), and translates the result back.  Everything is
 * static except plugin_init, so a plugin .so exports nothing else of
 * ours to nbdkit.
 */

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>

#include "wrapper.h"
#include "reexec.h"
#include "_cgo_export.h"

/* The handle nbdkit holds for a connection.  It is C memory, so
 * nbdkit never holds a Go pointer: the Go side is reached through
 * id, an index into the Go connection table.
 */
struct handle {
  uintptr_t id;                 /* slot in the Go connection table */
  uint32_t caps;                /* enum connection_capability bits */
  uint32_t allowed;             /* enum connection_permission bits */
  struct handle *prev, *next;   /* in open_handles */
};

/* The connections that are open: nbdkit has not closed them yet.
 * nbdkit-plugin(3) ("SHUTDOWN") says that when nbdkit shuts down, it
 * waits for the callbacks running, calls .close on the connections
 * still open, then .cleanup and .unload.  nbdkit 1.32 waits, but skips
 * .close once it is quitting.  Go plugins get their Close all the
 * same: close_open_handles closes what is left, from .cleanup or
 * .unload, when no connection thread is left to race with.
 */
static pthread_mutex_t open_handles_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handle open_handles = { .prev = &open_handles,
                                      .next = &open_handles };
static void close_open_handles (void);

/* Declare every wrapper with exactly the type of its struct field, so
 * the compiler checks each signature against nbdkit-plugin.h.
 */
#define DECLARE_WRAPPER(field, needs)                                   \
  static __typeof__ (*((struct nbdkit_plugin *) 0)->field) wrapper_##field;
NBDKIT_GO_CALLBACKS (DECLARE_WRAPPER)

static struct nbdkit_plugin plugin;
static uint32_t plugin_caps;    /* enum plugin_capability */

struct nbdkit_plugin *
wrapper_plugin_init (const struct plugin_info *info)
{
  plugin._struct_size = sizeof plugin;
  plugin._api_version = NBDKIT_API_VERSION;
  plugin._thread_model = info->thread_model;
  plugin.name = info->name;
  plugin.longname = info->longname;
  plugin.version = info->version;
  plugin.description = info->description;
  plugin.config_help = info->config_help;
  plugin.magic_config_key = info->magic_config_key;
  /* Go cannot promise that errno survives a callback; errors carry
   * their errno through nbdkit_set_error instead.
   */
  plugin.errno_is_preserved = 0;
  plugin_caps = info->caps;

#define SET_FIELD(field, needs)                                 \
  if ((needs) == PLUGIN_ALWAYS || (info->caps & (needs)))       \
    plugin.field = wrapper_##field;
  NBDKIT_GO_CALLBACKS (SET_FIELD)

  return &plugin;
}

/* Used when the plugin calls nbdkit.Register from init() instead of
 * exporting its own plugin_init: a plugin_init exported by the
 * plugin's main package is a strong symbol and overrides this one.
 */
__attribute__ ((weak, visibility ("default")))
struct nbdkit_plugin *
plugin_init (void)
{
  return go_registered_plugin ();
}

/* Plugin-wide callbacks. */

static void
wrapper_load (void)
{
  go_load ();
}

static void
wrapper_unload (void)
{
  close_open_handles ();
  go_unload ();
  reexec_unload ();
}

static int
wrapper_config (const char *key, const char *value)
{
  return go_config ((char *) key, (char *) value);
}

static int
wrapper_config_complete (void)
{
  return go_config_complete ();
}

static void
wrapper_dump_plugin (void)
{
  /* nbdkit printed its own fields through stdio; Go writes to the
   * file descriptor directly, so flush first to keep the order.
   */
  fflush (stdout);
  go_dump_plugin ();
}

static int
wrapper_preconnect (int readonly)
{
  return go_preconnect (readonly);
}

static int
wrapper_get_ready (void)
{
  /* When nbdkit will fork, the plugin's one-time set-up runs in the
   * re-executed server only, so that nothing it acquires (a port, a
   * lock) is still held by this process: see reexec.c.
   */
  if (!reexec_original_forks () && go_get_ready () == -1)
    return -1;
  reexec_arm ();
  return 0;
}

static int
wrapper_thread_model (void)
{
  return go_thread_model ();
}

static int
wrapper_after_fork (void)
{
  /* nbdkit's forked child never gets here: it re-executed nbdkit in
   * fork itself (see reexec.c).
   */
  if (reexec_after_fork () == -1)
    return -1;
  /* nbdkit serves from here on, and has set up what nbdkit_nanosleep
   * and nbdkit_shutdown need (see functions.go).
   */
  go_serving ();
  if ((plugin_caps & PLUGIN_AFTER_FORK) && go_after_fork () == -1)
    return -1;
  reexec_ready ();
  return 0;
}

static void
wrapper_cleanup (void)
{
  close_open_handles ();
  go_cleanup ();
}

static int
wrapper_list_exports (int readonly, int is_tls,
                      struct nbdkit_exports *exports)
{
  return go_list_exports (readonly, is_tls, exports);
}

static const char *
wrapper_default_export (int readonly, int is_tls)
{
  return go_default_export (readonly, is_tls);
}

/* Connections. */

static void *
wrapper_open (int readonly)
{
  struct handle *h = calloc (1, sizeof *h);

  if (h == NULL) {
    nbdkit_error ("calloc: %m");
    return NULL;
  }
  if (go_open (readonly, &h->id, &h->caps) == -1) {
    free (h);
    return NULL;
  }
  pthread_mutex_lock (&open_handles_lock);
  h->prev = open_handles.prev;
  h->next = &open_handles;
  h->prev->next = h;
  open_handles.prev = h;
  pthread_mutex_unlock (&open_handles_lock);
  return h;
}

static void
wrapper_close (void *handle)
{
  struct handle *h = handle;

  pthread_mutex_lock (&open_handles_lock);
  h->prev->next = h->next;
  h->next->prev = h->prev;
  pthread_mutex_unlock (&open_handles_lock);
  go_close (h->id);
  free (h);
}

static void
close_open_handles (void)
{
  struct handle *h;

  for (;;) {
    pthread_mutex_lock (&open_handles_lock);
    h = open_handles.next;
    pthread_mutex_unlock (&open_handles_lock);
    if (h == &open_handles)
      return;
    nbdkit_debug ("closing a connection that nbdkit left open at shutdown");
    wrapper_close (h);
  }
}

static int64_t
wrapper_get_size (void *handle)
{
  struct handle *h = handle;

  return go_get_size (h->id);
}

/* Ask a boolean question of the connection, and remember a true
 * answer where it grants a permission.
 */
static int
ask (struct handle *h, int (*question) (uintptr_t), uint32_t permission)
{
  int r = question (h->id);

  if (r == 1 && permission)
    __atomic_fetch_or (&h->allowed, permission, __ATOMIC_RELEASE);
  return r;
}

static int
allowed (struct handle *h, uint32_t permission)
{
  return (__atomic_load_n (&h->allowed, __ATOMIC_ACQUIRE) & permission) != 0;
}

/* Refuse a request whose Can* callback did not say yes.  nbdkit does
 * not send such requests, so this is a guard, not a code path.
 */
static int
refuse (const char *method, const char *gate, int err)
{
  nbdkit_error ("%s called although %s did not return true", method, gate);
  nbdkit_set_error (err);
  return -1;
}

static int
wrapper_can_write (void *handle)
{
  return ask (handle, go_can_write, ALLOW_WRITE);
}

static int
wrapper_can_flush (void *handle)
{
  return ask (handle, go_can_flush, ALLOW_FLUSH);
}

static int
wrapper_is_rotational (void *handle)
{
  return ask (handle, go_is_rotational, 0);
}

static int
wrapper_can_trim (void *handle)
{
  return ask (handle, go_can_trim, ALLOW_TRIM);
}

static int
wrapper_can_zero (void *handle)
{
  return ask (handle, go_can_zero, ALLOW_ZERO);
}

static int
wrapper_can_multi_conn (void *handle)
{
  return ask (handle, go_can_multi_conn, 0);
}

static int
has (struct handle *h, uint32_t capability)
{
  return (h->caps & capability) != 0;
}

static int
wrapper_can_fua (void *handle)
{
  struct handle *h = handle;
  int r = NBDKIT_FUA_EMULATE;

  if (has (h, CONNECTION_CAN_FUA)) {
    r = go_can_fua (h->id);
    if (r != NBDKIT_FUA_EMULATE)
      return r;
  }
  /* Left NULL, nbdkit would emulate FUA by calling .flush whenever
   * .flush exists, even when CanFlush said no.  Emulate only when
   * Flush may really be called.
   */
  switch (wrapper_can_flush (h)) {
  case -1: return -1;
  case 0:
    if (has (h, CONNECTION_CAN_FUA))
      nbdkit_debug ("CanFUA returned FUAEmulate but CanFlush is false: "
                    "FUA is not advertised");
    return NBDKIT_FUA_NONE;
  default: return NBDKIT_FUA_EMULATE;
  }
}

static int
wrapper_can_fast_zero (void *handle)
{
  struct handle *h = handle;

  /* Always advertised.  nbdkit (1.32 to 1.42 at least) does not check
   * a client's FAST_ZERO flag against what it advertised, and aborts
   * on an assertion when the answer here was 0: one client request
   * would end the server.  A fast zero reaches Zero only if
   * CanFastZero said yes; otherwise wrapper_zero fails it at once with
   * ENOTSUP, which is what a fast zero is for (the client falls back
   * to its slow path).
   */
  if (has (h, CONNECTION_CAN_FAST_ZERO) &&
      ask (h, go_can_fast_zero, ALLOW_FAST_ZERO) == -1)
    return -1;
  return 1;
}

static int
wrapper_can_cache (void *handle)
{
  struct handle *h = handle;

  if (has (h, CONNECTION_CAN_CACHE))
    return go_can_cache (h->id);
  return has (h, CONNECTION_CACHE) ? NBDKIT_CACHE_NATIVE : NBDKIT_CACHE_NONE;
}

static int
wrapper_can_extents (void *handle)
{
  struct handle *h = handle;

  /* Extents cannot be answered without an Extents method. */
  if (!has (h, CONNECTION_EXTENTS))
    return 0;
  if (has (h, CONNECTION_CAN_EXTENTS))
    return go_can_extents (h->id);
  return 1;
}

static const char *
wrapper_export_description (void *handle)
{
  struct handle *h = handle;

  if (!has (h, CONNECTION_EXPORT_DESCRIPTION))
    return NULL;
  return go_export_description (h->id);
}

static int
wrapper_block_size (void *handle,
                    uint32_t *minimum, uint32_t *preferred, uint32_t *maximum)
{
  struct handle *h = handle;

  if (!has (h, CONNECTION_BLOCK_SIZE)) {
    *minimum = *preferred = *maximum = 0; /* no constraints */
    return 0;
  }
  return go_block_size (h->id, minimum, preferred, maximum);
}

/* Data. */

static int
wrapper_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
               uint32_t flags)
{
  struct handle *h = handle;

  return go_pread (h->id, buf, count, offset, flags);
}

static int
wrapper_pwrite (void *handle, const void *buf, uint32_t count,
                uint64_t offset, uint32_t flags)
{
  struct handle *h = handle;

  if (!allowed (h, ALLOW_WRITE))
    return refuse ("PWrite", "CanWrite", EROFS);
  return go_pwrite (h->id, (void *) buf, count, offset, flags);
}

static int
wrapper_flush (void *handle, uint32_t flags)
{
  struct handle *h = handle;

  if (!allowed (h, ALLOW_FLUSH))
    return refuse ("Flush", "CanFlush", EINVAL);
  return go_flush (h->id, flags);
}

static int
wrapper_trim (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  struct handle *h = handle;

  if (!allowed (h, ALLOW_TRIM))
    return refuse ("Trim", "CanTrim", EINVAL);
  return go_trim (h->id, count, offset, flags);
}

static int
wrapper_zero (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  struct handle *h = handle;

  /* nbdkit falls back to writing zeroes with .pwrite on ENOTSUP,
   * except for a fast zero.
   */
  if (!allowed (h, ALLOW_ZERO) ||
      ((flags & NBDKIT_FLAG_FAST_ZERO) && !allowed (h, ALLOW_FAST_ZERO))) {
    nbdkit_set_error (ENOTSUP);
    return -1;
  }
  return go_zero (h->id, count, offset, flags);
}

static int
wrapper_extents (void *handle, uint32_t count, uint64_t offset,
                 uint32_t flags, struct nbdkit_extents *extents)
{
  struct handle *h = handle;

  /* Not reached: can_extents is false without the Extenter bit. */
  if (!has (h, CONNECTION_EXTENTS))
    return refuse ("Extents", "CanExtents", EINVAL);
  return go_extents (h->id, count, offset, flags, extents);
}

static int
wrapper_cache (void *handle, uint32_t count, uint64_t offset, uint32_t flags)
{
  struct handle *h = handle;

  /* CanCache returned CacheNative without a Cache method: nbdkit's
   * rule is that such requests succeed at once.
   */
  if (!has (h, CONNECTION_CACHE))
    return 0;
  return go_cache (h->id, count, offset, flags);
}
