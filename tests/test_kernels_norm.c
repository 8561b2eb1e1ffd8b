/* test_kernels_norm.c — instance normalisation (kernels/cpu/instance_norm.c)
 * against a double-precision oracle of the definition in kernels.h:
 *   mean, biased var over H*W per (n, c); v = (x-mean)/sqrt(var+eps)*gamma+beta;
 *   y = clamp(act(v)*gain, +-clamp) + residual.
 * Exact cases use data whose statistics are dyadic (x = m +- s with s a
 * power of two, eps 0, so x_hat = +-1 exactly). Also: eps inside the square
 * root, zero variance (1x1 spatial, constant channels), large offsets (mean
 * 1e4 with a tiny spread, which only two-pass statistics get right), bitwise
 * determinism across thread counts, the builder path and its error checks.
 * PyTorch comparisons are in tests/test_torch_misc.c. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "pool.h"
#include "util.h"

#define U32 (0x1p-24) /* f32 unit roundoff */

typedef struct inorm_case {
    int32_t n, h, w, c;
    float eps;
    tr_epilogue ep;
    int affine, residual;
} inorm_case;

static double act_d(const tr_epilogue *e, double v) {
    switch (e->act) {
    case TR_ACT_NONE: break;
    case TR_ACT_RELU: v = v < 0 ? 0 : v; break;
    case TR_ACT_RELU6: v = v < 0 ? 0 : (v > 6 ? 6 : v); break;
    case TR_ACT_LRELU: v = v < 0 ? v * (double)e->alpha : v; break;
    case TR_ACT_TANH: v = tanh(v); break;
    case TR_ACT_SIGMOID: v = 1.0 / (1.0 + exp(-v)); break;
    case TR_ACT_COUNT: break;
    }
    return v;
}

/* Double oracle. Returns, through *mag, max over elements of
 * gain * (|x_hat*gamma| + |beta| + |act(v)|): the magnitude that the
 * kernel's rounding errors scale with (see tolerance()). */
static void inorm_oracle(const inorm_case *k, const float *x, const float *gamma, const float *beta,
                         const float *res, double *y, double *mag) {
    const int64_t hw = (int64_t)k->h * k->w;
    *mag = 0;
    for (int32_t n = 0; n < k->n; n++)
        for (int32_t c = 0; c < k->c; c++) {
            const float *xs = x + (int64_t)n * hw * k->c + c;
            double mean = 0, var = 0;
            for (int64_t p = 0; p < hw; p++) mean += xs[p * k->c];
            mean /= (double)hw;
            for (int64_t p = 0; p < hw; p++) var += (xs[p * k->c] - mean) * (xs[p * k->c] - mean);
            var /= (double)hw;
            double sd = sqrt(var + (double)k->eps);
            double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
            for (int64_t p = 0; p < hw; p++) {
                int64_t i = ((int64_t)n * hw + p) * k->c + c;
                double xh = (x[i] - mean) / sd, v = xh * g + b, a = act_d(&k->ep, v);
                double o = a * (double)k->ep.gain;
                if (k->ep.clamp > 0) o = fmin(fmax(o, -(double)k->ep.clamp), (double)k->ep.clamp);
                if (res) o += res[i];
                y[i] = o;
                *mag = fmax(*mag, (double)k->ep.gain * (fabs(xh * g) + fabs(b) + fabs(a)));
            }
        }
}

/* Error model of the kernel (statistics in double: negligible error):
 *   x_hat rounded to f32 (<= u|x_hat|), * gamma (<= u|x_hat gamma|),
 *   + beta (<= u|v|): <= 3u(|x_hat gamma| + |beta|) before the activation;
 *   the activations are 1-Lipschitz and tanhf/expf-based ones add <= ~8u of
 *   |act(v)|; the gain scales all of it and adds u; the clamp is
 *   1-Lipschitz; the residual add rounds once (<= u|y|, the rtol).
 * So |err| <= gain*(3u*A + 9u*|act|) + u|y| <= 12u*mag + u|y|; we allow 2x. */
static void tolerance(double mag, double *atol, double *rtol) {
    *atol = 24 * U32 * mag;
    *rtol = 2 * U32;
}

typedef struct inorm_bufs {
    float *x, *gamma, *beta, *res, *y;
    double *stats, *ref;
    int64_t n;
} inorm_bufs;

static void bufs_alloc(const inorm_case *k, inorm_bufs *b) {
    b->n = (int64_t)k->n * k->h * k->w * k->c;
    b->x = malloc((size_t)b->n * 4);
    b->res = k->residual ? malloc((size_t)b->n * 4) : NULL;
    b->gamma = k->affine ? malloc((size_t)k->c * 4) : NULL;
    b->beta = k->affine ? malloc((size_t)k->c * 4) : NULL;
    b->y = tu_guarded_alloc(b->n);
    /* stats workspace with 8 NaN canaries after it */
    int64_t ns = (int64_t)k->n * k->c * 2;
    b->stats = malloc((size_t)(ns + 8) * 8);
    for (int i = 0; i < 8; i++) b->stats[ns + i] = NAN;
    b->ref = malloc((size_t)b->n * 8);
}

static void bufs_free(inorm_bufs *b) {
    free(b->x), free(b->res), free(b->gamma), free(b->beta), free(b->stats), free(b->ref);
    tu_guarded_free(b->y);
}

static void run_kernel(tr_pool *pool, const inorm_case *k, inorm_bufs *b) {
    tr_instance_norm_args a;
    memset(&a, 0, sizeof a);
    a.d.n = k->n, a.d.h = k->h, a.d.w = k->w, a.d.c = k->c;
    a.d.eps = k->eps;
    a.d.ep = k->ep;
    a.x = b->x, a.gamma = b->gamma, a.beta = b->beta, a.residual = b->res;
    a.stats = b->stats, a.y = b->y;
    tr_cpu_instance_norm_f32(pool, &a);
    int64_t ns = (int64_t)k->n * k->c * 2;
    ck_assert_msg(tu_guard_ok(b->y, b->n), "instance norm wrote past y");
    for (int i = 0; i < 8; i++) ck_assert_msg(isnan(b->stats[ns + i]), "wrote past the stats");
}

static void case_str(const inorm_case *k, char *buf, size_t size) {
    snprintf(buf, size, "(%d,%d,%d,%d) eps %g %s gain %g clamp %g affine %d res %d", k->n, k->h,
             k->w, k->c, k->eps, tr_act_name(k->ep.act), k->ep.gain, k->ep.clamp, k->affine,
             k->residual);
}

/* ---- exact ----------------------------------------------------------------- */

/* Per (n, c): x = m +- s in equal numbers (shuffled), m a small integer, s a
 * power of two, eps 0: mean = m, var = s^2, x_hat = +-1, all exact. Then
 * y = clamp(relu(+-gamma + beta) * 2, +-9) + residual is exact on integers. */
static void fill_dyadic(const inorm_case *k, inorm_bufs *b, tu_rng *r) {
    const int64_t hw = (int64_t)k->h * k->w;
    ck_assert(hw % 2 == 0);
    int8_t *sign = malloc((size_t)hw);
    for (int32_t n = 0; n < k->n; n++)
        for (int32_t c = 0; c < k->c; c++) {
            for (int64_t p = 0; p < hw; p++) sign[p] = p < hw / 2 ? 1 : -1;
            for (int64_t p = hw - 1; p > 0; p--) { /* Fisher-Yates */
                int64_t q = (int64_t)(tu_rng_u64(r) % (uint64_t)(p + 1));
                int8_t t = sign[p];
                sign[p] = sign[q], sign[q] = t;
            }
            float m = (float)tu_rng_int(r, -50, 50), s = ldexpf(1.0f, tu_rng_int(r, -1, 2));
            for (int64_t p = 0; p < hw; p++)
                b->x[((int64_t)n * hw + p) * k->c + c] = m + sign[p] * s;
        }
    free(sign);
    if (b->gamma) tu_fill_int(b->gamma, k->c, r, -3, 3);
    if (b->beta) tu_fill_int(b->beta, k->c, r, -5, 5);
    if (b->res) tu_fill_int(b->res, b->n, r, -4, 4);
}

START_TEST(inorm_exact_on_dyadic_statistics) {
    static const inorm_case cases[] = {
        {2, 4, 6, 19, 0.0f, {TR_ACT_RELU, 0.2f, 2.0f, 9.0f}, 1, 1},
        {1, 2, 1, 3, 0.0f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 0, 0},
        {3, 5, 2, 17, 0.0f, {TR_ACT_LRELU, 0.25f, 4.0f, 0.0f}, 1, 0},
        {1, 8, 8, 33, 0.0f, {TR_ACT_RELU6, 0.2f, 1.0f, 0.0f}, 1, 1},
    };
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 41);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const inorm_case *k = &cases[ci];
        inorm_bufs b;
        bufs_alloc(k, &b);
        fill_dyadic(k, &b, &r);
        double mag;
        inorm_oracle(k, b.x, b.gamma, b.beta, b.res, b.ref, &mag);
        run_kernel(ctx->pool, k, &b);
        char what[160];
        case_str(k, what, sizeof what);
        int64_t shape[4] = {k->n, k->h, k->w, k->c};
        tu_cmp c = tu_compare_f64(b.y, b.ref, b.n, 0, 0);
        TU_ASSERT_CMP(c, 4, shape, what);
        /* the statistics workspace holds mean and 1/sqrt(var+eps) per (n,c) */
        for (int32_t i = 0; i < k->n * k->c; i++) {
            int32_t n = i / k->c, ch = i % k->c;
            float x0 = b.x[(int64_t)n * k->h * k->w * k->c + ch];
            double mean = b.stats[2 * i], rstd = b.stats[2 * i + 1];
            ck_assert_msg(fabs(x0 - mean) * rstd == 1.0, "stats of (%d,%d): mean %g rstd %g", n, ch,
                          mean, rstd);
        }
        bufs_free(&b);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- random vs oracle ----------------------------------------------------------- */

static void fill_random(const inorm_case *k, inorm_bufs *b, tu_rng *r, float offset, float spread) {
    for (int64_t i = 0; i < b->n; i++) b->x[i] = offset + spread * tu_rng_normal(r);
    if (b->gamma)
        for (int32_t c = 0; c < k->c; c++)
            b->gamma[c] = tu_rng_uniform(r, 0.5f, 2.0f) * (tu_rng_u64(r) & 1 ? -1 : 1);
    if (b->beta) tu_fill_uniform(b->beta, k->c, r, -1, 1);
    if (b->res) tu_fill_uniform(b->res, b->n, r, -2, 2);
}

static const inorm_case random_cases[] = {
    {1, 8, 8, 3, 1e-5f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 0, 0},
    {3, 5, 7, 17, 1e-5f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 1, 0},
    {2, 13, 11, 16, 1e-3f, {TR_ACT_RELU, 0.2f, 1.0f, 0.0f}, 1, 1},
    /* C = 33 crosses the kernel's 16-channel blocks; clamp active */
    {2, 7, 9, 33, 1e-5f, {TR_ACT_LRELU, 0.2f, 1.41421356f, 2.0f}, 1, 0},
    {1, 31, 29, 5, 0.1f, {TR_ACT_TANH, 0.2f, 2.0f, 0.0f}, 1, 0},
    {4, 3, 2, 7, 1e-5f, {TR_ACT_SIGMOID, 0.2f, 1.0f, 0.0f}, 1, 1},
    {1, 1, 97, 4, 1e-5f, {TR_ACT_RELU6, 0.2f, 3.0f, 10.0f}, 1, 0},
    {2, 16, 16, 64, 1e-5f, {TR_ACT_RELU, 0.2f, 1.0f, 0.0f}, 0, 1},
    {5, 2, 3, 1, 1e-5f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 1, 1},
};

START_TEST(inorm_random_matches_double_oracle) {
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 43);
    for (size_t ci = 0; ci < sizeof random_cases / sizeof random_cases[0]; ci++) {
        const inorm_case *k = &random_cases[ci];
        inorm_bufs b;
        bufs_alloc(k, &b);
        fill_random(k, &b, &r, tu_rng_uniform(&r, -3, 3), tu_rng_uniform(&r, 0.1f, 4.0f));
        double mag, atol, rtol;
        inorm_oracle(k, b.x, b.gamma, b.beta, b.res, b.ref, &mag);
        tolerance(mag, &atol, &rtol);
        run_kernel(ctx->pool, k, &b);
        char what[160];
        case_str(k, what, sizeof what);
        int64_t shape[4] = {k->n, k->h, k->w, k->c};
        tu_cmp c = tu_compare_f64(b.y, b.ref, b.n, atol, rtol);
        TU_ASSERT_CMP(c, 4, shape, what);
        bufs_free(&b);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* eps enters under the square root: channels of +-s with s = 0.01 and
 * eps = 1e-3 give +-s/sqrt(s^2 + eps) = +-0.3015 (eps outside the root would
 * give 0.909, no eps 1.0). Closed form; tolerance as in tolerance(). */
START_TEST(inorm_eps_inside_the_square_root) {
    const inorm_case k = {1, 2, 2, 3, 1e-3f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 0, 0};
    inorm_bufs b;
    bufs_alloc(&k, &b);
    const float s = 0.01f;
    for (int64_t p = 0; p < 4; p++)
        for (int c = 0; c < 3; c++) b.x[p * 3 + c] = (float)(c * 10) + (p % 2 ? s : -s);
    run_kernel(NULL, &k, &b);
    for (int64_t p = 0; p < 4; p++)
        for (int c = 0; c < 3; c++) {
            /* x - mean is computed from the rounded f32 inputs: recover it */
            double d = (double)b.x[p * 3 + c] - (double)(c * 10);
            double dev = fabs(d), want = (p % 2 ? 1 : -1) * dev / sqrt(dev * dev + 1e-3f);
            ck_assert_msg(fabs(b.y[p * 3 + c] - want) <= 24 * U32 * fabs(want),
                          "p %lld c %d: got %.9g want %.9g", (long long)p, c, b.y[p * 3 + c], want);
        }
    bufs_free(&b);
}
END_TEST

/* ---- zero variance ------------------------------------------------------------- */

/* 1x1 spatial maps and constant channels have var = 0: x - mean = 0 exactly
 * (the double mean of equal floats is exact), so y = clamp(act(beta)*gain)
 * + residual with no normalisation noise; compared bitwise. Non-constant
 * channels of the same tensor must be unaffected (tolerance model above). */
START_TEST(inorm_zero_variance_gives_beta) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 47);
    const inorm_case cases[] = {
        {3, 1, 1, 5, 1e-5f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 1, 0},
        {3, 1, 1, 5, 1e-5f, {TR_ACT_RELU, 0.2f, 2.0f, 0.0f}, 1, 1},
        {2, 1, 1, 4, 1e-5f, {TR_ACT_SIGMOID, 0.2f, 2.0f, 0.0f}, 0, 0}, /* 2*sigmoid(0) = 1 */
        {2, 6, 5, 20, 1e-5f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 1, 1},
        {1, 9, 7, 18, 1e-5f, {TR_ACT_LRELU, 0.25f, 2.0f, 0.0f}, 1, 0},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const inorm_case *k = &cases[ci];
        inorm_bufs b;
        bufs_alloc(k, &b);
        fill_random(k, &b, &r, 0.3f, 1.5f);
        /* even channels constant (a value that is not dyadic: 0.1f, -3.7f...) */
        const int64_t hw = (int64_t)k->h * k->w;
        for (int32_t n = 0; n < k->n; n++)
            for (int32_t c = 0; c < k->c; c += 2) {
                float v = (float)(0.1 * (c + 1) - 3.7 * n);
                for (int64_t p = 0; p < hw; p++) b.x[((int64_t)n * hw + p) * k->c + c] = v;
            }
        double mag, atol, rtol;
        inorm_oracle(k, b.x, b.gamma, b.beta, b.res, b.ref, &mag);
        tolerance(mag, &atol, &rtol);
        run_kernel(ctx->pool, k, &b);
        char what[160];
        case_str(k, what, sizeof what);
        for (int64_t i = 0; i < b.n; i++) {
            int32_t c = (int32_t)(i % k->c);
            if (c % 2 == 0 || hw == 1) {
                /* exact: act of an exact beta, dyadic gains, one rounding for +res */
                ck_assert_msg(b.y[i] == (float)b.ref[i],
                              "%s: constant channel %d got %.9g want %.9g", what, c, b.y[i],
                              b.ref[i]);
            } else {
                ck_assert_msg(fabs(b.y[i] - b.ref[i]) <= atol + rtol * fabs(b.ref[i]),
                              "%s: channel %d got %.9g want %.9g", what, c, b.y[i], b.ref[i]);
            }
        }
        bufs_free(&b);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- large offset: two-pass statistics ------------------------------------------ */

/* x = 1e4 + k/1024 with k in [-8, 8] (exact f32 values: the ulp at 1e4 is
 * 2^-10), i.e. mean ~1e4 and variance ~2e-5. The double oracle is exact
 * here (sums of multiples of 2^-10 below 2^43). The one-pass formula
 * E[x^2] - E[x]^2 in double cancels 1e8 against 1e8 and loses ~1e-8 of 2e-5,
 * and f32 accumulation is far worse; both are checked to exceed the
 * tolerance, so this test distinguishes two-pass statistics. */
START_TEST(inorm_large_offset_needs_two_pass_statistics) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 53);
    const inorm_case k = {2, 23, 29, 3, 1e-6f, {TR_ACT_NONE, 0.2f, 1.0f, 0.0f}, 1, 0};
    inorm_bufs b;
    bufs_alloc(&k, &b);
    for (int64_t i = 0; i < b.n; i++) b.x[i] = 1e4f + (float)tu_rng_int(&r, -8, 8) / 1024.0f;
    for (int c = 0; c < 3; c++) b.gamma[c] = 1.0f + c, b.beta[c] = 0.5f * c;
    double mag, atol, rtol;
    inorm_oracle(&k, b.x, b.gamma, b.beta, NULL, b.ref, &mag);
    tolerance(mag, &atol, &rtol);
    run_kernel(ctx->pool, &k, &b);
    int64_t shape[4] = {k.n, k.h, k.w, k.c};
    tu_cmp c = tu_compare_f64(b.y, b.ref, b.n, atol, rtol);
    TU_ASSERT_CMP(c, 4, shape, "mean 1e4, var 2e-5");

    /* Power check: the naive statistics would miss the tolerance. */
    const int64_t hw = (int64_t)k.h * k.w;
    double worst_1pass = 0, worst_f32 = 0;
    for (int32_t n = 0; n < k.n; n++)
        for (int32_t ch = 0; ch < k.c; ch++) {
            double s = 0, s2 = 0;
            float sf = 0, s2f = 0;
            for (int64_t p = 0; p < hw; p++) {
                float v = b.x[((int64_t)n * hw + p) * k.c + ch];
                s += v, s2 += (double)v * v;
                sf += v, s2f += v * v;
            }
            double m1 = s / hw, v1 = s2 / hw - m1 * m1;
            double mf = sf / hw, vf = fabs(s2f / hw - mf * mf);
            for (int64_t p = 0; p < hw; p++) {
                int64_t i = ((int64_t)n * hw + p) * k.c + ch;
                double y1 = (b.x[i] - m1) / sqrt(fabs(v1) + 1e-6) * b.gamma[ch] + b.beta[ch];
                double yf = (b.x[i] - mf) / sqrt(vf + 1e-6) * b.gamma[ch] + b.beta[ch];
                worst_1pass = fmax(worst_1pass, fabs(y1 - b.ref[i]));
                worst_f32 = fmax(worst_f32, fabs(yf - b.ref[i]));
            }
        }
    ck_assert_msg(worst_1pass > 10 * atol, "one-pass double stats err %g vs atol %g", worst_1pass,
                  atol);
    ck_assert_msg(worst_f32 > 10 * atol, "f32 stats err %g vs atol %g", worst_f32, atol);
    bufs_free(&b);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- determinism ------------------------------------------------------------------ */

START_TEST(inorm_bitwise_identical_across_thread_counts) {
    const inorm_case k = {2, 37, 41, 40, 1e-5f, {TR_ACT_LRELU, 0.2f, 1.41421356f, 0.0f}, 1, 1};
    tu_rng r;
    tu_rng_seed(&r, 59);
    inorm_bufs b;
    bufs_alloc(&k, &b);
    fill_random(&k, &b, &r, 1.0f, 2.0f);
    run_kernel(NULL, &k, &b); /* serial reference */
    float *first = malloc((size_t)b.n * 4);
    memcpy(first, b.y, (size_t)b.n * 4);
    for (int32_t t = 1; t <= 4; t++) {
        tryon_ctx *ctx = tu_ctx(t);
        for (int rep = 0; rep < 2; rep++) {
            memset(b.y, 0, (size_t)b.n * 4);
            run_kernel(ctx->pool, &k, &b);
            ck_assert_msg(memcmp(first, b.y, (size_t)b.n * 4) == 0, "%d threads differ", t);
        }
        tryon_ctx_free(ctx);
    }
    free(first);
    bufs_free(&b);
}
END_TEST

/* ---- builder -------------------------------------------------------------------------- */

/* Through tr_instance_norm and a planned model: operands gamma, beta and
 * residual reach the kernel in the right slots (gamma != beta, so a swap
 * would show), the workspace is planned, and eps/epilogue are carried. */
START_TEST(inorm_through_the_model) {
    tryon_ctx *ctx = tu_ctx(2);
    const inorm_case k = {2, 9, 7, 6, 1e-2f, {TR_ACT_LRELU, 0.2f, 1.41421356f, 1.5f}, 1, 1};
    tu_rng r;
    tu_rng_seed(&r, 61);
    inorm_bufs b;
    bufs_alloc(&k, &b);
    fill_random(&k, &b, &r, -0.5f, 0.7f);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t xs[4] = {k.n, k.h, k.w, k.c}, cs[1] = {k.c};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t res = tr_graph_input(g, "res", TRYON_DTYPE_F32, 4, xs);
    int32_t gm = tr_graph_const(g, "gamma", TRYON_DTYPE_F32, 1, cs, b.gamma);
    int32_t bt = tr_graph_const(g, "beta", TRYON_DTYPE_F32, 1, cs, b.beta);
    /* a scale in front makes the norm's input an arena tensor that dies */
    int32_t xin = tr_scale(g, x, 1.0f, 0.0f);
    tr_graph_output(g, tr_instance_norm(g, xin, gm, bt, res, k.eps, k.ep), "y");
    tryon_model *m = NULL;
    ck_assert_msg(tr_model_create(ctx, g, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_model_set_input(m, 0, b.x, (size_t)b.n * 4), TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 1, b.res, (size_t)b.n * 4), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    ck_assert_int_eq(tryon_model_get_output(m, 0, b.y, (size_t)b.n * 4), TRYON_OK);
    double mag, atol, rtol;
    inorm_oracle(&k, b.x, b.gamma, b.beta, b.res, b.ref, &mag);
    tolerance(mag, &atol, &rtol);
    tu_cmp c = tu_compare_f64(b.y, b.ref, b.n, atol, rtol);
    TU_ASSERT_CMP(c, 4, xs, "instance norm model");
    tryon_model_free(m);
    bufs_free(&b);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(inorm_builder_rejects_bad_operands) {
    tryon_ctx *ctx = tu_ctx(1);
    static const char *expect[] = {
        "has rank 3, expected 4", "has dtype U8, expected F32",   "has shape [4], expected [3]",
        "'beta' has rank 2",      "'res' has shape [1, 4, 5, 3]", "eps must be >= 0",
        "eps must be >= 0",       "invalid activation",           "clamp must be >= 0",
        "gamma is not a tensor",
    };
    for (int c = 0; c < (int)(sizeof expect / sizeof expect[0]); c++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {1, 4, 4, 3}, x3[3] = {4, 4, 3}, rs[4] = {1, 4, 5, 3};
        int64_t c3[1] = {3}, c4[1] = {4}, c2d[2] = {1, 3};
        float z[64] = {0};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        tr_epilogue ep = tr_epilogue_make(TR_ACT_NONE);
        int32_t r = 0;
        switch (c) {
        case 0:
            r = tr_instance_norm(g, tr_graph_input(g, "x3", TRYON_DTYPE_F32, 3, x3), -1, -1, -1,
                                 1e-5f, ep);
            break;
        case 1:
            r = tr_instance_norm(g, tr_graph_input(g, "q", TRYON_DTYPE_U8, 4, xs), -1, -1, -1,
                                 1e-5f, ep);
            break;
        case 2:
            r = tr_instance_norm(g, x, tr_graph_const(g, "gamma", TRYON_DTYPE_F32, 1, c4, z), -1,
                                 -1, 1e-5f, ep);
            break;
        case 3:
            r = tr_instance_norm(g, x, -1, tr_graph_const(g, "beta", TRYON_DTYPE_F32, 2, c2d, z),
                                 -1, 1e-5f, ep);
            break;
        case 4:
            r = tr_instance_norm(g, x, -1, -1, tr_graph_input(g, "res", TRYON_DTYPE_F32, 4, rs),
                                 1e-5f, ep);
            break;
        case 5: r = tr_instance_norm(g, x, -1, -1, -1, -1e-5f, ep); break;
        case 6: r = tr_instance_norm(g, x, -1, -1, -1, NAN, ep); break;
        case 7:
            ep.act = TR_ACT_COUNT;
            r = tr_instance_norm(g, x, -1, -1, -1, 1e-5f, ep);
            break;
        case 8:
            ep.clamp = -2;
            r = tr_instance_norm(g, x, tr_graph_const(g, "gamma", TRYON_DTYPE_F32, 1, c3, z), -1,
                                 -1, 1e-5f, ep);
            break;
        case 9: r = tr_instance_norm(g, x, 42, -1, -1, 1e-5f, ep); break;
        }
        ck_assert_int_eq(r, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), expect[c]),
                      "case %d: expected '%s' in '%s'", c, expect[c], tryon_ctx_last_error(ctx));
        ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_norm");
    TCase *tc = tcase_create("instance_norm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, inorm_exact_on_dyadic_statistics);
    tcase_add_test(tc, inorm_random_matches_double_oracle);
    tcase_add_test(tc, inorm_eps_inside_the_square_root);
    tcase_add_test(tc, inorm_zero_variance_gives_beta);
    tcase_add_test(tc, inorm_large_offset_needs_two_pass_statistics);
    tcase_add_test(tc, inorm_bitwise_identical_across_thread_counts);
    tcase_add_test(tc, inorm_through_the_model);
    tcase_add_test(tc, inorm_builder_rejects_bad_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
