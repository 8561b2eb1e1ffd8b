/* body_misc.h — memory-bound kernels, in vec.h's vocabulary, compiled once
 * per ISA file. Each performs the reference kernel's arithmetic (same
 * operations, same order per element, no FMA) with channels in vectors, so
 * its results are bitwise the reference's:
 *   inorm_stats  kernels/cpu/instance_norm.c pass 1: per channel, the sum of
 *                x in double over pixels in order, mean = sum / HW, then the
 *                sum of (x - mean)^2 in order; var = sq / HW.
 *   inorm_apply  pass 2: (float)((x - mean) * rstd) * gamma + beta, the
 *                epilogue, + residual.
 *   fir_pixel    kernels/cpu/upfirdn2d.c: y = 0; y += x_t * k_t in tap order;
 *                y *= gain. */
#ifndef TR_FAST_BODY_MISC_H
#define TR_FAST_BODY_MISC_H

/* Channels per inorm_stats call: INORM_U double vectors. */
#define INORM_U 4

/* Sums of channels [c0, c0 + nc) (nc <= INORM_U * VLD) over hw pixels of one
 * image x (hw, c): mean[i] and var[i] for i < nc. */
static void inorm_stats(const float *x, int64_t hw, int32_t c, int32_t c0, int32_t nc, double *mean,
                        double *var) {
    const int32_t nvec = (nc + VLD - 1) / VLD, tail = nc - (nvec - 1) * VLD;
    vd sum[INORM_U], sq[INORM_U], mv[INORM_U];
    const vd n = vd_set1((double)hw);
    for (int u = 0; u < INORM_U; u++) sum[u] = sq[u] = vd_zero();
    if (nvec == INORM_U && tail == VLD) {
        for (int64_t p = 0; p < hw; p++) {
            const float *xp = x + p * c + c0;
            TR_UNROLL for (int u = 0; u < INORM_U; u++) sum[u] =
                vd_add(sum[u], vd_load_f(xp + u * VLD));
        }
        TR_UNROLL for (int u = 0; u < INORM_U; u++) mv[u] = vd_div(sum[u], n);
        for (int64_t p = 0; p < hw; p++) {
            const float *xp = x + p * c + c0;
            TR_UNROLL for (int u = 0; u < INORM_U; u++) {
                const vd t = vd_sub(vd_load_f(xp + u * VLD), mv[u]);
                sq[u] = vd_add(sq[u], vd_mul(t, t));
            }
        }
    } else {
        for (int64_t p = 0; p < hw; p++) {
            const float *xp = x + p * c + c0;
            for (int u = 0; u < nvec; u++)
                sum[u] = vd_add(sum[u], vd_load_f_n(xp + u * VLD, u == nvec - 1 ? tail : VLD));
        }
        for (int u = 0; u < nvec; u++) mv[u] = vd_div(sum[u], n);
        for (int64_t p = 0; p < hw; p++) {
            const float *xp = x + p * c + c0;
            for (int u = 0; u < nvec; u++) {
                const vd t = vd_sub(vd_load_f_n(xp + u * VLD, u == nvec - 1 ? tail : VLD), mv[u]);
                sq[u] = vd_add(sq[u], vd_mul(t, t));
            }
        }
    }
    for (int u = 0; u < nvec; u++) {
        double tm[VLD], tv[VLD];
        vd_store(tm, mv[u]);
        vd_store(tv, vd_div(sq[u], n));
        for (int32_t i = 0; i < (u == nvec - 1 ? tail : VLD); i++) {
            mean[u * VLD + i] = tm[i];
            var[u * VLD + i] = tv[i];
        }
    }
}

/* Normalises pixels [p0, p1) of one image: mean/rstd (c) doubles. x, y,
 * residual point at the image; gamma/beta/residual may be NULL. */
static void inorm_apply(const float *x, int64_t p0, int64_t p1, int32_t c, const double *mean,
                        const double *rstd, const float *gamma, const float *beta,
                        const float *residual, const tr_epilogue *ep, float *y) {
    const int scalar_act = ep->act == TR_ACT_TANH || ep->act == TR_ACT_SIGMOID;
    for (int64_t p = p0; p < p1; p++) {
        for (int32_t c0 = 0; c0 < c; c0 += VL) {
            const int32_t n = c - c0 < VL ? c - c0 : VL;
            const int64_t i = p * c + c0;
            vf v;
            if (n == VL) {
                const vf xv = vf_load(x + i);
                const vd lo =
                    vd_mul(vd_sub(vd_from_lo(xv), vd_load(mean + c0)), vd_load(rstd + c0));
                const vd hi = vd_mul(vd_sub(vd_from_hi(xv), vd_load(mean + c0 + VLD)),
                                     vd_load(rstd + c0 + VLD));
                v = vf_from_vd2(lo, hi);
            } else {
                float t[VL];
                for (int32_t k = 0; k < n; k++)
                    t[k] = (float)((x[i + k] - mean[c0 + k]) * rstd[c0 + k]);
                v = vf_load_n(t, n);
            }
            if (gamma) v = vf_mul(v, vf_load_n(gamma + c0, n));
            if (beta) v = vf_add(v, vf_load_n(beta + c0, n));
            if (scalar_act) {
                float t[VL];
                vf_store(t, v);
                for (int32_t k = 0; k < n; k++) t[k] = tr_epilogue_apply(ep, t[k]);
                v = vf_load(t);
            } else {
                v = ep_act_linear(v, ep);
            }
            if (residual) v = vf_add(v, vf_load_n(residual + i, n));
            if (n == VL)
                vf_store(y + i, v);
            else
                vf_store_n(y + i, v, n);
        }
    }
}

/* One output pixel of upfirdn2d: y[ch] = gain * sum_t x[t][ch] * k[t]. */
static void fir_pixel(const float *const *x, const float *k, int32_t n_taps, int32_t c, float gain,
                      float *y) {
    const vf g = vf_set1(gain);
    for (int32_t c0 = 0; c0 < c; c0 += VL) {
        const int32_t n = c - c0 < VL ? c - c0 : VL;
        vf acc = vf_zero();
        if (n == VL) {
            for (int32_t t = 0; t < n_taps; t++)
                acc = vf_add(acc, vf_mul(vf_load(x[t] + c0), vf_set1(k[t])));
            vf_store(y + c0, vf_mul(acc, g));
        } else {
            for (int32_t t = 0; t < n_taps; t++)
                acc = vf_add(acc, vf_mul(vf_load_n(x[t] + c0, n), vf_set1(k[t])));
            vf_store_n(y + c0, vf_mul(acc, g), n);
        }
    }
}

#endif /* TR_FAST_BODY_MISC_H */
