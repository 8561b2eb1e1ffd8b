/* test_kernels_fast_convt.c — the fast conv_transpose2d (sub-pixel phases on
 * the GEMM micro-kernels, kernels/fast/convt.c) and linear (a 1x1 GEMM over
 * N pixels) against the reference kernels, for every ISA this machine runs.
 *
 * Error model as in tests/fast_util.h: both sides sum the same K terms
 * (the taps that reach an output; K <= KH*KW*C_in/groups) with at most two
 * roundings per term, so the accumulators differ by at most
 * 2 gamma_{K+2} S with S the reference run on |x| and |w|; bias and the
 * epilogue carry it through fu_tol. Small-integer data must match bit for
 * bit. Shapes: CycleGAN's k3 s2 p1 output_padding 1, StyleGAN2's k3 s2 p0,
 * k4 s3 p2 with two extra output rows, dilation, groups, 1 x 1 inputs,
 * channel counts around the vector widths, every activation; linear with
 * N = 1 (StyleGAN2's mapping and affine layers), several rows, K and M
 * around the vector widths. Plus bitwise equality across thread counts. */
#include "fast_util.h"
#include "util.h"

typedef struct ct_case {
    int32_t n, h, w, cin, cout, k, s, p, op, dil, groups;
    tr_act act;
    int32_t bias;
} ct_case;

static tr_conv_transpose2d_args ct_setup(const ct_case *c, tu_rng *r, int exact) {
    tr_conv_transpose2d_args a;
    memset(&a, 0, sizeof a);
    tr_conv_transpose2d_desc *d = &a.d;
    d->n = c->n, d->h = c->h, d->w = c->w, d->c_in = c->cin, d->c_out = c->cout;
    d->kh = d->kw = c->k, d->stride_h = d->stride_w = c->s, d->dil_h = d->dil_w = c->dil;
    d->pad_top = d->pad_left = c->p, d->groups = c->groups;
    d->oh = (c->h - 1) * c->s - 2 * c->p + c->dil * (c->k - 1) + 1 + c->op;
    d->ow = (c->w - 1) * c->s - 2 * c->p + c->dil * (c->k - 1) + 1 + c->op;
    d->ep = tr_epilogue_make(c->act);
    d->ep.gain = exact ? 2.0f : 1.41421356f;
    d->ep.alpha = 0.25f;
    const int64_t k = (int64_t)c->k * c->k * (c->cin / c->groups);
    a.x = kr_operand((int64_t)c->n * c->h * c->w * c->cin, r, exact, 3, 1.0f);
    a.w = kr_operand((int64_t)c->cout * k, r, exact, 3, (float)(2.0 / sqrt((double)k)));
    if (c->bias) a.bias = kr_operand(c->cout, r, exact, 8, 1.0f);
    a.y = kr_output((int64_t)c->n * d->oh * d->ow * c->cout);
    return a;
}

static void ct_release(tr_conv_transpose2d_args *a) {
    kr_release(a->x), kr_release(a->w), kr_release(a->bias), kr_release(a->y);
}

static void ct_check(const ct_case *c, int exact, uint64_t seed) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    char what[300];
    for (int32_t i = 0; i < n_isa; i++) {
        tu_rng r;
        tu_rng_seed(&r, seed);
        tr_conv_transpose2d_args a = ct_setup(c, &r, exact);
        const tr_conv_transpose2d_desc *d = &a.d;
        const int64_t ny = (int64_t)d->n * d->oh * d->ow * d->c_out;
        int64_t shape[4] = {d->n, d->oh, d->ow, d->c_out};
        snprintf(what, sizeof what, "%s convt n%d %dx%dx%d->%d k%d s%d p%d op%d d%d g%d %s%s%s",
                 tr_isa_name(isas[i]), c->n, c->h, c->w, c->cin, c->cout, c->k, c->s, c->p, c->op,
                 c->dil, c->groups, kr_act_names[c->act], c->bias ? " bias" : "",
                 exact ? " exact" : "");
        tr_fast_conv f;
        tr_fast_convt_plan(tr_fast_isa_table(isas[i]), d, 1, &f);
        ck_assert_msg(f.algo != TR_FAST_NONE, "%s: no fast path", what);
        float *packed = fu_aligned(f.packed_floats * 4);
        void *ws = fu_aligned(f.ws_bytes);
        tr_fast_convt_pack(&f, d, a.w, packed);
        tr_fast_convt_run(&f, NULL, &a, packed, ws);
        free(packed), free(ws);
        ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", what);
        tr_conv_transpose2d_args ref = a;
        ref.y = kr_output(ny);
        tr_cpu_conv_transpose2d_f32(NULL, &ref);
        if (exact) {
            tu_cmp cmp = tu_compare_exact(a.y, ref.y, ny);
            TU_ASSERT_CMP(cmp, 4, shape, what);
        } else {
            /* S: |x|, |w|, no bias, no epilogue; pre: bias, no epilogue */
            tr_conv_transpose2d_args s = a, pre = a;
            const int64_t nx = (int64_t)d->n * d->h * d->w * d->c_in;
            const int64_t k = (int64_t)d->kh * d->kw * (d->c_in / d->groups);
            float *ax = malloc((size_t)nx * 4), *aw = malloc((size_t)d->c_out * k * 4);
            for (int64_t j = 0; j < nx; j++) ax[j] = fabsf(a.x[j]);
            for (int64_t j = 0; j < d->c_out * k; j++) aw[j] = fabsf(a.w[j]);
            s.x = ax, s.w = aw, s.bias = NULL, s.d.ep = tr_epilogue_make(TR_ACT_NONE);
            s.y = malloc((size_t)ny * 4);
            tr_cpu_conv_transpose2d_f32(NULL, &s);
            pre.d.ep = tr_epilogue_make(TR_ACT_NONE);
            pre.y = malloc((size_t)ny * 4);
            tr_cpu_conv_transpose2d_f32(NULL, &pre);
            double *rf = malloc((size_t)ny * sizeof *rf), *tol = malloc((size_t)ny * sizeof *tol);
            for (int64_t j = 0; j < ny; j++) {
                double dacc = 2 * kr_gamma(k + 2) * s.y[j] * (1 + kr_gamma(k + 2));
                rf[j] = ref.y[j];
                tol[j] = fu_tol(&d->ep, dacc, 1, pre.y[j], ref.y[j]);
            }
            tu_cmp cmp = tu_compare_tol(a.y, rf, tol, ny);
            TU_ASSERT_CMP(cmp, 4, shape, what);
            free(ax), free(aw), free(s.y), free(pre.y), free(rf), free(tol);
        }
        kr_release(ref.y);
        ct_release(&a);
    }
}

START_TEST(fast_convt_matches_reference) {
    static const ct_case t[] = {
        /* n h w cin cout k s p op dil groups act bias */
        {1, 8, 8, 64, 32, 3, 2, 1, 1, 1, 1, TR_ACT_RELU, 1}, /* CycleGAN */
        {1, 5, 7, 33, 17, 3, 2, 1, 1, 1, 1, TR_ACT_NONE, 1},
        {2, 4, 4, 48, 40, 3, 2, 0, 0, 1, 1, TR_ACT_NONE, 0}, /* StyleGAN2 up */
        {1, 6, 5, 20, 7, 4, 3, 2, 2, 1, 1, TR_ACT_LRELU, 1},
        {1, 7, 6, 6, 8, 3, 2, 0, 0, 2, 2, TR_ACT_TANH, 1},
        {1, 1, 1, 3, 5, 3, 2, 1, 1, 1, 1, TR_ACT_SIGMOID, 1}, /* 1x1 input */
        {1, 3, 4, 1, 1, 2, 1, 0, 0, 1, 1, TR_ACT_RELU6, 1},   /* stride 1 */
        {2, 5, 3, 16, 33, 5, 3, 1, 0, 1, 1, TR_ACT_RELU, 1},  /* stride 3, kernel 5 */
        {1, 6, 6, 9, 12, 3, 2, 1, 1, 1, 3, TR_ACT_NONE, 1},   /* groups 3 */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ct_case c = t[i];
        if (c.act != TR_ACT_TANH && c.act != TR_ACT_SIGMOID) ct_check(&c, 1, 100 + i);
        ct_check(&c, 0, 200 + i);
    }
}
END_TEST

START_TEST(fast_convt_bitwise_identical_across_threads) {
    const ct_case c = {1, 9, 11, 40, 36, 3, 2, 1, 1, 1, 1, TR_ACT_RELU, 1};
    const tr_fast_isa *isa = tr_fast_isa_table(tr_isa_best());
    float *first = NULL;
    for (int32_t threads = 1; threads <= 4; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        tu_rng r;
        tu_rng_seed(&r, 300);
        tr_conv_transpose2d_args a = ct_setup(&c, &r, 0);
        const int64_t ny = (int64_t)a.d.n * a.d.oh * a.d.ow * a.d.c_out;
        tr_fast_conv f;
        tr_fast_convt_plan(isa, &a.d, threads, &f);
        float *packed = fu_aligned(f.packed_floats * 4);
        void *ws = fu_aligned(f.ws_bytes);
        tr_fast_convt_pack(&f, &a.d, a.w, packed);
        tr_fast_convt_run(&f, ctx->pool, &a, packed, ws);
        if (!first) {
            first = malloc((size_t)ny * 4);
            memcpy(first, a.y, (size_t)ny * 4);
        } else {
            ck_assert_msg(!memcmp(first, a.y, (size_t)ny * 4), "%d threads differ", threads);
        }
        free(packed), free(ws);
        ct_release(&a);
        tryon_ctx_free(ctx);
    }
    free(first);
}
END_TEST

/* linear through the GEMM: y = epilogue(x W^T + b), exact and within the bound. */
static void linear_check(int32_t n, int32_t k, int32_t m, tr_act act, int bias, int exact,
                         uint64_t seed) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    for (int32_t i = 0; i < n_isa; i++) {
        tu_rng r;
        tu_rng_seed(&r, seed);
        tr_linear_args a;
        memset(&a, 0, sizeof a);
        a.d.n = n, a.d.k = k, a.d.m = m;
        a.d.ep = tr_epilogue_make(act);
        a.d.ep.gain = exact ? 0.5f : 1.41421356f;
        a.x = kr_operand((int64_t)n * k, &r, exact, 3, 1.0f);
        a.w = kr_operand((int64_t)m * k, &r, exact, 3, (float)(2.0 / sqrt((double)k)));
        if (bias) a.bias = kr_operand(m, &r, exact, 8, 1.0f);
        a.y = kr_output((int64_t)n * m);
        tr_fast_conv f;
        const tr_fast_isa *isa = tr_fast_isa_table(isas[i]);
        tr_fast_linear_plan(isa, &a.d, 1, &f);
        float *packed = fu_aligned(f.packed_floats * 4);
        void *ws = fu_aligned(f.ws_bytes);
        tr_fast_linear_pack(&f, &a.d, a.w, packed);
        tr_fast_linear_run(&f, NULL, &a, packed, ws);
        free(packed), free(ws);
        char what[160];
        snprintf(what, sizeof what, "%s linear n%d k%d m%d %s%s%s", tr_isa_name(isas[i]), n, k, m,
                 kr_act_names[act], bias ? " bias" : "", exact ? " exact" : "");
        ck_assert_msg(kr_out_guard_ok(a.y, (int64_t)n * m), "%s: wrote past the output", what);
        /* the same layer as a 1x1 conv on the reference conv kernel, checked
         * through fast_util's model (the reference linear sums in the same
         * order as the reference conv) */
        tr_conv2d_args c;
        memset(&c, 0, sizeof c);
        tr_fast_linear_desc(&a.d, &c.d);
        c.x = a.x, c.w = a.w, c.bias = a.bias, c.y = a.y;
        fu_check(&c, exact, NULL, what);
        tr_linear_args ref = a;
        ref.y = kr_output((int64_t)n * m);
        tr_cpu_linear_f32(NULL, &ref);
        if (exact) {
            int64_t shape[2] = {n, m};
            tu_cmp cmp = tu_compare_exact(a.y, ref.y, (int64_t)n * m);
            TU_ASSERT_CMP(cmp, 2, shape, what);
        }
        kr_release(ref.y);
        kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
    }
}

START_TEST(fast_linear_matches_reference) {
    static const int32_t shapes[][3] = {{1, 512, 512}, {1, 1, 1},   {1, 17, 33}, {3, 512, 64},
                                        {20, 7, 5},    {15, 64, 3}, {2, 100, 47}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int act = 0; act < TR_ACT_COUNT; act++) {
            if (act < TR_ACT_TANH)
                linear_check(shapes[i][0], shapes[i][1], shapes[i][2], (tr_act)act, (int)(i % 2), 1,
                             400 + i);
            linear_check(shapes[i][0], shapes[i][1], shapes[i][2], (tr_act)act, (int)(i % 2), 0,
                         500 + i);
        }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_fast_convt");
    TCase *tc = tcase_create("fast_convt");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fast_convt_matches_reference);
    tcase_add_test(tc, fast_convt_bitwise_identical_across_threads);
    tcase_add_test(tc, fast_linear_matches_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
