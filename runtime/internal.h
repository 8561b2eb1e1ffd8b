/* internal.h — the context struct, error reporting and the allocation hooks
 * shared by runtime/, kernels/ and nets/. Not part of the public API.
 *
 * Errors: user and runtime errors return a tryon_status and record a message
 * on the context through TR_FAIL; broken internal invariants use TR_ASSERT,
 * which aborts with the location (a bug, never a user error).
 *
 * Allocation: every heap allocation of the library goes through tr_mem_alloc /
 * tr_mem_calloc / tr_mem_realloc / tr_mem_free so that the context can count allocations
 * (the "run allocates nothing" tests) and fail the n-th one on purpose (the
 * out-of-memory tests). */
#ifndef TR_INTERNAL_H
#define TR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tryon.h"

typedef struct tr_pool tr_pool;

struct tryon_ctx {
    tryon_ctx_params params;
    tr_pool *pool;
    tryon_status last_status;
    char err[512];         /* message of the last failure */
    char where[128];       /* "file:line" of the last failure */
    int64_t n_allocs;      /* successful tr_mem_alloc/calloc/realloc calls */
    int64_t fail_alloc_at; /* > 0: the n-th allocation from now fails (tests) */
    void *cuda;            /* CUDA backend state; NULL on the CPU */
    int32_t cpu_isa;       /* tr_isa of the fast CPU kernels (kernels/fast/fast.h):
                              the best this CPU runs, or TRYON_CPU_ISA */
};

#if defined(__GNUC__)
#define TR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TR_PRINTF(f, a)
#endif

/* Records "fmt..." and its location on ctx (if not NULL) and returns s. */
tryon_status tr_fail(tryon_ctx *ctx, tryon_status s, const char *file, int line, const char *fmt,
                     ...) TR_PRINTF(5, 6);
#define TR_FAIL(ctx, s, ...) tr_fail((ctx), (s), __FILE__, __LINE__, __VA_ARGS__)

/* Propagates a failing status (the message is already on the context). */
#define TR_TRY(expr)                                                                               \
    do {                                                                                           \
        tryon_status tr_s_ = (expr);                                                               \
        if (tr_s_ != TRYON_OK) return tr_s_;                                                       \
    } while (0)

/* Same, but jumps to the function's single cleanup label with st set. */
#define TR_CHECK(expr)                                                                             \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != TRYON_OK) goto fail;                                                             \
    } while (0)

void tr_assert_fail(const char *expr, const char *file, int line);
#define TR_ASSERT(x)                                                                               \
    do {                                                                                           \
        if (!(x)) tr_assert_fail(#x, __FILE__, __LINE__);                                          \
    } while (0)

/* Allocation hooks. tr_mem_alloc(ctx, 0) returns a unique non-NULL pointer.
 * On failure they record TRYON_ERR_NOMEM on ctx and return NULL. ctx may be
 * NULL (no counting, no injection). */
void *tr_mem_alloc(tryon_ctx *ctx, size_t bytes);
void *tr_mem_calloc(tryon_ctx *ctx, size_t count, size_t size);
void *tr_mem_realloc(tryon_ctx *ctx, void *p, size_t bytes);
void *tr_mem_aligned(tryon_ctx *ctx, size_t alignment, size_t bytes);
void tr_mem_free(void *p);
char *tr_mem_strdup(tryon_ctx *ctx, const char *s);

/* Test hooks: make the n-th allocation from now fail (0 turns it off); count. */
void tr_ctx_set_fail_alloc(tryon_ctx *ctx, int64_t nth);
int64_t tr_ctx_n_allocs(const tryon_ctx *ctx);

/* Overflow-checked arithmetic on sizes: return 0 on overflow. */
static inline int tr_mul_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline int tr_add_i64(int64_t a, int64_t b, int64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* "[1, 385, 385, 3]" into buf; returns buf. */
const char *tr_shape_str(int32_t ndim, const int64_t *shape, char *buf, size_t size);

static inline int64_t tr_align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

/* Host memory alignment for arenas and constants (one cache line, AVX-512). */
#define TR_HOST_ALIGN 64

#endif /* TR_INTERNAL_H */
