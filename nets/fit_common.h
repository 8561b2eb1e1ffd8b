/* fit_common.h — pieces shared by the garment preparation graph
 * (nets/garment.c) and the fitting graph (nets/fit.c). */
#ifndef TR_NETS_FIT_COMMON_H
#define TR_NETS_FIT_COMMON_H

#include "graph_fit.h"

/* A prepared garment: what the preparation graph computed, copied to the host. */
struct tryon_garment {
    int32_t tex_w, tex_h, grid_x, grid_y;
    float *texture; /* (tex_h, tex_w, 4) premultiplied RGBA 0..1 */
    float *mask;    /* (tex_h, tex_w) 0/1 */
    float anchors[TR_ANCHOR_ROWS * 3];
    int32_t *tri;  /* (2 * grid_x * grid_y, 3) */
    float *sleeve; /* (V) sleeve weight per mesh vertex */
};

static inline int64_t tr_fit_n_vertices(int32_t gx, int32_t gy) {
    return ((int64_t)gx + 1) * (gy + 1);
}

/* The mesh vertices as a (1, V, 2) constant: vertex (r, c) at (c*W/gx, r*H/gy)
 * in texture pixels, or in the texture's normalized coordinates (-1..1) when
 * normalized is set, or as uv (0..1) when uv is set. */
int32_t tr_fit_grid_points(tr_graph *g, const char *name, int32_t tex_w, int32_t tex_h, int32_t gx,
                           int32_t gy, int mode);
enum { TR_GRID_PIXELS = 0, TR_GRID_NORMALIZED, TR_GRID_UV };

/* x (N, H, W, C) blurred by a normalized Gaussian of 2r+1 taps, r = ceil(2
 * sigma), zeros outside, same size: a row pass then a column pass (2-D
 * upfirdn2d filters of shape (1, 2r+1) and (2r+1, 1)). */
int32_t tr_fit_blur(tr_graph *g, int32_t x, float sigma, const char *name);

/* clamp(x, lo, hi) with graph ops (the activation clamp is symmetric). */
int32_t tr_fit_clamp(tr_graph *g, int32_t x, float lo, float hi);

#endif /* TR_NETS_FIT_COMMON_H */
