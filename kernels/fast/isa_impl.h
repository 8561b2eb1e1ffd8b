/* isa_impl.h — instantiates every kernel body for one ISA and exports its
 * table. Included once by each isa_*.c after it defines:
 *   TR_VEC_<ISA>   the vec.h vocabulary to use
 *   TR_ISA_ID      its tr_isa value
 *   TR_ISA_MR      GEMM tile rows (<= TR_FAST_MR_MAX)
 *   TR_ISA_TABLE   the name of the exported const tr_fast_isa */
#include "vec.h"

#include "fast.h"

#include "body_gemm.h"

#include "body_conv.h"

#include "body_misc.h"

#if TR_ISA_MR > TR_FAST_MR_MAX
#error "TR_ISA_MR exceeds TR_FAST_MR_MAX"
#endif

/* clang-format off */
TR_DEF_GEMM(1) TR_DEF_GEMM(2) TR_DEF_GEMM(3) TR_DEF_GEMM(4) TR_DEF_GEMM(5) TR_DEF_GEMM(6)
#if TR_ISA_MR > 6
TR_DEF_GEMM(7) TR_DEF_GEMM(8) TR_DEF_GEMM(9) TR_DEF_GEMM(10) TR_DEF_GEMM(11) TR_DEF_GEMM(12)
TR_DEF_GEMM(13) TR_DEF_GEMM(14)
#define TR_GEMM_LIST(p, s) {NULL, p##1##s, p##2##s, p##3##s, p##4##s, p##5##s, p##6##s,        \
    p##7##s, p##8##s, p##9##s, p##10##s, p##11##s, p##12##s, p##13##s, p##14##s}
#else
#define TR_GEMM_LIST(p, s) {NULL, p##1##s, p##2##s, p##3##s, p##4##s, p##5##s, p##6##s}
#endif
    /* clang-format on */

    const tr_fast_isa TR_ISA_TABLE = {
        .isa = TR_ISA_ID,
        .vl = VL,
        .mr = TR_ISA_MR,
        .gemm = {TR_GEMM_LIST(gemm_, x1), TR_GEMM_LIST(gemm_, x2)},
        .gemm_ro = TR_GEMM_LIST(gemm_ro_, ),
        .store = store_tile,
        .dw_row = dw_row,
        .dw_row_ro = dw_row_ro,
        .dot = {{NULL},
                {NULL, dot_1x1, dot_1x2, dot_1x3, dot_1x4},
                {NULL, dot_2x1, dot_2x2, dot_2x3, dot_2x4},
                {NULL, dot_3x1, dot_3x2, dot_3x3, dot_3x4},
                {NULL, dot_4x1, dot_4x2, dot_4x3, dot_4x4}},
        .wino_in = wino_in,
        .wino_out = wino_out,
        .inorm_ch = INORM_U * VLD,
        .inorm_stats = inorm_stats,
        .inorm_apply = inorm_apply,
        .fir_pixel = fir_pixel,
};
