/* norm.cuh — device code of instance normalisation and normalize_2nd_moment
 * (kernels/cpu/instance_norm.c, normalize.c).
 *
 * Instance norm, per (n, c) over the H*W pixels, then per element
 *   v = (float)((x - mean) * rstd) * gamma[c] + beta[c],  y = epilogue(v) + residual.
 * v0 computes the statistics as the CPU does (one thread per (n, c): the sum
 * in double in pixel order, the mean, then the squared deviations in double),
 * so F32 results are the CPU's bit for bit. The fused variant reduces in
 * parallel: each block sums (x, x^2) in double over a chunk of pixels for 32
 * channels, a second kernel adds the chunk partials in chunk order and forms
 * mean and rstd (var = E[x^2] - mean^2, in double: for float data this is
 * within ~1e-16 * mean^2/var of the two-pass value), and the normalize pass
 * applies gamma, beta, the activation and the residual in one write. No
 * atomics: every run gives the same bits. */
#ifndef TR_CUDA_NORM_CUH
#define TR_CUDA_NORM_CUH

#include "common.cuh"

#define TR_INORM_CHUNK 512 /* pixels per block of the fused statistics pass */

/* Two-pass statistics of channel (n, c), the CPU's order; st = (mean, rstd). */
template <typename T>
TR_HD void tr_inorm_stats_v0(const tr_instance_norm_desc &d, const T *x, int64_t nc, double *st) {
    const int64_t hw = (int64_t)d.h * d.w, n = nc / d.c, c = nc % d.c;
    const int64_t base = n * hw * d.c + c;
    double sum = 0.0, sq = 0.0;
    for (int64_t p = 0; p < hw; p++) sum += tr_ld(x, base + p * d.c);
    sum /= (double)hw;
    for (int64_t p = 0; p < hw; p++) {
        double t = tr_ld(x, base + p * d.c) - sum;
        sq += t * t;
    }
    st[nc * 2] = sum;
    st[nc * 2 + 1] = 1.0 / sqrt(sq / (double)hw + (double)d.eps);
}

/* Fused statistics: the share of thread row ty (of 8) of chunk [p0, p1) of
 * channel (n, c): sums of x and x^2 in double over pixels p0 + ty, p0 + ty + 8, ... */
template <typename T>
TR_HD void tr_inorm_partial(const tr_instance_norm_desc &d, const T *x, int64_t n, int64_t c,
                            int64_t p0, int64_t p1, int32_t ty, double *s, double *ss) {
    const int64_t base = n * d.h * d.w * d.c + c;
    double a = 0.0, b = 0.0;
    for (int64_t p = p0 + ty; p < p1; p += 8) {
        double v = tr_ld(x, base + p * d.c);
        a += v;
        b += v * v;
    }
    *s = a, *ss = b;
}

/* Mean and rstd of (n, c) from the chunk partials (sum, sum of squares). */
TR_HD void tr_inorm_finalize(const tr_instance_norm_desc &d, const double *part, int32_t chunks,
                             int64_t nc, double *st) {
    const double hw = (double)d.h * d.w;
    double s = 0.0, ss = 0.0;
    for (int32_t k = 0; k < chunks; k++) {
        s += part[(nc * chunks + k) * 2];
        ss += part[(nc * chunks + k) * 2 + 1];
    }
    double mean = s / hw, var = ss / hw - mean * mean;
    if (var < 0.0) var = 0.0;
    st[nc * 2] = mean;
    st[nc * 2 + 1] = 1.0 / sqrt(var + (double)d.eps);
}

template <typename T> struct tr_inorm_apply_p {
    tr_instance_norm_desc d;
    const T *x, *gamma, *beta, *residual;
    const double *stats; /* (N, C, 2) */
    T *y;
    TR_HD void run(int64_t i) const {
        const int64_t c = i % d.c, n = i / d.c / ((int64_t)d.h * d.w);
        const double *st = stats + (n * d.c + c) * 2;
        float v = (float)((tr_ld(x, i) - st[0]) * st[1]);
        if (gamma) v *= tr_ld(gamma, c);
        if (beta) v += tr_ld(beta, c);
        v = tr_ep_apply(d.ep, v);
        if (residual) v += tr_ld(residual, i);
        tr_st(y, i, v);
    }
};

/* normalize_2nd_moment factor of one row: 1/sqrt(mean(x^2) + eps) in double,
 * ascending k, rounded once. */
template <typename T>
TR_HD float tr_norm2_factor(const T *x, int64_t row, int64_t len, float eps) {
    double ss = 0.0;
    for (int64_t k = 0; k < len; k++) {
        double v = tr_ld(x, row * len + k);
        ss += v * v;
    }
    return (float)(1.0 / sqrt(ss / (double)len + (double)eps));
}

#endif /* TR_CUDA_NORM_CUH */
