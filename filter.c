/* Go binding for nbdkit filters: the C half.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * nbdkit calls the functions in this file.  Each one translates its
 * arguments, crosses into Go once through the export go_filter_<field>
 * (see filter_dispatch.go), and translates the result back; a
 * connection callback the Go connection lacks calls the next layer
 * here, in C.  Everything is static except filter_init.
 */

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <errno.h>

#include "filter.h"
#include "reexec.h"
#include "_cgo_export.h"

/* The handle nbdkit holds for a filter connection: C memory, so that
 * nbdkit never holds a Go pointer.
 */
struct filter_handle {
  uintptr_t id;                 /* slot in the Go filter connection table */
  uint32_t caps;                /* enum filter_connection_capability bits */
};

/* Declare every wrapper with exactly the type of its struct field, so
 * the compiler checks each signature against nbdkit-filter.h.
 */
#define DECLARE_WRAPPER(field, ...)                                     \
  static __typeof__ (*((struct nbdkit_filter *) 0)->field) filter_##field;
NBDKIT_GO_FILTER_CALLBACKS (DECLARE_WRAPPER)
NBDKIT_GO_FILTER_CONNECTION_CALLBACKS (DECLARE_WRAPPER)

static struct nbdkit_filter filter;
static uint32_t filter_caps;    /* enum filter_capability */

struct nbdkit_filter *
wrapper_filter_init (const struct filter_info *info)
{
  /* nbdkit loads only a filter built against its own version of
   * nbdkit-filter.h, and says so otherwise.
   */
  filter._api_version = NBDKIT_FILTER_API_VERSION;
  filter._version = NBDKIT_VERSION_STRING;
  filter.name = info->name;
  filter.longname = info->longname;
  filter.description = info->description;
  filter.config_help = info->config_help;
  filter_caps = info->caps;

#define SET_FIELD(field, needs)                                 \
  if ((needs) == FILTER_ALWAYS || (info->caps & (needs)))       \
    filter.field = filter_##field;
  NBDKIT_GO_FILTER_CALLBACKS (SET_FIELD)
#define SET_CONNECTION_FIELD(field, ...) filter.field = filter_##field;
  NBDKIT_GO_FILTER_CONNECTION_CALLBACKS (SET_CONNECTION_FIELD)

  return &filter;
}

/* nbdkit finds a filter through filter_init.  Every .so built with the
 * package has it, and plugin_init (wrapper.c): the Go side says
 * clearly when the .so registered no filter, or a plugin.
 */
__attribute__ ((weak, visibility ("default")))
struct nbdkit_filter *
filter_init (void)
{
  return go_registered_filter ();
}

/* Filter-wide callbacks. */

static void
filter_load (void)
{
  go_filter_load ();
}

static void
filter_unload (void)
{
  go_filter_unload ();
  reexec_unload ();
}

static int
filter_config (nbdkit_next_config *next, nbdkit_backend *nxdata,
               const char *key, const char *value)
{
  return go_filter_config (next, nxdata, (char *) key, (char *) value);
}

static int
filter_config_complete (nbdkit_next_config_complete *next,
                        nbdkit_backend *nxdata)
{
  return go_filter_config_complete (next, nxdata);
}

static int
filter_thread_model (void)
{
  return go_filter_thread_model ();
}

/* The fork hooks run here, in the order wrapper.c runs them for a
 * plugin (see reexec.c): the filter's GetReady and AfterFork run once,
 * in the process that serves.
 */
static int
filter_get_ready (int thread_model)
{
  if (!reexec_original_forks () && (filter_caps & FILTER_GET_READY) &&
      go_filter_get_ready (thread_model) == -1)
    return -1;
  reexec_arm ();
  return 0;
}

static int
filter_after_fork (nbdkit_backend *backend)
{
  if (reexec_after_fork () == -1)
    return -1;
  go_serving ();
  if ((filter_caps & FILTER_AFTER_FORK) &&
      go_filter_after_fork (backend) == -1)
    return -1;
  reexec_ready ();
  return 0;
}

static void
filter_cleanup (nbdkit_backend *backend)
{
  go_filter_cleanup (backend);
}

static int
filter_preconnect (nbdkit_next_preconnect *next, nbdkit_backend *nxdata,
                   int readonly)
{
  return go_filter_preconnect (next, nxdata, readonly);
}

static int
filter_list_exports (nbdkit_next_list_exports *next, nbdkit_backend *nxdata,
                     int readonly, int is_tls,
                     struct nbdkit_exports *exports)
{
  return go_filter_list_exports (next, nxdata, readonly, is_tls, exports);
}

static const char *
filter_default_export (nbdkit_next_default_export *next,
                       nbdkit_backend *nxdata, int readonly, int is_tls)
{
  return go_filter_default_export (next, nxdata, readonly, is_tls);
}

/* Connections. */

static void *
filter_open (nbdkit_next_open *next, nbdkit_context *context,
             int readonly, const char *exportname, int is_tls)
{
  struct filter_handle *h = calloc (1, sizeof *h);

  if (h == NULL) {
    nbdkit_error ("calloc: %m");
    return NULL;
  }
  if (go_filter_open (next, context, readonly, (char *) exportname, is_tls,
                      &h->id, &h->caps) == -1) {
    free (h);
    return NULL;
  }
  return h;
}

static void
filter_close (void *handle)
{
  struct filter_handle *h = handle;

  go_filter_close (h->id);
  free (h);
}

/* nbdkit prepares and finalizes each layer itself: without the Go
 * method there is nothing to do.
 */
static int
filter_prepare (nbdkit_next *next, void *handle, int readonly)
{
  struct filter_handle *h = handle;

  if (!(h->caps & FCONN_PREPARE))
    return 0;
  return go_filter_prepare (h->id, next, readonly);
}

static int
filter_finalize (nbdkit_next *next, void *handle)
{
  struct filter_handle *h = handle;

  if (!(h->caps & FCONN_FINALIZE))
    return 0;
  return go_filter_finalize (h->id, next);
}

/* The rest: the Go method, or the next layer's answer as nbdkit would
 * give it for a NULL field, with no cgo call.
 */
#define ARGS(...) __VA_ARGS__
#define CONNECTION_WRAPPER(field, capability, type, params, args)       \
  static type                                                           \
  filter_##field (nbdkit_next *next, void *handle ARGS params)          \
  {                                                                     \
    const struct filter_handle *h = handle;                             \
                                                                        \
    if (!(h->caps & (capability)))                                      \
      return next->field (next ARGS args);                              \
    return go_filter_##field (h->id, next ARGS args);                   \
  }
NBDKIT_GO_FILTER_CONNECTION_CALLBACKS (CONNECTION_WRAPPER)
