/* test_build_conv.c — the graph builders tr_conv2d, tr_conv_transpose2d and
 * tr_linear (runtime/build.c): every rejection path not already exercised
 * by tests/test_runtime.c, with its status and exact message, and the
 * boundary cases they must accept with the descriptor they must produce.
 * The kernels themselves are tested in tests/test_kernels_{conv,convt,linear}.c. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "graph.h"
#include "util.h"

#define F32 TRYON_DTYPE_F32

/* A pinned input of the given dtype and shape (builders only look at the
 * tensor's metadata, so no data is needed). */
static int32_t t4(tr_graph *g, const char *name, tryon_dtype dt, int64_t a, int64_t b, int64_t c,
                  int64_t d) {
    int64_t s[4] = {a, b, c, d};
    return tr_graph_input(g, name, dt, 4, s);
}
static int32_t t2(tr_graph *g, const char *name, tryon_dtype dt, int64_t a, int64_t b) {
    int64_t s[2] = {a, b};
    return tr_graph_input(g, name, dt, 2, s);
}
static int32_t t1(tr_graph *g, const char *name, tryon_dtype dt, int64_t a) {
    return tr_graph_input(g, name, dt, 1, &a);
}

/* The builder returned -1 with INVALID_ARG, the context holds exactly the
 * expected message, and planning reports the same error. */
static void expect_error(tryon_ctx *ctx, tr_graph *g, int32_t r, const char *want, int which) {
    ck_assert_msg(r == -1, "case %d ('%s'): builder accepted", which, want);
    ck_assert_int_eq(g->status, TRYON_ERR_INVALID_ARG);
    ck_assert_msg(!strcmp(tryon_ctx_last_error(ctx), want), "case %d: got '%s', want '%s'", which,
                  tryon_ctx_last_error(ctx), want);
    ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
    ck_assert_str_eq(tryon_ctx_last_error(ctx), want);
}

/* ---- conv2d ------------------------------------------------------------- */

/* Base: x (1,6,6,4), w (2,3,3,4), stride 1, no padding -> y (1,4,4,2). */
static const char *const conv_want[] = {
    "conv2d: input is not a tensor (id 99)",
    "conv2d: weight is not a tensor (id -1)",
    "conv2d: input 'xu8' has dtype U8, expected F32",
    "conv2d: weight 'w3' has rank 3, expected 4",
    "conv2d: bias 'b2' has rank 2, expected 1",
    "conv2d: bias 'b' has shape [3], expected [2]",
    "conv2d: in_scale 's' has shape [1, 3], expected [1, 4]",
    "conv2d: in_scale 'sh' has dtype F16, expected F32",
    "conv2d: out_scale 'os' has shape [2, 2], expected [1, 2]",
    "conv2d: residual 'r' has shape [1, 4, 4, 3], expected [1, 4, 4, 2]",
    "conv2d: residual 'r' has shape [1, 6, 6, 2], expected [1, 4, 4, 2]",
    "conv2d: add 'a' does not broadcast to the output",
    "conv2d: add 'a' does not broadcast to the output",
    "conv2d: add 'a3' has rank 3, expected 4",
    "conv2d: invalid activation 6",
    "conv2d: invalid activation -1",
    "conv2d: clamp must be >= 0 (0 = none)",
    "conv2d: clamp must be >= 0 (0 = none)",
    "conv2d: stride and dilation must be >= 1",
    "conv2d: stride and dilation must be >= 1",
    "conv2d: stride and dilation must be >= 1",
    "conv2d: invalid padding mode",
    "conv2d: invalid padding mode",
    "conv2d: negative padding",
    "conv2d: negative padding",
    "conv2d: groups 0 must divide C_in 4 and C_out 2",
    "conv2d: groups -2 must divide C_in 4 and C_out 2",
    "conv2d: groups 4 must divide C_in 4 and C_out 2",
    "conv2d: weight 'w' has 4 input channels per group, input has 4 / 2",
    "conv2d: 3x3 kernel (dilation 3,3) does not fit the padded 6x6 input",
    "conv2d: 7x3 kernel (dilation 1,1) does not fit the padded 6x6 input",
    "conv2d: reflect padding (1,1,1,1) must be smaller than the input 1x1",
    "conv2d: reflect padding (0,6,0,0) must be smaller than the input 6x6",
    "conv2d: reflect padding (0,0,0,7) must be smaller than the input 6x6",
    "conv2d: reflect padding (6,0,0,0) must be smaller than the input 6x6",
    "conv2d: reflect padding (0,0,6,0) must be smaller than the input 6x6",
    "conv2d: padded input 4294967300x6 too large",
};

static int32_t conv_bad(tr_graph *g, int which) {
    int32_t x = t4(g, "x", F32, 1, 6, 6, 4), w = t4(g, "w", F32, 2, 3, 3, 4);
    tr_conv_opts o = tr_conv_opts_default();
    switch (which) {
    case 0: x = 99; break;
    case 1: w = -1; break;
    case 2: x = t4(g, "xu8", TRYON_DTYPE_U8, 1, 6, 6, 4); break;
    case 3: {
        int64_t s[3] = {2, 3, 12};
        w = tr_graph_input(g, "w3", F32, 3, s);
        break;
    }
    case 4: o.bias = t2(g, "b2", F32, 1, 2); break;
    case 5: o.bias = t1(g, "b", F32, 3); break;
    case 6: o.in_scale = t2(g, "s", F32, 1, 3); break;
    case 7: o.in_scale = t2(g, "sh", TRYON_DTYPE_F16, 1, 4); break;
    case 8: o.out_scale = t2(g, "os", F32, 2, 2); break;
    case 9: o.residual = t4(g, "r", F32, 1, 4, 4, 3); break;
    case 10: o.residual = t4(g, "r", F32, 1, 6, 6, 2); break; /* input-sized, not output */
    case 11: o.add = t4(g, "a", F32, 1, 4, 1, 3); break;
    case 12: o.add = t4(g, "a", F32, 2, 1, 1, 1); break; /* batch 2 vs 1 */
    case 13: {
        int64_t s[3] = {4, 4, 2};
        o.add = tr_graph_input(g, "a3", F32, 3, s);
        break;
    }
    case 14: o.ep.act = TR_ACT_COUNT; break;
    case 15: o.ep.act = (tr_act)-1; break;
    case 16: o.ep.clamp = -1.0f; break;
    case 17: o.ep.clamp = NAN; break;
    case 18: o.stride_h = 0; break;
    case 19: o.dil_w = 0; break;
    case 20: o.stride_w = -2; break;
    case 21: o.pad_mode = TR_PAD_COUNT; break;
    case 22: o.pad_mode = (tr_pad_mode)-1; break;
    case 23: o.pad_left = -1; break;
    case 24: o.pad_bottom = -3; break;
    case 25: o.groups = 0; break;
    case 26: o.groups = -2; break;
    case 27: o.groups = 4, w = t4(g, "w1", F32, 2, 3, 3, 1); break;
    case 28: o.groups = 2; break;
    case 29: o.dil_h = o.dil_w = 3; break;
    case 30: w = t4(g, "w7", F32, 2, 7, 3, 4); break;
    case 31:
        x = t4(g, "x1", F32, 1, 1, 1, 4);
        o.tf_same = 1, o.pad_mode = TR_PAD_REFLECT;
        break;
    case 32: o.pad_mode = TR_PAD_REFLECT, o.pad_bottom = 6; break;
    case 33: o.pad_mode = TR_PAD_REFLECT, o.pad_right = 7; break;
    case 34: o.pad_mode = TR_PAD_REFLECT, o.pad_top = 6; break;
    case 35: o.pad_mode = TR_PAD_REFLECT, o.pad_left = 6; break;
    case 36:
        w = t4(g, "wp", F32, 2, 1, 1, 4);
        o.pad_top = o.pad_bottom = INT32_MAX;
        break;
    }
    return tr_conv2d(g, x, w, &o);
}

START_TEST(conv2d_builder_rejects) {
    tryon_ctx *ctx = tu_ctx(1);
    for (int i = 0; i < (int)(sizeof conv_want / sizeof conv_want[0]); i++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        expect_error(ctx, g, conv_bad(g, i), conv_want[i], i);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(conv2d_builder_accepts_boundaries) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t x = t4(g, "x", F32, 2, 6, 7, 4), w = t4(g, "w", F32, 6, 3, 2, 2);
    /* Reflect padding up to size - 1, asymmetric; groups 2; stride 2x3;
     * dilation 2x1; every operand; the epilogue copied as given. */
    tr_conv_opts o = tr_conv_opts_default();
    o.pad_mode = TR_PAD_REFLECT;
    o.pad_top = 5, o.pad_bottom = 1, o.pad_left = 0, o.pad_right = 6;
    o.groups = 2, o.stride_h = 2, o.stride_w = 3, o.dil_h = 2;
    o.ep = tr_epilogue_make(TR_ACT_LRELU), o.ep.gain = 1.5f, o.ep.clamp = 0;
    /* out: (6 + 6 - 5) / 2 + 1 = 4 rows, (7 + 6 - 2) / 3 + 1 = 4 columns */
    o.bias = t1(g, "b", F32, 6);
    o.in_scale = t2(g, "s", F32, 2, 4);
    o.out_scale = t2(g, "os", F32, 2, 6);
    o.residual = t4(g, "r", F32, 2, 4, 4, 6);
    for (int mask = 0; mask < 16; mask++) {
        int64_t full[4] = {2, 4, 4, 6}, as[4];
        for (int i = 0; i < 4; i++) as[i] = mask >> i & 1 ? full[i] : 1;
        o.add = t4(g, "a", F32, as[0], as[1], as[2], as[3]);
        int32_t y = tr_conv2d(g, x, w, &o);
        ck_assert_msg(y >= 0, "mask %d: %s", mask, tryon_ctx_last_error(ctx));
        const tr_tensor *ty = &g->tensors[y];
        ck_assert(ty->ndim == 4 && ty->shape[0] == 2 && ty->shape[1] == 4 && ty->shape[2] == 4 &&
                  ty->shape[3] == 6);
        const tr_conv2d_desc *d = &g->nodes[g->n_nodes - 1].p.conv;
        ck_assert(d->n == 2 && d->h == 6 && d->w == 7 && d->c_in == 4 && d->c_out == 6);
        ck_assert(d->kh == 3 && d->kw == 2 && d->oh == 4 && d->ow == 4 && d->groups == 2);
        ck_assert(d->stride_h == 2 && d->stride_w == 3 && d->dil_h == 2 && d->dil_w == 1);
        ck_assert(d->pad_top == 5 && d->pad_left == 0 && d->pad_mode == TR_PAD_REFLECT);
        ck_assert(d->ep.act == TR_ACT_LRELU && d->ep.gain == 1.5f && d->ep.alpha == 0.2f);
        for (int i = 0; i < 4; i++) ck_assert_int_eq(d->add_shape[i], as[i]);
        const tr_node *n = &g->nodes[g->n_nodes - 1];
        ck_assert(n->src[0] == x && n->src[1] == w && n->src[2] == o.bias &&
                  n->src[3] == o.in_scale && n->src[4] == o.out_scale && n->src[5] == o.add &&
                  n->src[6] == o.residual);
    }
    /* Replicate and zero padding take pads larger than the image. */
    tr_conv_opts r = tr_conv_opts_default();
    r.pad_mode = TR_PAD_REPLICATE, r.pad_top = r.pad_bottom = r.pad_left = r.pad_right = 9;
    int32_t w1 = t4(g, "w1", F32, 3, 3, 3, 4);
    ck_assert_int_ge(tr_conv2d(g, x, w1, &r), 0);
    ck_assert_int_eq(g->nodes[g->n_nodes - 1].p.conv.oh, 6 + 18 - 2);
    r.pad_mode = TR_PAD_ZEROS;
    ck_assert_int_ge(tr_conv2d(g, x, w1, &r), 0);
    /* Without add, add_shape is all ones. */
    for (int i = 0; i < 4; i++) ck_assert_int_eq(g->nodes[g->n_nodes - 1].p.conv.add_shape[i], 1);
    ck_assert_int_eq(g->status, TRYON_OK);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- conv_transpose2d -------------------------------------------------- */

/* Base: x (1,4,4,4), w (6,3,3,4), stride 2, padding 1, output_padding 1 -> (1,8,8,6). */
static const char *const convt_want[] = {
    "conv_transpose2d: input is not a tensor (id 99)",
    "conv_transpose2d: weight 'wi' has dtype I32, expected F32",
    "conv_transpose2d: input 'x2' has rank 2, expected 4",
    "conv_transpose2d: bias 'b' has shape [5], expected [6]",
    "conv_transpose2d: bias 'b4' has rank 4, expected 1",
    "conv_transpose2d: groups 0 must divide C_in 4 and C_out 6",
    "conv_transpose2d: groups 3 must divide C_in 4 and C_out 6",
    "conv_transpose2d: weight 'w' has 4 input channels per group, input has 4 / 2",
    "conv_transpose2d: stride and dilation must be >= 1",
    "conv_transpose2d: stride and dilation must be >= 1",
    "conv_transpose2d: negative padding",
    "conv_transpose2d: output_padding must be smaller than stride or dilation",
    "conv_transpose2d: output_padding must be smaller than stride or dilation",
    "conv_transpose2d: output_padding must be smaller than stride or dilation",
    "conv_transpose2d: output size 0x8 is invalid",
    "conv_transpose2d: output size 6442450943x8 is invalid",
    "conv_transpose2d: invalid activation 6",
    "conv_transpose2d: clamp must be >= 0 (0 = none)",
    "conv_transpose2d: weight is not a tensor (id 1000)",
};

static int32_t convt_bad(tr_graph *g, int which) {
    int32_t x = t4(g, "x", F32, 1, 4, 4, 4), w = t4(g, "w", F32, 6, 3, 3, 4);
    tr_convt_opts o = tr_convt_opts_default();
    o.stride_h = o.stride_w = 2;
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    o.out_pad_h = o.out_pad_w = 1;
    switch (which) {
    case 0: x = 99; break;
    case 1: w = t4(g, "wi", TRYON_DTYPE_I32, 6, 3, 3, 4); break;
    case 2: x = t2(g, "x2", F32, 16, 4); break;
    case 3: o.bias = t1(g, "b", F32, 5); break;
    case 4: o.bias = t4(g, "b4", F32, 1, 1, 1, 6); break;
    case 5: o.groups = 0; break;
    case 6: o.groups = 3; break;
    case 7: o.groups = 2; break;
    case 8: o.stride_w = 0; break;
    case 9: o.dil_h = -1; break;
    case 10: o.pad_right = -1; break;
    case 11: o.out_pad_w = -1; break;
    case 12: o.out_pad_w = 2; break;                 /* = stride, dilation 1 */
    case 13: o.stride_h = 1, o.out_pad_h = 1; break; /* stride 1, dilation 1 */
    case 14: o.pad_top = o.pad_bottom = 5; break;    /* 3*2 - 10 + 3 + 1 = 0 rows */
    case 15: o.stride_h = INT32_MAX; break;          /* 3*(2^31-1) - 2 + 3 + 1 rows */
    case 16: o.ep.act = TR_ACT_COUNT; break;
    case 17: o.ep.clamp = -0.5f; break;
    case 18: w = 1000; break;
    }
    return tr_conv_transpose2d(g, x, w, &o);
}

START_TEST(convt_builder_rejects) {
    tryon_ctx *ctx = tu_ctx(1);
    for (int i = 0; i < (int)(sizeof convt_want / sizeof convt_want[0]); i++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        expect_error(ctx, g, convt_bad(g, i), convt_want[i], i);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(convt_builder_accepts_boundaries) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t x = t4(g, "x", F32, 2, 4, 5, 4), w = t4(g, "w", F32, 6, 3, 2, 2);
    /* output_padding may reach the dilation when the stride is smaller
     * (PyTorch: smaller than stride OR dilation); asymmetric padding. */
    tr_convt_opts o = tr_convt_opts_default();
    o.stride_h = 1, o.dil_h = 3, o.out_pad_h = 2;
    o.stride_w = 3, o.dil_w = 1, o.out_pad_w = 2;
    o.pad_top = 1, o.pad_bottom = 2, o.pad_left = 0, o.pad_right = 3;
    o.groups = 2, o.bias = t1(g, "b", F32, 6);
    o.ep = tr_epilogue_make(TR_ACT_RELU6);
    int32_t y = tr_conv_transpose2d(g, x, w, &o);
    ck_assert_msg(y >= 0, "%s", tryon_ctx_last_error(ctx));
    /* rows: 3*1 - 3 + 3*2 + 1 + 2 = 9; columns: 4*3 - 3 + 1*1 + 1 + 2 = 13 */
    const tr_conv_transpose2d_desc *d = &g->nodes[g->n_nodes - 1].p.convt;
    ck_assert_int_eq(d->oh, 9);
    ck_assert_int_eq(d->ow, 13);
    ck_assert(d->pad_top == 1 && d->pad_left == 0 && d->groups == 2 && d->c_out == 6);
    ck_assert(d->ep.act == TR_ACT_RELU6);
    ck_assert(g->tensors[y].shape[1] == 9 && g->tensors[y].shape[2] == 13);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- linear ------------------------------------------------------------- */

/* Base: x (3,5), w (7,5) -> (3,7). */
static const char *const linear_want[] = {
    "linear: input is not a tensor (id 99)",
    "linear: weight is not a tensor (id -1)",
    "linear: input 'x4' has rank 4, expected 2",
    "linear: weight 'wu' has dtype U8, expected F32",
    "linear: bias 'b' has shape [8], expected [7]",
    "linear: bias 'bb' has dtype BF16, expected F32",
    "linear: invalid activation 6",
    "linear: clamp must be >= 0 (0 = none)",
};

static int32_t linear_bad(tr_graph *g, int which) {
    int32_t x = t2(g, "x", F32, 3, 5), w = t2(g, "w", F32, 7, 5), b = -1;
    tr_epilogue e = tr_epilogue_make(TR_ACT_NONE);
    switch (which) {
    case 0: x = 99; break;
    case 1: w = -1; break;
    case 2: x = t4(g, "x4", F32, 1, 1, 3, 5); break;
    case 3: w = t2(g, "wu", TRYON_DTYPE_U8, 7, 5); break;
    case 4: b = t1(g, "b", F32, 8); break;
    case 5: b = t1(g, "bb", TRYON_DTYPE_BF16, 7); break;
    case 6: e.act = TR_ACT_COUNT; break;
    case 7: e.clamp = NAN; break;
    }
    return tr_linear(g, x, w, b, e);
}

START_TEST(linear_builder_rejects_and_accepts) {
    tryon_ctx *ctx = tu_ctx(1);
    for (int i = 0; i < (int)(sizeof linear_want / sizeof linear_want[0]); i++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        expect_error(ctx, g, linear_bad(g, i), linear_want[i], i);
        tr_graph_free(g);
    }
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    tr_epilogue e = tr_epilogue_make(TR_ACT_LRELU);
    e.gain = 1.41421356f, e.clamp = 256;
    int32_t y = tr_linear(g, t2(g, "x", F32, 3, 5), t2(g, "w", F32, 7, 5), t1(g, "b", F32, 7), e);
    ck_assert_msg(y >= 0, "%s", tryon_ctx_last_error(ctx));
    const tr_linear_desc *d = &g->nodes[g->n_nodes - 1].p.linear;
    ck_assert(d->n == 3 && d->k == 5 && d->m == 7);
    ck_assert(d->ep.act == TR_ACT_LRELU && d->ep.gain == 1.41421356f && d->ep.clamp == 256);
    ck_assert(g->tensors[y].shape[0] == 3 && g->tensors[y].shape[1] == 7);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- dimensions beyond the int32 descriptors ---------------------------- */

START_TEST(builders_reject_dimensions_over_int32) {
    /* Raise the tensor byte limit so that a 2^31-wide tensor can be declared
     * (nothing is allocated: building stops at the builder), and so that
     * index ranges beyond int32 cannot hide behind the default 4 GiB limit. */
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = 1;
    p.max_tensor_bytes = (int64_t)1 << 40;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_OK);
    const int64_t big = (int64_t)INT32_MAX + 1;
    for (int op = 0; op < 5; op++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int32_t r = -1;
        const char *want = NULL;
        if (op == 0) {
            tr_conv_opts o = tr_conv_opts_default();
            r = tr_conv2d(g, t4(g, "x", F32, 1, 1, big, 1), t4(g, "w", F32, 1, 1, 1, 1), &o);
            want = "conv2d: dimension 2147483648 too large";
        } else if (op == 1) {
            tr_convt_opts o = tr_convt_opts_default();
            r = tr_conv_transpose2d(g, t4(g, "x", F32, 1, big, 1, 1), t4(g, "w", F32, 1, 1, 1, 1),
                                    &o);
            want = "conv_transpose2d: dimension 2147483648 too large";
        } else if (op == 2) {
            /* 3 * 2^30 + 3 rows before the 2^31 padding rows are cropped */
            tr_convt_opts o = tr_convt_opts_default();
            o.stride_h = 1 << 30, o.pad_top = o.pad_bottom = 1 << 30;
            r = tr_conv_transpose2d(g, t4(g, "x", F32, 1, 4, 1, 1), t4(g, "w", F32, 1, 3, 1, 1),
                                    &o);
            want = "conv_transpose2d: output before cropping 3221225475x1 too large";
        } else if (op == 3) {
            /* 2^31 + 4 padded rows, 2^29 + 1 output rows */
            tr_conv_opts o = tr_conv_opts_default();
            o.stride_h = 4, o.pad_top = o.pad_bottom = 1 << 30;
            r = tr_conv2d(g, t4(g, "x", F32, 1, 5, 1, 1), t4(g, "w", F32, 1, 1, 1, 1), &o);
            want = "conv2d: padded input 2147483653x1 too large";
        } else {
            r = tr_linear(g, t2(g, "x", F32, big, 1), t2(g, "w", F32, 1, 1), -1,
                          tr_epilogue_make(TR_ACT_NONE));
            want = "linear: dimension 2147483648 too large";
        }
        expect_error(ctx, g, r, want, op);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("build_conv");
    TCase *tc = tcase_create("builders");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conv2d_builder_rejects);
    tcase_add_test(tc, conv2d_builder_accepts_boundaries);
    tcase_add_test(tc, convt_builder_rejects);
    tcase_add_test(tc, convt_builder_accepts_boundaries);
    tcase_add_test(tc, linear_builder_rejects_and_accepts);
    tcase_add_test(tc, builders_reject_dimensions_over_int32);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
