/* test_kernels_linear.c — the CPU reference linear kernel (kernels/cpu/linear.c)
 * and the fused epilogue with the standalone elementwise ops of
 * kernels/cpu/epilogue.c, against double oracles: exact on small integers,
 * else within the bound of tests/kernel_ref.h; special values (NaN, inf,
 * signed zero) against the definitions and PyTorch's behaviour; guard
 * bands; thread-count determinism. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "kernel_ref.h"
#include "pool.h"
#include "util.h"

/* Oracle and bound: K products (one rounding each) summed, plus the bias:
 * |err| <= gamma_{K+1} (sum |x w| + |bias|). */
static void linear_check_pool(int32_t n, int32_t k, int32_t m, int bias, tr_epilogue ep, int exact,
                              uint64_t seed, tr_pool *pool, float *out_copy) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    tr_linear_args a;
    memset(&a, 0, sizeof a);
    a.d.n = n, a.d.k = k, a.d.m = m, a.d.ep = ep;
    a.x = kr_operand((int64_t)n * k, &r, exact, 3, 1.0f);
    a.w = kr_operand((int64_t)m * k, &r, exact, 3, (float)(1.5 / sqrt((double)k)));
    if (bias) a.bias = kr_operand(m, &r, exact, 8, 1.0f);
    int64_t ny = (int64_t)n * m, shape[2] = {n, m};
    a.y = kr_output(ny);
    double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < m; j++) {
            double acc = 0, mag = 0;
            for (int32_t q = 0; q < k; q++) {
                double p = (double)a.x[(int64_t)i * k + q] * a.w[(int64_t)j * k + q];
                acc += p, mag += fabs(p);
            }
            double b = bias ? a.bias[j] : 0;
            kr_epilogue_ref(&ep, acc + b, kr_gamma((int64_t)k + 1) * (mag + fabs(b)), 0,
                            &ref[(int64_t)i * m + j], &tol[(int64_t)i * m + j]);
        }
    tr_cpu_linear_f32(pool, &a);
    char what[128];
    snprintf(what, sizeof what, "linear %dx%d -> %d %s gain %g clamp %g%s", n, k, m,
             kr_act_names[ep.act], ep.gain, ep.clamp, bias ? " bias" : "");
    ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", what);
    if (exact) {
        kr_assert_exact(a.y, ref, ny, 2, shape, what);
    } else {
        tu_cmp c = tu_compare_tol(a.y, ref, tol, ny);
        TU_ASSERT_CMP(c, 2, shape, what);
    }
    if (out_copy) memcpy(out_copy, a.y, (size_t)ny * sizeof *out_copy);
    free(ref), free(tol);
    kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
}

START_TEST(linear_exact_and_random) {
    static const int32_t shapes[][3] = {{1, 1, 1},   {1, 7, 1},    {3, 1, 5},     {2, 13, 17},
                                        {4, 64, 33}, {5, 127, 31}, {1, 512, 512}, {2, 2053, 3}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int bias = 0; bias < 2; bias++) {
            tr_epilogue e = tr_epilogue_make(TR_ACT_NONE);
            linear_check_pool(shapes[i][0], shapes[i][1], shapes[i][2], bias, e, 1,
                              1500 + i * 2 + (uint64_t)bias, NULL, NULL);
            linear_check_pool(shapes[i][0], shapes[i][1], shapes[i][2], bias, e, 0,
                              1600 + i * 2 + (uint64_t)bias, NULL, NULL);
        }
    for (int act = 0; act < TR_ACT_COUNT; act++) {
        tr_epilogue e = tr_epilogue_make((tr_act)act);
        e.gain = 1.41421356f, e.clamp = 0.9f; /* StyleGAN's mapping-layer epilogue shape */
        linear_check_pool(3, 96, 40, 1, e, 0, 1700 + (uint64_t)act, NULL, NULL);
        if (act <= TR_ACT_LRELU) {
            e.alpha = 0.25f, e.gain = 0.5f, e.clamp = 9.0f;
            linear_check_pool(3, 96, 40, 1, e, 1, 1750 + (uint64_t)act, NULL, NULL);
        }
    }
}
END_TEST

START_TEST(linear_bitwise_identical_across_threads) {
    float *first = malloc(7 * 300 * sizeof *first), *now = malloc(7 * 300 * sizeof *now);
    for (int32_t threads = 1; threads <= 4; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        linear_check_pool(7, 257, 300, 1, tr_epilogue_make(TR_ACT_LRELU), 0, 51, ctx->pool,
                          threads == 1 ? first : now);
        if (threads > 1)
            ck_assert_msg(!memcmp(first, now, 7 * 300 * sizeof *now), "%d threads differ", threads);
        tryon_ctx_free(ctx);
    }
    free(first), free(now);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* epilogue and the standalone elementwise ops of epilogue.c                 */

START_TEST(epilogue_defaults_and_names) {
    for (int act = 0; act < TR_ACT_COUNT; act++) {
        tr_epilogue e = tr_epilogue_make((tr_act)act);
        ck_assert_int_eq(e.act, act);
        ck_assert(e.gain == 1.0f && e.clamp == 0.0f && e.alpha == 0.2f);
        ck_assert_str_eq(tr_act_name((tr_act)act), kr_act_names[act]);
    }
    ck_assert_str_eq(tr_act_name(TR_ACT_COUNT), "?");
    ck_assert_str_eq(tr_act_name((tr_act)-1), "?");
}
END_TEST

START_TEST(act_special_values) {
    /* Expected values from the definitions and PyTorch (relu(NaN) = NaN,
     * sigmoid(-inf) = 0, tanh(+-inf) = +-1, clamp(NaN) = NaN). Sigmoid is
     * computed in double and rounded once, as TF.js does (PoseNet matches TF.js
     * bit for bit): sigmoid(-100) is the subnormal 3.78e-44, where PyTorch's
     * float kernel returns 0 (exp(100) overflows); they differ by < FLT_MIN. */
    const float in[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 100.0f, -100.0f, 3.0f, -3.0f, 7.0f};
    enum { NI = sizeof in / sizeof in[0] };
    const float want[TR_ACT_COUNT][NI] = {
        {NAN, INFINITY, -INFINITY, 0, 0, 100, -100, 3, -3, 7},
        {NAN, INFINITY, 0, 0, 0, 100, 0, 3, 0, 7},
        {NAN, 6, 0, 0, 0, 6, 0, 3, 0, 6},
        {NAN, INFINITY, -INFINITY, 0, 0, 100, -25, 3, -0.75f, 7},
        {NAN, 1, -1, 0, 0, 1, -1, tanhf(3.0f), tanhf(-3.0f), tanhf(7.0f)},
        {NAN, 1, 0, 0.5f, 0.5f, 1, (float)(1 / (1 + exp(100.0))), (float)(1 / (1 + exp(-3.0))),
         (float)(1 / (1 + exp(3.0))), (float)(1 / (1 + exp(-7.0)))},
    };
    float *y = kr_output(NI);
    for (int act = 0; act < TR_ACT_COUNT; act++) {
        tr_epilogue e = tr_epilogue_make((tr_act)act);
        e.alpha = 0.25f;
        tr_cpu_act_f32(NULL, in, NI, &e, y);
        int64_t shape[1] = {NI};
        tu_cmp c = tu_compare(y, want[act], NI, 0, 8 * KR_U); /* tanhf/expf vs same libm */
        TU_ASSERT_CMP(c, 1, shape, kr_act_names[act]);
        ck_assert(kr_out_guard_ok(y, NI));
        /* gain and clamp: NaN stays NaN, infinities clamp to +-clamp */
        e.gain = 2, e.clamp = 5;
        tr_cpu_act_f32(NULL, in, NI, &e, y);
        for (int i = 0; i < NI; i++) {
            float v = want[act][i] * 2;
            v = v < -5 ? -5 : (v > 5 ? 5 : v);
            ck_assert_msg(isnan(want[act][i]) ? isnan(y[i]) : fabsf(y[i] - v) <= 1e-6f,
                          "%s gain 2 clamp 5 at %g: got %g want %g", kr_act_names[act], in[i], y[i],
                          v);
        }
    }
    kr_release(y);
}
END_TEST

START_TEST(act_random_in_place_vs_double) {
    /* In place (documented), every activation, random gain and clamp, values
     * across [-12, 12] so that tanh and sigmoid saturate at both ends. */
    enum { N = 5000 };
    tu_rng r;
    tu_rng_seed(&r, 61);
    float *x = kr_output(N);
    double *ref = malloc(N * sizeof *ref), *tol = malloc(N * sizeof *tol);
    for (int rep = 0; rep < 4 * TR_ACT_COUNT; rep++) {
        tr_epilogue e = tr_epilogue_make((tr_act)(rep % TR_ACT_COUNT));
        e.alpha = tu_rng_uniform(&r, 0.0f, 0.5f);
        e.gain = tu_rng_uniform(&r, 0.25f, 2.0f);
        e.clamp = rep / TR_ACT_COUNT % 2 ? tu_rng_uniform(&r, 0.1f, 8.0f) : 0.0f;
        tu_fill_uniform(x, N, &r, -12, 12);
        for (int i = 0; i < N; i++) kr_epilogue_ref(&e, x[i], 0, 0, &ref[i], &tol[i]);
        tr_cpu_act_f32(NULL, x, N, &e, x);
        int64_t shape[1] = {N};
        tu_cmp c = tu_compare_tol(x, ref, tol, N);
        TU_ASSERT_CMP(c, 1, shape, kr_act_names[e.act]);
        ck_assert(kr_out_guard_ok(x, N));
    }
    free(ref), free(tol);
    kr_release(x);
}
END_TEST

START_TEST(scale_and_u8_conversion) {
    /* x * scale + bias: exact on integers with a power-of-two scale; the u8
     * path over all 256 values with the usual [-1, 1] normalisation, two
     * roundings: |err| <= u (|x s| + |b|) + u |y|. */
    enum { N = 1000 };
    tu_rng r;
    tu_rng_seed(&r, 71);
    float *x = kr_operand(N, &r, 1, 1000, 0), *y = kr_output(N), *want = malloc(N * sizeof *want);
    for (int i = 0; i < N; i++) want[i] = (float)(x[i] * 0.125 - 3.0);
    tr_cpu_scale_f32(NULL, x, N, 0.125f, -3.0f, y);
    int64_t shape[1] = {N};
    tu_cmp c = tu_compare_exact(y, want, N);
    TU_ASSERT_CMP(c, 1, shape, "scale");
    ck_assert(kr_out_guard_ok(y, N));
    tr_cpu_scale_f32(NULL, x, N, 0.125f, -3.0f, x); /* in place */
    c = tu_compare_exact(x, want, N);
    TU_ASSERT_CMP(c, 1, shape, "scale in place");

    uint8_t u8[256];
    double ref[256], tol[256];
    const float s = 1.0f / 127.5f, b = -1.0f;
    for (int i = 0; i < 256; i++) {
        u8[i] = (uint8_t)i;
        ref[i] = i * (double)s + b;
        tol[i] = KR_U * (i * (double)s + 1) + KR_U * fabs(ref[i]);
    }
    float *yu = kr_output(256);
    tr_cpu_u8_to_f32(NULL, u8, 256, s, b, yu);
    int64_t s256[1] = {256};
    c = tu_compare_tol(yu, ref, tol, 256);
    TU_ASSERT_CMP(c, 1, s256, "u8 to f32");
    ck_assert(yu[0] == -1.0f && fabsf(yu[255] - 1.0f) <= 5 * KR_U);
    ck_assert(kr_out_guard_ok(yu, 256));
    kr_release(x), kr_release(y), kr_release(yu), free(want);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_linear");
    TCase *tc = tcase_create("linear_epilogue");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, linear_exact_and_random);
    tcase_add_test(tc, linear_bitwise_identical_across_threads);
    tcase_add_test(tc, epilogue_defaults_and_names);
    tcase_add_test(tc, act_special_values);
    tcase_add_test(tc, act_random_in_place_vs_double);
    tcase_add_test(tc, scale_and_u8_conversion);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
