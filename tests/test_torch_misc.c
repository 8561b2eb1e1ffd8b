/* test_torch_misc.c — instance norm, bilinear resize and upfirdn2d against
 * PyTorch 1.13 (Debian python3-torch) fixtures written at test time by
 * tests/ref/torch_misc.py into $TRYON_REF_DIR: F.instance_norm,
 * F.interpolate(mode='bilinear', align_corners=True/False) and upfirdn2d as
 * stylegan2-ada-pytorch's reference path computes it. Fixtures are NCHW; the
 * kernels run on NHWC copies. Every tolerance is an error bound of the two
 * float computations (PyTorch's and ours) against exact arithmetic, stated
 * next to its comparison. Skipped (with a SKIP line) when TORCH=0. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "util.h"

#define U32 (0x1p-24)

/* Loads misc_<name>.npy, failing the test if it is missing or has another rank. */
static void load(tryon_ctx *ctx, const char *name, int32_t ndim, tryon_array *a) {
    char path[1024];
    snprintf(path, sizeof path, "%s/misc_%s.npy", tu_ref_dir(), name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "missing fixture %s: run `make ref` (tests/ref/torch_misc.py)", path);
    fclose(f);
    tu_npy_load(ctx, path, a);
    ck_assert_msg(ndim < 0 || a->ndim == ndim, "%s: rank %d, expected %d", path, a->ndim, ndim);
}

static void loadf(tryon_ctx *ctx, const char *kind, int32_t i, const char *what, int32_t ndim,
                  tryon_array *a) {
    char name[96];
    snprintf(name, sizeof name, "%s_%d_%s", kind, i, what);
    load(ctx, name, ndim, a);
}

/* NCHW <-> NHWC copies. */
static float *to_nhwc(const tryon_array *a) {
    const int64_t n = a->shape[0], c = a->shape[1], h = a->shape[2], w = a->shape[3];
    float *y = malloc((size_t)(n * c * h * w) * 4);
    for (int64_t in = 0; in < n; in++)
        for (int64_t ic = 0; ic < c; ic++)
            for (int64_t iy = 0; iy < h; iy++)
                for (int64_t ix = 0; ix < w; ix++)
                    y[((in * h + iy) * w + ix) * c + ic] =
                        a->data[((in * c + ic) * h + iy) * w + ix];
    return y;
}

static float *to_nchw(const float *x, int64_t n, int64_t h, int64_t w, int64_t c) {
    float *y = malloc((size_t)(n * c * h * w) * 4);
    for (int64_t in = 0; in < n; in++)
        for (int64_t ic = 0; ic < c; ic++)
            for (int64_t iy = 0; iy < h; iy++)
                for (int64_t ix = 0; ix < w; ix++)
                    y[((in * c + ic) * h + iy) * w + ix] = x[((in * h + iy) * w + ix) * c + ic];
    return y;
}

static int64_t numel(const tryon_array *a) { return tryon_array_numel(a); }

/* Case counts from misc_counts.npy, with a floor so that a truncated script
 * cannot pass by testing nothing. */
static int32_t count(tryon_ctx *ctx, int which, int32_t at_least) {
    tryon_array c;
    load(ctx, "counts", 1, &c);
    ck_assert_int_eq(c.shape[0], 3);
    int32_t v = (int32_t)c.data[which];
    tryon_array_free(&c);
    ck_assert_msg(v >= at_least, "only %d fixture cases of kind %d", v, which);
    return v;
}

static int skip_without_torch(const char *what) {
    if (tu_ref_dir()) return 0;
    tu_skip(what, "TORCH=0: no PyTorch fixtures");
    return 1;
}

/* ---- instance norm ------------------------------------------------------------- */

/* Error model, per element, against exact arithmetic:
 *   PyTorch folds the norm into y = x*a + b in f32 with a = gamma/sd and
 *   b = beta - mean*a themselves rounded: <= 4u(|x a| + |b|); its statistics
 *   (accumulated in double, or pairwise in f32 on other builds) are off by at
 *   most (log2 K + 2)u relative to max|x| (mean) and |x_hat| (var), which
 *   moves y by <= (log2 K + 2)u(max|x|/sd + |x_hat|)|gamma|.
 *   Ours: <= 3u(|x_hat gamma| + |beta|) (see test_kernels_norm.c).
 * atol = 2x the largest sum over the tensor; rtol 2u for the final rounding. */
START_TEST(torch_instance_norm_matches) {
    if (skip_without_torch("torch_instance_norm_matches")) return;
    tryon_ctx *ctx = tu_ctx(2);
    int32_t n_cases = count(ctx, 0, 6);
    for (int32_t i = 0; i < n_cases; i++) {
        tryon_array p, x, g, b, y;
        loadf(ctx, "inorm", i, "params", 1, &p);
        loadf(ctx, "inorm", i, "x", 4, &x);
        loadf(ctx, "inorm", i, "gamma", 1, &g);
        loadf(ctx, "inorm", i, "beta", 1, &b);
        loadf(ctx, "inorm", i, "y", 4, &y);
        const int32_t N = (int32_t)x.shape[0], C = (int32_t)x.shape[1], H = (int32_t)x.shape[2],
                      W = (int32_t)x.shape[3];
        const int affine = p.data[1] != 0;
        float *xh = to_nhwc(&x);
        int64_t n = numel(&x);
        float *out = tu_guarded_alloc(n);
        double *stats = malloc((size_t)N * C * 2 * 8);
        tr_instance_norm_args a;
        memset(&a, 0, sizeof a);
        a.d.n = N, a.d.h = H, a.d.w = W, a.d.c = C;
        a.d.eps = p.data[0];
        a.d.ep = tr_epilogue_make(TR_ACT_NONE);
        a.x = xh, a.gamma = affine ? g.data : NULL, a.beta = affine ? b.data : NULL;
        a.stats = stats, a.y = out;
        tr_cpu_instance_norm_f32(ctx->pool, &a);
        ck_assert(tu_guard_ok(out, n));
        float *got = to_nchw(out, N, H, W, C);

        /* magnitudes of the error model, from double statistics */
        const int64_t K = (int64_t)H * W;
        double bound = 0;
        for (int64_t nc = 0; nc < (int64_t)N * C; nc++) {
            const float *xs = x.data + nc * K;
            double mean = 0, var = 0, mx = 0;
            for (int64_t k = 0; k < K; k++) mean += xs[k], mx = fmax(mx, fabs(xs[k]));
            mean /= K;
            for (int64_t k = 0; k < K; k++) var += (xs[k] - mean) * (xs[k] - mean);
            double sd = sqrt(var / K + a.d.eps);
            int32_t c = (int32_t)(nc % C);
            double gm = affine ? g.data[c] : 1, bt = affine ? b.data[c] : 0;
            double al = gm / sd, be = bt - mean * al;
            for (int64_t k = 0; k < K; k++) {
                double xhat = (xs[k] - mean) / sd;
                double e = 4 * U32 * (fabs(xs[k] * al) + fabs(be)) +
                           (log2((double)K) + 2) * U32 * (mx / sd + fabs(xhat)) * fabs(gm) +
                           3 * U32 * (fabs(xhat * gm) + fabs(bt));
                bound = fmax(bound, e);
            }
        }
        char what[96];
        snprintf(what, sizeof what, "instance_norm case %d (%d,%d,%d,%d) affine %d atol %.3g", i, N,
                 C, H, W, affine, 2 * bound);
        tu_cmp cm = tu_compare(got, y.data, n, 2 * bound, 2 * U32);
        TU_ASSERT_CMP(cm, 4, y.shape, what);
        free(xh), free(got), free(stats), tu_guarded_free(out);
        tryon_array_free(&p), tryon_array_free(&x), tryon_array_free(&g);
        tryon_array_free(&b), tryon_array_free(&y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- bilinear ---------------------------------------------------------------------- */

/* Error model, M = max|x|: PyTorch computes the source coordinate in f32
 * from a rounded f32 scale: src = scale*(d+0.5) - 0.5 (or scale*d) is off by
 * <= 3u*in on that axis, which moves the result by <= 3u*in * 2M (the
 * largest slope between neighbours is 2M per pixel); its weights and
 * weighted sum add <= 8uM. Ours is within 14uM of exact (see
 * test_kernels_resample.c). atol = uM(6(in_h + in_w) + 22), doubled. */
START_TEST(torch_bilinear_matches) {
    if (skip_without_torch("torch_bilinear_matches")) return;
    tryon_ctx *ctx = tu_ctx(2);
    int32_t n_cases = count(ctx, 1, 18);
    int seen_ac[2] = {0, 0};
    for (int32_t i = 0; i < n_cases; i++) {
        tryon_array p, x, y;
        loadf(ctx, "interp", i, "params", 1, &p);
        loadf(ctx, "interp", i, "x", 4, &x);
        loadf(ctx, "interp", i, "y", 4, &y);
        const int ac = p.data[2] != 0;
        seen_ac[ac]++;
        tr_resize_desc d = {(int32_t)x.shape[0],
                            (int32_t)x.shape[2],
                            (int32_t)x.shape[3],
                            (int32_t)x.shape[1],
                            (int32_t)p.data[0],
                            (int32_t)p.data[1],
                            ac ? TR_RESIZE_ALIGN_CORNERS : TR_RESIZE_HALF_PIXEL};
        ck_assert(y.shape[2] == d.oh && y.shape[3] == d.ow);
        float *xh = to_nhwc(&x);
        int64_t ny = numel(&y);
        float *out = tu_guarded_alloc(ny);
        tr_cpu_resize_bilinear_f32(ctx->pool, &d, xh, out);
        ck_assert(tu_guard_ok(out, ny));
        float *got = to_nchw(out, d.n, d.oh, d.ow, d.c);
        double mx = 0;
        for (int64_t k = 0; k < numel(&x); k++) mx = fmax(mx, fabs(x.data[k]));
        double atol = 2 * U32 * mx * (6.0 * (d.h + d.w) + 22);
        char what[96];
        snprintf(what, sizeof what, "interpolate case %d %dx%d -> %dx%d align_corners %d atol %.3g",
                 i, d.h, d.w, d.oh, d.ow, ac, atol);
        tu_cmp cm = tu_compare(got, y.data, ny, atol, 0);
        TU_ASSERT_CMP(cm, 4, y.shape, what);
        free(xh), free(got), tu_guarded_free(out);
        tryon_array_free(&p), tryon_array_free(&x), tryon_array_free(&y);
    }
    ck_assert(seen_ac[0] > 0 && seen_ac[1] > 0);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- upfirdn2d ---------------------------------------------------------------------- */

/* Error model, S = gain * sum|k| * max|x| (a bound on sum |x k| per output):
 * PyTorch's conv2d sums K = fh*fw products in some order (<= (K+1)u S); the
 * separable path runs two passes of fw taps with the intermediate rounded
 * and each filter pre-scaled by sqrt(gain) (<= (2fw + 4)u S). Ours is within
 * (K + 3)u S. atol = (K + 2fw + 8)u S covers the sum of both. */
START_TEST(torch_upfirdn2d_matches) {
    if (skip_without_torch("torch_upfirdn2d_matches")) return;
    tryon_ctx *ctx = tu_ctx(2);
    int32_t n_cases = count(ctx, 2, 10);
    for (int32_t i = 0; i < n_cases; i++) {
        tryon_array p, f, x, y;
        loadf(ctx, "upfirdn", i, "params", 1, &p);
        loadf(ctx, "upfirdn", i, "f", -1, &f);
        loadf(ctx, "upfirdn", i, "x", 4, &x);
        loadf(ctx, "upfirdn", i, "y", 4, &y);
        ck_assert_int_eq(p.shape[0], 10);
        ck_assert(f.ndim == 1 || f.ndim == 2);
        tr_upfirdn2d_desc d;
        memset(&d, 0, sizeof d);
        d.n = (int32_t)x.shape[0], d.c = (int32_t)x.shape[1];
        d.h = (int32_t)x.shape[2], d.w = (int32_t)x.shape[3];
        d.up_x = (int32_t)p.data[0], d.up_y = (int32_t)p.data[1];
        d.down_x = (int32_t)p.data[2], d.down_y = (int32_t)p.data[3];
        d.pad_x0 = (int32_t)p.data[4], d.pad_x1 = (int32_t)p.data[5];
        d.pad_y0 = (int32_t)p.data[6], d.pad_y1 = (int32_t)p.data[7];
        d.flip = p.data[8] != 0;
        d.gain = p.data[9];
        d.separable = f.ndim == 1;
        d.fw = (int32_t)f.shape[f.ndim - 1];
        d.fh = d.separable ? d.fw : (int32_t)f.shape[0];
        /* the output size is PyTorch's: the kernel must produce exactly it */
        d.oh = (int32_t)y.shape[2], d.ow = (int32_t)y.shape[3];
        ck_assert_int_eq((d.h * d.up_y + d.pad_y0 + d.pad_y1 - d.fh) / d.down_y + 1, d.oh);
        ck_assert_int_eq((d.w * d.up_x + d.pad_x0 + d.pad_x1 - d.fw) / d.down_x + 1, d.ow);
        float *xh = to_nhwc(&x);
        int64_t ny = numel(&y);
        float *out = tu_guarded_alloc(ny);
        tr_upfirdn2d_args a = {d, f.data, xh, out};
        tr_cpu_upfirdn2d_f32(ctx->pool, &a);
        ck_assert(tu_guard_ok(out, ny));
        float *got = to_nchw(out, d.n, d.oh, d.ow, d.c);
        double sk = 0, mx = 0;
        if (d.separable) {
            double s1 = 0;
            for (int32_t k = 0; k < d.fw; k++) s1 += fabs(f.data[k]);
            sk = s1 * s1;
        } else {
            for (int64_t k = 0; k < numel(&f); k++) sk += fabs(f.data[k]);
        }
        for (int64_t k = 0; k < numel(&x); k++) mx = fmax(mx, fabs(x.data[k]));
        double S = fabs(d.gain) * sk * mx;
        double atol = (d.fh * d.fw + 2 * d.fw + 8) * U32 * S;
        char what[160];
        snprintf(what, sizeof what,
                 "upfirdn2d case %d up %d,%d down %d,%d pad %d,%d,%d,%d f %dx%d%s atol %.3g", i,
                 d.up_x, d.up_y, d.down_x, d.down_y, d.pad_x0, d.pad_x1, d.pad_y0, d.pad_y1, d.fh,
                 d.fw, d.separable ? " sep" : "", atol);
        tu_cmp cm = tu_compare(got, y.data, ny, atol, 0);
        TU_ASSERT_CMP(cm, 4, y.shape, what);
        free(xh), free(got), tu_guarded_free(out);
        tryon_array_free(&p), tryon_array_free(&f), tryon_array_free(&x), tryon_array_free(&y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("torch_misc");
    TCase *tc = tcase_create("torch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, torch_instance_norm_matches);
    tcase_add_test(tc, torch_bilinear_matches);
    tcase_add_test(tc, torch_upfirdn2d_matches);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
