/* igemm.cuh — the implicit GEMM behind conv2d, conv_transpose2d and linear.
 *
 * Per group g (and, for a transposed conv, per output phase), with the input
 * gathered on the fly (no im2col buffer):
 *   C[m][j] = sum_k A[m][k] * B[j][k]
 *   conv2d   m = output pixel (n, oy, ox), j = output channel of the group,
 *            k = (ky, kx, ci) with ci fastest, the weight's OHWI order, so
 *            B[j][k] = W[g*Cog + j][k]: a contiguous weight row;
 *            A[m][k] = X[n, pad(oy*sh + ky*dh - pt), pad(ox*sw + kx*dw - pl), g*Cig + ci]
 *                      * in_scale[n, g*Cig + ci]   (the prologue: modulation),
 *            reflect/replicate/zero padding by index arithmetic. A 1x1
 *            stride-1 unpadded conv (and linear, a 1x1 conv of H = W = 1)
 *            reads A[m][k] = X[m*C_in + g*Cig + k] directly.
 *   conv_transpose2d by sub-pixel decomposition: an output pixel with
 *            (oy + pt) mod sh = ry only receives the taps ky with
 *            ky*dh = ry (mod sh), from input row iy = (oy + pt - ky*dh)/sh. Each
 *            phase (ry, rx) is therefore a dense conv over its own outputs
 *            with its own tap lists: no zero-stuffed input, no wasted taps.
 * The epilogue is the op's own (conv: out_scale, add, bias, activation,
 * clamp, residual; conv_transpose: bias then activation), applied in
 * registers before the single store.
 *
 * Two kernels (igemm.cu) share the gather and the epilogue:
 *   SIMT  64x64 tile, BK 16, 256 threads with 4x4 outputs each, fp32 FMA;
 *   MMA   64x64 tile, BK 32, 4 warps with 32x32 each, mma.sync m16n8k16 on
 *         tensor cores with F16 or BF16 operands (the node's storage type; a
 *         modulated input is rounded to it after the scaling) and fp32
 *         accumulation.
 * Every function a thread runs is TR_HD and takes the thread index, so that
 * tests/emu_igemm.cu can run a whole block on the host, with an emulated
 * mma.sync written from the PTX ISA's fragment tables. */
#ifndef TR_CUDA_IGEMM_CUH
#define TR_CUDA_IGEMM_CUH

#include "conv.cuh"

#define TR_GEMM_BM 64
#define TR_GEMM_BN 64
#define TR_SIMT_BK 16
#define TR_SIMT_THREADS 256
#define TR_MMA_BK 32
#define TR_MMA_PAD 8 /* halves of padding per shared row: conflict-free fragment loads */
#define TR_MMA_THREADS 128
#define TR_CONVT_MAX_STRIDE 4
#define TR_CONVT_MAX_TAPS 16

enum { TR_GEMM_CONV = 0, TR_GEMM_CONVT = 1 };

/* Geometry of the problem in conv terms. */
typedef struct tr_gemm_geom {
    int32_t n, h, w, c_in, oh, ow, c_out, kh, kw;
    int32_t sh, sw, dh, dw, pt, pl, groups;
    tr_pad_mode pad_mode;
    tr_epilogue ep;
    int64_t add_shape[4];
} tr_gemm_geom;

template <typename T> struct tr_gemm_p {
    int32_t mode;              /* TR_GEMM_CONV or TR_GEMM_CONVT */
    int32_t one;               /* conv 1x1, stride 1, no padding: A rows are input pixels */
    tr_gemm_geom d;
    const T *x, *w, *bias, *in_scale, *out_scale, *add, *residual;
    T *y;
    /* conv_transpose: taps of each output phase, ascending */
    int32_t n_ty[TR_CONVT_MAX_STRIDE], n_tx[TR_CONVT_MAX_STRIDE];
    int8_t ty[TR_CONVT_MAX_STRIDE][TR_CONVT_MAX_TAPS], tx[TR_CONVT_MAX_STRIDE][TR_CONVT_MAX_TAPS];
};

/* One output row of the tile (an output pixel). */
typedef struct tr_gemm_row {
    int32_t n, oy, ox, valid;
} tr_gemm_row;

/* A decoded reduction index. */
typedef struct tr_gemm_k {
    int32_t ci, ky, kx, valid;
} tr_gemm_k;

/* Block z -> (group, phase); for conv the phase is (0, 0). */
template <typename T>
TR_HD void tr_gemm_split_z(const tr_gemm_p<T> &p, int32_t z, int32_t *g, int32_t *ry, int32_t *rx) {
    *g = z % p.d.groups;
    int32_t ph = z / p.d.groups;
    *ry = p.mode == TR_GEMM_CONVT ? ph / p.d.sw : 0;
    *rx = p.mode == TR_GEMM_CONVT ? ph % p.d.sw : 0;
}

/* First output coordinate of phase r and how many outputs it has along an
 * axis of size out (stride s, padding pad): (o + pad) mod s == r. */
TR_HD int32_t tr_phase_first(int32_t r, int32_t pad, int32_t s) {
    return (((r - pad) % s) + s) % s;
}
TR_HD int32_t tr_phase_count(int32_t r, int32_t pad, int32_t s, int32_t out) {
    int32_t f = tr_phase_first(r, pad, s);
    return f < out ? (out - f + s - 1) / s : 0;
}

template <typename T> TR_HD int64_t tr_gemm_m(const tr_gemm_p<T> &p, int32_t ry, int32_t rx) {
    if (p.mode == TR_GEMM_CONV) return (int64_t)p.d.n * p.d.oh * p.d.ow;
    return (int64_t)p.d.n * tr_phase_count(ry, p.d.pt, p.d.sh, p.d.oh) *
           tr_phase_count(rx, p.d.pl, p.d.sw, p.d.ow);
}

template <typename T> TR_HD int32_t tr_gemm_k_total(const tr_gemm_p<T> &p, int32_t ry, int32_t rx) {
    const int32_t cig = p.d.c_in / p.d.groups;
    if (p.mode == TR_GEMM_CONV) return p.d.kh * p.d.kw * cig;
    return p.n_ty[ry] * p.n_tx[rx] * cig;
}

template <typename T>
TR_HD tr_gemm_row tr_gemm_row_at(const tr_gemm_p<T> &p, int32_t ry, int32_t rx, int64_t m) {
    tr_gemm_row r = {0, 0, 0, 0};
    if (m >= tr_gemm_m(p, ry, rx)) return r;
    r.valid = 1;
    if (p.mode == TR_GEMM_CONV) {
        r.ox = (int32_t)(m % p.d.ow);
        m /= p.d.ow;
        r.oy = (int32_t)(m % p.d.oh);
        r.n = (int32_t)(m / p.d.oh);
        return r;
    }
    const int32_t cy = tr_phase_count(ry, p.d.pt, p.d.sh, p.d.oh);
    const int32_t cx = tr_phase_count(rx, p.d.pl, p.d.sw, p.d.ow);
    const int32_t jx = (int32_t)(m % cx);
    m /= cx;
    const int32_t jy = (int32_t)(m % cy);
    r.n = (int32_t)(m / cy);
    r.oy = tr_phase_first(ry, p.d.pt, p.d.sh) + jy * p.d.sh;
    r.ox = tr_phase_first(rx, p.d.pl, p.d.sw) + jx * p.d.sw;
    return r;
}

template <typename T>
TR_HD tr_gemm_k tr_gemm_k_at(const tr_gemm_p<T> &p, int32_t ry, int32_t rx, int32_t k, int32_t kt) {
    tr_gemm_k q = {0, 0, 0, 0};
    if (k >= kt) return q;
    const int32_t cig = p.d.c_in / p.d.groups;
    q.valid = 1;
    q.ci = k % cig;
    const int32_t t = k / cig;
    if (p.mode == TR_GEMM_CONV) {
        q.kx = t % p.d.kw;
        q.ky = t / p.d.kw;
    } else {
        q.kx = p.tx[rx][t % p.n_tx[rx]];
        q.ky = p.ty[ry][t / p.n_tx[rx]];
    }
    return q;
}

/* A[m][k] as float (0 outside the image, the tile or K). */
template <typename T>
TR_HD float tr_gemm_a(const tr_gemm_p<T> &p, int32_t g, const tr_gemm_row &r, int64_t m,
                      const tr_gemm_k &q) {
    if (!r.valid || !q.valid) return 0.0f;
    const tr_gemm_geom &d = p.d;
    const int32_t cig = d.c_in / d.groups;
    const int64_t c = (int64_t)g * cig + q.ci;
    float v;
    if (p.one) {
        v = tr_ld(p.x, m * d.c_in + c);
    } else {
        int32_t iy, ix;
        if (p.mode == TR_GEMM_CONV) {
            iy = tr_pad_index(r.oy * d.sh + q.ky * d.dh - d.pt, d.h, d.pad_mode);
            ix = tr_pad_index(r.ox * d.sw + q.kx * d.dw - d.pl, d.w, d.pad_mode);
        } else {
            /* exact divisions: the tap lists only hold ky with ky*dh = oy+pt (mod sh) */
            int32_t ny = r.oy + d.pt - q.ky * d.dh, nx = r.ox + d.pl - q.kx * d.dw;
            iy = ny >= 0 && ny / d.sh < d.h ? ny / d.sh : -1;
            ix = nx >= 0 && nx / d.sw < d.w ? nx / d.sw : -1;
        }
        if (iy < 0 || ix < 0) return 0.0f;
        v = tr_ld(p.x, (((int64_t)r.n * d.h + iy) * d.w + ix) * d.c_in + c);
    }
    if (p.in_scale) v = v * tr_ld(p.in_scale, (int64_t)r.n * d.c_in + c);
    return v;
}

/* B[j][k]: the weight of output channel g*Cog + j (0 outside the tile or K). */
template <typename T>
TR_HD float tr_gemm_b(const tr_gemm_p<T> &p, int32_t g, int32_t j, const tr_gemm_k &q, int32_t k,
                      int32_t kt) {
    const tr_gemm_geom &d = p.d;
    const int32_t cog = d.c_out / d.groups, cig = d.c_in / d.groups;
    if (!q.valid || j >= cog) return 0.0f;
    const int64_t o = (int64_t)g * cog + j;
    if (p.mode == TR_GEMM_CONV) return tr_ld(p.w, o * kt + k);
    return tr_ld(p.w, ((o * d.kh + q.ky) * d.kw + q.kx) * cig + q.ci);
}

/* The op's epilogue for output (r, channel j of group g) and the single store. */
template <typename T>
TR_HD void tr_gemm_finish(const tr_gemm_p<T> &p, int32_t g, const tr_gemm_row &r, int32_t j,
                          float acc) {
    const tr_gemm_geom &d = p.d;
    const int32_t cog = d.c_out / d.groups;
    if (!r.valid || j >= cog) return;
    const int32_t o = g * cog + j;
    const int64_t i = (((int64_t)r.n * d.oh + r.oy) * d.ow + r.ox) * d.c_out + o;
    if (p.mode == TR_GEMM_CONVT) { /* kernels/cpu/conv_transpose2d.c */
        float v = acc + (p.bias ? tr_ld(p.bias, o) : 0.0f);
        tr_st(p.y, i, tr_ep_apply(d.ep, v));
        return;
    }
    float v = acc;
    if (p.out_scale) v *= tr_ld(p.out_scale, (int64_t)r.n * d.c_out + o);
    if (p.add) v += tr_ld(p.add, tr_bcast4(d.add_shape, r.n, r.oy, r.ox, o));
    if (p.bias) v += tr_ld(p.bias, o);
    v = tr_ep_apply(d.ep, v);
    if (p.residual) v += tr_ld(p.residual, i);
    tr_st(p.y, i, v);
}

/* ---- block-level steps (tid = threadIdx.x) -------------------------------- */

/* Tile rows, decoded once per block: rows[i] for i < TR_GEMM_BM. */
template <typename T>
TR_HD void tr_gemm_rows(const tr_gemm_p<T> &p, int32_t ry, int32_t rx, int64_t m0, int32_t tid,
                        tr_gemm_row *rows) {
    if (tid < TR_GEMM_BM) rows[tid] = tr_gemm_row_at(p, ry, rx, m0 + tid);
}

/* SIMT: thread tid stores column kk = tid % 16 of rows tid/16 + 16i of the
 * A and B tiles, transposed (As[k][m], Bs[k][j]) for the inner product. */
template <typename T>
TR_HD void tr_simt_load(const tr_gemm_p<T> &p, int32_t g, int32_t ry, int32_t rx, int64_t m0,
                        int32_t j0, int32_t k0, int32_t kt, const tr_gemm_row *rows, int32_t tid,
                        float (*as)[TR_GEMM_BM + 1], float (*bs)[TR_GEMM_BN + 1]) {
    const int32_t kk = tid % TR_SIMT_BK, k = k0 + kk;
    const tr_gemm_k q = tr_gemm_k_at(p, ry, rx, k, kt);
    for (int32_t i = 0; i < TR_GEMM_BM * TR_SIMT_BK / TR_SIMT_THREADS; i++) {
        const int32_t r = tid / TR_SIMT_BK + i * (TR_SIMT_THREADS / TR_SIMT_BK);
        as[kk][r] = tr_gemm_a(p, g, rows[r], m0 + r, q);
        bs[kk][r] = tr_gemm_b(p, g, j0 + r, q, k, kt);
    }
}

/* SIMT: thread (tx, ty) = (tid % 16, tid / 16) owns rows ty + 16i and
 * columns tx + 16j of the tile (i, j < 4): broadcast reads of As, conflict-free
 * reads of Bs, coalesced stores along the channels. */
TR_HD void tr_simt_mac(int32_t tid, const float (*as)[TR_GEMM_BM + 1],
                       const float (*bs)[TR_GEMM_BN + 1], float acc[4][4]) {
    const int32_t tx = tid % 16, ty = tid / 16;
    for (int32_t k = 0; k < TR_SIMT_BK; k++) {
        float a[4], b[4];
        for (int32_t i = 0; i < 4; i++) a[i] = as[k][ty + 16 * i];
        for (int32_t j = 0; j < 4; j++) b[j] = bs[k][tx + 16 * j];
        for (int32_t i = 0; i < 4; i++)
            for (int32_t j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
}

template <typename T>
TR_HD void tr_simt_store(const tr_gemm_p<T> &p, int32_t g, int32_t j0, const tr_gemm_row *rows,
                         int32_t tid, const float acc[4][4]) {
    const int32_t tx = tid % 16, ty = tid / 16;
    for (int32_t i = 0; i < 4; i++)
        for (int32_t j = 0; j < 4; j++)
            tr_gemm_finish(p, g, rows[ty + 16 * i], j0 + tx + 16 * j, acc[i][j]);
}

/* ---- tensor cores ------------------------------------------------------------ */

template <typename T> TR_HD T tr_to(float v);
template <> TR_HD float tr_to<float>(float v) { return v; }
template <> TR_HD __half tr_to<__half>(float v) { return __float2half_rn(v); }
template <> TR_HD __nv_bfloat16 tr_to<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

/* MMA: thread tid stores column kk = tid % 32 of rows tid/32 + 4i (i < 16). */
template <typename T>
TR_HD void tr_mma_load(const tr_gemm_p<T> &p, int32_t g, int32_t ry, int32_t rx, int64_t m0,
                       int32_t j0, int32_t k0, int32_t kt, const tr_gemm_row *rows, int32_t tid,
                       T (*as)[TR_MMA_BK + TR_MMA_PAD], T (*bs)[TR_MMA_BK + TR_MMA_PAD]) {
    const int32_t kk = tid % TR_MMA_BK, k = k0 + kk;
    const tr_gemm_k q = tr_gemm_k_at(p, ry, rx, k, kt);
    for (int32_t i = 0; i < TR_GEMM_BM * TR_MMA_BK / TR_MMA_THREADS; i++) {
        const int32_t r = tid / TR_MMA_BK + i * (TR_MMA_THREADS / TR_MMA_BK);
        as[r][kk] = tr_to<T>(tr_gemm_a(p, g, rows[r], m0 + r, q));
        bs[r][kk] = tr_to<T>(tr_gemm_b(p, g, j0 + r, q, k, kt));
    }
}

/* Two consecutive 16-bit elements as one 32-bit register (the lower index in
 * the low half). col is even and rows are 80 bytes, so the load is aligned. */
template <typename T> TR_HD uint32_t tr_pair(const T *row, int32_t col) {
    return *reinterpret_cast<const uint32_t *>(row + col);
}

/* Fragments of mma.m16n8k16 (PTX ISA, "Matrix Fragments for mma.m16n8k16
 * with floating point type"), lane = 4*gid + tig:
 *   A (16x16, row): reg0 (gid, 2tig..+1), reg1 (gid+8, 2tig..), reg2 (gid, 2tig+8..),
 *                   reg3 (gid+8, 2tig+8..)            [row, k]
 *   B (16x8, col):  reg0 (k 2tig..+1, n gid), reg1 (k 2tig+8..+9, n gid)
 *   C (16x8 f32):   c0, c1 (gid, 2tig + 0/1), c2, c3 (gid+8, 2tig + 0/1)  [row, n]
 * As is [m][k] and Bs is [n][k], so every register is one 32-bit load. */
template <typename T>
TR_HD void tr_mma_frag_a(T (*as)[TR_MMA_BK + TR_MMA_PAD], int32_t row0, int32_t ks, int32_t lane,
                         uint32_t a[4]) {
    const int32_t gid = lane >> 2, tig = lane & 3;
    a[0] = tr_pair(as[row0 + gid], ks + 2 * tig);
    a[1] = tr_pair(as[row0 + gid + 8], ks + 2 * tig);
    a[2] = tr_pair(as[row0 + gid], ks + 2 * tig + 8);
    a[3] = tr_pair(as[row0 + gid + 8], ks + 2 * tig + 8);
}

template <typename T>
TR_HD void tr_mma_frag_b(T (*bs)[TR_MMA_BK + TR_MMA_PAD], int32_t col0, int32_t ks, int32_t lane,
                         uint32_t b[2]) {
    const int32_t gid = lane >> 2, tig = lane & 3;
    b[0] = tr_pair(bs[col0 + gid], ks + 2 * tig);
    b[1] = tr_pair(bs[col0 + gid], ks + 2 * tig + 8);
}

/* Tile coordinates of accumulator register e (0..3) of a 16x8 C fragment. */
TR_HD void tr_mma_acc_coord(int32_t lane, int32_t e, int32_t *row, int32_t *col) {
    *row = (lane >> 2) + 8 * (e >> 1);
    *col = 2 * (lane & 3) + (e & 1);
}

/* Warp w of 4 covers rows 32*(w / 2) and columns 32*(w % 2) of the 64x64
 * tile: 2 m16 x 4 n8 fragments, acc[mt][nt][e]. */
template <typename T>
TR_HD void tr_mma_store(const tr_gemm_p<T> &p, int32_t g, int32_t j0, const tr_gemm_row *rows,
                        int32_t warp, int32_t lane, const float acc[2][4][4]) {
    for (int32_t mt = 0; mt < 2; mt++)
        for (int32_t nt = 0; nt < 4; nt++)
            for (int32_t e = 0; e < 4; e++) {
                int32_t r, c;
                tr_mma_acc_coord(lane, e, &r, &c);
                r += 32 * (warp / 2) + 16 * mt;
                c += 32 * (warp % 2) + 8 * nt;
                tr_gemm_finish(p, g, rows[r], j0 + c, acc[mt][nt][e]);
            }
}

/* Host launchers (igemm.cu), instantiated for float, __half and
 * __nv_bfloat16 storage. fits: the grid is within CUDA's limits (else the
 * adapters run v0). mma = 1 uses tensor cores (F16/BF16 only). */
struct tr_exec;
template <typename T> bool tr_igemm_fits(const tr_gemm_p<T> &p);
template <typename T> tryon_status tr_igemm_run(const tr_exec *ex, const tr_gemm_p<T> &p, int mma);

#endif /* TR_CUDA_IGEMM_CUH */
