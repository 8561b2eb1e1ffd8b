/* common.cuh — shared helpers for the .cu files: error checking that records
 * on the context instead of exiting, launch geometry, storage-type loads and
 * stores, the fused epilogue, and what an op adapter sees of the backend.
 * "C with kernels": no STL, no exceptions; launchers are plain functions.
 *
 * Arithmetic: every .cu file is compiled with --fmad=false, so a*b + c rounds
 * twice exactly as the CPU reference (C11, no contraction) does; the v0 ports
 * therefore reproduce the CPU's float results bit for bit wherever they use
 * the same operations in the same order. Fast variants ask for fused
 * multiply-adds explicitly with fmaf().
 *
 * Functions marked TR_HD run on the host too: tests/emu_*.cu executes the
 * per-element device code on the CPU against the reference kernels, which is
 * how the kernels were checked on a machine without a GPU. */
#ifndef TR_CUDA_COMMON_CUH
#define TR_CUDA_COMMON_CUH

#include <math.h>
#include <stdint.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

extern "C" {
#include "graph.h"
#include "internal.h"
#include "kernels.h"
}

#define TR_HD __host__ __device__ __forceinline__

/* Checks a CUDA runtime call; on failure records "call: reason" on ctx and
 * returns TRYON_ERR_CUDA from the enclosing function. */
#define TR_CUDA_TRY(ctx, call)                                                             \
    do {                                                                                   \
        cudaError_t e_ = (call);                                                           \
        if (e_ != cudaSuccess) {                                                           \
            (void)cudaGetLastError();                                                      \
            return tr_fail((ctx), TRYON_ERR_CUDA, __FILE__, __LINE__, "%s: %s", #call,     \
                           cudaGetErrorString(e_));                                        \
        }                                                                                  \
    } while (0)

/* After every <<<...>>>: launch errors, and with cuda_sync_after_launch a
 * synchronisation so that an asynchronous fault is blamed on this kernel. */
#define TR_CUDA_CHECK_LAUNCH(ctx, stream)                                                  \
    do {                                                                                   \
        TR_CUDA_TRY((ctx), cudaGetLastError());                                            \
        if ((ctx)->params.cuda_sync_after_launch) TR_CUDA_TRY((ctx), cudaStreamSynchronize(stream)); \
    } while (0)

static inline int64_t tr_ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Blocks for a grid-stride loop over n items: enough to fill any GPU, never
 * more than the x dimension allows. */
static inline unsigned tr_blocks(int64_t n, int threads) {
    int64_t b = tr_ceil_div(n > 0 ? n : 1, threads);
    return (unsigned)(b > (1 << 20) ? (1 << 20) : b);
}

#define TR_GRID_LOOP(i, n)                                                                 \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (int64_t)(n);     \
         i += (int64_t)blockDim.x * gridDim.x)

/* ---- storage types --------------------------------------------------------- */

/* Reduced-precision storage (ctx cuda_precision): every F32 tensor a kernel
 * sees is stored as T = float, __half or __nv_bfloat16 (tr_exec.act_dtype, the
 * storage domain of the node); loads widen to float, arithmetic is fp32,
 * stores round to nearest even. Non-float tensors (U8, I32) are never
 * converted. */
template <typename T> TR_HD float tr_ld(const T *p, int64_t i);
template <> TR_HD float tr_ld<float>(const float *p, int64_t i) { return p[i]; }
template <> TR_HD float tr_ld<__half>(const __half *p, int64_t i) { return __half2float(p[i]); }
template <> TR_HD float tr_ld<__nv_bfloat16>(const __nv_bfloat16 *p, int64_t i) {
    return __bfloat162float(p[i]);
}
template <typename T> TR_HD void tr_st(T *p, int64_t i, float v);
template <> TR_HD void tr_st<float>(float *p, int64_t i, float v) { p[i] = v; }
template <> TR_HD void tr_st<__half>(__half *p, int64_t i, float v) { p[i] = __float2half_rn(v); }
template <> TR_HD void tr_st<__nv_bfloat16>(__nv_bfloat16 *p, int64_t i, float v) {
    p[i] = __float2bfloat16_rn(v);
}

/* Optional operand: 0 when absent. */
template <typename T> TR_HD float tr_ld_opt(const T *p, int64_t i) { return p ? tr_ld(p, i) : 0.0f; }

/* Runs the statement with T bound to the storage type of `dtype`:
 *   TR_DISPATCH_STORAGE(ex->act_dtype, T, return launch_foo<T>(...));
 * An unexpected dtype is a bug (the backend only sets these three). */
#define TR_DISPATCH_STORAGE(dtype, T, ...)                                                 \
    do {                                                                                   \
        switch (dtype) {                                                                   \
        case TRYON_DTYPE_F16: { typedef __half T; __VA_ARGS__; } break;                    \
        case TRYON_DTYPE_BF16: { typedef __nv_bfloat16 T; __VA_ARGS__; } break;            \
        default: { typedef float T; __VA_ARGS__; } break;                                  \
        }                                                                                  \
    } while (0)

/* ---- the fused epilogue ---------------------------------------------------- */

/* y = clamp(act(v) * gain, -clamp, clamp), kernels/cpu/epilogue.h operation
 * for operation: NaN passes through every branch; sigmoid in double rounded
 * once (TF.js-exact); tanhf is CUDA's (at most 2 ulp from glibc's). */
TR_HD float tr_ep_apply(const tr_epilogue &e, float v) {
    switch (e.act) {
    case TR_ACT_RELU: v = v < 0.0f ? 0.0f : v; break;
    case TR_ACT_RELU6: v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); break;
    case TR_ACT_LRELU: v = v < 0.0f ? v * e.alpha : v; break;
    case TR_ACT_TANH: v = tanhf(v); break;
    case TR_ACT_SIGMOID: v = (float)(1.0 / (1.0 + exp(-(double)v))); break;
    default: break;
    }
    v *= e.gain;
    if (e.clamp > 0.0f) v = v < -e.clamp ? -e.clamp : (v > e.clamp ? e.clamp : v);
    return v;
}

/* Index into an operand of shape s (each dim 1 or the output's) broadcast to
 * a 4-D output position (n, y, x, c). */
TR_HD int64_t tr_bcast4(const int64_t s[4], int64_t n, int64_t y, int64_t x, int64_t c) {
    int64_t in = s[0] == 1 ? 0 : n, iy = s[1] == 1 ? 0 : y, ix = s[2] == 1 ? 0 : x;
    int64_t ic = s[3] == 1 ? 0 : c;
    return ((in * s[1] + iy) * s[2] + ix) * s[3] + ic;
}

/* ---- what an op adapter sees of the backend -------------------------------- */

/* Per-context CUDA state (tryon_ctx.cuda). */
struct tr_cuda_state {
    cudaStream_t stream;
    int device;
    int poisoned;                      /* a sticky device error happened */
    int8_t force[TR_OP_COUNT];         /* tests: forced variant per op, -1 = launcher's pick */
    int64_t n_device_allocs;           /* cudaMalloc calls made for this context */
    struct tr_cuda_vendor *vendor;     /* cuDNN/cuBLAS handles, made on first use */
};

/* The device copy of a planned graph (kernels/cuda/backend.cu). Storage: an
 * F32 tensor lives in its primary storage `store[t]` (F32, or the context's
 * F16/BF16) at its usual place (arena or params); when a node of the other
 * storage domain reads it, or when it is a model input/output whose primary
 * storage is not F32, its copy in the other type lives at xbuf + xoff[t]. */
struct tr_cuda_model {
    tryon_ctx *ctx;
    const tr_graph *g;
    tryon_dtype act;                   /* the context's storage for F32 tensors */
    uint8_t *params;                   /* device: constants and weights */
    int64_t *param_off;                /* (n_tensors) offsets into params */
    uint8_t *arena;                    /* device activation arena (the host plan) */
    uint8_t *xbuf;                     /* device: copies in the other storage type */
    int64_t *xoff;                     /* (n_tensors) offset in xbuf, -1 = no copy */
    uint8_t *store;                    /* (n_tensors) primary storage dtype */
    uint8_t *domain;                   /* (n_nodes) storage of the float operands a node sees */
    int8_t *variant;                   /* (n_nodes) variant launched last (tests, bench) */
    void **vnode;                      /* (n_nodes) vendor state of a node, NULL = own kernels */
    uint8_t *scratch;                  /* device scratch shared by the nodes, in stream order */
    int64_t scratch_bytes;
    int64_t params_bytes, xbuf_bytes;
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    int64_t n_runs, n_graph_launches, n_captures;
};

/* An adapter receives &cx->ex; the backend part follows it. */
struct tr_cuda_exec {
    tr_exec ex;
    const tr_cuda_model *m;
};

static inline const tr_cuda_model *tr_cuda_model_of(const tr_exec *ex) {
    return ((const tr_cuda_exec *)ex)->m;
}
static inline tr_cuda_state *tr_cuda_state_of(const tr_exec *ex) {
    return (tr_cuda_state *)ex->ctx->cuda;
}
static inline cudaStream_t tr_cuda_stream(const tr_exec *ex) { return (cudaStream_t)ex->stream; }
static inline int32_t tr_cuda_node_index(const tr_exec *ex, const tr_node *n) {
    return (int32_t)(n - ex->g->nodes);
}

/* Device pointer of operand t as node-domain storage (NULL for t == -1). */
static inline void *tr_cuda_ptr(const tr_exec *ex, int32_t t) {
    if (t < 0) return NULL;
    const tr_cuda_model *m = tr_cuda_model_of(ex);
    if (ex->g->tensors[t].dtype == TRYON_DTYPE_F32 && m->store[t] != (uint8_t)ex->act_dtype)
        return m->xbuf + m->xoff[t];
    return tr_exec_ptr(ex, t);
}
template <typename T> static inline const T *tr_cuda_in(const tr_exec *ex, int32_t t) {
    return (const T *)tr_cuda_ptr(ex, t);
}
template <typename T> static inline T *tr_cuda_out(const tr_exec *ex, int32_t t) {
    return (T *)tr_cuda_ptr(ex, t);
}

/* Bytes per element of operand t as the node sees it. */
static inline size_t tr_cuda_elem_size(const tr_exec *ex, int32_t t) {
    tryon_dtype d = ex->g->tensors[t].dtype;
    return tryon_dtype_size(d == TRYON_DTYPE_F32 ? ex->act_dtype : d);
}

/* The variant a test forced for this node's op, or -1. */
static inline int32_t tr_cuda_forced(const tr_exec *ex, const tr_node *n) {
    return tr_cuda_state_of(ex)->force[n->op];
}

/* Records the variant launched for node n (read by tests and the bench). */
static inline void tr_cuda_note_variant(const tr_exec *ex, const tr_node *n, int32_t v) {
    tr_cuda_model_of(ex)->variant[tr_cuda_node_index(ex, n)] = (int8_t)v;
}

/* A forced variant the node cannot run is an error, never a silent fallback
 * (a test forcing it would otherwise pass without running it). */
static inline tryon_status tr_cuda_bad_variant(const tr_exec *ex, const tr_node *n, int32_t v) {
    return TR_FAIL(ex->ctx, TRYON_ERR_UNSUPPORTED, "%s: variant %d cannot run node '%s'",
                   tr_op_table[n->op].name, v, n->name);
}

/* Device scratch shared by all nodes (sized at model creation by
 * tr_cuda_scratch_bytes, backend.cu). */
static inline void *tr_cuda_scratch(const tr_exec *ex) { return tr_cuda_model_of(ex)->scratch; }

#endif /* TR_CUDA_COMMON_CUH */
