/* harness_gpu.h — the GPU suites' harness: build one graph on a CPU context and
 * on a CUDA context, feed both the same inputs, run, compare every output.
 * The CPU backend is the reference (its kernels are tested against double
 * oracles and PyTorch/TF.js), so each CUDA op, variant and net is checked
 * against it with a per-case tolerance stated at the call site.
 *
 * What every comparison also checks:
 *   - storage: in F16/BF16 runs every F32 input is rounded to the storage
 *     type first, for both backends, and the CPU's output is rounded to the
 *     output's device storage, so a port that keeps the CPU's arithmetic
 *     compares bitwise in every precision;
 *   - NaN canaries and guard bands: before the run the whole device arena is
 *     set to 0xff bytes (NaN in every float type); afterwards every output
 *     element must have been written, and every arena byte outside the
 *     tensors' storage and the nodes' workspaces must still be 0xff (the
 *     gu_input/gu_output helpers put a guard tensor of GU_GUARD floats before
 *     every input and after every output, so one-op graphs have 256 bytes of
 *     band around each tensor);
 *   - the variant: a forced variant must be the one that ran;
 *   - steady state: runs after the first are each one graph launch, with no
 *     host or device allocation.
 *
 * GPU suites run without fork (CUDA must not be used between fork and exec):
 * gu_main prints SKIP with the reason and exits 0 when no device is usable.
 * A device fault poisons the whole process, so every later case fails too:
 * rerun with TRYON_CUDA_SYNC=1 to have the first error name the kernel. */
#ifndef TRYON_TEST_HARNESS_GPU_H
#define TRYON_TEST_HARNESS_GPU_H

#include "graph.h"
#include "util.h"

#define GU_GUARD 64 /* floats of guard band (the planner's 64-byte alignment adds more) */

/* Builds the graph under test: declares inputs and outputs. Called once per
 * backend with the same arg. */
typedef void (*gu_build_fn)(tr_graph *g, void *arg);

/* Fills input i (dtype and shape in t, host buffer buf) when random data
 * would not do (triangle indices, pixel positions, control points); returns
 * 0 to leave input i to the harness's fill. F32 inputs are then rounded to
 * the storage type like any other. */
typedef int (*gu_fill_fn)(const tryon_tensor *t, int32_t i, void *buf, void *arg);

typedef struct gu_opts {
    double atol, rtol; /* F32 storage: |cuda - cpu| <= atol*max|cpu| + rtol*|cpu| */
    uint64_t seed;     /* input data */
    float lo, hi;      /* uniform range of F32 inputs (U8: 0..255, I32: 0..hi) */
    int32_t sync_each; /* run the CUDA side with cuda_sync_after_launch */
    int32_t runs;      /* CUDA runs (>= 2 checks graph replay); default 2 */
    int32_t exact;     /* F32 inputs are integers in [int_lo, int_hi] (implies bitwise) */
    int32_t int_lo, int_hi;
    int32_t bitwise;       /* compare bitwise (after rounding the reference to the storage) */
    tryon_dtype precision; /* cuda_precision of the CUDA context */
    tryon_kernels kernels; /* OWN or VENDOR */
    int32_t force_op;      /* -1: none; else force_variant for this op */
    int32_t force_variant;
    int32_t expect_variant; /* -1: the forced one (if any); else what force_op's nodes must run */
    int32_t guard;          /* arena canaries and guard bands (default 1; off for big nets) */
    int32_t nan_inputs;     /* NaN, +-Inf at a few positions of every F32 input */
    double rel_ulps, abs_ulps; /* reduced storage, not exact: see gu_set_tol */
    gu_fill_fn fill;           /* optional custom input fill */
    void *fill_arg;
} gu_opts;
gu_opts gu_opts_default(void);

/* Tolerances of a comparison that is not bitwise, per element:
 *   F32 storage      |d| <= f32_abs * max|ref| + f32_rel * |ref|
 *   F16/BF16 storage |d| <= (abs_ulps * max|ref| + rel_ulps * |ref|) * unit roundoff
 * (the max|ref| term is the floor where a sum cancels). */
void gu_set_tol(gu_opts *o, double f32_abs, double f32_rel, double rel_ulps, double abs_ulps);

/* An input preceded by a guard tensor; an output followed by one. */
int32_t gu_input(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                 const int64_t *shape);
int32_t gu_output(tr_graph *g, int32_t t, const char *name);

/* Fails the current test on any mismatch, printing the comparison report. */
void gu_compare_backends(const char *what, gu_build_fn build, void *arg, const gu_opts *o);

/* Unit roundoff of a storage type (2^-24, 2^-11, 2^-8). */
double gu_unit(tryon_dtype dt);

/* 1 when TRYON_GPU_QUICK is set (the sanitizer runs): suites use fewer shapes. */
int gu_quick(void);

/* Runs a GPU suite without fork; prints "SKIP <name>: ..." and exits 0 without a device. */
int gu_main(const char *name, Suite *s);

#endif /* TRYON_TEST_HARNESS_GPU_H */
