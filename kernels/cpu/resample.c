/* resample.c — nearest upsampling and bilinear resizing, NHWC.
 *
 * Bilinear source coordinate of output index d (per axis, in = input size,
 * out = output size), as each framework computes it:
 *   ALIGN_CORNERS  src = d * (in-1)/(out-1)        (PyTorch align_corners=True)
 *   HALF_PIXEL     src = max(0, (d+0.5)*in/out - 0.5)  (PyTorch False, TF half-pixel)
 *   TF_LEGACY      src = d * in/out                (TF/TF.js default)
 * then i0 = floor(src), i1 = min(i0+1, in-1), t = src - i0, and
 * y = (1-t)*x[i0] + t*x[i1] along each axis (rows then columns).
 * Coordinates are computed in double: TF.js computes them in JS doubles and
 * PyTorch's float arithmetic differs from them by at most an ulp of the
 * coordinate. Tests: tests/test_kernels_resample.c. */
#include <math.h>

#include "kernels.h"
#include "pool.h"
#include "resize_coord.h"

typedef struct up_job {
    int32_t h, w, c, fy, fx;
    const float *x;
    float *y;
} up_job;

static void up_rows(void *arg, int64_t begin, int64_t end) {
    const up_job *j = arg;
    const int64_t oh = (int64_t)j->h * j->fy, ow = (int64_t)j->w * j->fx;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / oh, oy = r % oh;
        const float *xr = j->x + (n * j->h + oy / j->fy) * j->w * j->c;
        float *yr = j->y + r * ow * j->c;
        for (int64_t ox = 0; ox < ow; ox++)
            for (int32_t c = 0; c < j->c; c++) yr[ox * j->c + c] = xr[ox / j->fx * j->c + c];
    }
}

void tr_cpu_upsample_nearest_f32(tr_pool *pool, int32_t n, int32_t h, int32_t w, int32_t c,
                                 int32_t fy, int32_t fx, const float *x, float *y) {
    up_job j = {h, w, c, fy, fx, x, y};
    tr_pool_for(pool, (int64_t)n * h * fy, 4, up_rows, &j);
}

typedef struct resize_job {
    const tr_resize_desc *d;
    const float *xf;
    const uint8_t *xu;
    float *y;
} resize_job;

static void resize_rows(void *arg, int64_t begin, int64_t end) {
    const resize_job *j = arg;
    const tr_resize_desc *d = j->d;
    for (int64_t r = begin; r < end; r++) {
        int32_t n = (int32_t)(r / d->oh), oy = (int32_t)(r % d->oh);
        int32_t y0, y1, x0, x1;
        float ty, tx;
        tr_resize_coord(d->mode, d->h, d->oh, oy, &y0, &y1, &ty);
        int64_t r0 = ((int64_t)n * d->h + y0) * d->w * d->c;
        int64_t r1 = ((int64_t)n * d->h + y1) * d->w * d->c;
        float *yr = j->y + r * d->ow * d->c;
        for (int32_t ox = 0; ox < d->ow; ox++) {
            tr_resize_coord(d->mode, d->w, d->ow, ox, &x0, &x1, &tx);
            for (int32_t c = 0; c < d->c; c++) {
                float v00, v01, v10, v11;
                int64_t i00 = r0 + (int64_t)x0 * d->c + c, i01 = r0 + (int64_t)x1 * d->c + c;
                int64_t i10 = r1 + (int64_t)x0 * d->c + c, i11 = r1 + (int64_t)x1 * d->c + c;
                if (j->xu) {
                    v00 = j->xu[i00], v01 = j->xu[i01], v10 = j->xu[i10], v11 = j->xu[i11];
                } else {
                    v00 = j->xf[i00], v01 = j->xf[i01], v10 = j->xf[i10], v11 = j->xf[i11];
                }
                float top = v00 + (v01 - v00) * tx, bot = v10 + (v11 - v10) * tx;
                yr[(int64_t)ox * d->c + c] = top + (bot - top) * ty;
            }
        }
    }
}

void tr_cpu_resize_bilinear_f32(tr_pool *pool, const tr_resize_desc *d, const float *x, float *y) {
    resize_job j = {d, x, NULL, y};
    tr_pool_for(pool, (int64_t)d->n * d->oh, 4, resize_rows, &j);
}

void tr_cpu_resize_bilinear_u8_f32(tr_pool *pool, const tr_resize_desc *d, const uint8_t *x,
                                   float *y) {
    resize_job j = {d, NULL, x, y};
    tr_pool_for(pool, (int64_t)d->n * d->oh, 4, resize_rows, &j);
}
