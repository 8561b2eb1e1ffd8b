/* gpu_conv.c — GPU suite: conv2d, conv_transpose2d and linear on CUDA against
 * the CPU backend, every variant forced in turn (kernels/cuda/ops.cuh), in
 * F32, F16 and BF16 storage, plus the launcher's own pick and the cuDNN/cuBLAS
 * baselines. No fork; SKIP without a device (harness_gpu.h).
 *
 * Tolerances and why:
 *   v0 (any storage)      bitwise on random data: the CPU's operations in its
 *                         order (--fmad=false), rounded to the storage once;
 *   ROUND_ONCE v0         bitwise in F32 (the PoseNet path: double per tap);
 *   every fast variant    bitwise on integer inputs in [-3, 3]: products and
 *                         partial sums are exact in fp32 (K <= 1152 taps, sums
 *                         < 2^24), so tiling, FMA and tensor cores change nothing;
 *   fast variants, random data in [-1, 1]:
 *     F32   |d| <= 1e-4 max|ref| + 1e-5 |ref|: FMA and summation order move
 *           each of K <= 1152 taps by at most one f32 roundoff of |x w| <= 1
 *           (K u = 7e-5 of the sum of magnitudes, itself <= a few max|ref|);
 *     F16/BF16  2 units of the storage roundoff of |ref| and of max|ref|: the
 *           fp32 results differ as above (far below a half ulp), so their
 *           roundings to the storage differ by at most one unit;
 *   cuDNN/cuBLAS: F32 1e-3 max|ref| + 1e-4 |ref| (its algorithms, Winograd and
 *     FFT included, reorder and transform the sum; K u times the transform's
 *     growth); F16/BF16 4 units: the library rounds the plain convolution to
 *     the storage before tryon's epilogue reads it back (one more rounding). */
#include <string.h>

#include "cuda/variants.h"
#include "harness_gpu.h"

enum { EX_NONE, EX_BIAS_LRELU, EX_MODULATED, EX_RESIDUAL };

typedef struct conv_spec {
    const char *name;
    int32_t n, h, w, c_in, c_out, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, groups;
    tr_pad_mode pad;
    int32_t tf_same, extras;
    tr_conv_accum accum;
    int32_t quick; /* part of the sanitizer's quick set */
} conv_spec;

static const conv_spec convs[] = {
    {"partial tiles", 2, 9, 9, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TR_PAD_ZEROS, 0, 1, 0, 1},
    {"cyclegan c7s1", 1, 40, 36, 3, 64, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 1,
     TR_PAD_REFLECT,  0, 0,  0,  0},
    {"resblock 128", 1, 16, 16, 128, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
     TR_PAD_REFLECT, 0, 3,  0,  0},
    {"stride 2", 1, 33, 31, 64, 70, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, TR_PAD_ZEROS, 0, 1, 0, 1},
    {"stylegan2 modulated", 2, 16, 16, 256, 256, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1,
     TR_PAD_ZEROS,          0, 2,  0,  0},
    {"torgb 1x1", 2, 16, 16, 64, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, TR_PAD_ZEROS, 0, 2, 0, 1},
    {"pointwise 1x1", 1, 17, 17, 96, 130, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
     TR_PAD_ZEROS,    0, 1,  0,  0},
    {"grouped dilated", 1, 10, 9, 6, 4, 3, 2, 1, 2, 2, 1, 2, 2, 1, 0, 2,
     TR_PAD_REPLICATE,  0, 1,  0, 1},
    {"tf-same stride 2", 1, 9, 8, 4, 6, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, TR_PAD_ZEROS, 1, 0, 0, 0},
    {"depthwise", 1, 33, 33, 64, 64, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 64, TR_PAD_ZEROS, 1, 1, 0, 1},
    {"depthwise x3", 2, 6, 5, 4, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, TR_PAD_REFLECT, 0, 1, 0, 0},
    {"depthwise s2", 1, 17, 17, 32, 32, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 32, TR_PAD_ZEROS, 1, 1, 0, 0},
    {"1x1 image", 1, 1, 1, 3, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TR_PAD_ZEROS, 0, 1, 0, 0},
    {"mobilenet round-once",
     1,
     17,
     17,
     8,
     16,
     3,
     3,
     2,
     2,
     1,
     1,
     0,
     0,
     0,
     0,
     1,
     TR_PAD_ZEROS,
     1,
     1,
     TR_CONV_ACCUM_ROUND_ONCE,
     1},
    {"dw round-once",
     1,
     9,
     9,
     16,
     16,
     3,
     3,
     1,
     1,
     1,
     1,
     0,
     0,
     0,
     0,
     16,
     TR_PAD_ZEROS,
     1,
     1,
     TR_CONV_ACCUM_ROUND_ONCE,
     0},
    /* 4.4 M output pixels: 69,000 row tiles, past 65,535 blocks in x */
    {"many row tiles", 1, 2100, 2100, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
     TR_PAD_ZEROS,     0, 0,    0,    0},
};
#define N_CONVS ((int)(sizeof convs / sizeof convs[0]))

static void out_size(const conv_spec *c, int32_t *oh, int32_t *ow) {
    int32_t pt, pb;
    if (c->tf_same) {
        tr_tf_same_pad(c->h, c->kh, c->sh, c->dh, &pt, &pb, oh);
        tr_tf_same_pad(c->w, c->kw, c->sw, c->dw, &pt, &pb, ow);
    } else {
        *oh = tr_conv_out_size(c->h, c->kh, c->sh, c->dh, c->pt, c->pb);
        *ow = tr_conv_out_size(c->w, c->kw, c->sw, c->dw, c->pl, c->pr);
    }
}

static void build_conv(tr_graph *g, void *arg) {
    const conv_spec *c = arg;
    int32_t oh, ow;
    out_size(c, &oh, &ow);
    int64_t xs[4] = {c->n, c->h, c->w, c->c_in},
            ws[4] = {c->c_out, c->kh, c->kw, c->c_in / c->groups};
    int64_t bs[1] = {c->c_out}, is[2] = {c->n, c->c_in}, os[2] = {c->n, c->c_out};
    int64_t ns[4] = {c->n, oh, ow, 1}, ys[4] = {c->n, oh, ow, c->c_out};
    int32_t x = gu_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t w = gu_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    tr_conv_opts o = tr_conv_opts_default();
    o.stride_h = c->sh, o.stride_w = c->sw, o.dil_h = c->dh, o.dil_w = c->dw;
    o.pad_top = c->pt, o.pad_bottom = c->pb, o.pad_left = c->pl, o.pad_right = c->pr;
    o.tf_same = c->tf_same, o.groups = c->groups, o.pad_mode = c->pad, o.accum = c->accum;
    if (c->extras == EX_BIAS_LRELU || c->extras == EX_MODULATED) {
        o.bias = gu_input(g, "bias", TRYON_DTYPE_F32, 1, bs);
        o.ep = tr_epilogue_make(TR_ACT_LRELU);
        o.ep.gain = 1.4142135f;
    }
    if (c->extras == EX_MODULATED) {
        o.in_scale = gu_input(g, "styles", TRYON_DTYPE_F32, 2, is);
        o.out_scale = gu_input(g, "demod", TRYON_DTYPE_F32, 2, os);
        o.add = gu_input(g, "noise", TRYON_DTYPE_F32, 4, ns);
        o.ep.clamp = 5.0f;
    }
    if (c->extras == EX_RESIDUAL) {
        o.residual = gu_input(g, "residual", TRYON_DTYPE_F32, 4, ys);
        o.ep = tr_epilogue_make(TR_ACT_RELU);
    }
    gu_output(g, tr_conv2d(g, x, w, &o), "y");
}

/* The launcher's own pick for this spec (conv2d.cu conv_t). */
static int32_t auto_variant(const conv_spec *c, tryon_dtype prec) {
    if (c->accum == TR_CONV_ACCUM_ROUND_ONCE) return TR_CONV_V0;
    if (c->c_in / c->groups == 1) return TR_CONV_DEPTHWISE;
    return prec == TRYON_DTYPE_F32 ? TR_CONV_IGEMM_SIMT : TR_CONV_IGEMM_MMA;
}

static void conv_run(const conv_spec *c, tryon_dtype prec, int32_t variant, int ints,
                     tryon_kernels kernels) {
    gu_opts o = gu_opts_default();
    o.precision = prec, o.kernels = kernels;
    o.force_op = TR_OP_CONV2D, o.force_variant = variant;
    o.seed = (uint64_t)(c - convs) + 1;
    o.exact = ints;
    o.guard = c->h < 1000; /* the 4.4 M-pixel case: a 70 MB arena read back per run is enough */
    if (variant == TR_CONV_V0) {
        o.bitwise = 1;
    } else if (kernels == TRYON_KERNELS_VENDOR) {
        gu_set_tol(&o, 1e-3, 1e-4, 4, 4);
        o.force_variant = -1;
        o.expect_variant = -1;
    } else {
        gu_set_tol(&o, 1e-4, 1e-5, 2, 2);
    }
    if (variant < 0) { /* no forcing: check the pick */
        o.force_variant = -1;
        o.expect_variant = kernels == TRYON_KERNELS_VENDOR ? -1 : auto_variant(c, prec);
        if (kernels == TRYON_KERNELS_VENDOR) o.force_op = -1;
    }
    char what[160];
    snprintf(what, sizeof what, "conv2d '%s' %s variant %d%s%s", c->name, tryon_dtype_name(prec),
             variant, ints ? " (integers)" : "", kernels == TRYON_KERNELS_VENDOR ? " vendor" : "");
    gu_compare_backends(what, build_conv, (void *)c, &o);
}

START_TEST(conv2d_variants_match_the_cpu) {
    const conv_spec *c = &convs[_i];
    if (gu_quick() && !c->quick) return;
    const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    const int round_once = c->accum == TR_CONV_ACCUM_ROUND_ONCE;
    const int depthwise = c->c_in / c->groups == 1 && !round_once;
    const int big = c->h >= 1000;
    for (int p = 0; p < 3; p++) {
        tryon_dtype prec = precs[p];
        if (round_once && prec != TRYON_DTYPE_F32) continue;
        if (big && prec == TRYON_DTYPE_BF16) continue;
        conv_run(c, prec, TR_CONV_V0, 0, TRYON_KERNELS_OWN);
        if (round_once) continue;
        int32_t fast[3] = {TR_CONV_IGEMM_SIMT, TR_CONV_IGEMM_MMA, TR_CONV_DEPTHWISE};
        for (int k = 0; k < 3; k++) {
            if (fast[k] == TR_CONV_IGEMM_MMA && prec == TRYON_DTYPE_F32) continue;
            if (fast[k] == TR_CONV_DEPTHWISE && !depthwise) continue;
            conv_run(c, prec, fast[k], 1, TRYON_KERNELS_OWN);
            if (!big) conv_run(c, prec, fast[k], 0, TRYON_KERNELS_OWN);
        }
        conv_run(c, prec, -1, 0, TRYON_KERNELS_OWN);
    }
    if (!round_once && !big) {
        conv_run(c, TRYON_DTYPE_F32, -1, 0, TRYON_KERNELS_VENDOR);
        conv_run(c, TRYON_DTYPE_F16, -1, 0, TRYON_KERNELS_VENDOR);
    }
}
END_TEST

/* ---- conv_transpose2d --------------------------------------------------------- */

typedef struct convt_spec {
    const char *name;
    int32_t n, h, w, c_in, c_out, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, oph, opw, groups;
    int32_t quick;
} convt_spec;

static const convt_spec convts[] = {
    {"cyclegan up", 1, 16, 12, 128, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {"stylegan2 up", 2, 8, 8, 64, 70, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0},
    {"stride 3 dilated grouped", 1, 5, 3, 4, 6, 4, 3, 3, 2, 2, 1, 1, 2, 0, 1, 1, 1, 2, 1},
    {"stride 1", 1, 7, 9, 5, 3, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0},
    {"empty phases", 1, 2, 3, 3, 5, 2, 5, 4, 3, 1, 2, 0, 1, 2, 0, 0, 1, 1, 0},
    {"stride 5 (v0 only)", 1, 4, 4, 3, 2, 5, 5, 5, 5, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0},
};

static void build_convt(tr_graph *g, void *arg) {
    const convt_spec *c = arg;
    int64_t xs[4] = {c->n, c->h, c->w, c->c_in},
            ws[4] = {c->c_out, c->kh, c->kw, c->c_in / c->groups};
    int64_t bs[1] = {c->c_out};
    int32_t x = gu_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int32_t w = gu_input(g, "w", TRYON_DTYPE_F32, 4, ws);
    tr_convt_opts o = tr_convt_opts_default();
    o.stride_h = c->sh, o.stride_w = c->sw, o.dil_h = c->dh, o.dil_w = c->dw;
    o.pad_top = c->pt, o.pad_bottom = c->pb, o.pad_left = c->pl, o.pad_right = c->pr;
    o.out_pad_h = c->oph, o.out_pad_w = c->opw, o.groups = c->groups;
    o.bias = gu_input(g, "bias", TRYON_DTYPE_F32, 1, bs);
    o.ep = tr_epilogue_make(TR_ACT_RELU);
    gu_output(g, tr_conv_transpose2d(g, x, w, &o), "y");
}

START_TEST(conv_transpose2d_variants_match_the_cpu) {
    const convt_spec *c = &convts[_i];
    if (gu_quick() && !c->quick) return;
    const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    const int subpixel = c->sh <= 4 && c->sw <= 4;
    for (int p = 0; p < 3; p++) {
        const int32_t vs[3] = {TR_CONVT_V0, TR_CONVT_SUBPIXEL_SIMT, TR_CONVT_SUBPIXEL_MMA};
        for (int k = 0; k < 3; k++) {
            if (vs[k] != TR_CONVT_V0 && !subpixel) continue;
            if (vs[k] == TR_CONVT_SUBPIXEL_MMA && precs[p] == TRYON_DTYPE_F32) continue;
            for (int ints = 0; ints < 2; ints++) {
                if (vs[k] == TR_CONVT_V0 && ints) continue;
                gu_opts o = gu_opts_default();
                o.precision = precs[p];
                o.force_op = TR_OP_CONV_TRANSPOSE2D, o.force_variant = vs[k];
                o.exact = ints, o.bitwise = vs[k] == TR_CONVT_V0;
                gu_set_tol(&o, 1e-4, 1e-5, 2, 2);
                char what[160];
                snprintf(what, sizeof what, "conv_transpose2d '%s' %s variant %d%s", c->name,
                         tryon_dtype_name(precs[p]), vs[k], ints ? " (integers)" : "");
                gu_compare_backends(what, build_convt, (void *)c, &o);
            }
        }
        /* the launcher's pick */
        gu_opts o = gu_opts_default();
        o.precision = precs[p];
        o.force_op = TR_OP_CONV_TRANSPOSE2D;
        o.expect_variant = !subpixel                     ? TR_CONVT_V0
                           : precs[p] == TRYON_DTYPE_F32 ? TR_CONVT_SUBPIXEL_SIMT
                                                         : TR_CONVT_SUBPIXEL_MMA;
        gu_set_tol(&o, 1e-4, 1e-5, 2, 2);
        gu_compare_backends("conv_transpose2d auto", build_convt, (void *)c, &o);
    }
}
END_TEST

/* ---- linear ----------------------------------------------------------------------- */

typedef struct linear_spec {
    const char *name;
    int32_t n, k, m;
    tr_act act;
} linear_spec;

static const linear_spec linears[] = {
    {"mapping fc", 2, 512, 512, TR_ACT_LRELU},
    {"affine", 1, 512, 256, TR_ACT_NONE},
    {"odd sizes", 37, 70, 33, TR_ACT_RELU},
    {"big batch", 300, 129, 65, TR_ACT_NONE},
};

static void build_linear(tr_graph *g, void *arg) {
    const linear_spec *l = arg;
    int64_t xs[2] = {l->n, l->k}, ws[2] = {l->m, l->k}, bs[1] = {l->m};
    int32_t x = gu_input(g, "x", TRYON_DTYPE_F32, 2, xs);
    int32_t w = gu_input(g, "w", TRYON_DTYPE_F32, 2, ws);
    int32_t b = gu_input(g, "b", TRYON_DTYPE_F32, 1, bs);
    tr_epilogue ep = tr_epilogue_make(l->act);
    ep.gain = l->act == TR_ACT_LRELU ? 1.4142135f : 1.0f;
    gu_output(g, tr_linear(g, x, w, b, ep), "y");
}

START_TEST(linear_variants_match_the_cpu) {
    const linear_spec *l = &linears[_i];
    if (gu_quick() && _i > 1) return;
    const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    for (int p = 0; p < 3; p++) {
        const int32_t vs[4] = {TR_LINEAR_V0, TR_LINEAR_WARP, TR_LINEAR_IGEMM_SIMT,
                               TR_LINEAR_IGEMM_MMA};
        for (int k = 0; k < 4; k++) {
            if (vs[k] == TR_LINEAR_IGEMM_MMA && precs[p] == TRYON_DTYPE_F32) continue;
            for (int ints = 0; ints < 2; ints++) {
                if (vs[k] == TR_LINEAR_V0 && ints) continue;
                gu_opts o = gu_opts_default();
                o.precision = precs[p];
                o.force_op = TR_OP_LINEAR, o.force_variant = vs[k];
                o.exact = ints, o.bitwise = vs[k] == TR_LINEAR_V0;
                gu_set_tol(&o, 1e-4, 1e-5, 2, 2);
                char what[160];
                snprintf(what, sizeof what, "linear '%s' %s variant %d%s", l->name,
                         tryon_dtype_name(precs[p]), vs[k], ints ? " (integers)" : "");
                gu_compare_backends(what, build_linear, (void *)l, &o);
            }
        }
        if (precs[p] == TRYON_DTYPE_BF16) continue;
        gu_opts o = gu_opts_default(); /* cuBLAS */
        o.precision = precs[p], o.kernels = TRYON_KERNELS_VENDOR;
        o.force_op = TR_OP_LINEAR, o.expect_variant = TR_LINEAR_VENDOR;
        gu_set_tol(&o, 1e-3, 1e-4, 4, 4);
        gu_compare_backends("linear cuBLAS", build_linear, (void *)l, &o);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_conv");
    TCase *tc = tcase_create("conv");
    tcase_add_loop_test(tc, conv2d_variants_match_the_cpu, 0, N_CONVS);
    tcase_add_loop_test(tc, conv_transpose2d_variants_match_the_cpu, 0,
                        (int)(sizeof convts / sizeof convts[0]));
    tcase_add_loop_test(tc, linear_variants_match_the_cpu, 0,
                        (int)(sizeof linears / sizeof linears[0]));
    suite_add_tcase(s, tc);
    return gu_main("gpu_conv", s);
}
