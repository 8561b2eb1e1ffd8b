/* upfirdn2d.c — reference upsample / FIR filter / downsample (StyleGAN2-ADA
 * semantics, see kernels.h), NHWC. Computed directly per output pixel:
 *   y[oy,ox] = gain * sum_{a,b} U[oy*dy + a - py0, ox*dx + b - px0] * K[a,b]
 * where U is the zero-stuffed input (U[p,q] = x[p/uy, q/ux] when both divide
 * exactly, else 0) and K is f flipped in both axes (true convolution) unless
 * flip is set. A separable f gives K[a,b] = f[a]*f[b]. The tap order is fixed,
 * so results do not depend on the thread count.
 * Tests: tests/test_kernels_upfirdn.c. */
#include "kernels.h"
#include "pool.h"

static inline float tap(const tr_upfirdn2d_args *a, int32_t ka, int32_t kb) {
    const tr_upfirdn2d_desc *d = &a->d;
    int32_t fa = d->flip ? ka : d->fh - 1 - ka, fb = d->flip ? kb : d->fw - 1 - kb;
    if (d->separable) return a->f[fa] * a->f[fb];
    return a->f[(int64_t)fa * d->fw + fb];
}

static void upfirdn_rows(void *arg, int64_t begin, int64_t end) {
    const tr_upfirdn2d_args *a = arg;
    const tr_upfirdn2d_desc *d = &a->d;
    const int64_t uh = (int64_t)d->h * d->up_y, uw = (int64_t)d->w * d->up_x;
    for (int64_t r = begin; r < end; r++) {
        int32_t n = (int32_t)(r / d->oh), oy = (int32_t)(r % d->oh);
        const float *xs = a->x + (int64_t)n * d->h * d->w * d->c;
        float *yr = a->y + r * d->ow * d->c;
        for (int32_t ox = 0; ox < d->ow; ox++) {
            float *yp = yr + (int64_t)ox * d->c;
            for (int32_t c = 0; c < d->c; c++) yp[c] = 0.0f;
            for (int32_t ka = 0; ka < d->fh; ka++) {
                int64_t p = (int64_t)oy * d->down_y + ka - d->pad_y0;
                if (p < 0 || p >= uh || p % d->up_y) continue;
                int64_t iy = p / d->up_y;
                for (int32_t kb = 0; kb < d->fw; kb++) {
                    int64_t q = (int64_t)ox * d->down_x + kb - d->pad_x0;
                    if (q < 0 || q >= uw || q % d->up_x) continue;
                    int64_t ix = q / d->up_x;
                    float k = tap(a, ka, kb);
                    const float *xp = xs + (iy * d->w + ix) * d->c;
                    for (int32_t c = 0; c < d->c; c++) yp[c] += xp[c] * k;
                }
            }
            for (int32_t c = 0; c < d->c; c++) yp[c] *= d->gain;
        }
    }
}

void tr_cpu_upfirdn2d_f32(tr_pool *pool, const tr_upfirdn2d_args *a) {
    tr_pool_for(pool, (int64_t)a->d.n * a->d.oh, 1, upfirdn_rows, (void *)a);
}
