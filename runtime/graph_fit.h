/* graph_fit.h — graph builders of the try-on ops: garment preparation (mask,
 * morphology, clean-up, anchors, sleeve weights, mesh triangles) and the
 * fitting stages (control points, body proxy, shading composite). Kernel
 * semantics: kernels/kernels_fit.h. Builders check every operand and return
 * the output tensor id or -1 with the error recorded on the graph (sticky).
 * Implemented in runtime/build_fit.c; the CPU adapters in runtime/ops_fit.c.
 * Tests: tests/test_garment.c, tests/test_fit.c. */
#ifndef TR_GRAPH_FIT_H
#define TR_GRAPH_FIT_H

#include "graph.h"

/* x (N, H, W, C) f32 0..255 -> mask (N, H, W, 1) 0/1 (kernels_fit.h). */
int32_t tr_bg_mask(tr_graph *g, int32_t x, tr_bg_mask_mode mode, float threshold);
/* Square-window erosion or dilation of radius r >= 1, any f32 (N, H, W, C). */
int32_t tr_morph(tr_graph *g, int32_t x, tr_morph_op op, int32_t radius);
/* Largest component with its holes filled, mask (N, H, W, 1). */
int32_t tr_mask_clean(tr_graph *g, int32_t mask);
/* mask (N, H, W, 1) -> anchors (N, TR_ANCHOR_ROWS, 3). */
int32_t tr_garment_anchors(tr_graph *g, int32_t mask);
/* anchors (N, TR_ANCHOR_ROWS, 3), points (1, V, 2) -> (N, V, 1). */
int32_t tr_sleeve_weight(tr_graph *g, int32_t anchors, int32_t points, float soft);
/* mask (1, H, W, 1) -> tri (2*gx*gy, 3) I32 of the gx x gy grid mesh. */
int32_t tr_garment_tri(tr_graph *g, int32_t mask, int32_t gx, int32_t gy);

/* poses (N, P, 18, 3), anchors (1, TR_ANCHOR_ROWS, 3), placement (4) ->
 * (N, TR_ANCHOR_ROWS, 5), for a (tex_h, tex_w) garment texture. */
int32_t tr_fit_controls(tr_graph *g, int32_t poses, int32_t anchors, int32_t placement,
                        int32_t tex_h, int32_t tex_w, float min_score);
/* poses (N, P, 18, 3) -> (N, TR_PROXY_VERTICES, 3) at depth z. */
int32_t tr_body_proxy(tr_graph *g, int32_t poses, float min_score, float z);
/* person (N, H, W, 3), layer (N, H, W, 4) premultiplied, lum (N, H, W, 1) ->
 * (N, H, W, 3) U8. */
int32_t tr_shade_composite(tr_graph *g, int32_t person, int32_t layer, int32_t lum, float strength,
                           float lo, float hi);

/* CPU op adapters (runtime/ops_fit.c), named in tr_op_table. */
tryon_status tr_cpu_op_bg_mask(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_morph(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_mask_clean(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_garment_anchors(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_sleeve_weight(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_garment_tri(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_fit_controls(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_body_proxy(const tr_exec *ex, const tr_node *n);
tryon_status tr_cpu_op_shade_composite(const tr_exec *ex, const tr_node *n);

#endif /* TR_GRAPH_FIT_H */
