/* igemm.cu — the implicit-GEMM kernels (igemm.cuh): SIMT fp32 and tensor-core
 * mma.sync, one launcher for conv2d, conv_transpose2d and linear.
 * Single-stage pipeline: load the tile (gather + prologue), synchronise,
 * multiply, synchronise. Tested: tests/emu_igemm.cu (whole blocks on the
 * host), tests/gpu_ops.c (every variant against v0 and the CPU). */
#include "igemm.cuh"
#include "ops.cuh"

/* D = A*B + D for one m16n8k16 fragment (sm_80+). */
__device__ __forceinline__ void tr_mma(float c[4], const uint32_t a[4], const uint32_t b[2],
                                       const __half *) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void tr_mma(float c[4], const uint32_t a[4], const uint32_t b[2],
                                       const __nv_bfloat16 *) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/* Grid: x = row tiles of the largest phase, y = channel tiles, z = groups *
 * phases; blocks past their phase's rows leave at once (the whole block). */
template <typename T>
__global__ void __launch_bounds__(TR_SIMT_THREADS) igemm_simt(tr_gemm_p<T> p) {
    __shared__ float as[TR_SIMT_BK][TR_GEMM_BM + 1];
    __shared__ float bs[TR_SIMT_BK][TR_GEMM_BN + 1];
    __shared__ tr_gemm_row rows[TR_GEMM_BM];
    int32_t g, ry, rx;
    tr_gemm_split_z(p, (int32_t)blockIdx.z, &g, &ry, &rx);
    const int64_t m0 = (int64_t)blockIdx.x * TR_GEMM_BM;
    if (m0 >= tr_gemm_m(p, ry, rx)) return;
    const int32_t j0 = (int32_t)blockIdx.y * TR_GEMM_BN, kt = tr_gemm_k_total(p, ry, rx);
    const int32_t tid = (int32_t)threadIdx.x;
    tr_gemm_rows(p, ry, rx, m0, tid, rows);
    __syncthreads();
    float acc[4][4];
    for (int32_t i = 0; i < 4; i++)
        for (int32_t j = 0; j < 4; j++) acc[i][j] = 0.0f;
    for (int32_t k0 = 0; k0 < kt; k0 += TR_SIMT_BK) {
        tr_simt_load(p, g, ry, rx, m0, j0, k0, kt, rows, tid, as, bs);
        __syncthreads();
        tr_simt_mac(tid, as, bs, acc);
        __syncthreads();
    }
    tr_simt_store(p, g, j0, rows, tid, acc);
}

template <typename T>
__global__ void __launch_bounds__(TR_MMA_THREADS) igemm_mma(tr_gemm_p<T> p) {
    __shared__ __align__(16) T as[TR_GEMM_BM][TR_MMA_BK + TR_MMA_PAD];
    __shared__ __align__(16) T bs[TR_GEMM_BN][TR_MMA_BK + TR_MMA_PAD];
    __shared__ tr_gemm_row rows[TR_GEMM_BM];
    int32_t g, ry, rx;
    tr_gemm_split_z(p, (int32_t)blockIdx.z, &g, &ry, &rx);
    const int64_t m0 = (int64_t)blockIdx.x * TR_GEMM_BM;
    if (m0 >= tr_gemm_m(p, ry, rx)) return;
    const int32_t j0 = (int32_t)blockIdx.y * TR_GEMM_BN, kt = tr_gemm_k_total(p, ry, rx);
    const int32_t tid = (int32_t)threadIdx.x, warp = tid / 32, lane = tid % 32;
    tr_gemm_rows(p, ry, rx, m0, tid, rows);
    __syncthreads();
    float acc[2][4][4];
    for (int32_t mt = 0; mt < 2; mt++)
        for (int32_t nt = 0; nt < 4; nt++)
            for (int32_t e = 0; e < 4; e++) acc[mt][nt][e] = 0.0f;
    for (int32_t k0 = 0; k0 < kt; k0 += TR_MMA_BK) {
        tr_mma_load(p, g, ry, rx, m0, j0, k0, kt, rows, tid, as, bs);
        __syncthreads();
        for (int32_t ks = 0; ks < TR_MMA_BK; ks += 16) {
            uint32_t a[2][4], b[4][2];
            for (int32_t mt = 0; mt < 2; mt++)
                tr_mma_frag_a(as, 32 * (warp / 2) + 16 * mt, ks, lane, a[mt]);
            for (int32_t nt = 0; nt < 4; nt++)
                tr_mma_frag_b(bs, 32 * (warp % 2) + 8 * nt, ks, lane, b[nt]);
            for (int32_t mt = 0; mt < 2; mt++)
                for (int32_t nt = 0; nt < 4; nt++) tr_mma(acc[mt][nt], a[mt], b[nt], (const T *)0);
        }
        __syncthreads();
    }
    tr_mma_store(p, g, j0, rows, warp, lane, acc);
}

/* Largest row count over the phases (conv: the only one). */
template <typename T> static int64_t max_rows(const tr_gemm_p<T> &p, int32_t *phases) {
    *phases = p.mode == TR_GEMM_CONVT ? p.d.sh * p.d.sw : 1;
    int64_t mx = 0;
    for (int32_t ph = 0; ph < *phases; ph++) {
        int32_t ry = p.mode == TR_GEMM_CONVT ? ph / p.d.sw : 0;
        int32_t rx = p.mode == TR_GEMM_CONVT ? ph % p.d.sw : 0;
        int64_t m = tr_gemm_m(p, ry, rx);
        if (m > mx) mx = m;
    }
    return mx;
}

template <typename T> static bool launch_mma(const tr_gemm_p<T> &, dim3, cudaStream_t) {
    return false; /* fp32 operands have no m16n8k16 form here (TF32 would lose 1e-4 accuracy) */
}
template <> bool launch_mma<__half>(const tr_gemm_p<__half> &p, dim3 grid, cudaStream_t s) {
    igemm_mma<__half><<<grid, TR_MMA_THREADS, 0, s>>>(p);
    return true;
}
template <> bool launch_mma<__nv_bfloat16>(const tr_gemm_p<__nv_bfloat16> &p, dim3 grid,
                                           cudaStream_t s) {
    igemm_mma<__nv_bfloat16><<<grid, TR_MMA_THREADS, 0, s>>>(p);
    return true;
}

/* Whether the grid of p fits the launch limits (else the adapters use v0). */
template <typename T> bool tr_igemm_fits(const tr_gemm_p<T> &p) {
    int32_t phases;
    int64_t m = max_rows(p, &phases);
    int64_t cog = p.d.c_out / p.d.groups;
    return tr_ceil_div(m, TR_GEMM_BM) <= INT32_MAX && tr_ceil_div(cog, TR_GEMM_BN) <= 65535 &&
           (int64_t)p.d.groups * phases <= 65535;
}

template <typename T> tryon_status tr_igemm_run(const tr_exec *ex, const tr_gemm_p<T> &p, int mma) {
    int32_t phases;
    int64_t m = max_rows(p, &phases);
    int32_t cog = p.d.c_out / p.d.groups;
    dim3 grid((unsigned)tr_ceil_div(m > 0 ? m : 1, TR_GEMM_BM), (unsigned)tr_ceil_div(cog, TR_GEMM_BN),
              (unsigned)(p.d.groups * phases));
    cudaStream_t s = tr_cuda_stream(ex);
    if (mma) {
        if (!launch_mma(p, grid, s))
            return TR_FAIL(ex->ctx, TRYON_ERR_UNSUPPORTED,
                           "tensor-core GEMM needs F16 or BF16 storage");
    } else {
        igemm_simt<T><<<grid, TR_SIMT_THREADS, 0, s>>>(p);
    }
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

template bool tr_igemm_fits<float>(const tr_gemm_p<float> &);
template bool tr_igemm_fits<__half>(const tr_gemm_p<__half> &);
template bool tr_igemm_fits<__nv_bfloat16>(const tr_gemm_p<__nv_bfloat16> &);
template tryon_status tr_igemm_run<float>(const tr_exec *, const tr_gemm_p<float> &, int);
template tryon_status tr_igemm_run<__half>(const tr_exec *, const tr_gemm_p<__half> &, int);
template tryon_status tr_igemm_run<__nv_bfloat16>(const tr_exec *,
                                                  const tr_gemm_p<__nv_bfloat16> &, int);
