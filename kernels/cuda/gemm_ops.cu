/* gemm_ops.cu — conv_transpose2d and linear on CUDA.
 *   conv_transpose2d  v0 (gather form, conv.cuh) or the sub-pixel implicit
 *                     GEMM (igemm.cuh; strides up to 4, up to 16 taps a
 *                     side): tensor cores in F16/BF16, SIMT in F32
 *   linear            v0 (thread per output), warp per output with a shuffle
 *                     reduction (batch <= 16: the StyleGAN2 mapping and
 *                     affine FCs), the implicit GEMM as a 1x1 conv (larger
 *                     batches), or cuBLAS (TRYON_KERNELS_VENDOR)
 * Tested: tests/emu_ops.cu and tests/emu_igemm.cu (host), tests/gpu_ops.c. */
#include <string.h>

#include "igemm.cuh"
#include "ops.cuh"

template <typename T> __global__ void convt_v0_kernel(tr_convt_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) tr_convt_v0(p, i);
}

/* The sub-pixel problem: phase r of an axis holds the taps k with
 * k*dil = r (mod stride). 0 when the node is beyond its limits. */
template <typename T>
static int gemm_of_convt(const tr_conv_transpose2d_desc &d, const tr_convt_p<T> &c,
                         tr_gemm_p<T> *p) {
    memset(p, 0, sizeof *p);
    if (d.stride_h > TR_CONVT_MAX_STRIDE || d.stride_w > TR_CONVT_MAX_STRIDE ||
        d.kh > TR_CONVT_MAX_TAPS || d.kw > TR_CONVT_MAX_TAPS)
        return 0;
    p->mode = TR_GEMM_CONVT;
    p->d.n = d.n, p->d.h = d.h, p->d.w = d.w, p->d.c_in = d.c_in;
    p->d.oh = d.oh, p->d.ow = d.ow, p->d.c_out = d.c_out, p->d.kh = d.kh, p->d.kw = d.kw;
    p->d.sh = d.stride_h, p->d.sw = d.stride_w, p->d.dh = d.dil_h, p->d.dw = d.dil_w;
    p->d.pt = d.pad_top, p->d.pl = d.pad_left, p->d.groups = d.groups;
    p->d.pad_mode = TR_PAD_ZEROS;
    p->d.ep = d.ep;
    for (int32_t i = 0; i < 4; i++) p->d.add_shape[i] = 1;
    for (int32_t r = 0; r < d.stride_h; r++)
        for (int32_t k = 0; k < d.kh; k++)
            if ((int64_t)k * d.dil_h % d.stride_h == r) p->ty[r][p->n_ty[r]++] = (int8_t)k;
    for (int32_t r = 0; r < d.stride_w; r++)
        for (int32_t k = 0; k < d.kw; k++)
            if ((int64_t)k * d.dil_w % d.stride_w == r) p->tx[r][p->n_tx[r]++] = (int8_t)k;
    p->x = c.x, p->w = c.w, p->bias = c.bias, p->y = c.y;
    return tr_igemm_fits(*p);
}

template <typename T> static tryon_status convt_t(const tr_exec *ex, const tr_node *n) {
    const tr_conv_transpose2d_desc &d = n->p.convt;
    tr_convt_p<T> c = {d, tr_cuda_in<T>(ex, n->src[0]), tr_cuda_in<T>(ex, n->src[1]),
                       tr_cuda_in<T>(ex, n->src[2]), tr_cuda_out<T>(ex, n->dst)};
    tr_gemm_p<T> gp;
    const int ok = gemm_of_convt(d, c, &gp), half = sizeof(T) == 2;
    int32_t v = tr_cuda_forced(ex, n);
    if (v < 0) {
        v = !ok ? TR_CONVT_V0 : half ? TR_CONVT_SUBPIXEL_MMA : TR_CONVT_SUBPIXEL_SIMT;
    } else if (v > TR_CONVT_SUBPIXEL_MMA || (v != TR_CONVT_V0 && !ok) ||
               (v == TR_CONVT_SUBPIXEL_MMA && !half)) {
        return tr_cuda_bad_variant(ex, n, v);
    }
    tr_cuda_note_variant(ex, n, v);
    if (v == TR_CONVT_SUBPIXEL_SIMT) return tr_igemm_run(ex, gp, 0);
    if (v == TR_CONVT_SUBPIXEL_MMA) return tr_igemm_run(ex, gp, 1);
    cudaStream_t s = tr_cuda_stream(ex);
    int64_t count = (int64_t)d.n * d.oh * d.ow * d.c_out;
    convt_v0_kernel<<<tr_blocks(count, 128), 128, 0, s>>>(c, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(conv_transpose2d) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return convt_t<T>(ex, n));
    return TRYON_OK;
}

/* ---- linear ------------------------------------------------------------------ */

template <typename T> __global__ void linear_v0_kernel(tr_linear_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) tr_linear_v0(p, i);
}

/* Warp per output (n, m): lanes stride over k with fused multiply-adds, then
 * a butterfly reduction; every warp leaves or stays as a whole. */
template <typename T> __global__ void linear_warp_kernel(tr_linear_p<T> p) {
    const int64_t wid = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) / 32;
    const int32_t lane = threadIdx.x % 32;
    if (wid >= (int64_t)p.d.n * p.d.m) return;
    const int64_t n = wid / p.d.m, m = wid % p.d.m;
    float acc = 0.0f;
    for (int32_t k = lane; k < p.d.k; k += 32)
        acc = fmaf(tr_ld(p.x, n * p.d.k + k), tr_ld(p.w, m * p.d.k + k), acc);
    for (int32_t off = 16; off > 0; off >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, off);
    if (lane == 0) {
        if (p.bias) acc += tr_ld(p.bias, m);
        tr_st(p.y, wid, tr_ep_apply(p.d.ep, acc));
    }
}

/* y = epilogue(y + bias) after a vendor GEMM wrote x W^T into y. */
template <typename T> __global__ void linear_epilogue_kernel(tr_linear_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) {
        float v = tr_ld(p.y, i);
        if (p.bias) v += tr_ld(p.bias, i % p.d.m);
        tr_st(p.y, i, tr_ep_apply(p.d.ep, v));
    }
}

/* linear as a 1x1 conv over an (N, 1, 1, K) image. */
template <typename T> static void gemm_of_linear(const tr_linear_p<T> &l, tr_gemm_p<T> *p) {
    memset(p, 0, sizeof *p);
    p->mode = TR_GEMM_CONV;
    p->one = 1;
    p->d.n = l.d.n, p->d.h = p->d.w = 1, p->d.c_in = l.d.k;
    p->d.oh = p->d.ow = 1, p->d.c_out = l.d.m, p->d.kh = p->d.kw = 1;
    p->d.sh = p->d.sw = p->d.dh = p->d.dw = 1, p->d.groups = 1;
    p->d.pad_mode = TR_PAD_ZEROS;
    p->d.ep = l.d.ep;
    for (int32_t i = 0; i < 4; i++) p->d.add_shape[i] = 1;
    p->x = l.x, p->w = l.w, p->bias = l.bias, p->y = l.y;
}

template <typename T> static tryon_status linear_t(const tr_exec *ex, const tr_node *n) {
    const tr_linear_desc &d = n->p.linear;
    tr_linear_p<T> l = {d, tr_cuda_in<T>(ex, n->src[0]), tr_cuda_in<T>(ex, n->src[1]),
                        tr_cuda_in<T>(ex, n->src[2]), tr_cuda_out<T>(ex, n->dst)};
    tr_gemm_p<T> gp;
    gemm_of_linear(l, &gp);
    const int half = sizeof(T) == 2, fits = tr_igemm_fits(gp);
    void *vs = tr_cuda_model_of(ex)->vnode[tr_cuda_node_index(ex, n)];
    int32_t v = tr_cuda_forced(ex, n);
    if (v < 0) {
        if (vs) v = TR_LINEAR_VENDOR;
        else if (d.n <= 16 || !fits) v = TR_LINEAR_WARP;
        else v = half ? TR_LINEAR_IGEMM_MMA : TR_LINEAR_IGEMM_SIMT;
    } else if (v > TR_LINEAR_IGEMM_MMA || (v >= TR_LINEAR_IGEMM_SIMT && !fits) ||
               (v == TR_LINEAR_IGEMM_MMA && !half)) {
        return tr_cuda_bad_variant(ex, n, v);
    }
    tr_cuda_note_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    const int64_t count = (int64_t)d.n * d.m;
    switch (v) {
    case TR_LINEAR_VENDOR:
        TR_TRY(tr_cuda_vendor_linear(ex, n, vs));
        linear_epilogue_kernel<<<tr_blocks(count, 256), 256, 0, s>>>(l, count);
        break;
    case TR_LINEAR_IGEMM_SIMT: return tr_igemm_run(ex, gp, 0);
    case TR_LINEAR_IGEMM_MMA: return tr_igemm_run(ex, gp, 1);
    case TR_LINEAR_WARP: {
        int64_t threads = count * 32;
        linear_warp_kernel<<<(unsigned)tr_ceil_div(threads, 256), 256, 0, s>>>(l);
        break;
    }
    default: linear_v0_kernel<<<tr_blocks(count, 128), 128, 0, s>>>(l, count); break;
    }
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(linear) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return linear_t<T>(ex, n));
    return TRYON_OK;
}
