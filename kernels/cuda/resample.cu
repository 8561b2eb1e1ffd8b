/* resample.cu — adapters of upsample_nearest, resize_bilinear (F32 or U8
 * input) and upfirdn2d: thread per output element (resample.cuh). v0 only:
 * StyleGAN2's FIR passes are small next to its convolutions.
 * Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include "ops.cuh"
#include "resample.cuh"

template <typename P> __global__ void tr_resample_kernel(P p, int64_t n) {
    TR_GRID_LOOP(i, n) p.run(i);
}

template <typename P>
static tryon_status run_resample(const tr_exec *ex, const tr_node *n, const P &p, int64_t count) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    tr_resample_kernel<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

template <typename T> static tryon_status upsample_t(const tr_exec *ex, const tr_node *n) {
    const int64_t *s = ex->g->tensors[n->src[0]].shape;
    tr_upsample_p<T> p = {tr_cuda_in<T>(ex, n->src[0]), tr_cuda_out<T>(ex, n->dst), (int32_t)s[1],
                          (int32_t)s[2], (int32_t)s[3], n->p.upsample.fy, n->p.upsample.fx};
    return run_resample(ex, n, p, tr_tensor_numel(&ex->g->tensors[n->dst]));
}

TR_CUDA_OP_DECL(upsample_nearest) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return upsample_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status resize_t(const tr_exec *ex, const tr_node *n) {
    int64_t count = tr_tensor_numel(&ex->g->tensors[n->dst]);
    if (ex->g->tensors[n->src[0]].dtype == TRYON_DTYPE_U8) {
        tr_resize_p<uint8_t, T> p = {n->p.resize, (const uint8_t *)tr_cuda_ptr(ex, n->src[0]),
                                     tr_cuda_out<T>(ex, n->dst)};
        return run_resample(ex, n, p, count);
    }
    tr_resize_p<T, T> p = {n->p.resize, tr_cuda_in<T>(ex, n->src[0]), tr_cuda_out<T>(ex, n->dst)};
    return run_resample(ex, n, p, count);
}

TR_CUDA_OP_DECL(resize_bilinear) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return resize_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status upfirdn_t(const tr_exec *ex, const tr_node *n) {
    tr_upfirdn_p<T> p = {n->p.upfirdn, tr_cuda_in<T>(ex, n->src[1]), tr_cuda_in<T>(ex, n->src[0]),
                         tr_cuda_out<T>(ex, n->dst)};
    return run_resample(ex, n, p, tr_tensor_numel(&ex->g->tensors[n->dst]));
}

TR_CUDA_OP_DECL(upfirdn2d) {
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return upfirdn_t<T>(ex, n));
    return TRYON_OK;
}
