/* conv.cuh — device code of conv2d (kernels/cpu/conv2d.c): the v0 port and
 * the depthwise path. The implicit GEMM shared by conv2d, conv_transpose2d
 * and linear is in igemm.cuh.
 *
 * v0, one thread per output (n, oy, ox, o), o fastest: the taps in the CPU's
 * (a, b, i) order with its roundings (F32: acc = acc + x*w, product and sum
 * each rounded, no contraction; ROUND_ONCE: the product exact and the sum in
 * double, rounded once per tap: TF.js's CPU backend), then the CPU's
 * epilogue: v = acc * out_scale + add + bias, y = epilogue(v) + residual.
 * In F32 storage v0 equals the CPU bit for bit (tanhf aside), ROUND_ONCE
 * included: it is the PoseNet path.
 *
 * Depthwise (groups == C_in, one input channel per group): each thread keeps
 * one output channel's taps for four consecutive output pixels and
 * accumulates with fmaf; same tap order as v0, fused multiply-adds. */
#ifndef TR_CUDA_CONV_CUH
#define TR_CUDA_CONV_CUH

#include "common.cuh"

/* Maps a possibly out-of-range coordinate into [0, n) or returns -1 (zeros).
 * Reflect needs pad < n (checked by the builder); n == 1 maps to 0. */
TR_HD int32_t tr_pad_index(int32_t i, int32_t n, tr_pad_mode mode) {
    if (i >= 0 && i < n) return i;
    if (mode == TR_PAD_REFLECT) {
        if (n == 1) return 0;
        return i < 0 ? -i : 2 * n - 2 - i;
    }
    if (mode == TR_PAD_REPLICATE) return i < 0 ? 0 : n - 1;
    return -1;
}

template <typename T> struct tr_conv_p {
    tr_conv2d_desc d;
    const T *x, *w, *bias, *in_scale, *out_scale, *add, *residual;
    T *y;
};

/* bias, extra terms, epilogue and residual of output o at (n, oy, ox). */
template <typename T>
TR_HD void tr_conv_finish(const tr_conv_p<T> &p, int32_t n, int32_t oy, int32_t ox, int32_t o,
                          float acc) {
    const tr_conv2d_desc &d = p.d;
    const int64_t i = (((int64_t)n * d.oh + oy) * d.ow + ox) * d.c_out + o;
    float v = acc;
    if (p.out_scale) v *= tr_ld(p.out_scale, (int64_t)n * d.c_out + o);
    if (p.add) v += tr_ld(p.add, tr_bcast4(d.add_shape, n, oy, ox, o));
    if (p.bias) v += tr_ld(p.bias, o);
    v = tr_ep_apply(d.ep, v);
    if (p.residual) v += tr_ld(p.residual, i);
    tr_st(p.y, i, v);
}

/* v0: output element i. */
template <typename T> TR_HD void tr_conv_v0(const tr_conv_p<T> &p, int64_t i) {
    const tr_conv2d_desc &d = p.d;
    const int32_t cig = d.c_in / d.groups, cog = d.c_out / d.groups;
    const int32_t o = (int32_t)(i % d.c_out);
    int64_t r = i / d.c_out;
    const int32_t ox = (int32_t)(r % d.ow);
    r /= d.ow;
    const int32_t oy = (int32_t)(r % d.oh), n = (int32_t)(r / d.oh);
    const int32_t g = o / cog;
    const int64_t xs = (int64_t)n * d.h * d.w * d.c_in;
    const int64_t sc = (int64_t)n * d.c_in + (int64_t)g * cig;
    const int64_t wo = (int64_t)o * d.kh * d.kw * cig;
    const int round_once = d.accum == TR_CONV_ACCUM_ROUND_ONCE;
    float acc = 0.0f;
    for (int32_t ky = 0; ky < d.kh; ky++) {
        int32_t iy = tr_pad_index(oy * d.stride_h + ky * d.dil_h - d.pad_top, d.h, d.pad_mode);
        if (iy < 0) continue;
        for (int32_t kx = 0; kx < d.kw; kx++) {
            int32_t ix = tr_pad_index(ox * d.stride_w + kx * d.dil_w - d.pad_left, d.w, d.pad_mode);
            if (ix < 0) continue;
            const int64_t xp = xs + ((int64_t)iy * d.w + ix) * d.c_in + (int64_t)g * cig;
            const int64_t wp = wo + ((int64_t)ky * d.kw + kx) * cig;
            for (int32_t c = 0; c < cig; c++) {
                float xv = tr_ld(p.x, xp + c);
                if (p.in_scale) xv = xv * tr_ld(p.in_scale, sc + c);
                float wv = tr_ld(p.w, wp + c);
                if (round_once)
                    acc = (float)((double)acc + (double)xv * (double)wv);
                else
                    acc = acc + xv * wv;
            }
        }
    }
    tr_conv_finish(p, n, oy, ox, o, acc);
}

#define TR_DW_PIX 4 /* output pixels per thread of the depthwise path */

/* Depthwise: item i covers output channel o of pixels (n, oy, ox0 .. ox0+3),
 * i = ((n*OH + oy) * ceil(OW/4) + ox0/4) * C_out + o. */
template <typename T> TR_HD void tr_conv_dw(const tr_conv_p<T> &p, int64_t i) {
    const tr_conv2d_desc &d = p.d;
    const int32_t cog = d.c_out / d.groups, owb = (d.ow + TR_DW_PIX - 1) / TR_DW_PIX;
    const int32_t o = (int32_t)(i % d.c_out);
    int64_t r = i / d.c_out;
    const int32_t ox0 = (int32_t)(r % owb) * TR_DW_PIX;
    r /= owb;
    const int32_t oy = (int32_t)(r % d.oh), n = (int32_t)(r / d.oh);
    const int32_t ci = o / cog; /* one input channel per group */
    const int64_t xs = (int64_t)n * d.h * d.w * d.c_in + ci;
    const float s = p.in_scale ? tr_ld(p.in_scale, (int64_t)n * d.c_in + ci) : 1.0f;
    float acc[TR_DW_PIX] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int32_t ky = 0; ky < d.kh; ky++) {
        int32_t iy = tr_pad_index(oy * d.stride_h + ky * d.dil_h - d.pad_top, d.h, d.pad_mode);
        if (iy < 0) continue;
        for (int32_t kx = 0; kx < d.kw; kx++) {
            const float wv = tr_ld(p.w, ((int64_t)o * d.kh + ky) * d.kw + kx);
            for (int32_t j = 0; j < TR_DW_PIX; j++) {
                int32_t ox = ox0 + j;
                if (ox >= d.ow) break;
                int32_t ix =
                    tr_pad_index(ox * d.stride_w + kx * d.dil_w - d.pad_left, d.w, d.pad_mode);
                if (ix < 0) continue;
                float xv = tr_ld(p.x, xs + ((int64_t)iy * d.w + ix) * d.c_in);
                if (p.in_scale) xv = xv * s;
                acc[j] = fmaf(xv, wv, acc[j]);
            }
        }
    }
    for (int32_t j = 0; j < TR_DW_PIX && ox0 + j < d.ow; j++)
        tr_conv_finish(p, n, oy, ox0 + j, o, acc[j]);
}

/* Items of the depthwise path. */
TR_HD int64_t tr_conv_dw_items(const tr_conv2d_desc &d) {
    return (int64_t)d.n * d.oh * ((d.ow + TR_DW_PIX - 1) / TR_DW_PIX) * d.c_out;
}

/* ---- conv_transpose2d v0 (kernels/cpu/conv_transpose2d.c, gather form) ---- */

template <typename T> struct tr_convt_p {
    tr_conv_transpose2d_desc d;
    const T *x, *w, *bias;
    T *y;
};

template <typename T> TR_HD void tr_convt_v0(const tr_convt_p<T> &p, int64_t i) {
    const tr_conv_transpose2d_desc &d = p.d;
    const int32_t cig = d.c_in / d.groups, cog = d.c_out / d.groups;
    const int32_t o = (int32_t)(i % d.c_out);
    int64_t r = i / d.c_out;
    const int32_t ox = (int32_t)(r % d.ow);
    r /= d.ow;
    const int32_t oy = (int32_t)(r % d.oh), n = (int32_t)(r / d.oh);
    const int32_t g = o / cog;
    const int64_t xs = (int64_t)n * d.h * d.w * d.c_in;
    const int64_t wo = (int64_t)o * d.kh * d.kw * cig;
    float acc = 0.0f;
    for (int32_t ky = 0; ky < d.kh; ky++) {
        int32_t ty = oy + d.pad_top - ky * d.dil_h;
        if (ty < 0 || ty % d.stride_h) continue;
        int32_t iy = ty / d.stride_h;
        if (iy >= d.h) continue;
        for (int32_t kx = 0; kx < d.kw; kx++) {
            int32_t tx = ox + d.pad_left - kx * d.dil_w;
            if (tx < 0 || tx % d.stride_w) continue;
            int32_t ix = tx / d.stride_w;
            if (ix >= d.w) continue;
            const int64_t xp = xs + ((int64_t)iy * d.w + ix) * d.c_in + (int64_t)g * cig;
            const int64_t wp = wo + ((int64_t)ky * d.kw + kx) * cig;
            for (int32_t c = 0; c < cig; c++) acc = acc + tr_ld(p.x, xp + c) * tr_ld(p.w, wp + c);
        }
    }
    float v = acc + (p.bias ? tr_ld(p.bias, o) : 0.0f);
    tr_st(p.y, i, tr_ep_apply(d.ep, v));
}

/* ---- linear v0 (kernels/cpu/linear.c) --------------------------------------- */

template <typename T> struct tr_linear_p {
    tr_linear_desc d;
    const T *x, *w, *bias;
    T *y;
};

template <typename T> TR_HD void tr_linear_v0(const tr_linear_p<T> &p, int64_t idx) {
    const int64_t n = idx / p.d.m, m = idx % p.d.m;
    float acc = 0.0f;
    for (int32_t k = 0; k < p.d.k; k++)
        acc = acc + tr_ld(p.x, n * p.d.k + k) * tr_ld(p.w, m * p.d.k + k);
    if (p.bias) acc += tr_ld(p.bias, m);
    tr_st(p.y, idx, tr_ep_apply(p.d.ep, acc));
}

#endif /* TR_CUDA_CONV_CUH */
