/* isa_portable.c — the fast kernels in portable C (GCC/Clang vector
 * extensions, 4-float vectors, 6 x 8 GEMM tiles): SSE2 on any x86-64, NEON
 * on AArch64, scalar code elsewhere. No FMA: products and sums round
 * separately. Built with -ffp-contract=off so the compiler cannot fuse them
 * on targets that have FMA. */
#define TR_VEC_PORTABLE
#define TR_ISA_ID    TR_ISA_PORTABLE
#define TR_ISA_MR    6
#define TR_ISA_TABLE tr_fast_isa_portable
#include "isa_impl.h"
