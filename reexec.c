/* Go binding for nbdkit plugins: surviving nbdkit's fork.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * Unless run with -f (or -s, --exit-with-parent, or socket
 * activation), nbdkit loads the plugin, runs load, config,
 * config_complete and get_ready, opens its listening sockets, and then
 * forks: into the background (daemon mode), or to run the --run
 * command in the parent while the child serves (captive mode).  fork
 * keeps only the calling thread, and the Go runtime, whose threads
 * started when the plugin was loaded, cannot run in the child.
 *
 * So in the forked child, before any Go code runs (in the atfork
 * child handler, before nbdkit itself goes on), nbdkit is re-executed
 * with the listening sockets it already has, by systemd socket
 * activation (LISTEN_PID, LISTEN_FDS): the new process starts a fresh
 * Go runtime, loads the plugin again, runs every callback up to
 * after_fork, and serves in the foreground, with the same pid.
 *
 * The original process waits, inside fork, until the new server says
 * it serves (a byte on a pipe, from reexec_ready), so that it behaves
 * as it would for a C plugin: a server that fails to start makes the
 * starting command fail, on the terminal, instead of a daemon that
 * exits 0 and serves nothing, or a --run command that never gets a
 * server.  The plugin's one-time set-up (get_ready) runs only in the
 * server, so nothing it acquires is held twice.
 *
 * Everything here is C, because in the forked child nothing else can
 * run; the new command line is built in Go beforehand (internal/cmdline).
 *
 * Several Go libraries: a Go filter over a Go plugin (and maybe more
 * Go filters) puts several Go runtimes in one nbdkit, each library
 * with its own copy of this file.  nbdkit forks once, and that fork
 * runs every library's atfork handlers, but nbdkit must be re-executed
 * exactly once, the original process must wait for one ready byte,
 * and the server must tell each library that it is the server (the
 * environment it gets is read, and cleared, by the first constructor).
 * So the first Go library that nbdkit loads (the plugin, before the
 * filters; else the last --filter, which nbdkit loads first) owns the
 * process: it alone reads the environment, records what nbdkit had at
 * load, registers the atfork handlers and re-executes; every later
 * one finds its table, nbdkit_go_reexec_owner_v1, with dlsym in the
 * global scope (nbdkit loads plugins and filters RTLD_GLOBAL) and
 * forwards each hook to it.  The owner counts the Go layers that got
 * ready, and the server says it serves when the last of them
 * (nbdkit's outermost Go filter) is past its AfterFork, so that any
 * layer's failure there fails the starting command.
 */

#define _GNU_SOURCE 1

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "wrapper.h"
#include "reexec.h"

/* State passed to the re-executed nbdkit. */
#define ENV_PROCESS "NBDKIT_GO_REEXEC"          /* "daemon" or "run" */
#define ENV_SOCKET  "NBDKIT_GO_TEMP_SOCKET"     /* -U -'s socket path */
#define ENV_READY   "NBDKIT_GO_READY_FD"        /* where to say it serves */
#define ENV_PATHS   "NBDKIT_GO_PATH_FDS"        /* the plugin and filters,
                                                   opened as root: "5,6" */

/* Socket activation hands over at most this many sockets, and the
 * caller's file descriptors are watched in this range above 2.
 */
#define MAX_LISTENING 64
#define MAX_SOCKETS 1024                /* listening sockets seen at once */

static pid_t load_pid;                  /* getpid () at load */
static char *load_exe;                  /* the nbdkit binary */
static char *load_cwd;                  /* the directory nbdkit started in */
static enum reexec_process process;
static int socket_activated;            /* LISTEN_FDS given to this nbdkit */
static char *temp_socket;               /* to remove at unload */
static int ready_fd = -1;               /* server: the original waits on it */
/* The fd limit nbdkit was started with: the Go runtime raises the soft
 * limit to the hard one when it starts, and --run's command should not
 * inherit that.
 */
static struct rlimit load_nofile;
static int have_load_nofile;

/* inherited[i]: fd 3+i was open, without FD_CLOEXEC, when nbdkit
 * loaded the plugin, so it is the caller's (nbdkit opens its own with
 * FD_CLOEXEC): socket activation must not replace it.
 */
static char inherited[MAX_LISTENING];

static char **server_argv;              /* from Go: the new command line */
static int command_flags;               /* enum reexec_flag */
static char *command_error;             /* why server_argv is NULL */
static char *server_user;               /* -u in daemon mode */
static int command_set;                 /* by the first Go library's load */
/* A daemon started with -u or -g changes user before it forks, so the
 * server it re-executes may not be able to open the plugin or a filter
 * (a checkout in /root): it opens /proc/self/fd/N instead, N a file
 * descriptor opened at load, as nbdkit's user.
 */
struct open_path {
  struct reexec_path path;              /* in server_argv */
  int fd;
};
static struct open_path *open_paths;
static int nopen_paths;
/* The server: those file descriptors, which nbdkit has loaded the
 * plugin and filters from once the first get_ready runs.
 */
static int *loaded_fds;
static int nloaded_fds;

/* The Go layers (plugin, filters) whose get_ready ran, and of those
 * the ones past their AfterFork: see reexec_ready.
 */
static int layers;
static int layers_serving;

/* Between get_ready and nbdkit's fork. */
static int armed;                       /* the next fork is nbdkit's */
static sigset_t saved_mask;             /* the mask before that fork */
struct socket_id { dev_t dev; ino_t ino; };
static struct socket_id before[MAX_SOCKETS]; /* listening at get_ready */
static int nbefore;
static int sockets[MAX_LISTENING];      /* nbdkit's own, in fd order */
static int nsockets;
static int ready_pipe[2] = { -1, -1 };

static int given_listen_fds (void);
static void read_loaded_fds (const char *list);
static void fork_prepare (void);
static void fork_parent (void);
static void fork_child (void);

/* The hooks of reexec.h, as the owner of the process runs them (see
 * "Several Go libraries" above).  Change the symbol's name if the
 * table changes: libraries built from different versions of the
 * binding then each own their own, and the start fails, instead of
 * calling each other wrongly.
 */
struct reexec_owner {
  void (*set_command) (char **argv, int flags, const char *user,
                       const struct reexec_path *paths, int npaths,
                       const char *error);
  int (*process) (void);
  int (*socket_activated) (void);
  int (*original_forks) (void);
  void (*arm) (void);
  int (*after_fork) (void);
  void (*ready) (void);
  void (*unload) (void);
};
#define OWNER_SYMBOL "nbdkit_go_reexec_owner_v1"
extern const struct reexec_owner nbdkit_go_reexec_owner_v1;
static const struct reexec_owner *owner = &nbdkit_go_reexec_owner_v1;

/* Runs when the library is loaded, before any Go code.  The Go runtime
 * starts from a constructor of its own, in a thread, and at once
 * raises the soft fd limit and opens fds: the priority makes this one
 * run first (the linker sorts constructors with a priority before the
 * others), so that what it records is what nbdkit had.  A later Go
 * library runs after the first one's runtime did that: it records
 * nothing, and leaves it all to the first.
 */
__attribute__ ((constructor (101)))
static void
reexec_load (void)
{
  const struct reexec_owner *first = NULL;
  void *global;
  const char *p;
  int fd, flags;

  /* The global scope, not RTLD_DEFAULT: for a library linked
   * -Bsymbolic, as Go's c-shared libraries are, RTLD_DEFAULT finds
   * the library's own symbol first.
   */
  global = dlopen (NULL, RTLD_LAZY);
  if (global) {
    first = dlsym (global, OWNER_SYMBOL);
    dlclose (global);
  }
  if (first != NULL && first != &nbdkit_go_reexec_owner_v1) {
    owner = first;
    return;
  }

  load_pid = getpid ();
  have_load_nofile = getrlimit (RLIMIT_NOFILE, &load_nofile) == 0;
  load_cwd = getcwd (NULL, 0);
  /* Exec'ing the real path, not /proc/self/exe, keeps the process
   * name "nbdkit" for ps and pgrep.
   */
  load_exe = realpath ("/proc/self/exe", NULL);
  pthread_atfork (fork_prepare, fork_parent, fork_child);
  socket_activated = given_listen_fds ();
  for (fd = 3; fd < 3 + MAX_LISTENING; fd++) {
    flags = fcntl (fd, F_GETFD);
    inherited[fd - 3] = flags != -1 && !(flags & FD_CLOEXEC);
  }

  p = getenv (ENV_PROCESS);
  if (p == NULL)
    return;
  process = strcmp (p, "run") == 0 ? PROCESS_RUN_SERVER : PROCESS_DAEMON_SERVER;
  p = getenv (ENV_SOCKET);
  if (p)
    temp_socket = strdup (p);
  p = getenv (ENV_READY);
  if (p) {
    ready_fd = atoi (p);
    /* Not for the plugin's own child processes. */
    if (fcntl (ready_fd, F_SETFD, FD_CLOEXEC) == -1)
      ready_fd = -1;
  }
  p = getenv (ENV_PATHS);
  if (p)
    read_loaded_fds (p);
  unsetenv (ENV_PROCESS);
  unsetenv (ENV_SOCKET);
  unsetenv (ENV_READY);
  unsetenv (ENV_PATHS);
  /* A daemon has no parent to die with: the original nbdkit exits
   * once this process serves.
   */
  if (process == PROCESS_DAEMON_SERVER)
    prctl (PR_SET_PDEATHSIG, 0);
}

/* Was this nbdkit started by socket activation?  nbdkit unsets
 * LISTEN_PID and LISTEN_FDS before it loads plugins, but
 * /proc/self/environ keeps the environment it was started with.  A
 * listening socket at fd 3 alone proves nothing: the caller may have
 * left one open.
 */
static int
given_listen_fds (void)
{
  char buf[4096], *env = NULL, *p, *end, *grown;
  size_t len = 0;
  ssize_t r;
  long pid = 0, fds = 0;
  int fd = open ("/proc/self/environ", O_RDONLY | O_CLOEXEC);

  if (fd == -1)
    return 0;
  while ((r = read (fd, buf, sizeof buf)) > 0) {
    grown = realloc (env, len + r + 1);
    if (grown == NULL)
      break;
    env = grown;
    memcpy (env + len, buf, r);
    len += r;
  }
  close (fd);
  if (env == NULL)
    return 0;
  env[len] = '\0';
  for (p = env, end = env + len; p < end; p += strlen (p) + 1) {
    if (strncmp (p, "LISTEN_PID=", 11) == 0)
      pid = atol (p + 11);
    else if (strncmp (p, "LISTEN_FDS=", 11) == 0)
      fds = atol (p + 11);
  }
  free (env);
  return pid == getpid () && fds > 0;
}

/* The server: the comma-separated file descriptors of ENV_PATHS, kept
 * until nbdkit has loaded the plugin and filters from them, but not
 * for the plugin's own child processes.
 */
static void
read_loaded_fds (const char *list)
{
  const char *p;
  char *end;
  long fd;
  int n = 1;

  for (p = list; *p; p++)
    n += *p == ',';
  loaded_fds = calloc (n, sizeof *loaded_fds);
  if (loaded_fds == NULL)
    return;
  for (p = list; *p; p = *end ? end + 1 : end) {
    fd = strtol (p, &end, 10);
    if (end == p)
      break;
    if (fcntl ((int) fd, F_SETFD, FD_CLOEXEC) == 0)
      loaded_fds[nloaded_fds++] = (int) fd;
  }
}

static void
close_loaded_fds (void)
{
  int i;

  for (i = 0; i < nloaded_fds; i++)
    close (loaded_fds[i]);
  nloaded_fds = 0;
}

static void
own_set_command (char **argv, int flags, const char *user,
                 const struct reexec_path *paths, int npaths,
                 const char *error)
{
  size_t n, i;
  int fd, j;

  if (command_set)
    return;
  command_set = 1;
  command_flags = flags;
  if (user)
    server_user = strdup (user);
  if (argv == NULL) {
    command_error = error ? strdup (error) : NULL;
    return;
  }
  for (n = 0; argv[n]; n++)
    ;
  server_argv = calloc (n + 1, sizeof *server_argv);
  if (server_argv == NULL)
    return;
  for (i = 0; i < n; i++)
    if ((server_argv[i] = strdup (argv[i])) == NULL) {
      server_argv = NULL;       /* leaked, once, on ENOMEM */
      return;
    }
  if (npaths > 0 && (open_paths = calloc (npaths, sizeof *open_paths)) == NULL)
    return;
  for (j = 0; j < npaths; j++) {
    if (paths[j].arg < 0 || (size_t) paths[j].arg >= n || paths[j].offset < 0 ||
        (size_t) paths[j].offset > strlen (argv[paths[j].arg]))
      continue;
    fd = open (argv[paths[j].arg] + paths[j].offset, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
      continue;
    open_paths[nopen_paths].path = paths[j];
    open_paths[nopen_paths].fd = fd;
    nopen_paths++;
  }
}

static int
own_process (void)
{
  return process;
}

static int
own_socket_activated (void)
{
  return socket_activated;
}

static int
own_original_forks (void)
{
  return process == PROCESS_ORIGINAL && server_argv &&
    (command_flags & REEXEC_FORKS);
}

/* nbdkit's quit signals.  Blocked from just before nbdkit's fork until
 * the re-executed server is ready for them, so that a SIGTERM sent by
 * a quick --run command is kept pending instead of being lost with the
 * old process image.
 */
static void
quit_signals (sigset_t *set)
{
  sigemptyset (set);
  sigaddset (set, SIGINT);
  sigaddset (set, SIGQUIT);
  sigaddset (set, SIGTERM);
  sigaddset (set, SIGHUP);
}

static void
unblock_quit_signals (void)
{
  sigset_t set;

  quit_signals (&set);
  pthread_sigmask (SIG_UNBLOCK, &set, NULL);
}

/* Is fd a listening socket? */
static int
is_listening (int fd)
{
  int accepting = 0;
  socklen_t len = sizeof accepting;

  return getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0
    && accepting;
}

/* Calls fn (fd, st, opaque) for each listening socket of this process,
 * in no particular order.  Returns -1 if /proc/self/fd cannot be read.
 */
static int
for_each_listening (void (*fn) (int, const struct stat *, void *),
                    void *opaque)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *d;
  struct stat st;
  int fd;

  if (dir == NULL)
    return -1;
  while ((d = readdir (dir)) != NULL) {
    fd = atoi (d->d_name);
    if (fd > 2 && fd != dirfd (dir) && is_listening (fd) &&
        fstat (fd, &st) == 0)
      fn (fd, &st, opaque);
  }
  closedir (dir);
  return 0;
}

static void
remember_listening (int fd, const struct stat *st, void *opaque)
{
  if (nbefore < MAX_SOCKETS) {
    before[nbefore].dev = st->st_dev;
    before[nbefore].ino = st->st_ino;
    nbefore++;
  }
}

/* A listening socket that was not there at get_ready is nbdkit's. */
static void
add_if_new (int fd, const struct stat *st, void *opaque)
{
  int i;

  for (i = 0; i < nbefore; i++)
    if (before[i].dev == st->st_dev && before[i].ino == st->st_ino)
      return;
  if (nsockets == MAX_LISTENING) {
    nsockets = -1;
    return;
  }
  if (nsockets < 0)
    return;
  for (i = nsockets; i > 0 && sockets[i-1] > fd; i--)  /* insertion sort */
    sockets[i] = sockets[i-1];
  sockets[i] = fd;
  nsockets++;
}

static void
own_arm (void)
{
  layers++;
  close_loaded_fds ();
  /* Also when the command line could not be read: whether nbdkit
   * forks is then only known when it does (and reexec_after_fork
   * disarms if it does not).
   */
  if (process != PROCESS_ORIGINAL ||
      !(server_argv == NULL || (command_flags & REEXEC_FORKS)))
    return;
  /* The listening sockets that exist now (the caller's, the
   * plugin's) are not nbdkit's: it opens its own after get_ready (the
   * last Go layer's call counts).
   */
  nbefore = 0;
  if (for_each_listening (remember_listening, NULL) == -1)
    nbdkit_debug ("cannot list /proc/self/fd: %m");
  armed = 1;
}

/* The path of a listening Unix socket, or NULL. */
static char *
unix_socket_path (int fd)
{
  struct sockaddr_un addr;
  socklen_t len = sizeof addr;

  if (getsockname (fd, (struct sockaddr *) &addr, &len) == -1 ||
      addr.sun_family != AF_UNIX || addr.sun_path[0] == '\0')
    return NULL;
  addr.sun_path[sizeof addr.sun_path - 1] = '\0';
  return strdup (addr.sun_path);
}

/* Is path -U -'s socket, DIR/nbdkitXXXXXX/socket?  For when the
 * command line could not be read.
 */
static int
is_temp_socket (const char *path)
{
  const char *file = strrchr (path, '/'), *dir;

  if (file == NULL || strcmp (file, "/socket") != 0)
    return 0;
  for (dir = file; dir > path && dir[-1] != '/'; dir--)
    ;
  return file - dir == 12 && strncmp (dir, "nbdkit", 6) == 0;
}

/* Remove -U -'s socket and its directory. */
static void
remove_temp_socket (const char *path)
{
  char *copy;

  if (path == NULL || (copy = strdup (path)) == NULL)
    return;
  unlink (path);
  rmdir (dirname (copy));
  free (copy);
}

/* Report why the server cannot be started, on the terminal, and exit
 * as nbdkit does for a setup error.  This runs inside fork, in an
 * atfork handler, where exit would deadlock in glibc (its exit
 * handlers unregister atfork handlers, under the lock that fork
 * holds): _exit, after the one thing nbdkit's exit handlers would have
 * removed, -U -'s temporary directory.
 */
__attribute__ ((noreturn, format (printf, 1, 2)))
static void
fail_at_fork (const char *fs, ...)
{
  va_list args;
  char *path;

  va_start (args, fs);
  nbdkit_verror (fs, args);
  va_end (args);
  if (nsockets > 0 && (path = unix_socket_path (sockets[0])) != NULL) {
    if ((command_flags & REEXEC_TEMP_SOCKET) ||
        (server_argv == NULL && is_temp_socket (path)))
      remove_temp_socket (path);
    free (path);
  }
  _exit (EXIT_FAILURE);
}

/* What to do instead, in the messages. */
static const char *
no_fork_hint (void)
{
  if (server_argv == NULL)
    return "run nbdkit with -f (and without --run)";
  return command_flags & REEXEC_RUN ? "run nbdkit with -f and without --run"
    : "run nbdkit with -f";
}

/* Which of the file descriptors 3, 4, ... that socket activation will
 * give the sockets is the caller's?  -1 if none.
 */
static int
collision (void)
{
  int fd, i, flags, ours;

  for (fd = 3; fd < 3 + nsockets; fd++) {
    for (ours = 0, i = 0; i < nsockets; i++)
      ours |= sockets[i] == fd;
    flags = fcntl (fd, F_GETFD);
    if (!ours && inherited[fd - 3] && flags != -1 && !(flags & FD_CLOEXEC))
      return fd;
  }
  return -1;
}

static void
fork_prepare (void)
{
  sigset_t set;
  int fd;

  if (!armed)
    return;
  nsockets = 0;
  if (for_each_listening (add_if_new, NULL) == -1)
    nsockets = 0;
  if (server_argv == NULL)
    fail_at_fork ("%s: %s", command_error ? command_error :
                  "a Go plugin or filter cannot serve after nbdkit's "
                  "fork here",
                  no_fork_hint ());
  if (nsockets == 0)
    fail_at_fork ("a Go plugin or filter serves after nbdkit's fork "
                  "by handing nbdkit's listening sockets to a new "
                  "nbdkit, and none was found: %s", no_fork_hint ());
  if (nsockets < 0)
    fail_at_fork ("a Go plugin or filter serves after nbdkit's fork "
                  "by handing nbdkit's listening sockets to a new "
                  "nbdkit, at most %d: %s", MAX_LISTENING, no_fork_hint ());
  fd = collision ();
  if (fd != -1)
    fail_at_fork ("a Go plugin or filter serves after nbdkit's fork "
                  "by handing nbdkit's %d listening socket%s to a new "
                  "nbdkit as file descriptor%s 3%s%.0d (socket "
                  "activation), but nbdkit was started with file "
                  "descriptor %d open: "
                  "pass it as a higher file descriptor (above %d), "
                  "or %s",
                  nsockets, nsockets > 1 ? "s" : "",
                  nsockets > 1 ? "s" : "", nsockets > 1 ? " to " : "",
                  nsockets > 1 ? 2 + nsockets : 0,
                  fd, 2 + nsockets, no_fork_hint ());
  if (pipe2 (ready_pipe, O_CLOEXEC) == -1)
    fail_at_fork ("pipe2: %m");

  quit_signals (&set);
  pthread_sigmask (SIG_BLOCK, &set, &saved_mask);
}

/* The original process: wait until the server serves.  If it does
 * not, its errors are already on the terminal (it had this process's
 * stderr); fail as nbdkit would have before forking.
 */
static void
wait_for_server (void)
{
  char c;
  ssize_t r;

  do
    r = read (ready_pipe[0], &c, 1);
  while (r == -1 && errno == EINTR);
  close (ready_pipe[0]);
  if (r == 1)
    return;
  if (server_user)
    fail_at_fork ("the server did not start: after nbdkit's fork Go "
                  "plugins and filters are served by nbdkit re-executed, "
                  "as user %s, which must be able to read the plugin, "
                  "the filters and every file they open at start",
                  server_user);
  fail_at_fork ("the server did not start (after nbdkit's fork Go "
                "plugins and filters are served by nbdkit re-executed)");
}

static void
fork_parent (void)
{
  int i, null;

  if (!armed)
    return;
  armed = 0;
  close (ready_pipe[1]);
  pthread_sigmask (SIG_SETMASK, &saved_mask, NULL);
  wait_for_server ();
  /* In captive mode the parent runs the command and never accepts.
   * Let go of its copies of the listening sockets, so that if the
   * server dies, clients are refused instead of waiting forever.
   * /dev/null takes their place so that the numbers nbdkit remembers
   * are not reused.
   */
  if (!(command_flags & REEXEC_RUN))
    return;
  if (have_load_nofile)
    setrlimit (RLIMIT_NOFILE, &load_nofile);
  null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null == -1)
    return;
  for (i = 0; i < nsockets; i++)
    dup3 (null, sockets[i], O_CLOEXEC);
  close (null);
}

/* Move fd above the socket range, and let exec keep it. */
static int
pass_above (int *fd, int first_free)
{
  if (*fd < first_free &&
      (*fd = fcntl (*fd, F_DUPFD_CLOEXEC, first_free)) == -1)
    return -1;
  return fcntl (*fd, F_SETFD, 0);
}

/* Move nbdkit's listening sockets to fds 3, 4, ... as socket
 * activation wants, and our own fds for the server out of their way.
 * Nothing else changes: fork_prepare checked that no fd the caller
 * gave nbdkit is in that range (nbdkit's own there are closed by exec
 * anyway).
 */
static int
pass_listening_sockets (void)
{
  int moved[MAX_LISTENING], i, first_free = 3 + nsockets;

  if (pass_above (&ready_pipe[1], first_free) == -1)
    return -1;
  for (i = 0; i < nopen_paths; i++)
    if (pass_above (&open_paths[i].fd, first_free) == -1)
      return -1;
  /* Out of the way first, so that moving one cannot close another;
   * the lowest free fds above the range keep within any fd limit.
   */
  for (i = 0; i < nsockets; i++)
    if ((moved[i] = fcntl (sockets[i], F_DUPFD_CLOEXEC, first_free)) == -1)
      return -1;
  for (i = 0; i < nsockets; i++)
    fcntl (sockets[i], F_SETFD, FD_CLOEXEC);
  for (i = 0; i < nsockets; i++) {
    if (dup2 (moved[i], 3 + i) == -1)   /* dup2 clears FD_CLOEXEC */
      return -1;
    close (moved[i]);
  }
  return 0;
}

/* In the forked child: the server opens each path of open_paths as
 * /proc/self/fd/N, and learns the Ns from ENV_PATHS.
 */
static int
pass_open_paths (void)
{
  char *list, *arg, *p;
  struct reexec_path *path;
  int i;

  if (nopen_paths == 0)
    return 0;
  if ((list = p = malloc (nopen_paths * 12)) == NULL)
    return -1;
  for (i = 0; i < nopen_paths; i++) {
    path = &open_paths[i].path;
    if (asprintf (&arg, "%.*s/proc/self/fd/%d", path->offset,
                  server_argv[path->arg], open_paths[i].fd) == -1)
      return -1;
    server_argv[path->arg] = arg;
    p += sprintf (p, "%s%d", i ? "," : "", open_paths[i].fd);
  }
  setenv (ENV_PATHS, list, 1);
  free (list);
  return 0;
}

/* In the forked child: exec the server.  Returns only on failure. */
static void
exec_server (void)
{
  char number[32];
  char *path;

  if (pass_listening_sockets () == -1) {
    nbdkit_error ("cannot re-execute nbdkit after its fork: "
                  "moving the listening sockets: %m");
    return;
  }
  snprintf (number, sizeof number, "%d", (int) getpid ());
  setenv ("LISTEN_PID", number, 1);
  snprintf (number, sizeof number, "%d", nsockets);
  setenv ("LISTEN_FDS", number, 1);
  unsetenv ("LISTEN_FDNAMES");
  snprintf (number, sizeof number, "%d", ready_pipe[1]);
  setenv (ENV_READY, number, 1);
  if (pass_open_paths () == -1) {
    nbdkit_error ("cannot re-execute nbdkit after its fork: %m");
    return;
  }
  setenv (ENV_PROCESS, command_flags & REEXEC_RUN ? "run" : "daemon", 1);
  if ((command_flags & REEXEC_TEMP_SOCKET) && (path = unix_socket_path (3))) {
    setenv (ENV_SOCKET, path, 1);
    free (path);
  }

  /* Relative paths on the command line (the plugin, -P, config
   * files) are relative to where nbdkit started.
   */
  if (load_cwd == NULL || chdir (load_cwd) == -1)
    nbdkit_debug ("cannot return to the directory nbdkit started in: %m");

  execv (load_exe ? load_exe : "/proc/self/exe", server_argv);
  nbdkit_error ("cannot re-execute nbdkit after its fork: execv: %s: %m",
                load_exe ? load_exe : "/proc/self/exe");
}

static void
fork_child (void)
{
  if (!armed)
    return;
  armed = 0;
  close (ready_pipe[0]);
  /* The quit signals stay blocked: see quit_signals. */
  exec_server ();
  _exit (EXIT_FAILURE);
}

static int
own_after_fork (void)
{
  /* A fork that was not nbdkit's serving fork, or none at all: from
   * here on a fork is the plugin's business.
   */
  armed = 0;
  if (getpid () != load_pid) {
    nbdkit_error ("a Go plugin or filter cannot serve in a forked nbdkit");
    return -1;
  }
  if (process == PROCESS_DAEMON_SERVER && chdir ("/") == -1) {
    nbdkit_error ("chdir: /: %m");
    return -1;
  }
  if (process != PROCESS_ORIGINAL)
    unblock_quit_signals ();
  return 0;
}

/* A daemon's errors, once it serves, go where nbdkit sends them from
 * a daemon: to syslog.  Until now they went to the terminal of the
 * command that started it.  Without logger(1), a thread forwards them:
 * plain read, not stdio, for exit flushes every FILE under its lock,
 * and this thread would hold one forever.
 */
static void
syslog_line (char *line)
{
  syslog (LOG_ERR, "%s",
          strncmp (line, "nbdkit: ", 8) == 0 ? line + 8 : line);
}

static void *
forward_to_syslog (void *arg)
{
  int fd = (int) (intptr_t) arg;
  char buf[4096], *start, *newline;
  size_t len = 0;
  ssize_t r;

  while ((r = read (fd, buf + len, sizeof buf - 1 - len)) > 0 ||
         (r == -1 && errno == EINTR)) {
    if (r == -1)
      continue;
    len += r;
    buf[len] = '\0';
    start = buf;
    while ((newline = strchr (start, '\n')) != NULL) {
      *newline = '\0';
      syslog_line (start);
      start = newline + 1;
    }
    len -= start - buf;
    memmove (buf, start, len);
    if (len == sizeof buf - 1) {        /* a line too long: send a part */
      buf[len] = '\0';
      syslog_line (buf);
      len = 0;
    }
  }
  close (fd);
  return NULL;
}

/* The best forwarder is logger(1) (util-linux; essential in Debian):
 * a process of its own, which also forwards what is written just
 * before the daemon dies, such as the Go runtime's report of a panic
 * in a goroutine.  Returns the fd to write to, or -1.
 */
static int
spawn_logger (void)
{
  extern char **environ;
  char id[32];
  char *argv[] = { "logger", "-t", "nbdkit", id, "-p", "daemon.err", NULL };
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t quit;
  pid_t pid;
  int fds[2], r;

  snprintf (id, sizeof id, "--id=%d", (int) getpid ());
  if (pipe2 (fds, O_CLOEXEC) == -1)
    return -1;
  posix_spawn_file_actions_init (&actions);
  posix_spawn_file_actions_adddup2 (&actions, fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  /* Not nbdkit's listening sockets, nor anything else. */
  posix_spawn_file_actions_addclosefrom_np (&actions, 3);
  /* Its own session, deaf to the quit signals: it ends when the
   * daemon does, at the end of its input.
   */
  posix_spawnattr_init (&attr);
  quit_signals (&quit);
  posix_spawnattr_setsigmask (&attr, &quit);
  posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID);
  r = posix_spawnp (&pid, "logger", &actions, &attr, argv, environ);
  posix_spawnattr_destroy (&attr);
  posix_spawn_file_actions_destroy (&actions);
  close (fds[0]);
  if (r != 0) {
    close (fds[1]);
    return -1;
  }
  return fds[1];
}

static void
detach_daemon_stderr (void)
{
  int fds[2], null, logger;
  pthread_t thread;
  pthread_attr_t attr;
  sigset_t all, old;

  /* As nbdkit does, a verbose daemon keeps its stderr. */
  if (command_flags & REEXEC_VERBOSE)
    return;
  if (!(command_flags & REEXEC_LOG_SET) && (logger = spawn_logger ()) != -1) {
    dup2 (logger, STDERR_FILENO);
    close (logger);
    return;
  }
  /* Else a thread of this process forwards. */
  if (!(command_flags & REEXEC_LOG_SET) && pipe2 (fds, O_CLOEXEC) == 0) {
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &old);
    pthread_attr_init (&attr);
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create (&thread, &attr, forward_to_syslog,
                        (void *) (intptr_t) fds[0]) == 0) {
      dup2 (fds[1], STDERR_FILENO);
      close (fds[1]);
      fds[1] = -1;
    }
    else {
      close (fds[0]);
      close (fds[1]);
    }
    pthread_attr_destroy (&attr);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (fds[1] == -1)
      return;
  }
  null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null != -1) {
    dup2 (null, STDERR_FILENO);
    close (null);
  }
}

/* Once every Go layer is past its AfterFork: nbdkit calls the
 * plugin's after_fork first, then each filter's, from the plugin out.
 */
static void
own_ready (void)
{
  if (++layers_serving < layers || ready_fd == -1)
    return;
  if (process == PROCESS_DAEMON_SERVER)
    detach_daemon_stderr ();
  if (write (ready_fd, "R", 1) != 1)
    nbdkit_debug ("telling the original nbdkit that the server serves: %m");
  close (ready_fd);
  ready_fd = -1;
}

static void
own_unload (void)
{
  remove_temp_socket (temp_socket);
  free (temp_socket);
  temp_socket = NULL;
}

/* Found by every later Go library: see "Several Go libraries". */
__attribute__ ((visibility ("default")))
const struct reexec_owner nbdkit_go_reexec_owner_v1 = {
  .set_command = own_set_command,
  .process = own_process,
  .socket_activated = own_socket_activated,
  .original_forks = own_original_forks,
  .arm = own_arm,
  .after_fork = own_after_fork,
  .ready = own_ready,
  .unload = own_unload,
};

/* reexec.h: each library's hooks, run by the owner. */
void
reexec_set_command (char **argv, int flags, const char *user,
                    const struct reexec_path *paths, int npaths,
                    const char *error)
{
  owner->set_command (argv, flags, user, paths, npaths, error);
}

int
reexec_process (void)
{
  return owner->process ();
}

int
reexec_socket_activated (void)
{
  return owner->socket_activated ();
}

int
reexec_original_forks (void)
{
  return owner->original_forks ();
}

void
reexec_arm (void)
{
  owner->arm ();
}

int
reexec_after_fork (void)
{
  return owner->after_fork ();
}

void
reexec_ready (void)
{
  owner->ready ();
}

void
reexec_unload (void)
{
  owner->unload ();
}
