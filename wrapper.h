/* Go binding for nbdkit plugins: the C half.
 * Copyright (C) 2026 The nbdkit Go binding authors.  BSD-3-Clause.
 *
 * This header is shared by wrapper.c and by the Go files of the
 * package (through cgo), so that both halves agree on the list of
 * callbacks and on the capability bits.
 */

#ifndef NBDKIT_GO_WRAPPER_H
#define NBDKIT_GO_WRAPPER_H

#include <stdint.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

/* Plugin capabilities: which optional Go interfaces the plugin value
 * implements.  A callback whose bit is clear is left NULL in struct
 * nbdkit_plugin, so nbdkit applies its documented default and no cgo
 * call is ever made for it.
 */
enum plugin_capability {
  PLUGIN_ALWAYS         = 0,      /* callbacks every Go plugin has */
  PLUGIN_THREAD_MODEL   = 1 << 0, /* ThreadModeler */
  PLUGIN_AFTER_FORK     = 1 << 1, /* AfterForker: see after_fork below */
  PLUGIN_LIST_EXPORTS   = 1 << 2, /* ExportLister */
  PLUGIN_DEFAULT_EXPORT = 1 << 3, /* DefaultExporter */
  PLUGIN_CLEANUP        = 1 << 4, /* Cleaner */
};

/* Connection capabilities: which optional Go interfaces the
 * connection value implements, discovered once in Open.  nbdkit needs
 * the struct before any connection exists, so these callbacks are
 * always present; without the bit, the wrapper answers in C exactly as
 * nbdkit would for a C plugin without the callback.
 */
enum connection_capability {
  CONNECTION_CAN_FUA             = 1 << 0, /* FUAChecker */
  CONNECTION_CAN_FAST_ZERO       = 1 << 1, /* FastZeroChecker */
  CONNECTION_CAN_CACHE           = 1 << 2, /* CacheChecker */
  CONNECTION_CACHE               = 1 << 3, /* Cacher */
  CONNECTION_CAN_EXTENTS         = 1 << 4, /* ExtentsChecker */
  CONNECTION_EXTENTS             = 1 << 5, /* Extenter */
  CONNECTION_EXPORT_DESCRIPTION  = 1 << 6, /* ExportDescriber */
  CONNECTION_BLOCK_SIZE          = 1 << 7, /* BlockSizer */
};

/* Answers a connection gave to the Can* callbacks.  The old binding's
 * rule is that PWrite, Flush, Trim and Zero are only called after
 * CanWrite, CanFlush, CanTrim and CanZero returned true; the C side
 * records the answers and enforces the rule.
 */
enum connection_permission {
  ALLOW_WRITE = 1 << 0,
  ALLOW_FLUSH = 1 << 1,
  ALLOW_TRIM  = 1 << 2,
  ALLOW_ZERO  = 1 << 3,
  ALLOW_FAST_ZERO = 1 << 4,     /* CanFastZero said yes */
};

/* The one list of callbacks: every field of struct nbdkit_plugin that
 * this binding fills, in header order, with the plugin capability that
 * must be present for nbdkit to see it.  wrapper.c derives the
 * declarations and the struct from this list; each wrapper_<field> is
 * a thin forward to the Go export go_<field>.
 *
 * after_fork is PLUGIN_ALWAYS although AfterForker has its own bit:
 * the binding needs .after_fork itself, in every plugin (there the
 * serving process starts what nbdkit_nanosleep and nbdkit_shutdown
 * need, and tells reexec.c that it is ready), and wrapper_after_fork
 * tests PLUGIN_AFTER_FORK to decide whether to call the plugin's
 * AfterFork as well.
 */
#define NBDKIT_GO_CALLBACKS(CALLBACK)                   \
  CALLBACK (load,               PLUGIN_ALWAYS)          \
  CALLBACK (unload,             PLUGIN_ALWAYS)          \
  CALLBACK (config,             PLUGIN_ALWAYS)          \
  CALLBACK (config_complete,    PLUGIN_ALWAYS)          \
  CALLBACK (open,               PLUGIN_ALWAYS)          \
  CALLBACK (close,              PLUGIN_ALWAYS)          \
  CALLBACK (get_size,           PLUGIN_ALWAYS)          \
  CALLBACK (can_write,          PLUGIN_ALWAYS)          \
  CALLBACK (can_flush,          PLUGIN_ALWAYS)          \
  CALLBACK (is_rotational,      PLUGIN_ALWAYS)          \
  CALLBACK (can_trim,           PLUGIN_ALWAYS)          \
  CALLBACK (dump_plugin,        PLUGIN_ALWAYS)          \
  CALLBACK (can_zero,           PLUGIN_ALWAYS)          \
  CALLBACK (can_fua,            PLUGIN_ALWAYS)          \
  CALLBACK (pread,              PLUGIN_ALWAYS)          \
  CALLBACK (pwrite,             PLUGIN_ALWAYS)          \
  CALLBACK (flush,              PLUGIN_ALWAYS)          \
  CALLBACK (trim,               PLUGIN_ALWAYS)          \
  CALLBACK (zero,               PLUGIN_ALWAYS)          \
  CALLBACK (can_multi_conn,     PLUGIN_ALWAYS)          \
  CALLBACK (can_extents,        PLUGIN_ALWAYS)          \
  CALLBACK (extents,            PLUGIN_ALWAYS)          \
  CALLBACK (can_cache,          PLUGIN_ALWAYS)          \
  CALLBACK (cache,              PLUGIN_ALWAYS)          \
  CALLBACK (thread_model,       PLUGIN_THREAD_MODEL)    \
  CALLBACK (can_fast_zero,      PLUGIN_ALWAYS)          \
  CALLBACK (preconnect,         PLUGIN_ALWAYS)          \
  CALLBACK (get_ready,          PLUGIN_ALWAYS)          \
  CALLBACK (after_fork,         PLUGIN_ALWAYS)          \
  CALLBACK (list_exports,       PLUGIN_LIST_EXPORTS)    \
  CALLBACK (default_export,     PLUGIN_DEFAULT_EXPORT)  \
  CALLBACK (export_description, PLUGIN_ALWAYS)          \
  CALLBACK (cleanup,            PLUGIN_CLEANUP)         \
  CALLBACK (block_size,         PLUGIN_ALWAYS)

/* The plugin's static information, read once from Go. */
struct plugin_info {
  const char *name;
  const char *longname;
  const char *version;
  const char *description;
  const char *config_help;
  const char *magic_config_key;
  int thread_model;
  uint32_t caps;                /* enum plugin_capability bits */
};

/* Build the plugin struct that plugin_init returns to nbdkit. */
extern struct nbdkit_plugin *wrapper_plugin_init (const struct plugin_info *);

#endif /* NBDKIT_GO_WRAPPER_H */
