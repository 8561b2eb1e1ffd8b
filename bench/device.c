/* device.c — the two CUDA runtime calls the harness makes itself: waiting for
 * the device after each timed run (tryon_model_run only launches a CUDA
 * model's graph) and naming the device in the header. Only child processes
 * call these (see child.c). Without CUDA they do nothing. */
#include <string.h>

#include "bench.h"

#if TR_WITH_CUDA
#include <cuda_runtime_api.h>

int bench_device_sync(char *why, size_t size) {
    cudaError_t e = cudaDeviceSynchronize();
    if (e == cudaSuccess) return 0;
    snprintf(why, size, "cudaDeviceSynchronize: %s", cudaGetErrorString(e));
    return -1;
}

void bench_device_describe(char *buf, size_t size) {
    struct cudaDeviceProp p;
    int dev = 0, driver = 0, runtime = 0;
    buf[0] = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess)
        return;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    snprintf(buf, size, "%s, sm_%d%d, %.1f GiB, %d SMs, driver %d, runtime %d", p.name, p.major,
             p.minor, p.totalGlobalMem / 1073741824.0, p.multiProcessorCount, driver, runtime);
}
#else
int bench_device_sync(char *why, size_t size) {
    (void)why;
    (void)size;
    return 0;
}

void bench_device_describe(char *buf, size_t size) {
    if (size) buf[0] = 0;
}
#endif
