/* test_kernels_convt.c — the CPU reference conv_transpose2d kernel
 * (kernels/cpu/conv_transpose2d.c) called directly, against a double oracle
 * in scatter form (each input pixel adds into the outputs its footprint
 * covers) while the kernel gathers each output pixel. Covered: stride,
 * asymmetric padding, output_padding, dilation, groups (depthwise and
 * multipliers), bias, epilogue, batch > 1, edge shapes, guard bands,
 * thread-count determinism; exact on small integers, else within the bound
 * of tests/kernel_ref.h. PyTorch comparisons: tests/test_torch_conv.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "kernel_ref.h"
#include "pool.h"
#include "util.h"

typedef struct convt_case {
    int32_t n, h, w, cin, cout, kh, kw;
    int32_t sh, sw, dh, dw;
    int32_t pt, pb, pl, pr, oph, opw; /* padding and output_padding */
    int32_t groups;
    tr_epilogue ep;
    int32_t bias;
} convt_case;

/* Table shorthands; strides, dilations and groups left 0 mean 1, gain 0 means 1. */
#define SHAPE(n_, h_, w_, ci_, co_, kh_, kw_)                                                      \
    .n = (n_), .h = (h_), .w = (w_), .cin = (ci_), .cout = (co_), .kh = (kh_), .kw = (kw_)
#define STRIDE(s_)  .sh = (s_), .sw = (s_)
#define PAD(p_)     .pt = (p_), .pb = (p_), .pl = (p_), .pr = (p_)
#define OUT_PAD(p_) .oph = (p_), .opw = (p_)

static convt_case convt_norm(convt_case c) {
    c.sh = c.sh ? c.sh : 1, c.sw = c.sw ? c.sw : 1;
    c.dh = c.dh ? c.dh : 1, c.dw = c.dw ? c.dw : 1;
    c.groups = c.groups ? c.groups : 1;
    if (c.ep.gain == 0) c.ep.gain = 1;
    return c;
}

/* PyTorch: out = (in-1)*s - pad_begin - pad_end + d*(k-1) + 1 + output_padding. */
static int32_t convt_out(int32_t in, int32_t s, int32_t pads, int32_t d, int32_t k, int32_t op) {
    return (in - 1) * s - pads + d * (k - 1) + 1 + op;
}

static tr_conv_transpose2d_args convt_setup(const convt_case *c, tu_rng *r, int exact) {
    tr_conv_transpose2d_args a;
    memset(&a, 0, sizeof a);
    tr_conv_transpose2d_desc *d = &a.d;
    d->n = c->n, d->h = c->h, d->w = c->w, d->c_in = c->cin, d->c_out = c->cout;
    d->kh = c->kh, d->kw = c->kw, d->stride_h = c->sh, d->stride_w = c->sw;
    d->dil_h = c->dh, d->dil_w = c->dw, d->pad_top = c->pt, d->pad_left = c->pl;
    d->groups = c->groups, d->ep = c->ep;
    d->oh = convt_out(c->h, c->sh, c->pt + c->pb, c->dh, c->kh, c->oph);
    d->ow = convt_out(c->w, c->sw, c->pl + c->pr, c->dw, c->kw, c->opw);
    ck_assert(d->oh > 0 && d->ow > 0);
    int64_t k = (int64_t)c->kh * c->kw * (c->cin / c->groups);
    a.x = kr_operand((int64_t)c->n * c->h * c->w * c->cin, r, exact, 3, 1.0f);
    a.w = kr_operand((int64_t)c->cout * k, r, exact, 3, (float)(1.5 / sqrt((double)k)));
    if (c->bias) a.bias = kr_operand(c->cout, r, exact, 8, 1.0f);
    a.y = kr_output((int64_t)c->n * d->oh * d->ow * c->cout);
    return a;
}

/* Scatter-form oracle: every input pixel adds x * W into the outputs its
 * footprint covers. Each output sums at most K = kh*kw*Cg products (one
 * rounding each) and the bias: |err| <= gamma_{K+1} (sum |x w| + |bias|). */
static void convt_oracle(const convt_case *c, const tr_conv_transpose2d_args *a, double *ref,
                         double *tol) {
    const int32_t oh = a->d.oh, ow = a->d.ow, cig = c->cin / c->groups, cog = c->cout / c->groups;
    int64_t ny = (int64_t)c->n * oh * ow * c->cout;
    double *mag = calloc((size_t)ny, sizeof *mag);
    for (int64_t i = 0; i < ny; i++) ref[i] = 0;
    for (int32_t n = 0; n < c->n; n++)
        for (int32_t iy = 0; iy < c->h; iy++)
            for (int32_t ix = 0; ix < c->w; ix++)
                for (int32_t ci = 0; ci < c->cin; ci++) {
                    const int32_t g = ci / cig, i = ci % cig;
                    double xv = a->x[(((int64_t)n * c->h + iy) * c->w + ix) * c->cin + ci];
                    for (int32_t o = g * cog; o < (g + 1) * cog; o++)
                        for (int32_t ky = 0; ky < c->kh; ky++)
                            for (int32_t kx = 0; kx < c->kw; kx++) {
                                int32_t oy = iy * c->sh - c->pt + ky * c->dh;
                                int32_t ox = ix * c->sw - c->pl + kx * c->dw;
                                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                double p =
                                    xv * a->w[(((int64_t)o * c->kh + ky) * c->kw + kx) * cig + i];
                                int64_t idx = (((int64_t)n * oh + oy) * ow + ox) * c->cout + o;
                                ref[idx] += p;
                                mag[idx] += fabs(p);
                            }
                }
    const double err_factor = kr_gamma((int64_t)c->kh * c->kw * cig + 1);
    for (int64_t idx = 0; idx < ny; idx++) {
        double b = a->bias ? a->bias[idx % c->cout] : 0;
        kr_epilogue_ref(&c->ep, ref[idx] + b, err_factor * (mag[idx] + fabs(b)), 0, &ref[idx],
                        &tol[idx]);
    }
    free(mag);
}

static void convt_check_pool(const convt_case *c, int exact, uint64_t seed, tr_pool *pool) {
    char what[256];
    snprintf(what, sizeof what,
             "convt n%d %dx%dx%d->%d k%dx%d s%d,%d d%d,%d pad(t%d b%d l%d r%d) op%d,%d g%d %s "
             "gain%g clamp%g%s",
             c->n, c->h, c->w, c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pt,
             c->pb, c->pl, c->pr, c->oph, c->opw, c->groups, kr_act_names[c->ep.act], c->ep.gain,
             c->ep.clamp, c->bias ? " bias" : "");
    tu_rng r;
    tu_rng_seed(&r, seed);
    tr_conv_transpose2d_args a = convt_setup(c, &r, exact);
    int64_t shape[4] = {c->n, a.d.oh, a.d.ow, c->cout};
    int64_t ny = shape[0] * shape[1] * shape[2] * shape[3];
    double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
    convt_oracle(c, &a, ref, tol);
    tr_cpu_conv_transpose2d_f32(pool, &a);
    ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", what);
    if (exact) {
        kr_assert_exact(a.y, ref, ny, 4, shape, what);
    } else {
        tu_cmp cmp = tu_compare_tol(a.y, ref, tol, ny);
        TU_ASSERT_CMP(cmp, 4, shape, what);
    }
    free(ref), free(tol);
    kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
}

static void convt_check(const convt_case *c, int exact, uint64_t seed) {
    convt_check_pool(c, exact, seed, NULL);
}

START_TEST(convt_configurations) {
    static const convt_case t[] = {
        {SHAPE(1, 4, 5, 3, 2, 3, 3)},                                /* stride 1 */
        {SHAPE(2, 4, 5, 3, 4, 3, 3), STRIDE(2), PAD(1), OUT_PAD(1)}, /* CycleGAN upsampling */
        {SHAPE(1, 5, 4, 2, 3, 4, 4), STRIDE(2), PAD(1)},
        {SHAPE(1, 3, 4, 2, 2, 2, 2), STRIDE(3), OUT_PAD(2)}, /* stride > kernel */
        {SHAPE(1, 4, 4, 4, 6, 3, 3), STRIDE(2), PAD(1), OUT_PAD(1), .groups = 2},
        {SHAPE(1, 5, 5, 3, 3, 3, 3), STRIDE(2), PAD(1), .groups = 3},       /* depthwise */
        {SHAPE(1, 4, 3, 2, 4, 3, 3), STRIDE(2), .groups = 2},               /* multiplier 2 */
        {SHAPE(1, 4, 5, 2, 3, 3, 3), PAD(1), OUT_PAD(1), .dh = 2, .dw = 3}, /* dilation */
        /* asymmetric padding and output_padding; output_padding 2 < stride 3 */
        {SHAPE(1, 4, 5, 2, 3, 3, 3), .sh = 2, .sw = 3, .dh = 2, .pt = 2, .pl = 1, .pr = 3,
         .opw = 2},
        {SHAPE(2, 3, 3, 2, 3, 3, 3), STRIDE(2), PAD(1), OUT_PAD(1), .bias = 1,
         .ep = {TR_ACT_RELU, 0, 2, 0}},
        {SHAPE(1, 3, 3, 2, 3, 3, 3), STRIDE(2), PAD(1), OUT_PAD(1), .bias = 1,
         .ep = {TR_ACT_LRELU, 0.5f, 1, 6}},
        {SHAPE(1, 1, 1, 1, 1, 1, 1)},                                   /* everything 1 */
        {SHAPE(1, 1, 1, 3, 2, 3, 3), STRIDE(2), OUT_PAD(1)},            /* 1-pixel input */
        {SHAPE(1, 2, 3, 2, 2, 1, 1), STRIDE(3), OUT_PAD(2), .bias = 1}, /* gaps: bias only */
        {SHAPE(1, 3, 3, 1, 2, 5, 5), PAD(2)},                           /* padding crops */
        {SHAPE(1, 2, 2, 1, 1, 3, 3), STRIDE(2), PAD(2)},                /* cropped to 1x1 */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        convt_case c = convt_norm(t[i]);
        convt_check(&c, 1, 1100 + (uint64_t)i);
        convt_check(&c, 0, 1200 + (uint64_t)i);
    }
}
END_TEST

START_TEST(convt_random_configurations) {
    tu_rng r;
    tu_rng_seed(&r, 99);
    for (int i = 0; i < 300; i++) {
        convt_case c;
        for (;;) {
            memset(&c, 0, sizeof c);
            c.n = tu_rng_int(&r, 1, 2), c.h = tu_rng_int(&r, 1, 6), c.w = tu_rng_int(&r, 1, 6);
            c.groups = tu_rng_int(&r, 1, 3);
            c.cin = c.groups * tu_rng_int(&r, 1, 3), c.cout = c.groups * tu_rng_int(&r, 1, 3);
            c.kh = tu_rng_int(&r, 1, 5), c.kw = tu_rng_int(&r, 1, 5);
            c.sh = tu_rng_int(&r, 1, 4), c.sw = tu_rng_int(&r, 1, 4);
            c.dh = tu_rng_int(&r, 1, 3), c.dw = tu_rng_int(&r, 1, 3);
            c.pt = tu_rng_int(&r, 0, 3), c.pb = tu_rng_int(&r, 0, 3);
            c.pl = tu_rng_int(&r, 0, 3), c.pr = tu_rng_int(&r, 0, 3);
            /* output_padding < max(stride, dilation), as PyTorch requires */
            c.oph = tu_rng_int(&r, 0, (c.sh > c.dh ? c.sh : c.dh) - 1);
            c.opw = tu_rng_int(&r, 0, (c.sw > c.dw ? c.sw : c.dw) - 1);
            c.bias = tu_rng_int(&r, 0, 1);
            c.ep = tr_epilogue_make(
                (tr_act)tu_rng_int(&r, 0, i % 2 ? TR_ACT_LRELU : TR_ACT_COUNT - 1));
            c.ep.alpha = 0.25f;
            if (convt_out(c.h, c.sh, c.pt + c.pb, c.dh, c.kh, c.oph) >= 1 &&
                convt_out(c.w, c.sw, c.pl + c.pr, c.dw, c.kw, c.opw) >= 1)
                break;
        }
        /* odd i: exact-friendly epilogue on integers; even i: anything, uniform */
        convt_check(&c, i % 2, 1300 + (uint64_t)i);
    }
}
END_TEST

START_TEST(convt_bitwise_identical_across_threads) {
    const convt_case c =
        convt_norm((convt_case){SHAPE(2, 9, 11, 6, 8, 3, 3), STRIDE(2), PAD(1), OUT_PAD(1),
                                .groups = 2, .bias = 1, .ep = {TR_ACT_SIGMOID, 0, 1, 0}});
    float *first = NULL;
    for (int32_t threads = 1; threads <= 4; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        tu_rng r;
        tu_rng_seed(&r, 41);
        tr_conv_transpose2d_args a = convt_setup(&c, &r, 0);
        int64_t ny = (int64_t)c.n * a.d.oh * a.d.ow * c.cout;
        tr_cpu_conv_transpose2d_f32(ctx->pool, &a);
        ck_assert(kr_out_guard_ok(a.y, ny));
        if (!first) {
            first = malloc((size_t)ny * sizeof *first);
            memcpy(first, a.y, (size_t)ny * sizeof *first);
        } else {
            ck_assert_msg(!memcmp(first, a.y, (size_t)ny * sizeof *first), "%d threads differ",
                          threads);
        }
        kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
        convt_check_pool(&c, 0, 41, ctx->pool);
        tryon_ctx_free(ctx);
    }
    free(first);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_convt");
    TCase *tc = tcase_create("conv_transpose2d");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, convt_configurations);
    tcase_add_test(tc, convt_random_configurations);
    tcase_add_test(tc, convt_bitwise_identical_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
