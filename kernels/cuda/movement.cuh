/* movement.cuh — per-element device code of the data movement ops (concat,
 * permute, slice), on raw elements of 1, 2 or 4 bytes (U8; F16/BF16 storage;
 * F32/I32): the storage a node sees is copied as is, so these ops are exact in
 * every precision. Semantics: kernels/cpu/movement.c and slice.c. */
#ifndef TR_CUDA_MOVEMENT_CUH
#define TR_CUDA_MOVEMENT_CUH

#include "common.cuh"

/* y (outer, total, inner) = concatenation of the inputs (outer, len[i], inner)
 * along the middle axis. */
template <typename E> struct tr_concat_p {
    const E *in[TR_MAX_SRC];
    int64_t len[TR_MAX_SRC];
    int32_t n_in;
    int64_t total, inner;
    E *y;
    TR_HD void run(int64_t i) const {
        int64_t k = i % inner, r = i / inner;
        int64_t a = r % total, o = r / total;
        int32_t s = 0;
        while (s + 1 < n_in && a >= len[s]) a -= len[s++];
        y[i] = in[s][(o * len[s] + a) * inner + k];
    }
};

/* y = transpose(x, perm): st[i] is x's stride (elements) of the dim that
 * becomes y's dim i. */
template <typename E> struct tr_permute_p {
    const E *x;
    E *y;
    int64_t ys[4], st[4];
    TR_HD void run(int64_t i) const {
        int64_t i3 = i % ys[3], r = i / ys[3];
        int64_t i2 = r % ys[2];
        r /= ys[2];
        int64_t i1 = r % ys[1], i0 = r / ys[1];
        y[i] = x[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]];
    }
};

/* y (outer, len, inner) = x (outer, len_in, inner)[:, start:start+len, :]. */
template <typename E> struct tr_slice_p {
    const E *x;
    E *y;
    int64_t len_in, len, start, inner;
    TR_HD void run(int64_t i) const {
        int64_t k = i % inner, r = i / inner;
        int64_t a = r % len, o = r / len;
        y[i] = x[(o * len_in + start + a) * inner + k];
    }
};

#endif /* TR_CUDA_MOVEMENT_CUH */
