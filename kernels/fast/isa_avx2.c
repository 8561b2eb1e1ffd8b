/* isa_avx2.c — the fast kernels compiled for AVX2 + FMA: 8-float vectors,
 * 6 x 16 GEMM tiles (12 ymm accumulators of the 16 registers). Built with
 * -mavx2 -mfma -ffp-contract=off on x86-64; used only when the CPU has both. */
#include "fast.h"

#if TR_FAST_X86
#define TR_VEC_AVX2
#define TR_ISA_ID    TR_ISA_AVX2
#define TR_ISA_MR    6
#define TR_ISA_TABLE tr_fast_isa_avx2
#include "isa_impl.h"
#else
typedef int tr_fast_isa_avx2_unused; /* not an x86-64 build */
#endif
