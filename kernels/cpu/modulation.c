/* modulation.c — the two per-sample pieces of StyleGAN2's modulated
 * convolution that surround a shared-weight convolution:
 *   demodulation coefficients  d[n,o] = 1 / sqrt(sum_i s[n,i]^2 * wsq[o,i] + eps)
 *   channel scaling            y = epilogue(x * scale[n,c] + add + bias[c])
 * With wsq[o,i] = sum_{a,b} W[o,a,b,i]^2 the first equals the reference's
 * rsqrt(sum_{i,a,b} (W*s)^2 + eps) exactly in real arithmetic; we accumulate
 * in double and round once. The second is used for the input modulation
 * (scale only), and after an up-sampling convolution for demodulation, noise,
 * bias, lrelu * gain and clamp in one pass (bias_act order).
 * Tests: tests/test_kernels_stylegan2.c. */
#include <math.h>

#include "epilogue.h"
#include "pool.h"

typedef struct demod_job {
    const tr_demod_desc *d;
    const float *s, *wsq;
    float *y;
} demod_job;

static void demod_range(void *arg, int64_t begin, int64_t end) {
    const demod_job *j = arg;
    const tr_demod_desc *d = j->d;
    for (int64_t idx = begin; idx < end; idx++) {
        int64_t n = idx / d->c_out, o = idx % d->c_out;
        const float *s = j->s + n * d->c_in, *w = j->wsq + o * d->c_in;
        double acc = 0.0;
        for (int32_t i = 0; i < d->c_in; i++) acc += (double)s[i] * s[i] * w[i];
        j->y[idx] = (float)(1.0 / sqrt(acc + (double)d->eps));
    }
}

void tr_cpu_demod_f32(tr_pool *pool, const tr_demod_desc *d, const float *s, const float *wsq,
                      float *y) {
    demod_job j = {d, s, wsq, y};
    tr_pool_for(pool, (int64_t)d->n * d->c_out, 64, demod_range, &j);
}

static inline int64_t bcast_index(const int64_t s[4], int64_t n, int64_t y, int64_t x, int64_t c) {
    int64_t in = s[0] == 1 ? 0 : n, iy = s[1] == 1 ? 0 : y, ix = s[2] == 1 ? 0 : x;
    int64_t ic = s[3] == 1 ? 0 : c;
    return ((in * s[1] + iy) * s[2] + ix) * s[3] + ic;
}

static void schan_rows(void *arg, int64_t begin, int64_t end) {
    const tr_scale_channels_args *a = arg;
    const tr_scale_channels_desc *d = &a->d;
    for (int64_t row = begin; row < end; row++) {
        const int64_t n = row / d->h, yy = row % d->h;
        const float *sc = a->scale ? a->scale + n * d->c : NULL;
        for (int64_t xx = 0; xx < d->w; xx++) {
            const int64_t off = (row * d->w + xx) * d->c;
            for (int64_t c = 0; c < d->c; c++) {
                float v = a->x[off + c];
                if (sc) v *= sc[c];
                if (a->add) v += a->add[bcast_index(d->add_shape, n, yy, xx, c)];
                if (a->bias) v += a->bias[c];
                a->y[off + c] = tr_epilogue_apply(&d->ep, v);
            }
        }
    }
}

void tr_cpu_scale_channels_f32(tr_pool *pool, const tr_scale_channels_args *a) {
    tr_pool_for(pool, (int64_t)a->d.n * a->d.h, 1, schan_rows, (void *)a);
}
