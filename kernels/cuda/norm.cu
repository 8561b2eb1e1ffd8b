/* norm.cu — instance normalisation and normalize_2nd_moment (norm.cuh).
 *   instance_norm v0     stats: thread per (n, c), the CPU's two passes in
 *                        double; apply: thread per element
 *   instance_norm fused  stats: block per (n, 32 channels, 512-pixel chunk)
 *                        summing (x, x^2) in double, then a thread per (n, c)
 *                        adding the chunks in order; apply with the fused
 *                        gamma/beta/activation/residual (the default: v0's
 *                        per-channel loop is serial over H*W)
 *   normalize_2nd        block per row: thread 0 sums in the CPU's order, the
 *                        block scales the row
 * The statistics (mean, rstd) go to the node's planned arena workspace, as
 * on the CPU. Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include "norm.cuh"
#include "ops.cuh"

template <typename T>
__global__ void inorm_stats_v0(tr_instance_norm_desc d, const T *__restrict__ x, double *st) {
    TR_GRID_LOOP(nc, (int64_t)d.n * d.c) tr_inorm_stats_v0(d, x, nc, st);
}

/* blockDim (32, 8): threadIdx.x picks the channel (coalesced NHWC reads),
 * threadIdx.y strides over the chunk's pixels; the 8 partial sums are added
 * in threadIdx.y order. Grid (N * ceil(C/32), chunks). */
template <typename T>
__global__ void inorm_partials(tr_instance_norm_desc d, const T *__restrict__ x, int32_t chunks,
                               double *part) {
    __shared__ double s_sum[8][32], s_sq[8][32];
    const int32_t groups = (d.c + 31) / 32;
    const int32_t n = blockIdx.x / groups, c = (blockIdx.x % groups) * 32 + threadIdx.x;
    const int64_t hw = (int64_t)d.h * d.w;
    const int64_t p0 = (int64_t)blockIdx.y * TR_INORM_CHUNK;
    const int64_t p1 = p0 + TR_INORM_CHUNK < hw ? p0 + TR_INORM_CHUNK : hw;
    double s = 0.0, ss = 0.0;
    if (c < d.c) tr_inorm_partial(d, x, n, c, p0, p1, (int32_t)threadIdx.y, &s, &ss);
    s_sum[threadIdx.y][threadIdx.x] = s;
    s_sq[threadIdx.y][threadIdx.x] = ss;
    __syncthreads();
    if (threadIdx.y == 0 && c < d.c) {
        for (int k = 1; k < 8; k++) {
            s += s_sum[k][threadIdx.x];
            ss += s_sq[k][threadIdx.x];
        }
        int64_t slot = ((int64_t)n * d.c + c) * chunks + blockIdx.y;
        part[slot * 2] = s;
        part[slot * 2 + 1] = ss;
    }
}

__global__ void inorm_finalize(tr_instance_norm_desc d, const double *part, int32_t chunks,
                               double *st) {
    TR_GRID_LOOP(nc, (int64_t)d.n * d.c) tr_inorm_finalize(d, part, chunks, nc, st);
}

template <typename T> __global__ void inorm_apply(tr_inorm_apply_p<T> p, int64_t count) {
    TR_GRID_LOOP(i, count) p.run(i);
}

static int32_t inorm_chunks(const tr_instance_norm_desc *d) {
    return (int32_t)tr_ceil_div((int64_t)d->h * d->w, TR_INORM_CHUNK);
}

int64_t tr_cuda_inorm_scratch(const tr_instance_norm_desc *d) {
    return (int64_t)d->n * d->c * inorm_chunks(d) * 2 * (int64_t)sizeof(double);
}

template <typename T> static tryon_status inorm_t(const tr_exec *ex, const tr_node *n, int32_t v) {
    const tr_instance_norm_desc &d = n->p.inorm;
    cudaStream_t s = tr_cuda_stream(ex);
    tr_inorm_apply_p<T> p;
    p.d = d;
    p.x = tr_cuda_in<T>(ex, n->src[0]);
    p.gamma = tr_cuda_in<T>(ex, n->src[1]);
    p.beta = tr_cuda_in<T>(ex, n->src[2]);
    p.residual = tr_cuda_in<T>(ex, n->src[3]);
    p.y = tr_cuda_out<T>(ex, n->dst);
    double *stats = (double *)tr_exec_ws(ex, n);
    p.stats = stats;
    const int64_t nc = (int64_t)d.n * d.c;
    if (v == TR_INORM_V0) {
        inorm_stats_v0<<<tr_blocks(nc, 128), 128, 0, s>>>(d, p.x, stats);
    } else {
        const int32_t chunks = inorm_chunks(&d), groups = (d.c + 31) / 32;
        double *part = (double *)tr_cuda_scratch(ex);
        inorm_partials<<<dim3((unsigned)(d.n * groups), (unsigned)chunks), dim3(32, 8), 0, s>>>(
            d, p.x, chunks, part);
        TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
        inorm_finalize<<<tr_blocks(nc, 128), 128, 0, s>>>(d, part, chunks, stats);
    }
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    const int64_t count = nc * d.h * d.w;
    inorm_apply<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, v);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(instance_norm) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v < 0) v = TR_INORM_FUSED;
    if (v != TR_INORM_V0 && v != TR_INORM_FUSED) return tr_cuda_bad_variant(ex, n, v);
    /* gridDim.y holds the chunks: 65535 * 512 pixels is far beyond any image. */
    if (v == TR_INORM_FUSED && inorm_chunks(&n->p.inorm) > 65535) v = TR_INORM_V0;
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return inorm_t<T>(ex, n, v));
    return TRYON_OK;
}

template <typename T>
__global__ void norm2_kernel(const T *__restrict__ x, int64_t len, float eps, T *__restrict__ y) {
    __shared__ float f;
    const int64_t row = blockIdx.x;
    if (threadIdx.x == 0) f = tr_norm2_factor(x, row, len, eps);
    __syncthreads();
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x)
        tr_st(y, row * len + k, tr_ld(x, row * len + k) * f);
}

template <typename T> static tryon_status norm2_t(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *t = &ex->g->tensors[n->dst];
    int64_t len = t->shape[t->ndim - 1], rows = tr_tensor_numel(t) / len;
    cudaStream_t s = tr_cuda_stream(ex);
    norm2_kernel<<<(unsigned)rows, 128, 0, s>>>(tr_cuda_in<T>(ex, n->src[0]), len, n->p.norm2.eps,
                                                tr_cuda_out<T>(ex, n->dst));
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    tr_cuda_note_variant(ex, n, 0);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(normalize_2nd) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return norm2_t<T>(ex, n));
    return TRYON_OK;
}
