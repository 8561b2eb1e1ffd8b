/* normalize.c — normalize_2nd_moment over the last axis (StyleGAN2's latent
 * normalisation): y[r,k] = x[r,k] * (1 / sqrt(mean_k(x[r,k]^2) + eps)).
 * The mean is accumulated in double, so the result is the correctly scaled
 * row up to one rounding of the factor and one of the product; PyTorch's
 * float reduction is within a few ulps of it. Parallel over rows.
 * Tests: tests/test_kernels_stylegan2.c. */
#include <math.h>

#include "kernels.h"
#include "pool.h"

typedef struct norm_job {
    const float *x;
    float *y;
    int64_t len;
    float eps;
} norm_job;

static void norm_rows(void *arg, int64_t begin, int64_t end) {
    const norm_job *j = arg;
    for (int64_t r = begin; r < end; r++) {
        const float *xr = j->x + r * j->len;
        float *yr = j->y + r * j->len;
        double ss = 0.0;
        for (int64_t k = 0; k < j->len; k++) ss += (double)xr[k] * xr[k];
        float f = (float)(1.0 / sqrt(ss / (double)j->len + (double)j->eps));
        for (int64_t k = 0; k < j->len; k++) yr[k] = xr[k] * f;
    }
}

void tr_cpu_normalize_2nd_moment_f32(tr_pool *pool, const float *x, int64_t rows, int64_t len,
                                     float eps, float *y) {
    norm_job j = {x, y, len, eps};
    tr_pool_for(pool, rows, 1, norm_rows, &j);
}
