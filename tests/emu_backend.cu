/* emu_backend.cu — the CUDA backend's host-side decisions, checked without a
 * GPU: the storage plan for reduced precision (kernels/cuda/backend.cu
 * tr_cuda_plan_storage: which tensors are stored in F16/BF16, which node runs
 * in which domain, which tensors get a copy in the other type), on a graph
 * that mixes HALF, F32 and FOLLOW ops, model inputs and outputs; nodes built
 * under tr_graph_keep_f32; and the try-on fitting graph, whose stages all
 * stay in F32. */
#include "emu_util.cuh"

extern "C" {
#include "graph_fit.h"
#include "graph_warp.h"
#include "model.h"
}

typedef struct plan {
    uint8_t store[64], domain[64];
    int64_t xoff[64], xbytes;
} plan;

START_TEST(storage_plan_puts_warp_ops_in_f32_and_copies_at_the_borders) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    const int64_t xs[4] = {1, 8, 8, 3}, ws[4] = {4, 3, 3, 3}, gs[4] = {1, 8, 8, 2};
    int32_t img = tr_graph_input(g, "img", TRYON_DTYPE_F32, 4, xs);
    int32_t w = tr_graph_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    int32_t grid = tr_graph_input(g, "grid", TRYON_DTYPE_F32, 4, gs);
    int32_t unused = tr_graph_input(g, "unused", TRYON_DTYPE_F32, 4, gs);
    tr_conv_opts o = tr_conv_opts_default();
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    int32_t feat = tr_conv2d(g, img, w, &o);                                     /* HALF */
    int32_t gsm = tr_grid_sample(g, feat, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_ZEROS, 0); /* F32 */
    int32_t act = tr_activation(g, gsm, tr_epilogue_make(TR_ACT_RELU));         /* HALF */
    int32_t cat_ids[2] = {act, feat};
    int32_t cat = tr_concat(g, 2, cat_ids, 3);                                  /* FOLLOW: half */
    const int32_t perm[4] = {0, 3, 1, 2};
    int32_t gp = tr_permute(g, grid, perm);                                     /* FOLLOW: f32 */
    tr_graph_output(g, cat, "cat");
    tr_graph_output(g, gp, "grid_nchw");
    tr_graph_output(g, gsm, "sampled");
    ck_assert_int_eq(tr_graph_plan(g), TRYON_OK);
    ck_assert_int_le(g->n_tensors, 64);
    plan p;
    tr_cuda_plan_storage(g, TRYON_DTYPE_F16, p.store, p.domain, p.xoff, &p.xbytes);
    const uint8_t H = TRYON_DTYPE_F16, F = TRYON_DTYPE_F32;
    /* primary storage */
    ck_assert_int_eq(p.store[img], H);
    ck_assert_int_eq(p.store[w], H);
    ck_assert_int_eq(p.store[grid], F); /* read by grid_sample (F32) and a FOLLOW node */
    ck_assert_int_eq(p.store[unused], F);
    ck_assert_int_eq(p.store[feat], H);
    ck_assert_int_eq(p.store[gsm], F);
    ck_assert_int_eq(p.store[act], H);
    ck_assert_int_eq(p.store[cat], H);
    ck_assert_int_eq(p.store[gp], F);
    /* domains, in node order: conv, grid_sample, act, concat, permute */
    const uint8_t dom[5] = {H, F, H, H, F};
    for (int i = 0; i < 5; i++) ck_assert_int_eq(p.domain[i], dom[i]);
    /* copies: half inputs (the host writes F32), feat read by grid_sample,
     * gsm read by act, the half output cat; none for the F32 ones */
    ck_assert(p.xoff[img] >= 0 && p.xoff[w] >= 0);
    ck_assert(p.xoff[feat] >= 0 && p.xoff[gsm] >= 0 && p.xoff[cat] >= 0);
    ck_assert(p.xoff[grid] < 0 && p.xoff[unused] < 0 && p.xoff[act] < 0 && p.xoff[gp] < 0);
    ck_assert_int_eq(p.xoff[img] % 256, 0);
    ck_assert(p.xbytes >= (1 * 8 * 8 * 3 + 4 * 27 + 8 * 8 * 4 + 8 * 8 * 4 + 8 * 8 * 8) * 2);
    /* F32 precision: no copies, everything F32 */
    tr_cuda_plan_storage(g, TRYON_DTYPE_F32, p.store, p.domain, p.xoff, &p.xbytes);
    ck_assert_int_eq(p.xbytes, 0);
    for (int32_t t = 0; t < g->n_tensors; t++) {
        ck_assert_int_eq(p.store[t], g->tensors[t].dtype);
        ck_assert(p.xoff[t] < 0);
    }
    for (int32_t i = 0; i < g->n_nodes; i++) ck_assert_int_eq(p.domain[i], F);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(storage_plan_keeps_integer_tensors_and_u8_images) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    const int64_t is[4] = {1, 5, 6, 3}, ps[3] = {1, 4, 2}, ts[2] = {2, 3};
    int32_t img = tr_graph_input(g, "img", TRYON_DTYPE_U8, 4, is);
    int32_t pos = tr_graph_input(g, "pos", TRYON_DTYPE_F32, 3, ps);
    int32_t tri = tr_graph_input(g, "tri", TRYON_DTYPE_I32, 2, ts);
    int32_t x = tr_cast_u8(g, img, 1.0f / 255, 0);
    int32_t r = tr_resize_bilinear(g, img, 3, 3, TR_RESIZE_HALF_PIXEL);
    int32_t rast = tr_rasterize(g, pos, tri, 5, 6);
    tr_graph_output(g, x, "x");
    tr_graph_output(g, r, "r");
    tr_graph_output(g, rast, "rast");
    ck_assert_int_eq(tr_graph_plan(g), TRYON_OK);
    plan p;
    tr_cuda_plan_storage(g, TRYON_DTYPE_BF16, p.store, p.domain, p.xoff, &p.xbytes);
    ck_assert_int_eq(p.store[img], TRYON_DTYPE_U8);
    ck_assert_int_eq(p.store[tri], TRYON_DTYPE_I32);
    ck_assert(p.xoff[img] < 0 && p.xoff[tri] < 0);
    ck_assert_int_eq(p.store[pos], TRYON_DTYPE_F32);
    ck_assert_int_eq(p.store[rast], TRYON_DTYPE_F32); /* ids stay exact */
    ck_assert_int_eq(p.store[x], TRYON_DTYPE_BF16);
    ck_assert(p.xoff[x] >= 0 && p.xoff[r] >= 0 && p.xoff[rast] < 0);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* The try-on ops: F32 whatever the precision, except morphology, which
 * follows its operand (min/max select values, they do not round). */
START_TEST(storage_plan_puts_tryon_ops_in_f32) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    const int64_t xs[4] = {1, 16, 12, 3}, ws[4] = {3, 1, 1, 3};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t w = tr_graph_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    tr_conv_opts o = tr_conv_opts_default();
    int32_t img = tr_conv2d(g, x, w, &o);                     /* HALF */
    int32_t m = tr_bg_mask(g, img, TR_BG_MASK_BORDER, 12.0f); /* F32 */
    int32_t d = tr_morph(g, m, TR_MORPH_DILATE, 1);           /* FOLLOW: f32 */
    int32_t c = tr_mask_clean(g, d);                          /* F32 */
    int32_t a = tr_garment_anchors(g, c);                     /* F32 */
    int32_t t = tr_garment_tri(g, c, 3, 4);                   /* F32, I32 out */
    int32_t e = tr_morph(g, img, TR_MORPH_ERODE, 2);          /* FOLLOW: half */
    tr_graph_output(g, a, "anchors");
    tr_graph_output(g, t, "tri");
    tr_graph_output(g, e, "eroded");
    ck_assert_int_eq(tr_graph_plan(g), TRYON_OK);
    plan p;
    tr_cuda_plan_storage(g, TRYON_DTYPE_F16, p.store, p.domain, p.xoff, &p.xbytes);
    const uint8_t H = TRYON_DTYPE_F16, F = TRYON_DTYPE_F32;
    const uint8_t dom[7] = {H, F, F, F, F, F, H};
    for (int i = 0; i < 7; i++) ck_assert_int_eq(p.domain[i], dom[i]);
    ck_assert_int_eq(p.store[img], H);
    ck_assert(p.xoff[img] >= 0); /* bg_mask reads its F32 copy */
    ck_assert(p.store[m] == F && p.store[d] == F && p.store[c] == F && p.store[a] == F);
    ck_assert(p.xoff[m] < 0 && p.xoff[d] < 0 && p.xoff[c] < 0 && p.xoff[a] < 0);
    ck_assert_int_eq(p.store[t], TRYON_DTYPE_I32);
    ck_assert_int_eq(p.store[e], H);
    ck_assert(p.xoff[e] >= 0); /* a half output: the host reads its F32 copy */
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(storage_plan_keeps_marked_nodes_in_f32) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    const int64_t xs[4] = {1, 8, 8, 3}, ws[4] = {3, 1, 1, 3};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t w = tr_graph_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    tr_conv_opts o = tr_conv_opts_default();
    int32_t feat = tr_conv2d(g, x, w, &o); /* HALF */
    tr_graph_keep_f32(g, 1);
    int32_t sc = tr_scale(g, feat, 2.0f, 1.0f); /* HALF op, kept in F32 */
    int32_t ids[2] = {sc, sc};
    int32_t cat = tr_concat(g, 2, ids, 3); /* FOLLOW op, kept in F32 */
    int32_t m = tr_morph(g, x, TR_MORPH_DILATE, 1); /* reads the model input */
    tr_graph_keep_f32(g, 0);
    int32_t act = tr_activation(g, sc, tr_epilogue_make(TR_ACT_RELU)); /* HALF again */
    tr_graph_output(g, cat, "cat");
    tr_graph_output(g, act, "act");
    tr_graph_output(g, m, "m");
    ck_assert_int_eq(tr_graph_plan(g), TRYON_OK);
    plan p;
    tr_cuda_plan_storage(g, TRYON_DTYPE_BF16, p.store, p.domain, p.xoff, &p.xbytes);
    const uint8_t H = TRYON_DTYPE_BF16, F = TRYON_DTYPE_F32;
    const uint8_t dom[5] = {H, F, F, F, H}; /* conv, scale, concat, morph, act */
    for (int i = 0; i < 5; i++) ck_assert_int_eq(p.domain[i], dom[i]);
    ck_assert_int_eq(p.store[x], H); /* the conv reads it: reduced, with an F32 copy */
    ck_assert(p.xoff[x] >= 0);
    ck_assert_int_eq(p.store[feat], H);
    ck_assert(p.xoff[feat] >= 0); /* the F32 scale reads it */
    ck_assert_int_eq(p.store[sc], F);
    ck_assert(p.xoff[sc] >= 0); /* the half act reads it */
    ck_assert_int_eq(p.store[cat], F);
    ck_assert_int_eq(p.store[m], F);
    ck_assert(p.xoff[cat] < 0 && p.xoff[m] < 0);
    ck_assert_int_eq(p.store[act], H);
    /* Without the mark the scale would be half. */
    for (int32_t i = 0; i < g->n_nodes; i++) g->nodes[i].keep_f32 = 0;
    tr_cuda_plan_storage(g, TRYON_DTYPE_BF16, p.store, p.domain, p.xoff, &p.xbytes);
    ck_assert_int_eq(p.domain[1], H);
    ck_assert_int_eq(p.store[sc], H);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* The fitting graph (given keypoints): in F16 and BF16 every node computes in
 * F32 and nothing needs a copy (the try-on stages, nets/fit.c). */
START_TEST(storage_plan_keeps_the_fit_graph_in_f32) {
    tryon_ctx *ctx = tu_ctx(1);
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = 64, fp.height = 80, fp.texture_width = 32, fp.texture_height = 40;
    fp.grid_x = 4, fp.grid_y = 5, fp.external_pose = 1;
    tryon_model *m;
    ck_assert_msg(tryon_fit_load(ctx, NULL, &fp, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    const tr_graph *g = m->g;
    uint8_t *store = (uint8_t *)calloc((size_t)g->n_tensors, 1);
    uint8_t *domain = (uint8_t *)calloc((size_t)g->n_nodes, 1);
    int64_t *xoff = (int64_t *)calloc((size_t)g->n_tensors, sizeof(int64_t)), xbytes = -1;
    const tryon_dtype precs[2] = {TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    int saw[TR_OP_COUNT] = {0};
    for (int k = 0; k < 2; k++) {
        tr_cuda_plan_storage(g, precs[k], store, domain, xoff, &xbytes);
        for (int32_t i = 0; i < g->n_nodes; i++) {
            ck_assert_msg(domain[i] == TRYON_DTYPE_F32, "node '%s' in %s", g->nodes[i].name,
                          tryon_dtype_name((tryon_dtype)domain[i]));
            saw[g->nodes[i].op] = 1;
        }
        for (int32_t t = 0; t < g->n_tensors; t++)
            ck_assert_int_eq(store[t], g->tensors[t].dtype);
        ck_assert_int_eq(xbytes, 0);
    }
    /* the graph does hold HALF ops (elementwise, conv, resampling) and the try-on ops */
    ck_assert(saw[TR_OP_LERP] && saw[TR_OP_CONV2D] && saw[TR_OP_UPFIRDN2D] && saw[TR_OP_SCALE]);
    ck_assert(saw[TR_OP_FIT_CONTROLS] && saw[TR_OP_BODY_PROXY] && saw[TR_OP_SHADE_COMPOSITE]);
    free(store), free(domain), free(xoff);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_backend");
    TCase *tc = tcase_create("backend");
    tcase_add_test(tc, storage_plan_puts_warp_ops_in_f32_and_copies_at_the_borders);
    tcase_add_test(tc, storage_plan_keeps_integer_tensors_and_u8_images);
    tcase_add_test(tc, storage_plan_puts_tryon_ops_in_f32);
    tcase_add_test(tc, storage_plan_keeps_marked_nodes_in_f32);
    tcase_add_test(tc, storage_plan_keeps_the_fit_graph_in_f32);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
