/* pool.c — fixed pthreads pool; see pool.h for the contract.
 *
 * A job is published under the mutex with a new generation number; workers
 * join it under the mutex and then, with the caller, take chunks with an
 * atomic counter, so no lock is held while computing. When the caller runs
 * out of chunks it closes the job (workers that wake up later skip it) and
 * waits on `done` until every worker that joined has left, which is what
 * makes it safe to publish the next one. Closing matters on a busy machine:
 * a worker the scheduler has not woken yet costs the caller nothing, instead
 * of a wait for its time slice after all the work is done. */
#include <pthread.h>
#include <stdatomic.h>

#include "pool.h"

struct tr_pool {
    int32_t n_workers;              /* threads besides the caller */
    pthread_t *threads;             /* (n_workers) */
    struct tr_pool_worker *workers; /* (n_workers) thread arguments */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* a new job or stop */
    pthread_cond_t done; /* the last worker left the job */
    uint64_t generation; /* bumped for every job */
    int stop;
    int closed;     /* the current job takes no more workers */
    int32_t n_busy; /* workers that joined the current job and have not left */
    tr_pool_fn fn;
    tr_pool_tid_fn fn_tid; /* set instead of fn by tr_pool_for_tid */
    void *arg;
    int64_t n, chunk, n_chunks;
    atomic_int_fast64_t next; /* next chunk index to take */
};

static void run_chunks(tr_pool *p, int32_t tid) {
    for (;;) {
        int64_t c = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (c >= p->n_chunks) return;
        int64_t b = c * p->chunk;
        int64_t e = b + p->chunk < p->n ? b + p->chunk : p->n;
        if (p->fn_tid)
            p->fn_tid(p->arg, b, e, tid);
        else
            p->fn(p->arg, b, e);
    }
}

struct tr_pool_worker {
    tr_pool *p;
    int32_t tid; /* 1..n_workers */
};

static void *worker_main(void *vp) {
    const struct tr_pool_worker *w = vp;
    tr_pool *p = w->p;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->stop) break;
        seen = p->generation;
        if (p->closed) continue; /* woke up after the caller finished it */
        p->n_busy++;
        pthread_mutex_unlock(&p->mu);
        run_chunks(p, w->tid);
        pthread_mutex_lock(&p->mu);
        if (--p->n_busy == 0 && p->closed) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

tryon_status tr_pool_init(tryon_ctx *ctx, int32_t n_threads, tr_pool **out) {
    *out = NULL;
    if (n_threads < 1 || n_threads > 1024)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "thread count %d outside 1..1024", n_threads);
    tr_pool *p = tr_mem_calloc(ctx, 1, sizeof *p);
    if (!p) return TRYON_ERR_NOMEM;
    p->n_workers = n_threads - 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->next, 0);
    if (p->n_workers > 0) {
        p->threads = tr_mem_calloc(ctx, (size_t)p->n_workers, sizeof *p->threads);
        p->workers =
            p->threads ? tr_mem_calloc(ctx, (size_t)p->n_workers, sizeof *p->workers) : NULL;
        if (!p->threads || !p->workers) {
            p->n_workers = 0;
            tr_pool_free(p);
            return TRYON_ERR_NOMEM;
        }
        for (int32_t i = 0; i < p->n_workers; i++) {
            p->workers[i].p = p;
            p->workers[i].tid = i + 1;
            if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
                p->n_workers = i;
                tr_pool_free(p);
                return TR_FAIL(ctx, TRYON_ERR_NOMEM, "cannot start worker thread %d", i);
            }
        }
    }
    *out = p;
    return TRYON_OK;
}

void tr_pool_free(tr_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int32_t i = 0; i < p->n_workers; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    tr_mem_free(p->threads);
    tr_mem_free(p->workers);
    tr_mem_free(p);
}

int32_t tr_pool_n_threads(const tr_pool *p) { return p ? p->n_workers + 1 : 1; }

static void pool_run(tr_pool *p, int64_t n, int64_t grain, tr_pool_fn fn, tr_pool_tid_fn fn_tid,
                     void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (!p || p->n_workers == 0 || n <= grain) {
        if (fn_tid)
            fn_tid(arg, 0, n, 0);
        else
            fn(arg, 0, n);
        return;
    }
    /* About four chunks per thread balances uneven chunks without much overhead. */
    int64_t threads = p->n_workers + 1;
    int64_t chunk = (n + threads * 4 - 1) / (threads * 4);
    if (chunk < grain) chunk = grain;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->fn_tid = fn_tid;
    p->arg = arg;
    p->n = n;
    p->chunk = chunk;
    p->n_chunks = (n + chunk - 1) / chunk;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->n_busy = 0;
    p->closed = 0;
    p->generation++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);

    run_chunks(p, 0);

    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    while (p->n_busy > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void tr_pool_for(tr_pool *p, int64_t n, int64_t grain, tr_pool_fn fn, void *arg) {
    pool_run(p, n, grain, fn, NULL, arg);
}

void tr_pool_for_tid(tr_pool *p, int64_t n, int64_t grain, tr_pool_tid_fn fn, void *arg) {
    pool_run(p, n, grain, NULL, fn, arg);
}
