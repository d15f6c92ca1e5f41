/* Go binding for nbdkit plugins: surviving nbdkit's fork.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 */

#ifndef NBDKIT_GO_REEXEC_H
#define NBDKIT_GO_REEXEC_H

/* What the original command line says (see internal/cmdline). */
enum reexec_flag {
  REEXEC_FORKS       = 1 << 0,  /* nbdkit will fork before serving */
  REEXEC_RUN         = 1 << 1,  /* captive mode: --run */
  REEXEC_TEMP_SOCKET = 1 << 2,  /* nbdkit made a temporary socket (-U -) */
  REEXEC_VERBOSE     = 1 << 3,  /* -v */
  REEXEC_LOG_SET     = 1 << 4,  /* --log=... */
};

/* Which process this is. */
enum reexec_process {
  PROCESS_ORIGINAL = 0,         /* started by the user */
  PROCESS_DAEMON_SERVER = 1,    /* re-executed after nbdkit's daemon fork */
  PROCESS_RUN_SERVER = 2,       /* re-executed after nbdkit's --run fork */
};

/* Every Go library in one nbdkit (a Go plugin and Go filters, each
 * with its own copy of this code, its own statics and its own Go
 * runtime) calls these hooks, and the first one loaded does the work
 * for all: see "Several Go libraries" in reexec.c.  A shim (wrapper.c
 * for a plugin, the filter shim for a filter) calls, in this order:
 *
 *   load:       Go's prepareReexec (fork.go), through go_load
 *   get_ready:  the Go GetReady only if !reexec_original_forks (),
 *               then reexec_arm () once it succeeded
 *   after_fork: reexec_after_fork (), go_serving, the Go AfterFork,
 *               then reexec_ready () once it succeeded
 *   unload:     reexec_unload () after the Go Unload
 *
 * get_ready and after_fork must be set in every shim's struct, even
 * for a Go side without GetReady or AfterFork: the server says it
 * serves once every Go layer that got ready has called reexec_ready.
 * The hooks are internal to each library (hidden), so that two Go
 * libraries never bind to each other's.
 */
#pragma GCC visibility push(hidden)

/* An argument of the command line that names a file nbdkit opens (the
 * plugin, or --filter=PATH): the path is argv[arg] + offset.
 */
struct reexec_path {
  int arg;
  int offset;
};

/* From Go at load: the command line of the re-executed server (argv,
 * NULL-terminated, copied) and the enum reexec_flag bits; or, when the
 * command line cannot be read, argv NULL and why, reported only if
 * nbdkit does fork.  user is -u's value in daemon mode (where the
 * server starts as that user), else NULL; paths, npaths the paths in
 * argv that that user may not be able to open (the plugin, filters).
 * The first call in the process counts: every Go library reads the
 * same command line.
 */
extern void reexec_set_command (char **argv, int flags, const char *user,
                                const struct reexec_path *paths, int npaths,
                                const char *error);

/* Which process this is. */
extern int reexec_process (void);

/* Whether nbdkit was started by socket activation (then it never forks). */
extern int reexec_socket_activated (void);

/* Whether this is the original process of an nbdkit that will fork:
 * GetReady is left to the re-executed server.
 */
extern int reexec_original_forks (void);

/* From every Go layer's get_ready: the next fork is nbdkit's own. */
extern void reexec_arm (void);

/* From after_fork, before the Go AfterFork: finish the re-executed
 * server's start.  Returns -1 on error.
 */
extern int reexec_after_fork (void);

/* From after_fork, once the Go AfterFork succeeded: when every Go
 * layer has, the server serves, and the original process may go on
 * (run the --run command, or exit 0 in daemon mode).
 */
extern void reexec_ready (void);

/* From unload: remove what the re-executed server inherited. */
extern void reexec_unload (void);

#pragma GCC visibility pop

#endif /* NBDKIT_GO_REEXEC_H */
