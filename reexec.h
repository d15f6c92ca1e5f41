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

/* From Go at load: the command line of the re-executed server (argv,
 * NULL-terminated, copied) and the enum reexec_flag bits; or, when the
 * command line cannot be read, argv NULL and why, reported only if
 * nbdkit does fork.  user is -u's value in daemon mode (where the
 * server starts as that user), else NULL; plugin, if not -1, the
 * index in argv of the plugin's path, which that user may not be able
 * to open.
 */
extern void reexec_set_command (char **argv, int flags, const char *user,
                                int plugin, const char *error);

/* Which process this is. */
extern int reexec_process (void);

/* Whether nbdkit was started by socket activation (then it never forks). */
extern int reexec_socket_activated (void);

/* Whether this is the original process of an nbdkit that will fork:
 * the plugin's GetReady is left to the re-executed server.
 */
extern int reexec_original_forks (void);

/* From get_ready: the next fork is nbdkit's own. */
extern void reexec_arm (void);

/* From after_fork, before the plugin's AfterFork: finish the
 * re-executed server's start.  Returns -1 on error.
 */
extern int reexec_after_fork (void);

/* From after_fork, once the plugin's AfterFork succeeded: the server
 * serves, and the original process may go on (run the --run command,
 * or exit 0 in daemon mode).
 */
extern void reexec_ready (void);

/* From unload: remove what the re-executed server inherited. */
extern void reexec_unload (void);

#endif /* NBDKIT_GO_REEXEC_H */
