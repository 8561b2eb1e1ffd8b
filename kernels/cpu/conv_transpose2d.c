/* conv_transpose2d.c — reference transposed convolution (PyTorch
 * ConvTranspose2d), NHWC x OHWI -> NHWC, in gather form: each output pixel
 * collects the inputs whose kernel footprint covers it,
 *   y[n,oy,ox,o] = sum over (a, b, i) with oy = iy*sh - pt + a*dh and
 *                  ox = ix*sw - pl + b*dw of x[n,iy,ix,g*Cg+i] * W[o,a,b,i],
 * then bias and the epilogue. Gathering (rather than scattering) keeps each
 * output's summation order fixed, so any thread count gives the same bits.
 * Tests: tests/test_kernels_conv.c. */
#include "epilogue.h"
#include "pool.h"

static void convt_rows(void *arg, int64_t row_begin, int64_t row_end) {
    const tr_conv_transpose2d_args *a = arg;
    const tr_conv_transpose2d_desc *d = &a->d;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    for (int64_t row = row_begin; row < row_end; row++) {
        const int32_t n = (int32_t)(row / d->oh), oy = (int32_t)(row % d->oh);
        const float *xs = a->x + (int64_t)n * d->h * d->w * d->c_in;
        for (int32_t ox = 0; ox < d->ow; ox++) {
            float *yp = a->y + (((int64_t)n * d->oh + oy) * d->ow + ox) * d->c_out;
            for (int32_t o = 0; o < d->c_out; o++) {
                const int32_t g = o / cog;
                const float *wo = a->w + (int64_t)o * d->kh * d->kw * cig;
                float acc = 0.0f;
                for (int32_t ky = 0; ky < d->kh; ky++) {
                    int32_t ty = oy + d->pad_top - ky * d->dil_h;
                    if (ty < 0 || ty % d->stride_h) continue;
                    int32_t iy = ty / d->stride_h;
                    if (iy >= d->h) continue;
                    for (int32_t kx = 0; kx < d->kw; kx++) {
                        int32_t tx = ox + d->pad_left - kx * d->dil_w;
                        if (tx < 0 || tx % d->stride_w) continue;
                        int32_t ix = tx / d->stride_w;
                        if (ix >= d->w) continue;
                        const float *xp = xs + ((int64_t)iy * d->w + ix) * d->c_in + g * cig;
                        const float *wp = wo + ((int64_t)ky * d->kw + kx) * cig;
                        for (int32_t i = 0; i < cig; i++) acc += xp[i] * wp[i];
                    }
                }
                float v = acc + (a->bias ? a->bias[o] : 0.0f);
                yp[o] = tr_epilogue_apply(&d->ep, v);
            }
        }
    }
}

void tr_cpu_conv_transpose2d_f32(tr_pool *pool, const tr_conv_transpose2d_args *a) {
    tr_pool_for(pool, (int64_t)a->d.n * a->d.oh, 1, convt_rows, (void *)a);
}
