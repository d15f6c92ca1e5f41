/* The C half of the fork test filter (see forkfilter.go): a
 * pass-through nbdkit filter whose one-time callbacks cross into Go
 * and call the binding's fork hooks as wrapper.c does for a plugin,
 * and as the binding's filter shim must.
 */

#include <nbdkit-filter.h>

#include "_cgo_export.h"

/* The binding's, from package libguestfs.org/nbdkit: wrapper.c's
 * plugin_init (which sets up the Go side of Register), dispatch.go's
 * exports, and reexec.h's hooks.
 */
extern void *plugin_init (void);
extern void go_load (void);
extern void go_unload (void);
extern int go_config (char *key, char *value);
extern int go_get_ready (void);
extern int go_after_fork (void);
extern void go_serving (void);
extern int reexec_original_forks (void);
extern void reexec_arm (void);
extern int reexec_after_fork (void);
extern void reexec_ready (void);
extern void reexec_unload (void);

static void
forkfilter_load (void)
{
  go_load ();
}

static void
forkfilter_unload (void)
{
  go_unload ();
  reexec_unload ();
}

static int
forkfilter_config (nbdkit_next_config *next, nbdkit_backend *nxdata,
                   const char *key, const char *value)
{
  if (forkfilter_owns ((char *) key))
    return go_config ((char *) key, (char *) value);
  return next (nxdata, key, value);
}

static int
forkfilter_get_ready (int thread_model)
{
  if (!reexec_original_forks () && go_get_ready () == -1)
    return -1;
  reexec_arm ();
  return 0;
}

static int
forkfilter_after_fork (nbdkit_backend *backend)
{
  if (reexec_after_fork () == -1)
    return -1;
  go_serving ();
  if (go_after_fork () == -1)
    return -1;
  reexec_ready ();
  return 0;
}

static struct nbdkit_filter filter = {
  .load = forkfilter_load,
  .unload = forkfilter_unload,
  .config = forkfilter_config,
  .get_ready = forkfilter_get_ready,
  .after_fork = forkfilter_after_fork,
};

NBDKIT_DLL_PUBLIC struct nbdkit_filter *
filter_init (void)
{
  plugin_init ();
  filter._api_version = NBDKIT_FILTER_API_VERSION;
  filter._version = NBDKIT_VERSION_STRING;
  filter.name = forkfilter_name ();
  return &filter;
}
