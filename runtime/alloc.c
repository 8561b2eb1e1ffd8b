/* alloc.c — the library's allocation hooks: counting and failure injection.
 * Every heap allocation in runtime/, kernels/ and nets/ comes through here. */
#include <string.h>

#include "internal.h"

/* Returns 1 if this allocation must fail (injection), else counts it. */
static int alloc_should_fail(tryon_ctx *ctx) {
    if (!ctx) return 0;
    if (ctx->fail_alloc_at > 0 && --ctx->fail_alloc_at == 0) return 1;
    return 0;
}

static void *alloc_done(tryon_ctx *ctx, void *p, size_t bytes) {
    if (!p) {
        TR_FAIL(ctx, TRYON_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
        return NULL;
    }
    if (ctx) ctx->n_allocs++;
    return p;
}

void *tr_mem_alloc(tryon_ctx *ctx, size_t bytes) {
    if (alloc_should_fail(ctx)) return alloc_done(ctx, NULL, bytes);
    return alloc_done(ctx, malloc(bytes ? bytes : 1), bytes);
}

void *tr_mem_calloc(tryon_ctx *ctx, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) return alloc_done(ctx, NULL, SIZE_MAX);
    if (alloc_should_fail(ctx)) return alloc_done(ctx, NULL, bytes);
    return alloc_done(ctx, calloc(bytes ? count : 1, bytes ? size : 1), bytes);
}

void *tr_mem_realloc(tryon_ctx *ctx, void *p, size_t bytes) {
    if (alloc_should_fail(ctx)) return alloc_done(ctx, NULL, bytes);
    return alloc_done(ctx, realloc(p, bytes ? bytes : 1), bytes);
}

void *tr_mem_aligned(tryon_ctx *ctx, size_t alignment, size_t bytes) {
    if (alloc_should_fail(ctx)) return alloc_done(ctx, NULL, bytes);
    void *p = NULL;
    if (posix_memalign(&p, alignment, bytes ? bytes : alignment) != 0) p = NULL;
    return alloc_done(ctx, p, bytes);
}

void tr_mem_free(void *p) { free(p); }

char *tr_mem_strdup(tryon_ctx *ctx, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = tr_mem_alloc(ctx, n);
    if (d) memcpy(d, s, n);
    return d;
}

void tr_ctx_set_fail_alloc(tryon_ctx *ctx, int64_t nth) { ctx->fail_alloc_at = nth; }

int64_t tr_ctx_n_allocs(const tryon_ctx *ctx) { return ctx->n_allocs; }
