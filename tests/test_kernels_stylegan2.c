/* test_kernels_stylegan2.c — the ops StyleGAN2 adds (normalize_2nd_moment,
 * lerp, slice, reshape, demodulation coefficients, channel scaling, noise)
 * and NumPy's MT19937, each run as a one-op graph against an oracle written
 * here (double precision, or the documented formula re-derived), with
 * tolerances from the kernels' rounding (stated at each comparison). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "stylegan2.h"
#include "util.h"

static const double U = 0x1p-24; /* float unit roundoff */

/* Plans g, fills its f32/i32 inputs in order from srcs, runs it and copies
 * output 0 into out (caller-sized). */
static void run_graph(tryon_ctx *ctx, tr_graph *g, const void *const *srcs, float *out) {
    tryon_model *m;
    ck_assert_msg(tr_model_create(ctx, g, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
        tryon_tensor t;
        tryon_model_input(m, i, &t);
        size_t bytes = tryon_dtype_size(t.dtype);
        for (int32_t d = 0; d < t.ndim; d++) bytes *= (size_t)t.shape[d];
        ck_assert_int_eq(tryon_model_set_input(m, i, srcs[i], bytes), TRYON_OK);
    }
    ck_assert_msg(tryon_model_run(m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    tryon_tensor t;
    tryon_model_output(m, 0, &t);
    size_t bytes = tryon_dtype_size(t.dtype);
    for (int32_t d = 0; d < t.ndim; d++) bytes *= (size_t)t.shape[d];
    ck_assert_int_eq(tryon_model_get_output(m, 0, out, bytes), TRYON_OK);
    tryon_model_free(m);
}

static tr_graph *new_graph(tryon_ctx *ctx) {
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    return g;
}

START_TEST(normalize_2nd_moment_matches_double_oracle) {
    tryon_ctx *ctx = tu_ctx(2);
    const int64_t rows = 5, len = 513;
    tu_rng r;
    tu_rng_seed(&r, 1);
    float *x = malloc(rows * len * 4), *y = malloc(rows * len * 4);
    double *ref = malloc(rows * len * 8);
    tu_fill_uniform(x, rows * len, &r, -3, 3);
    for (int64_t k = 0; k < len; k++) x[4 * len + k] = 0; /* all-zero row: eps keeps it finite */
    for (int64_t i = 0; i < rows; i++) {
        double ss = 0;
        for (int64_t k = 0; k < len; k++) ss += (double)x[i * len + k] * x[i * len + k];
        double f = 1 / sqrt(ss / len + 1e-8);
        for (int64_t k = 0; k < len; k++) ref[i * len + k] = x[i * len + k] * f;
    }
    tr_graph *g = new_graph(ctx);
    int64_t s[2] = {rows, len};
    int32_t in = tr_graph_input(g, "x", TRYON_DTYPE_F32, 2, s);
    tr_graph_output(g, tr_normalize_2nd_moment(g, in, 1e-8f), "y");
    const void *srcs[1] = {x};
    run_graph(ctx, g, srcs, y);
    /* The factor is rounded once from double (U) and the product once (U):
     * at most 2U relative; 2.5U leaves room for the eps representation. */
    tu_cmp c = tu_compare_f64(y, ref, rows * len, 0, 2.5 * U);
    TU_ASSERT_CMP(c, 2, s, "normalize_2nd_moment");
    free(x), free(y), free(ref);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(lerp_broadcasts_like_truncation_and_is_exact_at_ends) {
    tryon_ctx *ctx = tu_ctx(3);
    const int32_t N = 3, K = 6, D = 37;
    tu_rng r;
    tu_rng_seed(&r, 2);
    float avg[37], x[3 * 37], psi[6] = {0.7f, -0.3f, 0.5f, 0.49f, 1.0f, 0.0f}, y[3 * 6 * 37];
    double ref[3 * 6 * 37], scale[3 * 6 * 37];
    tu_fill_uniform(avg, D, &r, -2, 2);
    tu_fill_uniform(x, N * D, &r, -5, 5);
    for (int32_t n = 0; n < N; n++)
        for (int32_t k = 0; k < K; k++)
            for (int32_t d = 0; d < D; d++) {
                double a = avg[d], b = x[n * D + d];
                ref[(n * K + k) * D + d] = a + psi[k] * (b - a);
                scale[(n * K + k) * D + d] = fabs(a) + fabs(b);
            }
    tr_graph *g = new_graph(ctx);
    int64_t as[1] = {D}, xs[3] = {N, 1, D}, ps[2] = {K, 1};
    int32_t a = tr_graph_input(g, "avg", TRYON_DTYPE_F32, 1, as);
    int32_t b = tr_graph_input(g, "x", TRYON_DTYPE_F32, 3, xs);
    int32_t t = tr_graph_input(g, "psi", TRYON_DTYPE_F32, 2, ps);
    int32_t out = tr_lerp(g, a, b, t);
    ck_assert_int_ge(out, 0);
    ck_assert_int_eq(g->tensors[out].ndim, 3);
    ck_assert(g->tensors[out].shape[0] == N && g->tensors[out].shape[1] == K &&
              g->tensors[out].shape[2] == D);
    tr_graph_output(g, out, "y");
    const void *srcs[3] = {avg, x, psi};
    run_graph(ctx, g, srcs, y);
    /* Float evaluation: b - a, the product and the sum each round once, so the
     * error is at most 3U * (|a| + |b|) (|t| <= 1 here). */
    for (int32_t i = 0; i < N * K * D; i++)
        ck_assert_msg(fabs(y[i] - ref[i]) <= 3 * U * scale[i], "lerp %d: %.9g vs %.9g", i, y[i],
                      ref[i]);
    for (int32_t n = 0; n < N; n++)
        for (int32_t d = 0; d < D; d++) { /* psi 1 -> x and psi 0 -> w_avg, bitwise */
            ck_assert(y[(n * K + 4) * D + d] == x[n * D + d]);
            ck_assert(y[(n * K + 5) * D + d] == avg[d]);
        }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(slice_and_reshape_copy_exactly) {
    tryon_ctx *ctx = tu_ctx(2);
    const int32_t N = 2, K = 5, D = 7;
    int32_t xi[2 * 5 * 7];
    for (int32_t i = 0; i < N * K * D; i++) xi[i] = i * 3 - 11;
    tr_graph *g = new_graph(ctx);
    int64_t xs[3] = {N, K, D}, rs[2] = {N * 2, D};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_I32, 3, xs);
    int32_t s = tr_slice(g, x, 1, 2, 2); /* x[:, 2:4, :] */
    int32_t y = tr_reshape(g, s, 2, rs);
    ck_assert_int_ge(y, 0);
    tr_graph_output(g, y, "y");
    int32_t got[2 * 2 * 7];
    const void *srcs[1] = {xi};
    run_graph(ctx, g, srcs, (float *)got);
    for (int32_t n = 0; n < N; n++)
        for (int32_t k = 0; k < 2; k++)
            for (int32_t d = 0; d < D; d++)
                ck_assert_int_eq(got[(n * 2 + k) * D + d], xi[(n * K + k + 2) * D + d]);
    /* Bad arguments are build errors naming the problem. */
    g = new_graph(ctx);
    x = tr_graph_input(g, "x", TRYON_DTYPE_I32, 3, xs);
    ck_assert_int_eq(tr_slice(g, x, 1, 4, 2), -1);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "outside dimension 1"));
    tr_graph_free(g);
    g = new_graph(ctx);
    x = tr_graph_input(g, "x", TRYON_DTYPE_I32, 3, xs);
    int64_t bad[2] = {3, 3};
    ck_assert_int_eq(tr_reshape(g, x, 2, bad), -1);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "cannot reshape"));
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(demod_coefs_match_the_per_sample_weight_norm) {
    tryon_ctx *ctx = tu_ctx(3);
    const int32_t N = 3, CI = 19, CO = 11, KK = 9;
    tu_rng r;
    tu_rng_seed(&r, 3);
    float *w = malloc(CO * KK * CI * 4), wsq[11 * 19], s[3 * 19], d[3 * 11];
    double ref[3 * 11];
    tu_fill_uniform(w, CO * KK * CI, &r, -2, 2);
    tu_fill_uniform(s, N * CI, &r, -3, 3);
    for (int32_t o = 0; o < CO; o++)
        for (int32_t i = 0; i < CI; i++) {
            double q = 0;
            for (int32_t ab = 0; ab < KK; ab++)
                q += (double)w[(o * KK + ab) * CI + i] * w[(o * KK + ab) * CI + i];
            wsq[o * CI + i] = (float)q;
        }
    /* Oracle: StyleGAN2's definition on the modulated weight itself. */
    for (int32_t n = 0; n < N; n++)
        for (int32_t o = 0; o < CO; o++) {
            double acc = 0;
            for (int32_t ab = 0; ab < KK; ab++)
                for (int32_t i = 0; i < CI; i++) {
                    double v = (double)w[(o * KK + ab) * CI + i] * s[n * CI + i];
                    acc += v * v;
                }
            ref[n * CO + o] = 1 / sqrt(acc + 1e-8);
        }
    tr_graph *g = new_graph(ctx);
    int64_t ss[2] = {N, CI}, qs[2] = {CO, CI};
    int32_t si = tr_graph_input(g, "s", TRYON_DTYPE_F32, 2, ss);
    int32_t qi = tr_graph_input(g, "wsq", TRYON_DTYPE_F32, 2, qs);
    tr_graph_output(g, tr_demod_coefs(g, si, qi, 1e-8f), "d");
    const void *srcs[2] = {s, wsq};
    run_graph(ctx, g, srcs, d);
    /* wsq is rounded to float (U relative per term, so the sum is within U),
     * 1/sqrt halves that, and the result rounds once: <= 1.5U + double noise. */
    int64_t ds[2] = {N, CO};
    tu_cmp c = tu_compare_f64(d, ref, N * CO, 0, 2 * U);
    TU_ASSERT_CMP(c, 2, ds, "demod_coefs");
    free(w);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(scale_channels_applies_scale_noise_bias_act_gain_clamp_in_order) {
    tryon_ctx *ctx = tu_ctx(2);
    const int32_t N = 2, H = 3, W = 4, C = 5;
    tu_rng r;
    tu_rng_seed(&r, 4);
    float x[2 * 3 * 4 * 5], sc[2 * 5], add[2 * 3 * 4], bias[5], y[2 * 3 * 4 * 5];
    double ref[2 * 3 * 4 * 5], mag[2 * 3 * 4 * 5];
    tu_fill_uniform(x, N * H * W * C, &r, -3, 3);
    tu_fill_uniform(sc, N * C, &r, -2, 2);
    tu_fill_uniform(add, N * H * W, &r, -1, 1);
    tu_fill_uniform(bias, C, &r, -1, 1);
    const float gain = 1.41421356f, clamp = 2.5f;
    for (int32_t n = 0; n < N; n++)
        for (int32_t p = 0; p < H * W; p++)
            for (int32_t c = 0; c < C; c++) {
                int32_t i = (n * H * W + p) * C + c;
                double v = (double)x[i] * sc[n * C + c] + add[n * H * W + p] + bias[c];
                mag[i] = (fabs((double)x[i] * sc[n * C + c]) + fabs(add[n * H * W + p]) +
                          fabs(bias[c])) *
                         gain;
                v = v < 0 ? v * 0.2 : v; /* lrelu, then gain, then clamp (bias_act) */
                v *= gain;
                ref[i] = v < -clamp ? -clamp : (v > clamp ? clamp : v);
            }
    tr_graph *g = new_graph(ctx);
    int64_t xs[4] = {N, H, W, C}, ss[2] = {N, C}, as[4] = {N, H, W, 1}, bs[1] = {C};
    int32_t xi = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t si = tr_graph_input(g, "s", TRYON_DTYPE_F32, 2, ss);
    int32_t ai = tr_graph_input(g, "add", TRYON_DTYPE_F32, 4, as);
    int32_t bi = tr_graph_input(g, "b", TRYON_DTYPE_F32, 1, bs);
    tr_epilogue ep = tr_epilogue_make(TR_ACT_LRELU);
    ep.gain = gain, ep.clamp = clamp;
    tr_graph_output(g, tr_scale_channels(g, xi, si, ai, bi, ep), "y");
    const void *srcs[4] = {x, sc, add, bias};
    run_graph(ctx, g, srcs, y);
    /* Three float roundings before the activation (product, two sums) and two
     * after (alpha, gain): within 6U of the magnitudes involved. */
    int clamped = 0;
    for (int32_t i = 0; i < N * H * W * C; i++) {
        ck_assert_msg(fabs(y[i] - ref[i]) <= 6 * U * mag[i] + 1e-30, "%d: %.9g vs %.9g", i, y[i],
                      ref[i]);
        clamped += fabs(ref[i]) == clamp;
    }
    ck_assert_int_gt(clamped, 0); /* the clamp was exercised */
    tryon_ctx_free(ctx);
}
END_TEST

static uint64_t oracle_mix(uint64_t v) {
    v ^= v >> 30;
    v *= 0xBF58476D1CE4E5B9ull;
    v ^= v >> 27;
    v *= 0x94D049BB133111EBull;
    v ^= v >> 31;
    return v;
}

/* The generator as tryon.h documents it, re-derived here. */
static double oracle_gauss(uint64_t seed, uint64_t layer, uint64_t j) {
    uint64_t key = oracle_mix(seed + 0x9E3779B97F4A7C15ull * (layer + 1)), p = j / 2;
    double u1 = (double)((oracle_mix(key + 2 * p) >> 11) + 1) / 9007199254740992.0;
    double u2 = (double)(oracle_mix(key + 2 * p + 1) >> 11) / 9007199254740992.0;
    double rr = sqrt(-2 * log(u1)), a = 2 * 3.14159265358979323846 * u2;
    return j % 2 ? rr * sin(a) : rr * cos(a);
}

static void noise_run(int32_t threads, int32_t mode, uint64_t seed, const float *nc, float *y,
                      tryon_status *st) {
    tryon_ctx *ctx = tu_ctx(threads);
    tr_graph *g = new_graph(ctx);
    int64_t cs[1] = {4}, ns[4] = {1, 6, 5, 1};
    int32_t ctl = tr_graph_input(g, "ctl", TRYON_DTYPE_I32, 1, cs);
    int32_t nci = tr_graph_const(g, "nc", TRYON_DTYPE_F32, 4, ns, nc);
    tr_graph_output(g, tr_noise(g, ctl, nci, 3, 6, 5, 7, 0.25f), "y");
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    int32_t c[4] = {mode, (int32_t)(uint32_t)seed, (int32_t)(uint32_t)(seed >> 32), 0};
    tryon_model_set_input(m, 0, c, sizeof c);
    *st = tryon_model_run(m);
    if (*st == TRYON_OK)
        tryon_model_get_output(m, 0, y, 3 * 6 * 5 * 4);
    else
        ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "invalid mode"));
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}

START_TEST(noise_modes_const_none_random) {
    float nc[30], y[90], y3[90];
    tryon_status st;
    for (int32_t i = 0; i < 30; i++) nc[i] = (float)i - 7.5f;
    noise_run(1, TR_NOISE_CONST, 0, nc, y, &st);
    ck_assert_int_eq(st, TRYON_OK);
    for (int32_t i = 0; i < 90; i++) ck_assert(y[i] == nc[i % 30]); /* broadcast over N */
    noise_run(1, TR_NOISE_NONE, 0, nc, y, &st);
    for (int32_t i = 0; i < 90; i++) ck_assert(y[i] == 0.0f);
    const uint64_t seed = 0x123456789abcdefull;
    noise_run(1, TR_NOISE_RANDOM, seed, nc, y, &st);
    noise_run(3, TR_NOISE_RANDOM, seed, nc, y3, &st);
    /* Same libm calls in the same order as the documented formula: bitwise. */
    for (int32_t i = 0; i < 90; i++) {
        float want = (float)oracle_gauss(seed, 7, (uint64_t)i) * 0.25f;
        ck_assert_msg(y[i] == want, "noise %d: %.9g vs %.9g", i, y[i], want);
        ck_assert(y3[i] == y[i]);
    }
    noise_run(1, 9, seed, nc, y, &st);
    ck_assert_int_eq(st, TRYON_ERR_INVALID_ARG);
}
END_TEST

START_TEST(noise_generator_is_standard_normal) {
    /* Mean and variance of 2e5 draws: 6-sigma bounds (sd of the mean 1/sqrt(n),
     * of the variance sqrt(2/n)); a 4th-moment check catches a wrong shape. */
    const int64_t n = 200000;
    double s1 = 0, s2 = 0, s4 = 0;
    for (int64_t j = 0; j < n; j++) {
        double v = tr_noise_gauss(42, 3, j);
        s1 += v, s2 += v * v, s4 += v * v * v * v;
    }
    double mean = s1 / n, var = s2 / n - mean * mean, kurt = s4 / n;
    ck_assert_msg(fabs(mean) < 6 / sqrt((double)n), "mean %g", mean);
    ck_assert_msg(fabs(var - 1) < 6 * sqrt(2.0 / n), "variance %g", var);
    ck_assert_msg(fabs(kurt - 3) < 0.1, "4th moment %g", kurt);
    ck_assert(tr_noise_gauss(42, 3, 5) != tr_noise_gauss(42, 4, 5)); /* layers differ */
    ck_assert(tr_noise_gauss(42, 3, 5) != tr_noise_gauss(43, 3, 5)); /* seeds differ */
}
END_TEST

START_TEST(mt19937_matches_the_reference_sequence) {
    /* std::mt19937 (init_genrand(5489)): the C++ standard fixes the 10000th
     * output at 4123659995; Matsumoto's mt19937ar starts 3499211612. */
    tr_np_random r;
    tr_np_random_seed(&r, 5489);
    uint32_t v = tr_np_random_u32(&r);
    ck_assert_uint_eq(v, 3499211612u);
    for (int i = 1; i < 10000; i++) v = tr_np_random_u32(&r);
    ck_assert_uint_eq(v, 4123659995u);
    /* random_sample is 53-bit: every value is a multiple of 2^-53 in [0, 1). */
    tr_np_random_seed(&r, 1);
    for (int i = 0; i < 1000; i++) {
        double d = tr_np_random_double(&r);
        ck_assert(d >= 0 && d < 1 && ldexp(d, 53) == floor(ldexp(d, 53)));
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_stylegan2");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, normalize_2nd_moment_matches_double_oracle);
    tcase_add_test(tc, lerp_broadcasts_like_truncation_and_is_exact_at_ends);
    tcase_add_test(tc, slice_and_reshape_copy_exactly);
    tcase_add_test(tc, demod_coefs_match_the_per_sample_weight_norm);
    tcase_add_test(tc, scale_channels_applies_scale_noise_bias_act_gain_clamp_in_order);
    tcase_add_test(tc, noise_modes_const_none_random);
    tcase_add_test(tc, noise_generator_is_standard_normal);
    tcase_add_test(tc, mt19937_matches_the_reference_sequence);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
