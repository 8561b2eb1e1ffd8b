/* conv2d.cu — conv2d on CUDA: the launcher picks, per node,
 *   vendor     cuDNN (TRYON_KERNELS_VENDOR, when vendor.cu prepared the node)
 *   v0         ROUND_ONCE accumulation (PoseNet, TF.js-exact; conv.cuh), or a
 *              grid beyond the GEMM's launch limits
 *   depthwise  groups == C_in with one input channel per group (conv.cuh)
 *   igemm      everything else: tensor cores (mma) in F16/BF16 storage, SIMT
 *              fp32 in F32 storage (igemm.cuh)
 * and the epilogue kernel that follows a vendor convolution or GEMM.
 * Tested: tests/emu_ops.cu and tests/emu_igemm.cu (host), tests/gpu_ops.c. */
#include "igemm.cuh"
#include "ops.cuh"

template <typename T> __global__ void conv_v0_kernel(tr_conv_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) tr_conv_v0(p, i);
}

template <typename T> __global__ void conv_dw_kernel(tr_conv_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) tr_conv_dw(p, i);
}

/* y = epilogue(y * out_scale + add + bias) + residual, y holding the plain
 * accumulation (vendor paths). */
template <typename T> __global__ void conv_epilogue_kernel(tr_conv_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) {
        const tr_conv2d_desc &d = p.d;
        int32_t o = (int32_t)(i % d.c_out);
        int64_t r = i / d.c_out;
        int32_t ox = (int32_t)(r % d.ow);
        r /= d.ow;
        tr_conv_finish(p, (int32_t)(r / d.oh), (int32_t)(r % d.oh), ox, o, tr_ld(p.y, i));
    }
}

template <typename T> static tr_conv_p<T> conv_args(const tr_exec *ex, const tr_node *n) {
    tr_conv_p<T> p;
    p.d = n->p.conv;
    p.x = tr_cuda_in<T>(ex, n->src[0]);
    p.w = tr_cuda_in<T>(ex, n->src[1]);
    p.bias = tr_cuda_in<T>(ex, n->src[2]);
    p.in_scale = tr_cuda_in<T>(ex, n->src[3]);
    p.out_scale = tr_cuda_in<T>(ex, n->src[4]);
    p.add = tr_cuda_in<T>(ex, n->src[5]);
    p.residual = tr_cuda_in<T>(ex, n->src[6]);
    p.y = tr_cuda_out<T>(ex, n->dst);
    return p;
}

/* The implicit-GEMM problem of a conv2d node. */
template <typename T> tr_gemm_p<T> tr_gemm_of_conv(const tr_conv_p<T> &c) {
    tr_gemm_p<T> p;
    memset(&p, 0, sizeof p);
    const tr_conv2d_desc &d = c.d;
    p.mode = TR_GEMM_CONV;
    p.one = d.kh == 1 && d.kw == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
            d.pad_left == 0 && d.oh == d.h && d.ow == d.w;
    p.d.n = d.n, p.d.h = d.h, p.d.w = d.w, p.d.c_in = d.c_in;
    p.d.oh = d.oh, p.d.ow = d.ow, p.d.c_out = d.c_out, p.d.kh = d.kh, p.d.kw = d.kw;
    p.d.sh = d.stride_h, p.d.sw = d.stride_w, p.d.dh = d.dil_h, p.d.dw = d.dil_w;
    p.d.pt = d.pad_top, p.d.pl = d.pad_left, p.d.groups = d.groups;
    p.d.pad_mode = d.pad_mode;
    p.d.ep = d.ep;
    memcpy(p.d.add_shape, d.add_shape, sizeof p.d.add_shape);
    p.x = c.x, p.w = c.w, p.bias = c.bias, p.in_scale = c.in_scale;
    p.out_scale = c.out_scale, p.add = c.add, p.residual = c.residual, p.y = c.y;
    return p;
}

template <typename T> static tryon_status conv_t(const tr_exec *ex, const tr_node *n) {
    const tr_conv2d_desc &d = n->p.conv;
    const int32_t cig = d.c_in / d.groups;
    const int half = sizeof(T) == 2, round_once = d.accum == TR_CONV_ACCUM_ROUND_ONCE;
    const int depthwise = cig == 1 && !round_once;
    tr_conv_p<T> p = conv_args<T>(ex, n);
    tr_gemm_p<T> gp = tr_gemm_of_conv(p);
    const bool fits = tr_igemm_fits(gp);
    void *vs = tr_cuda_model_of(ex)->vnode[tr_cuda_node_index(ex, n)];
    int32_t v = tr_cuda_forced(ex, n);
    if (v < 0) {
        if (vs) v = TR_CONV_VENDOR;
        else if (round_once || ((!fits) && !depthwise)) v = TR_CONV_V0;
        else if (depthwise) v = TR_CONV_DEPTHWISE;
        else v = half ? TR_CONV_IGEMM_MMA : TR_CONV_IGEMM_SIMT;
    } else if (v > TR_CONV_DEPTHWISE || (v == TR_CONV_DEPTHWISE && !depthwise) ||
               ((v == TR_CONV_IGEMM_SIMT || v == TR_CONV_IGEMM_MMA) && (round_once || !fits)) ||
               (v == TR_CONV_IGEMM_MMA && !half)) {
        return tr_cuda_bad_variant(ex, n, v);
    }
    tr_cuda_note_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    switch (v) {
    case TR_CONV_VENDOR: return tr_cuda_vendor_conv2d(ex, n, vs);
    case TR_CONV_IGEMM_SIMT: return tr_igemm_run(ex, gp, 0);
    case TR_CONV_IGEMM_MMA: return tr_igemm_run(ex, gp, 1);
    case TR_CONV_DEPTHWISE: {
        int64_t items = tr_conv_dw_items(d);
        conv_dw_kernel<<<tr_blocks(items, 128), 128, 0, s>>>(p, items);
        break;
    }
    default: {
        int64_t count = (int64_t)d.n * d.oh * d.ow * d.c_out;
        conv_v0_kernel<<<tr_blocks(count, 128), 128, 0, s>>>(p, count);
        break;
    }
    }
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(conv2d) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return conv_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status epilogue_t(const tr_exec *ex, const tr_node *n) {
    tr_conv_p<T> p = conv_args<T>(ex, n);
    int64_t count = tr_tensor_numel(&ex->g->tensors[n->dst]);
    cudaStream_t s = tr_cuda_stream(ex);
    conv_epilogue_kernel<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

tryon_status tr_cuda_conv_epilogue(const tr_exec *ex, const tr_node *n) {
    const tr_epilogue &ep = n->p.conv.ep;
    const int identity = ep.act == TR_ACT_NONE && ep.gain == 1.0f && ep.clamp == 0.0f;
    if (identity && n->src[2] < 0 && n->src[4] < 0 && n->src[5] < 0 && n->src[6] < 0)
        return TRYON_OK; /* the library's result is the node's */
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return epilogue_t<T>(ex, n));
    return TRYON_OK;
}
