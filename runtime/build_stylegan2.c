/* build_stylegan2.c — builders of the ops StyleGAN2 adds to the graph:
 * normalize_2nd_moment, lerp, slice, reshape, demodulation coefficients,
 * per-sample channel scaling and the run-time noise input. Each checks its
 * operands and infers the output shape at build time, like runtime/build.c.
 * Tests: tests/test_kernels_stylegan2.c (through one-op graphs). */
#include <string.h>

#include "graph.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

/* 1 if t is a tensor of the given dtype (any dtype when dtype < 0) and rank
 * (any rank when ndim <= 0), or -1 when optional. Records the error otherwise. */
static int operand(tr_graph *g, const char *op, const char *what, int32_t t, int optional,
                   int dtype, int32_t ndim) {
    if (g->status != TRYON_OK) return 0;
    if (t == -1 && optional) return 1;
    if (t < 0 || t >= g->n_tensors) {
        FAIL("%s: %s is not a tensor (id %d)", op, what, t);
        return 0;
    }
    const tr_tensor *tt = &g->tensors[t];
    if (dtype >= 0 && tt->dtype != (tryon_dtype)dtype) {
        FAIL("%s: %s '%s' has dtype %s, expected %s", op, what, tt->name,
             tryon_dtype_name(tt->dtype), tryon_dtype_name((tryon_dtype)dtype));
        return 0;
    }
    if (ndim > 0 && tt->ndim != ndim) {
        FAIL("%s: %s '%s' has rank %d, expected %d", op, what, tt->name, tt->ndim, ndim);
        return 0;
    }
    return 1;
}

static int shape_is(const tr_graph *g, int32_t t, int32_t ndim, const int64_t *shape) {
    const tr_tensor *tt = &g->tensors[t];
    if (tt->ndim != ndim) return 0;
    for (int32_t i = 0; i < ndim; i++)
        if (tt->shape[i] != shape[i]) return 0;
    return 1;
}

static int require_shape(tr_graph *g, const char *op, const char *what, int32_t t, int32_t ndim,
                         const int64_t *shape) {
    if (t == -1 || shape_is(g, t, ndim, shape)) return 1;
    char got[96], want[96];
    const tr_tensor *tt = &g->tensors[t];
    FAIL("%s: %s '%s' has shape %s, expected %s", op, what, tt->name,
         tr_shape_str(tt->ndim, tt->shape, got, sizeof got),
         tr_shape_str(ndim, shape, want, sizeof want));
    return 0;
}

static int epilogue_ok(tr_graph *g, const char *op, const tr_epilogue *ep) {
    if (ep->act < 0 || ep->act >= TR_ACT_COUNT) {
        FAIL("%s: invalid activation %d", op, (int)ep->act);
        return 0;
    }
    if (!(ep->clamp >= 0)) {
        FAIL("%s: clamp must be >= 0 (0 = none)", op);
        return 0;
    }
    return 1;
}

static int fits_i32(tr_graph *g, const char *op, const tr_tensor *t) {
    for (int32_t i = 0; i < t->ndim; i++)
        if (t->shape[i] > INT32_MAX) {
            FAIL("%s: dimension %lld too large", op, (long long)t->shape[i]);
            return 0;
        }
    return 1;
}

int32_t tr_normalize_2nd_moment(tr_graph *g, int32_t x, float eps) {
    const char *op = "normalize_2nd_moment";
    if (!operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 0)) return -1;
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
    if (!operand(g, op, "a", a, 0, TRYON_DTYPE_F32, 0) ||
        !operand(g, op, "b", b, 0, TRYON_DTYPE_F32, 0) ||
        !operand(g, op, "t", t, 0, TRYON_DTYPE_F32, 0))
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
    if (!operand(g, op, "input", x, 0, -1, 0)) return -1;
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
    if (!operand(g, op, "input", x, 0, -1, 0)) return -1;
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
    if (!operand(g, op, "styles", s, 0, TRYON_DTYPE_F32, 2) ||
        !operand(g, op, "wsq", wsq, 0, TRYON_DTYPE_F32, 2))
        return -1;
    const tr_tensor *ts = &g->tensors[s], *tw = &g->tensors[wsq];
    if (tw->shape[1] != ts->shape[1])
        return FAIL("%s: wsq '%s' has %lld input channels, styles have %lld", op, tw->name,
                    (long long)tw->shape[1], (long long)ts->shape[1]);
    if (!(eps >= 0)) return FAIL("%s: eps must be >= 0", op);
    if (!fits_i32(g, op, ts) || !fits_i32(g, op, tw)) return -1;
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
    if (!operand(g, op, "input", x, 0, TRYON_DTYPE_F32, 4) ||
        !operand(g, op, "scale", scale, 1, TRYON_DTYPE_F32, 2) ||
        !operand(g, op, "add", add, 1, TRYON_DTYPE_F32, 4) ||
        !operand(g, op, "bias", bias, 1, TRYON_DTYPE_F32, 1) || !epilogue_ok(g, op, &ep))
        return -1;
    const tr_tensor *t = &g->tensors[x];
    if (!fits_i32(g, op, t)) return -1;
    int64_t xs[4], cs[2] = {t->shape[0], t->shape[3]}, bs[1] = {t->shape[3]};
    memcpy(xs, t->shape, sizeof xs);
    if (!require_shape(g, op, "scale", scale, 2, cs) || !require_shape(g, op, "bias", bias, 1, bs))
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
    if (!operand(g, op, "control", ctl, 0, TRYON_DTYPE_I32, 1) ||
        !operand(g, op, "noise_const", nconst, 1, TRYON_DTYPE_F32, 4))
        return -1;
    if (n < 1 || h < 1 || w < 1) return FAIL("%s: invalid size %dx%dx%d", op, n, h, w);
    int64_t cs[1] = {4}, ns[4] = {1, h, w, 1};
    if (!require_shape(g, op, "control", ctl, 1, cs) ||
        !require_shape(g, op, "noise_const", nconst, 4, ns))
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
