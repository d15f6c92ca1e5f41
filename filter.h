/* Go binding for nbdkit filters: the C half.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * This header is shared by filter.c and by the filter's Go files
 * (through cgo), so that both halves agree on the list of callbacks
 * and on the capability bits.  It is the filter's wrapper.h.
 *
 * struct nbdkit_filter has no ABI guarantee: nbdkit loads a filter
 * only if it was built against the nbdkit-filter.h of the same nbdkit
 * version (its _version), so a Go filter is built against the
 * installed header, and rebuilt for another nbdkit.
 */

#ifndef NBDKIT_GO_FILTER_H
#define NBDKIT_GO_FILTER_H

#include <stdint.h>

#include "wrapper.h"            /* nbdkit-plugin.h, for nbdkit_* */
#include <nbdkit-filter.h>

/* Filter-wide capabilities: which optional Go interfaces the filter
 * value implements, discovered once in RegisterFilter.  A callback
 * whose bit is clear is left NULL in struct nbdkit_filter, so nbdkit
 * passes it straight to the next layer, without any cgo call.
 */
enum filter_capability {
  FILTER_ALWAYS         = 0,       /* callbacks every Go filter has */
  FILTER_CONFIG         = 1 << 0,  /* FilterConfigurer */
  FILTER_CONFIG_COMPLETE = 1 << 1, /* FilterConfigCompleter */
  FILTER_THREAD_MODEL   = 1 << 2,  /* ThreadModeler */
  FILTER_GET_READY      = 1 << 3,  /* FilterGetReadier (get_ready is
                                      always there: see filter.c) */
  FILTER_AFTER_FORK     = 1 << 4,  /* FilterAfterForker (likewise) */
  FILTER_CLEANUP        = 1 << 5,  /* FilterCleaner */
  FILTER_PRECONNECT     = 1 << 6,  /* FilterPreConnecter */
  FILTER_LIST_EXPORTS   = 1 << 7,  /* FilterExportLister */
  FILTER_DEFAULT_EXPORT = 1 << 8,  /* FilterDefaultExporter */
};

/* Connection capabilities: which optional Go interfaces the value
 * that Open returned implements.  nbdkit needs the struct before any
 * connection exists, so these callbacks are always in it; without the
 * bit, filter.c calls the next layer itself, in C, as nbdkit does for
 * a NULL field.
 */
enum filter_connection_capability {
  FCONN_PREPARE            = 1 << 0,  /* FilterPreparer */
  FCONN_FINALIZE           = 1 << 1,  /* FilterFinalizer */
  FCONN_GET_SIZE           = 1 << 2,  /* FilterSizer */
  FCONN_EXPORT_DESCRIPTION = 1 << 3,  /* FilterExportDescriber */
  FCONN_BLOCK_SIZE         = 1 << 4,  /* FilterBlockSizer */
  FCONN_CAN_WRITE          = 1 << 5,  /* FilterWriteChecker */
  FCONN_CAN_FLUSH          = 1 << 6,  /* FilterFlushChecker */
  FCONN_IS_ROTATIONAL      = 1 << 7,  /* FilterRotationalChecker */
  FCONN_CAN_TRIM           = 1 << 8,  /* FilterTrimChecker */
  FCONN_CAN_ZERO           = 1 << 9,  /* FilterZeroChecker */
  FCONN_CAN_FAST_ZERO      = 1 << 10, /* FilterFastZeroChecker */
  FCONN_CAN_EXTENTS        = 1 << 11, /* FilterExtentsChecker */
  FCONN_CAN_FUA            = 1 << 12, /* FilterFUAChecker */
  FCONN_CAN_MULTI_CONN     = 1 << 13, /* FilterMultiConnChecker */
  FCONN_CAN_CACHE          = 1 << 14, /* FilterCacheChecker */
  FCONN_PREAD              = 1 << 15, /* FilterReader */
  FCONN_PWRITE             = 1 << 16, /* FilterWriter */
  FCONN_FLUSH              = 1 << 17, /* FilterFlusher */
  FCONN_TRIM               = 1 << 18, /* FilterTrimmer */
  FCONN_ZERO               = 1 << 19, /* FilterZeroer */
  FCONN_EXTENTS            = 1 << 20, /* FilterExtenter */
  FCONN_CACHE              = 1 << 21, /* FilterCacher */
};

/* The one list of filter-wide callbacks: the fields of struct
 * nbdkit_filter up to finalize, in header order, with the capability
 * that must be present for nbdkit to see it.  filter.c derives the
 * declarations and the struct from it.
 */
#define NBDKIT_GO_FILTER_CALLBACKS(CALLBACK)                    \
  CALLBACK (load,               FILTER_ALWAYS)                  \
  CALLBACK (unload,             FILTER_ALWAYS)                  \
  CALLBACK (config,             FILTER_CONFIG)                  \
  CALLBACK (config_complete,    FILTER_CONFIG_COMPLETE)         \
  CALLBACK (thread_model,       FILTER_THREAD_MODEL)            \
  CALLBACK (get_ready,          FILTER_ALWAYS)                  \
  CALLBACK (after_fork,         FILTER_ALWAYS)                  \
  CALLBACK (cleanup,            FILTER_CLEANUP)                 \
  CALLBACK (preconnect,         FILTER_PRECONNECT)              \
  CALLBACK (list_exports,       FILTER_LIST_EXPORTS)            \
  CALLBACK (default_export,     FILTER_DEFAULT_EXPORT)          \
  CALLBACK (open,               FILTER_ALWAYS)                  \
  CALLBACK (close,              FILTER_ALWAYS)                  \
  CALLBACK (prepare,            FILTER_ALWAYS)                  \
  CALLBACK (finalize,           FILTER_ALWAYS)

/* The per-connection callbacks that answer with the next layer's
 * answer when the Go connection lacks them (all but prepare and
 * finalize, which nbdkit itself calls layer by layer), in header
 * order, with the connection capability of each, its return type, and
 * its parameters after (next, handle) as declared in struct
 * nbdkit_filter and the same as arguments, each list starting with a
 * comma.  filter.c makes each filter_<field> from this: the Go method
 * if the connection has it, else next-><field> in C.
 */
#define NBDKIT_GO_FILTER_CONNECTION_CALLBACKS(CALLBACK)                 \
  CALLBACK (get_size, FCONN_GET_SIZE, int64_t, (), ())                  \
  CALLBACK (export_description, FCONN_EXPORT_DESCRIPTION,               \
            const char *, (), ())                                       \
  CALLBACK (block_size, FCONN_BLOCK_SIZE, int,                          \
            (, uint32_t *minimum, uint32_t *preferred,                  \
             uint32_t *maximum),                                        \
            (, minimum, preferred, maximum))                            \
  CALLBACK (can_write, FCONN_CAN_WRITE, int, (), ())                    \
  CALLBACK (can_flush, FCONN_CAN_FLUSH, int, (), ())                    \
  CALLBACK (is_rotational, FCONN_IS_ROTATIONAL, int, (), ())            \
  CALLBACK (can_trim, FCONN_CAN_TRIM, int, (), ())                      \
  CALLBACK (can_zero, FCONN_CAN_ZERO, int, (), ())                      \
  CALLBACK (can_fast_zero, FCONN_CAN_FAST_ZERO, int, (), ())            \
  CALLBACK (can_extents, FCONN_CAN_EXTENTS, int, (), ())                \
  CALLBACK (can_fua, FCONN_CAN_FUA, int, (), ())                        \
  CALLBACK (can_multi_conn, FCONN_CAN_MULTI_CONN, int, (), ())          \
  CALLBACK (can_cache, FCONN_CAN_CACHE, int, (), ())                    \
  CALLBACK (pread, FCONN_PREAD, int,                                    \
            (, void *buf, uint32_t count, uint64_t offset,              \
             uint32_t flags, int *err),                                 \
            (, buf, count, offset, flags, err))                         \
  CALLBACK (pwrite, FCONN_PWRITE, int,                                  \
            (, const void *buf, uint32_t count, uint64_t offset,        \
             uint32_t flags, int *err),                                 \
            (, (void *) buf, count, offset, flags, err))                \
  CALLBACK (flush, FCONN_FLUSH, int, (, uint32_t flags, int *err),      \
            (, flags, err))                                             \
  CALLBACK (trim, FCONN_TRIM, int,                                      \
            (, uint32_t count, uint64_t offset, uint32_t flags,         \
             int *err),                                                 \
            (, count, offset, flags, err))                              \
  CALLBACK (zero, FCONN_ZERO, int,                                      \
            (, uint32_t count, uint64_t offset, uint32_t flags,         \
             int *err),                                                 \
            (, count, offset, flags, err))                              \
  CALLBACK (extents, FCONN_EXTENTS, int,                                \
            (, uint32_t count, uint64_t offset, uint32_t flags,         \
             struct nbdkit_extents *extents, int *err),                 \
            (, count, offset, flags, extents, err))                     \
  CALLBACK (cache, FCONN_CACHE, int,                                    \
            (, uint32_t count, uint64_t offset, uint32_t flags,         \
             int *err),                                                 \
            (, count, offset, flags, err))

/* The filter's static information, read once from Go. */
struct filter_info {
  const char *name;
  const char *longname;
  const char *description;
  const char *config_help;
  int thread_model;
  uint32_t caps;                /* enum filter_capability bits */
};

/* Build the filter struct that filter_init returns to nbdkit. */
extern struct nbdkit_filter *wrapper_filter_init (const struct filter_info *);

#endif /* NBDKIT_GO_FILTER_H */
