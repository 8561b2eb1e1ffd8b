/* graph.h — tensors, typed nodes, builders, planner and executor.
 *
 * A network is a tr_graph built once: tensors are referenced by int32 id,
 * nodes are appended in execution order, and each node carries a typed
 * parameter struct (the kernel descriptor). Builders check shapes at build
 * time. Errors are sticky: the first failing builder records its status and
 * message on the context and in g->status, every later builder returns -1 at
 * once, and tr_graph_plan reports that first error. Net builders can
 * therefore chain calls and check once.
 *
 * Memory: weights are used in place from the mapped file (TR_MEM_EXTERN) or,
 * when they need conversion, copied once into the graph's constant buffer
 * (TR_MEM_CONST). Every other tensor lives in one activation arena whose
 * layout tr_graph_plan computes from liveness; inputs and outputs are pinned
 * for the whole run. Running a planned graph allocates nothing. */
#ifndef TR_GRAPH_H
#define TR_GRAPH_H

#include "internal.h"
#include "kernels.h"

#define TR_MAX_SRC  8
#define TR_NAME_LEN 64

typedef enum tr_mem {
    TR_MEM_ARENA = 0, /* activation arena, planned */
    TR_MEM_CONST,     /* graph-owned constants */
    TR_MEM_EXTERN,    /* caller-owned read-only host data (mapped weights) */
    TR_MEM_COUNT
} tr_mem;

enum {
    TR_TENSOR_INPUT = 1,  /* written by the caller before a run; pinned */
    TR_TENSOR_OUTPUT = 2, /* read by the caller after a run; pinned */
};

typedef struct tr_tensor {
    tryon_dtype dtype;
    int32_t ndim;
    int64_t shape[TRYON_MAX_DIMS]; /* outermost first; unused trailing dims are 1 */
    tr_mem mem;
    int32_t flags;    /* TR_TENSOR_* */
    int64_t offset;   /* bytes into the arena or the constant buffer */
    const void *ext;  /* TR_MEM_EXTERN only */
    int32_t producer; /* node index, -1 for inputs and constants */
    int32_t last_use; /* node index of the last reader (planner) */
    char name[TR_NAME_LEN];
} tr_tensor;

typedef enum tr_op {
    TR_OP_CONV2D = 0,
    TR_OP_CONV_TRANSPOSE2D,
    TR_OP_LINEAR,
    TR_OP_INSTANCE_NORM,
    TR_OP_BINARY,
    TR_OP_SCALE,
    TR_OP_ACT,
    TR_OP_CAST_U8,
    TR_OP_UPSAMPLE_NEAREST,
    TR_OP_RESIZE_BILINEAR,
    TR_OP_UPFIRDN2D,
    TR_OP_CONCAT,
    TR_OP_PERMUTE,
    TR_OP_NORMALIZE_2ND,
    TR_OP_LERP,
    TR_OP_SLICE,
    TR_OP_RESHAPE,
    TR_OP_DEMOD,
    TR_OP_SCALE_CHANNELS,
    TR_OP_NOISE,
    TR_OP_POSENET_DECODE,
    TR_OP_GRID_SAMPLE,
    TR_OP_AFFINE_GRID,
    TR_OP_TPS_FIT,
    TR_OP_TPS_GRID,
    TR_OP_TPS_TRANSFORM,
    TR_OP_RASTERIZE,
    TR_OP_RASTER_COVERAGE,
    TR_OP_INTERPOLATE,
    TR_OP_TEXTURE,
    TR_OP_BG_MASK, /* try-on: graph_fit.h */
    TR_OP_MORPH,
    TR_OP_MASK_CLEAN,
    TR_OP_GARMENT_ANCHORS,
    TR_OP_SLEEVE_WEIGHT,
    TR_OP_GARMENT_TRI,
    TR_OP_FIT_CONTROLS,
    TR_OP_BODY_PROXY,
    TR_OP_SHADE_COMPOSITE,
    TR_OP_COUNT
} tr_op;

typedef union tr_params {
    tr_conv2d_desc conv;
    tr_conv_transpose2d_desc convt;
    tr_linear_desc linear;
    tr_instance_norm_desc inorm;
    tr_binary_op binary;
    struct {
        float scale, bias;
    } scale; /* TR_OP_SCALE, TR_OP_CAST_U8 */
    tr_epilogue act;
    struct {
        int32_t fy, fx;
    } upsample;
    tr_resize_desc resize;
    tr_upfirdn2d_desc upfirdn;
    struct {
        int32_t axis;
    } concat;
    struct {
        int32_t perm[4];
    } permute;
    struct {
        float eps;
    } norm2; /* TR_OP_NORMALIZE_2ND */
    struct {
        int32_t axis, start, len;
    } slice;
    tr_demod_desc demod;
    tr_scale_channels_desc schan;
    tr_noise_desc noise;
    tr_posenet_decode_desc pose;
    tr_grid_sample_desc gsample; /* warping and rasterization: graph_warp.h */
    tr_affine_grid_desc agrid;
    tr_tps_fit_desc tps_fit;
    tr_tps_eval_desc tps_eval; /* TR_OP_TPS_GRID, TR_OP_TPS_TRANSFORM */
    tr_raster_desc raster;     /* TR_OP_RASTERIZE, TR_OP_RASTER_COVERAGE */
    tr_interpolate_desc interp;
    tr_texture_desc tex;
    tr_bg_mask_desc bg_mask; /* try-on: graph_fit.h */
    tr_morph_desc morph;
    tr_mask_clean_desc mask_clean;
    tr_garment_anchors_desc anchors;
    tr_sleeve_weight_desc sleeve;
    tr_garment_tri_desc gtri;
    tr_fit_controls_desc fit;
    tr_body_proxy_desc proxy;
    tr_shade_composite_desc comp;
} tr_params;

typedef struct tr_node {
    tr_op op;
    int32_t n_src;
    int32_t src[TR_MAX_SRC]; /* tensor ids; -1 marks an absent optional operand */
    int32_t dst;             /* tensor id */
    int64_t ws_bytes;        /* per-op workspace in the arena */
    int64_t ws_offset;
    tr_params p;
    int32_t keep_f32; /* CUDA: computes and stores in F32 whatever the
                         precision (tr_graph_keep_f32) */
    char name[TR_NAME_LEN];
} tr_node;

typedef struct tr_graph {
    tryon_ctx *ctx;
    tryon_status status; /* sticky first error */
    tr_tensor *tensors;  /* (n_tensors) */
    int32_t n_tensors, cap_tensors;
    tr_node *nodes; /* (n_nodes), execution order */
    int32_t n_nodes, cap_nodes;
    uint8_t *consts; /* constant buffer, TR_HOST_ALIGN aligned */
    int64_t consts_bytes, consts_cap;
    int32_t *inputs, *outputs; /* tensor ids, in declaration order */
    int32_t n_inputs, n_outputs;
    int planned;
    int64_t arena_bytes;         /* set by tr_graph_plan */
    struct tr_fast_plan *fast;   /* fast CPU kernels' choices and packed weights
                                    (runtime/ops_fast.c); NULL: reference kernels */
    char next_name[TR_NAME_LEN]; /* name for the next node, "" = automatic */
    int32_t keep_f32;            /* copied into every node appended while set */
} tr_graph;

tryon_status tr_graph_init(tryon_ctx *ctx, tr_graph **out);
void tr_graph_free(tr_graph *g);

/* Records an error on the graph (sticky) and the context; returns -1 so that
 * builders can `return tr_graph_error(...)`. */
int32_t tr_graph_error(tr_graph *g, tryon_status s, const char *file, int line, const char *fmt,
                       ...) TR_PRINTF(5, 6);
#define TR_GRAPH_FAIL(g, s, ...) tr_graph_error((g), (s), __FILE__, __LINE__, __VA_ARGS__)

/* Names the next node and its output ("block3.conv1"); printf-style. */
void tr_graph_name(tr_graph *g, const char *fmt, ...) TR_PRINTF(2, 3);

/* Nodes appended while `on` is set compute and store their float tensors in
 * F32 on CUDA whatever the context's cuda_precision (kernels/cuda/backend.cu):
 * for stages whose values would move by a pixel in 16 bits (pixel
 * coordinates, depths that order layers, the composite's inputs). No effect
 * on the CPU, which always computes in F32. */
void tr_graph_keep_f32(tr_graph *g, int on);

/* ---- tensors ----------------------------------------------------------- */

/* A new arena tensor. shape has ndim entries (1..4). */
int32_t tr_graph_tensor(tr_graph *g, tryon_dtype dtype, int32_t ndim, const int64_t *shape);
/* A pinned input the caller fills before each run. */
int32_t tr_graph_input(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                       const int64_t *shape);
/* Marks t as an output (pinned, readable after each run). */
int32_t tr_graph_output(tr_graph *g, int32_t t, const char *name);
/* Constant tensor initialised from data (copied). */
int32_t tr_graph_const(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                       const int64_t *shape, const void *data);
/* Constant tensor whose data the caller writes through the returned pointer,
 * valid until the next constant is added. */
int32_t tr_graph_const_alloc(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                             const int64_t *shape, void **data);
/* Caller-owned read-only data used in place (must outlive the graph). */
int32_t tr_graph_extern(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                        const int64_t *shape, const void *data);

/* A weight from a safetensors file as an f32 tensor of exactly this shape
 * (ndim 0 = scalar, stored as shape [1]). F32 data is used in place from the
 * mapping; F16/BF16 is converted once into the constant buffer. A missing
 * tensor or wrong shape is a TRYON_ERR_FORMAT naming the tensor. */
struct tryon_weights;
int32_t tr_graph_weight(tr_graph *g, const struct tryon_weights *w, const char *name, int32_t ndim,
                        const int64_t *shape);

int64_t tr_tensor_numel(const tr_tensor *t);
int64_t tr_tensor_bytes(const tr_tensor *t);

static inline tr_tensor *tr_graph_t(tr_graph *g, int32_t id) { return &g->tensors[id]; }

/* Host pointer of a constant/extern tensor's data (NULL for arena tensors). */
const void *tr_graph_const_data(const tr_graph *g, int32_t t);

/* Appends a node whose output is a fresh arena tensor (dtype, shape) and
 * returns that tensor's id: for builders in other files (runtime/build_<x>.c),
 * which check their operands first. */
int32_t tr_graph_add_node(tr_graph *g, tr_op op, const int32_t *src, int32_t n_src,
                          tryon_dtype dtype, int32_t ndim, const int64_t *shape,
                          const tr_params *p);

/* ---- builders (return the output tensor id, or -1 on error) ------------ */

typedef struct tr_conv_opts {
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t tf_same; /* 1: TF 'SAME' padding, pad_* ignored */
    int32_t groups;
    tr_pad_mode pad_mode;
    tr_epilogue ep;
    int32_t bias; /* tensor ids of optional operands, -1 = none */
    int32_t in_scale, out_scale, add, residual;
    tr_conv_accum accum; /* default TR_CONV_ACCUM_F32 */
    int32_t winograd;    /* 1: allow Winograd (tr_conv2d_desc.winograd) */
} tr_conv_opts;

/* stride 1, dilation 1, no padding, groups 1, zeros padding, no epilogue and
 * no optional operands. */
tr_conv_opts tr_conv_opts_default(void);

/* x (N,H,W,C_in) f32, w (C_out,KH,KW,C_in/groups) f32. */
int32_t tr_conv2d(tr_graph *g, int32_t x, int32_t w, const tr_conv_opts *o);

typedef struct tr_convt_opts {
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_bottom, pad_left, pad_right;
    int32_t out_pad_h, out_pad_w; /* PyTorch output_padding */
    int32_t groups;
    tr_epilogue ep;
    int32_t bias;
} tr_convt_opts;
tr_convt_opts tr_convt_opts_default(void);
int32_t tr_conv_transpose2d(tr_graph *g, int32_t x, int32_t w, const tr_convt_opts *o);

/* x (N,K), w (M,K), bias (M) or -1. */
int32_t tr_linear(tr_graph *g, int32_t x, int32_t w, int32_t bias, tr_epilogue ep);

/* x (N,H,W,C); gamma/beta (C) or -1; residual like x or -1. */
int32_t tr_instance_norm(tr_graph *g, int32_t x, int32_t gamma, int32_t beta, int32_t residual,
                         float eps, tr_epilogue ep);

/* Broadcasting a (op) b (shapes right-aligned, NumPy rules). */
int32_t tr_binary(tr_graph *g, tr_binary_op op, int32_t a, int32_t b);
int32_t tr_scale(tr_graph *g, int32_t x, float scale, float bias);
int32_t tr_activation(tr_graph *g, int32_t x, tr_epilogue ep);
/* u8 tensor to f32: y = x * scale + bias. */
int32_t tr_cast_u8(tr_graph *g, int32_t x, float scale, float bias);
int32_t tr_upsample_nearest(tr_graph *g, int32_t x, int32_t fy, int32_t fx);
/* x (N,H,W,C) u8 or f32 -> (N,OH,OW,C) f32. */
int32_t tr_resize_bilinear(tr_graph *g, int32_t x, int32_t oh, int32_t ow, tr_resize_mode mode);

typedef struct tr_upfirdn_opts {
    int32_t up_x, up_y, down_x, down_y;
    int32_t pad_x0, pad_x1, pad_y0, pad_y1;
    int32_t flip;
    float gain;
} tr_upfirdn_opts;
/* f: (FH,FW) 2-D or (FW) separable f32 constant. */
int32_t tr_upfirdn2d(tr_graph *g, int32_t x, int32_t f, const tr_upfirdn_opts *o);

/* Concatenation of n tensors (same dtype, same shape except along axis). */
int32_t tr_concat(tr_graph *g, int32_t n, const int32_t *xs, int32_t axis);
/* 4-D transpose: y.shape[i] = x.shape[perm[i]]. */
int32_t tr_permute(tr_graph *g, int32_t x, const int32_t perm[4]);

/* ---- StyleGAN2 support builders (runtime/build_stylegan2.c) -------------- */

/* x * rsqrt(mean(x^2 over the last axis) + eps), any rank. */
int32_t tr_normalize_2nd_moment(tr_graph *g, int32_t x, float eps);
/* torch.lerp(a, b, t) with NumPy broadcasting (rank <= 4). */
int32_t tr_lerp(tr_graph *g, int32_t a, int32_t b, int32_t t);
/* x[..., start:start+len, ...] along axis (same rank), any dtype. */
int32_t tr_slice(tr_graph *g, int32_t x, int32_t axis, int32_t start, int32_t len);
/* A copy of x with another shape of the same element count. */
int32_t tr_reshape(tr_graph *g, int32_t x, int32_t ndim, const int64_t *shape);
/* s (N, C_in), wsq (C_out, C_in) -> d (N, C_out) = rsqrt(s^2 @ wsq^T + eps). */
int32_t tr_demod_coefs(tr_graph *g, int32_t s, int32_t wsq, float eps);
/* x (N,H,W,C): epilogue(x * scale[n,c] + add + bias[c]); scale (N,C), add
 * (4-D, broadcast) and bias (C) optional (-1). */
int32_t tr_scale_channels(tr_graph *g, int32_t x, int32_t scale, int32_t add, int32_t bias,
                          tr_epilogue ep);
/* Noise input (N,H,W,1) of a StyleGAN2 layer; ctl is an I32 tensor (4)
 * {mode, seed low 32 bits, seed high 32 bits, unused}; nconst (1,H,W,1) or -1. */
int32_t tr_noise(tr_graph *g, int32_t ctl, int32_t nconst, int32_t n, int32_t h, int32_t w,
                 int32_t stream, float strength);
/* PoseNet decoding (kernels.h): scores (N,H,W,17), offsets (N,H,W,34), and for
 * multi-pose fwd/bwd displacements (N,H,W,32) (-1 when single) -> poses
 * (N, P, 18, 3). d's n, h, w are taken from the operands. runtime/build_posenet.c. */
int32_t tr_posenet_decode(tr_graph *g, int32_t scores, int32_t offsets, int32_t disp_fwd,
                          int32_t disp_bwd, const tr_posenet_decode_desc *d);

/* ---- planning and execution -------------------------------------------- */

/* Computes liveness and places every arena tensor and workspace in one arena
 * (best fit, TR_HOST_ALIGN aligned); inputs and outputs never share memory
 * with anything. Returns the first builder error if there was one. */
tryon_status tr_graph_plan(tr_graph *g);

/* What an op adapter sees while running. */
typedef struct tr_exec {
    tryon_ctx *ctx;
    const tr_graph *g;
    uint8_t *arena;           /* activation arena: host (CPU) or device (CUDA) */
    uint8_t *params;          /* CUDA: one device buffer holding every CONST and
                                 EXTERN tensor; NULL on the CPU (host pointers) */
    const int64_t *param_off; /* CUDA: (n_tensors) byte offset of each CONST/EXTERN
                                 tensor inside params */
    void *stream;             /* CUDA: the cudaStream_t to launch on; NULL on the CPU */
    tryon_dtype act_dtype;    /* CUDA: storage of the F32 tensors the node being
                                 launched sees (its storage domain): the context's
                                 cuda_precision, or F32 for the ops that always work
                                 in F32; kernels/cuda/backend.cu converts between
                                 domains and for model inputs and outputs. F32 on
                                 the CPU. */
} tr_exec;

/* Workspace of node n (its ws_bytes, planned in the arena). */
static inline void *tr_exec_ws(const tr_exec *ex, const tr_node *n) {
    return ex->arena + n->ws_offset;
}

/* Data pointer of tensor t during execution; NULL for t == -1. */
void *tr_exec_ptr(const tr_exec *ex, int32_t t);
static inline const float *tr_exec_f32(const tr_exec *ex, int32_t t) {
    return (const float *)tr_exec_ptr(ex, t);
}

typedef tryon_status (*tr_op_fn)(const tr_exec *ex, const tr_node *n);

typedef struct tr_op_info {
    const char *name;
    tr_op_fn cpu;                                         /* CPU backend */
    tr_op_fn cuda;                                        /* CUDA backend, NULL until implemented */
    double (*flops)(const tr_graph *g, const tr_node *n); /* NULL: memory-bound, 0 */
} tr_op_info;

extern const tr_op_info tr_op_table[TR_OP_COUNT];

/* Runs nodes [begin, end) on the CPU; ms_per_node (optional, n_nodes) gets
 * per-node wall times. */
tryon_status tr_graph_run_cpu(tryon_ctx *ctx, const tr_graph *g, uint8_t *arena, int32_t begin,
                              int32_t end, double *ms_per_node);

#endif /* TR_GRAPH_H */
