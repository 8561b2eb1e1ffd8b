/* build_warp.c — builders of the warping and rasterization ops
 * (graph_warp.h): operand checks, shape inference, node creation. Every
 * assumption the kernels make about their operands is checked here. */
#include <string.h>

#include "build_check.h"
#include "graph_warp.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

/* A tensor of the given dtype and rank (rank 0: any) whose dimensions fit
 * the kernels' int32 fields. */
static int operand(tr_graph *g, const char *op, const char *what, int32_t t, tryon_dtype dtype,
                   int32_t ndim) {
    if (!tr_check_operand(g, op, what, t, 0, dtype, ndim)) return 0;
    const tr_tensor *tt = &g->tensors[t];
    for (int32_t i = 0; i < tt->ndim; i++)
        if (tt->shape[i] > INT32_MAX) {
            FAIL("%s: %s '%s' has a dimension over 2^31", op, what, tt->name);
            return 0;
        }
    return 1;
}

static const int64_t *shape_of(const tr_graph *g, int32_t t) { return g->tensors[t].shape; }

/* Fails unless the last dimension of t is `last`. */
static int last_dim(tr_graph *g, const char *op, const char *what, int32_t t, int64_t last) {
    const tr_tensor *tt = &g->tensors[t];
    if (tt->shape[tt->ndim - 1] == last) return 1;
    char buf[96];
    FAIL("%s: %s '%s' has shape %s, its last dimension must be %lld", op, what, tt->name,
         tr_shape_str(tt->ndim, tt->shape, buf, sizeof buf), (long long)last);
    return 0;
}

/* A leading (batch) dimension that must be n, or 1 when broadcasting is allowed. */
static int batch_dim(tr_graph *g, const char *op, const char *what, int32_t t, int64_t n,
                     int allow_one, int32_t *batched) {
    int64_t b = shape_of(g, t)[0];
    if (b == n || (allow_one && b == 1)) {
        if (batched) *batched = b == n; /* with n == 1 either reading is the same */
        return 1;
    }
    FAIL("%s: %s '%s' has batch %lld, expected %lld%s", op, what, g->tensors[t].name, (long long)b,
         (long long)n, allow_one ? " or 1" : "");
    return 0;
}

static int image_size(tr_graph *g, const char *op, int32_t h, int32_t w) {
    if (h >= 1 && w >= 1) return 1;
    FAIL("%s: output size %dx%d is invalid", op, h, w);
    return 0;
}

int32_t tr_grid_sample(tr_graph *g, int32_t x, int32_t grid, tr_sample_mode mode, tr_sample_pad pad,
                       int32_t align_corners) {
    const char *op = "grid_sample";
    if (!operand(g, op, "input", x, TRYON_DTYPE_F32, 4) ||
        !operand(g, op, "grid", grid, TRYON_DTYPE_F32, 4) || !last_dim(g, op, "grid", grid, 2) ||
        !batch_dim(g, op, "grid", grid, shape_of(g, x)[0], 0, NULL))
        return -1;
    if (mode < 0 || mode >= TR_SAMPLE_MODE_COUNT) return FAIL("%s: invalid mode %d", op, mode);
    if (pad < 0 || pad >= TR_SAMPLE_PAD_COUNT) return FAIL("%s: invalid padding mode %d", op, pad);
    const int64_t *xs = shape_of(g, x), *gs = shape_of(g, grid);
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_grid_sample_desc *d = &p.gsample;
    d->n = (int32_t)xs[0], d->h = (int32_t)xs[1], d->w = (int32_t)xs[2], d->c = (int32_t)xs[3];
    d->oh = (int32_t)gs[1], d->ow = (int32_t)gs[2];
    d->mode = mode, d->pad = pad, d->align_corners = align_corners != 0;
    int64_t ys[4] = {xs[0], gs[1], gs[2], xs[3]};
    int32_t src[2] = {x, grid};
    return tr_graph_add_node(g, TR_OP_GRID_SAMPLE, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_affine_grid(tr_graph *g, int32_t theta, int32_t h, int32_t w, int32_t align_corners) {
    const char *op = "affine_grid";
    if (!operand(g, op, "theta", theta, TRYON_DTYPE_F32, 3)) return -1;
    const int64_t *ts = shape_of(g, theta);
    if (ts[1] != 2 || ts[2] != 3) return FAIL("%s: theta must be (N, 2, 3)", op);
    if (!image_size(g, op, h, w)) return -1;
    tr_params p;
    memset(&p, 0, sizeof p);
    p.agrid.n = (int32_t)ts[0], p.agrid.h = h, p.agrid.w = w;
    p.agrid.align_corners = align_corners != 0;
    int64_t ys[4] = {ts[0], h, w, 2};
    return tr_graph_add_node(g, TR_OP_AFFINE_GRID, &theta, 1, TRYON_DTYPE_F32, 4, ys, &p);
}

tr_tps_opts tr_tps_opts_default(void) {
    tr_tps_opts o;
    memset(&o, 0, sizeof o);
    o.mask = -1;
    return o;
}

/* ctrl (N or 1, K, 2) with 1 <= K <= TR_TPS_MAX_POINTS. */
static int tps_ctrl(tr_graph *g, const char *op, int32_t ctrl, int64_t n, int32_t *batched) {
    if (!operand(g, op, "ctrl", ctrl, TRYON_DTYPE_F32, 3) || !last_dim(g, op, "ctrl", ctrl, 2) ||
        !batch_dim(g, op, "ctrl", ctrl, n, 1, batched))
        return 0;
    int64_t k = shape_of(g, ctrl)[1];
    if (k > TR_TPS_MAX_POINTS) {
        FAIL("%s: %lld control points, at most %d are supported", op, (long long)k,
             TR_TPS_MAX_POINTS);
        return 0;
    }
    return 1;
}

int32_t tr_tps_fit(tr_graph *g, int32_t ctrl, int32_t values, const tr_tps_opts *o) {
    const char *op = "tps_fit";
    if (!operand(g, op, "values", values, TRYON_DTYPE_F32, 3) ||
        !last_dim(g, op, "values", values, 2))
        return -1;
    const int64_t *vs = shape_of(g, values);
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_tps_fit_desc *d = &p.tps_fit;
    if (!tps_ctrl(g, op, ctrl, vs[0], &d->ctrl_batched)) return -1;
    if (shape_of(g, ctrl)[1] != vs[1])
        return FAIL("%s: ctrl has %lld points, values %lld", op, (long long)shape_of(g, ctrl)[1],
                    (long long)vs[1]);
    /* Beyond 1e6 the fit is the affine least-squares fit to ~1e-6 anyway, and
     * the pivots of the affine block (~1/lambda) near the singularity test. */
    if (!(o->lambda >= 0.0f && o->lambda <= 1e6f))
        return FAIL("%s: lambda must be in [0, 1e6], got %g", op, (double)o->lambda);
    if (o->mask != -1) {
        if (!operand(g, op, "mask", o->mask, TRYON_DTYPE_F32, 2)) return -1;
        const int64_t *ms = shape_of(g, o->mask);
        if (ms[0] != vs[0] || ms[1] != vs[1])
            return FAIL("%s: mask must be (N, K) = (%lld, %lld)", op, (long long)vs[0],
                        (long long)vs[1]);
        if (o->mask_threshold != o->mask_threshold) return FAIL("%s: mask threshold is NaN", op);
    }
    d->n = (int32_t)vs[0], d->k = (int32_t)vs[1];
    d->has_mask = o->mask != -1;
    d->mask_threshold = o->mask_threshold;
    d->lambda = o->lambda;
    int64_t ys[3] = {vs[0], vs[1] + 3, 2};
    int32_t src[3] = {ctrl, values, o->mask};
    return tr_graph_add_node(g, TR_OP_TPS_FIT, src, 3, TRYON_DTYPE_F32, 3, ys, &p);
}

/* Checks coef (N, K+3, 2) against ctrl and fills the common descriptor fields. */
static int tps_eval_common(tr_graph *g, const char *op, int32_t ctrl, int32_t coef,
                           tr_tps_eval_desc *d) {
    if (!operand(g, op, "coef", coef, TRYON_DTYPE_F32, 3) || !last_dim(g, op, "coef", coef, 2))
        return 0;
    const int64_t *cs = shape_of(g, coef);
    if (!tps_ctrl(g, op, ctrl, cs[0], &d->ctrl_batched)) return 0;
    if (cs[1] != shape_of(g, ctrl)[1] + 3) {
        FAIL("%s: coef has %lld rows, expected K+3 = %lld for %lld control points", op,
             (long long)cs[1], (long long)shape_of(g, ctrl)[1] + 3,
             (long long)shape_of(g, ctrl)[1]);
        return 0;
    }
    d->n = (int32_t)cs[0];
    d->k = (int32_t)(cs[1] - 3);
    return 1;
}

int32_t tr_tps_grid(tr_graph *g, int32_t ctrl, int32_t coef, int32_t h, int32_t w,
                    int32_t align_corners) {
    const char *op = "tps_grid";
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_tps_eval_desc *d = &p.tps_eval;
    if (!tps_eval_common(g, op, ctrl, coef, d) || !image_size(g, op, h, w)) return -1;
    int64_t m = (int64_t)h * w;
    if (m > INT32_MAX) return FAIL("%s: %dx%d grid too large", op, h, w);
    d->m = (int32_t)m, d->h = h, d->w = w, d->align_corners = align_corners != 0;
    int64_t ys[4] = {d->n, h, w, 2};
    int32_t src[2] = {ctrl, coef};
    return tr_graph_add_node(g, TR_OP_TPS_GRID, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_tps_transform(tr_graph *g, int32_t ctrl, int32_t coef, int32_t points) {
    const char *op = "tps_transform";
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_tps_eval_desc *d = &p.tps_eval;
    if (!tps_eval_common(g, op, ctrl, coef, d) ||
        !operand(g, op, "points", points, TRYON_DTYPE_F32, 3) ||
        !last_dim(g, op, "points", points, 2) ||
        !batch_dim(g, op, "points", points, d->n, 1, &d->points_batched))
        return -1;
    d->m = (int32_t)shape_of(g, points)[1];
    int64_t ys[3] = {d->n, d->m, 2};
    int32_t src[3] = {ctrl, coef, points};
    return tr_graph_add_node(g, TR_OP_TPS_TRANSFORM, src, 3, TRYON_DTYPE_F32, 3, ys, &p);
}

/* tri (T, 3) i32 with T < 2^24; a constant's indices must be in [0, v). */
static int check_tri(tr_graph *g, const char *op, int32_t tri, int64_t v) {
    if (!operand(g, op, "tri", tri, TRYON_DTYPE_I32, 2) || !last_dim(g, op, "tri", tri, 3))
        return 0;
    int64_t t = shape_of(g, tri)[0];
    if (t > TR_RASTER_MAX_TRIANGLES) {
        FAIL("%s: %lld triangles, at most %d", op, (long long)t, TR_RASTER_MAX_TRIANGLES);
        return 0;
    }
    const int32_t *idx = tr_graph_const_data(g, tri);
    for (int64_t i = 0; idx && i < t * 3; i++)
        if (idx[i] < 0 || idx[i] >= v) {
            FAIL("%s: triangle %lld uses vertex %d, outside [0, %lld)", op, (long long)(i / 3),
                 idx[i], (long long)v);
            return 0;
        }
    return 1;
}

static int raster_common(tr_graph *g, const char *op, int32_t pos, int32_t tri, int32_t h,
                         int32_t w, tr_raster_desc *d) {
    if (!operand(g, op, "pos", pos, TRYON_DTYPE_F32, 3)) return 0;
    const int64_t *ps = shape_of(g, pos);
    if (ps[2] < 2 || ps[2] > 4) {
        FAIL("%s: pos must be (N, V, 2|3|4), got %lld values per vertex", op, (long long)ps[2]);
        return 0;
    }
    if (!check_tri(g, op, tri, ps[1]) || !image_size(g, op, h, w)) return 0;
    d->n = (int32_t)ps[0], d->v = (int32_t)ps[1], d->p = (int32_t)ps[2];
    d->t = (int32_t)shape_of(g, tri)[0];
    d->h = h, d->w = w;
    return 1;
}

int32_t tr_rasterize(tr_graph *g, int32_t pos, int32_t tri, int32_t h, int32_t w) {
    tr_params p;
    memset(&p, 0, sizeof p);
    if (!raster_common(g, "rasterize", pos, tri, h, w, &p.raster)) return -1;
    int64_t ys[4] = {p.raster.n, h, w, 4};
    int32_t src[2] = {pos, tri};
    return tr_graph_add_node(g, TR_OP_RASTERIZE, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_raster_coverage(tr_graph *g, int32_t pos, int32_t tri, int32_t h, int32_t w,
                           int32_t samples, int32_t first, int32_t count) {
    const char *op = "raster_coverage";
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_raster_desc *d = &p.raster;
    if (!raster_common(g, op, pos, tri, h, w, d)) return -1;
    if (samples != 1 && samples != 2 && samples != 4)
        return FAIL("%s: samples per axis must be 1, 2 or 4, got %d", op, samples);
    if (count < 0 && first >= 0 && first <= d->t) count = d->t - first;
    if (first < 0 || count < 0 || (int64_t)first + count > d->t)
        return FAIL("%s: triangle range [%d, %d + %d) outside [0, %d)", op, first, first, count,
                    d->t);
    d->samples = samples, d->first = first, d->count = count;
    int64_t ys[4] = {d->n, h, w, 1};
    int32_t src[2] = {pos, tri};
    return tr_graph_add_node(g, TR_OP_RASTER_COVERAGE, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_interpolate(tr_graph *g, int32_t attr, int32_t rast, int32_t tri) {
    const char *op = "interpolate";
    if (!operand(g, op, "attr", attr, TRYON_DTYPE_F32, 3) ||
        !operand(g, op, "rast", rast, TRYON_DTYPE_F32, 4) || !last_dim(g, op, "rast", rast, 4))
        return -1;
    const int64_t *as = shape_of(g, attr), *rs = shape_of(g, rast);
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_interpolate_desc *d = &p.interp;
    if (!batch_dim(g, op, "attr", attr, rs[0], 1, &d->attr_batched) ||
        !check_tri(g, op, tri, as[1]))
        return -1;
    d->n = (int32_t)rs[0], d->h = (int32_t)rs[1], d->w = (int32_t)rs[2];
    d->v = (int32_t)as[1], d->c = (int32_t)as[2];
    d->t = (int32_t)shape_of(g, tri)[0];
    int64_t ys[4] = {rs[0], rs[1], rs[2], as[2]};
    int32_t src[3] = {attr, rast, tri};
    return tr_graph_add_node(g, TR_OP_INTERPOLATE, src, 3, TRYON_DTYPE_F32, 4, ys, &p);
}

int32_t tr_texture(tr_graph *g, int32_t tex, int32_t uv, tr_tex_filter filter,
                   tr_tex_boundary boundary) {
    const char *op = "texture";
    if (!operand(g, op, "texture", tex, TRYON_DTYPE_F32, 4) ||
        !operand(g, op, "uv", uv, TRYON_DTYPE_F32, 4) || !last_dim(g, op, "uv", uv, 2))
        return -1;
    const int64_t *ts = shape_of(g, tex), *us = shape_of(g, uv);
    tr_params p;
    memset(&p, 0, sizeof p);
    tr_texture_desc *d = &p.tex;
    if (!batch_dim(g, op, "texture", tex, us[0], 1, &d->tex_batched)) return -1;
    if (filter < 0 || filter >= TR_TEX_FILTER_COUNT)
        return FAIL("%s: invalid filter %d", op, filter);
    if (boundary < 0 || boundary >= TR_TEX_BOUNDARY_COUNT)
        return FAIL("%s: invalid boundary mode %d", op, boundary);
    d->n = (int32_t)us[0], d->h = (int32_t)us[1], d->w = (int32_t)us[2];
    d->th = (int32_t)ts[1], d->tw = (int32_t)ts[2], d->c = (int32_t)ts[3];
    d->filter = filter, d->boundary = boundary;
    int64_t ys[4] = {us[0], us[1], us[2], ts[3]};
    int32_t src[2] = {tex, uv};
    return tr_graph_add_node(g, TR_OP_TEXTURE, src, 2, TRYON_DTYPE_F32, 4, ys, &p);
}
