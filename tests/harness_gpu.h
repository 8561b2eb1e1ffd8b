/* harness_gpu.h — the GPU suites' harness: build one graph on a CPU context and
 * on a CUDA context, feed both the same inputs, run, compare every output.
 * The CPU backend is the reference (its kernels are tested against double
 * oracles and PyTorch/TF.js), so each CUDA op and net is checked against it
 * with a per-op tolerance stated at the call site.
 *
 * GPU suites run without fork (CUDA must not be used between fork and exec):
 * gu_main prints SKIP with the reason and exits 0 when no device is usable. */
#ifndef TRYON_TEST_HARNESS_GPU_H
#define TRYON_TEST_HARNESS_GPU_H

#include "graph.h"
#include "util.h"

/* Builds the graph under test: declares inputs (tr_graph_input) and outputs
 * (tr_graph_output). Called once per backend with the same arg. */
typedef void (*gu_build_fn)(tr_graph *g, void *arg);

typedef struct gu_opts {
    double atol, rtol;        /* |cuda - cpu| <= atol + rtol*|cpu| per element */
    uint64_t seed;            /* input data */
    float lo, hi;             /* uniform range of F32 inputs (U8: 0..255, I32: 0..hi) */
    int32_t sync_each;        /* run the CUDA side with cuda_sync_after_launch */
    int32_t runs;             /* CUDA runs (>= 2 checks graph replay); default 2 */
} gu_opts;
gu_opts gu_opts_default(void);

/* Fails the current test on any mismatch, printing the comparison report. */
void gu_compare_backends(const char *what, gu_build_fn build, void *arg, const gu_opts *o);

/* Runs a GPU suite without fork; prints "SKIP <name>: ..." and exits 0 without a device. */
int gu_main(const char *name, Suite *s);

#endif /* TRYON_TEST_HARNESS_GPU_H */
