/* conv2d.c — reference 2-D convolution (correlation), NHWC x OHWI -> NHWC.
 *   acc[n,y,x,o] = sum_{a,b,i} X[n, y*sh + a*dh - pt, x*sw + b*dw - pl, g*Cg + i]
 *                               * in_scale[n, g*Cg + i] * W[o, a, b, i]
 *   y = epilogue(acc * out_scale[n,o] + add + bias[o]) + residual
 * Out-of-image taps read 0 (zeros), the mirror image without the edge
 * (reflect) or the edge (replicate); padding is index arithmetic, never a
 * padded copy. Parallel over output rows; each output sums its taps in the
 * fixed order (a, b, i), so results do not depend on the thread count. Taps
 * accumulate in float (two roundings each) or, with TR_CONV_ACCUM_ROUND_ONCE,
 * through a double add rounded once to float per tap (TF.js CPU, bitwise).
 * Tests: tests/test_kernels_conv.c. */
#include <string.h>

#include "epilogue.h"
#include "pool.h"

/* Maps a possibly out-of-range coordinate into [0, n) or returns -1 (zeros). */
static inline int32_t pad_index(int32_t i, int32_t n, tr_pad_mode mode) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case TR_PAD_REFLECT:
        /* Builders guarantee pad < n, so one reflection suffices; n == 1 maps to 0. */
        if (n == 1) return 0;
        return i < 0 ? -i : 2 * n - 2 - i;
    case TR_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    default: return -1;
    }
}

int32_t tr_conv_out_size(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad_begin,
                         int32_t pad_end) {
    int64_t span = (int64_t)dil * (k - 1) + 1;
    int64_t padded = (int64_t)in + pad_begin + pad_end;
    if (stride < 1 || padded < span) return -1;
    int64_t out = (padded - span) / stride + 1;
    return out > INT32_MAX ? -1 : (int32_t)out;
}

void tr_tf_same_pad(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t *pad_begin,
                    int32_t *pad_end, int32_t *out) {
    int64_t o = ((int64_t)in + stride - 1) / stride;
    int64_t span = (int64_t)dil * (k - 1) + 1;
    int64_t total = (o - 1) * stride + span - in;
    if (total < 0) total = 0;
    *pad_begin = (int32_t)(total / 2);
    *pad_end = (int32_t)(total - total / 2);
    *out = (int32_t)o;
}

static inline int64_t bcast_index(const int64_t s[4], int32_t n, int32_t y, int32_t x, int32_t c) {
    int64_t in = s[0] == 1 ? 0 : n, iy = s[1] == 1 ? 0 : y, ix = s[2] == 1 ? 0 : x;
    int64_t ic = s[3] == 1 ? 0 : c;
    return ((in * s[1] + iy) * s[2] + ix) * s[3] + ic;
}

/* bias, extra terms, epilogue and residual of output o at (n, oy, ox). */
static inline void finish(const tr_conv2d_args *a, int32_t n, int32_t oy, int32_t ox, int32_t o,
                          int64_t yoff, float acc) {
    const tr_conv2d_desc *d = &a->d;
    float v = acc;
    if (a->out_scale) v *= a->out_scale[(int64_t)n * d->c_out + o];
    if (a->add) v += a->add[bcast_index(d->add_shape, n, oy, ox, o)];
    if (a->bias) v += a->bias[o];
    v = tr_epilogue_apply(&d->ep, v);
    if (a->residual) v += a->residual[yoff + o];
    a->y[yoff + o] = v;
}

/* TR_CONV_ACCUM_ROUND_ONCE taps of outputs o0 .. o0+nb-1 at (oy, ox):
 * acc = (float)((double)acc + (double)x*w) in the (a, b, i) order for each.
 * One such chain is bound by the latency of the double add and the two
 * conversions, so RO_BLOCK outputs are interleaved; each keeps its own order,
 * so the results are those of one output at a time. */
#define RO_BLOCK 8
static void taps_round_once(const tr_conv2d_args *a, const float *xs, const float *scale,
                            int32_t oy, int32_t ox, int32_t o0, int32_t nb, float *acc) {
    const tr_conv2d_desc *d = &a->d;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    const float *wo[RO_BLOCK];
    int32_t goff[RO_BLOCK];
    for (int32_t j = 0; j < nb; j++) {
        goff[j] = (o0 + j) / cog * cig;
        wo[j] = a->w + (int64_t)(o0 + j) * d->kh * d->kw * cig;
        acc[j] = 0.0f;
    }
    const int one_group = goff[0] == goff[nb - 1];
    for (int32_t ky = 0; ky < d->kh; ky++) {
        int32_t iy = pad_index(oy * d->stride_h + ky * d->dil_h - d->pad_top, d->h, d->pad_mode);
        if (iy < 0) continue;
        for (int32_t kx = 0; kx < d->kw; kx++) {
            int32_t ix =
                pad_index(ox * d->stride_w + kx * d->dil_w - d->pad_left, d->w, d->pad_mode);
            if (ix < 0) continue;
            const float *xr = xs + ((int64_t)iy * d->w + ix) * d->c_in;
            const int64_t wk = ((int64_t)ky * d->kw + kx) * cig;
            if (nb == RO_BLOCK && one_group && !scale) {
                const float *xp = xr + goff[0];
                for (int32_t i = 0; i < cig; i++) {
                    const double xv = xp[i];
                    for (int32_t j = 0; j < RO_BLOCK; j++)
                        acc[j] = (float)((double)acc[j] + xv * wo[j][wk + i]);
                }
            } else {
                for (int32_t i = 0; i < cig; i++)
                    for (int32_t j = 0; j < nb; j++) {
                        const int32_t c = goff[j] + i;
                        const float xv = scale ? xr[c] * scale[c] : xr[c];
                        acc[j] = (float)((double)acc[j] + (double)xv * wo[j][wk + i]);
                    }
            }
        }
    }
}

static void conv_rows(void *arg, int64_t row_begin, int64_t row_end) {
    const tr_conv2d_args *a = arg;
    const tr_conv2d_desc *d = &a->d;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    for (int64_t row = row_begin; row < row_end; row++) {
        const int32_t n = (int32_t)(row / d->oh), oy = (int32_t)(row % d->oh);
        const float *xs = a->x + (int64_t)n * d->h * d->w * d->c_in;
        const float *scale = a->in_scale ? a->in_scale + (int64_t)n * d->c_in : NULL;
        for (int32_t ox = 0; ox < d->ow; ox++) {
            const int64_t yoff = (((int64_t)n * d->oh + oy) * d->ow + ox) * d->c_out;
            if (d->accum == TR_CONV_ACCUM_ROUND_ONCE) {
                float acc[RO_BLOCK];
                for (int32_t o0 = 0; o0 < d->c_out; o0 += RO_BLOCK) {
                    int32_t nb = d->c_out - o0 < RO_BLOCK ? d->c_out - o0 : RO_BLOCK;
                    taps_round_once(a, xs, scale, oy, ox, o0, nb, acc);
                    for (int32_t j = 0; j < nb; j++) finish(a, n, oy, ox, o0 + j, yoff, acc[j]);
                }
                continue;
            }
            for (int32_t o = 0; o < d->c_out; o++) {
                const int32_t g = o / cog;
                const float *wo = a->w + (int64_t)o * d->kh * d->kw * cig;
                float acc = 0.0f;
                for (int32_t ky = 0; ky < d->kh; ky++) {
                    int32_t iy =
                        pad_index(oy * d->stride_h + ky * d->dil_h - d->pad_top, d->h, d->pad_mode);
                    if (iy < 0) continue;
                    for (int32_t kx = 0; kx < d->kw; kx++) {
                        int32_t ix = pad_index(ox * d->stride_w + kx * d->dil_w - d->pad_left, d->w,
                                               d->pad_mode);
                        if (ix < 0) continue;
                        const float *xp = xs + ((int64_t)iy * d->w + ix) * d->c_in + g * cig;
                        const float *wp = wo + ((int64_t)ky * d->kw + kx) * cig;
                        if (scale) {
                            const float *sp = scale + g * cig;
                            for (int32_t i = 0; i < cig; i++) acc += xp[i] * sp[i] * wp[i];
                        } else {
                            for (int32_t i = 0; i < cig; i++) acc += xp[i] * wp[i];
                        }
                    }
                }
                finish(a, n, oy, ox, o, yoff, acc);
            }
        }
    }
}

void tr_cpu_conv2d_f32(tr_pool *pool, const tr_conv2d_args *a) {
    tr_pool_for(pool, (int64_t)a->d.n * a->d.oh, 1, conv_rows, (void *)a);
}
