/* Go binding for nbdkit plugins: surviving nbdkit's fork.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * Unless run with -f (or -s, or socket activation), nbdkit loads the
 * plugin, runs load, config, config_complete and get_ready, and then
 * forks: into the background (daemon mode), or to run the --run
 * command in the parent while the child serves (captive mode).  fork
 * keeps only the calling thread, and the Go runtime, whose threads
 * started when the plugin was loaded, cannot run in the child.
 *
 * So in the forked child, before any Go code runs, after_fork
 * re-executes nbdkit with the listening sockets it already has, by
 * systemd socket activation (LISTEN_PID, LISTEN_FDS): the new process
 * starts a fresh Go runtime, loads the plugin again, and serves in the
 * foreground, with the same pid.  Everything here is C, because in the
 * forked child nothing else can run; the new command line is built in
 * Go beforehand (cmdline.go).
 */

#define _GNU_SOURCE 1

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "wrapper.h"
#include "reexec.h"

/* State passed to the re-executed nbdkit. */
#define ENV_PROCESS "NBDKIT_GO_REEXEC"          /* "daemon" or "run" */
#define ENV_SOCKET  "NBDKIT_GO_TEMP_SOCKET"     /* -U -'s socket path */

#define MAX_LISTENING 64

static pid_t load_pid;                  /* getpid () at load */
static char *load_exe;                  /* the nbdkit binary */
static char *load_cwd;                  /* the directory nbdkit started in */
static enum reexec_process process;
static int socket_activated;            /* a listening socket at fd 3 */
static char *temp_socket;               /* to remove at unload */

static char **server_argv;              /* from Go: the new command line */
static int command_flags;               /* enum reexec_flag */

static int armed;                       /* the next fork is nbdkit's */
static sigset_t saved_mask;             /* the mask before that fork */

static int is_listening (int fd);
static void fork_prepare (void);
static void fork_parent (void);
static void fork_child (void);

/* Runs when the plugin is loaded, before any Go code. */
__attribute__ ((constructor))
static void
reexec_load (void)
{
  const char *p = getenv (ENV_PROCESS);

  load_pid = getpid ();
  load_cwd = getcwd (NULL, 0);
  /* Exec'ing the real path, not /proc/self/exe, keeps the process
   * name "nbdkit" for ps and pgrep.
   */
  load_exe = realpath ("/proc/self/exe", NULL);
  pthread_atfork (fork_prepare, fork_parent, fork_child);
  /* nbdkit removes LISTEN_PID and LISTEN_FDS before loading plugins,
   * but with socket activation the sockets are already there at fd 3,
   * whereas nbdkit only opens its own after get_ready.
   */
  socket_activated = is_listening (3);

  if (p == NULL)
    return;
  process = strcmp (p, "run") == 0 ? PROCESS_RUN_SERVER : PROCESS_DAEMON_SERVER;
  p = getenv (ENV_SOCKET);
  if (p)
    temp_socket = strdup (p);
  /* Not for the plugin's own child processes. */
  unsetenv (ENV_PROCESS);
  unsetenv (ENV_SOCKET);
  /* A daemon has no parent to die with: the original nbdkit exited
   * before the exec.
   */
  if (process == PROCESS_DAEMON_SERVER)
    prctl (PR_SET_PDEATHSIG, 0);
}

void
reexec_set_command (char **argv, int flags)
{
  size_t n, i;

  command_flags = flags;
  if (argv == NULL)
    return;
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
}

int
reexec_process (void)
{
  return process;
}

int
reexec_socket_activated (void)
{
  return socket_activated;
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

void
reexec_arm (void)
{
  if (process == PROCESS_ORIGINAL && (command_flags & REEXEC_FORKS))
    armed = 1;
}

static void
fork_prepare (void)
{
  sigset_t set;

  if (!armed)
    return;
  quit_signals (&set);
  pthread_sigmask (SIG_BLOCK, &set, &saved_mask);
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

/* The listening sockets of this process, in fd order. */
static int
listening_sockets (int *fds)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *d;
  int n = 0, fd, i;

  if (dir == NULL)
    return -1;
  while ((d = readdir (dir)) != NULL && n < MAX_LISTENING) {
    fd = atoi (d->d_name);
    if (fd > 2 && fd != dirfd (dir) && is_listening (fd)) {
      /* insertion sort */
      for (i = n; i > 0 && fds[i-1] > fd; i--)
        fds[i] = fds[i-1];
      fds[i] = fd;
      n++;
    }
  }
  closedir (dir);
  return n;
}

static void
fork_parent (void)
{
  int fds[MAX_LISTENING], n, i, null;

  if (!armed)
    return;
  armed = 0;
  pthread_sigmask (SIG_SETMASK, &saved_mask, NULL);
  /* In captive mode the parent runs the command and never accepts.
   * Let go of its copies of the listening sockets, so that if the
   * server fails, clients are refused instead of waiting forever.
   * /dev/null takes their place so that the numbers nbdkit remembers
   * are not reused.
   */
  if (!(command_flags & REEXEC_RUN))
    return;
  null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null == -1)
    return;
  n = listening_sockets (fds);
  for (i = 0; i < n; i++)
    dup3 (null, fds[i], O_CLOEXEC);
  close (null);
}

static void
fork_child (void)
{
  armed = 0;
  /* The quit signals stay blocked: see quit_signals. */
}

/* Daemon mode: wait (up to 2 s) for the original nbdkit to exit, so
 * that nothing in the new process can tie itself to a parent that is
 * about to die.
 */
static void
wait_for_parent_exit (void)
{
  const struct timespec ms = { 0, 1000000 };
  int i;

  for (i = 0; i < 2000 && getppid () == load_pid; i++)
    nanosleep (&ms, NULL);
}

/* Move the listening sockets to fds 3, 4, ... as socket activation
 * wants, and return how many there are.
 */
static int
pass_listening_sockets (void)
{
  int fds[MAX_LISTENING], high[MAX_LISTENING], n, i;

  n = listening_sockets (fds);
  if (n <= 0)
    return n;
  /* Out of the way first, so that moving one cannot close another. */
  for (i = 0; i < n; i++) {
    high[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 1024);
    if (high[i] == -1)
      return -1;
    fcntl (fds[i], F_SETFD, FD_CLOEXEC);
  }
  for (i = 0; i < n; i++) {
    if (dup2 (high[i], 3 + i) == -1)  /* dup2 clears FD_CLOEXEC */
      return -1;
    close (high[i]);
  }
  return n;
}

/* The path of the listening Unix socket, for -U -. */
static char *
unix_socket_path (void)
{
  struct sockaddr_un addr;
  socklen_t len = sizeof addr;

  if (getsockname (3, (struct sockaddr *) &addr, &len) == -1 ||
      addr.sun_family != AF_UNIX || addr.sun_path[0] == '\0')
    return NULL;
  addr.sun_path[sizeof addr.sun_path - 1] = '\0';
  return strdup (addr.sun_path);
}

static int
exec_server (void)
{
  char number[32];
  char *path;
  int n;

  if (server_argv == NULL) {
    nbdkit_error ("cannot re-execute nbdkit after its fork "
                  "(the Go runtime does not survive a fork): "
                  "run nbdkit with -f");
    return -1;
  }
  if (!(command_flags & REEXEC_RUN))
    wait_for_parent_exit ();

  n = pass_listening_sockets ();
  if (n <= 0) {
    nbdkit_error ("cannot re-execute nbdkit after its fork: "
                  "no listening socket found");
    return -1;
  }
  snprintf (number, sizeof number, "%d", (int) getpid ());
  setenv ("LISTEN_PID", number, 1);
  snprintf (number, sizeof number, "%d", n);
  setenv ("LISTEN_FDS", number, 1);
  unsetenv ("LISTEN_FDNAMES");
  setenv (ENV_PROCESS, command_flags & REEXEC_RUN ? "run" : "daemon", 1);
  if ((command_flags & REEXEC_TEMP_SOCKET) && (path = unix_socket_path ())) {
    setenv (ENV_SOCKET, path, 1);
    free (path);
  }

  /* Relative paths on the command line (the plugin, -P, config
   * files) are relative to where nbdkit started; a daemon is in "/".
   */
  if (load_cwd == NULL || chdir (load_cwd) == -1)
    nbdkit_debug ("cannot return to the directory nbdkit started in: %m");

  execv (load_exe ? load_exe : "/proc/self/exe", server_argv);
  nbdkit_error ("cannot re-execute nbdkit after its fork: execv: %m");
  unblock_quit_signals ();
  return -1;
}

int
reexec_after_fork (void)
{
  if (getpid () != load_pid)
    return exec_server ();

  /* This process serves: nbdkit did not fork, or this is the
   * re-executed server finishing what the original one started.
   */
  if (process == PROCESS_DAEMON_SERVER && chdir ("/") == -1) {
    nbdkit_error ("chdir: /: %m");
    return -1;
  }
  if (process != PROCESS_ORIGINAL)
    unblock_quit_signals ();
  return 0;
}

void
reexec_unload (void)
{
  char *dir;

  if (temp_socket == NULL)
    return;
  unlink (temp_socket);
  dir = dirname (temp_socket);
  rmdir (dir);
  free (temp_socket);
  temp_socket = NULL;
}
