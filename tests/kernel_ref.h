/* kernel_ref.h — helpers shared by the kernel suites (tests/test_kernels_*.c):
 * guarded operand and output buffers, the exact-comparison premise check,
 * and the double-precision epilogue oracle with its f32 error model.
 *
 * Buffers: every operand is followed by TU_GUARD NaN canaries, so a read past
 * its end turns outputs into NaN; every output starts as NaN (an element the
 * kernel forgets to write cannot match) and is followed by the same canaries,
 * whose NaN payload no arithmetic produces, so that a write past the end is
 * seen even when the written value is itself a NaN read from an operand.
 *
 * Error model: u = 2^-24 is the f32 unit roundoff and gamma_n = n u/(1 - n u)
 * bounds the relative error of n successive roundings (Higham, Accuracy and
 * Stability of Numerical Algorithms, 3.1): a sum of K products computed in f32
 * in any order is within gamma_{K+r} * sum |terms| of the exact value, r
 * counting the extra roundings on each term's path. Oracles compute the
 * exact value in double (its own error is ~2^-53, negligible) and that bound
 * per element; kr_epilogue_ref carries it through the epilogue. */
#ifndef TRYON_TEST_KERNEL_REF_H
#define TRYON_TEST_KERNEL_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "util.h"

#define KR_U 0x1p-24
/* Absolute slack for results that underflow into f32 subnormals. */
#define KR_TINY 1e-36

static inline double kr_gamma(int64_t n) { return (double)n * KR_U / (1.0 - (double)n * KR_U); }

static const char *const kr_act_names[TR_ACT_COUNT] = {"none",  "relu", "relu6",
                                                       "lrelu", "tanh", "sigmoid"};

/* Guarded operand filled with integers in [-imax, imax] (exact) or uniform
 * values in [-fmax, fmax]. */
static inline float *kr_operand(int64_t n, tu_rng *r, int exact, int32_t imax, float fmax_) {
    float *p = tu_guarded_alloc(n);
    if (exact)
        tu_fill_int(p, n, r, -imax, imax);
    else
        tu_fill_uniform(p, n, r, -fmax_, fmax_);
    return p;
}

/* Guarded output pre-filled with NaN. */
static inline float *kr_output(int64_t n) {
    float *p = tu_guarded_alloc(n);
    for (int64_t i = 0; i < n; i++) p[i] = NAN;
    return p;
}

/* 1 if the canaries after a kr_output buffer of n floats are intact. */
static inline int kr_out_guard_ok(const float *p, int64_t n) { return tu_guard_ok(p, n); }

static inline void kr_release(const float *p) {
    if (p) tu_guarded_free((float *)p);
}

/* Bitwise comparison of an exact run. The oracle's doubles must themselves
 * be f32 values, else the premise of exactness is broken and the test says so. */
static inline void kr_assert_exact(const float *got, const double *ref, int64_t n, int32_t ndim,
                                   const int64_t *shape, const char *what) {
    float *reff = malloc((size_t)n * sizeof *reff);
    for (int64_t i = 0; i < n; i++) {
        reff[i] = (float)ref[i];
        ck_assert_msg(isnan(ref[i]) || (double)reff[i] == ref[i],
                      "%s: oracle value %.17g is not exact in f32", what, ref[i]);
    }
    tu_cmp c = tu_compare_exact(got, reff, n);
    TU_ASSERT_CMP(c, ndim, shape, what);
    free(reff);
}

static inline double kr_act_ref(const tr_epilogue *e, double v) {
    if (isnan(v)) return v; /* PyTorch: every activation propagates NaN */
    switch (e->act) {
    case TR_ACT_RELU: return v > 0 ? v : 0;
    case TR_ACT_RELU6: return v > 6 ? 6 : (v > 0 ? v : 0);
    case TR_ACT_LRELU: return v >= 0 ? v : (double)e->alpha * v;
    case TR_ACT_TANH: return tanh(v);
    case TR_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    default: return v;
    }
}

/* y = clamp(act(pre) * gain) + res and its error bound, given err, a bound
 * on the error of the f32 pre-activation the kernel computed:
 *   - every activation is Lipschitz with constant max(1, |alpha|), so err
 *     passes through scaled by that;
 *   - tanhf is within 2 ulp (glibc), sigmoid = 1/(1+expf(-v)) within 1 ulp
 *     of expf plus two roundings: about 4 u |a| each; we allow 8 u |a|;
 *     lrelu's alpha * v rounds once;
 *   - the gain multiply and the residual add round once each; the clamp is
 *     1-Lipschitz and exact.
 * A non-finite err (an inf or NaN among the terms) is taken as 0: such
 * outputs are non-finite or exactly saturated, and compare by value. */
static inline void kr_epilogue_ref(const tr_epilogue *e, double pre, double err, double res,
                                   double *y, double *tol) {
    if (!isfinite(err)) err = 0;
    double a = kr_act_ref(e, pre);
    double lip = e->act == TR_ACT_LRELU && fabs(e->alpha) > 1 ? fabs(e->alpha) : 1;
    double act_round = 0;
    if (e->act == TR_ACT_TANH || e->act == TR_ACT_SIGMOID) act_round = 8 * KR_U * fabs(a);
    if (e->act == TR_ACT_LRELU) act_round = KR_U * fabs(a);
    double g = a * e->gain;
    double t = fabs((double)e->gain) * (lip * err + act_round) + KR_U * fabs(g);
    if (e->clamp > 0) g = g < -e->clamp ? -e->clamp : (g > e->clamp ? e->clamp : g);
    *y = g + res;
    *tol = t * (1 + KR_U) + KR_U * fabs(*y) + KR_TINY;
}

#endif /* TRYON_TEST_KERNEL_REF_H */
