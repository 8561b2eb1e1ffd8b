/* common.cuh — shared device-side helpers for the .cu files: error
 * checking that records on the context instead of exiting, ceil_div.
 * "C with kernels": no STL, no exceptions; launchers are extern "C". */
#ifndef TR_CUDA_COMMON_CUH
#define TR_CUDA_COMMON_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

extern "C" {
#include "internal.h"
#include "kernels.h"
}

/* Checks a CUDA runtime call; on failure records "call: reason" on ctx and
 * returns TRYON_ERR_CUDA from the enclosing function. */
#define TR_CUDA_TRY(ctx, call)                                                             \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess) {                                                           \
            (void)cudaGetLastError();                                                      \
            return tr_fail((ctx), TRYON_ERR_CUDA, __FILE__, __LINE__, "%s: %s", #call,     \
                           cudaGetErrorString(e_));                                        \
        }                                                                                  \
    } while (0)

/* After every <<<...>>>: launch errors, and with cuda_sync_after_launch a
 * synchronisation so that an asynchronous fault is blamed on this kernel. */
#define TR_CUDA_CHECK_LAUNCH(ctx, stream)                                                  \
    do {                                                                                   \
        TR_CUDA_TRY((ctx), cudaGetLastError());                                            \
        if ((ctx)->params.cuda_sync_after_launch) TR_CUDA_TRY((ctx), cudaStreamSynchronize(stream)); \
    } while (0)

static inline int64_t tr_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Reduced-precision storage (ctx cuda_precision): every F32 tensor a kernel
 * sees is stored as T = float, __half or __nv_bfloat16 for the whole model
 * (tr_exec.act_dtype); loads widen to float, arithmetic is fp32, stores round
 * to nearest. Non-float tensors (U8, I32) are never converted. */
template <typename T> __device__ __forceinline__ float tr_ld(const T *p, int64_t i);
template <> __device__ __forceinline__ float tr_ld<float>(const float *p, int64_t i) { return p[i]; }
template <> __device__ __forceinline__ float tr_ld<__half>(const __half *p, int64_t i) {
    return __half2float(p[i]);
}
template <> __device__ __forceinline__ float tr_ld<__nv_bfloat16>(const __nv_bfloat16 *p, int64_t i) {
    return __bfloat162float(p[i]);
}
template <typename T> __device__ __forceinline__ void tr_st(T *p, int64_t i, float v);
template <> __device__ __forceinline__ void tr_st<float>(float *p, int64_t i, float v) { p[i] = v; }
template <> __device__ __forceinline__ void tr_st<__half>(__half *p, int64_t i, float v) {
    p[i] = __float2half_rn(v);
}
template <> __device__ __forceinline__ void tr_st<__nv_bfloat16>(__nv_bfloat16 *p, int64_t i, float v) {
    p[i] = __float2bfloat16_rn(v);
}

/* Runs the statement with T bound to the storage type of `dtype`:
 *   TR_DISPATCH_STORAGE(ex->act_dtype, T, launch_foo<T>(...));
 * An unexpected dtype is a bug (the backend only sets these three). */
#define TR_DISPATCH_STORAGE(dtype, T, ...)                                                 \
    do {                                                                                   \
        switch (dtype) {                                                                   \
        case TRYON_DTYPE_F16: { typedef __half T; __VA_ARGS__; } break;                    \
        case TRYON_DTYPE_BF16: { typedef __nv_bfloat16 T; __VA_ARGS__; } break;            \
        default: { typedef float T; __VA_ARGS__; } break;                                  \
        }                                                                                  \
    } while (0)

#endif /* TR_CUDA_COMMON_CUH */
