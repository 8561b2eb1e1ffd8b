/* build_fit.c — builders of the try-on ops (graph_fit.h): operand checks,
 * shapes, node creation. Every assumption of kernels/cpu/garment_*.c and
 * kernels/cpu/fit.c about its operands is checked here. */
#include <math.h>
#include <string.h>

#include "build_check.h"
#include "graph_fit.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

static const int64_t *shape_of(const tr_graph *g, int32_t t) { return g->tensors[t].shape; }

/* An f32 (N, H, W, C) image with every dimension in int32 and, when c > 0,
 * exactly c channels. */
static int image(tr_graph *g, const char *op, const char *what, int32_t t, int64_t c) {
    if (!tr_check_operand(g, op, what, t, 0, TRYON_DTYPE_F32, 4)) return 0;
    const tr_tensor *tt = &g->tensors[t];
    if (!tr_check_fits_i32(g, op, 4, tt->shape)) return 0;
    if (c > 0 && tt->shape[3] != c) {
        char s[96];
        FAIL("%s: %s '%s' has shape %s, expected %lld channels", op, what, tt->name,
             tr_shape_str(4, tt->shape, s, sizeof s), (long long)c);
        return 0;
    }
    return 1;
}

int32_t tr_bg_mask(tr_graph *g, int32_t x, tr_bg_mask_mode mode, float threshold) {
    const char *op = "bg_mask";
    if (!image(g, op, "image", x, 0)) return -1;
    const int64_t *s = shape_of(g, x);
    if (mode == TR_BG_MASK_BORDER && s[3] < 3)
        return FAIL("%s: the border mode needs 3 colour channels, the image has %lld", op,
                    (long long)s[3]);
    if (mode == TR_BG_MASK_ALPHA && s[3] != 4)
        return FAIL("%s: the alpha mode needs 4 channels, the image has %lld", op, (long long)s[3]);
    if (mode < 0 || mode >= TR_BG_MASK_MODE_COUNT) return FAIL("%s: invalid mode %d", op, mode);
    if (!isfinite(threshold)) return FAIL("%s: threshold must be finite", op);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.bg_mask = (tr_bg_mask_desc){(int32_t)s[0], (int32_t)s[1], (int32_t)s[2],
                                  (int32_t)s[3], mode,          threshold};
    int64_t ys[4] = {s[0], s[1], s[2], 1};
    return tr_graph_add_node(g, TR_OP_BG_MASK, &x, 1, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_morph(tr_graph *g, int32_t x, tr_morph_op op_kind, int32_t radius) {
    const char *op = "morph";
    if (!image(g, op, "input", x, 0)) return -1;
    if (op_kind < 0 || op_kind >= TR_MORPH_OP_COUNT)
        return FAIL("%s: invalid operation %d", op, op_kind);
    if (radius < 1 || radius > 1024) return FAIL("%s: radius %d outside 1..1024", op, radius);
    const int64_t *s = shape_of(g, x);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.morph = (tr_morph_desc){(int32_t)s[0], (int32_t)s[1], (int32_t)s[2],
                              (int32_t)s[3], radius,        op_kind};
    return tr_graph_add_node(g, TR_OP_MORPH, &x, 1, TRYON_DTYPE_F32, 4, s, &p);
}

int32_t tr_mask_clean(tr_graph *g, int32_t mask) {
    const char *op = "mask_clean";
    if (!image(g, op, "mask", mask, 1)) return -1;
    const int64_t *s = shape_of(g, mask);
    /* The flood fill's queue holds pixel indices in int32. */
    if (s[1] * s[2] > INT32_MAX)
        return FAIL("%s: %lldx%lld mask too large", op, (long long)s[2], (long long)s[1]);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.mask_clean = (tr_mask_clean_desc){(int32_t)s[0], (int32_t)s[1], (int32_t)s[2]};
    return tr_graph_add_node(g, TR_OP_MASK_CLEAN, &mask, 1, TRYON_DTYPE_F32, 4, s, &p);
}

int32_t tr_garment_anchors(tr_graph *g, int32_t mask) {
    const char *op = "garment_anchors";
    if (!image(g, op, "mask", mask, 1)) return -1;
    const int64_t *s = shape_of(g, mask);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.anchors = (tr_garment_anchors_desc){(int32_t)s[0], (int32_t)s[1], (int32_t)s[2]};
    int64_t ys[3] = {s[0], TR_ANCHOR_ROWS, 3};
    return tr_graph_add_node(g, TR_OP_GARMENT_ANCHORS, &mask, 1, TRYON_DTYPE_F32, 3, ys, &p);
}

static int anchors_operand(tr_graph *g, const char *op, int32_t a, int64_t n) {
    if (!tr_check_operand(g, op, "anchors", a, 0, TRYON_DTYPE_F32, 3)) return 0;
    const int64_t *s = shape_of(g, a);
    if ((n > 0 && s[0] != n) || s[1] != TR_ANCHOR_ROWS || s[2] != 3) {
        char b[96];
        FAIL("%s: anchors '%s' has shape %s, expected (%s, %d, 3)", op, g->tensors[a].name,
             tr_shape_str(3, s, b, sizeof b), n > 0 ? "1" : "N", TR_ANCHOR_ROWS);
        return 0;
    }
    return 1;
}

int32_t tr_sleeve_weight(tr_graph *g, int32_t anchors, int32_t points, float soft) {
    const char *op = "sleeve_weight";
    if (!anchors_operand(g, op, anchors, 0) ||
        !tr_check_operand(g, op, "points", points, 0, TRYON_DTYPE_F32, 3))
        return -1;
    const int64_t *ps = shape_of(g, points), *as = shape_of(g, anchors);
    if (ps[0] != 1 || ps[2] != 2 || ps[1] > INT32_MAX || as[0] > INT32_MAX)
        return FAIL("%s: points must be (1, V, 2)", op);
    if (!(soft > 0 && isfinite(soft))) return FAIL("%s: ramp width must be > 0", op);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.sleeve = (tr_sleeve_weight_desc){(int32_t)as[0], (int32_t)ps[1], soft};
    int64_t ys[3] = {as[0], ps[1], 1};
    int32_t src[2] = {anchors, points};
    return tr_graph_add_node(g, TR_OP_SLEEVE_WEIGHT, src, 2, TRYON_DTYPE_F32, 3, ys, &p);
}

int32_t tr_garment_tri(tr_graph *g, int32_t mask, int32_t gx, int32_t gy) {
    const char *op = "garment_tri";
    if (!image(g, op, "mask", mask, 1)) return -1;
    const int64_t *s = shape_of(g, mask);
    if (s[0] != 1) return FAIL("%s: one mask at a time (batch %lld)", op, (long long)s[0]);
    if (gx < 1 || gy < 1 || gx > 1024 || gy > 1024)
        return FAIL("%s: grid %dx%d outside 1..1024", op, gx, gy);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.gtri = (tr_garment_tri_desc){(int32_t)s[1], (int32_t)s[2], gx, gy};
    int64_t ys[2] = {2 * (int64_t)gx * gy, 3};
    return tr_graph_add_node(g, TR_OP_GARMENT_TRI, &mask, 1, TRYON_DTYPE_I32, 2, ys, &p);
}

static int poses_operand(tr_graph *g, const char *op, int32_t poses) {
    if (!tr_check_operand(g, op, "poses", poses, 0, TRYON_DTYPE_F32, 4)) return 0;
    const int64_t *s = shape_of(g, poses);
    if (s[2] != 18 || s[3] != 3 || s[0] > INT32_MAX || s[1] > INT32_MAX) {
        char b[96];
        FAIL("%s: poses '%s' has shape %s, expected (N, P, 18, 3)", op, g->tensors[poses].name,
             tr_shape_str(4, s, b, sizeof b));
        return 0;
    }
    return 1;
}

int32_t tr_fit_controls(tr_graph *g, int32_t poses, int32_t anchors, int32_t placement,
                        int32_t tex_h, int32_t tex_w, float min_score) {
    const char *op = "fit_controls";
    int64_t ps4[1] = {4};
    if (!poses_operand(g, op, poses) || !anchors_operand(g, op, anchors, 1) ||
        !tr_check_operand(g, op, "placement", placement, 0, TRYON_DTYPE_F32, 1) ||
        !tr_check_shape(g, op, "placement", placement, 1, ps4))
        return -1;
    if (tex_h < 1 || tex_w < 1) return FAIL("%s: texture size %dx%d is invalid", op, tex_w, tex_h);
    if (!isfinite(min_score)) return FAIL("%s: minimum score must be finite", op);
    const int64_t *s = shape_of(g, poses);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.fit = (tr_fit_controls_desc){(int32_t)s[0], (int32_t)s[1], tex_h, tex_w, min_score};
    int64_t ys[3] = {s[0], TR_ANCHOR_ROWS, 5};
    int32_t src[3] = {poses, anchors, placement};
    return tr_graph_add_node(g, TR_OP_FIT_CONTROLS, src, 3, TRYON_DTYPE_F32, 3, ys, &p);
}

int32_t tr_body_proxy(tr_graph *g, int32_t poses, float min_score, float z) {
    const char *op = "body_proxy";
    if (!poses_operand(g, op, poses)) return -1;
    if (!isfinite(min_score) || !isfinite(z)) return FAIL("%s: score and depth must be finite", op);
    const int64_t *s = shape_of(g, poses);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.proxy = (tr_body_proxy_desc){(int32_t)s[0], (int32_t)s[1], min_score, z};
    int64_t ys[3] = {s[0], TR_PROXY_VERTICES, 3};
    return tr_graph_add_node(g, TR_OP_BODY_PROXY, &poses, 1, TRYON_DTYPE_F32, 3, ys, &p);
}

int32_t tr_shade_composite(tr_graph *g, int32_t person, int32_t layer, int32_t lum, float strength,
                           float lo, float hi) {
    const char *op = "shade_composite";
    if (!image(g, op, "person", person, 3) || !image(g, op, "layer", layer, 4) ||
        !image(g, op, "luminance", lum, 1))
        return -1;
    const int64_t *s = shape_of(g, person);
    int64_t ls[4] = {s[0], s[1], s[2], 4}, us[4] = {s[0], s[1], s[2], 1};
    if (!tr_check_shape(g, op, "layer", layer, 4, ls) ||
        !tr_check_shape(g, op, "luminance", lum, 4, us))
        return -1;
    if (!(isfinite(strength) && strength >= 0 && lo > 0 && hi >= lo && isfinite(hi)))
        return FAIL("%s: need strength >= 0 and 0 < lo <= hi", op);
    tr_params p;
    memset(&p, 0, sizeof p);
    p.comp =
        (tr_shade_composite_desc){(int32_t)s[0], (int32_t)s[1], (int32_t)s[2], strength, lo, hi};
    int64_t ys[4] = {s[0], s[1], s[2], 3};
    int32_t src[3] = {person, layer, lum};
    return tr_graph_add_node(g, TR_OP_SHADE_COMPOSITE, src, 3, TRYON_DTYPE_U8, 4, ys, &p);
}
