/* body_conv.h — the non-GEMM convolution bodies, in vec.h's vocabulary,
 * compiled once per ISA file:
 *
 *   dw_row / dw_row_ro   depthwise: one chunk of output pixels of one row,
 *                        channels in vectors; taps in (ky, kx) order, out-of-
 *                        image taps skipped as the reference skips them. f32
 *                        with one FMA per tap; ROUND_ONCE in doubles
 *                        (weights packed as doubles), rounded to float per
 *                        tap: bitwise the reference.
 *   wino_in / wino_out   Winograd F(4x4, 3x3) input transform V = B^T d B and
 *                        output transform Y = A^T M A (Lavin & Gray's points
 *                        0, +-1, +-2), channels in vectors. */
#ifndef TR_FAST_BODY_CONV_H
#define TR_FAST_BODY_CONV_H

/* Channel vectors processed together per pixel: independent FMA chains. */
#define DW_U 4

static void dw_row(const tr_fast_dw_row *r) {
    const int32_t c = r->c, kw = r->kw;
    for (int32_t ox = 0; ox < r->ow; ox++) {
        const int32_t *ix = r->ix + (int64_t)ox * kw;
        float *out = r->acc + (int64_t)ox * c;
        for (int32_t c0 = 0; c0 < c; c0 += DW_U * VL) {
            const int32_t nvec = tr_fast_min_i(DW_U, (c - c0 + VL - 1) / VL);
            /* lanes in the last vector */
            const int32_t tail = tr_fast_min_i(VL, c - c0 - (nvec - 1) * VL);
            vf acc[DW_U];
            TR_UNROLL for (int u = 0; u < DW_U; u++) acc[u] = vf_zero();
            for (int32_t ky = 0; ky < r->kh; ky++) {
                const float *row = r->rows[ky];
                if (!row) continue;
                for (int32_t kx = 0; kx < kw; kx++) {
                    if (ix[kx] < 0) continue;
                    const float *xp = row + (int64_t)ix[kx] * c + c0;
                    const float *wp = r->w + ((int64_t)ky * kw + kx) * c + c0;
                    if (nvec == DW_U && tail == VL) {
                        TR_UNROLL for (int u = 0; u < DW_U; u++) acc[u] =
                            vf_fma(vf_load(xp + u * VL), vf_load(wp + u * VL), acc[u]);
                    } else {
                        for (int u = 0; u < nvec; u++) {
                            const int32_t n = u == nvec - 1 ? tail : VL;
                            acc[u] = vf_fma(vf_load_n(xp + u * VL, n), vf_load_n(wp + u * VL, n),
                                            acc[u]);
                        }
                    }
                }
            }
            for (int u = 0; u < nvec; u++) {
                const int32_t n = u == nvec - 1 ? tail : VL;
                vf_store_n(out + c0 + u * VL, acc[u], n);
            }
        }
    }
}

/* Doubles per chunk: DW_U float vectors' worth. */
static void dw_row_ro(const tr_fast_dw_row *r) {
    const int32_t c = r->c, kw = r->kw;
    const double *w = (const double *)r->w;
    enum { ND = DW_U * 2 }; /* double vectors per chunk of DW_U*VL channels */
    for (int32_t ox = 0; ox < r->ow; ox++) {
        const int32_t *ix = r->ix + (int64_t)ox * kw;
        float *out = r->acc + (int64_t)ox * c;
        for (int32_t c0 = 0; c0 < c; c0 += ND * VLD) {
            const int32_t nvec = tr_fast_min_i(ND, (c - c0 + VLD - 1) / VLD);
            const int32_t tail = tr_fast_min_i(VLD, c - c0 - (nvec - 1) * VLD);
            vd acc[ND];
            TR_UNROLL for (int u = 0; u < ND; u++) acc[u] = vd_zero();
            for (int32_t ky = 0; ky < r->kh; ky++) {
                const float *row = r->rows[ky];
                if (!row) continue;
                for (int32_t kx = 0; kx < kw; kx++) {
                    if (ix[kx] < 0) continue;
                    const float *xp = row + (int64_t)ix[kx] * c + c0;
                    const double *wp = w + ((int64_t)ky * kw + kx) * c + c0;
                    if (nvec == ND && tail == VLD) {
                        TR_UNROLL for (int u = 0; u < ND; u++) acc[u] = vd_round_f32(
                            vd_fma(vd_load_f(xp + u * VLD), vd_load(wp + u * VLD), acc[u]));
                    } else {
                        for (int u = 0; u < nvec; u++) {
                            const int32_t n = u == nvec - 1 ? tail : VLD;
                            vd wv = vd_zero();
                            if (n == VLD) {
                                wv = vd_load(wp + u * VLD);
                            } else {
                                double t[VLD] = {0};
                                memcpy(t, wp + u * VLD, (size_t)n * sizeof *t);
                                wv = vd_load(t);
                            }
                            acc[u] = vd_round_f32(vd_fma(vd_load_f_n(xp + u * VLD, n), wv, acc[u]));
                        }
                    }
                }
            }
            for (int u = 0; u < nvec; u++) {
                const int32_t n = u == nvec - 1 ? tail : VLD;
                vd_store_f_n(out + c0 + u * VLD, acc[u], n);
            }
        }
    }
}

/* V[a][b] = (B^T d B)[a][b] for each channel; d[i*6 + j] points at the C
 * channels of input (i, j) of the 6x6 patch. v + (a*6 + b) * v_ld receives
 * channel run (a, b). */
static void wino_in(const float *const *d, int32_t c, float *v, int64_t v_ld) {
    const vf four = vf_set1(4.0f), five = vf_set1(5.0f), two = vf_set1(2.0f);
    for (int32_t c0 = 0; c0 < c; c0 += VL) {
        const int32_t n = c - c0 < VL ? c - c0 : VL;
        vf t[6][6];
        /* columns: t[a][j] = sum_i BT[a][i] d[i][j] */
        TR_UNROLL for (int j = 0; j < 6; j++) {
            vf x[6];
            TR_UNROLL for (int i = 0; i < 6; i++) x[i] =
                n == VL ? vf_load(d[i * 6 + j] + c0) : vf_load_n(d[i * 6 + j] + c0, n);
            t[0][j] = vf_fma(four, x[0], vf_sub(x[4], vf_mul(five, x[2])));
            const vf a12 = vf_add(x[1], x[2]), a34 = vf_add(x[3], x[4]);
            t[1][j] = vf_sub(a34, vf_mul(four, a12));
            const vf s12 = vf_sub(x[1], x[2]), s43 = vf_sub(x[4], x[3]);
            t[2][j] = vf_fma(four, s12, s43);
            const vf s42 = vf_sub(x[4], x[2]), s31 = vf_sub(x[3], x[1]);
            t[3][j] = vf_fma(two, s31, s42);
            t[4][j] = vf_sub(s42, vf_mul(two, s31));
            t[5][j] = vf_fma(four, x[1], vf_sub(x[5], vf_mul(five, x[3])));
        }
        /* rows: V[a][b] = sum_j t[a][j] BT[b][j] */
        TR_UNROLL for (int a = 0; a < 6; a++) {
            const vf *x = t[a];
            vf o[6];
            o[0] = vf_fma(four, x[0], vf_sub(x[4], vf_mul(five, x[2])));
            const vf a12 = vf_add(x[1], x[2]), a34 = vf_add(x[3], x[4]);
            o[1] = vf_sub(a34, vf_mul(four, a12));
            const vf s12 = vf_sub(x[1], x[2]), s43 = vf_sub(x[4], x[3]);
            o[2] = vf_fma(four, s12, s43);
            const vf s42 = vf_sub(x[4], x[2]), s31 = vf_sub(x[3], x[1]);
            o[3] = vf_fma(two, s31, s42);
            o[4] = vf_sub(s42, vf_mul(two, s31));
            o[5] = vf_fma(four, x[1], vf_sub(x[5], vf_mul(five, x[3])));
            TR_UNROLL for (int b = 0; b < 6; b++) {
                float *dst = v + (int64_t)(a * 6 + b) * v_ld + c0;
                if (n == VL)
                    vf_store(dst, o[b]);
                else
                    vf_store_n(dst, o[b], n);
            }
        }
    }
}

/* out[(i*4 + j) * c + ch] = (A^T M A)[i][j]; m + (a*6 + b) * m_ld holds the
 * C channels of M[a][b]. */
static void wino_out(const float *m, int64_t m_ld, int32_t c, float *out) {
    const vf two = vf_set1(2.0f), four = vf_set1(4.0f), eight = vf_set1(8.0f);
    for (int32_t c0 = 0; c0 < c; c0 += VL) {
        const int32_t n = c - c0 < VL ? c - c0 : VL;
        vf t[4][6];
        TR_UNROLL for (int b = 0; b < 6; b++) {
            vf x[6];
            TR_UNROLL for (int a = 0; a < 6; a++) x[a] =
                n == VL ? vf_load(m + (a * 6 + b) * m_ld + c0)
                        : vf_load_n(m + (a * 6 + b) * m_ld + c0, n);
            const vf s12 = vf_add(x[1], x[2]), d12 = vf_sub(x[1], x[2]);
            const vf s34 = vf_add(x[3], x[4]), d34 = vf_sub(x[3], x[4]);
            t[0][b] = vf_add(vf_add(x[0], s12), s34);
            t[1][b] = vf_fma(two, d34, d12);
            t[2][b] = vf_fma(four, s34, s12);
            t[3][b] = vf_add(vf_fma(eight, d34, d12), x[5]);
        }
        TR_UNROLL for (int i = 0; i < 4; i++) {
            const vf *x = t[i];
            const vf s12 = vf_add(x[1], x[2]), d12 = vf_sub(x[1], x[2]);
            const vf s34 = vf_add(x[3], x[4]), d34 = vf_sub(x[3], x[4]);
            vf o[4];
            o[0] = vf_add(vf_add(x[0], s12), s34);
            o[1] = vf_fma(two, d34, d12);
            o[2] = vf_fma(four, s34, s12);
            o[3] = vf_add(vf_fma(eight, d34, d12), x[5]);
            TR_UNROLL for (int j = 0; j < 4; j++) {
                float *dst = out + (int64_t)(i * 4 + j) * c + c0;
                if (n == VL)
                    vf_store(dst, o[j]);
                else
                    vf_store_n(dst, o[j], n);
            }
        }
    }
}

#endif /* TR_FAST_BODY_CONV_H */
