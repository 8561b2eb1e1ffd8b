/* vendor.cu — the vendor baselines behind TRYON_KERNELS_VENDOR: cuDNN
 * convolution forward (the algorithm picked at model creation by cuDNN's own
 * search, cudnnFindConvolutionForwardAlgorithm) and cuBLAS GEMM (cublasGemmEx)
 * for 1x1 convolutions and linear layers, each followed by tryon's epilogue
 * kernel (out_scale, add, bias, activation, clamp, residual), which the
 * libraries cannot fuse in that order.
 *
 * Which nodes: convolutions with zero padding, F32 accumulation, no input
 * scaling, and a padding cuDNN can express (symmetric, giving the same output
 * size); every linear. Others (reflect padding, StyleGAN2's modulated convs,
 * PoseNet's ROUND_ONCE convs, transposed convs) run tryon's own kernels.
 * Numerics: F32 storage computes in fp32 without TF32 (CUDNN_FMA_MATH,
 * CUBLAS_COMPUTE_32F); F16/BF16 storage multiplies on tensor cores with fp32
 * accumulation, but the plain convolution result is rounded to the storage
 * type before the epilogue reads it back (one extra rounding next to tryon's
 * fused epilogue).
 *
 * Handles live in the context (made at the first vendor model), never in
 * globals; cuBLAS gets a 32 MiB workspace of its own so that it allocates
 * nothing inside a CUDA graph capture, and cuDNN's workspace is the model's
 * scratch. Built only when make finds cuDNN and cuBLAS (TR_WITH_VENDOR).
 * Tested: tests/gpu_ops.c (vendor vs CPU), tests/gpu_nets.c. */
#include <string.h>

#include "ops.cuh"

#ifndef TR_WITH_VENDOR
#define TR_WITH_VENDOR 0
#endif

#if TR_WITH_VENDOR
#include <cublas_v2.h>
#include <cudnn.h>

#define CUBLAS_WS_BYTES ((size_t)32 << 20)
#define MAX_CUDNN_WS ((size_t)256 << 20)

struct tr_cuda_vendor {
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    void *cublas_ws;
};

enum { VNODE_CUDNN = 1, VNODE_CUBLAS };

typedef struct vnode {
    int kind;
    cudnnTensorDescriptor_t x, y;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnConvolutionFwdAlgo_t algo;
    size_t ws;
    int m, n, k; /* cuBLAS: Y (n x m, row-major) = X (n x k) W^T (W: m x k) */
} vnode;

#define CUDNN_TRY(ctx, call)                                                              \
    do {                                                                                  \
        cudnnStatus_t s_ = (call);                                                        \
        if (s_ != CUDNN_STATUS_SUCCESS)                                                   \
            return TR_FAIL((ctx), TRYON_ERR_CUDA, "%s: %s", #call, cudnnGetErrorString(s_)); \
    } while (0)

#define CUBLAS_TRY(ctx, call)                                                             \
    do {                                                                                  \
        cublasStatus_t s_ = (call);                                                       \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                  \
            return TR_FAIL((ctx), TRYON_ERR_CUDA, "%s: %s", #call, cublasGetStatusString(s_)); \
    } while (0)

int tr_cuda_vendor_available(void) { return 1; }

void tr_cuda_vendor_ctx_free(tr_cuda_state *st) {
    tr_cuda_vendor *v = st->vendor;
    if (!v) return;
    if (v->cudnn) cudnnDestroy(v->cudnn);
    if (v->cublas) cublasDestroy(v->cublas);
    cudaFree(v->cublas_ws);
    tr_mem_free(v);
    st->vendor = NULL;
}

static tryon_status vendor_init(tryon_ctx *ctx, tr_cuda_vendor *v) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    CUDNN_TRY(ctx, cudnnCreate(&v->cudnn));
    CUBLAS_TRY(ctx, cublasCreate(&v->cublas));
    TR_CUDA_TRY(ctx, cudaMalloc(&v->cublas_ws, CUBLAS_WS_BYTES));
    st->n_device_allocs++;
    CUBLAS_TRY(ctx, cublasSetWorkspace(v->cublas, v->cublas_ws, CUBLAS_WS_BYTES));
    /* No TF32 in F32 storage: the baseline keeps fp32 accuracy like tryon's SIMT path. */
    CUBLAS_TRY(ctx, cublasSetMathMode(v->cublas, CUBLAS_DEFAULT_MATH));
    return TRYON_OK;
}

static tryon_status vendor_ctx(tryon_ctx *ctx, tr_cuda_vendor **out) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    if (st->vendor) {
        *out = st->vendor;
        return TRYON_OK;
    }
    tr_cuda_vendor *v = (tr_cuda_vendor *)tr_mem_calloc(ctx, 1, sizeof *v);
    if (!v) return TRYON_ERR_NOMEM;
    /* Kept on the context only once complete; a failed step frees what was made. */
    st->vendor = v;
    tryon_status s = vendor_init(ctx, v);
    if (s != TRYON_OK) {
        tr_cuda_vendor_ctx_free(st);
        return s;
    }
    *out = v;
    return TRYON_OK;
}

static cudnnDataType_t cudnn_type(tryon_dtype t) {
    return t == TRYON_DTYPE_F16 ? CUDNN_DATA_HALF : t == TRYON_DTYPE_BF16 ? CUDNN_DATA_BFLOAT16
                                                                          : CUDNN_DATA_FLOAT;
}

static cudaDataType_t cublas_type(tryon_dtype t) {
    return t == TRYON_DTYPE_F16 ? CUDA_R_16F : t == TRYON_DTYPE_BF16 ? CUDA_R_16BF : CUDA_R_32F;
}

static void vnode_free(vnode *v) {
    if (!v) return;
    if (v->x) cudnnDestroyTensorDescriptor(v->x);
    if (v->y) cudnnDestroyTensorDescriptor(v->y);
    if (v->w) cudnnDestroyFilterDescriptor(v->w);
    if (v->conv) cudnnDestroyConvolutionDescriptor(v->conv);
    tr_mem_free(v);
}

/* 1 if cuBLAS runs this conv as one GEMM (1x1, stride 1, unpadded, ungrouped). */
static int conv_is_gemm(const tr_conv2d_desc &d) {
    return d.kh == 1 && d.kw == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
           d.pad_left == 0 && d.oh == d.h && d.ow == d.w && d.groups == 1 &&
           (int64_t)d.n * d.h * d.w <= INT32_MAX;
}

static tryon_status prepare_conv(tr_cuda_model *m, tr_cuda_vendor *cv, const tr_node *n,
                                 tryon_dtype dt, vnode **out) {
    tryon_ctx *ctx = m->ctx;
    const tr_conv2d_desc &d = n->p.conv;
    *out = NULL;
    if (d.pad_mode != TR_PAD_ZEROS || d.accum != TR_CONV_ACCUM_F32 || n->src[3] >= 0) return TRYON_OK;
    vnode *v = (vnode *)tr_mem_calloc(ctx, 1, sizeof *v);
    if (!v) return TRYON_ERR_NOMEM;
    if (conv_is_gemm(d)) {
        v->kind = VNODE_CUBLAS;
        v->m = d.c_out, v->n = d.n * d.h * d.w, v->k = d.c_in;
        *out = v;
        return TRYON_OK;
    }
    v->kind = VNODE_CUDNN;
    tryon_status st = TRYON_OK;
    cudnnDataType_t t = cudnn_type(dt);
    int on, oc, oh, ow, returned = 0;
    cudnnConvolutionFwdAlgoPerf_t perf[8];
#define V_TRY(call)                                                                       \
    do {                                                                                  \
        cudnnStatus_t s_ = (call);                                                        \
        if (s_ != CUDNN_STATUS_SUCCESS) {                                                 \
            st = TR_FAIL(ctx, TRYON_ERR_CUDA, "%s: %s", #call, cudnnGetErrorString(s_));  \
            goto fail;                                                                    \
        }                                                                                 \
    } while (0)
    V_TRY(cudnnCreateTensorDescriptor(&v->x));
    V_TRY(cudnnCreateTensorDescriptor(&v->y));
    V_TRY(cudnnCreateFilterDescriptor(&v->w));
    V_TRY(cudnnCreateConvolutionDescriptor(&v->conv));
    V_TRY(cudnnSetTensor4dDescriptor(v->x, CUDNN_TENSOR_NHWC, t, d.n, d.c_in, d.h, d.w));
    V_TRY(cudnnSetTensor4dDescriptor(v->y, CUDNN_TENSOR_NHWC, t, d.n, d.c_out, d.oh, d.ow));
    /* NHWC filters are KRSC: tryon's OHWI (C_out, KH, KW, C_in/groups). */
    V_TRY(cudnnSetFilter4dDescriptor(v->w, t, CUDNN_TENSOR_NHWC, d.c_out, d.c_in / d.groups, d.kh,
                                     d.kw));
    V_TRY(cudnnSetConvolution2dDescriptor(v->conv, d.pad_top, d.pad_left, d.stride_h, d.stride_w,
                                          d.dil_h, d.dil_w, CUDNN_CROSS_CORRELATION,
                                          CUDNN_DATA_FLOAT));
    V_TRY(cudnnSetConvolutionGroupCount(v->conv, d.groups));
    V_TRY(cudnnSetConvolutionMathType(v->conv, dt == TRYON_DTYPE_F32 ? CUDNN_FMA_MATH
                                                                     : CUDNN_TENSOR_OP_MATH));
    /* cuDNN pads both sides alike: only when that yields tryon's output size
     * (TF-SAME's extra bottom/right row does not) are the taps the same. */
    V_TRY(cudnnGetConvolution2dForwardOutputDim(v->conv, v->x, v->w, &on, &oc, &oh, &ow));
    if (on != d.n || oc != d.c_out || oh != d.oh || ow != d.ow) {
        vnode_free(v);
        return TRYON_OK;
    }
    V_TRY(cudnnFindConvolutionForwardAlgorithm(cv->cudnn, v->x, v->w, v->conv, v->y, 8, &returned,
                                               perf));
    for (int i = 0; i < returned; i++)
        if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= MAX_CUDNN_WS) {
            v->algo = perf[i].algo;
            v->ws = perf[i].memory;
            *out = v;
            return TRYON_OK;
        }
    st = TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "cuDNN found no algorithm for node '%s'", n->name);
#undef V_TRY
fail:
    vnode_free(v);
    return st;
}

tryon_status tr_cuda_vendor_prepare(tr_cuda_model *m, int64_t *ws_bytes) {
    *ws_bytes = 0;
    tr_cuda_vendor *cv = NULL;
    TR_TRY(vendor_ctx(m->ctx, &cv));
    const tr_graph *g = m->g;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[i];
        tryon_dtype dt = (tryon_dtype)m->domain[i];
        if (n->op == TR_OP_CONV2D) {
            vnode *v;
            TR_TRY(prepare_conv(m, cv, n, dt, &v));
            m->vnode[i] = v;
            if (v && (int64_t)v->ws > *ws_bytes) *ws_bytes = (int64_t)v->ws;
        } else if (n->op == TR_OP_LINEAR) {
            vnode *v = (vnode *)tr_mem_calloc(m->ctx, 1, sizeof *v);
            if (!v) return TRYON_ERR_NOMEM;
            v->kind = VNODE_CUBLAS;
            v->m = n->p.linear.m, v->n = n->p.linear.n, v->k = n->p.linear.k;
            m->vnode[i] = v;
        }
    }
    return TRYON_OK;
}

void tr_cuda_vendor_release(tr_cuda_model *m) {
    if (!m->vnode) return;
    for (int32_t i = 0; i < m->g->n_nodes; i++) {
        vnode_free((vnode *)m->vnode[i]);
        m->vnode[i] = NULL;
    }
}

/* Y (rows x m, row-major) = X (rows x k) W^T: column-major Y^T = op_T(W) X^T. */
static tryon_status gemm(const tr_exec *ex, const vnode *v, const void *x, const void *w, void *y) {
    tr_cuda_vendor *cv = tr_cuda_state_of(ex)->vendor;
    const cudaDataType_t t = cublas_type(ex->act_dtype);
    const float one = 1.0f, zero = 0.0f;
    CUBLAS_TRY(ex->ctx, cublasSetStream(cv->cublas, tr_cuda_stream(ex)));
    CUBLAS_TRY(ex->ctx, cublasGemmEx(cv->cublas, CUBLAS_OP_T, CUBLAS_OP_N, v->m, v->n, v->k, &one,
                                     w, t, v->k, x, t, v->k, &zero, y, t, v->m, CUBLAS_COMPUTE_32F,
                                     CUBLAS_GEMM_DEFAULT));
    return TRYON_OK;
}

tryon_status tr_cuda_vendor_conv2d(const tr_exec *ex, const tr_node *n, void *state) {
    const vnode *v = (const vnode *)state;
    const void *x = tr_cuda_ptr(ex, n->src[0]), *w = tr_cuda_ptr(ex, n->src[1]);
    void *y = tr_cuda_ptr(ex, n->dst);
    if (v->kind == VNODE_CUBLAS) {
        TR_TRY(gemm(ex, v, x, w, y));
    } else {
        tr_cuda_vendor *cv = tr_cuda_state_of(ex)->vendor;
        const float one = 1.0f, zero = 0.0f;
        CUDNN_TRY(ex->ctx, cudnnSetStream(cv->cudnn, tr_cuda_stream(ex)));
        CUDNN_TRY(ex->ctx, cudnnConvolutionForward(cv->cudnn, &one, v->x, x, v->w, w, v->conv,
                                                   v->algo, tr_cuda_scratch(ex), v->ws, &zero,
                                                   v->y, y));
    }
    return tr_cuda_conv_epilogue(ex, n);
}

tryon_status tr_cuda_vendor_linear(const tr_exec *ex, const tr_node *n, void *state) {
    return gemm(ex, (const vnode *)state, tr_cuda_ptr(ex, n->src[0]), tr_cuda_ptr(ex, n->src[1]),
                tr_cuda_ptr(ex, n->dst));
}

#else /* built without cuDNN / cuBLAS */

struct tr_cuda_vendor {
    int unused;
};

int tr_cuda_vendor_available(void) { return 0; }
void tr_cuda_vendor_ctx_free(tr_cuda_state *st) { (void)st; }
void tr_cuda_vendor_release(tr_cuda_model *m) { (void)m; }

tryon_status tr_cuda_vendor_prepare(tr_cuda_model *m, int64_t *ws_bytes) {
    *ws_bytes = 0;
    return TR_FAIL(m->ctx, TRYON_ERR_UNSUPPORTED,
                   "vendor kernels: this build has no cuDNN/cuBLAS (set CUDNN_HOME and rebuild)");
}

tryon_status tr_cuda_vendor_conv2d(const tr_exec *ex, const tr_node *n, void *state) {
    (void)n, (void)state;
    return TR_FAIL(ex->ctx, TRYON_ERR_UNSUPPORTED, "vendor kernels unavailable");
}

tryon_status tr_cuda_vendor_linear(const tr_exec *ex, const tr_node *n, void *state) {
    (void)n, (void)state;
    return TR_FAIL(ex->ctx, TRYON_ERR_UNSUPPORTED, "vendor kernels unavailable");
}

#endif
