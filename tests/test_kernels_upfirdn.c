/* test_kernels_upfirdn.c — upfirdn2d (kernels/cpu/upfirdn2d.c) against a
 * double oracle that follows the StyleGAN2-ADA definition step by step on
 * materialised intermediate images (NETS.md §1.8):
 *   1. zero insertion (up-1 zeros after every sample),
 *   2. zero padding, negative pads cropping,
 *   3. "valid" true convolution with f (correlation when flip = 1), the
 *      filter scaled by gain (a separable f is f[i]*f[j]),
 *   4. keep every down-th sample from 0.
 * Known answers: StyleGAN2's upsample2d([1,3,3,1]) and downsample2d.
 * Identities: separable f == 2-D outer(f, f); flip = correlation with the
 * reversed filter; gain scales the output. Guard bands on every direct
 * call; builder shapes and errors. PyTorch's reference path is compared in
 * tests/test_torch_misc.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "pool.h"
#include "util.h"

#define U32 (0x1p-24)

typedef struct ufd_case {
    int32_t n, h, w, c;
    int32_t up_x, up_y, down_x, down_y;
    int32_t px0, px1, py0, py1;
    int32_t fh, fw; /* fh == fw for separable */
    int32_t separable, flip;
    float gain;
} ufd_case;

/* Output size from the definition: the valid convolution of the padded
 * image has P - taps + 1 samples, of which every down-th is kept. */
static int32_t out_len(int32_t in, int32_t up, int32_t p0, int32_t p1, int32_t taps, int32_t down) {
    int32_t valid = in * up + p0 + p1 - taps + 1;
    return (valid + down - 1) / down;
}

static tr_upfirdn2d_desc make_desc(const ufd_case *k) {
    tr_upfirdn2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = k->n, d.h = k->h, d.w = k->w, d.c = k->c;
    d.up_x = k->up_x, d.up_y = k->up_y, d.down_x = k->down_x, d.down_y = k->down_y;
    d.pad_x0 = k->px0, d.pad_x1 = k->px1, d.pad_y0 = k->py0, d.pad_y1 = k->py1;
    d.fh = k->fh, d.fw = k->fw, d.separable = k->separable, d.flip = k->flip, d.gain = k->gain;
    d.oh = out_len(k->h, k->up_y, k->py0, k->py1, k->fh, k->down_y);
    d.ow = out_len(k->w, k->up_x, k->px0, k->px1, k->fw, k->down_x);
    return d;
}

/* The oracle. absy gets sum |P||K| per output (the magnitude the kernel's
 * rounding errors scale with). */
static void upfirdn_oracle(const tr_upfirdn2d_desc *d, const float *f, const float *x, double *y,
                           double *absy) {
    const int64_t uh = (int64_t)d->h * d->up_y, uw = (int64_t)d->w * d->up_x;
    const int64_t ph = uh + d->pad_y0 + d->pad_y1, pw = uw + d->pad_x0 + d->pad_x1;
    const int64_t vh = ph - d->fh + 1, vw = pw - d->fw + 1;
    ck_assert(vh >= 1 && vw >= 1);
    ck_assert_int_eq((vh + d->down_y - 1) / d->down_y, d->oh);
    ck_assert_int_eq((vw + d->down_x - 1) / d->down_x, d->ow);
    double *U = calloc((size_t)(uh * uw), 8), *P = calloc((size_t)(ph * pw), 8);
    double *K = malloc((size_t)d->fh * d->fw * 8);
    for (int32_t a = 0; a < d->fh; a++)
        for (int32_t b = 0; b < d->fw; b++)
            K[a * d->fw + b] = (d->separable ? (double)f[a] * f[b] : f[a * d->fw + b]) * d->gain;
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t c = 0; c < d->c; c++) {
            /* 1. zero insertion */
            memset(U, 0, (size_t)(uh * uw) * 8);
            for (int64_t i = 0; i < d->h; i++)
                for (int64_t j = 0; j < d->w; j++)
                    U[i * d->up_y * uw + j * d->up_x] = x[((n * d->h + i) * d->w + j) * d->c + c];
            /* 2. pad (negative = crop): P[p][q] = U[p - py0][q - px0] */
            for (int64_t p = 0; p < ph; p++)
                for (int64_t q = 0; q < pw; q++) {
                    int64_t up = p - d->pad_y0, uq = q - d->pad_x0;
                    P[p * pw + q] = up >= 0 && up < uh && uq >= 0 && uq < uw ? U[up * uw + uq] : 0;
                }
            /* 3 + 4. valid convolution at the kept positions only */
            for (int64_t oy = 0; oy < d->oh; oy++)
                for (int64_t ox = 0; ox < d->ow; ox++) {
                    int64_t p0 = oy * d->down_y, q0 = ox * d->down_x;
                    double s = 0, sa = 0;
                    for (int32_t a = 0; a < d->fh; a++)
                        for (int32_t b = 0; b < d->fw; b++) {
                            /* convolution: the filter is flipped; flip = 1 correlates */
                            double kk = d->flip ? K[a * d->fw + b]
                                                : K[(d->fh - 1 - a) * d->fw + (d->fw - 1 - b)];
                            double v = P[(p0 + a) * pw + q0 + b];
                            s += v * kk, sa += fabs(v * kk);
                        }
                    int64_t o = ((n * d->oh + oy) * d->ow + ox) * d->c + c;
                    y[o] = s;
                    if (absy) absy[o] = sa;
                }
        }
    free(U), free(P), free(K);
}

/* Error model: each output sums at most K = fh*fw products x*k (the
 * separable tap f[a]*f[b] is itself rounded), sequentially, then multiplies
 * by gain: |err| <= (K + 3) u * sum|x k| to first order. We allow K + 4. */
static double ufd_atol(const tr_upfirdn2d_desc *d, const double *absy, int64_t ny) {
    double m = 0;
    for (int64_t i = 0; i < ny; i++) m = fmax(m, absy[i]);
    return (d->fh * d->fw + 4) * U32 * m;
}

static float *run_kernel(tr_pool *pool, const tr_upfirdn2d_desc *d, const float *f,
                         const float *x) {
    int64_t ny = (int64_t)d->n * d->oh * d->ow * d->c;
    float *y = tu_guarded_alloc(ny);
    tr_upfirdn2d_args a = {*d, f, x, y};
    tr_cpu_upfirdn2d_f32(pool, &a);
    ck_assert_msg(tu_guard_ok(y, ny), "upfirdn2d wrote past the output");
    return y;
}

static void case_str(const tr_upfirdn2d_desc *d, char *buf, size_t size) {
    snprintf(buf, size,
             "(%d,%d,%d,%d) up %d,%d down %d,%d pad %d,%d,%d,%d f %dx%d%s flip %d gain %g -> %dx%d",
             d->n, d->h, d->w, d->c, d->up_x, d->up_y, d->down_x, d->down_y, d->pad_x0, d->pad_x1,
             d->pad_y0, d->pad_y1, d->fh, d->fw, d->separable ? " sep" : "", d->flip, d->gain,
             d->oh, d->ow);
}

static int64_t filter_len(const tr_upfirdn2d_desc *d) {
    return d->separable ? d->fw : (int64_t)d->fh * d->fw;
}

/* ---- random vs oracle --------------------------------------------------------- */

static const ufd_case random_cases[] = {
    /* upsample2d: up 2, pads [2,1,2,1], gain 4, 2-D 4x4 */
    {2, 5, 6, 3, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 0, 0, 4.0f},
    /* downsample2d: down 2, pads [1,1,1,1], separable 4 taps */
    {1, 8, 10, 2, 1, 1, 2, 2, 1, 1, 1, 1, 4, 4, 1, 0, 1.0f},
    /* filter2d with a non-square 3x5 filter, correlation */
    {2, 7, 11, 3, 1, 1, 1, 1, 2, 2, 1, 1, 3, 5, 0, 1, 1.0f},
    /* up 3 and down 2 with negative (cropping) pads */
    {1, 6, 7, 2, 3, 3, 2, 2, 1, -1, 2, 0, 4, 4, 0, 0, 9.0f},
    /* down 3 with 5 separable taps, mixed crop and pad */
    {2, 13, 9, 1, 1, 1, 3, 3, -1, 2, 0, 1, 5, 5, 1, 0, 1.0f},
    /* stride > taps: down 3, 2 taps */
    {1, 11, 12, 2, 1, 1, 3, 3, 0, 0, 0, 0, 2, 2, 1, 0, 1.0f},
    /* different factors per axis, 2x3 filter */
    {1, 5, 4, 3, 2, 1, 1, 2, 1, 1, 0, 1, 2, 3, 0, 0, 0.5f},
    /* 1x1 input upsampled with pads [2,1,2,1] -> 2x2 */
    {3, 1, 1, 2, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 1, 0, 4.0f},
    /* 1x1 filter: pure crop */
    {1, 5, 6, 4, 1, 1, 1, 1, -1, -2, -1, 0, 1, 1, 0, 0, 1.0f},
    /* crop deeper than the filter on one side, pad on the other */
    {1, 9, 8, 1, 1, 1, 1, 1, -3, 2, 4, -5, 3, 3, 0, 1, 1.0f},
    /* 8 separable taps, up 2 down 2 */
    {1, 7, 5, 2, 2, 2, 2, 2, 3, 4, 3, 4, 8, 8, 1, 0, 2.0f},
    /* up 4, down 4 (output = filtered, decimated) */
    {1, 3, 5, 1, 4, 4, 4, 4, 2, 1, 1, 2, 4, 4, 0, 1, 16.0f},
};

START_TEST(upfirdn_random_matches_double_oracle) {
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 131);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        tr_upfirdn2d_desc d = make_desc(&random_cases[ci]);
        int64_t nx = (int64_t)d.n * d.h * d.w * d.c, ny = (int64_t)d.n * d.oh * d.ow * d.c;
        int64_t nf = filter_len(&d);
        float *x = malloc((size_t)nx * 4), *f = malloc((size_t)nf * 4);
        double *ref = malloc((size_t)ny * 8), *absy = malloc((size_t)ny * 8);
        tu_fill_uniform(x, nx, &r, -1, 1);
        tu_fill_uniform(f, nf, &r, -0.5f, 1);
        upfirdn_oracle(&d, f, x, ref, absy);
        float *y = run_kernel(ctx->pool, &d, f, x);
        char what[192];
        case_str(&d, what, sizeof what);
        int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
        tu_cmp c = tu_compare_f64(y, ref, ny, ufd_atol(&d, absy, ny), 0);
        TU_ASSERT_CMP(c, 4, ys, what);
        free(x), free(f), free(ref), free(absy), tu_guarded_free(y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- StyleGAN known answers ------------------------------------------------------ */

/* 1-D upsample2d([1,3,3,1]) along one axis (NETS.md §1.8):
 *   out[2k] = (x[k-1] + 3x[k]) / 4, out[2k+1] = (3x[k] + x[k+1]) / 4, x[-1] = x[L] = 0. */
static double up_weight(int64_t o, int64_t k) {
    int64_t j = o / 2;
    if (o % 2 == 0) return k == j - 1 ? 0.25 : k == j ? 0.75 : 0;
    return k == j ? 0.75 : k == j + 1 ? 0.25 : 0;
}

/* 1-D downsample2d([1,3,3,1]): out[k] = (x[2k-1] + 3x[2k] + 3x[2k+1] + x[2k+2]) / 8. */
static double down_weight(int64_t o, int64_t k) {
    int64_t d = k - 2 * o;
    return d == -1 || d == 2 ? 0.125 : d == 0 || d == 1 ? 0.375 : 0;
}

/* Separable known answer: y[oy,ox] = sum wy(oy,ky) wx(ox,kx) x[ky,kx]. */
static void separable_answer(double (*wt)(int64_t, int64_t), const float *x, int32_t h, int32_t w,
                             int32_t c, int32_t oh, int32_t ow, float *y) {
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++)
            for (int64_t ch = 0; ch < c; ch++) {
                double s = 0;
                for (int64_t ky = 0; ky < h; ky++)
                    for (int64_t kx = 0; kx < w; kx++)
                        s += wt(oy, ky) * wt(ox, kx) * x[(ky * w + kx) * c + ch];
                y[(oy * ow + ox) * c + ch] = (float)s;
            }
}

/* [1,3,3,1]/8 per axis (setup_filter normalises to sum 1; the 2-D form is
 * outer/64): dyadic, so with small-integer x every step is exact and the
 * result must equal the known answer bitwise, for both filter forms. */
START_TEST(upfirdn_stylegan_upsample2d_known_answer) {
    const float f1[4] = {0.125f, 0.375f, 0.375f, 0.125f};
    float f2[16];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) f2[a * 4 + b] = f1[a] * f1[b];
    tu_rng r;
    tu_rng_seed(&r, 137);
    static const int32_t sizes[][2] = {{4, 4}, {5, 7}, {1, 1}, {1, 6}, {9, 2}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int sep = 0; sep < 2; sep++) {
            int32_t h = sizes[si][0], w = sizes[si][1], c = 3;
            ufd_case k = {1, h, w, c, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, sep, 0, 4.0f};
            tr_upfirdn2d_desc d = make_desc(&k);
            ck_assert(d.oh == 2 * h && d.ow == 2 * w);
            float *x = malloc((size_t)h * w * c * 4), *want = malloc((size_t)d.oh * d.ow * c * 4);
            tu_fill_int(x, (int64_t)h * w * c, &r, -16, 16);
            separable_answer(up_weight, x, h, w, c, d.oh, d.ow, want);
            float *y = run_kernel(NULL, &d, sep ? f1 : f2, x);
            int64_t ys[4] = {1, d.oh, d.ow, c};
            char what[64];
            snprintf(what, sizeof what, "upsample2d %dx%d %s", h, w, sep ? "separable" : "2-D");
            tu_cmp cm = tu_compare_exact(y, want, (int64_t)d.oh * d.ow * c);
            TU_ASSERT_CMP(cm, 4, ys, what);
            free(x), free(want), tu_guarded_free(y);
        }
}
END_TEST

START_TEST(upfirdn_stylegan_downsample2d_known_answer) {
    const float f1[4] = {0.125f, 0.375f, 0.375f, 0.125f};
    float f2[16];
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) f2[a * 4 + b] = f1[a] * f1[b];
    tu_rng r;
    tu_rng_seed(&r, 139);
    static const int32_t sizes[][2] = {{8, 8}, {6, 10}, {7, 5}, {2, 2}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (int sep = 0; sep < 2; sep++) {
            int32_t h = sizes[si][0], w = sizes[si][1], c = 2;
            ufd_case k = {1, h, w, c, 1, 1, 2, 2, 1, 1, 1, 1, 4, 4, sep, 0, 1.0f};
            tr_upfirdn2d_desc d = make_desc(&k);
            ck_assert(d.oh == h / 2 && d.ow == w / 2); /* (L + 2 - 4) / 2 + 1 */
            float *x = malloc((size_t)h * w * c * 4), *want = malloc((size_t)d.oh * d.ow * c * 4);
            tu_fill_int(x, (int64_t)h * w * c, &r, -16, 16);
            separable_answer(down_weight, x, h, w, c, d.oh, d.ow, want);
            float *y = run_kernel(NULL, &d, sep ? f1 : f2, x);
            int64_t ys[4] = {1, d.oh, d.ow, c};
            char what[64];
            snprintf(what, sizeof what, "downsample2d %dx%d %s", h, w, sep ? "separable" : "2-D");
            tu_cmp cm = tu_compare_exact(y, want, (int64_t)d.oh * d.ow * c);
            TU_ASSERT_CMP(cm, 4, ys, what);
            free(x), free(want), tu_guarded_free(y);
        }
}
END_TEST

/* ---- identities -------------------------------------------------------------------- */

/* Power-of-two gains commute with rounding: gain g gives g * (gain 1) bitwise. */
START_TEST(upfirdn_gain_scales_output) {
    tu_rng r;
    tu_rng_seed(&r, 149);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        ufd_case k = random_cases[ci];
        k.gain = 1.0f;
        tr_upfirdn2d_desc d1 = make_desc(&k);
        k.gain = 0.25f;
        tr_upfirdn2d_desc dq = make_desc(&k);
        int64_t nx = (int64_t)d1.n * d1.h * d1.w * d1.c, ny = (int64_t)d1.n * d1.oh * d1.ow * d1.c;
        float *x = malloc((size_t)nx * 4), f[64];
        tu_fill_uniform(x, nx, &r, -1, 1);
        tu_fill_uniform(f, filter_len(&d1), &r, -1, 1);
        float *y1 = run_kernel(NULL, &d1, f, x), *yq = run_kernel(NULL, &dq, f, x);
        for (int64_t i = 0; i < ny; i++) y1[i] *= 0.25f;
        tu_cmp c = tu_compare_exact(yq, y1, ny);
        TU_ASSERT_CMP(c, 1, &ny, "gain 0.25 vs 0.25 * gain 1");
        free(x), tu_guarded_free(y1), tu_guarded_free(yq);
    }
}
END_TEST

/* A separable f equals the 2-D filter outer(f, f): bitwise for a dyadic f
 * (every tap exact), within twice the oracle tolerance for a random f. */
START_TEST(upfirdn_separable_equals_2d_outer_product) {
    tu_rng r;
    tu_rng_seed(&r, 151);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        ufd_case k = random_cases[ci];
        if (k.fh != k.fw) continue;
        k.separable = 1;
        tr_upfirdn2d_desc ds = make_desc(&k);
        k.separable = 0;
        tr_upfirdn2d_desc d2 = make_desc(&k);
        int64_t nx = (int64_t)ds.n * ds.h * ds.w * ds.c, ny = (int64_t)ds.n * ds.oh * ds.ow * ds.c;
        float *x = malloc((size_t)nx * 4), f1[8], f2[64];
        double *ref = malloc((size_t)ny * 8), *absy = malloc((size_t)ny * 8);
        tu_fill_uniform(x, nx, &r, -1, 1);
        for (int dyadic = 0; dyadic < 2; dyadic++) {
            for (int a = 0; a < k.fw; a++)
                f1[a] = dyadic ? (float)tu_rng_int(&r, -8, 8) / 16 : tu_rng_uniform(&r, -1, 1);
            for (int a = 0; a < k.fw; a++)
                for (int b = 0; b < k.fw; b++) f2[a * k.fw + b] = (float)((double)f1[a] * f1[b]);
            float *ys = run_kernel(NULL, &ds, f1, x), *y2 = run_kernel(NULL, &d2, f2, x);
            tu_cmp c;
            if (dyadic) {
                c = tu_compare_exact(ys, y2, ny);
            } else {
                upfirdn_oracle(&ds, f1, x, ref, absy);
                c = tu_compare(ys, y2, ny, 2 * ufd_atol(&ds, absy, ny), 0);
            }
            char what[192];
            case_str(&ds, what, sizeof what);
            TU_ASSERT_CMP(c, 1, &ny, what);
            tu_guarded_free(ys), tu_guarded_free(y2);
        }
        free(x), free(ref), free(absy);
    }
}
END_TEST

/* flip = 1 (correlation) with f is convolution with f reversed on both
 * axes; the kernel then uses the same taps in the same order: bitwise. */
START_TEST(upfirdn_flip_is_convolution_with_reversed_filter) {
    tu_rng r;
    tu_rng_seed(&r, 157);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        ufd_case k = random_cases[ci];
        k.flip = 1;
        tr_upfirdn2d_desc dc = make_desc(&k);
        k.flip = 0;
        tr_upfirdn2d_desc dv = make_desc(&k);
        int64_t nx = (int64_t)dc.n * dc.h * dc.w * dc.c, ny = (int64_t)dc.n * dc.oh * dc.ow * dc.c;
        int64_t nf = filter_len(&dc);
        float *x = malloc((size_t)nx * 4), f[64], frev[64];
        tu_fill_uniform(x, nx, &r, -1, 1);
        tu_fill_uniform(f, nf, &r, -1, 1);
        for (int64_t i = 0; i < nf; i++) frev[i] = f[nf - 1 - i]; /* reverses both axes */
        float *yc = run_kernel(NULL, &dc, f, x), *yv = run_kernel(NULL, &dv, frev, x);
        tu_cmp c = tu_compare_exact(yc, yv, ny);
        char what[192];
        case_str(&dc, what, sizeof what);
        TU_ASSERT_CMP(c, 1, &ny, what);
        /* and they differ from the unflipped result for an asymmetric filter */
        float *yu = run_kernel(NULL, &dv, f, x);
        if (nf > 1)
            ck_assert_msg(memcmp(yu, yc, (size_t)ny * 4) != 0, "flip had no effect: %s", what);
        free(x), tu_guarded_free(yc), tu_guarded_free(yv), tu_guarded_free(yu);
    }
}
END_TEST

START_TEST(upfirdn_bitwise_identical_across_thread_counts) {
    const ufd_case k = {2, 23, 19, 5, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 0, 0, 4.0f};
    tr_upfirdn2d_desc d = make_desc(&k);
    tu_rng r;
    tu_rng_seed(&r, 163);
    int64_t nx = (int64_t)d.n * d.h * d.w * d.c, ny = (int64_t)d.n * d.oh * d.ow * d.c;
    float *x = malloc((size_t)nx * 4), f[16];
    tu_fill_uniform(x, nx, &r, -1, 1);
    tu_fill_uniform(f, 16, &r, -1, 1);
    float *ref = run_kernel(NULL, &d, f, x);
    for (int32_t t = 1; t <= 4; t++) {
        tryon_ctx *ctx = tu_ctx(t);
        float *y = run_kernel(ctx->pool, &d, f, x);
        ck_assert_msg(memcmp(y, ref, (size_t)ny * 4) == 0, "%d threads differ", t);
        tu_guarded_free(y);
        tryon_ctx_free(ctx);
    }
    free(x), tu_guarded_free(ref);
}
END_TEST

/* ---- builder ------------------------------------------------------------------------ */

/* tr_upfirdn2d infers the output size and the filter form from the filter
 * rank; run through a planned model and compare with the oracle. */
START_TEST(upfirdn_through_the_model) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 167);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        const ufd_case *k = &random_cases[ci];
        tr_upfirdn2d_desc d = make_desc(k);
        int64_t nf = filter_len(&d);
        float f[64];
        tu_fill_uniform(f, nf, &r, -1, 1);
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {d.n, d.h, d.w, d.c}, fs2[2] = {d.fh, d.fw}, fs1[1] = {d.fw};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t ft = d.separable ? tr_graph_const(g, "f", TRYON_DTYPE_F32, 1, fs1, f)
                                 : tr_graph_const(g, "f", TRYON_DTYPE_F32, 2, fs2, f);
        tr_upfirdn_opts o = {k->up_x, k->up_y, k->down_x, k->down_y, k->px0,
                             k->px1,  k->py0,  k->py1,    k->flip,   k->gain};
        int32_t y = tr_upfirdn2d(g, x, ft, &o);
        ck_assert_msg(y >= 0, "%s", tryon_ctx_last_error(ctx));
        const int64_t *s = g->tensors[y].shape;
        ck_assert_msg(s[0] == d.n && s[1] == d.oh && s[2] == d.ow && s[3] == d.c,
                      "case %zu: builder shape %lldx%lld, definition %dx%d", ci, (long long)s[1],
                      (long long)s[2], d.oh, d.ow);
        tr_graph_output(g, y, "y");
        tryon_model *m = NULL;
        ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
        tryon_tensor ti, to;
        tryon_model_input(m, 0, &ti);
        tryon_model_output(m, 0, &to);
        int64_t nx = xs[0] * xs[1] * xs[2] * xs[3], ny = (int64_t)d.n * d.oh * d.ow * d.c;
        tu_fill_uniform(ti.data, nx, &r, -1, 1);
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        double *ref = malloc((size_t)ny * 8), *absy = malloc((size_t)ny * 8);
        upfirdn_oracle(&d, f, ti.data, ref, absy);
        char what[192];
        case_str(&d, what, sizeof what);
        int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
        tu_cmp c = tu_compare_f64(to.data, ref, ny, ufd_atol(&d, absy, ny), 0);
        TU_ASSERT_CMP(c, 4, ys, what);
        free(ref), free(absy);
        tryon_model_free(m);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(upfirdn_builder_rejects_bad_operands) {
    tryon_ctx *ctx = tu_ctx(1);
    static const char *expect[] = {
        "filter must be 1-D (separable) or 2-D",
        "filter 'f' has dtype U8",
        "has rank 3, expected 4",
        "up and down factors must be >= 1",
        "up and down factors must be >= 1",
        "filter larger than the padded input",
        "filter larger than the padded input",
        "filter is not a tensor",
    };
    for (int c = 0; c < (int)(sizeof expect / sizeof expect[0]); c++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {1, 4, 5, 2}, x3[3] = {4, 5, 2}, f3[3] = {2, 2, 2}, f1[1] = {4};
        float z[8] = {0};
        uint8_t zq[4] = {0};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t f = tr_graph_const(g, "f", TRYON_DTYPE_F32, 1, f1, z);
        tr_upfirdn_opts o = {1, 1, 1, 1, 0, 0, 0, 0, 0, 1.0f};
        int32_t r = 0;
        switch (c) {
        case 0:
            r = tr_upfirdn2d(g, x, tr_graph_const(g, "f3", TRYON_DTYPE_F32, 3, f3, z), &o);
            break;
        case 1:
            tr_graph_free(g);
            ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
            x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
            r = tr_upfirdn2d(g, x, tr_graph_const(g, "f", TRYON_DTYPE_U8, 1, f1, zq), &o);
            break;
        case 2: r = tr_upfirdn2d(g, tr_graph_input(g, "x3", TRYON_DTYPE_F32, 3, x3), f, &o); break;
        case 3:
            o.up_x = 0;
            r = tr_upfirdn2d(g, x, f, &o);
            break;
        case 4:
            o.down_y = 0;
            r = tr_upfirdn2d(g, x, f, &o);
            break;
        /* 4 rows, 4 taps, pads -1/0: 3 < 4 */
        case 5:
            o.pad_y0 = -1;
            r = tr_upfirdn2d(g, x, f, &o);
            break;
        /* 5 columns, 4 taps, crop 2 */
        case 6:
            o.pad_x0 = -1, o.pad_x1 = -1;
            r = tr_upfirdn2d(g, x, f, &o);
            break;
        case 7: r = tr_upfirdn2d(g, x, 77, &o); break;
        }
        ck_assert_int_eq(r, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), expect[c]), "case %d: '%s' not in '%s'", c,
                      expect[c], tryon_ctx_last_error(ctx));
        ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_upfirdn");
    TCase *tc = tcase_create("upfirdn2d");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, upfirdn_random_matches_double_oracle);
    tcase_add_test(tc, upfirdn_stylegan_upsample2d_known_answer);
    tcase_add_test(tc, upfirdn_stylegan_downsample2d_known_answer);
    tcase_add_test(tc, upfirdn_gain_scales_output);
    tcase_add_test(tc, upfirdn_separable_equals_2d_outer_product);
    tcase_add_test(tc, upfirdn_flip_is_convolution_with_reversed_filter);
    tcase_add_test(tc, upfirdn_bitwise_identical_across_thread_counts);
    tcase_add_test(tc, upfirdn_through_the_model);
    tcase_add_test(tc, upfirdn_builder_rejects_bad_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
