/* fast_util.h — helpers of the fast-kernel suites (tests/test_kernels_fast_*.c):
 * which ISAs this machine runs, conv cases with guarded operands, running a
 * fast algorithm with its packed weights and workspace, and the comparison
 * against the reference kernel with its error bound.
 *
 * Error model (u = 2^-24, gamma_n = n u / (1 - n u), tests/kernel_ref.h):
 * the reference sums its K = KH*KW*C_in/groups terms x*s*w with two
 * roundings each (product, sum) and the fast kernels with one (FMA) or, in
 * the portable file, two; in any order each result is within
 * gamma_{K+2} * S of the exact sum, S = sum |x*s*w| (the +2 covers the
 * in_scale product and the product rounding). So the two accumulators differ
 * by at most dacc = 2 gamma_{K+2} S. S is the reference kernel run on |x|,
 * |s|, |w|; its own relative error (gamma_K) is covered by inflating it by
 * (1 + gamma_{K+2}). The epilogue is the same sequence of operations on both
 * sides, so the outputs differ by dacc carried through it (fu_tol): out_scale
 * multiplies it, add and bias round once each on both sides (8u of the
 * pre-activation covers the four roundings), the activation is Lipschitz
 * with L = max(1, |alpha|) (tanh/sigmoid also round differently: 16u of
 * their value), the gain multiplies, the clamp is 1-Lipschitz, and the gain
 * and residual roundings add 4u of the output each.
 * Small-integer data keeps every partial sum exact, where fast and reference
 * must agree bit for bit whatever the order; ROUND_ONCE must agree bit for
 * bit on any data (same arithmetic, same order). */
#ifndef TRYON_TEST_FAST_UTIL_H
#define TRYON_TEST_FAST_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fast/fast.h"
#include "graph.h"
#include "kernel_ref.h"
#include "pool.h"

#define FU_UNUSED __attribute__((unused))

/* The ISAs this machine runs, best last; prints which are skipped once. */
static FU_UNUSED int32_t fu_isas(tr_isa *out) {
    int32_t n = 0;
    for (int i = 0; i < TR_ISA_COUNT; i++) {
        if (tr_isa_available((tr_isa)i))
            out[n++] = (tr_isa)i;
        else
            tu_skip(tr_isa_name((tr_isa)i), "this CPU or build cannot run it");
    }
    return n;
}

typedef struct fu_conv {
    int32_t n, h, w, cin, cout, kh, kw;
    int32_t sh, sw, dh, dw;
    int32_t pt, pb, pl, pr;
    int32_t groups;
    tr_pad_mode mode;
    tr_epilogue ep;
    int32_t bias, in_scale, out_scale, residual;
    int32_t add; /* 0: none, else 16 | mask of the output dims add has */
    tr_conv_accum accum;
} fu_conv;

#define FU_SHAPE(n_, h_, w_, ci_, co_, kh_, kw_)                                                   \
    .n = (n_), .h = (h_), .w = (w_), .cin = (ci_), .cout = (co_), .kh = (kh_), .kw = (kw_)
#define FU_PAD(t_, b_, l_, r_) .pt = (t_), .pb = (b_), .pl = (l_), .pr = (r_)
#define FU_ADD(mask)           (16 | (mask))

/* Zero strides, dilations, groups and gain mean 1. */
static FU_UNUSED fu_conv fu_norm(fu_conv c) {
    c.sh = c.sh ? c.sh : 1, c.sw = c.sw ? c.sw : 1;
    c.dh = c.dh ? c.dh : 1, c.dw = c.dw ? c.dw : 1;
    c.groups = c.groups ? c.groups : 1;
    if (c.ep.gain == 0) c.ep.gain = 1;
    return c;
}

static FU_UNUSED int32_t fu_out(int32_t in, int32_t pads, int32_t k, int32_t s, int32_t d) {
    int32_t span = d * (k - 1) + 1;
    return in + pads < span ? 0 : (in + pads - span) / s + 1;
}

static FU_UNUSED const char *fu_str(const fu_conv *c, char *buf, size_t size) {
    static const char *modes[] = {"zeros", "reflect", "replicate"};
    snprintf(buf, size,
             "n%d %dx%dx%d->%d k%dx%d s%d,%d d%d,%d pad(%d %d %d %d) g%d %s %s a%g gain%g "
             "clamp%g%s%s%s%s add %d%s",
             c->n, c->h, c->w, c->cin, c->cout, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->pt,
             c->pb, c->pl, c->pr, c->groups, modes[c->mode], kr_act_names[c->ep.act], c->ep.alpha,
             c->ep.gain, c->ep.clamp, c->bias ? " bias" : "", c->in_scale ? " in_scale" : "",
             c->out_scale ? " out_scale" : "", c->residual ? " res" : "", c->add ? c->add & 15 : -1,
             c->accum == TR_CONV_ACCUM_ROUND_ONCE ? " round_once" : "");
    return buf;
}

/* Guarded operands (small integers when exact), a NaN output. */
static FU_UNUSED tr_conv2d_args fu_setup(const fu_conv *c, tu_rng *r, int exact) {
    tr_conv2d_args a;
    memset(&a, 0, sizeof a);
    tr_conv2d_desc *d = &a.d;
    d->n = c->n, d->h = c->h, d->w = c->w, d->c_in = c->cin, d->c_out = c->cout;
    d->kh = c->kh, d->kw = c->kw, d->stride_h = c->sh, d->stride_w = c->sw;
    d->dil_h = c->dh, d->dil_w = c->dw, d->pad_top = c->pt, d->pad_left = c->pl;
    d->groups = c->groups, d->pad_mode = c->mode, d->ep = c->ep, d->accum = c->accum;
    d->oh = fu_out(c->h, c->pt + c->pb, c->kh, c->sh, c->dh);
    d->ow = fu_out(c->w, c->pl + c->pr, c->kw, c->sw, c->dw);
    ck_assert(d->oh > 0 && d->ow > 0);
    const int64_t k = (int64_t)c->kh * c->kw * (c->cin / c->groups);
    const int64_t ny = (int64_t)c->n * d->oh * d->ow * c->cout;
    const float wmax = (float)(1.5 / sqrt((double)k));
    a.x = kr_operand((int64_t)c->n * c->h * c->w * c->cin, r, exact, 3, 1.0f);
    a.w = kr_operand((int64_t)c->cout * k, r, exact, 3, wmax);
    if (c->bias) a.bias = kr_operand(c->cout, r, exact, 8, 1.0f);
    if (c->in_scale) a.in_scale = kr_operand((int64_t)c->n * c->cin, r, exact, 2, 1.5f);
    if (c->out_scale) a.out_scale = kr_operand((int64_t)c->n * c->cout, r, exact, 2, 1.5f);
    const int64_t ys[4] = {c->n, d->oh, d->ow, c->cout};
    for (int32_t i = 0; i < 4; i++) d->add_shape[i] = c->add && (c->add >> i & 1) ? ys[i] : 1;
    if (c->add)
        a.add = kr_operand(d->add_shape[0] * d->add_shape[1] * d->add_shape[2] * d->add_shape[3], r,
                           exact, 8, 1.0f);
    if (c->residual) a.residual = kr_operand(ny, r, exact, 8, 1.0f);
    a.y = kr_output(ny);
    return a;
}

static FU_UNUSED void fu_release(tr_conv2d_args *a) {
    kr_release(a->x), kr_release(a->w), kr_release(a->bias), kr_release(a->in_scale);
    kr_release(a->out_scale), kr_release(a->add), kr_release(a->residual), kr_release(a->y);
}

static FU_UNUSED int64_t fu_ny(const tr_conv2d_args *a) {
    return (int64_t)a->d.n * a->d.oh * a->d.ow * a->d.c_out;
}

/* A 64-byte aligned block (the planner's alignment) of at least one byte. */
static FU_UNUSED void *fu_aligned(int64_t bytes) {
    void *p = aligned_alloc(64, (size_t)((bytes + 64) / 64 * 64));
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Plans algo for a on isa with n_threads, packs, runs on pool into a->y.
 * Returns 0 (running nothing) when the algorithm does not apply. */
static FU_UNUSED int fu_run_fast(const tr_fast_isa *isa, tr_fast_algo algo, tr_pool *pool,
                                 const tr_conv2d_args *a) {
    tr_fast_conv f;
    tr_fast_conv2d_plan_algo(isa, &a->d, a->in_scale != NULL, algo, tr_pool_n_threads(pool), &f);
    if (f.algo == TR_FAST_NONE) return 0;
    float *packed = fu_aligned(f.packed_floats * 4);
    void *ws = fu_aligned(f.ws_bytes);
    tr_fast_conv2d_pack(&f, &a->d, a->w, packed);
    tr_fast_conv2d_run(&f, pool, a, packed, ws);
    free(packed), free(ws);
    return 1;
}

/* S per output: the reference on |x|, |s|, |w|, no other operand, no
 * epilogue (its output buffer is returned, malloc'ed). */
static FU_UNUSED float *fu_abs_sum(const tr_conv2d_args *a) {
    const tr_conv2d_desc *d = &a->d;
    const int64_t nx = (int64_t)d->n * d->h * d->w * d->c_in;
    const int64_t nw = (int64_t)d->c_out * d->kh * d->kw * (d->c_in / d->groups);
    tr_conv2d_args b;
    memset(&b, 0, sizeof b);
    b.d = *d;
    b.d.ep = tr_epilogue_make(TR_ACT_NONE);
    b.d.accum = TR_CONV_ACCUM_F32;
    float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4), *s = NULL;
    for (int64_t i = 0; i < nx; i++) x[i] = fabsf(a->x[i]);
    for (int64_t i = 0; i < nw; i++) w[i] = fabsf(a->w[i]);
    if (a->in_scale) {
        s = malloc((size_t)d->n * d->c_in * 4);
        for (int64_t i = 0; i < (int64_t)d->n * d->c_in; i++) s[i] = fabsf(a->in_scale[i]);
    }
    b.x = x, b.w = w, b.in_scale = s;
    b.y = malloc((size_t)fu_ny(a) * 4);
    tr_cpu_conv2d_f32(NULL, &b);
    free(x), free(w), free(s);
    return b.y;
}

/* The reference's pre-activation acc * out_scale + add + bias (malloc'ed). */
static FU_UNUSED float *fu_pre(const tr_conv2d_args *a) {
    tr_conv2d_args b = *a;
    b.d.ep = tr_epilogue_make(TR_ACT_NONE);
    b.residual = NULL;
    b.y = malloc((size_t)fu_ny(a) * 4);
    tr_cpu_conv2d_f32(NULL, &b);
    return b.y;
}

/* Bound on |fast - reference| of one output given dacc, the bound on the
 * accumulators' difference (header comment). */
static FU_UNUSED double fu_tol(const tr_epilogue *ep, double dacc, double os, double pre,
                               double y_ref) {
    const double u = KR_U,
                 lip = ep->act == TR_ACT_LRELU && fabs(ep->alpha) > 1 ? fabs(ep->alpha) : 1;
    double m = fabs(pre) + fabs(os) * dacc;  /* |pre-activation| */
    double dv = fabs(os) * dacc + 8 * u * m; /* out_scale, add, bias */
    double act = ep->act == TR_ACT_TANH || ep->act == TR_ACT_SIGMOID ? 1 : lip * m;
    double da = lip * dv;
    if (ep->act == TR_ACT_TANH || ep->act == TR_ACT_SIGMOID) da += 16 * u * act;
    if (ep->act == TR_ACT_LRELU) da += 4 * u * act;
    double g = fabs((double)ep->gain);
    return g * da + 4 * u * g * act + 4 * u * fabs(y_ref) + KR_TINY;
}

/* Checks a->y (the fast result) against the reference kernel on the same
 * operands: bitwise when exact (small integers, or ROUND_ONCE on any data),
 * else within fu_tol of dacc = 2 gamma_{K+2} S plus extra_dacc[i] (an
 * algorithm's own bound, e.g. Winograd's; NULL for none). */
static FU_UNUSED void fu_check(const tr_conv2d_args *a, int exact, const double *extra_dacc,
                               const char *what) {
    const tr_conv2d_desc *d = &a->d;
    const int64_t ny = fu_ny(a);
    int64_t shape[4] = {d->n, d->oh, d->ow, d->c_out};
    ck_assert_msg(kr_out_guard_ok(a->y, ny), "%s: wrote past the output", what);
    tr_conv2d_args r = *a;
    r.y = kr_output(ny);
    tr_cpu_conv2d_f32(NULL, &r);
    if (exact) {
        tu_cmp c = tu_compare_exact(a->y, r.y, ny);
        TU_ASSERT_CMP(c, 4, shape, what);
    } else {
        const int64_t k = (int64_t)d->kh * d->kw * (d->c_in / d->groups);
        float *s = fu_abs_sum(a), *pre = fu_pre(a);
        double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
        for (int64_t i = 0; i < ny; i++) {
            const int64_t o = i % d->c_out, n = i / ((int64_t)d->oh * d->ow * d->c_out);
            const double os = a->out_scale ? a->out_scale[n * d->c_out + o] : 1;
            double dacc = 2 * kr_gamma(k + 2) * (double)s[i] * (1 + kr_gamma(k + 2));
            if (extra_dacc) dacc += extra_dacc[i];
            ref[i] = r.y[i];
            tol[i] = fu_tol(&d->ep, dacc, os, pre[i], r.y[i]);
        }
        tu_cmp c = tu_compare_tol(a->y, ref, tol, ny);
        TU_ASSERT_CMP(c, 4, shape, what);
        free(s), free(pre), free(ref), free(tol);
    }
    kr_release(r.y);
}

#endif /* TRYON_TEST_FAST_UTIL_H */
