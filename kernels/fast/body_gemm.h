/* body_gemm.h — GEMM micro-kernels and the fused epilogue store, written in
 * vec.h's vocabulary and compiled once per ISA file (isa_*.c).
 *
 * f32 tile (MR rows x NV vectors of columns): the accumulators live in
 * registers for the whole reduction. For every k one vector of B per column
 * vector is loaded, and each row's A value is broadcast and multiplied in
 * with one FMA per (row, vector): MR*NV FMAs per MR broadcasts + NV loads.
 * AVX-512 uses 14 x 2 (28 zmm accumulators), AVX2 6 x 2, portable 6 x 2.
 * Each element is one FMA chain over (segment, k) in order, so its value does
 * not depend on the tile it was computed in.
 *
 * ROUND_ONCE tile (MR rows x one float vector of columns): accumulators are
 * doubles holding float values; per tap acc = round_to_float(fma_d(x, w,
 * acc)), which is the reference's (float)((double)acc + (double)x*w) since
 * the double product of two floats is exact.
 *
 * Store: the reference epilogue's operations in its order, each an IEEE
 * operation on the same operands, so a tile stores exactly what
 * kernels/cpu/conv2d.c's finish() would for the same accumulator. tanh and
 * sigmoid go through the scalar tr_epilogue_apply for the same reason. */
#ifndef TR_FAST_BODY_GEMM_H
#define TR_FAST_BODY_GEMM_H

#include "cpu/epilogue.h"

#define TR_INLINE static inline __attribute__((always_inline))
/* Full unrolling of the register-tile loops (constant trip counts once the
 * bodies are inlined), so that the accumulators live in registers. */
#if defined(__clang__)
#define TR_UNROLL _Pragma("unroll")
#else
#define TR_UNROLL _Pragma("GCC unroll 16")
#endif

static inline int32_t tr_fast_min_i(int32_t a, int32_t b) { return a < b ? a : b; }

TR_INLINE void gemm_body(const tr_ukr *u, const int MR, const int NV) {
    vf acc[TR_FAST_MR_MAX][TR_FAST_NV_MAX];
    TR_UNROLL for (int r = 0; r < MR; r++) {
        TR_UNROLL for (int v = 0; v < NV; v++) acc[r][v] = vf_zero();
    }
    const float *b = u->b;
    const int64_t ld = u->b_ld;
    for (int32_t s = 0; s < u->n_seg; s++) {
        const float *const *ap = u->a + (int64_t)s * TR_FAST_A_LD;
        const float *p[TR_FAST_MR_MAX];
        TR_UNROLL for (int r = 0; r < MR; r++) p[r] = ap[r];
        for (int32_t k = 0; k < u->kc; k++) {
            vf bv[TR_FAST_NV_MAX];
            TR_UNROLL for (int v = 0; v < NV; v++) bv[v] = vf_load(b + v * VL);
            TR_UNROLL for (int r = 0; r < MR; r++) {
                const vf x = vf_set1(p[r][k]);
                TR_UNROLL for (int v = 0; v < NV; v++) acc[r][v] = vf_fma(x, bv[v], acc[r][v]);
            }
            b += ld;
        }
    }
    TR_UNROLL for (int r = 0; r < MR; r++) {
        TR_UNROLL for (int v = 0; v < NV; v++)
            vf_store(u->acc + (int64_t)r * u->acc_ld + v * VL, acc[r][v]);
    }
}

TR_INLINE void gemm_ro_body(const tr_ukr *u, const int MR) {
    vd acc[TR_FAST_MR_MAX][2];
    TR_UNROLL for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = vd_zero();
    const float *b = u->b;
    const int64_t ld = u->b_ld;
    for (int32_t s = 0; s < u->n_seg; s++) {
        const float *const *ap = u->a + (int64_t)s * TR_FAST_A_LD;
        const float *p[TR_FAST_MR_MAX];
        TR_UNROLL for (int r = 0; r < MR; r++) p[r] = ap[r];
        for (int32_t k = 0; k < u->kc; k++) {
            const vd b0 = vd_load_f(b), b1 = vd_load_f(b + VLD);
            TR_UNROLL for (int r = 0; r < MR; r++) {
                const vd x = vd_set1((double)p[r][k]);
                acc[r][0] = vd_round_f32(vd_fma(x, b0, acc[r][0]));
                acc[r][1] = vd_round_f32(vd_fma(x, b1, acc[r][1]));
            }
            b += ld;
        }
    }
    TR_UNROLL for (int r = 0; r < MR; r++) {
        vd_store_f(u->acc + (int64_t)r * u->acc_ld, acc[r][0]);
        vd_store_f(u->acc + (int64_t)r * u->acc_ld + VLD, acc[r][1]);
    }
}

/* One instance per tile shape; the table in the ISA file lists them. */
#define TR_DEF_GEMM(MR)                                                                            \
    static void gemm_##MR##x1(const tr_ukr *u) { gemm_body(u, MR, 1); }                            \
    static void gemm_##MR##x2(const tr_ukr *u) { gemm_body(u, MR, 2); }                            \
    static void gemm_ro_##MR(const tr_ukr *u) { gemm_ro_body(u, MR); }

/* Dot-product tile for few output channels (conv.c's TR_FAST_DOT): MR
 * pixels x CO channels, vectors along K, straight from the OHWI weights;
 * each output is VL lane-wise FMA chains over (segment, k) in order, summed
 * across lanes at the end by the fixed tree of vf_hsum. */
TR_INLINE void dot_body(const tr_fast_dot *u, const int MR, const int CO) {
    vf acc[TR_FAST_DOT_MR][TR_FAST_DOT_CO];
    TR_UNROLL for (int r = 0; r < MR; r++) {
        TR_UNROLL for (int o = 0; o < CO; o++) acc[r][o] = vf_zero();
    }
    const int32_t kc = u->kc, full = kc / VL * VL, tail = kc - full;
    for (int32_t s = 0; s < u->n_seg; s++) {
        const float *const *ap = u->a + (int64_t)s * TR_FAST_A_LD;
        const float *w = u->w + (int64_t)s * kc;
        for (int32_t k = 0; k < full; k += VL) {
            vf x[TR_FAST_DOT_MR];
            TR_UNROLL for (int r = 0; r < MR; r++) {
                x[r] = vf_load(ap[r] + k);
                vf_keep(x[r]);
            }
            TR_UNROLL for (int o = 0; o < CO; o++) {
                const vf wv = vf_load(w + o * u->w_ld + k);
                TR_UNROLL for (int r = 0; r < MR; r++) acc[r][o] = vf_fma(x[r], wv, acc[r][o]);
            }
        }
        if (tail) {
            vf x[TR_FAST_DOT_MR];
            TR_UNROLL for (int r = 0; r < MR; r++) x[r] = vf_load_n(ap[r] + full, tail);
            TR_UNROLL for (int o = 0; o < CO; o++) {
                const vf wv = vf_load_n(w + o * u->w_ld + full, tail);
                TR_UNROLL for (int r = 0; r < MR; r++) acc[r][o] = vf_fma(x[r], wv, acc[r][o]);
            }
        }
    }
    TR_UNROLL for (int r = 0; r < MR; r++) {
        TR_UNROLL for (int o = 0; o < CO; o++) u->acc[r * CO + o] = vf_hsum(acc[r][o]);
    }
}

#define TR_DEF_DOT(MR)                                                                             \
    static void dot_##MR##x1(const tr_fast_dot *u) { dot_body(u, MR, 1); }                         \
    static void dot_##MR##x2(const tr_fast_dot *u) { dot_body(u, MR, 2); }                         \
    static void dot_##MR##x3(const tr_fast_dot *u) { dot_body(u, MR, 3); }                         \
    static void dot_##MR##x4(const tr_fast_dot *u) { dot_body(u, MR, 4); }
TR_DEF_DOT(1)
TR_DEF_DOT(2)
TR_DEF_DOT(3)
TR_DEF_DOT(4)

/* v = act(v) * gain, clamped: vectorised for the piecewise-linear
 * activations (ordered compares keep NaN, as the scalar code does). */
TR_INLINE vf ep_act_linear(vf v, const tr_epilogue *e) {
    const vf zero = vf_zero();
    switch (e->act) {
    case TR_ACT_RELU: v = vf_select(vf_lt(v, zero), zero, v); break;
    case TR_ACT_RELU6: {
        const vf six = vf_set1(6.0f);
        v = vf_select(vf_lt(v, zero), zero, vf_select(vf_gt(v, six), six, v));
        break;
    }
    case TR_ACT_LRELU: v = vf_select(vf_lt(v, zero), vf_mul(v, vf_set1(e->alpha)), v); break;
    default: break;
    }
    v = vf_mul(v, vf_set1(e->gain));
    if (e->clamp > 0.0f) {
        const vf hi = vf_set1(e->clamp), lo = vf_set1(-e->clamp);
        v = vf_select(vf_lt(v, lo), lo, vf_select(vf_gt(v, hi), hi, v));
    }
    return v;
}

static void store_tile(const tr_fast_store *s, const tr_fast_ep *e) {
    const tr_epilogue *ep = e->ep;
    const int scalar_act = ep->act == TR_ACT_TANH || ep->act == TR_ACT_SIGMOID;
    for (int32_t r = 0; r < s->mr; r++) {
        const float *acc = s->acc + (int64_t)r * s->acc_ld;
        float *y = s->y + (int64_t)r * s->y_rs;
        const float *res = s->res ? s->res + (int64_t)r * s->y_rs : NULL;
        const float *add = e->add ? e->add + (int64_t)r * e->add_rs : NULL;
        for (int32_t c = 0; c < s->nr; c += VL) {
            const int32_t n = s->nr - c < VL ? s->nr - c : VL;
            vf v = n == VL ? vf_load(acc + c) : vf_load_n(acc + c, n);
            if (e->oscale) v = vf_mul(v, vf_load_n(e->oscale + c, n));
            if (add) v = vf_add(v, e->add_cs ? vf_load_n(add + c, n) : vf_set1(add[0]));
            if (e->bias)
                v = vf_add(v, vf_load_n(e->bias + c, n));
            else if (e->bias_zero)
                v = vf_add(v, vf_zero());
            if (scalar_act) {
                float t[VL];
                vf_store(t, v);
                for (int32_t i = 0; i < n; i++) t[i] = tr_epilogue_apply(ep, t[i]);
                v = vf_load(t);
            } else {
                v = ep_act_linear(v, ep);
            }
            if (res) v = vf_add(v, vf_load_n(res + c, n));
            if (n == VL)
                vf_store(y + c, v);
            else
                vf_store_n(y + c, v, n);
        }
    }
}

#endif /* TR_FAST_BODY_GEMM_H */
