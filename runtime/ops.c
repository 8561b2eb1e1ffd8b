/* ops.c — the op table: name, CPU adapter, CUDA slot, FLOP count.
 * An adapter unpacks a node into the typed kernel call (the ggml layering:
 * op adapter -> kernel). */
#include <string.h>

#include "graph.h"
#include "graph_fit.h"
#include "ops_fast.h"

static tr_pool *pool_of(const tr_exec *ex) { return ex->ctx->pool; }

static tryon_status cpu_conv2d(const tr_exec *ex, const tr_node *n) {
    tr_conv2d_args a;
    a.d = n->p.conv;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.w = tr_exec_f32(ex, n->src[1]);
    a.bias = tr_exec_f32(ex, n->src[2]);
    a.in_scale = tr_exec_f32(ex, n->src[3]);
    a.out_scale = tr_exec_f32(ex, n->src[4]);
    a.add = tr_exec_f32(ex, n->src[5]);
    a.residual = tr_exec_f32(ex, n->src[6]);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_conv2d(ex, n, &a)) return TRYON_OK; /* kernels/fast, where one applies */
    tr_cpu_conv2d_f32(pool_of(ex), &a);
    return TRYON_OK;
}

static tryon_status cpu_convt(const tr_exec *ex, const tr_node *n) {
    tr_conv_transpose2d_args a;
    a.d = n->p.convt;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.w = tr_exec_f32(ex, n->src[1]);
    a.bias = tr_exec_f32(ex, n->src[2]);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_convt(ex, n, &a)) return TRYON_OK;
    tr_cpu_conv_transpose2d_f32(pool_of(ex), &a);
    return TRYON_OK;
}

static tryon_status cpu_linear(const tr_exec *ex, const tr_node *n) {
    tr_linear_args a;
    a.d = n->p.linear;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.w = tr_exec_f32(ex, n->src[1]);
    a.bias = tr_exec_f32(ex, n->src[2]);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_linear(ex, n, &a)) return TRYON_OK;
    tr_cpu_linear_f32(pool_of(ex), &a);
    return TRYON_OK;
}

static tryon_status cpu_inorm(const tr_exec *ex, const tr_node *n) {
    tr_instance_norm_args a;
    a.d = n->p.inorm;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.gamma = tr_exec_f32(ex, n->src[1]);
    a.beta = tr_exec_f32(ex, n->src[2]);
    a.residual = tr_exec_f32(ex, n->src[3]);
    a.stats = tr_exec_ws(ex, n);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_inorm(ex, n, &a)) return TRYON_OK;
    tr_cpu_instance_norm_f32(pool_of(ex), &a);
    return TRYON_OK;
}

/* Right-aligns a tensor's shape into 4 dims with leading 1s (NumPy rules). */
static void shape4(const tr_tensor *t, int64_t s[4]) {
    for (int32_t i = 0; i < 4; i++) s[i] = 1;
    for (int32_t i = 0; i < t->ndim; i++) s[4 - t->ndim + i] = t->shape[i];
}

static tryon_status cpu_binary(const tr_exec *ex, const tr_node *n) {
    const tr_graph *g = ex->g;
    int64_t as[4], bs[4], ys[4];
    shape4(&g->tensors[n->src[0]], as);
    shape4(&g->tensors[n->src[1]], bs);
    shape4(&g->tensors[n->dst], ys);
    tr_cpu_binary_f32(pool_of(ex), n->p.binary, tr_exec_f32(ex, n->src[0]), as,
                      tr_exec_f32(ex, n->src[1]), bs, tr_exec_ptr(ex, n->dst), ys);
    return TRYON_OK;
}

static tryon_status cpu_scale(const tr_exec *ex, const tr_node *n) {
    int64_t count = tr_tensor_numel(&ex->g->tensors[n->dst]);
    tr_cpu_scale_f32(pool_of(ex), tr_exec_f32(ex, n->src[0]), count, n->p.scale.scale,
                     n->p.scale.bias, tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_act(const tr_exec *ex, const tr_node *n) {
    int64_t count = tr_tensor_numel(&ex->g->tensors[n->dst]);
    tr_cpu_act_f32(pool_of(ex), tr_exec_f32(ex, n->src[0]), count, &n->p.act,
                   tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_cast_u8(const tr_exec *ex, const tr_node *n) {
    int64_t count = tr_tensor_numel(&ex->g->tensors[n->dst]);
    tr_cpu_u8_to_f32(pool_of(ex), tr_exec_ptr(ex, n->src[0]), count, n->p.scale.scale,
                     n->p.scale.bias, tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_upsample(const tr_exec *ex, const tr_node *n) {
    const int64_t *s = ex->g->tensors[n->src[0]].shape;
    if (tr_fast_run_upsample(ex, s, n->p.upsample.fy, n->p.upsample.fx, tr_exec_f32(ex, n->src[0]),
                             tr_exec_ptr(ex, n->dst)))
        return TRYON_OK;
    tr_cpu_upsample_nearest_f32(pool_of(ex), (int32_t)s[0], (int32_t)s[1], (int32_t)s[2],
                                (int32_t)s[3], n->p.upsample.fy, n->p.upsample.fx,
                                tr_exec_f32(ex, n->src[0]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_resize(const tr_exec *ex, const tr_node *n) {
    if (tr_fast_run_resize(ex, n)) return TRYON_OK;
    if (ex->g->tensors[n->src[0]].dtype == TRYON_DTYPE_U8)
        tr_cpu_resize_bilinear_u8_f32(pool_of(ex), &n->p.resize, tr_exec_ptr(ex, n->src[0]),
                                      tr_exec_ptr(ex, n->dst));
    else
        tr_cpu_resize_bilinear_f32(pool_of(ex), &n->p.resize, tr_exec_f32(ex, n->src[0]),
                                   tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_upfirdn(const tr_exec *ex, const tr_node *n) {
    tr_upfirdn2d_args a;
    a.d = n->p.upfirdn;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.f = tr_exec_f32(ex, n->src[1]);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_upfirdn(ex, n, &a)) return TRYON_OK;
    tr_cpu_upfirdn2d_f32(pool_of(ex), &a);
    return TRYON_OK;
}

static tryon_status cpu_concat(const tr_exec *ex, const tr_node *n) {
    const tr_graph *g = ex->g;
    const tr_tensor *y = &g->tensors[n->dst];
    int32_t axis = n->p.concat.axis;
    int64_t outer = 1, inner = 1, len[TR_MAX_SRC];
    const void *in[TR_MAX_SRC];
    for (int32_t i = 0; i < axis; i++) outer *= y->shape[i];
    for (int32_t i = axis + 1; i < y->ndim; i++) inner *= y->shape[i];
    for (int32_t i = 0; i < n->n_src; i++) {
        in[i] = tr_exec_ptr(ex, n->src[i]);
        len[i] = g->tensors[n->src[i]].shape[axis];
    }
    tr_cpu_concat(pool_of(ex), n->n_src, in, len, outer, inner, tryon_dtype_size(y->dtype),
                  tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_permute(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *x = &ex->g->tensors[n->src[0]];
    tr_cpu_permute(pool_of(ex), tr_exec_ptr(ex, n->src[0]), x->shape, n->p.permute.perm,
                   tryon_dtype_size(x->dtype), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_posenet_decode(const tr_exec *ex, const tr_node *n) {
    tr_posenet_decode_args a;
    a.d = n->p.pose;
    a.scores = tr_exec_f32(ex, n->src[0]);
    a.offsets = tr_exec_f32(ex, n->src[1]);
    a.disp_fwd = tr_exec_f32(ex, n->src[2]);
    a.disp_bwd = tr_exec_f32(ex, n->src[3]);
    a.ws = tr_exec_ws(ex, n);
    a.poses = tr_exec_ptr(ex, n->dst);
    tr_cpu_posenet_decode(pool_of(ex), &a);
    return TRYON_OK;
}

/* ---- warping and rasterization (graph_warp.h) ----------------------------- */

static tryon_status cpu_grid_sample(const tr_exec *ex, const tr_node *n) {
    tr_cpu_grid_sample_f32(pool_of(ex), &n->p.gsample, tr_exec_f32(ex, n->src[0]),
                           tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_affine_grid(const tr_exec *ex, const tr_node *n) {
    tr_cpu_affine_grid_f32(pool_of(ex), &n->p.agrid, tr_exec_f32(ex, n->src[0]),
                           tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_tps_fit(const tr_exec *ex, const tr_node *n) {
    tr_cpu_tps_fit_f32(pool_of(ex), &n->p.tps_fit, tr_exec_f32(ex, n->src[0]),
                       tr_exec_f32(ex, n->src[1]), tr_exec_f32(ex, n->src[2]),
                       tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

/* TR_OP_TPS_GRID and TR_OP_TPS_TRANSFORM (src[2], the points, absent for grids). */
static tryon_status cpu_tps_eval(const tr_exec *ex, const tr_node *n) {
    tr_cpu_tps_eval_f32(pool_of(ex), &n->p.tps_eval, tr_exec_f32(ex, n->src[0]),
                        tr_exec_f32(ex, n->src[1]), tr_exec_f32(ex, n->src[2]),
                        tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_rasterize(const tr_exec *ex, const tr_node *n) {
    tr_cpu_rasterize_f32(pool_of(ex), &n->p.raster, tr_exec_f32(ex, n->src[0]),
                         tr_exec_ptr(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_raster_coverage(const tr_exec *ex, const tr_node *n) {
    tr_cpu_raster_coverage_f32(pool_of(ex), &n->p.raster, tr_exec_f32(ex, n->src[0]),
                               tr_exec_ptr(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_interpolate(const tr_exec *ex, const tr_node *n) {
    tr_cpu_interpolate_f32(pool_of(ex), &n->p.interp, tr_exec_f32(ex, n->src[0]),
                           tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->src[2]),
                           tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_texture(const tr_exec *ex, const tr_node *n) {
    tr_cpu_texture_f32(pool_of(ex), &n->p.tex, tr_exec_f32(ex, n->src[0]),
                       tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

/* FLOPs count a multiply-add as 2. */
static double flops_conv2d(const tr_graph *g, const tr_node *n) {
    const tr_conv2d_desc *d = &n->p.conv;
    (void)g;
    return 2.0 * d->n * d->oh * d->ow * d->c_out * d->kh * d->kw * (d->c_in / d->groups);
}

static double flops_convt(const tr_graph *g, const tr_node *n) {
    const tr_conv_transpose2d_desc *d = &n->p.convt;
    (void)g;
    return 2.0 * d->n * d->h * d->w * d->c_out * d->kh * d->kw * (d->c_in / d->groups);
}

static double flops_linear(const tr_graph *g, const tr_node *n) {
    (void)g;
    return 2.0 * n->p.linear.n * n->p.linear.k * n->p.linear.m;
}

/* ---- StyleGAN2 support ops ---------------------------------------------- */

static tryon_status cpu_normalize_2nd(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *t = &ex->g->tensors[n->dst];
    int64_t len = t->shape[t->ndim - 1];
    tr_cpu_normalize_2nd_moment_f32(pool_of(ex), tr_exec_f32(ex, n->src[0]),
                                    tr_tensor_numel(t) / len, len, n->p.norm2.eps,
                                    tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_lerp(const tr_exec *ex, const tr_node *n) {
    const tr_graph *g = ex->g;
    int64_t as[4], bs[4], ts[4], ys[4];
    shape4(&g->tensors[n->src[0]], as);
    shape4(&g->tensors[n->src[1]], bs);
    shape4(&g->tensors[n->src[2]], ts);
    shape4(&g->tensors[n->dst], ys);
    tr_cpu_lerp_f32(pool_of(ex), tr_exec_f32(ex, n->src[0]), as, tr_exec_f32(ex, n->src[1]), bs,
                    tr_exec_f32(ex, n->src[2]), ts, tr_exec_ptr(ex, n->dst), ys);
    return TRYON_OK;
}

static tryon_status cpu_slice(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *x = &ex->g->tensors[n->src[0]];
    int32_t axis = n->p.slice.axis;
    int64_t outer = 1, inner = 1;
    for (int32_t i = 0; i < axis; i++) outer *= x->shape[i];
    for (int32_t i = axis + 1; i < x->ndim; i++) inner *= x->shape[i];
    tr_cpu_slice(pool_of(ex), tr_exec_ptr(ex, n->src[0]), outer, x->shape[axis], inner,
                 n->p.slice.start, n->p.slice.len, tryon_dtype_size(x->dtype),
                 tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_reshape(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *y = &ex->g->tensors[n->dst];
    memcpy(tr_exec_ptr(ex, n->dst), tr_exec_ptr(ex, n->src[0]), (size_t)tr_tensor_bytes(y));
    return TRYON_OK;
}

static tryon_status cpu_demod(const tr_exec *ex, const tr_node *n) {
    tr_cpu_demod_f32(pool_of(ex), &n->p.demod, tr_exec_f32(ex, n->src[0]),
                     tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static tryon_status cpu_scale_channels(const tr_exec *ex, const tr_node *n) {
    tr_scale_channels_args a;
    a.d = n->p.schan;
    a.x = tr_exec_f32(ex, n->src[0]);
    a.scale = tr_exec_f32(ex, n->src[1]);
    a.add = tr_exec_f32(ex, n->src[2]);
    a.bias = tr_exec_f32(ex, n->src[3]);
    a.y = tr_exec_ptr(ex, n->dst);
    if (tr_fast_run_schan(ex, n, &a)) return TRYON_OK;
    tr_cpu_scale_channels_f32(pool_of(ex), &a);
    return TRYON_OK;
}

static tryon_status cpu_noise(const tr_exec *ex, const tr_node *n) {
    const int32_t *ctl = tr_exec_ptr(ex, n->src[0]);
    if (ctl[0] < 0 || ctl[0] >= TR_NOISE_COUNT)
        return TR_FAIL(ex->ctx, TRYON_ERR_INVALID_ARG, "noise: invalid mode %d", ctl[0]);
    uint64_t seed = (uint64_t)(uint32_t)ctl[1] | (uint64_t)(uint32_t)ctl[2] << 32;
    tr_cpu_noise_f32(pool_of(ex), &n->p.noise, (tr_noise_mode)ctl[0], seed,
                     tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

static double flops_demod(const tr_graph *g, const tr_node *n) {
    (void)g;
    return 3.0 * n->p.demod.n * n->p.demod.c_in * n->p.demod.c_out;
}

/* CUDA adapters (kernels/cuda/, variants listed in kernels/cuda/ops.cuh);
 * TR_CUDA_OP is NULL in a build without CUDA. */
TR_CUDA_OPS(TR_CUDA_OP_DECL_ONE)

const tr_op_info tr_op_table[TR_OP_COUNT] = {
    [TR_OP_CONV2D] = {"conv2d", cpu_conv2d, TR_CUDA_OP(conv2d), flops_conv2d},
    [TR_OP_CONV_TRANSPOSE2D] = {"conv_transpose2d", cpu_convt, TR_CUDA_OP(conv_transpose2d),
                                flops_convt},
    [TR_OP_LINEAR] = {"linear", cpu_linear, TR_CUDA_OP(linear), flops_linear},
    [TR_OP_INSTANCE_NORM] = {"instance_norm", cpu_inorm, TR_CUDA_OP(instance_norm), NULL},
    [TR_OP_BINARY] = {"binary", cpu_binary, TR_CUDA_OP(binary), NULL},
    [TR_OP_SCALE] = {"scale", cpu_scale, TR_CUDA_OP(scale), NULL},
    [TR_OP_ACT] = {"act", cpu_act, TR_CUDA_OP(act), NULL},
    [TR_OP_CAST_U8] = {"cast_u8", cpu_cast_u8, TR_CUDA_OP(cast_u8), NULL},
    [TR_OP_UPSAMPLE_NEAREST] = {"upsample_nearest", cpu_upsample, TR_CUDA_OP(upsample_nearest),
                                NULL},
    [TR_OP_RESIZE_BILINEAR] = {"resize_bilinear", cpu_resize, TR_CUDA_OP(resize_bilinear), NULL},
    [TR_OP_UPFIRDN2D] = {"upfirdn2d", cpu_upfirdn, TR_CUDA_OP(upfirdn2d), NULL},
    [TR_OP_CONCAT] = {"concat", cpu_concat, TR_CUDA_OP(concat), NULL},
    [TR_OP_PERMUTE] = {"permute", cpu_permute, TR_CUDA_OP(permute), NULL},
    [TR_OP_NORMALIZE_2ND] = {"normalize_2nd_moment", cpu_normalize_2nd, TR_CUDA_OP(normalize_2nd),
                             NULL},
    [TR_OP_LERP] = {"lerp", cpu_lerp, TR_CUDA_OP(lerp), NULL},
    [TR_OP_SLICE] = {"slice", cpu_slice, TR_CUDA_OP(slice), NULL},
    [TR_OP_RESHAPE] = {"reshape", cpu_reshape, TR_CUDA_OP(reshape), NULL},
    [TR_OP_DEMOD] = {"demod_coefs", cpu_demod, TR_CUDA_OP(demod), flops_demod},
    [TR_OP_SCALE_CHANNELS] = {"scale_channels", cpu_scale_channels, TR_CUDA_OP(scale_channels),
                              NULL},
    [TR_OP_NOISE] = {"noise", cpu_noise, TR_CUDA_OP(noise), NULL},
    [TR_OP_POSENET_DECODE] = {"posenet_decode", cpu_posenet_decode, TR_CUDA_OP(posenet_decode),
                              NULL},
    [TR_OP_GRID_SAMPLE] = {"grid_sample", cpu_grid_sample, TR_CUDA_OP(grid_sample), NULL},
    [TR_OP_AFFINE_GRID] = {"affine_grid", cpu_affine_grid, TR_CUDA_OP(affine_grid), NULL},
    [TR_OP_TPS_FIT] = {"tps_fit", cpu_tps_fit, TR_CUDA_OP(tps_fit), NULL},
    [TR_OP_TPS_GRID] = {"tps_grid", cpu_tps_eval, TR_CUDA_OP(tps_eval), NULL},
    [TR_OP_TPS_TRANSFORM] = {"tps_transform", cpu_tps_eval, TR_CUDA_OP(tps_eval), NULL},
    [TR_OP_RASTERIZE] = {"rasterize", cpu_rasterize, TR_CUDA_OP(rasterize), NULL},
    [TR_OP_RASTER_COVERAGE] = {"raster_coverage", cpu_raster_coverage, TR_CUDA_OP(raster_coverage),
                               NULL},
    [TR_OP_INTERPOLATE] = {"interpolate", cpu_interpolate, TR_CUDA_OP(interpolate), NULL},
    [TR_OP_TEXTURE] = {"texture", cpu_texture, TR_CUDA_OP(texture), NULL},
    [TR_OP_BG_MASK] = {"bg_mask", tr_cpu_op_bg_mask, TR_CUDA_OP(bg_mask), NULL},
    [TR_OP_MORPH] = {"morph", tr_cpu_op_morph, TR_CUDA_OP(morph), NULL},
    [TR_OP_MASK_CLEAN] = {"mask_clean", tr_cpu_op_mask_clean, TR_CUDA_OP(mask_clean), NULL},
    [TR_OP_GARMENT_ANCHORS] = {"garment_anchors", tr_cpu_op_garment_anchors,
                               TR_CUDA_OP(garment_anchors), NULL},
    [TR_OP_SLEEVE_WEIGHT] = {"sleeve_weight", tr_cpu_op_sleeve_weight, TR_CUDA_OP(sleeve_weight),
                             NULL},
    [TR_OP_GARMENT_TRI] = {"garment_tri", tr_cpu_op_garment_tri, TR_CUDA_OP(garment_tri), NULL},
    [TR_OP_FIT_CONTROLS] = {"fit_controls", tr_cpu_op_fit_controls, TR_CUDA_OP(fit_controls), NULL},
    [TR_OP_BODY_PROXY] = {"body_proxy", tr_cpu_op_body_proxy, TR_CUDA_OP(body_proxy), NULL},
    [TR_OP_SHADE_COMPOSITE] = {"shade_composite", tr_cpu_op_shade_composite,
                               TR_CUDA_OP(shade_composite), NULL},
};
