/* grid_sample.c — F.grid_sample (2-D, bilinear and nearest; zeros, border and
 * reflection padding; both align_corners conventions) and F.affine_grid, on
 * NHWC data. Numerics: NETS.md §4.1-4.2.
 *
 * Per output location and axis (size S, normalized coordinate g), in f32 with
 * the operation order of PyTorch's vectorized CPU kernel (GridSamplerKernel.cpp),
 * so that coordinates, and therefore nearest-neighbour picks at exact ties,
 * agree with PyTorch bit for bit:
 *   unnormalize   align_corners: i = (g + 1) * ((S-1)/2)
 *                 otherwise:     i = (g + 1) * (S/2) - 0.5
 *   border        i = min(S-1, max(0, i))                 (NaN -> 0)
 *   reflection    around lo = 0 (align) or -0.5 (not), span2 = 2(S-1) or 2S:
 *                 a = |i - lo|, extra = a - trunc(a/span2)*span2,
 *                 i = min(extra, span2 - extra) + lo, then clamped as border
 *                 (S == 1 with align_corners: i = 0).
 *   bilinear      x0 = floor(i_x), wx = i_x - x0 (likewise y); the taps
 *                 nw, ne, sw, se get weights (1-wy)(1-wx), (1-wy)wx, wy(1-wx),
 *                 wy*wx and taps outside the image are skipped (zeros mode
 *                 darkens the border; weights are never renormalized);
 *                 y = nw*v_nw + ne*v_ne + sw*v_sw + se*v_se, left to right.
 *   nearest       round half to even, 0 outside the image.
 * A non-finite coordinate reads as outside the image in zeros mode (output 0)
 * and as 0 (pixel 0) in border and reflection modes, like current PyTorch.
 * Tests: tests/test_warp.c (double oracle), tests/test_torch_warp.c (PyTorch). */
#include <math.h>

#include "grid_coord.h"
#include "kernels.h"
#include "pool.h"

typedef struct gs_job {
    const tr_grid_sample_desc *d;
    const float *x, *grid;
    float *y;
} gs_job;

static void bilinear_at(const tr_grid_sample_desc *d, const float *xb, float ix, float iy,
                        float *out) {
    const int32_t c = d->c;
    if (d->pad == TR_SAMPLE_PAD_ZEROS && (!tr_gs_inside(ix, d->w) || !tr_gs_inside(iy, d->h))) {
        for (int32_t k = 0; k < c; k++) out[k] = 0.0f;
        return;
    }
    float fx = floorf(ix), fy = floorf(iy);
    float wx = ix - fx, ex = 1.0f - wx;
    float wy = iy - fy, sy = 1.0f - wy;
    float w_nw = sy * ex, w_ne = sy * wx, w_sw = wy * ex, w_se = wy * wx;
    int32_t x0 = (int32_t)fx, y0 = (int32_t)fy, x1 = x0 + 1, y1 = y0 + 1;
    int in_x0 = x0 >= 0 && x0 < d->w, in_x1 = x1 >= 0 && x1 < d->w;
    int in_y0 = y0 >= 0 && y0 < d->h, in_y1 = y1 >= 0 && y1 < d->h;
    const float *p_nw = in_y0 && in_x0 ? xb + ((int64_t)y0 * d->w + x0) * c : NULL;
    const float *p_ne = in_y0 && in_x1 ? xb + ((int64_t)y0 * d->w + x1) * c : NULL;
    const float *p_sw = in_y1 && in_x0 ? xb + ((int64_t)y1 * d->w + x0) * c : NULL;
    const float *p_se = in_y1 && in_x1 ? xb + ((int64_t)y1 * d->w + x1) * c : NULL;
    for (int32_t k = 0; k < c; k++) {
        /* Skipped taps contribute an exact 0, as PyTorch's masked gathers do. */
        float v_nw = p_nw ? p_nw[k] : 0.0f, v_ne = p_ne ? p_ne[k] : 0.0f;
        float v_sw = p_sw ? p_sw[k] : 0.0f, v_se = p_se ? p_se[k] : 0.0f;
        out[k] = v_nw * w_nw + v_ne * w_ne + v_sw * w_sw + v_se * w_se;
    }
}

static void nearest_at(const tr_grid_sample_desc *d, const float *xb, float ix, float iy,
                       float *out) {
    const int32_t c = d->c;
    int ok = tr_gs_inside(ix, d->w) && tr_gs_inside(iy, d->h);
    int32_t xn = 0, yn = 0;
    if (ok) {
        xn = (int32_t)tr_round_half_even(ix);
        yn = (int32_t)tr_round_half_even(iy);
        ok = xn >= 0 && xn < d->w && yn >= 0 && yn < d->h;
    }
    const float *p = ok ? xb + ((int64_t)yn * d->w + xn) * c : NULL;
    for (int32_t k = 0; k < c; k++) out[k] = p ? p[k] : 0.0f;
}

static void gs_rows(void *arg, int64_t begin, int64_t end) {
    const gs_job *j = arg;
    const tr_grid_sample_desc *d = j->d;
    tr_axis_map ax = tr_make_axis(d->w, d->pad, d->align_corners);
    tr_axis_map ay = tr_make_axis(d->h, d->pad, d->align_corners);
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / d->oh;
        const float *xb = j->x + n * d->h * d->w * d->c;
        const float *g = j->grid + r * d->ow * 2;
        float *y = j->y + r * d->ow * d->c;
        for (int32_t o = 0; o < d->ow; o++) {
            float ix = tr_gs_source(&ax, g[2 * o]);
            float iy = tr_gs_source(&ay, g[2 * o + 1]);
            if (d->mode == TR_SAMPLE_NEAREST)
                nearest_at(d, xb, ix, iy, y + (int64_t)o * d->c);
            else
                bilinear_at(d, xb, ix, iy, y + (int64_t)o * d->c);
        }
    }
}

void tr_cpu_grid_sample_f32(tr_pool *pool, const tr_grid_sample_desc *d, const float *x,
                            const float *grid, float *y) {
    gs_job j = {d, x, grid, y};
    tr_pool_for(pool, (int64_t)d->n * d->oh, 2, gs_rows, &j);
}

typedef struct ag_job {
    const tr_affine_grid_desc *d;
    const float *theta;
    float *grid;
} ag_job;

static void ag_rows(void *arg, int64_t begin, int64_t end) {
    const ag_job *j = arg;
    const tr_affine_grid_desc *d = j->d;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / d->h;
        int32_t i = (int32_t)(r % d->h);
        const float *t = j->theta + n * 6;
        double yv = tr_grid_base_coord(i, d->h, d->align_corners);
        float *out = j->grid + r * d->w * 2;
        for (int32_t k = 0; k < d->w; k++) {
            double xv = tr_grid_base_coord(k, d->w, d->align_corners);
            /* One rounding per output instead of PyTorch's f32 bmm: within 1 ulp. */
            out[2 * k] = (float)((double)t[0] * xv + (double)t[1] * yv + (double)t[2]);
            out[2 * k + 1] = (float)((double)t[3] * xv + (double)t[4] * yv + (double)t[5]);
        }
    }
}

void tr_cpu_affine_grid_f32(tr_pool *pool, const tr_affine_grid_desc *d, const float *theta,
                            float *grid) {
    ag_job j = {d, theta, grid};
    tr_pool_for(pool, (int64_t)d->n * d->h, 4, ag_rows, &j);
}
