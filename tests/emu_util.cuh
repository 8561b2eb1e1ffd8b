/* emu_util.cuh — helpers of the host emulation suites (tests/emu_*.cu).
 *
 * These suites run the CUDA kernels' per-element and per-thread device code
 * (the TR_HD functions of the kernels/cuda headers) on the CPU and compare it with
 * the reference kernels (kernels/cpu/). They need no GPU: they check the
 * ports' index arithmetic, semantics and rounding, and, for the block-level
 * kernels (implicit GEMM, fused instance norm, tiled rasterizer, TPS fit),
 * every thread's share of the block's work run in barrier order. What they
 * cannot check (real warp and barrier behaviour, the hardware's tensor-core
 * arithmetic, launch limits) is the GPU suite's job (tests/gpu_*.c).
 *
 * Storage: F32 runs compare bitwise where the port keeps the CPU's operations;
 * F16/BF16 runs feed the CPU the same rounded inputs and compare with its
 * result rounded to the storage type. */
#ifndef TRYON_TEST_EMU_UTIL_CUH
#define TRYON_TEST_EMU_UTIL_CUH

#include <stdlib.h>
#include <string.h>

#include "common.cuh"

extern "C" {
#include "half.h"
#include "util.h"
}

/* Runs p.run(i) for every item, as the grid-stride kernels do. */
template <typename P> static void emu_run(const P &p, int64_t n) {
    for (int64_t i = 0; i < n; i++) p.run(i);
}

static inline float *emu_floats(int64_t n) {
    float *p = (float *)calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Rounds v to the storage type dt and back (F32: unchanged). */
static inline float emu_round(float v, tryon_dtype dt) {
    if (dt == TRYON_DTYPE_F16) return tr_f16_to_f32(tr_f32_to_f16(v));
    if (dt == TRYON_DTYPE_BF16) return tr_bf16_to_f32(tr_f32_to_bf16(v));
    return v;
}

static inline void emu_round_all(float *x, int64_t n, tryon_dtype dt) {
    for (int64_t i = 0; i < n; i++) x[i] = emu_round(x[i], dt);
}

/* A host array of storage type T holding x (rounded); free with free(). */
template <typename T> static T *emu_store(const float *x, int64_t n) {
    T *p = (T *)calloc((size_t)(n > 0 ? n : 1), sizeof(T));
    ck_assert_ptr_nonnull(p);
    for (int64_t i = 0; i < n; i++) tr_st(p, i, x[i]);
    return p;
}

template <typename T> static void emu_load(const T *p, float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = tr_ld(p, i);
}

template <typename T> inline tryon_dtype emu_dtype(void);
template <> inline tryon_dtype emu_dtype<float>(void) { return TRYON_DTYPE_F32; }
template <> inline tryon_dtype emu_dtype<__half>(void) { return TRYON_DTYPE_F16; }
template <> inline tryon_dtype emu_dtype<__nv_bfloat16>(void) { return TRYON_DTYPE_BF16; }

/* Bitwise comparison with the report (shape decodes the first bad index). */
#define EMU_EXACT(got, ref, n, ndim, shape, what)                                         \
    do {                                                                                  \
        tu_cmp c_ = tu_compare_exact((got), (ref), (n));                                  \
        TU_ASSERT_CMP(c_, (ndim), (shape), (what));                                       \
    } while (0)

#define EMU_CLOSE(got, ref, n, atol, rtol, ndim, shape, what)                             \
    do {                                                                                  \
        tu_cmp c_ = tu_compare((got), (ref), (n), (atol), (rtol));                        \
        TU_ASSERT_CMP(c_, (ndim), (shape), (what));                                       \
    } while (0)

#endif /* TRYON_TEST_EMU_UTIL_CUH */
