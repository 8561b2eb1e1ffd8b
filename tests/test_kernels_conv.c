/* test_kernels_conv.c — the CPU reference conv2d kernel (kernels/cpu/conv2d.c)
 * called directly, against a double-precision oracle written here
 * independently of the kernel: the oracle materialises the padded image
 * (the kernel maps indices instead) and folds reflections repeatedly.
 * Covered: groups, depthwise with and without channel multiplier, stride,
 * dilation, asymmetric padding, TF SAME (tr_tf_same_pad and the builder),
 * zero/reflect/replicate padding, in_scale/out_scale/add (every broadcast
 * pattern)/residual, every activation with gain and clamp, batch > 1, edge
 * shapes, NaN/inf propagation, guard bands, thread-count determinism.
 * Small-integer data makes every product and sum exact in f32, so those runs
 * compare bitwise; random data compares within the per-element bound of the
 * error model in tests/kernel_ref.h.
 * Related: tests/test_kernels_convt.c (conv_transpose2d), test_kernels_linear.c
 * (linear, epilogue), test_build_conv.c (builder errors), test_torch_conv.c
 * (PyTorch). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "kernel_ref.h"
#include "pool.h"
#include "util.h"

typedef struct conv_case {
    int32_t n, h, w, cin, cout, kh, kw;
    int32_t sh, sw, dh, dw;
    int32_t pt, pb, pl, pr;
    int32_t groups;
    tr_pad_mode mode;
    tr_epilogue ep;
    int32_t bias, in_scale, out_scale, residual; /* 1: operand present */
    int32_t add;                                 /* 0: none, else ADD(mask) */
} conv_case;

/* Table shorthands; fields left 0 get their defaults from conv_norm. */
#define SHAPE(n_, h_, w_, ci_, co_, kh_, kw_)                                                      \
    .n = (n_), .h = (h_), .w = (w_), .cin = (ci_), .cout = (co_), .kh = (kh_), .kw = (kw_)
#define PAD(t_, b_, l_, r_) .pt = (t_), .pb = (b_), .pl = (l_), .pr = (r_)
/* add operand whose dim i is the output's if bit i of mask is set, else 1. */
#define ADD(mask) (16 | (mask))

/* Strides, dilations and groups of 0 mean 1, a gain of 0 means 1. */
static conv_case conv_norm(conv_case c) {
    c.sh = c.sh ? c.sh : 1, c.sw = c.sw ? c.sw : 1;
    c.dh = c.dh ? c.dh : 1, c.dw = c.dw ? c.dw : 1;
    c.groups = c.groups ? c.groups : 1;
    if (c.ep.gain == 0) c.ep.gain = 1;
    return c;
}

static conv_case conv_case_make(int32_t n, int32_t h, int32_t w, int32_t cin, int32_t cout,
                                int32_t kh, int32_t kw) {
    conv_case c = {SHAPE(n, h, w, cin, cout, kh, kw)};
    c.ep = tr_epilogue_make(TR_ACT_NONE);
    return conv_norm(c);
}

static void conv_pad(conv_case *c, int32_t pt, int32_t pb, int32_t pl, int32_t pr) {
    c->pt = pt, c->pb = pb, c->pl = pl, c->pr = pr;
}

/* PyTorch's output size: floor((in + pads - dil*(k-1) - 1) / stride) + 1. */
static int32_t conv_out(int32_t in, int32_t pads, int32_t k, int32_t s, int32_t d) {
    int32_t span = d * (k - 1) + 1;
    return in + pads < span ? 0 : (in + pads - span) / s + 1;
}

static const char *conv_case_str(const conv_case *c, char *buf, size_t size) {
    static const char *modes[] = {"zeros", "reflect", "replicate"};
    snprintf(buf, size,
             "n%d %dx%dx%d->%d k%dx%d s%d,%d d%d,%d pad(t%d b%d l%d r%d) g%d %s %s a%g gain%g "
             "clamp%g%s%s%s%s add mask %d",
             c->n, c->h, c->w, c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pt,
             c->pb, c->pl, c->pr, c->groups, modes[c->mode], kr_act_names[c->ep.act], c->ep.alpha,
             c->ep.gain, c->ep.clamp, c->bias ? " bias" : "", c->in_scale ? " in_scale" : "",
             c->out_scale ? " out_scale" : "", c->residual ? " res" : "",
             c->add ? c->add & 15 : -1);
    return buf;
}

/* Kernel arguments with guarded, filled operands and a NaN output. */
static tr_conv2d_args conv_setup(const conv_case *c, tu_rng *r, int exact) {
    tr_conv2d_args a;
    memset(&a, 0, sizeof a);
    tr_conv2d_desc *d = &a.d;
    d->n = c->n, d->h = c->h, d->w = c->w, d->c_in = c->cin, d->c_out = c->cout;
    d->kh = c->kh, d->kw = c->kw, d->stride_h = c->sh, d->stride_w = c->sw;
    d->dil_h = c->dh, d->dil_w = c->dw, d->pad_top = c->pt, d->pad_left = c->pl;
    d->groups = c->groups, d->pad_mode = c->mode, d->ep = c->ep;
    d->oh = conv_out(c->h, c->pt + c->pb, c->kh, c->sh, c->dh);
    d->ow = conv_out(c->w, c->pl + c->pr, c->kw, c->sw, c->dw);
    ck_assert(d->oh > 0 && d->ow > 0);
    int64_t k = (int64_t)c->kh * c->kw * (c->cin / c->groups);
    int64_t ny = (int64_t)c->n * d->oh * d->ow * c->cout;
    /* Random weights ~ 1/sqrt(K) keep pre-activations O(1), where tanh and
     * sigmoid are not saturated. */
    float wmax = (float)(1.5 / sqrt((double)k));
    a.x = kr_operand((int64_t)c->n * c->h * c->w * c->cin, r, exact, 3, 1.0f);
    a.w = kr_operand((int64_t)c->cout * k, r, exact, 3, wmax);
    if (c->bias) a.bias = kr_operand(c->cout, r, exact, 8, 1.0f);
    if (c->in_scale) a.in_scale = kr_operand((int64_t)c->n * c->cin, r, exact, 2, 1.5f);
    if (c->out_scale) a.out_scale = kr_operand((int64_t)c->n * c->cout, r, exact, 2, 1.5f);
    int64_t ys[4] = {c->n, d->oh, d->ow, c->cout};
    for (int32_t i = 0; i < 4; i++) d->add_shape[i] = c->add && (c->add >> i & 1) ? ys[i] : 1;
    if (c->add)
        a.add = kr_operand(d->add_shape[0] * d->add_shape[1] * d->add_shape[2] * d->add_shape[3], r,
                           exact, 8, 1.0f);
    if (c->residual) a.residual = kr_operand(ny, r, exact, 8, 1.0f);
    a.y = kr_output(ny);
    return a;
}

static void conv_release(tr_conv2d_args *a) {
    kr_release(a->x), kr_release(a->w), kr_release(a->bias), kr_release(a->in_scale);
    kr_release(a->out_scale), kr_release(a->add), kr_release(a->residual), kr_release(a->y);
}

/* Source coordinate of p (may lie outside [0, n)) or -1 for a zero. Reflect
 * folds until inside, a mirror with period 2(n-1) that does not repeat the
 * edge; replicate clamps. */
static int32_t src_coord(int32_t p, int32_t n, tr_pad_mode m) {
    if (p >= 0 && p < n) return p;
    if (m == TR_PAD_ZEROS) return -1;
    if (m == TR_PAD_REPLICATE || n == 1) return p < 0 ? 0 : n - 1;
    int32_t period = 2 * (n - 1), q = ((p % period) + period) % period;
    return q < n ? q : period - q;
}

/* Oracle in double from the case (not the descriptor): pads the scaled input
 * into a new image, correlates it, then out_scale, add, bias, epilogue and
 * residual. Error bound of the kernel's f32 pre-activation: each of the K
 * terms x*s*w rounds at most twice, recursive summation adds K-1 roundings
 * on any term's path, then out_scale, add and bias one each:
 * |err| <= gamma_{K+4} * (sum|x s w| |out_scale| + |add| + |bias|). */
static void conv_oracle(const conv_case *c, const tr_conv2d_args *a, double *ref, double *tol) {
    const int32_t ph = c->h + c->pt + c->pb, pw = c->w + c->pl + c->pr;
    const int32_t oh = a->d.oh, ow = a->d.ow, cig = c->cin / c->groups, cog = c->cout / c->groups;
    double *pad = malloc((size_t)c->n * ph * pw * c->cin * sizeof *pad);
    for (int32_t n = 0; n < c->n; n++)
        for (int32_t py = 0; py < ph; py++)
            for (int32_t px = 0; px < pw; px++) {
                int32_t sy = src_coord(py - c->pt, c->h, c->mode);
                int32_t sx = src_coord(px - c->pl, c->w, c->mode);
                for (int32_t i = 0; i < c->cin; i++) {
                    double v = 0;
                    if (sy >= 0 && sx >= 0) {
                        v = a->x[(((int64_t)n * c->h + sy) * c->w + sx) * c->cin + i];
                        if (a->in_scale) v *= a->in_scale[(int64_t)n * c->cin + i];
                    }
                    pad[(((int64_t)n * ph + py) * pw + px) * c->cin + i] = v;
                }
            }
    const int64_t *as = a->d.add_shape;
    const double err_factor = kr_gamma((int64_t)c->kh * c->kw * cig + 4);
    for (int32_t n = 0; n < c->n; n++)
        for (int32_t oy = 0; oy < oh; oy++)
            for (int32_t ox = 0; ox < ow; ox++)
                for (int32_t o = 0; o < c->cout; o++) {
                    const int32_t g = o / cog;
                    double acc = 0, mag = 0;
                    for (int32_t ky = 0; ky < c->kh; ky++)
                        for (int32_t kx = 0; kx < c->kw; kx++)
                            for (int32_t i = 0; i < cig; i++) {
                                int32_t py = oy * c->sh + ky * c->dh, px = ox * c->sw + kx * c->dw;
                                double p =
                                    pad[(((int64_t)n * ph + py) * pw + px) * c->cin + g * cig + i] *
                                    a->w[(((int64_t)o * c->kh + ky) * c->kw + kx) * cig + i];
                                acc += p;
                                mag += fabs(p);
                            }
                    double os = a->out_scale ? a->out_scale[(int64_t)n * c->cout + o] : 1;
                    double add = 0;
                    if (a->add) {
                        int64_t ai = ((as[0] == 1 ? 0 : n) * as[1] + (as[1] == 1 ? 0 : oy)) * as[2];
                        ai = (ai + (as[2] == 1 ? 0 : ox)) * as[3] + (as[3] == 1 ? 0 : o);
                        add = a->add[ai];
                    }
                    double bias = a->bias ? a->bias[o] : 0;
                    int64_t idx = (((int64_t)n * oh + oy) * ow + ox) * c->cout + o;
                    double res = a->residual ? a->residual[idx] : 0;
                    double pre = acc * os + add + bias;
                    double err = err_factor * (mag * fabs(os) + fabs(add) + fabs(bias));
                    kr_epilogue_ref(&c->ep, pre, err, res, &ref[idx], &tol[idx]);
                }
    free(pad);
}

/* Runs one case on pool (NULL: serial) and checks it; exact = small integers. */
static void conv_check_pool(const conv_case *c, int exact, uint64_t seed, tr_pool *pool) {
    char what[320];
    conv_case_str(c, what, sizeof what);
    tu_rng r;
    tu_rng_seed(&r, seed);
    tr_conv2d_args a = conv_setup(c, &r, exact);
    int64_t shape[4] = {c->n, a.d.oh, a.d.ow, c->cout};
    int64_t ny = shape[0] * shape[1] * shape[2] * shape[3];
    double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
    conv_oracle(c, &a, ref, tol);
    tr_cpu_conv2d_f32(pool, &a);
    ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", what);
    if (exact) {
        kr_assert_exact(a.y, ref, ny, 4, shape, what);
    } else {
        tu_cmp cmp = tu_compare_tol(a.y, ref, tol, ny);
        TU_ASSERT_CMP(cmp, 4, shape, what);
    }
    free(ref), free(tol);
    conv_release(&a);
}

static void conv_check(const conv_case *c, int exact, uint64_t seed) {
    conv_check_pool(c, exact, seed, NULL);
}

/* A valid random case. Exact cases restrict the epilogue to what stays exact
 * on integers: power-of-two gains and slopes, no tanh/sigmoid. */
static conv_case conv_case_random(tu_rng *r, int exact) {
    for (;;) {
        conv_case c = conv_case_make(tu_rng_int(r, 1, 3), tu_rng_int(r, 1, 9), tu_rng_int(r, 1, 9),
                                     1, 1, tu_rng_int(r, 1, 5), tu_rng_int(r, 1, 5));
        int32_t cig, cog, kind = tu_rng_int(r, 0, 3);
        if (kind == 3) { /* depthwise, with a channel multiplier cog */
            c.groups = tu_rng_int(r, 1, 6), cig = 1, cog = tu_rng_int(r, 1, 3);
        } else {
            c.groups = kind + 1, cig = tu_rng_int(r, 1, 4), cog = tu_rng_int(r, 1, 3);
        }
        c.cin = c.groups * cig, c.cout = c.groups * cog;
        c.sh = tu_rng_int(r, 1, 4), c.sw = tu_rng_int(r, 1, 4);
        c.dh = tu_rng_int(r, 1, 3), c.dw = tu_rng_int(r, 1, 3);
        c.mode = (tr_pad_mode)tu_rng_int(r, 0, TR_PAD_COUNT - 1);
        /* Reflect needs pad < size; the others take any pad. */
        int32_t mh = c.mode == TR_PAD_REFLECT ? (c.h - 1 < 4 ? c.h - 1 : 4) : 4;
        int32_t mw = c.mode == TR_PAD_REFLECT ? (c.w - 1 < 4 ? c.w - 1 : 4) : 4;
        conv_pad(&c, tu_rng_int(r, 0, mh), tu_rng_int(r, 0, mh), tu_rng_int(r, 0, mw),
                 tu_rng_int(r, 0, mw));
        if (conv_out(c.h, c.pt + c.pb, c.kh, c.sh, c.dh) < 1 ||
            conv_out(c.w, c.pl + c.pr, c.kw, c.sw, c.dw) < 1)
            continue;
        c.bias = tu_rng_int(r, 0, 1), c.in_scale = tu_rng_int(r, 0, 1);
        c.out_scale = tu_rng_int(r, 0, 1), c.residual = tu_rng_int(r, 0, 1);
        c.add = tu_rng_int(r, 0, 1) ? ADD(tu_rng_int(r, 0, 15)) : 0;
        if (exact) {
            static const float gains[] = {1.0f, 2.0f, 0.5f, -1.0f};
            c.ep = tr_epilogue_make((tr_act)tu_rng_int(r, 0, TR_ACT_LRELU));
            c.ep.alpha = tu_rng_int(r, 0, 1) ? 0.25f : 0.5f;
            c.ep.gain = gains[tu_rng_int(r, 0, 3)];
            c.ep.clamp = tu_rng_int(r, 0, 1) ? 0.0f : 7.0f;
        } else {
            static const float gains[] = {1.0f, 1.41421356f, 0.5f};
            c.ep = tr_epilogue_make((tr_act)tu_rng_int(r, 0, TR_ACT_COUNT - 1));
            c.ep.gain = gains[tu_rng_int(r, 0, 2)];
            c.ep.clamp = tu_rng_int(r, 0, 2) ? 0.0f : 0.75f;
        }
        return c;
    }
}

START_TEST(conv_out_size_and_tf_same_pad_tables) {
    /* in, k, stride, dil, pad_begin, pad_end -> out (-1: does not fit). */
    static const int32_t sz[][7] = {
        {5, 3, 1, 1, 0, 0, 3},  {5, 3, 2, 1, 1, 1, 3},  {5, 7, 1, 1, 1, 1, 1},
        {5, 7, 1, 1, 0, 0, -1}, {5, 3, 1, 3, 0, 0, -1}, {5, 3, 1, 2, 0, 0, 1},
        {10, 1, 3, 1, 0, 0, 4}, {1, 1, 3, 1, 0, 0, 1},  {1, 3, 1, 1, 1, 1, 1},
        {4, 2, 3, 1, 0, 0, 1},  {5, 3, 0, 1, 0, 0, -1}, {2147483647, 1, 1, 1, 2147483647, 0, -1},
    };
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++)
        ck_assert_msg(tr_conv_out_size(sz[i][0], sz[i][1], sz[i][2], sz[i][3], sz[i][4],
                                       sz[i][5]) == sz[i][6],
                      "row %zu", i);
    /* TF 'SAME': out = ceil(in / s), total = max((out-1)*s + dil*(k-1)+1 - in, 0),
     * begin = total / 2, the odd pixel at the end. in, k, s, dil -> begin, end, out;
     * worked out by hand from that definition. */
    static const int32_t same[][7] = {
        {8, 3, 2, 1, 0, 1, 4},   {7, 3, 2, 1, 1, 1, 4},   {8, 3, 1, 1, 1, 1, 8},
        {8, 4, 1, 1, 1, 2, 8},   {9, 1, 2, 1, 0, 0, 5},   {8, 1, 2, 1, 0, 0, 4},
        {6, 5, 2, 1, 1, 2, 3},   {10, 3, 2, 2, 1, 2, 5},  {1, 3, 2, 1, 1, 1, 1},
        {2, 3, 3, 1, 0, 1, 1},   {5, 2, 3, 1, 0, 0, 2},   {4, 1, 3, 1, 0, 0, 2},
        {64, 3, 2, 1, 0, 1, 32}, {33, 3, 2, 1, 1, 1, 17},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        int32_t b = -9, e = -9, o = -9;
        tr_tf_same_pad(same[i][0], same[i][1], same[i][2], same[i][3], &b, &e, &o);
        ck_assert_msg(b == same[i][4] && e == same[i][5] && o == same[i][6],
                      "in %d k %d s %d d %d: got (%d, %d, %d), want (%d, %d, %d)", same[i][0],
                      same[i][1], same[i][2], same[i][3], b, e, o, same[i][4], same[i][5],
                      same[i][6]);
    }
}
END_TEST

/* 1 if the case is valid in padding mode m (reflect needs pad < size). */
static int mode_ok(const conv_case *c, tr_pad_mode m) {
    return m != TR_PAD_REFLECT || (c->pt < c->h && c->pb < c->h && c->pl < c->w && c->pr < c->w);
}

/* Runs each case of the table in every padding mode that accepts it, exact
 * on integers and within tolerance on uniform data. */
static void conv_check_table(const conv_case *t, size_t nt, uint64_t seed) {
    for (size_t i = 0; i < nt; i++)
        for (int m = 0; m < TR_PAD_COUNT; m++) {
            conv_case c = conv_norm(t[i]);
            c.mode = (tr_pad_mode)m;
            if (!mode_ok(&c, c.mode)) continue;
            conv_check(&c, 1, seed + 10 * i + (uint64_t)m);
            conv_check(&c, 0, seed + 10 * i + 5 + (uint64_t)m);
        }
}

START_TEST(conv2d_configurations) {
    static const conv_case t[] = {
        {SHAPE(1, 6, 5, 3, 4, 3, 3)}, /* no padding */
        {SHAPE(1, 6, 5, 3, 4, 3, 3), PAD(1, 1, 1, 1)},
        {SHAPE(2, 9, 8, 4, 6, 3, 3), PAD(1, 1, 1, 1), .sh = 2, .sw = 2},
        {SHAPE(1, 9, 11, 2, 3, 3, 2), .sh = 3},
        {SHAPE(1, 10, 9, 3, 2, 3, 3), PAD(2, 2, 4, 4), .dh = 2, .dw = 4},
        {SHAPE(1, 7, 8, 4, 6, 3, 3), .groups = 2},
        {SHAPE(2, 7, 8, 6, 6, 3, 3), PAD(1, 1, 1, 1), .groups = 3},
        /* depthwise, then channel multipliers 2 and 4 */
        {SHAPE(1, 8, 8, 5, 5, 3, 3), PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .groups = 5},
        {SHAPE(1, 7, 6, 3, 6, 3, 3), PAD(1, 1, 1, 1), .groups = 3},
        {SHAPE(1, 6, 7, 2, 8, 5, 3), PAD(2, 0, 0, 3), .groups = 2},
        /* asymmetric padding, with pads up to size - 1 (the reflect limit) */
        {SHAPE(1, 7, 9, 3, 4, 3, 4), PAD(0, 2, 3, 1)},
        {SHAPE(1, 5, 6, 2, 3, 3, 4), PAD(4, 1, 0, 5), .dw = 2},
        {SHAPE(1, 8, 7, 2, 2, 3, 3), PAD(1, 0, 2, 1), .sh = 2, .sw = 3},
        {SHAPE(2, 6, 7, 3, 2, 5, 5), PAD(2, 2, 2, 2)},
        {SHAPE(3, 5, 4, 2, 3, 3, 3), PAD(1, 1, 1, 1)}, /* batch 3 */
    };
    conv_check_table(t, sizeof t / sizeof t[0], 100);
}
END_TEST

START_TEST(conv2d_exact_optional_operands) {
    /* Each operand alone, then all together under every add broadcast pattern. */
    for (int which = 0; which < 4; which++) {
        conv_case c = conv_case_make(2, 6, 5, 4, 6, 3, 3);
        conv_pad(&c, 1, 1, 1, 1);
        c.groups = 2;
        c.bias = which == 0, c.in_scale = which == 1, c.out_scale = which == 2;
        c.residual = which == 3;
        conv_check(&c, 1, 200 + (uint64_t)which);
    }
    for (int mask = 0; mask < 16; mask++) {
        conv_case c = conv_case_make(2, 5, 6, 3, 4, 3, 2);
        conv_pad(&c, 1, 0, 1, 1);
        c.mode = TR_PAD_REPLICATE;
        c.bias = c.in_scale = c.out_scale = c.residual = 1;
        c.add = ADD(mask);
        c.ep = tr_epilogue_make(TR_ACT_RELU); /* residual comes after the activation */
        conv_check(&c, 1, 300 + (uint64_t)mask);
    }
}
END_TEST

START_TEST(conv2d_exact_epilogues) {
    static const float gains[] = {1.0f, 2.0f, 0.5f};
    static const float clamps[] = {0.0f, 5.0f};
    int k = 0;
    for (int act = 0; act <= TR_ACT_LRELU; act++)
        for (int g = 0; g < 3; g++)
            for (int cl = 0; cl < 2; cl++) {
                conv_case c = conv_case_make(2, 5, 5, 3, 4, 3, 3);
                conv_pad(&c, 1, 1, 1, 1);
                c.bias = c.residual = 1;
                c.ep = tr_epilogue_make((tr_act)act);
                c.ep.alpha = 0.25f, c.ep.gain = gains[g], c.ep.clamp = clamps[cl];
                conv_check(&c, 1, 400 + (uint64_t)k++);
            }
}
END_TEST

START_TEST(conv2d_random_epilogues_with_tolerance) {
    /* tanh and sigmoid are not exact: every activation on random data. */
    static const float gains[] = {1.0f, 1.41421356f};
    static const float clamps[] = {0.0f, 0.6f};
    int k = 0;
    for (int act = 0; act < TR_ACT_COUNT; act++)
        for (int g = 0; g < 2; g++)
            for (int cl = 0; cl < 2; cl++) {
                conv_case c = conv_case_make(2, 6, 7, 4, 5, 3, 3);
                conv_pad(&c, 1, 1, 1, 1);
                c.bias = c.residual = c.in_scale = c.out_scale = 1;
                c.add = ADD(0xd); /* (N, 1, OW, C) */
                c.ep = tr_epilogue_make((tr_act)act);
                c.ep.gain = gains[g], c.ep.clamp = clamps[cl];
                conv_check(&c, 0, 500 + (uint64_t)k++);
            }
}
END_TEST

START_TEST(conv2d_random_configurations) {
    /* Random valid cases (groups, depthwise multipliers, strides, dilations,
     * asymmetric pads in all three modes, optional operands, epilogues),
     * each exact on integers and within tolerance on uniform data. */
    tu_rng r;
    tu_rng_seed(&r, 77);
    for (int i = 0; i < 250; i++) {
        conv_case c = conv_case_random(&r, 1);
        conv_check(&c, 1, 1000 + (uint64_t)i);
        c = conv_case_random(&r, 0);
        conv_check(&c, 0, 2000 + (uint64_t)i);
    }
}
END_TEST

START_TEST(conv2d_edge_shapes) {
    static const conv_case t[] = {
        {SHAPE(1, 1, 1, 1, 1, 1, 1)},  /* everything 1 */
        {SHAPE(2, 7, 11, 5, 3, 1, 1)}, /* pointwise, prime sizes */
        {SHAPE(1, 13, 7, 3, 5, 5, 3)},
        /* 1-pixel image, 3x3 window padded around it (not for reflect) */
        {SHAPE(2, 1, 1, 3, 2, 3, 3), PAD(1, 1, 1, 1)},
        /* pads larger than the image: outputs that see only padding */
        {SHAPE(1, 2, 1, 2, 2, 3, 2), PAD(3, 4, 2, 3), .bias = 1},
        /* kernel covering the whole padded input: both axes, then rows only */
        {SHAPE(1, 5, 4, 2, 3, 7, 6), PAD(1, 1, 1, 1)},
        {SHAPE(1, 5, 5, 2, 2, 13, 3), PAD(4, 4, 0, 0)},
        /* stride > kernel */
        {SHAPE(1, 10, 11, 2, 3, 1, 1), .sh = 3, .sw = 4},
        {SHAPE(1, 11, 9, 2, 2, 2, 2), .sh = 5, .sw = 3},
        {SHAPE(1, 9, 9, 2, 2, 2, 2), PAD(1, 1, 1, 1), .sh = 4, .sw = 4, .dh = 2},
        /* one-row and one-column images; reflection on 2 pixels */
        {SHAPE(1, 1, 9, 3, 2, 1, 3), PAD(0, 0, 1, 1), .sw = 2},
        {SHAPE(1, 9, 1, 3, 2, 3, 1), PAD(1, 1, 0, 0)},
        {SHAPE(1, 2, 2, 1, 1, 2, 2), PAD(1, 1, 1, 1)},
    };
    conv_check_table(t, sizeof t / sizeof t[0], 600);
}
END_TEST

START_TEST(conv2d_tf_same_through_builder) {
    /* The builder's tf_same must put the odd padding pixel at the bottom and
     * right (TF), and the kernel must then match an oracle padded that way
     * but not one padded top/left (so the test can tell them apart). */
    static const int32_t cfg[][5] = {/* h, w, k, stride, depthwise */
                                     {8, 8, 3, 2, 1}, {7, 9, 3, 2, 0},  {8, 7, 3, 1, 0},
                                     {8, 8, 4, 1, 1}, {6, 10, 5, 2, 0}, {9, 8, 1, 2, 1}};
    tryon_ctx *ctx = tu_ctx(1);
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        int32_t h = cfg[i][0], w = cfg[i][1], k = cfg[i][2], s = cfg[i][3], dw = cfg[i][4];
        conv_case c = conv_case_make(1, h, w, 4, dw ? 4 : 3, k, k);
        c.groups = dw ? 4 : 1, c.sh = c.sw = s;
        int32_t oh = (h + s - 1) / s, ow = (w + s - 1) / s;
        int32_t th = (oh - 1) * s + k - h, tw = (ow - 1) * s + k - w;
        th = th < 0 ? 0 : th, tw = tw < 0 ? 0 : tw;
        conv_pad(&c, th / 2, th - th / 2, tw / 2, tw - tw / 2);

        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {1, h, w, 4}, ws[4] = {c.cout, k, k, 4 / c.groups};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t wt = tr_graph_input(g, "w", TRYON_DTYPE_F32, 4, ws);
        tr_conv_opts o = tr_conv_opts_default();
        o.tf_same = 1, o.stride_h = o.stride_w = s, o.groups = c.groups;
        o.pad_top = o.pad_left = -5; /* ignored under tf_same */
        int32_t y = tr_conv2d(g, x, wt, &o);
        ck_assert_msg(y >= 0, "%s", tryon_ctx_last_error(ctx));
        const tr_conv2d_desc *d = &g->nodes[g->n_nodes - 1].p.conv;
        ck_assert_int_eq(d->oh, oh);
        ck_assert_int_eq(d->ow, ow);
        ck_assert_int_eq(d->pad_top, c.pt);
        ck_assert_int_eq(d->pad_left, c.pl);
        ck_assert_int_eq(g->tensors[y].shape[1], oh);
        ck_assert_int_eq(g->tensors[y].shape[2], ow);

        tu_rng r;
        tu_rng_seed(&r, 800 + i);
        tr_conv2d_args a = conv_setup(&c, &r, 1);
        ck_assert_int_eq(a.d.oh, d->oh);
        ck_assert_int_eq(a.d.ow, d->ow);
        a.d = *d;
        int64_t ny = (int64_t)oh * ow * c.cout, shape[4] = {1, oh, ow, c.cout};
        double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
        tr_cpu_conv2d_f32(NULL, &a);
        ck_assert(kr_out_guard_ok(a.y, ny));
        conv_oracle(&c, &a, ref, tol);
        kr_assert_exact(a.y, ref, ny, 4, shape, "tf same");
        if (th % 2 || tw % 2) { /* the other split must give different numbers */
            conv_case flipped = c;
            conv_pad(&flipped, c.pb, c.pt, c.pr, c.pl);
            conv_oracle(&flipped, &a, ref, tol);
            int differs = 0;
            for (int64_t j = 0; j < ny; j++) differs |= (double)a.y[j] != ref[j];
            ck_assert_msg(differs, "case %zu: top/left padding indistinguishable", i);
        }
        free(ref), free(tol);
        conv_release(&a);
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(conv2d_nan_and_inf_propagate) {
    /* One NaN and one +inf pixel in the input: outputs whose window covers
     * them must be NaN / +-inf exactly where the oracle says (inf * 0 = NaN
     * included), including through relu, tanh and sigmoid; the rest is exact. */
    for (int act = 0; act < TR_ACT_COUNT; act++) {
        conv_case c = conv_case_make(1, 9, 9, 2, 3, 3, 3);
        conv_pad(&c, 1, 1, 1, 1);
        c.bias = 1;
        c.ep = tr_epilogue_make((tr_act)act);
        c.ep.alpha = 0.25f;
        tu_rng r;
        tu_rng_seed(&r, 900 + (uint64_t)act);
        tr_conv2d_args a = conv_setup(&c, &r, 1);
        float *x = (float *)a.x, *w = (float *)a.w;
        x[(1 * 9 + 1) * 2 + 0] = NAN;
        x[(6 * 9 + 6) * 2 + 1] = INFINITY;
        w[(1 * 3 + 1) * 2 + 1] = 0; /* output 0 at (6,6): inf * 0 */
        int64_t ny = 81 * 3, shape[4] = {1, 9, 9, 3};
        double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
        conv_oracle(&c, &a, ref, tol);
        tr_cpu_conv2d_f32(NULL, &a);
        int n_nan = 0;
        for (int64_t i = 0; i < ny; i++) n_nan += isnan(ref[i]);
        ck_assert_int_ge(n_nan, 27); /* 9 pixels x 3 channels at least */
        if (act == TR_ACT_NONE || act == TR_ACT_RELU || act == TR_ACT_RELU6 ||
            act == TR_ACT_LRELU) {
            kr_assert_exact(a.y, ref, ny, 4, shape, kr_act_names[act]);
        } else {
            tu_cmp cmp = tu_compare_tol(a.y, ref, tol, ny);
            TU_ASSERT_CMP(cmp, 4, shape, kr_act_names[act]);
        }
        free(ref), free(tol);
        conv_release(&a);
    }
}
END_TEST

START_TEST(conv2d_bitwise_identical_across_threads) {
    conv_case c = conv_case_make(2, 19, 23, 8, 12, 3, 3);
    conv_pad(&c, 1, 2, 0, 1);
    c.groups = 2, c.mode = TR_PAD_REFLECT, c.sh = 2;
    c.bias = c.in_scale = c.out_scale = c.residual = 1, c.add = ADD(0x9);
    c.ep = tr_epilogue_make(TR_ACT_TANH);
    float *first = NULL;
    int64_t ny = 0;
    for (int32_t threads = 1; threads <= 4; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        tu_rng r;
        tu_rng_seed(&r, 31);
        tr_conv2d_args a = conv_setup(&c, &r, 0);
        ny = (int64_t)c.n * a.d.oh * a.d.ow * c.cout;
        tr_cpu_conv2d_f32(ctx->pool, &a);
        ck_assert(kr_out_guard_ok(a.y, ny));
        if (!first) {
            first = malloc((size_t)ny * sizeof *first);
            memcpy(first, a.y, (size_t)ny * sizeof *first);
        } else {
            ck_assert_msg(!memcmp(first, a.y, (size_t)ny * sizeof *first), "%d threads differ",
                          threads);
        }
        conv_release(&a);
        /* and the threaded run is right, not merely repeatable */
        conv_check_pool(&c, 0, 31, ctx->pool);
        tryon_ctx_free(ctx);
    }
    free(first);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_conv");
    TCase *tc = tcase_create("conv2d");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, conv_out_size_and_tf_same_pad_tables);
    tcase_add_test(tc, conv2d_configurations);
    tcase_add_test(tc, conv2d_exact_optional_operands);
    tcase_add_test(tc, conv2d_exact_epilogues);
    tcase_add_test(tc, conv2d_random_epilogues_with_tolerance);
    tcase_add_test(tc, conv2d_random_configurations);
    tcase_add_test(tc, conv2d_edge_shapes);
    tcase_add_test(tc, conv2d_tf_same_through_builder);
    tcase_add_test(tc, conv2d_nan_and_inf_propagate);
    tcase_add_test(tc, conv2d_bitwise_identical_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
