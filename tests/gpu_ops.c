/* gpu_ops.c — GPU suite: every op other than the convolutions (gpu_conv.c)
 * and the warping/rasterization ops (gpu_warp.c) as a one-op graph on CUDA
 * against the CPU backend, in F32, F16 and BF16 storage, with guard bands,
 * NaN canaries and, where the op propagates them, NaN/Inf inputs. No fork;
 * SKIP without a device (harness_gpu.h).
 *
 * Tolerances and why: these ports keep the CPU's operations in its order
 * (--fmad=false), so they compare bitwise in every storage (the reference is
 * rounded to the output's storage) except where CUDA's libm differs from
 * glibc's:
 *   tanh (CUDA's and glibc's tanhf each within 2 ulp): 4 f32 ulp relative;
 *   sigmoid (exp in double, rounded once to f32): 1 f32 ulp;
 *   random noise (log, sin, cos in double, rounded once): 1 f32 ulp;
 *   fused instance norm: one-pass statistics in double (~1e-15 relative to
 *     the two-pass ones), then the CPU's per-element arithmetic: 1 f32 ulp
 *     relative plus 1 ulp of the largest output;
 * and in F16/BF16 storage, where the two fp32 results above may round to
 * neighbouring storage values: 1 storage ulp (2 units of roundoff) relative,
 * plus 1 unit of the largest output. */
#include <math.h>
#include <string.h>

#include "cuda/variants.h"
#include "harness_gpu.h"

typedef struct shape_arg {
    int32_t nd;
    int64_t a[4], b[4], c[4]; /* operand shapes */
    int32_t iparam[4];
    float fparam[4];
    tr_epilogue ep;
} shape_arg;

static int32_t in4(tr_graph *g, const char *name, int32_t nd, const int64_t *s) {
    return gu_input(g, name, TRYON_DTYPE_F32, nd, s);
}

static void build_binary(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t a = in4(g, "a", s->nd, s->a), b = in4(g, "b", s->nd, s->b);
    gu_output(g, tr_binary(g, (tr_binary_op)s->iparam[0], a, b), "y");
}

static void build_scale(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    gu_output(g, tr_scale(g, in4(g, "x", s->nd, s->a), s->fparam[0], s->fparam[1]), "y");
}

static void build_act(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    gu_output(g, tr_activation(g, in4(g, "x", s->nd, s->a), s->ep), "y");
}

static void build_cast(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t x = gu_input(g, "x", TRYON_DTYPE_U8, s->nd, s->a);
    gu_output(g, tr_cast_u8(g, x, 1.0f / 127.5f, -1.0f), "y");
}

static void build_upsample(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    gu_output(g, tr_upsample_nearest(g, in4(g, "x", 4, s->a), s->iparam[0], s->iparam[1]), "y");
}

static void build_resize(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t x = gu_input(g, "x", s->iparam[3] ? TRYON_DTYPE_U8 : TRYON_DTYPE_F32, 4, s->a);
    gu_output(g, tr_resize_bilinear(g, x, s->iparam[0], s->iparam[1], (tr_resize_mode)s->iparam[2]),
              "y");
}

static void build_upfirdn(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t x = in4(g, "x", 4, s->a), f = in4(g, "f", s->iparam[0] ? 1 : 2, s->b);
    tr_upfirdn_opts o = {s->iparam[1],          s->iparam[1],          s->iparam[2],
                         s->iparam[2],          (int32_t)s->fparam[1], (int32_t)s->fparam[2],
                         (int32_t)s->fparam[1], (int32_t)s->fparam[2], s->iparam[3],
                         s->fparam[0]};
    gu_output(g, tr_upfirdn2d(g, x, f, &o), "y");
}

static void build_concat(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t xs[3] = {in4(g, "a", 4, s->a), in4(g, "b", 4, s->b), in4(g, "c", 4, s->c)};
    gu_output(g, tr_concat(g, 3, xs, s->iparam[0]), "y");
}

static void build_permute(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    gu_output(g, tr_permute(g, in4(g, "x", 4, s->a), s->iparam), "y");
}

static void build_slice_reshape(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t x = in4(g, "x", 4, s->a);
    int32_t sl = tr_slice(g, x, s->iparam[0], s->iparam[1], s->iparam[2]);
    int64_t n = tr_tensor_numel(&g->tensors[sl]);
    int64_t rs[2] = {n / s->a[0], s->a[0]};
    gu_output(g, sl, "slice");
    gu_output(g, tr_reshape(g, sl, 2, rs), "reshape");
}

static void build_inorm(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int64_t cs[1] = {s->a[3]};
    int32_t x = in4(g, "x", 4, s->a), ga = in4(g, "gamma", 1, cs), be = in4(g, "beta", 1, cs);
    int32_t res = s->iparam[0] ? in4(g, "res", 4, s->a) : -1;
    gu_output(g, tr_instance_norm(g, x, ga, be, res, 1e-5f, s->ep), "y");
}

static void build_norm2(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    gu_output(g, tr_normalize_2nd_moment(g, in4(g, "x", s->nd, s->a), 1e-8f), "y");
}

static void build_lerp(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int32_t a = in4(g, "a", 2, s->a), b = in4(g, "b", 3, s->b), t = in4(g, "t", 2, s->c);
    gu_output(g, tr_lerp(g, a, b, t), "y");
}

static void build_demod_schan(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int64_t ss[2] = {s->a[0], s->a[3]}, wq[2] = {s->iparam[0], s->a[3]}, bs[1] = {s->a[3]};
    int64_t ns[4] = {s->a[0], s->a[1], s->a[2], 1};
    int32_t st = in4(g, "styles", 2, ss), wsq = in4(g, "wsq", 2, wq);
    gu_output(g, tr_demod_coefs(g, st, wsq, 1e-8f), "demod");
    int32_t x = in4(g, "x", 4, s->a), nz = in4(g, "noise", 4, ns), b = in4(g, "bias", 1, bs);
    gu_output(g, tr_scale_channels(g, x, st, nz, b, s->ep), "y");
}

static void build_noise(tr_graph *g, void *arg) {
    const shape_arg *s = arg;
    int64_t cs[1] = {4}, ns[4] = {1, s->a[1], s->a[2], 1};
    int32_t ctl = gu_input(g, "ctl", TRYON_DTYPE_I32, 1, cs);
    int32_t nc = s->iparam[1] ? in4(g, "nconst", 4, ns) : -1;
    gu_output(g,
              tr_noise(g, ctl, nc, (int32_t)s->a[0], (int32_t)s->a[1], (int32_t)s->a[2], 3, 0.7f),
              "y");
}

/* Noise control: mode iparam[0], a fixed seed. */
static int fill_noise(const tryon_tensor *t, int32_t i, void *buf, void *arg) {
    const shape_arg *s = arg;
    if (t->dtype != TRYON_DTYPE_I32) return 0;
    int32_t *c = buf;
    c[0] = s->iparam[0], c[1] = 0x12345678, c[2] = (int32_t)0x9abcdef0u, c[3] = 0;
    return 1;
}

/* Runs one case in the three storage types. */
static void run3(const char *what, gu_build_fn build, shape_arg *a, int32_t op, int32_t variant,
                 int bitwise, double f32_abs, double f32_rel, double ulps, int nan_inputs,
                 gu_fill_fn fill) {
    const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};
    for (int p = 0; p < 3; p++) {
        gu_opts o = gu_opts_default();
        o.precision = precs[p];
        o.force_op = op, o.force_variant = variant;
        o.bitwise = bitwise;
        o.nan_inputs = nan_inputs;
        o.fill = fill, o.fill_arg = a;
        o.lo = -4, o.hi = 4;
        gu_set_tol(&o, f32_abs, f32_rel, ulps, ulps);
        char label[160];
        snprintf(label, sizeof label, "%s %s", what, tryon_dtype_name(precs[p]));
        gu_compare_backends(label, build, a, &o);
    }
}

#define U32 (0x1p-24)

START_TEST(elementwise_ops_match_the_cpu) {
    shape_arg a;
    memset(&a, 0, sizeof a);
    const int64_t sh[][2][4] = {{{2, 3, 5, 7}, {2, 3, 5, 7}},
                                {{2, 3, 5, 7}, {1, 1, 1, 7}},
                                {{1, 3, 1, 7}, {2, 1, 5, 1}},
                                {{1, 1, 1, 1}, {3, 1, 4, 2}}};
    a.nd = 4;
    for (int s = 0; s < 4; s++)
        for (int op = 0; op < TR_BINARY_COUNT; op++) {
            memcpy(a.a, sh[s][0], sizeof a.a), memcpy(a.b, sh[s][1], sizeof a.b);
            a.iparam[0] = op;
            run3("binary", build_binary, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
        }
    const int64_t big[4] = {3, 67, 129, 5}; /* 130k elements, not a multiple of 256 */
    memcpy(a.a, big, sizeof a.a);
    a.fparam[0] = 0.37f, a.fparam[1] = -1.25f;
    run3("scale", build_scale, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    run3("cast_u8", build_cast, &a, -1, -1, 1, 0, 0, 0, 0, NULL);
    for (int act = 0; act < TR_ACT_COUNT; act++) {
        a.ep = tr_epilogue_make((tr_act)act);
        a.ep.gain = act % 2 ? 1.4142135f : 1.0f;
        a.ep.clamp = act % 3 == 0 ? 2.5f : 0.0f;
        int lib = act == TR_ACT_TANH || act == TR_ACT_SIGMOID;
        run3(tr_act_name((tr_act)act), build_act, &a, -1, -1, !lib, 0,
             act == TR_ACT_TANH ? 4 * 2 * U32 : 2 * U32, 2, 1, NULL);
    }
}
END_TEST

START_TEST(movement_ops_match_the_cpu) {
    shape_arg a;
    memset(&a, 0, sizeof a);
    const int64_t x[4] = {2, 3, 4, 5};
    for (int axis = 0; axis < 4; axis++) {
        memcpy(a.a, x, sizeof a.a), memcpy(a.b, x, sizeof a.b), memcpy(a.c, x, sizeof a.c);
        a.b[axis] = 1, a.c[axis] = 7;
        a.iparam[0] = axis;
        run3("concat", build_concat, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    }
    memcpy(a.a, x, sizeof a.a);
    const int32_t perms[3][4] = {{0, 3, 1, 2}, {3, 2, 1, 0}, {1, 0, 3, 2}};
    for (int p = 0; p < 3; p++) {
        memcpy(a.iparam, perms[p], sizeof perms[p]);
        run3("permute", build_permute, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    }
    for (int axis = 0; axis < 4; axis++) {
        a.iparam[0] = axis, a.iparam[1] = 1, a.iparam[2] = (int32_t)x[axis] - 1;
        run3("slice+reshape", build_slice_reshape, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    }
}
END_TEST

START_TEST(resampling_ops_match_the_cpu) {
    shape_arg a;
    memset(&a, 0, sizeof a);
    const int64_t x[4] = {2, 9, 13, 3};
    memcpy(a.a, x, sizeof a.a);
    a.iparam[0] = 2, a.iparam[1] = 3;
    run3("upsample_nearest", build_upsample, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    const int32_t sizes[4][2] = {{25, 17}, {1, 1}, {9, 13}, {4, 31}};
    for (int s = 0; s < 4; s++)
        for (int mode = 0; mode < TR_RESIZE_COUNT; mode++)
            for (int u8 = 0; u8 < 2; u8++) {
                a.iparam[0] = sizes[s][0], a.iparam[1] = sizes[s][1];
                a.iparam[2] = mode, a.iparam[3] = u8;
                run3("resize_bilinear", build_resize, &a, -1, -1, 1, 0, 0, 0, !u8, NULL);
            }
    /* upfirdn2d: StyleGAN2's up-2 (separable 4 taps, pads 2/1, gain 4),
     * a 2-D filter going down 2, flip */
    const int64_t f1[1] = {4}, f2[2] = {3, 3};
    memset(a.iparam, 0, sizeof a.iparam);
    a.iparam[0] = 1, a.iparam[1] = 2, a.iparam[2] = 1, a.iparam[3] = 0;
    a.b[0] = f1[0];
    a.fparam[0] = 4.0f, a.fparam[1] = 2, a.fparam[2] = 1;
    run3("upfirdn2d up", build_upfirdn, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    a.iparam[0] = 0, a.iparam[1] = 1, a.iparam[2] = 2, a.iparam[3] = 1;
    memcpy(a.b, f2, sizeof f2);
    a.fparam[0] = 1.0f, a.fparam[1] = 1, a.fparam[2] = 1;
    run3("upfirdn2d down", build_upfirdn, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
}
END_TEST

START_TEST(normalization_ops_match_the_cpu) {
    shape_arg a;
    memset(&a, 0, sizeof a);
    const int64_t shapes[3][4] = {{2, 1, 1, 37}, {1, 17, 31, 64}, {1, 130, 70, 33}};
    for (int s = 0; s < 3; s++) {
        if (gu_quick() && s == 2) continue;
        memcpy(a.a, shapes[s], sizeof a.a);
        for (int res = 0; res < 2; res++) {
            a.iparam[0] = res;
            a.ep = tr_epilogue_make(res ? TR_ACT_NONE : TR_ACT_RELU);
            run3("instance_norm v0", build_inorm, &a, TR_OP_INSTANCE_NORM, TR_INORM_V0, 1, 0, 0, 0,
                 0, NULL);
            run3("instance_norm fused", build_inorm, &a, TR_OP_INSTANCE_NORM, TR_INORM_FUSED, 0,
                 2 * U32, 2 * U32, 2, 0, NULL);
        }
    }
    const int64_t rows[2] = {5, 513};
    a.nd = 2;
    memcpy(a.a, rows, sizeof rows);
    run3("normalize_2nd_moment", build_norm2, &a, -1, -1, 1, 0, 0, 0, 0, NULL);
}
END_TEST

START_TEST(stylegan2_ops_match_the_cpu) {
    shape_arg a;
    memset(&a, 0, sizeof a);
    const int64_t la[2] = {1, 37}, lb[3] = {3, 1, 37}, lt[2] = {6, 1};
    memcpy(a.a, la, sizeof la), memcpy(a.b, lb, sizeof lb), memcpy(a.c, lt, sizeof lt);
    run3("lerp", build_lerp, &a, -1, -1, 1, 0, 0, 0, 1, NULL);
    const int64_t xs[4] = {2, 9, 7, 40};
    memcpy(a.a, xs, sizeof xs);
    a.iparam[0] = 24;
    a.ep = tr_epilogue_make(TR_ACT_LRELU);
    a.ep.gain = 1.4142135f, a.ep.clamp = 3.0f;
    run3("demod+scale_channels", build_demod_schan, &a, -1, -1, 1, 0, 0, 0, 0, NULL);
    const int64_t ns[4] = {3, 16, 16, 1};
    memcpy(a.a, ns, sizeof ns);
    for (int mode = 0; mode < TR_NOISE_COUNT; mode++)
        for (int nc = 0; nc < 2; nc++) {
            a.iparam[0] = mode, a.iparam[1] = nc;
            int lib = mode == TR_NOISE_RANDOM;
            run3("noise", build_noise, &a, -1, -1, !lib, 0, 2 * U32, 2, 0, fill_noise);
        }
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_ops");
    TCase *tc = tcase_create("ops");
    tcase_add_test(tc, elementwise_ops_match_the_cpu);
    tcase_add_test(tc, movement_ops_match_the_cpu);
    tcase_add_test(tc, resampling_ops_match_the_cpu);
    tcase_add_test(tc, normalization_ops_match_the_cpu);
    tcase_add_test(tc, stylegan2_ops_match_the_cpu);
    suite_add_tcase(s, tc);
    return gu_main("gpu_ops", s);
}
