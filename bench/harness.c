/* Per-call cost of a plugin's .pread and .pwrite, or of a filter's
 * over a plugin, without a server.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 *   harness [-c COUNT] [-d SECONDS] [-r ROUNDS] [-s SIZE] NAME=STACK...
 *
 * where each STACK is PLUGIN.so, or FILTER.so+PLUGIN.so: a filter over
 * a plugin.  For each round, and in each round for each stack in turn,
 * a child process dlopens the plugin (and the filter) and calls it as
 * nbdkit would: plugin_init (filter_init), load, config (size=SIZE),
 * config_complete, get_ready, after_fork, preconnect, open (prepare)
 * and the handshake's get_size and can_* callbacks; then .pread, then
 * .pwrite, of COUNT bytes in a loop for SECONDS from 1 and then from 2
 * threads at once, on one connection.  Each thread works in its own
 * 256 KiB of the disk, which stays in the cache, so that what is
 * measured is the call and not the memory.
 *
 * With a filter the harness is nbdkit's backend: the filter's
 * callbacks get next_config, next_open, ... functions that call the
 * plugin's, and a struct nbdkit_next_ops whose members call the
 * plugin's .pread, .pwrite, .get_size and .can_* (and abort on the
 * others, which no filter measured here calls).  A callback the filter
 * leaves NULL goes straight to the plugin, as in nbdkit.  A plugin
 * alone gets its requests directly, exactly as before filters were
 * measured.
 *
 * One line per measurement goes to stdout:
 *
 *   percall NAME OP THREADS NS_PER_CALL CPU_NS_PER_CALL
 *
 * the elapsed time and the CPU time (CLOCK_THREAD_CPUTIME_ID) that one
 * thread takes per call, averaged over the threads.  The CPU time does
 * not count the time a thread waits for a core that other processes
 * use.  bench/run takes the median over the rounds.
 *
 * A process holds one stack only: a Go runtime cannot be unloaded,
 * and two in one process do not mix.  Each child execs the harness
 * again with the command line of a foreground nbdkit,
 *
 *   harness -f [--filter=FILTER.so] PLUGIN.so size=SIZE
 *
 * (the rest in the environment), because the Go binding reads the
 * command line to know whether nbdkit will fork.  The plugins and
 * filters find the nbdkit_* functions they call in this executable
 * (linked with -rdynamic): those below, and stubs that bench/run
 * generates for the rest, which stop the harness if they are ever
 * called.
 */

#define _GNU_SOURCE 1

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <time.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sys/wait.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>
#include <nbdkit-filter.h>

#define REGION (256 * 1024)     /* bytes of the disk each thread uses */
#define MAX_THREADS 2

static uint32_t count = 512;
static double seconds = 0.3;
static int rounds = 5;
static const char *size = "64M";
static bool verbose;

/* The nbdkit functions that plugins call on the way to their first
 * request.  Nothing on the measured path calls any of them.
 */

static __thread int last_error;

void
nbdkit_verror (const char *fs, va_list args)
{
  fprintf (stderr, "harness: plugin error: ");
  vfprintf (stderr, fs, args);
  fprintf (stderr, "\n");
}

void
nbdkit_error (const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  nbdkit_verror (fs, args);
  va_end (args);
}

void
nbdkit_vdebug (const char *fs, va_list args)
{
  if (verbose) {
    fprintf (stderr, "harness: plugin debug: ");
    vfprintf (stderr, fs, args);
    fprintf (stderr, "\n");
  }
}

void
nbdkit_debug (const char *fs, ...)
{
  va_list args;

  va_start (args, fs);
  nbdkit_vdebug (fs, args);
  va_end (args);
}

void
nbdkit_set_error (int err)
{
  last_error = err;
}

/* The server keeps interned strings until the plugin is unloaded; the
 * harness exits first.
 */
const char *
nbdkit_strndup_intern (const char *str, size_t n)
{
  char *r = strndup (str, n);

  if (r == NULL)
    nbdkit_error ("strndup: %m");
  return r;
}

const char *
nbdkit_strdup_intern (const char *str)
{
  return nbdkit_strndup_intern (str, strlen (str));
}

int
nbdkit_stdio_safe (void)
{
  return 1;
}

/* A number of bytes with an optional suffix: k, M, G, T (powers of
 * 1024) as nbdkit accepts them, less the rarer forms.
 */
int64_t
nbdkit_parse_size (const char *str)
{
  char *end;
  unsigned shift = 0;
  long long r;

  errno = 0;
  r = strtoll (str, &end, 10);
  switch (*end) {
  case 'b': case 'B': shift = 0; end++; break;
  case 'k': case 'K': shift = 10; end++; break;
  case 'm': case 'M': shift = 20; end++; break;
  case 'g': case 'G': shift = 30; end++; break;
  case 't': case 'T': shift = 40; end++; break;
  }
  if (errno || end == str || *end || r < 0 || r > (INT64_MAX >> shift)) {
    nbdkit_error ("could not parse size string (%s)", str);
    return -1;
  }
  return r << shift;
}

/* Called by the stubs of bench/run for functions that are not above. */
void
harness_missing (const char *function)
{
  fprintf (stderr, "harness: the plugin called %s, which the harness "
           "does not provide\n", function);
  _exit (1);
}

/* Plugin and filter loading, as nbdkit does it. */

static struct nbdkit_plugin plugin;
static void *handle;
static struct nbdkit_filter filter;
static void *filter_handle;
static bool have_filter;
static const char *self;        /* this program, to exec again */

static void
die (const char *what)
{
  fprintf (stderr, "harness: %s failed%s%s\n", what,
           last_error ? ": " : "", last_error ? strerror (last_error) : "");
  exit (1);
}

/* Call an optional callback the way nbdkit's handshake does. */
#define MAYBE_CALL(field, ...) \
  (plugin.field ? plugin.field (__VA_ARGS__) : 0)

static void *
open_library (const char *path, const char *init_name)
{
  void *dl, *(*init) (void), *p;

  dl = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    fprintf (stderr, "harness: dlopen: %s\n", dlerror ());
    exit (1);
  }
  init = (void *(*) (void)) dlsym (dl, init_name);
  if (init == NULL || (p = init ()) == NULL)
    die (init_name);
  return p;
}

/* The backend that nbdkit gives the filter: the plugin.  The errno of
 * a failed plugin call is its nbdkit_set_error, or EIO.
 */
static int
plugin_errno (void)
{
  return last_error ? last_error : EIO;
}

static int
next_config (nbdkit_backend *nxdata, const char *key, const char *value)
{
  return plugin.config ? plugin.config (key, value) : -1;
}

static int
next_config_complete (nbdkit_backend *nxdata)
{
  return MAYBE_CALL (config_complete);
}

static int
next_preconnect (nbdkit_backend *nxdata, int readonly)
{
  return MAYBE_CALL (preconnect, readonly);
}

static int
next_open (nbdkit_context *context, int readonly, const char *exportname)
{
  handle = plugin.open (readonly);
  return handle == NULL ? -1 : 0;
}

/* nbdkit's answers for a plugin that lacks the callback, simplified
 * for the RAM disks measured here.
 */
static int64_t next_get_size (nbdkit_next *n) { return plugin.get_size (handle); }
#define NEXT_CAN(field, otherwise)                                      \
  static int                                                            \
  next_##field (nbdkit_next *n)                                         \
  {                                                                     \
    return plugin.field ? plugin.field (handle) : (otherwise);          \
  }
NEXT_CAN (can_write, plugin.pwrite != NULL)
NEXT_CAN (can_flush, plugin.flush != NULL)
NEXT_CAN (is_rotational, 0)
NEXT_CAN (can_trim, plugin.trim != NULL)
NEXT_CAN (can_zero, plugin.zero ? NBDKIT_ZERO_NATIVE : NBDKIT_ZERO_EMULATE)
NEXT_CAN (can_fast_zero, 0)
NEXT_CAN (can_extents, plugin.extents != NULL)
NEXT_CAN (can_fua, plugin.flush ? NBDKIT_FUA_EMULATE : NBDKIT_FUA_NONE)
NEXT_CAN (can_multi_conn, 0)
NEXT_CAN (can_cache, NBDKIT_CACHE_NONE)

static int
next_pread (nbdkit_next *n, void *buf, uint32_t count, uint64_t offset,
            uint32_t flags, int *err)
{
  int r = plugin.pread (handle, buf, count, offset, flags);

  if (r == -1)
    *err = plugin_errno ();
  return r;
}

static int
next_pwrite (nbdkit_next *n, const void *buf, uint32_t count,
             uint64_t offset, uint32_t flags, int *err)
{
  int r = plugin.pwrite (handle, buf, count, offset, flags);

  if (r == -1)
    *err = plugin_errno ();
  return r;
}

/* What no filter measured here calls: loudly. */
#define NEXT_MISSING(field)                                             \
  static void                                                           \
  next_missing_##field (void)                                           \
  {                                                                     \
    harness_missing ("nbdkit_next_ops." #field);                        \
  }
NEXT_MISSING (prepare)
NEXT_MISSING (finalize)
NEXT_MISSING (export_description)
NEXT_MISSING (block_size)
NEXT_MISSING (flush)
NEXT_MISSING (trim)
NEXT_MISSING (zero)
NEXT_MISSING (extents)
NEXT_MISSING (cache)

#define MISSING(field) ((__typeof__ (((nbdkit_next *) 0)->field)) \
                        next_missing_##field)
static struct nbdkit_next_ops next = {
  .prepare            = MISSING (prepare),
  .finalize           = MISSING (finalize),
  .get_size           = next_get_size,
  .export_description = MISSING (export_description),
  .block_size         = MISSING (block_size),
  .can_write          = next_can_write,
  .can_flush          = next_can_flush,
  .is_rotational      = next_is_rotational,
  .can_trim           = next_can_trim,
  .can_zero           = next_can_zero,
  .can_fast_zero      = next_can_fast_zero,
  .can_extents        = next_can_extents,
  .can_fua            = next_can_fua,
  .can_multi_conn     = next_can_multi_conn,
  .can_cache          = next_can_cache,
  .pread              = next_pread,
  .pwrite             = next_pwrite,
  .flush              = MISSING (flush),
  .trim               = MISSING (trim),
  .zero               = MISSING (zero),
  .extents            = MISSING (extents),
  .cache              = MISSING (cache),
};

/* The harness's only backend and context: nbdkit's are opaque to the
 * filter, which hands them back to the next_* functions above.
 */
static char backend_token, context_token;
#define BACKEND ((nbdkit_backend *) &backend_token)
#define CONTEXT ((nbdkit_context *) &context_token)

/* The filter's callback if it has one, else the next layer's, as
 * nbdkit does for a NULL field.
 */
#define FILTER_OR_NEXT(field) \
  (filter.field ? filter.field (&next, filter_handle) : next.field (&next))

static void
load_stack (const char *filter_path, const char *plugin_path)
{
  struct nbdkit_plugin *p;
  struct nbdkit_filter *f = NULL;

  p = open_library (plugin_path, "plugin_init");
  if (p->_api_version != NBDKIT_API_VERSION) {
    fprintf (stderr, "harness: %s: API version %d, not %d\n",
             plugin_path, p->_api_version, NBDKIT_API_VERSION);
    exit (1);
  }
  /* An older plugin's struct is shorter: the rest stays NULL. */
  memcpy (&plugin, p, p->_struct_size < sizeof plugin
          ? p->_struct_size : sizeof plugin);
  if (filter_path) {
    f = open_library (filter_path, "filter_init");
    if (f->_api_version != NBDKIT_FILTER_API_VERSION ||
        strcmp (f->_version, NBDKIT_VERSION_STRING) != 0) {
      fprintf (stderr, "harness: %s: filter API %d of nbdkit %s, not %d of %s\n",
               filter_path, f->_api_version, f->_version,
               NBDKIT_FILTER_API_VERSION, NBDKIT_VERSION_STRING);
      exit (1);
    }
    filter = *f;
    have_filter = true;
  }

  /* nbdkit loads the plugin, then the filters; configures from the
   * outermost layer in; gets the layers ready from the plugin out.
   */
  if (plugin.load)
    plugin.load ();
  if (have_filter && filter.load)
    filter.load ();
  if (have_filter && filter.config) {
    if (filter.config (next_config, BACKEND, "size", size) == -1)
      die ("filter config size");
  }
  else if (next_config (BACKEND, "size", size) == -1)
    die ("config size");
  if (have_filter && filter.config_complete) {
    if (filter.config_complete (next_config_complete, BACKEND) == -1)
      die ("filter config_complete");
  }
  else if (next_config_complete (BACKEND) == -1)
    die ("config_complete");
  if (MAYBE_CALL (get_ready) == -1)
    die ("get_ready");
  if (have_filter && filter.get_ready &&
      filter.get_ready (NBDKIT_THREAD_MODEL_PARALLEL) == -1)
    die ("filter get_ready");
  if (MAYBE_CALL (after_fork) == -1)
    die ("after_fork");
  if (have_filter && filter.after_fork && filter.after_fork (BACKEND) == -1)
    die ("filter after_fork");
  if (have_filter && filter.preconnect) {
    if (filter.preconnect (next_preconnect, BACKEND, 0) == -1)
      die ("filter preconnect");
  }
  else if (next_preconnect (BACKEND, 0) == -1)
    die ("preconnect");

  if (!have_filter) {
    if (next_open (CONTEXT, 0, "") == -1)
      die ("open");
  }
  else {
    filter_handle = filter.open ? filter.open (next_open, CONTEXT, 0, "", 0)
      : (next_open (CONTEXT, 0, "") == -1 ? NULL : NBDKIT_HANDLE_NOT_NEEDED);
    if (filter_handle == NULL)
      die ("filter open");
    if (handle == NULL)
      die ("filter open (it did not open the plugin)");
    if (filter.prepare && filter.prepare (&next, filter_handle, 0) == -1)
      die ("filter prepare");
  }

  /* The handshake, through the filter if there is one (with none,
   * every filter field is NULL and FILTER_OR_NEXT calls the plugin,
   * with nbdkit's answer where it lacks the callback).  The Go binding
   * only lets .pwrite through after .can_write said yes.
   */
  if (FILTER_OR_NEXT (get_size) < (int64_t) MAX_THREADS * REGION)
    die ("get_size (the disk is too small)");
  if (FILTER_OR_NEXT (can_write) != 1)
    die ("can_write");
  if (FILTER_OR_NEXT (can_flush) == -1 ||
      FILTER_OR_NEXT (is_rotational) == -1 ||
      FILTER_OR_NEXT (can_trim) == -1 ||
      FILTER_OR_NEXT (can_zero) == -1 ||
      FILTER_OR_NEXT (can_fast_zero) == -1 ||
      FILTER_OR_NEXT (can_fua) == -1 ||
      FILTER_OR_NEXT (can_multi_conn) == -1 ||
      FILTER_OR_NEXT (can_extents) == -1 ||
      FILTER_OR_NEXT (can_cache) == -1)
    die ("can_*");
}

static void
unload_stack (void)
{
  if (have_filter) {
    if (filter.finalize && filter.finalize (&next, filter_handle) == -1)
      die ("filter finalize");
    if (filter.close)
      filter.close (filter_handle);
  }
  if (plugin.close)
    plugin.close (handle);
  if (have_filter && filter.cleanup)
    filter.cleanup (BACKEND);
  if (plugin.cleanup)
    plugin.cleanup ();
  if (have_filter && filter.unload)
    filter.unload ();
  if (plugin.unload)
    plugin.unload ();
  /* Not dlclose: a Go runtime cannot be unloaded. */
}

/* One request through the stack: the plugin alone is called directly. */
static inline int
stack_pread (void *buf, uint32_t count, uint64_t offset)
{
  int err = 0;

  if (!have_filter)
    return plugin.pread (handle, buf, count, offset, 0);
  if (filter.pread)
    return filter.pread (&next, filter_handle, buf, count, offset, 0, &err);
  return next.pread (&next, buf, count, offset, 0, &err);
}

static inline int
stack_pwrite (const void *buf, uint32_t count, uint64_t offset)
{
  int err = 0;

  if (!have_filter)
    return plugin.pwrite (handle, buf, count, offset, 0);
  if (filter.pwrite)
    return filter.pwrite (&next, filter_handle, buf, count, offset, 0, &err);
  return next.pwrite (&next, buf, count, offset, 0, &err);
}

/* The measurement. */

enum op { PREAD, PWRITE };
static const char *op_names[] = { "pread", "pwrite" };

struct worker {
  pthread_t thread;
  int index;
  enum op op;
  uint64_t calls;
  double ns;                    /* elapsed */
  double cpu_ns;                /* of CPU time used by the thread */
};

static pthread_barrier_t start;
static volatile int stop;       /* set by the main thread after SECONDS */

static double
now (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *
work (void *arg)
{
  struct worker *w = arg;
  const uint64_t base = (uint64_t) w->index * REGION;
  char *buf;
  uint64_t i, offset = 0;
  double t0, cpu0;
  int r = 0;

  if (posix_memalign ((void **) &buf, 4096, count) != 0)
    abort ();
  memset (buf, w->index + 1, count);

  /* Warm up: the first call from a new thread into Go is slow, and the
   * region must be in the cache.
   */
  for (i = 0; i < 2 * REGION / count + 1000; i++) {
    offset = (offset + count) % (REGION - count + 1);
    r |= stack_pread (buf, count, base + offset);
  }
  if (r == -1)
    die ("pread");

  pthread_barrier_wait (&start);
  t0 = now (CLOCK_MONOTONIC);
  cpu0 = now (CLOCK_THREAD_CPUTIME_ID);
  for (i = 0; !stop; i++) {
    offset = (offset + count) % (REGION - count + 1);
    if (w->op == PREAD)
      r |= stack_pread (buf, count, base + offset);
    else
      r |= stack_pwrite (buf, count, base + offset);
  }
  w->ns = now (CLOCK_MONOTONIC) - t0;
  w->cpu_ns = now (CLOCK_THREAD_CPUTIME_ID) - cpu0;
  w->calls = i;
  if (r == -1)
    die (op_names[w->op]);
  free (buf);
  return NULL;
}

static void
measure (const char *name, enum op op, int threads)
{
  struct worker workers[MAX_THREADS];
  struct timespec duration = {
    .tv_sec = (time_t) seconds,
    .tv_nsec = (long) ((seconds - (time_t) seconds) * 1e9),
  };
  double ns = 0, cpu_ns = 0;
  int i;

  stop = 0;
  pthread_barrier_init (&start, NULL, threads + 1);
  for (i = 0; i < threads; i++) {
    workers[i] = (struct worker) { .index = i, .op = op };
    if (pthread_create (&workers[i].thread, NULL, work, &workers[i]) != 0)
      die ("pthread_create");
  }
  pthread_barrier_wait (&start);
  nanosleep (&duration, NULL);
  stop = 1;
  for (i = 0; i < threads; i++) {
    pthread_join (workers[i].thread, NULL);
    ns += workers[i].ns / workers[i].calls;
    cpu_ns += workers[i].cpu_ns / workers[i].calls;
  }
  pthread_barrier_destroy (&start);
  printf ("percall %s %s %d %.1f %.1f\n", name, op_names[op], threads,
          ns / threads, cpu_ns / threads);
  fflush (stdout);
}

static void
run_stack (const char *name, const char *filter_path, const char *plugin_path)
{
  int threads;

  load_stack (filter_path, plugin_path);
  for (threads = 1; threads <= MAX_THREADS; threads++)
    measure (name, PREAD, threads);
  for (threads = 1; threads <= MAX_THREADS; threads++)
    measure (name, PWRITE, threads);
  unload_stack ();
}

static void
usage (void)
{
  fprintf (stderr, "usage: harness [-v] [-c COUNT] [-d SECONDS] [-r ROUNDS] "
           "[-s SIZE] NAME=[FILTER.so+]PLUGIN.so...\n");
  exit (2);
}

/* The child: "harness -f [--filter=FILTER] PLUGIN size=SIZE", and in
 * HARNESS_CHILD, "NAME COUNT SECONDS VERBOSE".
 */
static int
child_main (const char *parameters, int argc, char *argv[])
{
  char name[64];
  const char *filter_path = NULL;
  int v, i = 2;

  if (argc == 5 && strncmp (argv[2], "--filter=", 9) == 0)
    filter_path = argv[i++] + 9;
  if (sscanf (parameters, "%63s %" SCNu32 " %lf %d",
              name, &count, &seconds, &v) != 4 ||
      argc != i + 2 || strncmp (argv[i + 1], "size=", 5) != 0)
    usage ();
  verbose = v;
  size = argv[i + 1] + 5;
  run_stack (name, filter_path, argv[i]);
  return 0;
}

/* Run NAME's measurements in a child process, as a foreground nbdkit.
 * STACK is PLUGIN.so or FILTER.so+PLUGIN.so.
 */
static void
spawn (const char *name, const char *stack)
{
  char parameters[128], size_parameter[64];
  char *filter_parameter = NULL;
  const char *plugin_path = stack, *plus = strchr (stack, '+');
  pid_t pid;
  int status;

  if (plus) {
    plugin_path = plus + 1;
    if (asprintf (&filter_parameter, "--filter=%.*s",
                  (int) (plus - stack), stack) == -1)
      die ("asprintf");
  }
  snprintf (parameters, sizeof parameters, "%s %" PRIu32 " %g %d",
            name, count, seconds, verbose);
  snprintf (size_parameter, sizeof size_parameter, "size=%s", size);
  fflush (stdout);
  pid = fork ();
  if (pid == -1)
    die ("fork");
  if (pid == 0) {
    setenv ("HARNESS_CHILD", parameters, 1);
    if (filter_parameter)
      execl (self, "harness", "-f", filter_parameter, plugin_path,
             size_parameter, NULL);
    else
      execl (self, "harness", "-f", plugin_path, size_parameter, NULL);
    fprintf (stderr, "harness: exec %s: %m\n", self);
    _exit (1);
  }
  free (filter_parameter);
  if (waitpid (pid, &status, 0) == -1 ||
      !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    fprintf (stderr, "harness: %s failed\n", name);
    exit (1);
  }
}

int
main (int argc, char *argv[])
{
  const char *child = getenv ("HARNESS_CHILD");
  int opt, round, i;

  if (child)
    return child_main (child, argc, argv);
  /* argv[0] rather than /proc/self/exe, which is valgrind under
   * valgrind --trace-children=yes.
   */
  self = strchr (argv[0], '/') ? argv[0] : "/proc/self/exe";

  while ((opt = getopt (argc, argv, "c:d:r:s:v")) != -1) {
    switch (opt) {
    case 'c': count = atoi (optarg); break;
    case 'd': seconds = atof (optarg); break;
    case 'r': rounds = atoi (optarg); break;
    case 's': size = optarg; break;
    case 'v': verbose = true; break;
    default: usage ();
    }
  }
  if (optind == argc || count == 0 || count > REGION || seconds <= 0)
    usage ();
  for (i = optind; i < argc; i++)
    if (strchr (argv[i], '=') == NULL)
      usage ();

  /* Rounds alternate the stacks, A B C A B C, so that a slow moment
   * of the machine does not fall on one stack only.
   */
  for (round = 0; round < rounds; round++) {
    for (i = optind; i < argc; i++) {
      char *name = strndup (argv[i], strchr (argv[i], '=') - argv[i]);

      if (name == NULL || strlen (name) > 63 || strchr (name, ' '))
        usage ();
      spawn (name, strchr (argv[i], '=') + 1);
      free (name);
    }
  }
  return 0;
}
