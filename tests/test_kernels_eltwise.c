/* test_kernels_eltwise.c — elementwise reference kernels: binary add/sub/mul
 * with broadcasting (kernels/cpu/binary.c), scale, activations and the u8
 * cast (kernels/cpu/epilogue.c, epilogue.h), each through a direct kernel
 * call with guard bands and through its builder in a planned model, plus the
 * builders' error paths. Concat and permute: tests/test_kernels_movement.c.
 *
 * Exactness: +, -, * of two floats computed in double and rounded once to
 * float give the correctly rounded float result (double has >= 2p+2 bits, so
 * the double rounding is innocuous), hence binary ops are compared bitwise on
 * arbitrary data. Scale,
 * the u8 cast and the activations are exact on dyadic data; otherwise the
 * tolerance is derived where it is used. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "pool.h"
#include "util.h"

/* Unit roundoff of f32 (half an ulp of 1). */
#define U32 (0x1p-24)

static tryon_model *make_model(tryon_ctx *ctx, tr_graph *g) {
    tryon_model *m = NULL;
    tryon_status st = tr_model_create(ctx, g, &m);
    ck_assert_msg(st == TRYON_OK, "tr_model_create: %s", tryon_ctx_last_error(ctx));
    return m;
}

static tr_graph *new_graph(tryon_ctx *ctx) {
    tr_graph *g = NULL;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    return g;
}

static void *model_out(tryon_model *m, int32_t i) {
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_output(m, i, &t), TRYON_OK);
    return t.data;
}

static void *model_in(tryon_model *m, int32_t i) {
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_input(m, i, &t), TRYON_OK);
    return t.data;
}

static int64_t prod(int32_t nd, const int64_t *s) {
    int64_t p = 1;
    for (int32_t i = 0; i < nd; i++) p *= s[i];
    return p;
}

/* Asserts that the builder failed and that the message names the problem. */
static void expect_fail(tryon_ctx *ctx, int32_t id, const char *msg, const char *what) {
    ck_assert_msg(id == -1, "%s: builder accepted it (id %d)", what, id);
    ck_assert_msg(strstr(tryon_ctx_last_error(ctx), msg), "%s: expected '%s' in '%s'", what, msg,
                  tryon_ctx_last_error(ctx));
}

/* ---- binary --------------------------------------------------------------- */

/* Oracle: NumPy broadcasting on 4-D shapes, each op in double then rounded. */
static void binary_oracle(tr_binary_op op, const float *a, const int64_t as[4], const float *b,
                          const int64_t bs[4], float *y, const int64_t ys[4]) {
    int64_t i[4];
    for (i[0] = 0; i[0] < ys[0]; i[0]++)
        for (i[1] = 0; i[1] < ys[1]; i[1]++)
            for (i[2] = 0; i[2] < ys[2]; i[2]++)
                for (i[3] = 0; i[3] < ys[3]; i[3]++) {
                    int64_t ia = 0, ib = 0, iy = 0;
                    for (int k = 0; k < 4; k++) {
                        ia = ia * as[k] + (as[k] == 1 ? 0 : i[k]);
                        ib = ib * bs[k] + (bs[k] == 1 ? 0 : i[k]);
                        iy = iy * ys[k] + i[k];
                    }
                    double va = a[ia], vb = b[ib];
                    double v = op == TR_BINARY_ADD   ? va + vb
                               : op == TR_BINARY_SUB ? va - vb
                                                     : va * vb;
                    y[iy] = (float)v;
                }
}

/* Right-aligns an nd-dim shape into 4 dims with leading 1s. */
static void pad4(int32_t nd, const int64_t *s, int64_t out[4]) {
    for (int k = 0; k < 4; k++) out[k] = 1;
    for (int32_t k = 0; k < nd; k++) out[4 - nd + k] = s[k];
}

/* Every rank pair 1..4 x 1..4 and every choice of broadcast (size-1) dims
 * in a and in b: 900 graphs, each with add, sub and mul outputs. */
START_TEST(binary_broadcasts_every_pattern_through_the_model) {
    static const int64_t full[4] = {2, 3, 4, 5};
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 101);
    int graphs = 0;
    for (int32_t ra = 1; ra <= 4; ra++)
        for (int32_t rb = 1; rb <= 4; rb++)
            for (int32_t ma = 0; ma < (1 << ra); ma++)
                for (int32_t mb = 0; mb < (1 << rb); mb++) {
                    int64_t as[4], bs[4], a4[4], b4[4], y4[4];
                    for (int32_t k = 0; k < ra; k++) as[k] = (ma >> k & 1) ? 1 : full[4 - ra + k];
                    for (int32_t k = 0; k < rb; k++) bs[k] = (mb >> k & 1) ? 1 : full[4 - rb + k];
                    pad4(ra, as, a4);
                    pad4(rb, bs, b4);
                    int32_t nd = ra > rb ? ra : rb;
                    for (int k = 0; k < 4; k++) y4[k] = a4[k] > b4[k] ? a4[k] : b4[k];
                    tr_graph *g = new_graph(ctx);
                    int32_t a = tr_graph_input(g, "a", TRYON_DTYPE_F32, ra, as);
                    int32_t b = tr_graph_input(g, "b", TRYON_DTYPE_F32, rb, bs);
                    int32_t outs[TR_BINARY_COUNT];
                    for (int op = 0; op < TR_BINARY_COUNT; op++) {
                        outs[op] = tr_binary(g, (tr_binary_op)op, a, b);
                        ck_assert_int_ge(outs[op], 0);
                        const tr_tensor *t = &g->tensors[outs[op]];
                        ck_assert_int_eq(t->ndim, nd);
                        for (int32_t k = 0; k < nd; k++)
                            ck_assert_int_eq(t->shape[k], y4[4 - nd + k]);
                        tr_graph_output(g, outs[op], "y");
                    }
                    tryon_model *m = make_model(ctx, g);
                    float *xa = model_in(m, 0), *xb = model_in(m, 1);
                    tu_fill_uniform(xa, prod(ra, as), &r, -4, 4);
                    tu_fill_uniform(xb, prod(rb, bs), &r, -4, 4);
                    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
                    int64_t ny = prod(4, y4);
                    float *ref = malloc((size_t)ny * sizeof *ref);
                    for (int op = 0; op < TR_BINARY_COUNT; op++) {
                        binary_oracle((tr_binary_op)op, xa, a4, xb, b4, ref, y4);
                        tu_cmp c = tu_compare_exact(model_out(m, op), ref, ny);
                        char what[96];
                        snprintf(what, sizeof what, "op %d ranks %d,%d masks %d,%d", op, ra, rb, ma,
                                 mb);
                        TU_ASSERT_CMP(c, 4, y4, what);
                    }
                    free(ref);
                    tryon_model_free(m);
                    graphs++;
                }
    ck_assert_int_eq(graphs, 900);
    tryon_ctx_free(ctx);
}
END_TEST

/* Direct calls on edge shapes (1x1x1x1, primes, both operands broadcast on
 * different axes) with guard bands, on a 3-thread pool. */
START_TEST(binary_direct_edge_shapes_keep_guard_bands) {
    static const int64_t cases[][2][4] = {
        {{1, 1, 1, 1}, {1, 1, 1, 1}},    {{3, 1, 7, 1}, {1, 5, 1, 11}},
        {{1, 13, 1, 1}, {2, 13, 17, 3}}, {{2, 3, 5, 7}, {1, 1, 1, 1}},
        {{1, 1, 1, 257}, {31, 1, 1, 1}}, {{2, 3, 5, 7}, {2, 3, 5, 7}},
    };
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 7);
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const int64_t *as = cases[ci][0], *bs = cases[ci][1];
        int64_t ys[4];
        for (int k = 0; k < 4; k++) ys[k] = as[k] > bs[k] ? as[k] : bs[k];
        int64_t na = prod(4, as), nb = prod(4, bs), ny = prod(4, ys);
        float *a = malloc((size_t)na * 4), *b = malloc((size_t)nb * 4),
              *ref = malloc((size_t)ny * 4);
        tu_fill_uniform(a, na, &r, -100, 100);
        tu_fill_uniform(b, nb, &r, -100, 100);
        for (int op = 0; op < TR_BINARY_COUNT; op++) {
            float *y = tu_guarded_alloc(ny);
            /* operands swapped for odd cases: a broadcast along axes b is not */
            int sw = (int)(ci & 1);
            tr_cpu_binary_f32(ctx->pool, (tr_binary_op)op, sw ? b : a, sw ? bs : as, sw ? a : b,
                              sw ? as : bs, y, ys);
            binary_oracle((tr_binary_op)op, sw ? b : a, sw ? bs : as, sw ? a : b, sw ? as : bs, ref,
                          ys);
            ck_assert_msg(tu_guard_ok(y, ny), "case %zu op %d wrote past the output", ci, op);
            tu_cmp c = tu_compare_exact(y, ref, ny);
            TU_ASSERT_CMP(c, 4, ys, "binary direct");
            tu_guarded_free(y);
        }
        free(a), free(b), free(ref);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* The same tensor on both sides (the planner sees a duplicate operand). */
START_TEST(binary_same_operand_twice) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g = new_graph(ctx);
    int64_t s[3] = {3, 4, 5};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 3, s);
    int32_t y = tr_binary(g, TR_BINARY_MUL, x, x);
    tr_graph_output(g, tr_binary(g, TR_BINARY_ADD, y, y), "y");
    tryon_model *m = make_model(ctx, g);
    float *in = model_in(m, 0);
    tu_rng r;
    tu_rng_seed(&r, 3);
    tu_fill_int(in, 60, &r, -50, 50);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    float ref[60];
    for (int i = 0; i < 60; i++) ref[i] = 2 * in[i] * in[i]; /* exact: small integers */
    tu_cmp c = tu_compare_exact(model_out(m, 0), ref, 60);
    TU_ASSERT_CMP(c, 3, s, "2*x*x");
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(binary_builder_rejects_bad_operands) {
    tryon_ctx *ctx = tu_ctx(1);
    int64_t s1[2] = {4, 5}, s2[2] = {3, 5}, s3[4] = {2, 1, 4, 5};
    for (int c = 0; c < 6; c++) {
        tr_graph *g = new_graph(ctx);
        int32_t a = tr_graph_input(g, "a", TRYON_DTYPE_F32, 2, s1);
        int32_t b = tr_graph_input(g, "b", TRYON_DTYPE_F32, 2, s2);
        int32_t q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 2, s1);
        int32_t d = tr_graph_input(g, "d", TRYON_DTYPE_F32, 4, s3);
        switch (c) {
        case 0:
            expect_fail(ctx, tr_binary(g, TR_BINARY_ADD, a, b), "do not broadcast", "4x5+3x5");
            break;
        case 1:
            expect_fail(ctx, tr_binary(g, TR_BINARY_COUNT, a, a), "invalid op", "op COUNT");
            break;
        case 2:
            expect_fail(ctx, tr_binary(g, (tr_binary_op)-1, a, a), "invalid op", "op -1");
            break;
        case 3:
            expect_fail(ctx, tr_binary(g, TR_BINARY_MUL, a, q), "dtype U8", "u8 operand");
            break;
        case 4:
            expect_fail(ctx, tr_binary(g, TR_BINARY_SUB, 99, a), "not a tensor", "bad id");
            break;
        case 5:
            /* (2,1,4,5) with (3,5): 4 vs 3 in the second-to-last dim */
            expect_fail(ctx, tr_binary(g, TR_BINARY_ADD, d, b), "do not broadcast", "rank 4 vs 2");
            break;
        }
        /* sticky: the planner reports the same error */
        ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- scale and u8 cast ------------------------------------------------------ */

START_TEST(scale_exact_on_dyadic_data_and_in_place) {
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 5);
    const int64_t n = 100003; /* prime, several pool chunks */
    float *x = malloc(n * 4), *ref = malloc(n * 4), *y = tu_guarded_alloc(n);
    tu_fill_int(x, n, &r, -1000, 1000);
    /* x*0.25 - 3 is exact in f32 for |x| <= 1000 */
    for (int64_t i = 0; i < n; i++) ref[i] = (float)((double)x[i] * 0.25 - 3.0);
    tr_cpu_scale_f32(ctx->pool, x, n, 0.25f, -3.0f, y);
    ck_assert(tu_guard_ok(y, n));
    tu_cmp c = tu_compare_exact(y, ref, n);
    TU_ASSERT_CMP(c, 1, &n, "scale dyadic");
    tr_cpu_scale_f32(ctx->pool, x, n, 0.25f, -3.0f, x); /* documented: may run in place */
    c = tu_compare_exact(x, ref, n);
    TU_ASSERT_CMP(c, 1, &n, "scale in place");
    free(x), free(ref), tu_guarded_free(y);
    tryon_ctx_free(ctx);
}
END_TEST

/* Random data: x*s rounds once (<= u|x s|), + b rounds once (<= u|y|); the
 * bound u*max|x s| + u|y| is doubled to cover second-order terms. */
START_TEST(scale_random_matches_double_oracle) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 6);
    const int64_t n = 4099;
    float *x = malloc(n * 4), *y = tu_guarded_alloc(n);
    double *ref = malloc(n * 8);
    tu_fill_uniform(x, n, &r, -10, 10);
    const float s = 0.7853982f, b = -1.3f;
    double mx = 0;
    for (int64_t i = 0; i < n; i++) {
        ref[i] = (double)x[i] * s + b;
        mx = fmax(mx, fabs((double)x[i] * s));
    }
    tr_cpu_scale_f32(ctx->pool, x, n, s, b, y);
    ck_assert(tu_guard_ok(y, n));
    tu_cmp c = tu_compare_f64(y, ref, n, 2 * U32 * mx, 2 * U32);
    TU_ASSERT_CMP(c, 1, &n, "scale random");
    free(x), free(ref), tu_guarded_free(y);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(u8_to_f32_every_byte) {
    tryon_ctx *ctx = tu_ctx(2);
    uint8_t x[256 * 3];
    for (int i = 0; i < 256 * 3; i++) x[i] = (uint8_t)(i * 7 + i / 256);
    const int64_t n = 256 * 3;
    float *y = tu_guarded_alloc(n), ref[256 * 3];
    /* x/128 - 1 is exact */
    for (int64_t i = 0; i < n; i++) ref[i] = (float)(x[i] / 128.0 - 1.0);
    tr_cpu_u8_to_f32(ctx->pool, x, n, 1.0f / 128, -1.0f, y);
    ck_assert(tu_guard_ok(y, n));
    tu_cmp c = tu_compare_exact(y, ref, n);
    TU_ASSERT_CMP(c, 1, &n, "u8 /128 - 1");
    /* x/127.5 - 1 (the TF.js/CycleGAN normalisation): the float scale is
     * 1/127.5 rounded; the oracle uses that float scale in double, so only
     * the kernel's two roundings remain: <= u*|x s| + u*|y| with |x s| <= 2. */
    const float s = 1.0f / 127.5f;
    double refd[256 * 3];
    for (int64_t i = 0; i < n; i++) refd[i] = (double)x[i] * s - 1.0;
    tr_cpu_u8_to_f32(ctx->pool, x, n, s, -1.0f, y);
    c = tu_compare_f64(y, refd, n, 2 * U32 * 2.0, 2 * U32);
    TU_ASSERT_CMP(c, 1, &n, "u8 /127.5 - 1");
    tu_guarded_free(y);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(scale_and_cast_through_the_model) {
    tryon_ctx *ctx = tu_ctx(2);
    tr_graph *g = new_graph(ctx);
    int64_t s[4] = {1, 5, 7, 3};
    int32_t q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 4, s);
    int32_t f = tr_cast_u8(g, q, 0.5f, -64.0f);
    ck_assert_int_eq(g->tensors[f].dtype, TRYON_DTYPE_F32);
    tr_graph_output(g, tr_scale(g, f, -2.0f, 1.0f), "y");
    tryon_model *m = make_model(ctx, g);
    uint8_t *in = model_in(m, 0);
    for (int i = 0; i < 105; i++) in[i] = (uint8_t)(i * 37);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    float ref[105];
    for (int i = 0; i < 105; i++) ref[i] = (float)((in[i] * 0.5 - 64.0) * -2.0 + 1.0);
    tu_cmp c = tu_compare_exact(model_out(m, 0), ref, 105);
    TU_ASSERT_CMP(c, 4, s, "cast + scale model");
    tryon_model_free(m);
    /* errors: wrong dtypes */
    g = new_graph(ctx);
    q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 4, s);
    f = tr_graph_input(g, "f", TRYON_DTYPE_F32, 4, s);
    expect_fail(ctx, tr_cast_u8(g, f, 1, 0), "expected U8", "cast f32");
    tr_graph_free(g);
    g = new_graph(ctx);
    q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 4, s);
    expect_fail(ctx, tr_scale(g, q, 1, 0), "expected F32", "scale u8");
    tr_graph_free(g);
    g = new_graph(ctx);
    expect_fail(ctx, tr_scale(g, 3, 1, 0), "not a tensor", "scale bad id");
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- activations -------------------------------------------------------------- */

/* Oracle in double from the definitions (kernels.h): act, * gain, clamp;
 * NaN propagates everywhere (PyTorch semantics). */
static double act_oracle(const tr_epilogue *e, double v) {
    if (isnan(v)) return v;
    switch (e->act) {
    case TR_ACT_NONE: break;
    case TR_ACT_RELU: v = fmax(v, 0.0); break;
    case TR_ACT_RELU6: v = fmin(fmax(v, 0.0), 6.0); break;
    case TR_ACT_LRELU: v = v < 0 ? v * (double)e->alpha : v; break;
    case TR_ACT_TANH: v = tanh(v); break;
    case TR_ACT_SIGMOID: v = 1.0 / (1.0 + exp(-v)); break;
    case TR_ACT_COUNT: break;
    }
    v *= (double)e->gain;
    if (e->clamp > 0) v = fmin(fmax(v, -(double)e->clamp), (double)e->clamp);
    return v;
}

/* Inputs: a uniform sweep, the extremes +-100 (sigmoid's exp overflows to
 * inf there), +-88.7 (expf's overflow edge), tiny values, +-0, +-inf, NaN. */
static int64_t act_inputs(float *x, tu_rng *r) {
    static const float special[] = {100.0f,   -100.0f,   88.72f, -88.72f, 87.0f,     -87.0f, 1e-8f,
                                    -1e-8f,   0.0f,      -0.0f,  6.0f,    5.999999f, 20.0f,  -20.0f,
                                    INFINITY, -INFINITY, NAN,    -NAN,    1e30f,     -1e30f};
    int64_t n = 0;
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) x[n++] = special[i];
    for (int i = 0; i < 2000; i++) x[n++] = tu_rng_uniform(r, -12, 12);
    return n;
}

/* Relu, relu6 and lrelu with a dyadic slope and gain are exact; the
 * clamp is exact. Sigmoid and tanh go through expf/tanhf: glibc documents
 * <= 2 ulp for both; sigmoid adds 1 + e (one rounding) and a division (one
 * rounding), and the gain one more: <= ~5 ulp relative, so rtol = 8u*2 = 16u
 * (ulp <= 2u). Results below FLT_MIN lose relative accuracy (sigmoid(-100) =
 * 3.7e-44 is subnormal; the kernel's expf(100) = inf gives 0): atol FLT_MIN. */
START_TEST(activations_match_double_oracle_incl_extremes_and_nan) {
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 17);
    float x[4096];
    const int64_t n = act_inputs(x, &r);
    double ref[4096];
    struct {
        tr_act act;
        float alpha, gain, clamp;
        int exact;
    } cases[] = {
        {TR_ACT_NONE, 0.2f, 1.0f, 0.0f, 1},
        {TR_ACT_RELU, 0.2f, 1.0f, 0.0f, 1},
        {TR_ACT_RELU6, 0.2f, 1.0f, 0.0f, 1},
        {TR_ACT_LRELU, 0.25f, 2.0f, 0.0f, 1},
        {TR_ACT_LRELU, 0.25f, 4.0f, 3.0f, 1},
        {TR_ACT_RELU, 0.2f, 0.5f, 2.5f, 1},
        {TR_ACT_NONE, 0.2f, 1.0f, 7.0f, 1},
        {TR_ACT_TANH, 0.2f, 1.0f, 0.0f, 0},
        {TR_ACT_SIGMOID, 0.2f, 1.0f, 0.0f, 0},
        {TR_ACT_TANH, 0.2f, 3.0f, 2.0f, 0},
        {TR_ACT_SIGMOID, 0.2f, 2.0f, 0.0f, 0},
        /* StyleGAN bias_act: lrelu 0.2, gain sqrt(2), clamp 256 (two roundings) */
        {TR_ACT_LRELU, 0.2f, 1.41421356f, 256.0f, 0},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        tr_epilogue e = {cases[ci].act, cases[ci].alpha, cases[ci].gain, cases[ci].clamp};
        for (int64_t i = 0; i < n; i++) ref[i] = act_oracle(&e, x[i]);
        float *y = tu_guarded_alloc(n);
        tr_cpu_act_f32(ctx->pool, x, n, &e, y);
        ck_assert(tu_guard_ok(y, n));
        char what[64];
        snprintf(what, sizeof what, "%s gain %g clamp %g", tr_act_name(e.act), e.gain, e.clamp);
        tu_cmp c = cases[ci].exact ? tu_compare_f64(y, ref, n, 0, 0)
                                   : tu_compare_f64(y, ref, n, FLT_MIN, 16 * U32);
        TU_ASSERT_CMP(c, 1, &n, what);
        /* NaN in, NaN out, even through relu and the clamp */
        ck_assert_msg(isnan(y[16]) && isnan(y[17]), "%s swallowed NaN", what);
        /* in place gives the same bits */
        float *z = malloc((size_t)n * 4);
        memcpy(z, x, (size_t)n * 4);
        tr_cpu_act_f32(ctx->pool, z, n, &e, z);
        ck_assert_msg(memcmp(z, y, (size_t)n * 4) == 0, "%s in place differs", what);
        free(z);
        tu_guarded_free(y);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(sigmoid_tanh_saturate_at_extremes) {
    float x[6] = {100.0f, -100.0f, INFINITY, -INFINITY, 1e30f, -1e30f}, y[6];
    tr_epilogue s = tr_epilogue_make(TR_ACT_SIGMOID), t = tr_epilogue_make(TR_ACT_TANH);
    tr_cpu_act_f32(NULL, x, 6, &s, y);
    /* sigmoid(100) rounds to 1; sigmoid(-100) = 3.7e-44 (subnormal) or 0 */
    ck_assert(y[0] == 1.0f && y[2] == 1.0f && y[4] == 1.0f);
    ck_assert(y[1] >= 0.0f && y[1] < 1e-40f && y[3] == 0.0f && y[5] == 0.0f);
    tr_cpu_act_f32(NULL, x, 6, &t, y);
    ck_assert(y[0] == 1.0f && y[1] == -1.0f && y[2] == 1.0f && y[3] == -1.0f);
    ck_assert(y[4] == 1.0f && y[5] == -1.0f);
}
END_TEST

START_TEST(epilogue_defaults_and_names) {
    tr_epilogue e = tr_epilogue_make(TR_ACT_LRELU);
    ck_assert(e.act == TR_ACT_LRELU && e.alpha == 0.2f && e.gain == 1.0f && e.clamp == 0.0f);
    for (int a = 0; a < TR_ACT_COUNT; a++) {
        ck_assert_str_ne(tr_act_name((tr_act)a), "?");
        for (int b = 0; b < a; b++)
            ck_assert_str_ne(tr_act_name((tr_act)a), tr_act_name((tr_act)b));
    }
    ck_assert_str_eq(tr_act_name(TR_ACT_COUNT), "?");
    ck_assert_str_eq(tr_act_name((tr_act)-1), "?");
}
END_TEST

START_TEST(activation_through_the_model_and_builder_errors) {
    tryon_ctx *ctx = tu_ctx(2);
    int64_t s[2] = {7, 11};
    for (int a = 0; a < TR_ACT_COUNT; a++) {
        tr_graph *g = new_graph(ctx);
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 2, s);
        tr_epilogue e = tr_epilogue_make((tr_act)a);
        e.alpha = 0.5f, e.gain = 2.0f, e.clamp = 5.0f;
        tr_graph_output(g, tr_activation(g, x, e), "y");
        tryon_model *m = make_model(ctx, g);
        float *in = model_in(m, 0);
        for (int i = 0; i < 77; i++) in[i] = (float)(i - 38) * 0.25f;
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        double ref[77];
        for (int i = 0; i < 77; i++) ref[i] = act_oracle(&e, in[i]);
        /* exact for the piecewise-linear ones; tanh/sigmoid as above */
        tu_cmp c = tu_compare_f64(model_out(m, 0), ref, 77, 0, a >= TR_ACT_TANH ? 16 * U32 : 0);
        TU_ASSERT_CMP(c, 2, s, tr_act_name((tr_act)a));
        tryon_model_free(m);
    }
    for (int c = 0; c < 5; c++) {
        tr_graph *g = new_graph(ctx);
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 2, s);
        int32_t q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 2, s);
        tr_epilogue e = tr_epilogue_make(TR_ACT_RELU);
        switch (c) {
        case 0:
            e.act = TR_ACT_COUNT;
            expect_fail(ctx, tr_activation(g, x, e), "invalid activation", "act COUNT");
            break;
        case 1:
            e.act = (tr_act)-3;
            expect_fail(ctx, tr_activation(g, x, e), "invalid activation", "act -3");
            break;
        case 2:
            e.clamp = -1;
            expect_fail(ctx, tr_activation(g, x, e), "clamp must be >= 0", "clamp -1");
            break;
        case 3:
            e.clamp = NAN;
            expect_fail(ctx, tr_activation(g, x, e), "clamp must be >= 0", "clamp NaN");
            break;
        case 4: expect_fail(ctx, tr_activation(g, q, e), "expected F32", "act u8"); break;
        }
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_eltwise");
    TCase *tc = tcase_create("eltwise");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, binary_broadcasts_every_pattern_through_the_model);
    tcase_add_test(tc, binary_direct_edge_shapes_keep_guard_bands);
    tcase_add_test(tc, binary_same_operand_twice);
    tcase_add_test(tc, binary_builder_rejects_bad_operands);
    tcase_add_test(tc, scale_exact_on_dyadic_data_and_in_place);
    tcase_add_test(tc, scale_random_matches_double_oracle);
    tcase_add_test(tc, u8_to_f32_every_byte);
    tcase_add_test(tc, scale_and_cast_through_the_model);
    tcase_add_test(tc, activations_match_double_oracle_incl_extremes_and_nan);
    tcase_add_test(tc, sigmoid_tanh_saturate_at_extremes);
    tcase_add_test(tc, epilogue_defaults_and_names);
    tcase_add_test(tc, activation_through_the_model_and_builder_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
