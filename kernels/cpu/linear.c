/* linear.c — reference fully connected layer:
 *   y[n,m] = epilogue(sum_k x[n,k] * W[m,k] + bias[m]).
 * Parallel over (n, m); each dot product runs in ascending k.
 * Tests: tests/test_kernels_conv.c. */
#include "epilogue.h"
#include "pool.h"

static void linear_range(void *arg, int64_t begin, int64_t end) {
    const tr_linear_args *a = arg;
    const tr_linear_desc *d = &a->d;
    for (int64_t idx = begin; idx < end; idx++) {
        int64_t n = idx / d->m, m = idx % d->m;
        const float *xp = a->x + n * d->k, *wp = a->w + m * d->k;
        float acc = 0.0f;
        for (int32_t k = 0; k < d->k; k++) acc += xp[k] * wp[k];
        if (a->bias) acc += a->bias[m];
        a->y[idx] = tr_epilogue_apply(&d->ep, acc);
    }
}

void tr_cpu_linear_f32(tr_pool *pool, const tr_linear_args *a) {
    tr_pool_for(pool, (int64_t)a->d.n * a->d.m, 16, linear_range, (void *)a);
}
