/* variants.h — the numbered variants of the CUDA ops that have more than one
 * (plain C: the GPU suites force them by number). Each op's launcher picks a
 * variant per node; a test can force one (tr_cuda_force_variant, per
 * context); tr_cuda_model_variant says which ran. v0 is always the
 * straightforward port of the CPU reference; every other op has only v0. */
#ifndef TR_CUDA_VARIANTS_H
#define TR_CUDA_VARIANTS_H

enum {
    TR_CONV_V0 = 0,        /* thread per output, the CPU's tap order (ROUND_ONCE in double) */
    TR_CONV_IGEMM_SIMT,    /* implicit GEMM, shared-memory tiles, fp32 FMA */
    TR_CONV_IGEMM_MMA,     /* implicit GEMM on tensor cores (mma.sync m16n8k16), F16/BF16 */
    TR_CONV_DEPTHWISE,     /* groups == C_in: thread per output, FMA, 4 pixels per thread */
    TR_CONV_VENDOR,        /* cuDNN (set by the backend, never forced) */
};
enum {
    TR_CONVT_V0 = 0,       /* gather form, thread per output, the CPU's order */
    TR_CONVT_SUBPIXEL_SIMT,/* sub-pixel decomposition: one implicit GEMM per output phase */
    TR_CONVT_SUBPIXEL_MMA, /* the same on tensor cores, F16/BF16 */
};
enum {
    TR_LINEAR_V0 = 0,      /* thread per output, ascending k */
    TR_LINEAR_WARP,        /* warp per output, shuffle reduction (small batch: mapping FCs) */
    TR_LINEAR_IGEMM_SIMT,  /* the conv implicit GEMM as a 1x1 conv (large batch) */
    TR_LINEAR_IGEMM_MMA,
    TR_LINEAR_VENDOR,      /* cuBLAS (set by the backend, never forced) */
};
enum {
    TR_INORM_V0 = 0,       /* stats thread per (n, c) in double, then thread per element */
    TR_INORM_FUSED,        /* parallel (x, x^2) sums per pixel chunk, then normalize + epilogue */
};
enum {
    TR_RASTER_V0 = 0,      /* thread per pixel over every triangle */
    TR_RASTER_TILED,       /* triangle setup once, 16x16 tiles walk the triangles in order */
};

#endif /* TR_CUDA_VARIANTS_H */
