/* eltwise.cuh — per-element device code of the elementwise ops: binary,
 * scale, act, cast_u8, lerp, scale_channels, demodulation coefficients and
 * the noise input. Each op is a parameter struct whose run(i) computes output
 * element i with the operations of the CPU reference in the same order
 * (kernels/cpu/{binary,epilogue,lerp,modulation,noise}.c), so that in F32
 * storage the results are the CPU's bit for bit (tanhf and the noise's
 * log/sin/cos are the exceptions: CUDA's libm, within 2 ulp). One generic
 * grid-stride kernel runs them (eltwise.cu); tests/emu_ops.cu runs the same
 * run(i) on the host. v0 is the only variant: these ops are memory-bound and
 * a thread per element already streams at full bandwidth. */
#ifndef TR_CUDA_ELTWISE_CUH
#define TR_CUDA_ELTWISE_CUH

#include "common.cuh"

/* Element strides of a broadcast operand of shape s for output shape ys: 0
 * along broadcast dims (kernels/cpu/binary.c bstrides). Host side. */
static inline void tr_bstrides(const int64_t s[4], const int64_t ys[4], int64_t st[4]) {
    int64_t acc = 1;
    for (int i = 3; i >= 0; i--) {
        st[i] = s[i] == 1 && ys[i] != 1 ? 0 : acc;
        acc *= s[i];
    }
}

TR_HD int64_t tr_bstride_index(int64_t i, const int64_t ys[4], const int64_t st[4]) {
    int64_t i3 = i % ys[3], r = i / ys[3];
    int64_t i2 = r % ys[2];
    r /= ys[2];
    int64_t i1 = r % ys[1], i0 = r / ys[1];
    return i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3];
}

template <typename T> struct tr_binary_p {
    tr_binary_op op;
    const T *a, *b;
    T *y;
    int64_t ys[4], sa[4], sb[4];
    TR_HD void run(int64_t i) const {
        float va = tr_ld(a, tr_bstride_index(i, ys, sa)), vb = tr_ld(b, tr_bstride_index(i, ys, sb));
        float v = op == TR_BINARY_ADD ? va + vb : (op == TR_BINARY_SUB ? va - vb : va * vb);
        tr_st(y, i, v);
    }
};

/* scale: y = x * scale + bias; act: y = epilogue(x); cast_u8: (float)u8 * scale + bias. */
template <typename T> struct tr_scale_p {
    const T *x;
    T *y;
    float scale, bias;
    TR_HD void run(int64_t i) const { tr_st(y, i, tr_ld(x, i) * scale + bias); }
};

template <typename T> struct tr_act_p {
    const T *x;
    T *y;
    tr_epilogue ep;
    TR_HD void run(int64_t i) const { tr_st(y, i, tr_ep_apply(ep, tr_ld(x, i))); }
};

template <typename T> struct tr_cast_u8_p {
    const uint8_t *x;
    T *y;
    float scale, bias;
    TR_HD void run(int64_t i) const { tr_st(y, i, (float)x[i] * scale + bias); }
};

/* torch.lerp in float, ATen's formula (kernels/cpu/lerp.c). */
template <typename T> struct tr_lerp_p {
    const T *a, *b, *t;
    T *y;
    int64_t ys[4], sa[4], sb[4], st[4];
    TR_HD void run(int64_t i) const {
        float va = tr_ld(a, tr_bstride_index(i, ys, sa)), vb = tr_ld(b, tr_bstride_index(i, ys, sb));
        float vt = tr_ld(t, tr_bstride_index(i, ys, st));
        float diff = vb - va;
        tr_st(y, i, fabsf(vt) < 0.5f ? va + vt * diff : vb - diff * (1.0f - vt));
    }
};

/* y = epilogue(x * scale[n,c] + add[...] + bias[c]) (kernels/cpu/modulation.c). */
template <typename T> struct tr_schan_p {
    tr_scale_channels_desc d;
    const T *x, *scale, *add, *bias;
    T *y;
    TR_HD void run(int64_t i) const {
        int64_t c = i % d.c, r = i / d.c;
        int64_t xx = r % d.w, yy = r / d.w % d.h, n = r / d.w / d.h;
        float v = tr_ld(x, i);
        if (scale) v *= tr_ld(scale, n * d.c + c);
        if (add) v += tr_ld(add, tr_bcast4(d.add_shape, n, yy, xx, c));
        if (bias) v += tr_ld(bias, c);
        tr_st(y, i, tr_ep_apply(d.ep, v));
    }
};

/* d[n,o] = 1/sqrt(sum_i s[n,i]^2 * wsq[o,i] + eps), in double, ascending i. */
template <typename T> struct tr_demod_p {
    tr_demod_desc d;
    const T *s, *wsq;
    T *y;
    TR_HD void run(int64_t idx) const {
        int64_t n = idx / d.c_out, o = idx % d.c_out;
        double acc = 0.0;
        for (int32_t i = 0; i < d.c_in; i++) {
            double sv = tr_ld(s, n * d.c_in + i);
            acc += sv * sv * (double)tr_ld(wsq, o * d.c_in + i);
        }
        tr_st(y, idx, (float)(1.0 / sqrt(acc + (double)d.eps)));
    }
};

/* ---- the noise input (kernels/cpu/noise.c, kernels.h tr_noise_desc) ---------- */

TR_HD uint64_t tr_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

TR_HD double tr_noise_gauss_hd(uint64_t seed, int32_t stream, int64_t j) {
    const double two_pi = 6.283185307179586476925286766559;
    uint64_t key = tr_mix64(seed + 0x9E3779B97F4A7C15ull * (uint64_t)((int64_t)stream + 1));
    uint64_t p = (uint64_t)j >> 1;
    uint64_t a = tr_mix64(key + 2 * p), b = tr_mix64(key + 2 * p + 1);
    double u1 = (double)((a >> 11) + 1) * 0x1p-53, u2 = (double)(b >> 11) * 0x1p-53;
    double r = sqrt(-2.0 * log(u1));
    return (j & 1) ? r * sin(two_pi * u2) : r * cos(two_pi * u2);
}

/* The mode and seed are read from the control tensor on the device at run
 * time (they change between runs of one captured graph). An invalid mode,
 * which the CPU adapter reports as an error, writes NaN: a kernel cannot
 * fail, and NaN makes the misuse visible. */
template <typename T> struct tr_noise_p {
    tr_noise_desc d;
    const int32_t *ctl;
    const T *nconst;
    T *y;
    TR_HD void run(int64_t i) const {
        int32_t mode = ctl[0];
        float v;
        if (mode == TR_NOISE_RANDOM) {
            uint64_t seed = (uint64_t)(uint32_t)ctl[1] | (uint64_t)(uint32_t)ctl[2] << 32;
            v = (float)tr_noise_gauss_hd(seed, d.stream, i) * d.strength;
        } else if (mode == TR_NOISE_CONST) {
            v = nconst ? tr_ld(nconst, i % ((int64_t)d.h * d.w)) : 0.0f;
        } else if (mode == TR_NOISE_NONE) {
            v = 0.0f;
        } else {
            v = NAN;
        }
        tr_st(y, i, v);
    }
};

#endif /* TR_CUDA_ELTWISE_CUH */
