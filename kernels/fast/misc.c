/* misc.c — drivers of the memory-bound fast kernels: instance norm and
 * upfirdn2d. Both reproduce the reference kernels bit for bit (see
 * body_misc.h) and only change how the work is vectorised and split:
 *   instance norm: statistics parallel over (image, block of channels), each
 *     channel summed over pixels in order; then normalisation parallel over
 *     pixel ranges of each image. The workspace (N, C, 2) doubles holds the
 *     means and the 1/sqrt(var + eps) of each image as two runs of C.
 *   upfirdn2d: parallel over output rows; each output pixel gathers its valid
 *     taps (the reference's order: filter rows, then columns) and their
 *     weights, then one vectorised pass over the channels.
 *   resize_bilinear: kernels/cpu/resample.c's coordinates and lerps, with the
 *     column coordinates of a chunk of output pixels computed once per row
 *     (the reference recomputes them, a double division and a floor, for
 *     every output pixel of every row).
 *   upsample_nearest: each input pixel's channels copied fx times into an
 *     output row, then the row copied for the other fy - 1 output rows.
 *   scale_channels: y = epilogue(x * scale[n,c] + add + bias[c]) is the conv
 *     epilogue without a residual, so each row goes through the ISA's store
 *     (in place when y == x: each vector is read before it is written).
 * Tests: tests/test_kernels_fast_misc.c. */
#include <math.h>
#include <string.h>

#include "drv.h"
#include "resize_coord.h"

typedef struct inorm_job {
    const tr_fast_isa *isa;
    const tr_instance_norm_args *a;
    int32_t blocks, block_ch; /* channel blocks per image */
    int64_t grain;            /* pixels per normalisation item */
    int64_t items_per_image;
} inorm_job;

static void inorm_stats_items(void *arg, int64_t begin, int64_t end) {
    const inorm_job *j = arg;
    const tr_instance_norm_desc *d = &j->a->d;
    const int64_t hw = (int64_t)d->h * d->w;
    double mean[64], var[64];
    for (int64_t it = begin; it < end; it++) {
        const int32_t n = (int32_t)(it / j->blocks), c0 = (int32_t)(it % j->blocks) * j->block_ch;
        const int32_t nc = tr_fast_min(j->block_ch, d->c - c0);
        j->isa->inorm_stats(j->a->x + (int64_t)n * hw * d->c, hw, d->c, c0, nc, mean, var);
        double *st = j->a->stats + (int64_t)n * d->c * 2;
        for (int32_t i = 0; i < nc; i++) {
            st[c0 + i] = mean[i];
            st[d->c + c0 + i] = 1.0 / sqrt(var[i] + (double)d->eps);
        }
    }
}

static void inorm_apply_items(void *arg, int64_t begin, int64_t end) {
    const inorm_job *j = arg;
    const tr_instance_norm_args *a = j->a;
    const tr_instance_norm_desc *d = &a->d;
    const int64_t hw = (int64_t)d->h * d->w;
    for (int64_t it = begin; it < end; it++) {
        const int64_t n = it / j->items_per_image;
        const int64_t p0 = it % j->items_per_image * j->grain;
        const int64_t p1 = p0 + j->grain < hw ? p0 + j->grain : hw;
        const int64_t off = n * hw * d->c;
        const double *st = a->stats + n * d->c * 2;
        j->isa->inorm_apply(a->x + off, p0, p1, d->c, st, st + d->c, a->gamma, a->beta,
                            a->residual ? a->residual + off : NULL, &d->ep, a->y + off);
    }
}

void tr_fast_instance_norm(const tr_fast_isa *isa, tr_pool *pool, const tr_instance_norm_args *a) {
    const tr_instance_norm_desc *d = &a->d;
    const int64_t hw = (int64_t)d->h * d->w;
    const int32_t threads = tr_pool_n_threads(pool);
    /* Each statistics job sums a block of channels over every pixel, in pixel
     * order (the reference's order, hence its bits). Narrower blocks would
     * give more jobs but read the same cache lines once per block, so blocks
     * stay as wide as the ISA's registers allow, even if that leaves a
     * thread idle for small channel counts. */
    const int32_t block = isa->inorm_ch;
    (void)threads;
    inorm_job j = {isa, a, tr_fast_ceil_div(d->c, block), block, 0, 0};
    tr_pool_for(pool, (int64_t)d->n * j.blocks, 1, inorm_stats_items, &j);
    j.grain = 4096 / (d->c > 0 ? d->c : 1) + 1;
    j.items_per_image = (hw + j.grain - 1) / j.grain;
    tr_pool_for(pool, d->n * j.items_per_image, 1, inorm_apply_items, &j);
}

/* ---- upfirdn2d ------------------------------------------------------------------ */

#define FIR_MAX_TAPS 256

typedef struct fir_job {
    const tr_fast_isa *isa;
    const tr_upfirdn2d_args *a;
    const float *k; /* (FH, FW) tap weights in the reference's order */
} fir_job;

static void fir_rows(void *arg, int64_t begin, int64_t end) {
    const fir_job *j = arg;
    const tr_upfirdn2d_desc *d = &j->a->d;
    const int64_t uh = (int64_t)d->h * d->up_y, uw = (int64_t)d->w * d->up_x;
    const float *ptr[FIR_MAX_TAPS];
    float k[FIR_MAX_TAPS];
    for (int64_t r = begin; r < end; r++) {
        const int32_t n = (int32_t)(r / d->oh), oy = (int32_t)(r % d->oh);
        const float *xs = j->a->x + (int64_t)n * d->h * d->w * d->c;
        float *yr = j->a->y + r * d->ow * d->c;
        for (int32_t ox = 0; ox < d->ow; ox++) {
            int32_t nt = 0;
            for (int32_t ka = 0; ka < d->fh; ka++) {
                const int64_t p = (int64_t)oy * d->down_y + ka - d->pad_y0;
                if (p < 0 || p >= uh || p % d->up_y) continue;
                const int64_t iy = p / d->up_y;
                for (int32_t kb = 0; kb < d->fw; kb++) {
                    const int64_t q = (int64_t)ox * d->down_x + kb - d->pad_x0;
                    if (q < 0 || q >= uw || q % d->up_x) continue;
                    ptr[nt] = xs + (iy * d->w + q / d->up_x) * d->c;
                    k[nt++] = j->k[(int64_t)ka * d->fw + kb];
                }
            }
            j->isa->fir_pixel(ptr, k, nt, d->c, d->gain, yr + (int64_t)ox * d->c);
        }
    }
}

int tr_fast_upfirdn2d_applies(const tr_upfirdn2d_desc *d) {
    return (int64_t)d->fh * d->fw <= FIR_MAX_TAPS;
}

/* k (FH*FW floats): the reference's tap(): flipped unless flip, separable
 * taps multiplied in float. */
void tr_fast_upfirdn2d_taps(const tr_upfirdn2d_args *a, float *k) {
    const tr_upfirdn2d_desc *d = &a->d;
    for (int32_t ka = 0; ka < d->fh; ka++)
        for (int32_t kb = 0; kb < d->fw; kb++) {
            int32_t fa = d->flip ? ka : d->fh - 1 - ka, fb = d->flip ? kb : d->fw - 1 - kb;
            k[ka * d->fw + kb] =
                d->separable ? a->f[fa] * a->f[fb] : a->f[(int64_t)fa * d->fw + fb];
        }
}

void tr_fast_upfirdn2d(const tr_fast_isa *isa, tr_pool *pool, const tr_upfirdn2d_args *a) {
    float k[FIR_MAX_TAPS];
    tr_fast_upfirdn2d_taps(a, k);
    fir_job j = {isa, a, k};
    tr_pool_for(pool, (int64_t)a->d.n * a->d.oh, 1, fir_rows, &j);
}

/* ---- scale_channels ------------------------------------------------------------- */

typedef struct schan_job {
    const tr_fast_isa *isa;
    const tr_scale_channels_args *a;
} schan_job;

static void schan_rows(void *arg, int64_t begin, int64_t end) {
    const schan_job *j = arg;
    const tr_scale_channels_args *a = j->a;
    const tr_scale_channels_desc *d = &a->d;
    for (int64_t row = begin; row < end; row++) {
        const int64_t n = row / d->h, yy = row % d->h, off = row * d->w * d->c;
        tr_fast_ep e = {.ep = &d->ep, .bias = a->bias};
        e.oscale = a->scale ? a->scale + n * d->c : NULL;
        if (a->add) {
            e.add = a->add + tr_fast_bcast(d->add_shape, n, yy, 0, 0);
            e.add_rs = d->add_shape[2] == 1 ? 0 : d->add_shape[3];
            e.add_cs = d->add_shape[3] == 1 ? 0 : 1;
        }
        tr_fast_store s = {a->x + off, d->c, d->w, d->c, a->y + off, d->c, NULL};
        j->isa->store(&s, &e);
    }
}

void tr_fast_scale_channels(const tr_fast_isa *isa, tr_pool *pool,
                            const tr_scale_channels_args *a) {
    schan_job j = {isa, a};
    tr_pool_for(pool, (int64_t)a->d.n * a->d.h, 1, schan_rows, &j);
}

/* ---- upsample_nearest ----------------------------------------------------------- */

typedef struct up_job {
    int32_t h, w, c, fy, fx;
    const float *x;
    float *y;
} up_job;

static void up_rows(void *arg, int64_t begin, int64_t end) {
    const up_job *j = arg;
    const size_t px = (size_t)j->c * sizeof(float);
    const int64_t ow = (int64_t)j->w * j->fx;
    for (int64_t r = begin; r < end; r++) { /* r: input row (n, iy) */
        const float *xr = j->x + r * j->w * j->c;
        float *yr = j->y + r * j->fy * ow * j->c;
        for (int32_t ix = 0; ix < j->w; ix++)
            for (int32_t k = 0; k < j->fx; k++)
                memcpy(yr + ((int64_t)ix * j->fx + k) * j->c, xr + (int64_t)ix * j->c, px);
        for (int32_t k = 1; k < j->fy; k++) memcpy(yr + k * ow * j->c, yr, (size_t)ow * px);
    }
}

void tr_fast_upsample_nearest(tr_pool *pool, int32_t n, int32_t h, int32_t w, int32_t c, int32_t fy,
                              int32_t fx, const float *x, float *y) {
    up_job j = {h, w, c, fy, fx, x, y};
    tr_pool_for(pool, (int64_t)n * h, 2, up_rows, &j);
}

/* ---- resize_bilinear ------------------------------------------------------------ */

#define RESIZE_CHUNK 256

typedef struct resize_job {
    const tr_resize_desc *d;
    const float *xf;
    const uint8_t *xu;
    float *y;
} resize_job;

static void resize_rows(void *arg, int64_t begin, int64_t end) {
    const resize_job *j = arg;
    const tr_resize_desc *d = j->d;
    int32_t x0[RESIZE_CHUNK], x1[RESIZE_CHUNK];
    float tx[RESIZE_CHUNK];
    for (int64_t r = begin; r < end; r++) {
        const int32_t n = (int32_t)(r / d->oh), oy = (int32_t)(r % d->oh);
        int32_t y0, y1;
        float ty;
        tr_resize_coord(d->mode, d->h, d->oh, oy, &y0, &y1, &ty);
        const int64_t r0 = ((int64_t)n * d->h + y0) * d->w * d->c;
        const int64_t r1 = ((int64_t)n * d->h + y1) * d->w * d->c;
        float *yr = j->y + r * d->ow * d->c;
        for (int32_t ox0 = 0; ox0 < d->ow; ox0 += RESIZE_CHUNK) {
            const int32_t np = d->ow - ox0 < RESIZE_CHUNK ? d->ow - ox0 : RESIZE_CHUNK;
            for (int32_t i = 0; i < np; i++)
                tr_resize_coord(d->mode, d->w, d->ow, ox0 + i, &x0[i], &x1[i], &tx[i]);
            for (int32_t i = 0; i < np; i++) {
                const int64_t a = (int64_t)x0[i] * d->c, b = (int64_t)x1[i] * d->c;
                float *yp = yr + (int64_t)(ox0 + i) * d->c;
                for (int32_t c = 0; c < d->c; c++) {
                    float v00, v01, v10, v11;
                    if (j->xu) {
                        v00 = j->xu[r0 + a + c], v01 = j->xu[r0 + b + c];
                        v10 = j->xu[r1 + a + c], v11 = j->xu[r1 + b + c];
                    } else {
                        v00 = j->xf[r0 + a + c], v01 = j->xf[r0 + b + c];
                        v10 = j->xf[r1 + a + c], v11 = j->xf[r1 + b + c];
                    }
                    float top = v00 + (v01 - v00) * tx[i], bot = v10 + (v11 - v10) * tx[i];
                    yp[c] = top + (bot - top) * ty;
                }
            }
        }
    }
}

void tr_fast_resize_bilinear(tr_pool *pool, const tr_resize_desc *d, const float *x_f32,
                             const uint8_t *x_u8, float *y) {
    resize_job j = {d, x_f32, x_u8, y};
    tr_pool_for(pool, (int64_t)d->n * d->oh, 4, resize_rows, &j);
}
