/* Per-call cost of a plugin's .pread and .pwrite, without a server.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 *   harness [-c COUNT] [-d SECONDS] [-r ROUNDS] [-s SIZE] NAME=PLUGIN.so...
 *
 * For each round, and in each round for each plugin in turn, a child
 * process dlopens the plugin and calls it as nbdkit would: plugin_init,
 * load, config (size=SIZE), config_complete, get_ready, after_fork,
 * open and the handshake's can_* callbacks; then .pread, then .pwrite,
 * of COUNT bytes in a loop for SECONDS from 1 and then from 2 threads
 * at once, on one connection.  Each thread works in its own 256 KiB
 * of the disk, which stays in the cache, so that what is measured is
 * the call and not the memory.
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
 * A process holds one plugin only: a Go runtime cannot be unloaded,
 * and two in one process do not mix.  Each child execs the harness
 * again with the command line of a foreground nbdkit,
 *
 *   harness -f PLUGIN.so size=SIZE
 *
 * (the rest in the environment), because the Go binding reads the
 * command line to know whether nbdkit will fork.  The plugins find the nbdkit_*
 * functions they call in this executable (linked with -rdynamic):
 * those below, and stubs that bench/run generates for the rest, which
 * stop the harness if they are ever called.
 */

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

/* Plugin loading, as nbdkit does it. */

static struct nbdkit_plugin plugin;
static void *handle;
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

static void
load_plugin (const char *path)
{
  void *dl;
  struct nbdkit_plugin *(*init) (void);
  struct nbdkit_plugin *p;

  dl = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    fprintf (stderr, "harness: dlopen: %s\n", dlerror ());
    exit (1);
  }
  init = dlsym (dl, "plugin_init");
  if (init == NULL || (p = init ()) == NULL)
    die ("plugin_init");
  if (p->_api_version != NBDKIT_API_VERSION) {
    fprintf (stderr, "harness: %s: API version %d, not %d\n",
             path, p->_api_version, NBDKIT_API_VERSION);
    exit (1);
  }
  /* An older plugin's struct is shorter: the rest stays NULL. */
  memcpy (&plugin, p, p->_struct_size < sizeof plugin
          ? p->_struct_size : sizeof plugin);

  if (plugin.load)
    plugin.load ();
  if (plugin.config == NULL || plugin.config ("size", size) == -1)
    die ("config size");
  if (MAYBE_CALL (config_complete) == -1)
    die ("config_complete");
  if (MAYBE_CALL (get_ready) == -1)
    die ("get_ready");
  if (MAYBE_CALL (after_fork) == -1)
    die ("after_fork");
  if (MAYBE_CALL (preconnect, 0) == -1)
    die ("preconnect");

  handle = plugin.open (0);
  if (handle == NULL)
    die ("open");
  if (plugin.get_size (handle) < (int64_t) MAX_THREADS * REGION)
    die ("get_size (the disk is too small)");
  /* The handshake.  The Go binding only lets .pwrite through after
   * .can_write said yes.
   */
  if (MAYBE_CALL (can_write, handle) != 1)
    die ("can_write");
  if (MAYBE_CALL (can_flush, handle) == -1 ||
      MAYBE_CALL (is_rotational, handle) == -1 ||
      MAYBE_CALL (can_trim, handle) == -1 ||
      MAYBE_CALL (can_zero, handle) == -1 ||
      MAYBE_CALL (can_fast_zero, handle) == -1 ||
      MAYBE_CALL (can_fua, handle) == -1 ||
      MAYBE_CALL (can_multi_conn, handle) == -1 ||
      MAYBE_CALL (can_extents, handle) == -1 ||
      MAYBE_CALL (can_cache, handle) == -1)
    die ("can_*");
}

static void
unload_plugin (void)
{
  if (plugin.close)
    plugin.close (handle);
  if (plugin.cleanup)
    plugin.cleanup ();
  if (plugin.unload)
    plugin.unload ();
  /* Not dlclose: a Go runtime cannot be unloaded. */
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
    r |= plugin.pread (handle, buf, count, base + offset, 0);
  }
  if (r == -1)
    die ("pread");

  pthread_barrier_wait (&start);
  t0 = now (CLOCK_MONOTONIC);
  cpu0 = now (CLOCK_THREAD_CPUTIME_ID);
  for (i = 0; !stop; i++) {
    offset = (offset + count) % (REGION - count + 1);
    if (w->op == PREAD)
      r |= plugin.pread (handle, buf, count, base + offset, 0);
    else
      r |= plugin.pwrite (handle, buf, count, base + offset, 0);
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
run_plugin (const char *name, const char *path)
{
  int threads;

  load_plugin (path);
  for (threads = 1; threads <= MAX_THREADS; threads++)
    measure (name, PREAD, threads);
  for (threads = 1; threads <= MAX_THREADS; threads++)
    measure (name, PWRITE, threads);
  unload_plugin ();
}

static void
usage (void)
{
  fprintf (stderr, "usage: harness [-v] [-c COUNT] [-d SECONDS] [-r ROUNDS] "
           "[-s SIZE] NAME=PLUGIN.so...\n");
  exit (2);
}

/* The child: "harness -f PLUGIN size=SIZE", and in HARNESS_CHILD,
 * "NAME COUNT SECONDS VERBOSE".
 */
static int
child_main (const char *parameters, int argc, char *argv[])
{
  char name[64];
  int v;

  if (sscanf (parameters, "%63s %" SCNu32 " %lf %d",
              name, &count, &seconds, &v) != 4 ||
      argc != 4 || strncmp (argv[3], "size=", 5) != 0)
    usage ();
  verbose = v;
  size = argv[3] + 5;
  run_plugin (name, argv[2]);
  return 0;
}

/* Run NAME's measurements in a child process, as a foreground nbdkit. */
static void
spawn (const char *name, const char *path)
{
  char parameters[128], size_parameter[64];
  pid_t pid;
  int status;

  snprintf (parameters, sizeof parameters, "%s %" PRIu32 " %g %d",
            name, count, seconds, verbose);
  snprintf (size_parameter, sizeof size_parameter, "size=%s", size);
  fflush (stdout);
  pid = fork ();
  if (pid == -1)
    die ("fork");
  if (pid == 0) {
    setenv ("HARNESS_CHILD", parameters, 1);
    execl (self, "harness", "-f", path, size_parameter, NULL);
    fprintf (stderr, "harness: exec %s: %m\n", self);
    _exit (1);
  }
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

  /* Rounds alternate the plugins, A B C A B C, so that a slow moment
   * of the machine does not fall on one plugin only.
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
