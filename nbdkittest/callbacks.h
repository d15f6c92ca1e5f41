/* nbdkittest: see callbacks.c.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 */

#ifndef NBDKITTEST_CALLBACKS_H
#define NBDKITTEST_CALLBACKS_H

#include <stdint.h>

#include <libnbd.h>

extern int nbdkittest_block_status (struct nbd_handle *h, uint64_t count,
                                    uint64_t offset, uintptr_t data,
                                    uint32_t flags);
extern int nbdkittest_opt_list (struct nbd_handle *h, uintptr_t data);

#endif /* NBDKITTEST_CALLBACKS_H */
