/* gpu_device.c — GPU suite: the device context and the executor's contract
 * (no fork: CUDA must not be used between fork and exec). Without a usable
 * device it prints SKIP with the reason and exits 0.
 *   - a CUDA context initialises and reports its device;
 *   - eager mode (cuda_sync_after_launch) runs node by node and matches;
 *   - a forced variant that cannot run the node is an UNSUPPORTED error
 *     naming the variant and the node, never a silent fallback;
 *   - model copies check their sizes; host views are NULL on CUDA;
 *   - a model with every storage precision on one context, runs interleaved. */
#include <stdlib.h>
#include <string.h>

#include "cuda/variants.h"
#include "harness_gpu.h"
#include "model.h"

static tryon_ctx *gpu_ctx(tryon_dtype prec, int sync_each) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    p.cuda_precision = prec;
    p.cuda_sync_after_launch = sync_each;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    return ctx;
}

START_TEST(cuda_context_initialises) {
    tryon_ctx *ctx = gpu_ctx(TRYON_DTYPE_F32, 0);
    ck_assert_int_ge(tryon_cuda_device_count(), 1);
    ck_assert_ptr_nonnull(strstr(tryon_version(), "cuda"));
    tryon_ctx_free(ctx);
}
END_TEST

/* conv (3x3, 2 groups) -> act -> binary add with the input: three nodes. */
static void build_small(tr_graph *g, void *arg) {
    (void)arg;
    int64_t xs[4] = {1, 12, 10, 8}, ws[4] = {8, 3, 3, 4};
    int32_t x = gu_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t w = gu_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    tr_conv_opts o = tr_conv_opts_default();
    o.groups = 2;
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    int32_t y = tr_activation(g, tr_conv2d(g, x, w, &o), tr_epilogue_make(TR_ACT_RELU6));
    gu_output(g, tr_binary(g, TR_BINARY_ADD, y, x), "y");
}

START_TEST(eager_mode_runs_node_by_node_and_matches) {
    const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    for (int p = 0; p < 3; p++) {
        gu_opts o = gu_opts_default();
        o.sync_each = 1, o.precision = precs[p], o.exact = 1, o.runs = 3;
        gu_compare_backends("eager", build_small, NULL, &o);
    }
}
END_TEST

START_TEST(impossible_forced_variant_is_an_error) {
    tryon_ctx *ctx = gpu_ctx(TRYON_DTYPE_F32, 0);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    build_small(g, NULL);
    tryon_model *m = NULL;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    /* grouped, not depthwise; and no tensor cores in F32 storage */
    const int32_t bad[2] = {TR_CONV_DEPTHWISE, TR_CONV_IGEMM_MMA};
    for (int k = 0; k < 2; k++) {
        tr_cuda_force_variant(ctx, TR_OP_CONV2D, bad[k]);
        tryon_model_free(m);
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        build_small(g, NULL);
        ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
        ck_assert_int_eq(tryon_model_run(m), TRYON_ERR_UNSUPPORTED);
        char want[64];
        snprintf(want, sizeof want, "variant %d cannot run", bad[k]);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), want), "message: %s",
                      tryon_ctx_last_error(ctx));
    }
    /* the context is still usable: the launcher's pick runs */
    tr_cuda_force_variant(ctx, TR_OP_CONV2D, -1);
    tryon_model_free(m);
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    build_small(g, NULL);
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(model_copies_check_sizes_and_host_views_are_null) {
    tryon_ctx *ctx = gpu_ctx(TRYON_DTYPE_F16, 0);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    build_small(g, NULL);
    tryon_model *m = NULL;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_input(m, 1, &t), TRYON_OK); /* input 0 is a guard */
    ck_assert_ptr_null(t.data);
    float buf[960];
    ck_assert_int_eq(tryon_model_set_input(m, 1, buf, sizeof buf - 4), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_model_set_input(m, 99, buf, sizeof buf), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_model_get_output(m, 0, buf, 4), TRYON_ERR_INVALID_ARG);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_device");
    TCase *tc = tcase_create("device");
    tcase_add_test(tc, cuda_context_initialises);
    tcase_add_test(tc, eager_mode_runs_node_by_node_and_matches);
    tcase_add_test(tc, impossible_forced_variant_is_an_error);
    tcase_add_test(tc, model_copies_check_sizes_and_host_views_are_null);
    suite_add_tcase(s, tc);
    return gu_main("gpu_device", s);
}
