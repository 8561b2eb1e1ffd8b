/* device.cu — CUDA device discovery. Without a GPU (or with a driver older
 * than the runtime: "CUDA driver version is insufficient for CUDA runtime
 * version") the answer is 0 devices and the reason, never an error.
 * Tested: tests/gpu_device.c (prints SKIP without a device). */
#include <stdio.h>

#include "common.cuh"

extern "C" int32_t tr_cuda_device_count(char *why, size_t why_size) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        if (why && why_size) snprintf(why, why_size, "%s", cudaGetErrorString(e));
        return 0;
    }
    if (n == 0 && why && why_size) snprintf(why, why_size, "no CUDA device present");
    return n;
}
