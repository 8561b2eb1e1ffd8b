/* build.c — graph builders: operand checks, shape inference, node creation.
 * Every check that a kernel relies on lives here, at build time. */
#include <string.h>

#include "build_check.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

tr_conv_opts tr_conv_opts_default(void) {
    tr_conv_opts o;
    memset(&o, 0, sizeof o);
    o.stride_h = o.stride_w = 1;
    o.dil_h = o.dil_w = 1;
    o.groups = 1;
    o.pad_mode = TR_PAD_ZEROS;
    o.ep = tr_epilogue_make(TR_ACT_NONE);
    o.bias = o.in_scale = o.out_scale = o.add = o.residual = -1;
    return o;
}

tr_convt_opts tr_convt_opts_default(void) {
    tr_convt_opts o;
    memset(&o, 0, sizeof o);
    o.stride_h = o.stride_w = 1;
    o.dil_h = o.dil_w = 1;
    o.groups = 1;
    o.ep = tr_epilogue_make(TR_ACT_NONE);
    o.bias = -1;
    return o;
}

/* Appends a node with a fresh output tensor; returns the output id. */
static int32_t add_node(tr_graph *g, tr_op op, const int32_t *src, int32_t n_src, tryon_dtype dtype,
                        int32_t ndim, const int64_t *shape, const tr_params *p) {
    if (g->status != TRYON_OK) return -1;
    TR_ASSERT(n_src <= TR_MAX_SRC);
    if (!tr_check_fits_i32(g, tr_op_table[op].name, ndim, shape)) return -1;
    char name[TR_NAME_LEN];
    snprintf(name, sizeof name, "%s", g->next_name);
    g->next_name[0] = 0;
    int32_t dst = tr_graph_tensor(g, dtype, ndim, shape);
    if (dst < 0) return -1;
    if (g->n_nodes == g->cap_nodes) {
        int32_t cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        tr_node *n = tr_mem_realloc(g->ctx, g->nodes, (size_t)cap * sizeof *n);
        if (!n) return TR_GRAPH_FAIL(g, TRYON_ERR_NOMEM, "out of memory (graph nodes)");
        g->nodes = n;
        g->cap_nodes = cap;
    }
    int32_t id = g->n_nodes++;
    tr_node *n = &g->nodes[id];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->n_src = n_src;
    for (int32_t i = 0; i < TR_MAX_SRC; i++) n->src[i] = i < n_src ? src[i] : -1;
    n->dst = dst;
    n->p = *p;
    n->keep_f32 = g->keep_f32;
    if (name[0])
        snprintf(n->name, sizeof n->name, "%s", name);
    else
        snprintf(n->name, sizeof n->name, "%s#%d", tr_op_table[op].name, id);
    snprintf(g->tensors[dst].name, sizeof g->tensors[dst].name, "%s", n->name);
    g->tensors[dst].producer = id;
    return dst;
}

int32_t tr_graph_add_node(tr_graph *g, tr_op op, const int32_t *src, int32_t n_src,
                          tryon_dtype dtype, int32_t ndim, const int64_t *shape,
                          const tr_params *p) {
    return add_node(g, op, src, n_src, dtype, ndim, shape, p);
}

int32_t tr_conv2d(tr_graph *g, int32_t x, int32_t w, const tr_conv_opts *o) {
    const char *op = "conv2d";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "weight", w, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "bias", o->bias, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_operand(g, op, "in_scale", o->in_scale, 1, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "out_scale", o->out_scale, 1, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "add", o->add, 1, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "residual", o->residual, 1, TRYON_DTYPE_F32, 4) ||
        !tr_check_epilogue(g, op, &o->ep))
        return -1;
    const int64_t *xs = g->tensors[x].shape, *ws = g->tensors[w].shape;
    tr_conv2d_desc d;
    memset(&d, 0, sizeof d);
    if (o->groups < 1 || xs[3] % o->groups || ws[0] % o->groups)
        return FAIL("%s: groups %d must divide C_in %lld and C_out %lld", op, o->groups,
                    (long long)xs[3], (long long)ws[0]);
    if (ws[3] * o->groups != xs[3])
        return FAIL("%s: weight '%s' has %lld input channels per group, input has %lld / %d", op,
                    g->tensors[w].name, (long long)ws[3], (long long)xs[3], o->groups);
    if (o->stride_h < 1 || o->stride_w < 1 || o->dil_h < 1 || o->dil_w < 1)
        return FAIL("%s: stride and dilation must be >= 1", op);
    if (o->pad_mode < 0 || o->pad_mode >= TR_PAD_COUNT) return FAIL("%s: invalid padding mode", op);
    if (o->accum < 0 || o->accum >= TR_CONV_ACCUM_COUNT)
        return FAIL("%s: invalid accumulation mode", op);
    if (!tr_check_fits_i32(g, op, 4, xs) || !tr_check_fits_i32(g, op, 4, ws)) return -1;
    d.n = (int32_t)xs[0], d.h = (int32_t)xs[1], d.w = (int32_t)xs[2], d.c_in = (int32_t)xs[3];
    d.c_out = (int32_t)ws[0], d.kh = (int32_t)ws[1], d.kw = (int32_t)ws[2];
    d.stride_h = o->stride_h, d.stride_w = o->stride_w;
    d.dil_h = o->dil_h, d.dil_w = o->dil_w;
    d.groups = o->groups;
    d.pad_mode = o->pad_mode;
    d.ep = o->ep;
    d.accum = o->accum;
    d.winograd = o->winograd != 0;
    int32_t pt = o->pad_top, pb = o->pad_bottom, pl = o->pad_left, pr = o->pad_right;
    if (o->tf_same) {
        tr_tf_same_pad(d.h, d.kh, d.stride_h, d.dil_h, &pt, &pb, &d.oh);
        tr_tf_same_pad(d.w, d.kw, d.stride_w, d.dil_w, &pl, &pr, &d.ow);
    }
    if (pt < 0 || pb < 0 || pl < 0 || pr < 0) return FAIL("%s: negative padding", op);
    /* Keeps the kernel's int32 tap index oy*stride + ky*dil inside the padded input. */
    if ((int64_t)d.h + pt + pb > INT32_MAX || (int64_t)d.w + pl + pr > INT32_MAX)
        return FAIL("%s: padded input %lldx%lld too large", op, (long long)d.h + pt + pb,
                    (long long)d.w + pl + pr);
    if (d.pad_mode == TR_PAD_REFLECT && (pt >= d.h || pb >= d.h || pl >= d.w || pr >= d.w))
        return FAIL("%s: reflect padding (%d,%d,%d,%d) must be smaller than the input %dx%d", op,
                    pt, pb, pl, pr, d.h, d.w);
    d.oh = tr_conv_out_size(d.h, d.kh, d.stride_h, d.dil_h, pt, pb);
    d.ow = tr_conv_out_size(d.w, d.kw, d.stride_w, d.dil_w, pl, pr);
    if (d.oh < 1 || d.ow < 1)
        return FAIL("%s: %dx%d kernel (dilation %d,%d) does not fit the padded %dx%d input", op,
                    d.kh, d.kw, d.dil_h, d.dil_w, d.h, d.w);
    d.pad_top = pt, d.pad_left = pl;
    int64_t ys[4] = {d.n, d.oh, d.ow, d.c_out};
    int64_t cs_in[2] = {d.n, d.c_in}, cs_out[2] = {d.n, d.c_out}, bs[1] = {d.c_out};
    if (!tr_check_shape(g, op, "bias", o->bias, 1, bs) ||
        !tr_check_shape(g, op, "in_scale", o->in_scale, 2, cs_in) ||
        !tr_check_shape(g, op, "out_scale", o->out_scale, 2, cs_out) ||
        !tr_check_shape(g, op, "residual", o->residual, 4, ys))
        return -1;
    for (int32_t i = 0; i < 4; i++) d.add_shape[i] = 1;
    if (o->add >= 0) {
        const int64_t *as = g->tensors[o->add].shape;
        for (int32_t i = 0; i < 4; i++) {
            if (as[i] != 1 && as[i] != ys[i])
                return FAIL("%s: add '%s' does not broadcast to the output", op,
                            g->tensors[o->add].name);
            d.add_shape[i] = as[i];
        }
    }
    tr_params p;
    p.conv = d;
    int32_t src[7] = {x, w, o->bias, o->in_scale, o->out_scale, o->add, o->residual};
    return add_node(g, TR_OP_CONV2D, src, 7, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_conv_transpose2d(tr_graph *g, int32_t x, int32_t w, const tr_convt_opts *o) {
    const char *op = "conv_transpose2d";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "weight", w, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "bias", o->bias, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_epilogue(g, op, &o->ep))
        return -1;
    const int64_t *xs = g->tensors[x].shape, *ws = g->tensors[w].shape;
    if (o->groups < 1 || xs[3] % o->groups || ws[0] % o->groups)
        return FAIL("%s: groups %d must divide C_in %lld and C_out %lld", op, o->groups,
                    (long long)xs[3], (long long)ws[0]);
    if (ws[3] * o->groups != xs[3])
        return FAIL("%s: weight '%s' has %lld input channels per group, input has %lld / %d", op,
                    g->tensors[w].name, (long long)ws[3], (long long)xs[3], o->groups);
    if (o->stride_h < 1 || o->stride_w < 1 || o->dil_h < 1 || o->dil_w < 1)
        return FAIL("%s: stride and dilation must be >= 1", op);
    if (o->pad_top < 0 || o->pad_bottom < 0 || o->pad_left < 0 || o->pad_right < 0)
        return FAIL("%s: negative padding", op);
    /* PyTorch: output_padding must be smaller than either stride or dilation. */
    if (o->out_pad_h < 0 || o->out_pad_w < 0 ||
        (o->out_pad_h >= o->stride_h && o->out_pad_h >= o->dil_h) ||
        (o->out_pad_w >= o->stride_w && o->out_pad_w >= o->dil_w))
        return FAIL("%s: output_padding must be smaller than stride or dilation", op);
    if (!tr_check_fits_i32(g, op, 4, xs) || !tr_check_fits_i32(g, op, 4, ws)) return -1;
    tr_conv_transpose2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = (int32_t)xs[0], d.h = (int32_t)xs[1], d.w = (int32_t)xs[2], d.c_in = (int32_t)xs[3];
    d.c_out = (int32_t)ws[0], d.kh = (int32_t)ws[1], d.kw = (int32_t)ws[2];
    d.stride_h = o->stride_h, d.stride_w = o->stride_w;
    d.dil_h = o->dil_h, d.dil_w = o->dil_w;
    d.pad_top = o->pad_top, d.pad_left = o->pad_left;
    d.groups = o->groups;
    d.ep = o->ep;
    int64_t oh = (int64_t)(d.h - 1) * d.stride_h - o->pad_top - o->pad_bottom +
                 (int64_t)d.dil_h * (d.kh - 1) + 1 + o->out_pad_h;
    int64_t ow = (int64_t)(d.w - 1) * d.stride_w - o->pad_left - o->pad_right +
                 (int64_t)d.dil_w * (d.kw - 1) + 1 + o->out_pad_w;
    if (oh < 1 || ow < 1 || oh > INT32_MAX || ow > INT32_MAX)
        return FAIL("%s: output size %lldx%lld is invalid", op, (long long)oh, (long long)ow);
    /* The kernel's int32 index arithmetic (oy + pad - ky*dil) spans the
     * output before the padding crops it. */
    int64_t full_h = oh + o->pad_top + o->pad_bottom, full_w = ow + o->pad_left + o->pad_right;
    if (full_h > INT32_MAX || full_w > INT32_MAX)
        return FAIL("%s: output before cropping %lldx%lld too large", op, (long long)full_h,
                    (long long)full_w);
    d.oh = (int32_t)oh, d.ow = (int32_t)ow;
    int64_t ys[4] = {d.n, d.oh, d.ow, d.c_out}, bs[1] = {d.c_out};
    if (!tr_check_shape(g, op, "bias", o->bias, 1, bs)) return -1;
    tr_params p;
    p.convt = d;
    int32_t src[3] = {x, w, o->bias};
    return add_node(g, TR_OP_CONV_TRANSPOSE2D, src, 3, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_linear(tr_graph *g, int32_t x, int32_t w, int32_t bias, tr_epilogue ep) {
    const char *op = "linear";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "weight", w, 0, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "bias", bias, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_epilogue(g, op, &ep))
        return -1;
    const int64_t *xs = g->tensors[x].shape, *ws = g->tensors[w].shape;
    if (ws[1] != xs[1])
        return FAIL("%s: weight '%s' expects %lld inputs, input has %lld", op, g->tensors[w].name,
                    (long long)ws[1], (long long)xs[1]);
    int64_t bs[1] = {ws[0]}, ys[2] = {xs[0], ws[0]};
    if (!tr_check_shape(g, op, "bias", bias, 1, bs) || !tr_check_fits_i32(g, op, 2, xs) ||
        !tr_check_fits_i32(g, op, 2, ws))
        return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.linear.n = (int32_t)xs[0], p.linear.k = (int32_t)xs[1], p.linear.m = (int32_t)ws[0];
    p.linear.ep = ep;
    int32_t src[3] = {x, w, bias};
    return add_node(g, TR_OP_LINEAR, src, 3, TRYON_DTYPE_F32, 2, ys, &p);
}

int32_t tr_instance_norm(tr_graph *g, int32_t x, int32_t gamma, int32_t beta, int32_t residual,
                         float eps, tr_epilogue ep) {
    const char *op = "instance_norm";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "gamma", gamma, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_operand(g, op, "beta", beta, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_operand(g, op, "residual", residual, 1, TRYON_DTYPE_F32, 4) ||
        !tr_check_epilogue(g, op, &ep))
        return -1;
    const int64_t *xs = g->tensors[x].shape;
    int64_t cs[1] = {xs[3]};
    if (!tr_check_shape(g, op, "gamma", gamma, 1, cs) ||
        !tr_check_shape(g, op, "beta", beta, 1, cs) ||
        !tr_check_shape(g, op, "residual", residual, 4, xs) || !tr_check_fits_i32(g, op, 4, xs))
        return -1;
    if (!(eps >= 0)) return FAIL("%s: eps must be >= 0", op);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.inorm.n = (int32_t)xs[0], p.inorm.h = (int32_t)xs[1], p.inorm.w = (int32_t)xs[2];
    p.inorm.c = (int32_t)xs[3];
    p.inorm.eps = eps;
    p.inorm.ep = ep;
    int32_t src[4] = {x, gamma, beta, residual};
    return add_node(g, TR_OP_INSTANCE_NORM, src, 4, TRYON_DTYPE_F32, 4, xs, &p);
}

int32_t tr_binary(tr_graph *g, tr_binary_op bop, int32_t a, int32_t b) {
    const char *op = "binary";
    if (!tr_check_operand(g, op, "a", a, 0, TRYON_DTYPE_F32, 0) ||
        !tr_check_operand(g, op, "b", b, 0, TRYON_DTYPE_F32, 0))
        return -1;
    if (bop < 0 || bop >= TR_BINARY_COUNT) return FAIL("%s: invalid op %d", op, (int)bop);
    const tr_tensor *ta = &g->tensors[a], *tb = &g->tensors[b];
    int32_t nd = ta->ndim > tb->ndim ? ta->ndim : tb->ndim;
    int64_t ys[4];
    for (int32_t i = 0; i < nd; i++) {
        int32_t ia = i - (nd - ta->ndim), ib = i - (nd - tb->ndim);
        int64_t da = ia >= 0 ? ta->shape[ia] : 1, db = ib >= 0 ? tb->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            return FAIL("%s: shapes %s and %s do not broadcast", op,
                        tr_shape_str(ta->ndim, ta->shape, sa, sizeof sa),
                        tr_shape_str(tb->ndim, tb->shape, sb, sizeof sb));
        }
        ys[i] = da > db ? da : db;
    }
    tr_params p;
    memset(&p, 0, sizeof p);
    p.binary = bop;
    int32_t src[2] = {a, b};
    return add_node(g, TR_OP_BINARY, src, 2, TRYON_DTYPE_F32, nd, ys, &p);
}

int32_t tr_scale(tr_graph *g, int32_t x, float scale, float bias) {
    if (!tr_check_operand(g, "scale", "input", x, 0, TRYON_DTYPE_F32, 0)) return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.scale.scale = scale, p.scale.bias = bias;
    const tr_tensor *t = &g->tensors[x];
    return add_node(g, TR_OP_SCALE, &x, 1, TRYON_DTYPE_F32, t->ndim, t->shape, &p);
}

int32_t tr_activation(tr_graph *g, int32_t x, tr_epilogue ep) {
    if (!tr_check_operand(g, "act", "input", x, 0, TRYON_DTYPE_F32, 0) ||
        !tr_check_epilogue(g, "act", &ep))
        return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.act = ep;
    const tr_tensor *t = &g->tensors[x];
    return add_node(g, TR_OP_ACT, &x, 1, TRYON_DTYPE_F32, t->ndim, t->shape, &p);
}

int32_t tr_cast_u8(tr_graph *g, int32_t x, float scale, float bias) {
    if (!tr_check_operand(g, "cast_u8", "input", x, 0, TRYON_DTYPE_U8, 0)) return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.scale.scale = scale, p.scale.bias = bias;
    const tr_tensor *t = &g->tensors[x];
    return add_node(g, TR_OP_CAST_U8, &x, 1, TRYON_DTYPE_F32, t->ndim, t->shape, &p);
}

int32_t tr_upsample_nearest(tr_graph *g, int32_t x, int32_t fy, int32_t fx) {
    const char *op = "upsample_nearest";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4)) return -1;
    if (fy < 1 || fx < 1) return FAIL("%s: factors must be >= 1", op);
    const int64_t *xs = g->tensors[x].shape;
    int64_t ys[4] = {xs[0], xs[1] * fy, xs[2] * fx, xs[3]};
    tr_params p;
    memset(&p, 0, sizeof p);
    p.upsample.fy = fy, p.upsample.fx = fx;
    return add_node(g, TR_OP_UPSAMPLE_NEAREST, &x, 1, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_resize_bilinear(tr_graph *g, int32_t x, int32_t oh, int32_t ow, tr_resize_mode mode) {
    const char *op = "resize_bilinear";
    if (g->status != TRYON_OK) return -1;
    if (x < 0 || x >= g->n_tensors) return FAIL("%s: input is not a tensor", op);
    const tr_tensor *t = &g->tensors[x];
    if (t->ndim != 4 || (t->dtype != TRYON_DTYPE_F32 && t->dtype != TRYON_DTYPE_U8))
        return FAIL("%s: input '%s' must be a 4-D F32 or U8 tensor", op, t->name);
    if (oh < 1 || ow < 1) return FAIL("%s: output size %dx%d is invalid", op, oh, ow);
    if (mode < 0 || mode >= TR_RESIZE_COUNT) return FAIL("%s: invalid mode", op);
    if (!tr_check_fits_i32(g, op, 4, t->shape)) return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.resize.n = (int32_t)t->shape[0], p.resize.h = (int32_t)t->shape[1];
    p.resize.w = (int32_t)t->shape[2], p.resize.c = (int32_t)t->shape[3];
    p.resize.oh = oh, p.resize.ow = ow;
    p.resize.mode = mode;
    int64_t ys[4] = {t->shape[0], oh, ow, t->shape[3]};
    return add_node(g, TR_OP_RESIZE_BILINEAR, &x, 1, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_upfirdn2d(tr_graph *g, int32_t x, int32_t f, const tr_upfirdn_opts *o) {
    const char *op = "upfirdn2d";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "filter", f, 0, TRYON_DTYPE_F32, 0))
        return -1;
    const tr_tensor *tf = &g->tensors[f];
    if (tf->ndim > 2) return FAIL("%s: filter must be 1-D (separable) or 2-D", op);
    if (o->up_x < 1 || o->up_y < 1 || o->down_x < 1 || o->down_y < 1)
        return FAIL("%s: up and down factors must be >= 1", op);
    const int64_t *xs = g->tensors[x].shape;
    if (!tr_check_fits_i32(g, op, 4, xs)) return -1;
    tr_upfirdn2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = (int32_t)xs[0], d.h = (int32_t)xs[1], d.w = (int32_t)xs[2], d.c = (int32_t)xs[3];
    d.up_x = o->up_x, d.up_y = o->up_y, d.down_x = o->down_x, d.down_y = o->down_y;
    d.pad_x0 = o->pad_x0, d.pad_x1 = o->pad_x1, d.pad_y0 = o->pad_y0, d.pad_y1 = o->pad_y1;
    d.separable = tf->ndim == 1;
    d.fw = (int32_t)tf->shape[tf->ndim - 1];
    d.fh = d.separable ? d.fw : (int32_t)tf->shape[0];
    d.flip = o->flip;
    d.gain = o->gain;
    int64_t lh = (int64_t)d.h * d.up_y + d.pad_y0 + d.pad_y1 - d.fh;
    int64_t lw = (int64_t)d.w * d.up_x + d.pad_x0 + d.pad_x1 - d.fw;
    if (lh < 0 || lw < 0) return FAIL("%s: filter larger than the padded input", op);
    int64_t oh = lh / d.down_y + 1, ow = lw / d.down_x + 1;
    if (oh > INT32_MAX || ow > INT32_MAX) return FAIL("%s: output too large", op);
    d.oh = (int32_t)oh, d.ow = (int32_t)ow;
    tr_params p;
    p.upfirdn = d;
    int64_t ys[4] = {d.n, d.oh, d.ow, d.c};
    int32_t src[2] = {x, f};
    return add_node(g, TR_OP_UPFIRDN2D, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_concat(tr_graph *g, int32_t n, const int32_t *xs, int32_t axis) {
    const char *op = "concat";
    if (g->status != TRYON_OK) return -1;
    if (n < 1 || n > TR_MAX_SRC) return FAIL("%s: 1..%d inputs, got %d", op, TR_MAX_SRC, n);
    for (int32_t i = 0; i < n; i++)
        if (xs[i] < 0 || xs[i] >= g->n_tensors) return FAIL("%s: input %d is not a tensor", op, i);
    const tr_tensor *t0 = &g->tensors[xs[0]];
    if (axis < 0) axis += t0->ndim;
    if (axis < 0 || axis >= t0->ndim) return FAIL("%s: axis out of range", op);
    int64_t ys[4];
    memcpy(ys, t0->shape, sizeof ys);
    ys[axis] = 0;
    for (int32_t i = 0; i < n; i++) {
        const tr_tensor *t = &g->tensors[xs[i]];
        if (t->dtype != t0->dtype || t->ndim != t0->ndim)
            return FAIL("%s: input '%s' differs in dtype or rank", op, t->name);
        for (int32_t k = 0; k < t0->ndim; k++)
            if (k != axis && t->shape[k] != t0->shape[k])
                return FAIL("%s: input '%s' differs in dimension %d", op, t->name, k);
        ys[axis] += t->shape[axis];
    }
    tr_params p;
    memset(&p, 0, sizeof p);
    p.concat.axis = axis;
    return add_node(g, TR_OP_CONCAT, xs, n, t0->dtype, t0->ndim, ys, &p);
}

int32_t tr_permute(tr_graph *g, int32_t x, const int32_t perm[4]) {
    const char *op = "permute";
    if (g->status != TRYON_OK) return -1;
    if (x < 0 || x >= g->n_tensors) return FAIL("%s: input is not a tensor", op);
    const tr_tensor *t = &g->tensors[x];
    int seen[4] = {0, 0, 0, 0};
    int64_t ys[4];
    for (int32_t i = 0; i < 4; i++) {
        if (perm[i] < 0 || perm[i] > 3 || seen[perm[i]]++)
            return FAIL("%s: (%d,%d,%d,%d) is not a permutation", op, perm[0], perm[1], perm[2],
                        perm[3]);
        ys[i] = t->shape[perm[i]];
    }
    tr_params p;
    memset(&p, 0, sizeof p);
    memcpy(p.permute.perm, perm, sizeof p.permute.perm);
    return add_node(g, TR_OP_PERMUTE, &x, 1, t->dtype, 4, ys, &p);
}
