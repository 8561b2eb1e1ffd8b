/* isa_avx512.c — the fast kernels compiled for AVX-512 (F, VL, DQ, BW) with
 * FMA: 16-float vectors, 14 x 32 GEMM tiles. The Makefile builds this file
 * with -mavx512f -mavx512vl -mavx512dq -mavx512bw -mfma -ffp-contract=off on
 * x86-64; isa.c calls into it only after the CPU reports those features. */
#include "fast.h"

#if TR_FAST_X86
#define TR_VEC_AVX512
#define TR_ISA_ID    TR_ISA_AVX512
#define TR_ISA_MR    14
#define TR_ISA_TABLE tr_fast_isa_avx512
#include "isa_impl.h"
#else
typedef int tr_fast_isa_avx512_unused; /* not an x86-64 build */
#endif
