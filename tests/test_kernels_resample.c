/* test_kernels_resample.c — nearest upsampling and bilinear resizing
 * (kernels/cpu/resample.c) against oracles written from the framework
 * definitions, independently of the kernel's formulation:
 *   PyTorch align_corners=True   src = d * (in-1)/(out-1)   (0 when out == 1)
 *   PyTorch align_corners=False  src = max(0, (d+0.5)*in/out - 0.5)
 *     (aten area_pixel_compute_source_index), taps i0 = trunc(src),
 *     i1 = i0 + (i0 < in-1), weights 1-l and l with l = src - i0, combined as
 *     h0*(w0*x00 + w1*x01) + h1*(w0*x10 + w1*x11);
 *   TF/TF.js legacy (both flags false)  src = d * in/out, top = floor(src),
 *     bottom = min(ceil(src), in-1), frac = src - top, combined as the lerp
 *     top + (bottom - top)*frac per axis.
 * The oracle runs in double. Dyadic coordinates with small-integer data are
 * exact and compared bitwise; otherwise see resize_tolerance(). PyTorch's own
 * F.interpolate is compared in tests/test_torch_misc.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "pool.h"
#include "util.h"

#define U32 (0x1p-24)

typedef struct taps {
    int64_t i0, i1;
    double w0, w1;
} taps;

static taps axis_taps(tr_resize_mode mode, int64_t in, int64_t out, int64_t d) {
    taps t;
    double src;
    if (mode == TR_RESIZE_TF_LEGACY) {
        src = (double)d * ((double)in / (double)out);
        double top = floor(src), bottom = fmin(ceil(src), (double)(in - 1));
        t.i0 = (int64_t)top, t.i1 = (int64_t)bottom;
        t.w1 = src - top, t.w0 = 1.0 - t.w1;
        return t;
    }
    if (mode == TR_RESIZE_ALIGN_CORNERS) {
        double scale = out > 1 ? (double)(in - 1) / (double)(out - 1) : 0.0;
        src = scale * (double)d;
    } else {
        src = ((double)in / (double)out) * ((double)d + 0.5) - 0.5;
        if (src < 0) src = 0;
    }
    t.i0 = (int64_t)src;
    t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
    t.w1 = src - (double)t.i0, t.w0 = 1.0 - t.w1;
    return t;
}

/* x is read through get(i) so that u8 and f32 inputs share the oracle. */
typedef double (*get_fn)(const void *x, int64_t i);
static double get_f32(const void *x, int64_t i) { return ((const float *)x)[i]; }
static double get_u8(const void *x, int64_t i) { return ((const uint8_t *)x)[i]; }

static void resize_oracle(const tr_resize_desc *d, const void *x, get_fn get, double *y) {
    for (int64_t n = 0; n < d->n; n++)
        for (int64_t oy = 0; oy < d->oh; oy++) {
            taps ty = axis_taps(d->mode, d->h, d->oh, oy);
            for (int64_t ox = 0; ox < d->ow; ox++) {
                taps tx = axis_taps(d->mode, d->w, d->ow, ox);
                for (int64_t c = 0; c < d->c; c++) {
#define X(yy, xx) get(x, ((n * d->h + (yy)) * d->w + (xx)) * d->c + c)
                    double v;
                    if (d->mode == TR_RESIZE_TF_LEGACY) {
                        double tl = X(ty.i0, tx.i0), tr = X(ty.i0, tx.i1);
                        double bl = X(ty.i1, tx.i0), br = X(ty.i1, tx.i1);
                        double top = tl + (tr - tl) * tx.w1, bot = bl + (br - bl) * tx.w1;
                        v = top + (bot - top) * ty.w1;
                    } else {
                        v = ty.w0 * (tx.w0 * X(ty.i0, tx.i0) + tx.w1 * X(ty.i0, tx.i1)) +
                            ty.w1 * (tx.w0 * X(ty.i1, tx.i0) + tx.w1 * X(ty.i1, tx.i1));
                    }
#undef X
                    y[((n * d->oh + oy) * d->ow + ox) * d->c + c] = v;
                }
            }
        }
}

/* Error model of the kernel, M = max|x|: the weight t is the double
 * coordinate's fraction rounded to f32 (<= u, moving the result by <= u*2M);
 * each lerp a + (b-a)*t rounds three times (<= u(2M + 2M + M)); the row lerp
 * is a convex combination of two such results plus its own three roundings:
 * in total <= 14uM. We allow 16uM. */
static double resize_tolerance(double max_abs_x) { return 16 * U32 * max_abs_x; }

static const char *mode_name(tr_resize_mode m) {
    return m == TR_RESIZE_ALIGN_CORNERS ? "align_corners"
           : m == TR_RESIZE_HALF_PIXEL  ? "half_pixel"
                                        : "tf_legacy";
}

static tr_resize_desc desc(int32_t n, int32_t h, int32_t w, int32_t c, int32_t oh, int32_t ow,
                           tr_resize_mode mode) {
    tr_resize_desc d = {n, h, w, c, oh, ow, mode};
    return d;
}

static void what_str(const tr_resize_desc *d, char *buf, size_t size) {
    snprintf(buf, size, "%s (%d,%d,%d,%d) -> %dx%d", mode_name(d->mode), d->n, d->h, d->w, d->c,
             d->oh, d->ow);
}

/* Runs the f32 kernel into a guarded buffer and returns it. */
static float *run_f32(tr_pool *pool, const tr_resize_desc *d, const float *x) {
    int64_t ny = (int64_t)d->n * d->oh * d->ow * d->c;
    float *y = tu_guarded_alloc(ny);
    tr_cpu_resize_bilinear_f32(pool, d, x, y);
    ck_assert_msg(tu_guard_ok(y, ny), "resize wrote past the output");
    return y;
}

/* ---- bilinear: exact ------------------------------------------------------ */

/* Sizes whose coordinates are multiples of 1/8 in every mode, small-integer
 * data: every product and sum is exact in f32 and in the double oracle. */
START_TEST(resize_exact_on_dyadic_coordinates) {
    static const struct {
        tr_resize_mode mode;
        int32_t h, w, oh, ow;
    } cases[] = {
        {TR_RESIZE_ALIGN_CORNERS, 5, 9, 9, 17}, /* scale 1/2 */
        {TR_RESIZE_ALIGN_CORNERS, 9, 5, 5, 3},  /* scale 2: integer sources */
        {TR_RESIZE_ALIGN_CORNERS, 3, 9, 9, 33}, /* scale 1/4 */
        {TR_RESIZE_HALF_PIXEL, 4, 6, 8, 12},    /* src = d/2 - 1/4, clamped at 0 */
        {TR_RESIZE_HALF_PIXEL, 8, 4, 4, 2},     /* src = 2d + 1/2 */
        {TR_RESIZE_HALF_PIXEL, 4, 4, 16, 16},   /* src = d/4 - 3/8 */
        {TR_RESIZE_TF_LEGACY, 3, 5, 6, 10},     /* src = d/2 */
        {TR_RESIZE_TF_LEGACY, 8, 6, 4, 3},      /* src = 2d */
        {TR_RESIZE_TF_LEGACY, 4, 4, 16, 8},     /* src = d/4, d/2 */
    };
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 71);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        tr_resize_desc d =
            desc(2, cases[ci].h, cases[ci].w, 3, cases[ci].oh, cases[ci].ow, cases[ci].mode);
        int64_t nx = (int64_t)d.n * d.h * d.w * d.c, ny = (int64_t)d.n * d.oh * d.ow * d.c;
        float *x = malloc((size_t)nx * 4);
        double *ref = malloc((size_t)ny * 8);
        tu_fill_int(x, nx, &r, -8, 8);
        resize_oracle(&d, x, get_f32, ref);
        float *y = run_f32(ctx->pool, &d, x);
        char what[96];
        what_str(&d, what, sizeof what);
        int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
        tu_cmp c = tu_compare_f64(y, ref, ny, 0, 0);
        TU_ASSERT_CMP(c, 4, ys, what);
        free(x), free(ref), tu_guarded_free(y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* out == in: every mode maps d to d exactly; the result is a bitwise copy. */
START_TEST(resize_same_size_is_identity) {
    tu_rng r;
    tu_rng_seed(&r, 73);
    for (int m = 0; m < TR_RESIZE_COUNT; m++) {
        tr_resize_desc d = desc(2, 13, 7, 5, 13, 7, (tr_resize_mode)m);
        int64_t n = 2 * 13 * 7 * 5;
        float *x = malloc((size_t)n * 4);
        tu_fill_uniform(x, n, &r, -1e3f, 1e3f);
        float *y = run_f32(NULL, &d, x);
        tu_cmp c = tu_compare_exact(y, x, n);
        TU_ASSERT_CMP(c, 1, &n, mode_name(d.mode));
        free(x), tu_guarded_free(y);
    }
}
END_TEST

/* Known answers from the three definitions for one row [0, 8] -> 4 samples:
 *   align_corners  src = d/3           -> 0, 8/3, 16/3, 8
 *   half_pixel     src = d/2 - 1/4 (>=0) -> 0, 2, 6, 8
 *   tf_legacy      src = d/2           -> 0, 4, 8, 8
 * and 1 -> 1 pixel outputs of a row [1, 2, 4, 8, 16]:
 *   align_corners x[0] = 1, half_pixel the centre x[2] = 4, tf_legacy x[0] = 1. */
START_TEST(resize_modes_known_answers) {
    const float row[2] = {0, 8};
    const float want[3][4] = {{0, 8.0f / 3, 16.0f / 3, 8}, {0, 2, 6, 8}, {0, 4, 8, 8}};
    for (int m = 0; m < TR_RESIZE_COUNT; m++) {
        tr_resize_desc d = desc(1, 1, 2, 1, 1, 4, (tr_resize_mode)m);
        float *y = run_f32(NULL, &d, row);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(fabsf(y[i] - want[m][i]) <= 8 * U32 * 8, "%s [%d]: got %.9g want %.9g",
                          mode_name(d.mode), i, y[i], want[m][i]);
        tu_guarded_free(y);
    }
    const float row5[5] = {1, 2, 4, 8, 16}, want1[3] = {1, 4, 1};
    for (int m = 0; m < TR_RESIZE_COUNT; m++) {
        tr_resize_desc d = desc(1, 1, 5, 1, 1, 1, (tr_resize_mode)m);
        float *y = run_f32(NULL, &d, row5);
        ck_assert_msg(y[0] == want1[m], "%s 5 -> 1: got %g want %g", mode_name(d.mode), y[0],
                      want1[m]);
        tu_guarded_free(y);
    }
}
END_TEST

/* A 1x1 input is replicated exactly in every mode; a 1x1 output follows the
 * definitions (x[0,0] for align_corners and tf_legacy, the centre for
 * half_pixel: exact for an odd size, the mean of the middle two for even). */
START_TEST(resize_one_pixel_input_and_output) {
    tu_rng r;
    tu_rng_seed(&r, 79);
    for (int m = 0; m < TR_RESIZE_COUNT; m++) {
        tr_resize_desc d = desc(3, 1, 1, 4, 7, 5, (tr_resize_mode)m);
        float x[12];
        tu_fill_uniform(x, 12, &r, -5, 5);
        float *y = run_f32(NULL, &d, x);
        for (int64_t i = 0; i < 3 * 7 * 5 * 4; i++) {
            int64_t n = i / (7 * 5 * 4), c = i % 4;
            ck_assert_msg(y[i] == x[n * 4 + c], "%s 1x1 -> 7x5 [%lld]", mode_name(d.mode),
                          (long long)i);
        }
        tu_guarded_free(y);
        for (int even = 0; even < 2; even++) {
            int32_t h = even ? 6 : 5, w = even ? 4 : 7;
            tr_resize_desc d1 = desc(1, h, w, 2, 1, 1, (tr_resize_mode)m);
            float xs[6 * 7 * 2];
            tu_fill_int(xs, h * w * 2, &r, -20, 20);
            y = run_f32(NULL, &d1, xs);
            for (int c = 0; c < 2; c++) {
                double want;
                if (m != TR_RESIZE_HALF_PIXEL) {
                    want = xs[c];
                } else if (!even) {
                    want = xs[((h / 2) * w + w / 2) * 2 + c];
                } else {
                    want = 0;
                    for (int a = 0; a < 2; a++)
                        for (int b = 0; b < 2; b++)
                            want += 0.25 * xs[((h / 2 - 1 + a) * w + w / 2 - 1 + b) * 2 + c];
                }
                ck_assert_msg(y[c] == (float)want, "%s %dx%d -> 1x1 c %d: got %g want %g",
                              mode_name(d1.mode), h, w, c, y[c], want);
            }
            tu_guarded_free(y);
        }
    }
}
END_TEST

/* ---- bilinear: random ------------------------------------------------------ */

static const int32_t random_sizes[][4] = {
    {5, 7, 11, 13},   {9, 13, 4, 5},  {16, 16, 5, 3}, /* 3x+ downscale: taps skip pixels */
    {1, 7, 5, 3},     {7, 1, 2, 9},   {37, 41, 64, 23}, {2, 2, 1, 7},
    {13, 11, 13, 12}, {3, 17, 29, 2}, {6, 4, 1, 1},
};

START_TEST(resize_random_matches_double_oracle) {
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 83);
    for (int m = 0; m < TR_RESIZE_COUNT; m++)
        for (size_t si = 0; si < sizeof random_sizes / sizeof random_sizes[0]; si++) {
            const int32_t *s = random_sizes[si];
            tr_resize_desc d = desc(2, s[0], s[1], 3, s[2], s[3], (tr_resize_mode)m);
            int64_t nx = (int64_t)d.n * d.h * d.w * d.c, ny = (int64_t)d.n * d.oh * d.ow * d.c;
            float *x = malloc((size_t)nx * 4);
            double *ref = malloc((size_t)ny * 8);
            tu_fill_uniform(x, nx, &r, -1, 1);
            double mx = 0;
            for (int64_t i = 0; i < nx; i++) mx = fmax(mx, fabs(x[i]));
            resize_oracle(&d, x, get_f32, ref);
            float *y = run_f32(ctx->pool, &d, x);
            char what[96];
            what_str(&d, what, sizeof what);
            int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
            tu_cmp c = tu_compare_f64(y, ref, ny, resize_tolerance(mx), 0);
            TU_ASSERT_CMP(c, 4, ys, what);
            free(x), free(ref), tu_guarded_free(y);
        }
    tryon_ctx_free(ctx);
}
END_TEST

/* The u8 variant reads bytes and must equal the f32 variant on the same
 * values bitwise (the conversion is exact), and the oracle (M = 255). */
START_TEST(resize_u8_input_matches_f32_and_oracle) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 89);
    for (int m = 0; m < TR_RESIZE_COUNT; m++)
        for (size_t si = 0; si < sizeof random_sizes / sizeof random_sizes[0]; si++) {
            const int32_t *s = random_sizes[si];
            tr_resize_desc d = desc(1, s[0], s[1], 3, s[2], s[3], (tr_resize_mode)m);
            int64_t nx = (int64_t)d.h * d.w * d.c, ny = (int64_t)d.oh * d.ow * d.c;
            uint8_t *xu = malloc((size_t)nx);
            float *xf = malloc((size_t)nx * 4), *yu = tu_guarded_alloc(ny);
            double *ref = malloc((size_t)ny * 8);
            for (int64_t i = 0; i < nx; i++) xu[i] = (uint8_t)tu_rng_u64(&r), xf[i] = xu[i];
            tr_cpu_resize_bilinear_u8_f32(ctx->pool, &d, xu, yu);
            ck_assert(tu_guard_ok(yu, ny));
            float *yf = run_f32(ctx->pool, &d, xf);
            char what[96];
            what_str(&d, what, sizeof what);
            int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
            tu_cmp c = tu_compare_exact(yu, yf, ny);
            TU_ASSERT_CMP(c, 4, ys, what);
            resize_oracle(&d, xu, get_u8, ref);
            c = tu_compare_f64(yu, ref, ny, resize_tolerance(255), 0);
            TU_ASSERT_CMP(c, 4, ys, what);
            free(xu), free(xf), free(ref), tu_guarded_free(yu), tu_guarded_free(yf);
        }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(resize_through_the_model_and_builder_errors) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 97);
    int64_t xs[4] = {2, 5, 6, 3};
    for (int m = 0; m < TR_RESIZE_COUNT; m++)
        for (int u8 = 0; u8 < 2; u8++) {
            tr_graph *g;
            ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
            int32_t x = tr_graph_input(g, "x", u8 ? TRYON_DTYPE_U8 : TRYON_DTYPE_F32, 4, xs);
            int32_t y = tr_resize_bilinear(g, x, 9, 4, (tr_resize_mode)m);
            ck_assert_int_ge(y, 0);
            ck_assert_int_eq(g->tensors[y].dtype, TRYON_DTYPE_F32);
            tr_graph_output(g, y, "y");
            tryon_model *mo = NULL;
            ck_assert_int_eq(tr_model_create(ctx, g, &mo), TRYON_OK);
            tryon_tensor ti, to;
            tryon_model_input(mo, 0, &ti);
            tryon_model_output(mo, 0, &to);
            for (int64_t i = 0; i < 180; i++) {
                uint8_t v = (uint8_t)tu_rng_u64(&r);
                if (u8)
                    ((uint8_t *)ti.data)[i] = v;
                else
                    ((float *)ti.data)[i] = v;
            }
            ck_assert_int_eq(tryon_model_run(mo), TRYON_OK);
            tr_resize_desc d = desc(2, 5, 6, 3, 9, 4, (tr_resize_mode)m);
            double ref[2 * 9 * 4 * 3];
            resize_oracle(&d, ti.data, u8 ? get_u8 : get_f32, ref);
            int64_t ys[4] = {2, 9, 4, 3};
            tu_cmp c = tu_compare_f64(to.data, ref, 216, resize_tolerance(255), 0);
            TU_ASSERT_CMP(c, 4, ys, mode_name((tr_resize_mode)m));
            tryon_model_free(mo);
        }
    static const char *expect[] = {"output size 0x4 is invalid",
                                   "output size 3x-1 is invalid",
                                   "invalid mode",
                                   "invalid mode",
                                   "must be a 4-D F32 or U8",
                                   "must be a 4-D F32 or U8",
                                   "input is not a tensor"};
    for (int c = 0; c < 7; c++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t s3[3] = {5, 6, 3};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs), r2 = 0;
        switch (c) {
        case 0: r2 = tr_resize_bilinear(g, x, 0, 4, TR_RESIZE_HALF_PIXEL); break;
        case 1: r2 = tr_resize_bilinear(g, x, 3, -1, TR_RESIZE_HALF_PIXEL); break;
        case 2: r2 = tr_resize_bilinear(g, x, 3, 3, TR_RESIZE_COUNT); break;
        case 3: r2 = tr_resize_bilinear(g, x, 3, 3, (tr_resize_mode)-1); break;
        case 4:
            r2 = tr_resize_bilinear(g, tr_graph_input(g, "x3", TRYON_DTYPE_F32, 3, s3), 3, 3,
                                    TR_RESIZE_HALF_PIXEL);
            break;
        case 5:
            r2 = tr_resize_bilinear(g, tr_graph_input(g, "i", TRYON_DTYPE_I32, 4, xs), 3, 3,
                                    TR_RESIZE_HALF_PIXEL);
            break;
        case 6: r2 = tr_resize_bilinear(g, 17, 3, 3, TR_RESIZE_HALF_PIXEL); break;
        }
        ck_assert_int_eq(r2, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), expect[c]), "case %d: '%s' not in '%s'", c,
                      expect[c], tryon_ctx_last_error(ctx));
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- nearest ----------------------------------------------------------------- */

START_TEST(upsample_nearest_exact_with_guard_bands) {
    static const int32_t cases[][6] = {
        /* n, h, w, c, fy, fx */
        {1, 1, 1, 1, 1, 1}, {1, 1, 1, 3, 4, 4},  {2, 3, 5, 7, 2, 2},
        {1, 7, 3, 2, 3, 2}, {3, 2, 11, 1, 1, 4}, {1, 13, 1, 5, 5, 1},
    };
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 101);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int32_t *k = cases[ci];
        int64_t nx = (int64_t)k[0] * k[1] * k[2] * k[3];
        int64_t oh = (int64_t)k[1] * k[4], ow = (int64_t)k[2] * k[5], ny = k[0] * oh * ow * k[3];
        float *x = malloc((size_t)nx * 4), *ref = malloc((size_t)ny * 4), *y = tu_guarded_alloc(ny);
        tu_fill_uniform(x, nx, &r, -1e6f, 1e6f);
        for (int64_t n = 0; n < k[0]; n++)
            for (int64_t yy = 0; yy < oh; yy++)
                for (int64_t xx = 0; xx < ow; xx++)
                    for (int64_t c = 0; c < k[3]; c++)
                        ref[((n * oh + yy) * ow + xx) * k[3] + c] =
                            x[((n * k[1] + yy / k[4]) * k[2] + xx / k[5]) * k[3] + c];
        tr_cpu_upsample_nearest_f32(ctx->pool, k[0], k[1], k[2], k[3], k[4], k[5], x, y);
        ck_assert_msg(tu_guard_ok(y, ny), "case %zu wrote past the output", ci);
        int64_t ys[4] = {k[0], oh, ow, k[3]};
        tu_cmp c = tu_compare_exact(y, ref, ny);
        TU_ASSERT_CMP(c, 4, ys, "upsample_nearest");
        free(x), free(ref), tu_guarded_free(y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(upsample_nearest_through_the_model_and_builder_errors) {
    tryon_ctx *ctx = tu_ctx(2);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t xs[4] = {1, 2, 3, 2};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t y = tr_upsample_nearest(g, x, 3, 2);
    ck_assert_int_ge(y, 0);
    const int64_t *s = g->tensors[y].shape;
    ck_assert(s[0] == 1 && s[1] == 6 && s[2] == 6 && s[3] == 2);
    tr_graph_output(g, y, "y");
    tryon_model *m = NULL;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    const float in[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    ck_assert_int_eq(tryon_model_set_input(m, 0, in, sizeof in), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    float out[72];
    ck_assert_int_eq(tryon_model_get_output(m, 0, out, sizeof out), TRYON_OK);
    /* row yy of the output repeats input row yy/3; column xx input column xx/2 */
    for (int yy = 0; yy < 6; yy++)
        for (int xx = 0; xx < 6; xx++)
            for (int c = 0; c < 2; c++)
                ck_assert_msg(out[(yy * 6 + xx) * 2 + c] == in[((yy / 3) * 3 + xx / 2) * 2 + c],
                              "(%d,%d,%d)", yy, xx, c);
    tryon_model_free(m);
    static const char *expect[] = {"factors must be >= 1", "factors must be >= 1",
                                   "has rank 3, expected 4", "has dtype U8"};
    for (int c = 0; c < 4; c++) {
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t s3[3] = {2, 3, 2};
        x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t r = 0;
        switch (c) {
        case 0: r = tr_upsample_nearest(g, x, 0, 2); break;
        case 1: r = tr_upsample_nearest(g, x, 2, -1); break;
        case 2:
            r = tr_upsample_nearest(g, tr_graph_input(g, "x3", TRYON_DTYPE_F32, 3, s3), 2, 2);
            break;
        case 3:
            r = tr_upsample_nearest(g, tr_graph_input(g, "q", TRYON_DTYPE_U8, 4, xs), 2, 2);
            break;
        }
        ck_assert_int_eq(r, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), expect[c]), "case %d: '%s' not in '%s'", c,
                      expect[c], tryon_ctx_last_error(ctx));
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_resample");
    TCase *tc = tcase_create("resample");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, resize_exact_on_dyadic_coordinates);
    tcase_add_test(tc, resize_same_size_is_identity);
    tcase_add_test(tc, resize_modes_known_answers);
    tcase_add_test(tc, resize_one_pixel_input_and_output);
    tcase_add_test(tc, resize_random_matches_double_oracle);
    tcase_add_test(tc, resize_u8_input_matches_f32_and_oracle);
    tcase_add_test(tc, resize_through_the_model_and_builder_errors);
    tcase_add_test(tc, upsample_nearest_exact_with_guard_bands);
    tcase_add_test(tc, upsample_nearest_through_the_model_and_builder_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
