/* warp.cu — grid_sample, affine_grid and the thin-plate spline ops on CUDA
 * (warp.cuh).
 *   grid_sample, affine_grid, tps_grid/transform  thread per output element
 *   tps_fit  one block of 128 threads per batch item solving the (K+3)^2
 *            system: L in shared memory, the matrix build, pivot tolerances,
 *            row swaps, row eliminations and the ridge normal equations in
 *            parallel, the pivot search, back substitution and Cholesky on one
 *            thread (O(K^2) and the rare fallback); the copy of L and the
 *            normal matrix live in the scratch.
 * v0 only. Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include "ops.cuh"
#include "warp.cuh"

#define FIT_THREADS 128

template <typename P> __global__ void warp_elem(P p, int64_t count) {
    TR_GRID_LOOP(i, count) p.run(i);
}

template <typename P>
static tryon_status run_elem(const tr_exec *ex, const tr_node *n, const P &p, int64_t count) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    warp_elem<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(grid_sample) {
    tr_gs_p p = {n->p.gsample, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_in<float>(ex, n->src[1]),
                 tr_cuda_out<float>(ex, n->dst)};
    return run_elem(ex, n, p, tr_tensor_numel(&ex->g->tensors[n->dst]));
}

TR_CUDA_OP_DECL(affine_grid) {
    tr_ag_p p = {n->p.agrid, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_out<float>(ex, n->dst)};
    const tr_affine_grid_desc &d = n->p.agrid;
    return run_elem(ex, n, p, (int64_t)d.n * d.h * d.w);
}

/* TR_OP_TPS_GRID and TR_OP_TPS_TRANSFORM (src[2], the points, absent for grids). */
TR_CUDA_OP_DECL(tps_eval) {
    tr_tps_eval_p p = {n->p.tps_eval, tr_cuda_in<float>(ex, n->src[0]),
                       tr_cuda_in<float>(ex, n->src[1]), tr_cuda_in<float>(ex, n->src[2]),
                       tr_cuda_out<float>(ex, n->dst)};
    return run_elem(ex, n, p, (int64_t)n->p.tps_eval.n * n->p.tps_eval.m);
}

/* Scratch of one batch item: the copy of L, the normal matrix, its rhs. */
static TR_HD int64_t fit_scratch_doubles(int32_t k) {
    int64_t m = k + 3;
    return 2 * m * m + 2 * m;
}

int64_t tr_cuda_tps_fit_scratch(const tr_tps_fit_desc *d) {
    return (int64_t)d->n * fit_scratch_doubles(d->k) * (int64_t)sizeof(double);
}

/* Dynamic shared memory: L (m*m), b and b0 (2m each), tol (m) doubles, then
 * use (k) and two flags as int32. */
static size_t fit_smem(int32_t k) {
    size_t m = (size_t)k + 3;
    return (m * m + 5 * m) * sizeof(double) + ((size_t)k + 2) * sizeof(int32_t);
}

__global__ void __launch_bounds__(FIT_THREADS)
    tps_fit_kernel(tr_tps_fit_desc d, const float *ctrl, const float *values, const float *mask,
                   float *coef, double *scratch) {
    extern __shared__ double smem[];
    const int32_t k = d.k, m = k + 3, tid = threadIdx.x, nt = blockDim.x;
    const int64_t item = blockIdx.x;
    tr_tps_fit_w w;
    w.l = smem;
    w.b = w.l + m * m;
    w.b0 = w.b + 2 * m;
    w.tol = w.b0 + 2 * m;
    w.use = (int32_t *)(w.tol + m);
    w.flag = w.use + k;
    double *sc = scratch + item * fit_scratch_doubles(k);
    w.l0 = sc;
    w.nn = sc + m * m;
    w.rhs = sc + 2 * m * m;
    const float *c = ctrl + (d.ctrl_batched ? item : 0) * k * 2;
    const float *v = values + item * k * 2;
    const float *mk = d.has_mask ? mask + item * k : NULL;
    tr_tps_fit_use(d, c, v, mk, w, tid, nt);
    if (tid == 0) w.flag[0] = 1;
    __syncthreads();
    tr_tps_fit_build(d, c, v, w, tid, nt);
    __syncthreads();
    tr_tps_fit_tol(m, w, tid, nt);
    __syncthreads();
    for (int32_t col = 0; col < m; col++) {
        if (tid == 0) tr_tps_fit_pivot(m, col, w);
        __syncthreads();
        if (!w.flag[0]) break; /* uniform: every thread reads the same flag */
        tr_tps_fit_swap(m, col, w, tid, nt);
        __syncthreads();
        tr_tps_fit_eliminate(m, col, w, tid, nt);
        __syncthreads();
    }
    if (tid == 0 && w.flag[0]) tr_tps_fit_back(m, w);
    __syncthreads();
    if (!w.flag[0]) {
        tr_tps_fit_normal(m, w, tid, nt);
        __syncthreads();
        if (tid == 0) tr_tps_fit_ridge(m, w);
        __syncthreads();
    }
    tr_tps_fit_out(k, w, coef + item * m * 2, tid, nt);
}

TR_CUDA_OP_DECL(tps_fit) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    const tr_tps_fit_desc &d = n->p.tps_fit;
    cudaStream_t s = tr_cuda_stream(ex);
    /* K <= 64: at most 39 KB, under the 48 KB every device gives without opting in. */
    tps_fit_kernel<<<(unsigned)d.n, FIT_THREADS, fit_smem(d.k), s>>>(
        d, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_in<float>(ex, n->src[1]),
        tr_cuda_in<float>(ex, n->src[2]), tr_cuda_out<float>(ex, n->dst),
        (double *)tr_cuda_scratch(ex));
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}
