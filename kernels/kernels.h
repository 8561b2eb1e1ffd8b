/* kernels.h — every typed kernel entry point: CPU reference kernels and CUDA
 * launchers. This is the one place that branches on TR_WITH_CUDA.
 *
 * Conventions shared by all kernels:
 *   - activations are NHWC f32, contiguous, shapes outermost first;
 *   - conv weights are (C_out, KH, KW, C_in/groups) ("OHWI"), for plain and
 *     transposed convolution alike (converters transpose PyTorch/TF layouts once);
 *   - a kernel computes every output element with the same arithmetic in the
 *     same order whatever the thread count, so results are bitwise
 *     reproducible across runs and pools;
 *   - kernels validate nothing that the graph builders already checked; the
 *     descriptors below say what must hold.
 * Tests: tests/test_kernels_*.c. */
#ifndef TR_KERNELS_H
#define TR_KERNELS_H

#include <stdint.h>

#include "tryon.h"

typedef struct tr_pool tr_pool; /* runtime/pool.h; NULL runs serially */

/* ------------------------------------------------------------------------ */
/* Epilogue: y = clamp(act(v) * gain, -clamp, +clamp)                        */
/* NaN propagates through every activation and the clamp (PyTorch).          */

typedef enum tr_act {
    TR_ACT_NONE = 0,
    TR_ACT_RELU,
    TR_ACT_RELU6,
    TR_ACT_LRELU, /* v < 0 ? alpha*v : v */
    TR_ACT_TANH,
    TR_ACT_SIGMOID,
    TR_ACT_COUNT
} tr_act;

typedef struct tr_epilogue {
    tr_act act;
    float alpha; /* leaky relu slope */
    float gain;  /* applied after the activation (StyleGAN's sqrt(2)) */
    float clamp; /* > 0: clamp to [-clamp, clamp] after the gain; 0: none */
} tr_epilogue;

/* act with gain 1, no clamp, alpha 0.2 for lrelu. */
tr_epilogue tr_epilogue_make(tr_act act);
const char *tr_act_name(tr_act a);

/* ------------------------------------------------------------------------ */
/* conv2d: correlation, groups (depthwise = groups == C_in), stride,        */
/* dilation, explicit asymmetric padding, zero/reflect/replicate padding by  */
/* index arithmetic (no padded copy).                                        */
/*                                                                           */
/* acc[n,y,x,o] = sum_{a,b,i} X[n, y*sh + a*dh - pt, x*sw + b*dw - pl, g*Cg+i] */
/*                 * in_scale[n, g*Cg+i] * W[o, a, b, i]        (g = o / Og) */
/* v = acc * out_scale[n,o] + add[...] + bias[o]                              */
/* y = epilogue(v) + residual[n,y,x,o]                                        */
/* where X outside the image is 0 (zeros), mirrored without repeating the    */
/* edge (reflect, PyTorch ReflectionPad2d) or the edge value (replicate).    */

typedef enum tr_pad_mode {
    TR_PAD_ZEROS = 0,
    TR_PAD_REFLECT, /* requires pad < size on that side */
    TR_PAD_REPLICATE,
    TR_PAD_COUNT
} tr_pad_mode;

/* How a conv accumulates its taps (always in the order a, b, i):
 *   F32         acc = acc + x*w in float (two roundings per tap);
 *   ROUND_ONCE  acc = (float)((double)acc + (double)x*w): the product is exact
 *               in double and each tap rounds once to float (after a double
 *               add). This is TF.js's CPU backend exactly (JS numbers summed
 *               into a Float32Array in the same tap order), so nets ported from
 *               TF.js reproduce it bit for bit. */
typedef enum tr_conv_accum {
    TR_CONV_ACCUM_F32 = 0,
    TR_CONV_ACCUM_ROUND_ONCE,
    TR_CONV_ACCUM_COUNT
} tr_conv_accum;

typedef struct tr_conv2d_desc {
    int32_t n, h, w, c_in; /* input  (N, H, W, C_in) */
    int32_t oh, ow, c_out; /* output (N, OH, OW, C_out) */
    int32_t kh, kw;        /* weight (C_out, KH, KW, C_in/groups) */
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left; /* bottom/right padding is implied by oh, ow */
    int32_t groups;
    tr_pad_mode pad_mode;
    tr_epilogue ep;
    int64_t add_shape[4]; /* shape of `add`, each dim 1 or the output's */
    tr_conv_accum accum;
    int32_t winograd; /* 1: the fast CPU kernels may compute this 3x3 stride-1
                         conv by Winograd F(4x4,3x3), whose error bound
                         (kernels/fast/winograd.c) the layer accepts; 0: never */
} tr_conv2d_desc;

typedef struct tr_conv2d_args {
    tr_conv2d_desc d;
    const float *x;         /* (N, H, W, C_in) */
    const float *w;         /* (C_out, KH, KW, C_in/groups) */
    const float *bias;      /* (C_out) or NULL */
    const float *in_scale;  /* (N, C_in) or NULL: per-sample input scaling */
    const float *out_scale; /* (N, C_out) or NULL: per-sample output scaling */
    const float *add;       /* broadcast to (N, OH, OW, C_out) or NULL */
    const float *residual;  /* (N, OH, OW, C_out) or NULL */
    float *y;               /* (N, OH, OW, C_out) */
} tr_conv2d_args;

void tr_cpu_conv2d_f32(tr_pool *pool, const tr_conv2d_args *a);

/* Output size of one spatial axis, or -1 if the window does not fit. */
int32_t tr_conv_out_size(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad_begin,
                         int32_t pad_end);

/* TF 'SAME' padding for one axis: out = ceil(in / stride), the extra pixel of
 * an odd total goes at the end (bottom/right). */
void tr_tf_same_pad(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t *pad_begin,
                    int32_t *pad_end, int32_t *out);

/* ------------------------------------------------------------------------ */
/* conv_transpose2d (PyTorch ConvTranspose2d semantics):                     */
/*   y[n, iy*sh - pt + a*dh, ix*sw - pl + b*dw, o] += x[n,iy,ix,g*Cg+i] * W[o,a,b,i] */
/* oh = (h-1)*sh - pt - pb + dh*(kh-1) + 1 + output_padding; the caller      */
/* passes oh/ow, which fixes output_padding. Then bias and the epilogue.     */

typedef struct tr_conv_transpose2d_desc {
    int32_t n, h, w, c_in;
    int32_t oh, ow, c_out;
    int32_t kh, kw; /* weight (C_out, KH, KW, C_in/groups) */
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_top, pad_left;
    int32_t groups;
    tr_epilogue ep;
} tr_conv_transpose2d_desc;

typedef struct tr_conv_transpose2d_args {
    tr_conv_transpose2d_desc d;
    const float *x;    /* (N, H, W, C_in) */
    const float *w;    /* (C_out, KH, KW, C_in/groups) */
    const float *bias; /* (C_out) or NULL */
    float *y;          /* (N, OH, OW, C_out) */
} tr_conv_transpose2d_args;

void tr_cpu_conv_transpose2d_f32(tr_pool *pool, const tr_conv_transpose2d_args *a);

/* ------------------------------------------------------------------------ */
/* linear: y[n,m] = epilogue(sum_k x[n,k] * W[m,k] + bias[m])                */

typedef struct tr_linear_desc {
    int32_t n, k, m;
    tr_epilogue ep;
} tr_linear_desc;

typedef struct tr_linear_args {
    tr_linear_desc d;
    const float *x;    /* (N, K) */
    const float *w;    /* (M, K) */
    const float *bias; /* (M) or NULL */
    float *y;          /* (N, M) */
} tr_linear_args;

void tr_cpu_linear_f32(tr_pool *pool, const tr_linear_args *a);

/* ------------------------------------------------------------------------ */
/* instance norm over H*W per (n, c), biased variance:                       */
/*   v = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]                   */
/*   y = epilogue(v) + residual                                              */

typedef struct tr_instance_norm_desc {
    int32_t n, h, w, c;
    float eps;
    tr_epilogue ep;
} tr_instance_norm_desc;

typedef struct tr_instance_norm_args {
    tr_instance_norm_desc d;
    const float *x;        /* (N, H, W, C) */
    const float *gamma;    /* (C) or NULL (1) */
    const float *beta;     /* (C) or NULL (0) */
    const float *residual; /* (N, H, W, C) or NULL */
    double *stats;         /* workspace (N, C, 2): mean and 1/sqrt(var + eps) */
    float *y;              /* (N, H, W, C); may not alias x */
} tr_instance_norm_args;

void tr_cpu_instance_norm_f32(tr_pool *pool, const tr_instance_norm_args *a);

/* ------------------------------------------------------------------------ */
/* Elementwise                                                               */

typedef enum tr_binary_op {
    TR_BINARY_ADD = 0,
    TR_BINARY_SUB,
    TR_BINARY_MUL,
    TR_BINARY_COUNT
} tr_binary_op;

/* y = a (op) b with NumPy broadcasting over 4-D shapes (each of a's and b's
 * dims is 1 or y's). Shapes are padded to 4-D by the caller. */
void tr_cpu_binary_f32(tr_pool *pool, tr_binary_op op, const float *a, const int64_t a_shape[4],
                       const float *b, const int64_t b_shape[4], float *y,
                       const int64_t y_shape[4]);

/* y = x * scale + bias (scalars); may run in place. */
void tr_cpu_scale_f32(tr_pool *pool, const float *x, int64_t n, float scale, float bias, float *y);

/* y = epilogue(x); may run in place. */
void tr_cpu_act_f32(tr_pool *pool, const float *x, int64_t n, const tr_epilogue *ep, float *y);

/* y = x * scale + bias, converting u8 to f32 (image normalisation). */
void tr_cpu_u8_to_f32(tr_pool *pool, const uint8_t *x, int64_t n, float scale, float bias,
                      float *y);

/* ------------------------------------------------------------------------ */
/* Resampling                                                                */

/* Nearest-neighbour upsampling by integer factors: y[n,y,x,c] = x[n,y/fy,x/fx,c]. */
void tr_cpu_upsample_nearest_f32(tr_pool *pool, int32_t n, int32_t h, int32_t w, int32_t c,
                                 int32_t fy, int32_t fx, const float *x, float *y);

typedef enum tr_resize_mode {
    TR_RESIZE_ALIGN_CORNERS = 0, /* PyTorch align_corners=True: src = dst*(in-1)/(out-1) */
    TR_RESIZE_HALF_PIXEL,        /* PyTorch align_corners=False, TF half_pixel_centers:
                                    src = max(0, (dst+0.5)*in/out - 0.5) */
    TR_RESIZE_TF_LEGACY,         /* TF/TF.js default (both flags false): src = dst*in/out */
    TR_RESIZE_COUNT
} tr_resize_mode;

typedef struct tr_resize_desc {
    int32_t n, h, w, c;
    int32_t oh, ow;
    tr_resize_mode mode;
} tr_resize_desc;

/* Bilinear resize; the u8 variant reads bytes and writes f32 (no rounding). */
void tr_cpu_resize_bilinear_f32(tr_pool *pool, const tr_resize_desc *d, const float *x, float *y);
void tr_cpu_resize_bilinear_u8_f32(tr_pool *pool, const tr_resize_desc *d, const uint8_t *x,
                                   float *y);

/* upfirdn2d (StyleGAN2-ADA semantics), per channel of NHWC data:
 *   1. upsample by inserting up-1 zeros after every sample,
 *   2. pad with zeros (negative pads crop): x0 left, x1 right, y0 top, y1 bottom,
 *   3. true convolution with f (flip = 1: correlation instead) scaled by gain;
 *      a separable filter is f (fw taps) along both axes, i.e. f[i]*f[j]*gain,
 *   4. keep every down-th sample starting at 0.
 * oh = (h*up_y + pad_y0 + pad_y1 - fh) / down_y + 1 (likewise ow). */
typedef struct tr_upfirdn2d_desc {
    int32_t n, h, w, c;
    int32_t oh, ow;
    int32_t up_x, up_y, down_x, down_y;
    int32_t pad_x0, pad_x1, pad_y0, pad_y1;
    int32_t fh, fw;    /* taps; separable filters have fh == fw */
    int32_t separable; /* 1: f holds fw taps used on both axes */
    int32_t flip;      /* 1: correlate (flip_filter=True) */
    float gain;
} tr_upfirdn2d_desc;

typedef struct tr_upfirdn2d_args {
    tr_upfirdn2d_desc d;
    const float *f; /* (FH, FW), or (FW) if separable */
    const float *x; /* (N, H, W, C) */
    float *y;       /* (N, OH, OW, C) */
} tr_upfirdn2d_args;

void tr_cpu_upfirdn2d_f32(tr_pool *pool, const tr_upfirdn2d_args *a);

/* ------------------------------------------------------------------------ */
/* Data movement (any dtype: elem_size bytes per element)                    */

/* Concatenation along one axis: each input is (outer, len[i], inner) and the
 * output (outer, sum(len), inner). */
void tr_cpu_concat(tr_pool *pool, int32_t n_inputs, const void *const *inputs, const int64_t *len,
                   int64_t outer, int64_t inner, size_t elem_size, void *y);

/* y = transpose(x, perm) for 4-D x: y.shape[i] = x.shape[perm[i]]. */
void tr_cpu_permute(tr_pool *pool, const void *x, const int64_t x_shape[4], const int32_t perm[4],
                    size_t elem_size, void *y);

/* ------------------------------------------------------------------------ */
/* PoseNet decoding (tfjs-models posenet 2.x, NETS.md 3.6-3.7), one image at  */
/* a time, sequential and deterministic. Heads are NHWC with K = 17 parts and */
/* E = 16 edges: scores (sigmoid heatmap) K channels, offsets 2K (all dy then */
/* all dx), displacements 2E (dy then dx per edge of the pose chain).         */
/*   single: per part the first argmax of its score map, position             */
/*           (y*OS + dy, x*OS + dx) in float32 as tf.add does; pose score is  */
/*           the mean part score (decodeSinglePose).                          */
/*   multi:  decodeMultiplePoses: local-maximum root candidates at or above  */
/*           the threshold in tfjs-models' max-heap order, part-based NMS,    */
/*           displacement-guided traversal along the tree, instance score of  */
/*           the parts outside every earlier pose's NMS disk / K; in doubles. */
/* Then image = position * scale + offset (scaleAndFlipPoses, no flip).       */
/* Output (N, P, K+1, 3): rows 0..K-1 keypoint (x, y, score) in image pixels, */
/* row K = (pose score, 1, 0); slots without a pose are all zero.            */

#define TR_POSENET_KEYPOINTS 17
#define TR_POSENET_EDGES     16

typedef struct tr_posenet_decode_desc {
    int32_t n, h, w; /* heads (N, H, W, C) */
    int32_t output_stride;
    int32_t multi;            /* 0: single pose, 1: multiple poses */
    int32_t max_poses;        /* output slots P (1 when single) */
    int32_t local_max_radius; /* multi: root window half-size (tfjs-models: 1) */
    int32_t refine_steps;     /* multi: offset refinement steps (tfjs-models: 2) */
    double score_threshold;   /* multi: minimum root part score */
    double nms_radius;        /* multi: pixels at network resolution */
    double scale_y, scale_x;  /* network resolution -> image pixels */
    double offset_y, offset_x;
} tr_posenet_decode_desc;

typedef struct tr_posenet_decode_args {
    tr_posenet_decode_desc d;
    const float *scores;   /* (N, H, W, K) */
    const float *offsets;  /* (N, H, W, 2K) */
    const float *disp_fwd; /* (N, H, W, 2E); unused when single */
    const float *disp_bwd; /* (N, H, W, 2E); unused when single */
    void *ws;              /* tr_posenet_decode_ws_bytes(&d) bytes, 8-aligned */
    float *poses;          /* (N, P, K+1, 3) */
} tr_posenet_decode_args;

int64_t tr_posenet_decode_ws_bytes(const tr_posenet_decode_desc *d);
void tr_cpu_posenet_decode(tr_pool *pool, const tr_posenet_decode_args *a);
/* Warping (NETS.md §4). Points and grids are f32 pairs (x, y) with x first,  */
/* in PyTorch's normalized coordinates: -1/+1 are the left/right (top/bottom) */
/* extremes of the image, whose meaning (pixel centres or pixel edges) the    */
/* align_corners flag fixes exactly as in F.grid_sample / F.affine_grid.      */

typedef enum tr_sample_mode {
    TR_SAMPLE_BILINEAR = 0,
    TR_SAMPLE_NEAREST, /* round half to even, like PyTorch */
    TR_SAMPLE_MODE_COUNT
} tr_sample_mode;

typedef enum tr_sample_pad {
    TR_SAMPLE_PAD_ZEROS = 0,  /* taps outside the image read 0 */
    TR_SAMPLE_PAD_BORDER,     /* coordinates clamped to the edge pixels */
    TR_SAMPLE_PAD_REFLECTION, /* coordinates mirrored at the image bounds, then clamped */
    TR_SAMPLE_PAD_COUNT
} tr_sample_pad;

/* grid_sample (F.grid_sample, 2-D): y[n,i,j,:] samples x[n] at grid[n,i,j] =
 * (gx, gy); gx indexes width, gy height. kernels/cpu/grid_sample.c. */
typedef struct tr_grid_sample_desc {
    int32_t n, h, w, c; /* input (N, H, W, C) */
    int32_t oh, ow;     /* grid (N, OH, OW, 2), output (N, OH, OW, C) */
    tr_sample_mode mode;
    tr_sample_pad pad;
    int32_t align_corners; /* 1: -1/+1 are the centres of the corner pixels */
} tr_grid_sample_desc;

void tr_cpu_grid_sample_f32(tr_pool *pool, const tr_grid_sample_desc *d, const float *x,
                            const float *grid, float *y);

/* affine_grid (F.affine_grid, 2-D): grid[n,i,j] = theta[n] @ (x_j, y_i, 1), with
 * x_j = -1 + 2j/(W-1) (align_corners) or (2j+1)/W - 1 (not), and 0 when W == 1;
 * likewise y_i. theta (N, 2, 3), grid (N, H, W, 2). */
typedef struct tr_affine_grid_desc {
    int32_t n, h, w;
    int32_t align_corners;
} tr_affine_grid_desc;

void tr_cpu_affine_grid_f32(tr_pool *pool, const tr_affine_grid_desc *d, const float *theta,
                            float *grid);

/* Thin-plate splines (CP-VTON's formulation, NETS.md §4.3), per batch item:
 *   f(p) = a0 + ax*p.x + ay*p.y + sum_k w_k U(|p - c_k|^2),  U(r2) = r2*ln(r2), U(0) = 0,
 * a function R^2 -> R^2 (a0, ax, ay, w_k are 2-vectors) that interpolates
 * f(c_k) = v_k at the K control points c_k. Coefficients are stored as
 * coef (N, K+3, 2): rows 0..K-1 are w_k, rows K, K+1, K+2 are a0, ax, ay. */
#define TR_TPS_MAX_POINTS 64

typedef struct tr_tps_fit_desc {
    int32_t n, k;         /* batch, control points (1..TR_TPS_MAX_POINTS) */
    int32_t ctrl_batched; /* 1: ctrl is (N, K, 2); 0: one (1, K, 2) set for all */
    int32_t has_mask;     /* 1: mask (N, K) selects the points used */
    float mask_threshold; /* point k is used iff mask[n,k] > threshold */
    float lambda;         /* 0..1e6: smoothing, K + lambda*I (0 = interpolation) */
} tr_tps_fit_desc;

/* Fits f to (ctrl, values) by solving the (K+3)x(K+3) system in double;
 * see kernels/cpu/tps.c for the singular-system fallback. */
void tr_cpu_tps_fit_f32(tr_pool *pool, const tr_tps_fit_desc *d, const float *ctrl,
                        const float *values, const float *mask, float *coef);

/* Evaluates f at M points per batch item: out (N, M, 2). In grid mode (h > 0)
 * the points are the base grid of an (h, w) image (affine_grid's x_j, y_i
 * with the given align_corners, M = h*w, row-major, x fastest) and out is the
 * (N, H, W, 2) sampling grid; otherwise points is (N, M, 2), or (1, M, 2)
 * shared when points_batched is 0. */
typedef struct tr_tps_eval_desc {
    int32_t n, k, m;
    int32_t ctrl_batched;
    int32_t points_batched;
    int32_t h, w; /* grid mode when h > 0 */
    int32_t align_corners;
} tr_tps_eval_desc;

void tr_cpu_tps_eval_f32(tr_pool *pool, const tr_tps_eval_desc *d, const float *ctrl,
                         const float *coef, const float *points, float *out);

/* ------------------------------------------------------------------------ */
/* Rasterization (NETS.md §5; conventions in kernels/cpu/raster.c).          */
/* pos (N, V, P) f32 with P = 2 (x, y), 3 (x, y, z) or 4 (x, y, z, w): x, y in */
/* pixels of a top-down image (pixel (i, j) has its centre at (j+0.5, i+0.5)), */
/* z the depth (smaller is nearer; 0 when absent), w > 0 the homogeneous      */
/* weight for perspective-correct barycentrics (1 when absent). tri (T, 3)    */
/* i32 vertex indices, shared by the batch.                                   */

#define TR_RASTER_MAX_TRIANGLES ((1 << 24) - 1) /* ids stay exact in f32 */

typedef struct tr_raster_desc {
    int32_t n, v, p;      /* pos (N, V, P) */
    int32_t t;            /* tri (T, 3) */
    int32_t h, w;         /* output image */
    int32_t samples;      /* coverage only: 1, 2 or 4 sub-samples per axis */
    int32_t first, count; /* coverage only: triangles [first, first+count) */
} tr_raster_desc;

/* rast (N, H, W, 4) = (u, v, z, id+1) of the visible triangle, nvdiffrast's
 * layout: u, v the perspective-correct weights of the triangle's vertices 0
 * and 1 (vertex 2 gets 1-u-v), z the interpolated depth; all 0 where no
 * triangle covers the pixel centre. */
void tr_cpu_rasterize_f32(tr_pool *pool, const tr_raster_desc *d, const float *pos,
                          const int32_t *tri, float *rast);

/* alpha (N, H, W, 1): fraction of samples^2 sub-pixel samples covered by at
 * least one of the selected triangles (no depth test): edge antialiasing of
 * a mesh's silhouette. */
void tr_cpu_raster_coverage_f32(tr_pool *pool, const tr_raster_desc *d, const float *pos,
                                const int32_t *tri, float *alpha);

/* interpolate: y[n,i,j,:] = u*A[t0] + v*A[t1] + (1-u-v)*A[t2] for the triangle
 * id in rast (tri[id-1] = t0, t1, t2), 0 on background. attr (N or 1, V, C). */
typedef struct tr_interpolate_desc {
    int32_t n, h, w; /* rast (N, H, W, 4), output (N, H, W, C) */
    int32_t v, c, t;
    int32_t attr_batched; /* 1: attr (N, V, C); 0: (1, V, C) shared */
} tr_interpolate_desc;

void tr_cpu_interpolate_f32(tr_pool *pool, const tr_interpolate_desc *d, const float *attr,
                            const float *rast, const int32_t *tri, float *y);

typedef enum tr_tex_filter { TR_TEX_LINEAR = 0, TR_TEX_NEAREST, TR_TEX_FILTER_COUNT } tr_tex_filter;

typedef enum tr_tex_boundary {
    TR_TEX_WRAP = 0, /* repeat (nvdiffrast's default) */
    TR_TEX_CLAMP,    /* clamp to the edge texels' centres */
    TR_TEX_ZERO,     /* taps outside the texture read 0 */
    TR_TEX_BOUNDARY_COUNT
} tr_tex_boundary;

/* texture: y[n,i,j,:] samples tex at uv[n,i,j] = (u, v); (0, 0) is the top-left
 * corner of texel (0, 0) (row 0 of the texture's memory, which is the top row
 * of a tryon image), (1, 1) the bottom-right corner of the last texel. */
typedef struct tr_texture_desc {
    int32_t n, h, w;   /* uv (N, H, W, 2), output (N, H, W, C) */
    int32_t th, tw, c; /* tex (N or 1, TH, TW, C) */
    int32_t tex_batched;
    tr_tex_filter filter;
    tr_tex_boundary boundary;
} tr_texture_desc;

void tr_cpu_texture_f32(tr_pool *pool, const tr_texture_desc *d, const float *tex, const float *uv,
                        float *y);

/* ------------------------------------------------------------------------ */
/* CUDA launchers. Without CUDA they are inline stubs reporting no device.    */

/* The CUDA backend (kernels/cuda/backend.cu) behind tryon_model on a CUDA
 * context: context state (stream, library handles), a device copy of the
 * planned graph (one device buffer for every CONST/EXTERN tensor, one for the
 * activation arena laid out by the same plan as on the host, plus the
 * reduced-precision copies and the scratch), and a run that launches every
 * node's CUDA adapter on the context's stream — captured once into a CUDA
 * graph, so a steady-state run is one graph launch with no allocation and no
 * host synchronisation. Model inputs and outputs are read and written as
 * their graph dtype (F32 stays F32 whatever the storage precision). */
struct tr_graph;
struct tr_exec;
struct tr_node;
typedef struct tr_cuda_model tr_cuda_model;

/* Counters of a CUDA model (tests: steady-state runs allocate nothing and
 * are one graph launch each). */
typedef struct tr_cuda_stats {
    int64_t runs;           /* tr_cuda_model_run calls that succeeded */
    int64_t graph_launches; /* cudaGraphLaunch calls */
    int64_t captures;       /* stream captures (1 after the first run) */
    int64_t device_allocs;  /* cudaMalloc calls of the context so far */
    int64_t params_bytes, arena_bytes, xbuf_bytes, scratch_bytes;
} tr_cuda_stats;

#if TR_WITH_CUDA
int32_t tr_cuda_device_count(char *why, size_t why_size);
tryon_status tr_cuda_ctx_init(tryon_ctx *ctx); /* sets ctx->cuda */
void tr_cuda_ctx_free(tryon_ctx *ctx);
/* Uploads g's parameters, allocates its arena; fails with UNSUPPORTED naming
 * the first op without a CUDA adapter. g must be planned and outlive m. */
tryon_status tr_cuda_model_create(tryon_ctx *ctx, const struct tr_graph *g, tr_cuda_model **out);
void tr_cuda_model_free(tr_cuda_model *m);
tryon_status tr_cuda_model_run(tr_cuda_model *m);
/* Copies host data into input tensor t / out of tensor t (bytes from byte
 * offset `offset` of the tensor, in its graph dtype); the copy out waits for
 * the run to finish. */
tryon_status tr_cuda_model_write(tr_cuda_model *m, int32_t t, const void *src, size_t bytes);
tryon_status tr_cuda_model_read(tr_cuda_model *m, int32_t t, int64_t offset, void *dst,
                                size_t bytes);
/* Waits for the work queued on the model's stream (bench timing). */
tryon_status tr_cuda_model_sync(tr_cuda_model *m);

/* Test and bench hooks. force_variant makes op's launcher use variant v (-1:
 * its own pick) on this context's later captures; model_variant is the
 * variant node i ran last (-1 before the first run); model_storage is the
 * device storage dtype of tensor t; fill_arena sets every arena byte (guard
 * bands: tests check that unwritten bytes keep it) and read_arena copies raw
 * arena bytes. */
void tr_cuda_force_variant(tryon_ctx *ctx, int32_t op, int32_t v);
/* The backend's storage plan for precision act (host only, no device needed). */
void tr_cuda_plan_storage(const struct tr_graph *g, tryon_dtype act, uint8_t *store,
                          uint8_t *domain, int64_t *xoff, int64_t *xbytes);
int32_t tr_cuda_model_variant(const tr_cuda_model *m, int32_t node);
tryon_dtype tr_cuda_model_storage(const tr_cuda_model *m, int32_t t);
void tr_cuda_model_stats(const tr_cuda_model *m, tr_cuda_stats *out);
tryon_status tr_cuda_model_fill_arena(tr_cuda_model *m, int byte);
tryon_status tr_cuda_model_read_arena(tr_cuda_model *m, int64_t offset, void *dst, size_t bytes);

/* Op adapters, named in tr_op_table through TR_CUDA_OP(name) as they exist. */
#define TR_CUDA_OP(name) tr_cuda_op_##name
#define TR_CUDA_OP_DECL(name)                                                                      \
    tryon_status tr_cuda_op_##name(const struct tr_exec *ex, const struct tr_node *n)
#else
static inline int32_t tr_cuda_device_count(char *why, size_t why_size) {
    if (why && why_size) {
        const char *m = "built without CUDA (CUDA=0)";
        size_t i = 0;
        for (; m[i] && i + 1 < why_size; i++) why[i] = m[i];
        why[i] = 0;
    }
    return 0;
}
static inline tryon_status tr_cuda_ctx_init(tryon_ctx *ctx) {
    (void)ctx;
    return TRYON_ERR_NO_DEVICE;
}
static inline void tr_cuda_ctx_free(tryon_ctx *ctx) { (void)ctx; }
static inline tryon_status tr_cuda_model_create(tryon_ctx *ctx, const struct tr_graph *g,
                                                tr_cuda_model **out) {
    (void)ctx, (void)g;
    *out = NULL;
    return TRYON_ERR_NO_DEVICE;
}
static inline void tr_cuda_model_free(tr_cuda_model *m) { (void)m; }
static inline tryon_status tr_cuda_model_run(tr_cuda_model *m) {
    (void)m;
    return TRYON_ERR_NO_DEVICE;
}
static inline tryon_status tr_cuda_model_write(tr_cuda_model *m, int32_t t, const void *src,
                                               size_t bytes) {
    (void)m, (void)t, (void)src, (void)bytes;
    return TRYON_ERR_NO_DEVICE;
}
static inline tryon_status tr_cuda_model_read(tr_cuda_model *m, int32_t t, int64_t offset,
                                              void *dst, size_t bytes) {
    (void)m, (void)t, (void)offset, (void)dst, (void)bytes;
    return TRYON_ERR_NO_DEVICE;
}
static inline tryon_status tr_cuda_model_sync(tr_cuda_model *m) {
    (void)m;
    return TRYON_ERR_NO_DEVICE;
}
static inline void tr_cuda_force_variant(tryon_ctx *ctx, int32_t op, int32_t v) {
    (void)ctx, (void)op, (void)v;
}
static inline int32_t tr_cuda_model_variant(const tr_cuda_model *m, int32_t node) {
    (void)m, (void)node;
    return -1;
}
static inline tryon_dtype tr_cuda_model_storage(const tr_cuda_model *m, int32_t t) {
    (void)m, (void)t;
    return TRYON_DTYPE_F32;
}
static inline void tr_cuda_model_stats(const tr_cuda_model *m, tr_cuda_stats *out) {
    (void)m;
    *out = (tr_cuda_stats){0, 0, 0, 0, 0, 0, 0, 0};
}
static inline tryon_status tr_cuda_model_fill_arena(tr_cuda_model *m, int byte) {
    (void)m, (void)byte;
    return TRYON_ERR_NO_DEVICE;
}
static inline tryon_status tr_cuda_model_read_arena(tr_cuda_model *m, int64_t offset, void *dst,
                                                    size_t bytes) {
    (void)m, (void)offset, (void)dst, (void)bytes;
    return TRYON_ERR_NO_DEVICE;
}
#define TR_CUDA_OP(name)      NULL
#define TR_CUDA_OP_DECL(name) struct tr_cuda_unused_##name
#endif

/* Every op that has a CUDA adapter, once: runtime/ops.c and kernels/cuda/ops.cuh
 * declare them all from this list. */
// clang-format off
#define TR_CUDA_OPS(X) \
    X(conv2d) X(conv_transpose2d) X(linear) X(instance_norm) X(binary) X(scale) X(act) \
    X(cast_u8) X(upsample_nearest) X(resize_bilinear) X(upfirdn2d) X(concat) X(permute) \
    X(normalize_2nd) X(lerp) X(slice) X(reshape) X(demod) X(scale_channels) X(noise) \
    X(posenet_decode) X(grid_sample) X(affine_grid) X(tps_fit) X(tps_eval) X(rasterize) \
    X(raster_coverage) X(interpolate) X(texture) X(bg_mask) X(morph) X(mask_clean) \
    X(garment_anchors) X(sleeve_weight) X(garment_tri) X(fit_controls) X(body_proxy) \
    X(shade_composite)
// clang-format on
#define TR_CUDA_OP_DECL_ONE(name) TR_CUDA_OP_DECL(name);

/* ------------------------------------------------------------------------ */
/* StyleGAN2 support ops (tests: tests/test_kernels_stylegan2.c)             */

/* normalize_2nd_moment over the last axis, per row of len values:
 *   y[r, k] = x[r, k] * (1 / sqrt(mean_k(x[r, k]^2) + eps))
 * The mean is accumulated in double. */
void tr_cpu_normalize_2nd_moment_f32(tr_pool *pool, const float *x, int64_t rows, int64_t len,
                                     float eps, float *y);

/* torch.lerp with NumPy broadcasting over 4-D shapes (each input dim is 1 or
 * y's; shapes padded to 4-D by the caller), in float as ATen computes it:
 *   y = |t| < 0.5 ? a + t * (b - a) : b - (b - a) * (1 - t)
 * so t == 1 returns b exactly and t == 0 returns a exactly. */
void tr_cpu_lerp_f32(tr_pool *pool, const float *a, const int64_t a_shape[4], const float *b,
                     const int64_t b_shape[4], const float *t, const int64_t t_shape[4], float *y,
                     const int64_t y_shape[4]);

/* Slice along one axis: x is (outer, len_in, inner), y = x[:, start:start+len, :]
 * (any dtype: elem_size bytes per element). */
void tr_cpu_slice(tr_pool *pool, const void *x, int64_t outer, int64_t len_in, int64_t inner,
                  int64_t start, int64_t len, size_t elem_size, void *y);

/* Demodulation coefficients of a modulated convolution, from the per-(o, i)
 * sums of squared taps wsq[o, i] = sum_{a,b} W[o, a, b, i]^2:
 *   d[n, o] = 1 / sqrt(sum_i s[n, i]^2 * wsq[o, i] + eps)
 * which equals StyleGAN2's rsqrt(sum_{i,a,b} (W[o,i,a,b] * s[n,i])^2 + eps).
 * Accumulated in double, rounded once to float. */
typedef struct tr_demod_desc {
    int32_t n, c_in, c_out;
    float eps;
} tr_demod_desc;

void tr_cpu_demod_f32(tr_pool *pool, const tr_demod_desc *d, const float *s, const float *wsq,
                      float *y);

/* Per-sample channel scaling with the fused epilogue (StyleGAN2's input
 * modulation and demodulation + noise + bias_act):
 *   y[n,h,w,c] = epilogue(x[n,h,w,c] * scale[n,c] + add[...] + bias[c])
 * scale, add and bias are optional (NULL); add broadcasts to (N, H, W, C). */
typedef struct tr_scale_channels_desc {
    int32_t n, h, w, c;
    tr_epilogue ep;
    int64_t add_shape[4]; /* each dim 1 or the output's */
} tr_scale_channels_desc;

typedef struct tr_scale_channels_args {
    tr_scale_channels_desc d;
    const float *x;     /* (N, H, W, C) */
    const float *scale; /* (N, C) or NULL */
    const float *add;   /* broadcast to (N, H, W, C) or NULL */
    const float *bias;  /* (C) or NULL */
    float *y;           /* (N, H, W, C); may alias x */
} tr_scale_channels_args;

void tr_cpu_scale_channels_f32(tr_pool *pool, const tr_scale_channels_args *a);

/* Noise input of one StyleGAN2 layer, (N, H, W, 1), chosen at run time:
 *   TR_NOISE_CONST:  y[n] = nconst (the layer's noise_const * noise_strength,
 *                    prepared at build time; zeros when nconst is NULL)
 *   TR_NOISE_NONE:   y = 0
 *   TR_NOISE_RANDOM: y[n,h,w] = strength * tr_noise_gauss(seed, stream, (n*H + h)*W + w)
 * tr_noise_gauss is a counter-based generator (independent of threads):
 *   key = mix(seed + 0x9E3779B97F4A7C15 * (stream + 1)), p = j / 2,
 *   a = mix(key + 2p), b = mix(key + 2p + 1)            (wrapping uint64 adds)
 *   u1 = ((a >> 11) + 1) * 2^-53 in (0, 1], u2 = (b >> 11) * 2^-53 in [0, 1)
 *   r = sqrt(-2 ln u1); value = r cos(2 pi u2) for even j, r sin(2 pi u2) for odd j
 * where mix is the splitmix64 finalizer (x ^= x >> 30; x *= 0xBF58476D1CE4E5B9;
 * x ^= x >> 27; x *= 0x94D049BB133111EB; x ^= x >> 31), computed in double and
 * rounded to float before the multiplication by strength. */
typedef enum tr_noise_mode {
    TR_NOISE_CONST = 0,
    TR_NOISE_NONE,
    TR_NOISE_RANDOM,
    TR_NOISE_COUNT
} tr_noise_mode;

typedef struct tr_noise_desc {
    int32_t n, h, w;
    int32_t stream; /* layer index: distinct noise per layer */
    float strength;
} tr_noise_desc;

double tr_noise_gauss(uint64_t seed, int32_t stream, int64_t j);
void tr_cpu_noise_f32(tr_pool *pool, const tr_noise_desc *d, tr_noise_mode mode, uint64_t seed,
                      const float *nconst, float *y);

/* Garment preparation and fitting (the try-on pipeline). */
#include "kernels_fit.h"

#endif /* TR_KERNELS_H */
