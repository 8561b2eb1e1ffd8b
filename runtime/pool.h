/* pool.h — a fixed pthreads pool for data-parallel loops over index ranges.
 *
 * tr_pool_for splits [0, n) into chunks of at least `grain` indices and runs
 * fn(arg, begin, end) on the workers and the calling thread, returning when
 * all chunks are done. Which thread runs a chunk varies from run to run, so a
 * kernel must make every output element depend only on its own index (never
 * on the chunk boundaries) to stay bitwise deterministic across thread counts.
 * Calls must not nest, and one pool serves one thread at a time (it belongs
 * to a context). A NULL pool runs fn(arg, 0, n) on the caller. */
#ifndef TR_POOL_H
#define TR_POOL_H

#include <stdint.h>

#include "internal.h"

typedef void (*tr_pool_fn)(void *arg, int64_t begin, int64_t end);
/* Same, also told which thread runs the chunk: 0 is the caller, workers are
 * 1..n_threads-1; for kernels with per-thread scratch memory. */
typedef void (*tr_pool_tid_fn)(void *arg, int64_t begin, int64_t end, int32_t tid);

/* n_threads counts the caller: 1 makes a pool without workers. */
tryon_status tr_pool_init(tryon_ctx *ctx, int32_t n_threads, tr_pool **out);
void tr_pool_free(tr_pool *p);
int32_t tr_pool_n_threads(const tr_pool *p);
void tr_pool_for(tr_pool *p, int64_t n, int64_t grain, tr_pool_fn fn, void *arg);
void tr_pool_for_tid(tr_pool *p, int64_t n, int64_t grain, tr_pool_tid_fn fn, void *arg);

#endif /* TR_POOL_H */
