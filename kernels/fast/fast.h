/* fast.h — tryon's fast CPU kernels (TRYON_KERNELS_OWN), chosen at run time
 * by the CPU's instruction set. The plain kernels in kernels/cpu/ stay the
 * oracle: every path here is tested against them (tests/test_kernels_fast_*.c)
 * and runs only where it applies; the op adapters fall back to the reference
 * everywhere else.
 *
 * Layers:
 *   - ISA files (isa_avx512.c, isa_avx2.c, isa_portable.c) compile the same
 *     kernel bodies (body_*.h, written in vec.h's vocabulary) with per-file
 *     flags and export one tr_fast_isa table each: GEMM micro-kernels,
 *     epilogue stores, depthwise, Winograd transforms, norm and FIR loops.
 *   - Drivers (conv.c, winograd.c, depthwise.c, convt.c, misc.c) are plain C:
 *     they choose an algorithm per layer, pack weights, split the work over
 *     the pool, compute tap pointers (padding is index arithmetic) and call
 *     the table.
 *   - runtime/ops_fast.c ties them to graphs: plan-time choice and packing,
 *     workspaces, and the adapters that runtime/ops.c calls first.
 *
 * Determinism: every output element is produced by one micro-kernel call
 * that sums its taps in a fixed order (segments in (ky, kx) order, channels
 * ascending, one FMA chain per element), whatever the thread count or the
 * way the work is split, so results are bitwise identical across runs and
 * pools. They differ from the reference kernels' (which round the product
 * and the sum separately) by a different rounding sequence, and between ISAs
 * (FMA on AVX2/AVX-512, two roundings in the portable file).
 *
 * ROUND_ONCE (TR_CONV_ACCUM_ROUND_ONCE) keeps the reference's exact
 * arithmetic, acc = (float)((double)acc + (double)x*w) in (a, b, i) order, in
 * double vectors: the double product of two floats is exact, so a fused
 * double multiply-add equals the reference's multiply-then-add, and the
 * result is rounded to float after every tap. Its output is bitwise the
 * reference's (and TF.js's). */
#ifndef TR_FAST_H
#define TR_FAST_H

#include <stdint.h>

#include "kernels.h"

/* x86-64 builds with GCC or Clang compile the AVX2 and AVX-512 files (the
 * Makefile gives them their -m flags); other targets only the portable one. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TR_FAST_X86 1
#else
#define TR_FAST_X86 0
#endif

typedef enum tr_isa {
    TR_ISA_PORTABLE = 0, /* C with compiler vector extensions */
    TR_ISA_AVX2,         /* AVX2 + FMA (x86-64) */
    TR_ISA_AVX512,       /* AVX-512 F/VL/DQ/BW (x86-64) */
    TR_ISA_COUNT
} tr_isa;

const char *tr_isa_name(tr_isa isa); /* "avx512", "avx2", "portable" */
/* 1 if this build contains the ISA's kernels and this CPU can run them. */
int tr_isa_available(tr_isa isa);
/* The best available ISA. */
tr_isa tr_isa_best(void);
/* The ISA a new context uses: tr_isa_best(), or the TRYON_CPU_ISA environment
 * variable (avx512|avx2|portable) when set. Returns 0 and writes a one-line
 * reason to why when the variable names an unknown or unavailable ISA. */
int tr_isa_from_env(tr_isa *out, char *why, size_t why_size);

/* ---- micro-kernel interface ------------------------------------------------ */

/* Largest GEMM tile: rows (output pixels) and vectors of columns. */
#define TR_FAST_MR_MAX 14
#define TR_FAST_NV_MAX 2
/* Row-pointer slots per segment in a tr_ukr pointer table. */
#define TR_FAST_A_LD 16

/* acc(mr, nr) = sum over segments s, k < kc of a[s][r][k] * b[s*kc + k][c]:
 * one tile of an implicit GEMM. A segment is a run of kc contiguous input
 * values per output row (one tap's channels, or a whole row of taps when they
 * are contiguous in memory); a[s * TR_FAST_A_LD + r] points at row r's run.
 * b is the packed weight panel, row-major (n_seg*kc, b_ld). */
typedef struct tr_ukr {
    const float *const *a;
    const float *b;
    float *acc; /* (mr, acc_ld) */
    int32_t n_seg, kc;
    int32_t b_ld; /* floats per packed row (the panel width) */
    int32_t acc_ld;
} tr_ukr;

typedef void (*tr_ukr_fn)(const tr_ukr *u);

/* Fused epilogue of one tile, in the reference's order:
 *   v = acc * oscale[c] + add + bias[c]; v = clamp(act(v) * gain); v += res.
 * Missing operands are NULL. add for row r, column c is
 * add[r * add_rs + c * add_cs] (add_cs 0: one value per pixel). */
typedef struct tr_fast_ep {
    const tr_epilogue *ep;
    const float *bias;   /* (nr) or NULL */
    const float *oscale; /* (nr) or NULL */
    const float *add;
    int64_t add_rs;
    int32_t add_cs;
    int32_t bias_zero; /* add +0.0f when there is no bias (conv_transpose2d) */
} tr_fast_ep;

typedef struct tr_fast_store {
    const float *acc; /* (mr, acc_ld) */
    int32_t acc_ld, mr, nr;
    float *y; /* row r at y + r * y_rs */
    int64_t y_rs;
    const float *res; /* same layout as y, or NULL */
} tr_fast_store;

/* Few-output-channel tile (TR_FAST_DOT): acc(mr, c_out) = sum over segments
 * s, k < kc of a[s][r][k] * w[o * w_ld + s*kc + k], vectors along k. */
#define TR_FAST_DOT_MR 4
#define TR_FAST_DOT_CO 4
typedef struct tr_fast_dot {
    const float *const *a; /* (n_seg, TR_FAST_A_LD) row pointers, like tr_ukr */
    const float *w;        /* the OHWI weights of the first output channel */
    int64_t w_ld;          /* floats per output channel (KH*KW*C_in) */
    float *acc;            /* (mr, c_out) */
    int32_t n_seg, kc;
} tr_fast_dot;

typedef void (*tr_dot_fn)(const tr_fast_dot *u);

/* Depthwise 3x3-class conv, one output row, channels vectorised (depthwise.c). */
typedef struct tr_fast_dw_row {
    const float *const *rows; /* (kh) input rows, NULL when outside (zeros) */
    const float *w;           /* packed (kh, kw, C) */
    const int32_t *ix;        /* (ow, kw) input column per tap, -1 when outside */
    int32_t ow, kw, kh, c;
    float *acc; /* (ow, C) raw sums */
} tr_fast_dw_row;

/* One ISA's kernels. */
typedef struct tr_fast_isa {
    tr_isa isa;
    int32_t vl; /* floats per vector */
    int32_t mr; /* rows of the GEMM tile */
    /* f32 tiles, [nv - 1][mr]: nv vectors of columns, mr rows (1..mr) */
    tr_ukr_fn gemm[TR_FAST_NV_MAX][TR_FAST_MR_MAX + 1];
    /* ROUND_ONCE tiles of one vector of columns (vl), accumulated in double */
    tr_ukr_fn gemm_ro[TR_FAST_MR_MAX + 1];
    void (*store)(const tr_fast_store *s, const tr_fast_ep *e);
    void (*dw_row)(const tr_fast_dw_row *r);
    void (*dw_row_ro)(const tr_fast_dw_row *r);
    tr_dot_fn dot[TR_FAST_DOT_MR + 1][TR_FAST_DOT_CO + 1]; /* [mr][c_out] */
    /* Winograd F(4x4, 3x3) transforms over c channels (winograd.c): d holds
     * 36 pointers to the channel runs of a 6x6 input patch (row-major); v and
     * m hold the 36 transformed planes at stride v_ld / m_ld; out is (16, c). */
    void (*wino_in)(const float *const *d, int32_t c, float *v, int64_t v_ld);
    void (*wino_out)(const float *m, int64_t m_ld, int32_t c, float *out);
    /* instance norm (misc.c): statistics of up to inorm_ch channels, and the
     * normalisation of a pixel range */
    int32_t inorm_ch;
    void (*inorm_stats)(const float *x, int64_t hw, int32_t c, int32_t c0, int32_t nc, double *mean,
                        double *var);
    void (*inorm_apply)(const float *x, int64_t p0, int64_t p1, int32_t c, const double *mean,
                        const double *rstd, const float *gamma, const float *beta,
                        const float *residual, const tr_epilogue *ep, float *y);
    /* one upfirdn2d output pixel from its valid taps (misc.c) */
    void (*fir_pixel)(const float *const *x, const float *k, int32_t n_taps, int32_t c, float gain,
                      float *y);
} tr_fast_isa;

/* The table of an ISA, or NULL when this build lacks it. */
const tr_fast_isa *tr_fast_isa_table(tr_isa isa);

/* ---- drivers ---------------------------------------------------------------- */

typedef enum tr_fast_algo {
    TR_FAST_NONE = 0,  /* no fast path: the reference kernel runs */
    TR_FAST_GEMM,      /* implicit GEMM on the packed micro-kernels */
    TR_FAST_DEPTHWISE, /* groups == C_in == C_out */
    TR_FAST_WINOGRAD,  /* F(4x4, 3x3), 3x3 stride 1, opt-in */
    TR_FAST_DOT,       /* C_out <= TR_FAST_DOT_CO: vectors along K */
    TR_FAST_ALGO_COUNT
} tr_fast_algo;

/* A plan for one layer, made once (plan time) and used by every run. */
typedef struct tr_fast_conv {
    const tr_fast_isa *isa;
    tr_fast_algo algo;
    int32_t nv;            /* GEMM: vectors per panel (1 or 2) */
    int32_t n_threads;     /* workspace is sized for this many */
    int64_t packed_floats; /* prepared weights (0: none) */
    int64_t ws_bytes;      /* run-time workspace */
} tr_fast_conv;

const char *tr_fast_algo_name(tr_fast_algo a);

/* conv2d. in_scale: the layer has that operand (it needs workspace);
 * allow_winograd: the layer accepts Winograd's error (winograd.c). */
void tr_fast_conv2d_plan(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                         int32_t allow_winograd, int32_t n_threads, tr_fast_conv *out);
/* Forces an algorithm (tests); TR_FAST_NONE in out->algo if it cannot run. */
void tr_fast_conv2d_plan_algo(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                              tr_fast_algo algo, int32_t n_threads, tr_fast_conv *out);
void tr_fast_conv2d_pack(const tr_fast_conv *f, const tr_conv2d_desc *d, const float *w,
                         float *packed);
/* ws: f->ws_bytes bytes, 64-byte aligned. */
void tr_fast_conv2d_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                        const float *packed, void *ws);

/* conv_transpose2d by sub-pixel decomposition on the GEMM micro-kernels. */
void tr_fast_convt_plan(const tr_fast_isa *isa, const tr_conv_transpose2d_desc *d,
                        int32_t n_threads, tr_fast_conv *out);
void tr_fast_convt_pack(const tr_fast_conv *f, const tr_conv_transpose2d_desc *d, const float *w,
                        float *packed);
void tr_fast_convt_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv_transpose2d_args *a,
                       const float *packed, void *ws);

/* linear as a 1x1 convolution over N "pixels". */
void tr_fast_linear_plan(const tr_fast_isa *isa, const tr_linear_desc *d, int32_t n_threads,
                         tr_fast_conv *out);
void tr_fast_linear_pack(const tr_fast_conv *f, const tr_linear_desc *d, const float *w,
                         float *packed);
void tr_fast_linear_run(const tr_fast_conv *f, tr_pool *pool, const tr_linear_args *a,
                        const float *packed, void *ws);

/* Memory-bound ops; bitwise equal to the reference kernels (same arithmetic
 * in the same order, vectorised across channels). */
void tr_fast_instance_norm(const tr_fast_isa *isa, tr_pool *pool, const tr_instance_norm_args *a);
/* scale_channels through the epilogue store (same operations and order). */
void tr_fast_scale_channels(const tr_fast_isa *isa, tr_pool *pool, const tr_scale_channels_args *a);
/* Bilinear resize (u8 or f32 input, f32 output; x_u8 or x_f32 NULL): the
 * reference's arithmetic with each column's source coordinates computed
 * once per row chunk instead of once per output pixel (no ISA code). */
void tr_fast_resize_bilinear(tr_pool *pool, const tr_resize_desc *d, const float *x_f32,
                             const uint8_t *x_u8, float *y);
/* Nearest upsampling by integer factors: whole pixels copied (no ISA code). */
void tr_fast_upsample_nearest(tr_pool *pool, int32_t n, int32_t h, int32_t w, int32_t c, int32_t fy,
                              int32_t fx, const float *x, float *y);
/* upfirdn2d runs here when the filter has at most 256 taps. */
int tr_fast_upfirdn2d_applies(const tr_upfirdn2d_desc *d);
void tr_fast_upfirdn2d(const tr_fast_isa *isa, tr_pool *pool, const tr_upfirdn2d_args *a);
void tr_fast_upfirdn2d_taps(const tr_upfirdn2d_args *a, float *k);

/* Internal to the drivers: the conv2d descriptor of a linear layer. */
void tr_fast_linear_desc(const tr_linear_desc *l, tr_conv2d_desc *d);

#endif /* TR_FAST_H */
