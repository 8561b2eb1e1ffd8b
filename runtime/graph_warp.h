/* graph_warp.h — graph builders for warping (grid_sample, affine grids,
 * thin-plate splines) and rasterization (rasterize, coverage, interpolate,
 * texture). Kernel semantics: kernels/kernels.h and the headers of
 * kernels/cpu/{grid_sample,tps,raster,raster_attr}.c; numerics NETS.md §4-5.
 *
 * Everything is NHWC f32 (triangle indices i32), and every operand may be a
 * graph tensor computed earlier in the same graph (keypoints decoded by
 * PoseNet, a TPS fitted from them, a deformed mesh): nothing needs a host
 * round trip, and running allocates nothing (the TPS solve uses the stack).
 * Like every builder, these return the output tensor id or -1 with the error
 * recorded on the graph (sticky). Implemented in runtime/build_warp.c; tested
 * in tests/test_warp.c, tests/test_raster.c, tests/test_torch_warp.c. */
#ifndef TR_GRAPH_WARP_H
#define TR_GRAPH_WARP_H

#include "graph.h"

/* F.grid_sample: x (N, H, W, C), grid (N, OH, OW, 2) with (x, y) pairs ->
 * (N, OH, OW, C). */
int32_t tr_grid_sample(tr_graph *g, int32_t x, int32_t grid, tr_sample_mode mode, tr_sample_pad pad,
                       int32_t align_corners);

/* F.affine_grid: theta (N, 2, 3) -> grid (N, h, w, 2). */
int32_t tr_affine_grid(tr_graph *g, int32_t theta, int32_t h, int32_t w, int32_t align_corners);

typedef struct tr_tps_opts {
    float lambda;         /* 0..1e6: K + lambda*I smoothing, 0 interpolates */
    int32_t mask;         /* (N, K) tensor or -1: point k is used iff */
    float mask_threshold; /* mask[n, k] > mask_threshold (e.g. keypoint scores) */
} tr_tps_opts;

/* lambda 0, no mask. */
tr_tps_opts tr_tps_opts_default(void);

/* Fits, per batch item, the thin-plate spline f with f(ctrl_k) = values_k:
 * ctrl (N, K, 2) or (1, K, 2) shared, values (N, K, 2), 1 <= K <= 64 ->
 * coefficients (N, K+3, 2) (kernels.h). For a backward warp as CP-VTON uses
 * it, ctrl are positions in the output image and values where they come from
 * in the input; for moving points (mesh vertices) forward, ctrl are the
 * points' source positions and values their destinations. */
int32_t tr_tps_fit(tr_graph *g, int32_t ctrl, int32_t values, const tr_tps_opts *o);

/* The (N, h, w, 2) sampling grid f(base grid) for grid_sample; the base grid
 * is affine_grid's for this align_corners (CP-VTON: 1). ctrl as given to the
 * fit, coef from tr_tps_fit. */
int32_t tr_tps_grid(tr_graph *g, int32_t ctrl, int32_t coef, int32_t h, int32_t w,
                    int32_t align_corners);

/* f at arbitrary points: points (N, M, 2) or (1, M, 2) -> (N, M, 2). */
int32_t tr_tps_transform(tr_graph *g, int32_t ctrl, int32_t coef, int32_t points);

/* Rasterizes triangles tri (T, 3) i32 of vertices pos (N, V, P), P = 2, 3 or 4
 * (x, y in pixels of a top-down image, z depth, w > 0; kernels/cpu/raster.c)
 * into rast (N, h, w, 4) = (u, v, z, id+1). T < 2^24. When tri is a constant,
 * its indices are checked here; at run time bad triangles are skipped. */
int32_t tr_rasterize(tr_graph *g, int32_t pos, int32_t tri, int32_t h, int32_t w);

/* Coverage alpha (N, h, w, 1) of triangles [first, first+count) (count < 0:
 * to the end) with samples x samples sub-pixel samples, samples = 1, 2 or 4. */
int32_t tr_raster_coverage(tr_graph *g, int32_t pos, int32_t tri, int32_t h, int32_t w,
                           int32_t samples, int32_t first, int32_t count);

/* Attributes attr (N or 1, V, C) interpolated with rast (N, H, W, 4) of the
 * same tri -> (N, H, W, C). */
int32_t tr_interpolate(tr_graph *g, int32_t attr, int32_t rast, int32_t tri);

/* Texture tex (N or 1, TH, TW, C) sampled at uv (N, H, W, 2) -> (N, H, W, C). */
int32_t tr_texture(tr_graph *g, int32_t tex, int32_t uv, tr_tex_filter filter,
                   tr_tex_boundary boundary);

#endif /* TR_GRAPH_WARP_H */
