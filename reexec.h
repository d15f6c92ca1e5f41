/* Go binding for nbdkit plugins: surviving nbdkit's fork.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 */

#ifndef NBDKIT_GO_REEXEC_H
#define NBDKIT_GO_REEXEC_H

/* What the original command line says (see cmdline.go). */
enum reexec_flag {
  REEXEC_FORKS       = 1 << 0,  /* nbdkit will fork before serving */
  REEXEC_RUN         = 1 << 1,  /* captive mode: --run */
  REEXEC_TEMP_SOCKET = 1 << 2,  /* -U -: nbdkit made a temporary socket */
};

/* Which process this is. */
enum reexec_process {
  PROCESS_ORIGINAL = 0,         /* started by the user */
  PROCESS_DAEMON_SERVER = 1,    /* re-executed after nbdkit's daemon fork */
  PROCESS_RUN_SERVER = 2,       /* re-executed after nbdkit's --run fork */
};

/* From Go at load: the command line of the re-executed server (argv,
 * NULL-terminated, copied), or NULL when it cannot be built, and the
 * enum reexec_flag bits.
 */
extern void reexec_set_command (char **argv, int flags);

/* Which process this is. */
extern int reexec_process (void);

/* Whether nbdkit was started by socket activation (then it never forks). */
extern int reexec_socket_activated (void);

/* From get_ready: the next fork is nbdkit's own. */
extern void reexec_arm (void);

/* From after_fork.  In a forked child this re-executes nbdkit and only
 * returns on failure (-1).  Otherwise it finishes the re-executed
 * server's start and returns 0: the Go plugin may run.
 */
extern int reexec_after_fork (void);

/* From unload: remove what the re-executed server inherited. */
extern void reexec_unload (void);

#endif /* NBDKIT_GO_REEXEC_H */
