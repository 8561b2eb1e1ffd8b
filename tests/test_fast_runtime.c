/* test_fast_runtime.c — the fast CPU kernels inside graphs (runtime/
 * ops_fast.c): the TRYON_CPU_ISA override, the plan's choices (fast kernels
 * under TRYON_KERNELS_OWN, none under TRYON_KERNELS_REFERENCE, Winograd only
 * where a layer allows it), planned runs equal to direct fast-kernel calls,
 * weights produced at run time packed into the workspace with the same
 * result as constant weights, no allocation while running, and ROUND_ONCE
 * graphs bitwise equal under both kernel selections. */
#include <stdlib.h>

#include "fast_util.h"
#include "model.h"
#include "ops_fast.h"
#include "util.h"

static tryon_ctx *ctx_with(int32_t threads, tryon_kernels kernels) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = threads;
    p.kernels = kernels;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    return ctx;
}

START_TEST(cpu_isa_override_from_the_environment) {
    tryon_ctx_params p = tryon_ctx_params_default();
    tryon_ctx *ctx = NULL;
    char why[256];
    unsetenv("TRYON_CPU_ISA");
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_OK);
    ck_assert_int_eq(ctx->cpu_isa, tr_isa_best());
    tryon_ctx_free(ctx);
    for (int i = 0; i < TR_ISA_COUNT; i++) {
        setenv("TRYON_CPU_ISA", tr_isa_name((tr_isa)i), 1);
        tryon_status st = tryon_ctx_init(&p, &ctx, why, sizeof why);
        if (tr_isa_available((tr_isa)i)) {
            ck_assert_msg(st == TRYON_OK, "%s: %s", tr_isa_name((tr_isa)i), why);
            ck_assert_int_eq(ctx->cpu_isa, i);
            tryon_ctx_free(ctx);
        } else {
            ck_assert_int_eq(st, TRYON_ERR_INVALID_ARG);
            ck_assert_ptr_null(ctx);
            ck_assert_msg(strstr(why, "cannot run it"), "%s", why);
        }
    }
    setenv("TRYON_CPU_ISA", "sse9", 1);
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strstr(why, "TRYON_CPU_ISA=sse9") && strstr(why, "avx512, avx2 or portable"),
                  "%s", why);
    unsetenv("TRYON_CPU_ISA");
}
END_TEST

/* x (1,32,32,24) -> conv 3x3 reflect (weights w0, constant or computed at
 * run time) -> relu -> instance norm -> conv 3x3 (Winograd allowed) -> conv
 * 1x1 to 3 channels -> conv_transpose2d k3 s2 -> output. */
typedef struct small_net {
    tr_graph *g;
    int32_t x, y;
} small_net;

static small_net build(tryon_ctx *ctx, int runtime_weights, int winograd) {
    small_net s;
    ck_assert_int_eq(tr_graph_init(ctx, &s.g), TRYON_OK);
    tr_graph *g = s.g;
    tu_rng r;
    tu_rng_seed(&r, 77);
    int64_t xs[4] = {1, 32, 32, 24}, w0s[4] = {40, 3, 3, 24}, w1s[4] = {40, 3, 3, 40};
    int64_t w2s[4] = {3, 1, 1, 40}, w3s[4] = {16, 3, 3, 3}, bs[1] = {40};
    float w0[40 * 9 * 24], w1[40 * 9 * 40], w2[3 * 40], w3[16 * 9 * 3], b[40];
    tu_fill_uniform(w0, 40 * 9 * 24, &r, -0.2f, 0.2f);
    tu_fill_uniform(w1, 40 * 9 * 40, &r, -0.15f, 0.15f);
    tu_fill_uniform(w2, 3 * 40, &r, -0.3f, 0.3f);
    tu_fill_uniform(w3, 16 * 9 * 3, &r, -0.5f, 0.5f);
    tu_fill_uniform(b, 40, &r, -0.5f, 0.5f);
    s.x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t wt0 = tr_graph_const(g, "w0", TRYON_DTYPE_F32, 4, w0s, w0);
    if (runtime_weights) wt0 = tr_scale(g, wt0, 1.0f, 0.0f); /* an arena tensor, same values */
    tr_conv_opts o = tr_conv_opts_default();
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    o.pad_mode = TR_PAD_REFLECT;
    o.bias = tr_graph_const(g, "b", TRYON_DTYPE_F32, 1, bs, b);
    o.ep = tr_epilogue_make(TR_ACT_RELU);
    int32_t t = tr_conv2d(g, s.x, wt0, &o);
    t = tr_instance_norm(g, t, -1, -1, -1, 1e-5f, tr_epilogue_make(TR_ACT_NONE));
    o.winograd = winograd;
    o.ep = tr_epilogue_make(TR_ACT_LRELU);
    t = tr_conv2d(g, t, tr_graph_const(g, "w1", TRYON_DTYPE_F32, 4, w1s, w1), &o);
    tr_conv_opts p = tr_conv_opts_default();
    t = tr_conv2d(g, t, tr_graph_const(g, "w2", TRYON_DTYPE_F32, 4, w2s, w2), &p);
    tr_convt_opts c = tr_convt_opts_default();
    c.stride_h = c.stride_w = 2;
    c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 1;
    c.out_pad_h = c.out_pad_w = 1;
    t = tr_conv_transpose2d(g, t, tr_graph_const(g, "w3", TRYON_DTYPE_F32, 4, w3s, w3), &c);
    s.y = tr_graph_output(g, t, "y");
    ck_assert_int_ge(s.y, 0);
    return s;
}

/* Runs the net on a fixed input; returns the output (malloc'ed). */
static float *run(tryon_ctx *ctx, int runtime_weights, int winograd, tryon_model **keep) {
    small_net s = build(ctx, runtime_weights, winograd);
    tryon_model *m;
    ck_assert_msg(tr_model_create(ctx, s.g, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    tryon_tensor ti, to;
    tryon_model_input(m, 0, &ti);
    tryon_model_output(m, 0, &to);
    tu_rng r;
    tu_rng_seed(&r, 78);
    tu_fill_uniform(ti.data, tr_tensor_numel(&m->g->tensors[s.x]), &r, -1, 1);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    const int64_t n = tr_tensor_numel(&m->g->tensors[s.y]);
    float *y = malloc((size_t)n * 4);
    memcpy(y, to.data, (size_t)n * 4);
    if (keep)
        *keep = m;
    else
        tryon_model_free(m);
    return y;
}

static const char *algo_of(const tr_graph *g, tr_op op, int32_t k) {
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == op && k-- == 0) return tr_fast_node_algo(g, i);
    return "none";
}

START_TEST(plan_picks_fast_kernels_only_when_asked) {
    tryon_ctx *own = ctx_with(2, TRYON_KERNELS_OWN), *ref = ctx_with(2, TRYON_KERNELS_REFERENCE);
    small_net a = build(own, 0, 1), b = build(own, 0, 0), c = build(ref, 0, 1);
    ck_assert_int_eq(tr_graph_plan(a.g), TRYON_OK);
    ck_assert_int_eq(tr_graph_plan(b.g), TRYON_OK);
    ck_assert_int_eq(tr_graph_plan(c.g), TRYON_OK);
    ck_assert_str_eq(algo_of(a.g, TR_OP_CONV2D, 0), "gemm");
    ck_assert_str_eq(algo_of(a.g, TR_OP_CONV2D, 1), "winograd");
    ck_assert_str_eq(algo_of(b.g, TR_OP_CONV2D, 1), "gemm"); /* not allowed */
    ck_assert_str_eq(algo_of(a.g, TR_OP_CONV2D, 2), "dot");
    ck_assert_str_eq(algo_of(a.g, TR_OP_CONV_TRANSPOSE2D, 0), "gemm");
    ck_assert_ptr_null(c.g->fast); /* the reference selection plans nothing */
    ck_assert_str_eq(algo_of(c.g, TR_OP_CONV2D, 1), "reference");
    tr_graph_free(a.g), tr_graph_free(b.g), tr_graph_free(c.g);
    tryon_ctx_free(own), tryon_ctx_free(ref);
}
END_TEST

START_TEST(runtime_weights_are_packed_per_run_with_the_same_result) {
    /* A weight computed by the graph is packed into the node's workspace by
     * every run; the result is that of the same weight packed at plan time,
     * bit for bit, and running allocates nothing. */
    tryon_ctx *ctx = ctx_with(2, TRYON_KERNELS_OWN);
    tryon_model *m;
    float *a = run(ctx, 0, 1, NULL), *b = run(ctx, 1, 1, &m);
    const int64_t n = 64 * 64 * 16;
    ck_assert(!memcmp(a, b, (size_t)n * 4));
    const int64_t before = tr_ctx_n_allocs(ctx);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    ck_assert_int_eq(tr_ctx_n_allocs(ctx), before);
    tryon_tensor to;
    tryon_model_output(m, 0, &to);
    ck_assert(!memcmp(a, to.data, (size_t)n * 4)); /* and runs repeat bit for bit */
    tryon_model_free(m);
    free(a), free(b);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(planned_run_equals_direct_fast_calls_and_is_close_to_reference) {
    /* The first conv alone, as a planned graph under OWN, must equal the
     * direct call of the kernel the plan chose (the planner adds nothing),
     * and stay within fast_util's bound of the reference. */
    tryon_ctx *ctx = ctx_with(3, TRYON_KERNELS_OWN);
    fu_conv c = {FU_SHAPE(1, 18, 20, 24, 40, 3, 3), FU_PAD(1, 1, 1, 1), .mode = TR_PAD_REFLECT,
                 .bias = 1, .ep = {TR_ACT_RELU, 0.2f, 1.0f, 0.0f}};
    c = fu_norm(c);
    tu_rng r;
    tu_rng_seed(&r, 9);
    tr_conv2d_args a = fu_setup(&c, &r, 0);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t xs[4] = {1, 18, 20, 24}, ws[4] = {40, 3, 3, 24}, bs[1] = {40};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    tr_conv_opts o = tr_conv_opts_default();
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    o.pad_mode = TR_PAD_REFLECT;
    o.ep = c.ep;
    o.bias = tr_graph_const(g, "b", TRYON_DTYPE_F32, 1, bs, a.bias);
    int32_t y = tr_graph_output(
        g, tr_conv2d(g, x, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, ws, a.w), &o), "y");
    ck_assert_int_ge(y, 0);
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 0, a.x, (size_t)18 * 20 * 24 * 4), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    tryon_tensor to;
    tryon_model_output(m, 0, &to);
    const int64_t ny = fu_ny(&a);
    ck_assert(fu_run_fast(tr_fast_isa_table((tr_isa)ctx->cpu_isa), TR_FAST_GEMM, ctx->pool, &a));
    ck_assert(!memcmp(a.y, to.data, (size_t)ny * 4));
    fu_check(&a, 0, NULL, "planned fast conv vs reference");
    tryon_model_free(m);
    fu_release(&a);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(round_once_graph_is_bitwise_the_reference) {
    /* TF.js's accumulation (PoseNet): depthwise and pointwise layers give
     * the same bits under OWN and REFERENCE. */
    float *out[2];
    for (int k = 0; k < 2; k++) {
        tryon_ctx *ctx = ctx_with(2, k ? TRYON_KERNELS_REFERENCE : TRYON_KERNELS_OWN);
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        tu_rng r;
        tu_rng_seed(&r, 5);
        int64_t xs[4] = {1, 33, 31, 24}, dws[4] = {24, 3, 3, 1}, pws[4] = {40, 1, 1, 24};
        float dw[24 * 9], pw[40 * 24];
        tu_fill_uniform(dw, 24 * 9, &r, -1, 1);
        tu_fill_uniform(pw, 40 * 24, &r, -0.3f, 0.3f);
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        tr_conv_opts o = tr_conv_opts_default();
        o.tf_same = 1, o.stride_h = o.stride_w = 2, o.groups = 24;
        o.accum = TR_CONV_ACCUM_ROUND_ONCE;
        o.ep = tr_epilogue_make(TR_ACT_RELU6);
        int32_t t = tr_conv2d(g, x, tr_graph_const(g, "dw", TRYON_DTYPE_F32, 4, dws, dw), &o);
        tr_conv_opts p = tr_conv_opts_default();
        p.accum = TR_CONV_ACCUM_ROUND_ONCE;
        t = tr_conv2d(g, t, tr_graph_const(g, "pw", TRYON_DTYPE_F32, 4, pws, pw), &p);
        ck_assert_int_ge(tr_graph_output(g, t, "y"), 0);
        tryon_model *m;
        ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
        if (!k) {
            ck_assert_str_eq(algo_of(g, TR_OP_CONV2D, 0), "depthwise");
            ck_assert_str_eq(algo_of(g, TR_OP_CONV2D, 1), "gemm");
        }
        tryon_tensor ti, to;
        tryon_model_input(m, 0, &ti);
        tu_fill_uniform(ti.data, 33 * 31 * 24, &r, -1, 1);
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        tryon_model_output(m, 0, &to);
        out[k] = malloc(17 * 16 * 40 * 4);
        memcpy(out[k], to.data, 17 * 16 * 40 * 4);
        tryon_model_free(m);
        tryon_ctx_free(ctx);
    }
    int64_t shape[4] = {1, 17, 16, 40};
    tu_cmp c = tu_compare_exact(out[0], out[1], 17 * 16 * 40);
    TU_ASSERT_CMP(c, 4, shape, "ROUND_ONCE own vs reference");
    free(out[0]), free(out[1]);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fast_runtime");
    TCase *tc = tcase_create("fast_runtime");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, cpu_isa_override_from_the_environment);
    tcase_add_test(tc, plan_picks_fast_kernels_only_when_asked);
    tcase_add_test(tc, runtime_weights_are_packed_per_run_with_the_same_result);
    tcase_add_test(tc, planned_run_equals_direct_fast_calls_and_is_close_to_reference);
    tcase_add_test(tc, round_once_graph_is_bitwise_the_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
