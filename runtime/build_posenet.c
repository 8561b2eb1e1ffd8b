/* build_posenet.c — builder of the PoseNet decoding node (kernels.h,
 * tr_posenet_decode_desc). Checks the head shapes and the decoder options;
 * the kernel relies on them. Tests: tests/test_posenet_decode.c. */
#include <math.h>
#include <string.h>

#include "graph.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

/* 1 if t is an f32 (N, H, W, c) tensor matching ref's N, H, W (ref = -1: any). */
static int head_ok(tr_graph *g, const char *what, int32_t t, int32_t ref, int64_t c) {
    if (t < 0 || t >= g->n_tensors) {
        FAIL("posenet_decode: %s is not a tensor", what);
        return 0;
    }
    const tr_tensor *tt = &g->tensors[t];
    const tr_tensor *r = ref >= 0 ? &g->tensors[ref] : tt;
    if (tt->dtype != TRYON_DTYPE_F32 || tt->ndim != 4 || tt->shape[3] != c ||
        tt->shape[0] != r->shape[0] || tt->shape[1] != r->shape[1] || tt->shape[2] != r->shape[2]) {
        char s[96];
        FAIL("posenet_decode: %s '%s' is %s %s, expected F32 (N, H, W, %lld) like the scores", what,
             tt->name, tryon_dtype_name(tt->dtype), tr_shape_str(tt->ndim, tt->shape, s, sizeof s),
             (long long)c);
        return 0;
    }
    return 1;
}

int32_t tr_posenet_decode(tr_graph *g, int32_t scores, int32_t offsets, int32_t disp_fwd,
                          int32_t disp_bwd, const tr_posenet_decode_desc *d) {
    if (g->status != TRYON_OK) return -1;
    const int32_t K = TR_POSENET_KEYPOINTS, E = TR_POSENET_EDGES;
    if (!head_ok(g, "scores", scores, -1, K) || !head_ok(g, "offsets", offsets, scores, 2 * K))
        return -1;
    if (d->multi && (!head_ok(g, "displacement_fwd", disp_fwd, scores, 2 * E) ||
                     !head_ok(g, "displacement_bwd", disp_bwd, scores, 2 * E)))
        return -1;
    const int64_t *ss = g->tensors[scores].shape;
    if (ss[1] > INT32_MAX / 64 || ss[2] > INT32_MAX / 64 || ss[0] > INT32_MAX)
        return FAIL("posenet_decode: heads too large");
    if (d->output_stride < 1 || d->output_stride > 1024)
        return FAIL("posenet_decode: output stride %d outside 1..1024", d->output_stride);
    if (d->multi != 0 && d->multi != 1) return FAIL("posenet_decode: multi must be 0 or 1");
    if (d->max_poses < 1 || d->max_poses > 1000 || (!d->multi && d->max_poses != 1))
        return FAIL("posenet_decode: max_poses %d must be 1 (single) or 1..1000 (multi)",
                    d->max_poses);
    if (d->multi && (d->local_max_radius < 0 || d->local_max_radius > 64 || d->refine_steps < 0 ||
                     d->refine_steps > 64))
        return FAIL("posenet_decode: local maximum radius and refine steps must be in 0..64");
    if (d->multi &&
        !(isfinite(d->score_threshold) && isfinite(d->nms_radius) && d->nms_radius >= 0))
        return FAIL("posenet_decode: score threshold and NMS radius must be finite, radius >= 0");
    if (!(isfinite(d->scale_y) && isfinite(d->scale_x) && isfinite(d->offset_y) &&
          isfinite(d->offset_x)))
        return FAIL("posenet_decode: image mapping must be finite");
    tr_params p;
    memset(&p, 0, sizeof p);
    p.pose = *d;
    p.pose.n = (int32_t)ss[0], p.pose.h = (int32_t)ss[1], p.pose.w = (int32_t)ss[2];
    int64_t ys[4] = {ss[0], d->max_poses, K + 1, 3};
    int32_t src[4] = {scores, offsets, d->multi ? disp_fwd : -1, d->multi ? disp_bwd : -1};
    return tr_graph_add_node(g, TR_OP_POSENET_DECODE, src, 4, TRYON_DTYPE_F32, 4, ys, &p);
}
