/* Connect and disconnect, many times, for tests/load-leaks.sh.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 *   connect-cycles SOCKET COUNT
 *
 * Each cycle opens a connection to the NBD server on the Unix socket
 * SOCKET, reads 512 bytes, and disconnects cleanly: COUNT times, as
 * fast as libnbd goes.  Prints the number of cycles and the time.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <libnbd.h>

int
main (int argc, char *argv[])
{
  char buf[512];
  struct timespec start, end;
  long count, i;
  struct nbd_handle *nbd;

  if (argc != 3) {
    fprintf (stderr, "usage: %s SOCKET COUNT\n", argv[0]);
    return 2;
  }
  count = atol (argv[2]);
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (i = 0; i < count; i++) {
    nbd = nbd_create ();
    if (nbd == NULL ||
        nbd_connect_unix (nbd, argv[1]) == -1 ||
        nbd_pread (nbd, buf, sizeof buf, 0, 0) == -1 ||
        nbd_shutdown (nbd, 0) == -1) {
      fprintf (stderr, "%s: cycle %ld: %s\n", argv[0], i, nbd_get_error ());
      return 1;
    }
    nbd_close (nbd);
  }
  clock_gettime (CLOCK_MONOTONIC, &end);
  printf ("%ld cycles in %.1f s\n", count,
          (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
