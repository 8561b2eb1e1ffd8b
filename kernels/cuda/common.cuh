/* common.cuh — shared device-side helpers for the .cu files: error
 * checking that records on the context instead of exiting, ceil_div.
 * "C with kernels": no STL, no exceptions; launchers are extern "C". */
#ifndef TR_CUDA_COMMON_CUH
#define TR_CUDA_COMMON_CUH

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

#endif /* TR_CUDA_COMMON_CUH */
