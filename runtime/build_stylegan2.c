/* build_stylegan2.c — builders of the ops StyleGAN2 adds to the graph:
 * normalize_2nd_moment, lerp, slice, reshape, demodulation coefficients,
 * per-sample channel scaling and the run-time noise input. Each checks its
 * operands and infers the output shape at build time, like runtime/build.c.
 * Tests: tests/test_kernels_stylegan2.c (through one-op graphs). */
#include <string.h>

#include "build_check.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

int32_t tr_normalize_2nd_moment(tr_graph *g, int32_t x, float eps) {
    const char *op = "normalize_2nd_moment";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 0)) return -1;
    if (!(eps >= 0)) return FAIL("%s: eps must be >= 0", op);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.norm2.eps = eps;
    int64_t shape[TRYON_MAX_DIMS];
    const tr_tensor *t = &g->tensors[x];
    memcpy(shape, t->shape, sizeof shape);
    return tr_graph_add_node(g, TR_OP_NORMALIZE_2ND, &x, 1, TRYON_DTYPE_F32, t->ndim, shape, &p);
}

int32_t tr_lerp(tr_graph *g, int32_t a, int32_t b, int32_t t) {
    const char *op = "lerp";
    if (!tr_check_operand(g, op, "a", a, 0, TRYON_DTYPE_F32, 0) ||
        !tr_check_operand(g, op, "b", b, 0, TRYON_DTYPE_F32, 0) ||
        !tr_check_operand(g, op, "t", t, 0, TRYON_DTYPE_F32, 0))
        return -1;
    const int32_t ids[3] = {a, b, t};
    int32_t nd = 0;
    for (int32_t k = 0; k < 3; k++)
        if (g->tensors[ids[k]].ndim > nd) nd = g->tensors[ids[k]].ndim;
    int64_t ys[TRYON_MAX_DIMS];
    for (int32_t i = 0; i < nd; i++) {
        ys[i] = 1;
        for (int32_t k = 0; k < 3; k++) {
            const tr_tensor *tt = &g->tensors[ids[k]];
            int32_t j = i - (nd - tt->ndim);
            int64_t d = j >= 0 ? tt->shape[j] : 1;
            if (d != 1 && ys[i] != 1 && d != ys[i])
                return FAIL("%s: operand '%s' does not broadcast with the others", op, tt->name);
            if (d != 1) ys[i] = d;
        }
    }
    tr_params p;
    memset(&p, 0, sizeof p);
    return tr_graph_add_node(g, TR_OP_LERP, ids, 3, TRYON_DTYPE_F32, nd, ys, &p);
}

int32_t tr_slice(tr_graph *g, int32_t x, int32_t axis, int32_t start, int32_t len) {
    const char *op = "slice";
    if (!tr_check_operand(g, op, "input", x, 0, TR_ANY_DTYPE, 0)) return -1;
    const tr_tensor *t = &g->tensors[x];
    if (axis < 0) axis += t->ndim;
    if (axis < 0 || axis >= t->ndim) return FAIL("%s: axis out of range", op);
    if (start < 0 || len < 1 || (int64_t)start + len > t->shape[axis])
        return FAIL("%s: [%d, %d) outside dimension %d of '%s' (size %lld)", op, start, start + len,
                    axis, t->name, (long long)t->shape[axis]);
    int64_t ys[TRYON_MAX_DIMS];
    memcpy(ys, t->shape, sizeof ys);
    ys[axis] = len;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.slice.axis = axis, p.slice.start = start, p.slice.len = len;
    return tr_graph_add_node(g, TR_OP_SLICE, &x, 1, t->dtype, t->ndim, ys, &p);
}

int32_t tr_reshape(tr_graph *g, int32_t x, int32_t ndim, const int64_t *shape) {
    const char *op = "reshape";
    if (!tr_check_operand(g, op, "input", x, 0, TR_ANY_DTYPE, 0)) return -1;
    if (ndim < 1 || ndim > TRYON_MAX_DIMS) return FAIL("%s: rank %d outside 1..4", op, ndim);
    const tr_tensor *t = &g->tensors[x];
    int64_t n = 1;
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 1 || !tr_mul_i64(n, shape[i], &n))
            return FAIL("%s: invalid dimension %lld", op, (long long)shape[i]);
    }
    if (n != tr_tensor_numel(t)) {
        char a[96], b[96];
        return FAIL("%s: cannot reshape '%s' %s to %s", op, t->name,
                    tr_shape_str(t->ndim, t->shape, a, sizeof a),
                    tr_shape_str(ndim, shape, b, sizeof b));
    }
    int64_t ys[TRYON_MAX_DIMS];
    memcpy(ys, shape, (size_t)ndim * sizeof *ys);
    tr_params p;
    memset(&p, 0, sizeof p);
    return tr_graph_add_node(g, TR_OP_RESHAPE, &x, 1, t->dtype, ndim, ys, &p);
}

int32_t tr_demod_coefs(tr_graph *g, int32_t s, int32_t wsq, float eps) {
    const char *op = "demod_coefs";
    if (!tr_check_operand(g, op, "styles", s, 0, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "wsq", wsq, 0, TRYON_DTYPE_F32, 2))
        return -1;
    const tr_tensor *ts = &g->tensors[s], *tw = &g->tensors[wsq];
    if (tw->shape[1] != ts->shape[1])
        return FAIL("%s: wsq '%s' has %lld input channels, styles have %lld", op, tw->name,
                    (long long)tw->shape[1], (long long)ts->shape[1]);
    if (!(eps >= 0)) return FAIL("%s: eps must be >= 0", op);
    if (!tr_check_fits_i32(g, op, ts->ndim, ts->shape) ||
        !tr_check_fits_i32(g, op, tw->ndim, tw->shape))
        return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.demod.n = (int32_t)ts->shape[0], p.demod.c_in = (int32_t)ts->shape[1];
    p.demod.c_out = (int32_t)tw->shape[0];
    p.demod.eps = eps;
    int64_t ys[2] = {ts->shape[0], tw->shape[0]};
    int32_t src[2] = {s, wsq};
    return tr_graph_add_node(g, TR_OP_DEMOD, src, 2, TRYON_DTYPE_F32, 2, ys, &p);
}

int32_t tr_scale_channels(tr_graph *g, int32_t x, int32_t scale, int32_t add, int32_t bias,
                          tr_epilogue ep) {
    const char *op = "scale_channels";
    if (!tr_check_operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "scale", scale, 1, TRYON_DTYPE_F32, 2) ||
        !tr_check_operand(g, op, "add", add, 1, TRYON_DTYPE_F32, 4) ||
        !tr_check_operand(g, op, "bias", bias, 1, TRYON_DTYPE_F32, 1) ||
        !tr_check_epilogue(g, op, &ep))
        return -1;
    const tr_tensor *t = &g->tensors[x];
    if (!tr_check_fits_i32(g, op, t->ndim, t->shape)) return -1;
    int64_t xs[4], cs[2] = {t->shape[0], t->shape[3]}, bs[1] = {t->shape[3]};
    memcpy(xs, t->shape, sizeof xs);
    if (!tr_check_shape(g, op, "scale", scale, 2, cs) ||
        !tr_check_shape(g, op, "bias", bias, 1, bs))
        return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.schan.n = (int32_t)xs[0], p.schan.h = (int32_t)xs[1], p.schan.w = (int32_t)xs[2];
    p.schan.c = (int32_t)xs[3];
    p.schan.ep = ep;
    for (int32_t i = 0; i < 4; i++) p.schan.add_shape[i] = 1;
    if (add >= 0) {
        const int64_t *as = g->tensors[add].shape;
        for (int32_t i = 0; i < 4; i++) {
            if (as[i] != 1 && as[i] != xs[i])
                return FAIL("%s: add '%s' does not broadcast to the input", op,
                            g->tensors[add].name);
            p.schan.add_shape[i] = as[i];
        }
    }
    int32_t src[4] = {x, scale, add, bias};
    return tr_graph_add_node(g, TR_OP_SCALE_CHANNELS, src, 4, TRYON_DTYPE_F32, 4, xs, &p);
}

int32_t tr_noise(tr_graph *g, int32_t ctl, int32_t nconst, int32_t n, int32_t h, int32_t w,
                 int32_t stream, float strength) {
    const char *op = "noise";
    if (!tr_check_operand(g, op, "control", ctl, 0, TRYON_DTYPE_I32, 1) ||
        !tr_check_operand(g, op, "noise_const", nconst, 1, TRYON_DTYPE_F32, 4))
        return -1;
    if (n < 1 || h < 1 || w < 1) return FAIL("%s: invalid size %dx%dx%d", op, n, h, w);
    int64_t cs[1] = {4}, ns[4] = {1, h, w, 1};
    if (!tr_check_shape(g, op, "control", ctl, 1, cs) ||
        !tr_check_shape(g, op, "noise_const", nconst, 4, ns))
        return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.noise.n = n, p.noise.h = h, p.noise.w = w;
    p.noise.stream = stream;
    p.noise.strength = strength;
    int64_t ys[4] = {n, h, w, 1};
    int32_t src[2] = {ctl, nconst};
    return tr_graph_add_node(g, TR_OP_NOISE, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}
