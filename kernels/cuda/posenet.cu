/* posenet.cu — PoseNet decoding on CUDA (posenet.cuh): single pose as a block
 * per image with one argmax reduction per part, multiple poses as one block
 * that marks root candidates in parallel and decodes sequentially. v0 only:
 * the decoder is microseconds next to the network, and keeping it on the GPU
 * is what matters (no host round trip between stages).
 * Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include "ops.cuh"
#include "posenet.cuh"

#define PN_THREADS 256

__global__ void __launch_bounds__(PN_THREADS)
    pn_single(tr_posenet_decode_desc d, const float *scores, const float *offsets, float *poses) {
    __shared__ float sv[PN_THREADS];
    __shared__ int64_t si[PN_THREADS];
    __shared__ tr_pn_kp kps[TR_PN_K];
    const int32_t n = blockIdx.x, tid = threadIdx.x;
    const tr_pn_heads h = tr_pn_image(d, scores, offsets, NULL, NULL, n);
    const int64_t hw = (int64_t)d.h * d.w;
    for (int32_t k = 0; k < TR_PN_K; k++) {
        float bv = 0.0f;
        int64_t bi = -1;
        for (int64_t i = tid; i < hw; i += PN_THREADS) {
            float v = h.scores[i * TR_PN_K + k];
            if (tr_pn_better(v, i, bv, bi)) bv = v, bi = i;
        }
        sv[tid] = bv;
        si[tid] = bi;
        __syncthreads();
        for (int32_t s = PN_THREADS / 2; s > 0; s >>= 1) {
            if (tid < s && tr_pn_better(sv[tid + s], si[tid + s], sv[tid], si[tid])) {
                sv[tid] = sv[tid + s];
                si[tid] = si[tid + s];
            }
            __syncthreads();
        }
        if (tid == 0) {
            /* The CPU's scan starts from index 0: a NaN there is never beaten. */
            float x0 = h.scores[k];
            int64_t best = x0 != x0 ? 0 : si[0];
            tr_pn_single_part(h, k, best, x0 != x0 ? x0 : sv[0], &kps[k]);
        }
        __syncthreads();
    }
    if (tid == 0) {
        double total = 0.0;
        for (int32_t k = 0; k < TR_PN_K; k++) total += kps[k].score;
        tr_pn_store(d, poses + (int64_t)n * (TR_PN_K + 1) * 3, kps, total / TR_PN_K);
    }
}

__global__ void __launch_bounds__(PN_THREADS)
    pn_multi(tr_posenet_decode_desc d, const float *scores, const float *offsets, const float *fwd,
             const float *bwd, void *ws, float *poses) {
    const int64_t items = (int64_t)d.h * d.w * TR_PN_K;
    const int64_t slots = (int64_t)d.max_poses * (TR_PN_K + 1) * 3;
    for (int32_t n = 0; n < d.n; n++) {
        const tr_pn_heads h = tr_pn_image(d, scores, offsets, fwd, bwd, n);
        float *out = poses + n * slots;
        for (int64_t i = threadIdx.x; i < slots; i += PN_THREADS) out[i] = 0.0f;
        for (int64_t i = threadIdx.x; i < items; i += PN_THREADS)
            tr_pn_mark(h, (tr_pn_cand *)ws, i);
        __syncthreads();
        if (threadIdx.x == 0) tr_pn_decode_multi(h, ws, out);
        __syncthreads();
    }
}

TR_CUDA_OP_DECL(posenet_decode) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    const tr_posenet_decode_desc &d = n->p.pose;
    const float *scores = tr_cuda_in<float>(ex, n->src[0]);
    const float *offsets = tr_cuda_in<float>(ex, n->src[1]);
    float *poses = tr_cuda_out<float>(ex, n->dst);
    cudaStream_t s = tr_cuda_stream(ex);
    if (d.multi)
        pn_multi<<<1, PN_THREADS, 0, s>>>(d, scores, offsets, tr_cuda_in<float>(ex, n->src[2]),
                                          tr_cuda_in<float>(ex, n->src[3]), tr_exec_ws(ex, n),
                                          poses);
    else
        pn_single<<<(unsigned)d.n, PN_THREADS, 0, s>>>(d, scores, offsets, poses);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}
