/* instance_norm.c — reference instance normalisation, NHWC:
 *   mean, var over H*W for each (n, c) (biased variance, accumulated in double),
 *   v = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c],
 *   y = epilogue(v) + residual.
 * Statistics go to the workspace (N, C, 2). Pass 1 is parallel over (n,
 * block of channels) and reads pixels in order, so every channel's sums run
 * in the same order whatever the thread count; pass 2 is parallel over pixels.
 * Tests: tests/test_kernels_norm.c. */
#include <math.h>
#include <string.h>

#include "epilogue.h"
#include "pool.h"

#define CH_BLOCK 16

static void stats_range(void *arg, int64_t begin, int64_t end) {
    const tr_instance_norm_args *a = arg;
    const tr_instance_norm_desc *d = &a->d;
    const int64_t n_blocks = (d->c + CH_BLOCK - 1) / CH_BLOCK, hw = (int64_t)d->h * d->w;
    for (int64_t job = begin; job < end; job++) {
        const int64_t n = job / n_blocks, c0 = job % n_blocks * CH_BLOCK;
        const int64_t c1 = c0 + CH_BLOCK < d->c ? c0 + CH_BLOCK : d->c;
        const float *x = a->x + n * hw * d->c;
        double sum[CH_BLOCK] = {0}, sq[CH_BLOCK] = {0};
        for (int64_t p = 0; p < hw; p++)
            for (int64_t c = c0; c < c1; c++) sum[c - c0] += x[p * d->c + c];
        for (int64_t c = c0; c < c1; c++) sum[c - c0] /= (double)hw;
        for (int64_t p = 0; p < hw; p++)
            for (int64_t c = c0; c < c1; c++) {
                double t = x[p * d->c + c] - sum[c - c0];
                sq[c - c0] += t * t;
            }
        for (int64_t c = c0; c < c1; c++) {
            double var = sq[c - c0] / (double)hw;
            a->stats[(n * d->c + c) * 2] = sum[c - c0];
            a->stats[(n * d->c + c) * 2 + 1] = 1.0 / sqrt(var + (double)d->eps);
        }
    }
}

static void norm_range(void *arg, int64_t begin, int64_t end) {
    const tr_instance_norm_args *a = arg;
    const tr_instance_norm_desc *d = &a->d;
    const int64_t hw = (int64_t)d->h * d->w;
    for (int64_t p = begin; p < end; p++) {
        const int64_t n = p / hw;
        const double *st = a->stats + n * d->c * 2;
        for (int32_t c = 0; c < d->c; c++) {
            int64_t i = p * d->c + c;
            float v = (float)((a->x[i] - st[2 * c]) * st[2 * c + 1]);
            if (a->gamma) v *= a->gamma[c];
            if (a->beta) v += a->beta[c];
            v = tr_epilogue_apply(&d->ep, v);
            if (a->residual) v += a->residual[i];
            a->y[i] = v;
        }
    }
}

void tr_cpu_instance_norm_f32(tr_pool *pool, const tr_instance_norm_args *a) {
    const tr_instance_norm_desc *d = &a->d;
    int64_t n_blocks = (d->c + CH_BLOCK - 1) / CH_BLOCK;
    tr_pool_for(pool, (int64_t)d->n * n_blocks, 1, stats_range, (void *)a);
    tr_pool_for(pool, (int64_t)d->n * d->h * d->w, 256, norm_range, (void *)a);
}
