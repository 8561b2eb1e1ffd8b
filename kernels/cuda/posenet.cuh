/* posenet.cuh — device code of PoseNet decoding (kernels/cpu/posenet_decode.c,
 * whose comments give the tfjs-models semantics). F32 storage only (the
 * backend runs this op in F32 whatever the precision).
 *   single  per part, the first maximum of its score map (a block-wide
 *           (value, index) reduction: larger value, then smaller index; NaN
 *           scores never win, and a NaN at index 0 wins as on the CPU, whose
 *           scan starts from it), then the CPU's float/double arithmetic;
 *   multi   root candidates (score >= threshold and local maximum) are marked
 *           in parallel, in place in the workspace that then holds the heap;
 *           one thread pushes them in scan order into the max-heap (index for
 *           index tfjs-models' max_heap.ts) and runs the sequential decoder.
 * Images of a batch are decoded one after another by one block (they share
 * the planned workspace). */
#ifndef TR_CUDA_POSENET_CUH
#define TR_CUDA_POSENET_CUH

#include "common.cuh"

#define TR_PN_K TR_POSENET_KEYPOINTS
#define TR_PN_E TR_POSENET_EDGES

typedef struct tr_pn_cand {
    float score;
    int32_t y, x, k; /* k = -1: not a candidate (marking pass) */
} tr_pn_cand;

typedef struct tr_pn_kp {
    double y, x, score;
} tr_pn_kp;

typedef struct tr_pn_heads {
    tr_posenet_decode_desc d;
    const float *scores, *offsets, *fwd, *bwd; /* one image */
} tr_pn_heads;

TR_HD float tr_pn_at(const tr_pn_heads &h, const float *t, int32_t c_count, int32_t y, int32_t x,
                     int32_t c) {
    return t[((int64_t)y * h.d.w + x) * c_count + c];
}

/* JavaScript Math.round: nearest integer, halves toward +infinity. */
TR_HD double tr_pn_js_round(double v) {
    double f = floor(v);
    return v - f >= 0.5 ? f + 1.0 : f;
}

TR_HD int32_t tr_pn_strided(double v, int32_t os, int32_t n) {
    double r = tr_pn_js_round(v / os);
    if (r < 0) return 0;
    if (r > n - 1) return n - 1;
    return (int32_t)r;
}

TR_HD void tr_pn_store(const tr_posenet_decode_desc &d, float *pose, const tr_pn_kp *kps,
                       double score) {
    for (int32_t k = 0; k < TR_PN_K; k++) {
        pose[k * 3 + 0] = (float)(kps[k].x * d.scale_x + d.offset_x);
        pose[k * 3 + 1] = (float)(kps[k].y * d.scale_y + d.offset_y);
        pose[k * 3 + 2] = (float)kps[k].score;
    }
    pose[TR_PN_K * 3 + 0] = (float)score;
    pose[TR_PN_K * 3 + 1] = 1.0f;
    pose[TR_PN_K * 3 + 2] = 0.0f;
}

/* ---- single pose ---------------------------------------------------------- */

/* Whether candidate (v, i) beats the current best (bv, bi); bi < 0 = none. */
TR_HD int tr_pn_better(float v, int64_t i, float bv, int64_t bi) {
    if (i < 0 || v != v) return 0;
    if (bi < 0) return 1;
    return v > bv || (v == bv && i < bi);
}

/* Position and score of part k once its argmax `best` (max `mx`) is known. */
TR_HD void tr_pn_single_part(const tr_pn_heads &h, int32_t k, int64_t best, float mx,
                             tr_pn_kp *kp) {
    int32_t y = (int32_t)(best / h.d.w), x = (int32_t)(best % h.d.w);
    float py = (float)(y * h.d.output_stride) + tr_pn_at(h, h.offsets, 2 * TR_PN_K, y, x, k);
    float px = (float)(x * h.d.output_stride) + tr_pn_at(h, h.offsets, 2 * TR_PN_K, y, x, k + TR_PN_K);
    kp->y = py, kp->x = px, kp->score = mx;
}

/* ---- multiple poses --------------------------------------------------------- */

TR_HD int tr_pn_local_max(const tr_pn_heads &h, int32_t k, float score, int32_t y, int32_t x) {
    const tr_posenet_decode_desc &d = h.d;
    int32_t r = d.local_max_radius;
    int32_t y0 = y - r > 0 ? y - r : 0, y1 = y + r + 1 < d.h ? y + r + 1 : d.h;
    int32_t x0 = x - r > 0 ? x - r : 0, x1 = x + r + 1 < d.w ? x + r + 1 : d.w;
    for (int32_t yy = y0; yy < y1; yy++)
        for (int32_t xx = x0; xx < x1; xx++)
            if (tr_pn_at(h, h.scores, TR_PN_K, yy, xx, k) > score) return 0;
    return 1;
}

/* Marking pass, item i = (y*W + x)*K + k (the CPU's scan order). */
TR_HD void tr_pn_mark(const tr_pn_heads &h, tr_pn_cand *ws, int64_t i) {
    const int32_t k = (int32_t)(i % TR_PN_K), x = (int32_t)(i / TR_PN_K % h.d.w);
    const int32_t y = (int32_t)(i / TR_PN_K / h.d.w);
    float s = tr_pn_at(h, h.scores, TR_PN_K, y, x, k);
    tr_pn_cand c = {s, y, x, -1};
    if (!((double)s < h.d.score_threshold) && tr_pn_local_max(h, k, s, y, x)) c.k = k;
    ws[i] = c;
}

TR_HD void tr_pn_exch(tr_pn_cand *a, int64_t i, int64_t j) {
    tr_pn_cand t = a[i];
    a[i] = a[j];
    a[j] = t;
}

TR_HD int tr_pn_less(const tr_pn_cand *a, int64_t i, int64_t j) { return a[i].score < a[j].score; }

TR_HD void tr_pn_push(tr_pn_cand *a, int64_t *last, tr_pn_cand c) {
    int64_t k = ++*last;
    a[k] = c;
    while (k > 0 && tr_pn_less(a, k / 2, k)) {
        tr_pn_exch(a, k, k / 2);
        k /= 2;
    }
}

TR_HD tr_pn_cand tr_pn_pop(tr_pn_cand *a, int64_t *last) {
    tr_pn_cand top = a[0];
    tr_pn_exch(a, 0, (*last)--);
    int64_t k = 0;
    while (2 * k <= *last) {
        int64_t j = 2 * k;
        if (j < *last && tr_pn_less(a, j, j + 1)) j++;
        if (!tr_pn_less(a, k, j)) break;
        tr_pn_exch(a, k, j);
        k = j;
    }
    return top;
}

TR_HD tr_pn_kp tr_pn_traverse(const tr_pn_heads &h, int32_t e, const tr_pn_kp *src, int32_t target,
                              const float *disp) {
    const tr_posenet_decode_desc &d = h.d;
    const int32_t os = d.output_stride;
    int32_t sy = tr_pn_strided(src->y, os, d.h), sx = tr_pn_strided(src->x, os, d.w);
    tr_pn_kp t;
    t.y = src->y + tr_pn_at(h, disp, 2 * TR_PN_E, sy, sx, e);
    t.x = src->x + tr_pn_at(h, disp, 2 * TR_PN_E, sy, sx, e + TR_PN_E);
    for (int32_t i = 0; i < d.refine_steps; i++) {
        int32_t ty = tr_pn_strided(t.y, os, d.h), tx = tr_pn_strided(t.x, os, d.w);
        t.y = (double)ty * os + tr_pn_at(h, h.offsets, 2 * TR_PN_K, ty, tx, target);
        t.x = (double)tx * os + tr_pn_at(h, h.offsets, 2 * TR_PN_K, ty, tx, target + TR_PN_K);
    }
    int32_t ty = tr_pn_strided(t.y, os, d.h), tx = tr_pn_strided(t.x, os, d.w);
    t.score = tr_pn_at(h, h.scores, TR_PN_K, ty, tx, target);
    return t;
}

TR_HD int tr_pn_within_nms(const tr_pn_kp *poses, int32_t n_poses, double sq_radius, double y,
                           double x, int32_t k) {
    for (int32_t p = 0; p < n_poses; p++) {
        double dy = poses[p * TR_PN_K + k].y - y, dx = poses[p * TR_PN_K + k].x - x;
        if (dy * dy + dx * dx <= sq_radius) return 1;
    }
    return 0;
}

/* The sequential part of decodeMultiplePoses, after tr_pn_mark ran for every
 * item: out holds max_poses zeroed slots. */
TR_HD void tr_pn_decode_multi(const tr_pn_heads &h, void *ws, float *out) {
    /* poseChain (keypoints.ts): edge e goes from parent to child. */
    const int8_t parent[TR_PN_E] = {0, 1, 0, 2, 0, 5, 7, 5, 11, 13, 0, 6, 8, 6, 12, 14};
    const int8_t child[TR_PN_E] = {1, 3, 2, 4, 5, 7, 9, 11, 13, 15, 6, 8, 10, 12, 14, 16};
    const tr_posenet_decode_desc &d = h.d;
    const int32_t os = d.output_stride;
    const int64_t items = (int64_t)d.h * d.w * TR_PN_K;
    tr_pn_cand *q = (tr_pn_cand *)ws;
    tr_pn_kp *poses = (tr_pn_kp *)(q + items);
    int64_t last = -1;
    /* Heap writes stay at indices <= the item being read: in place is safe. */
    for (int64_t i = 0; i < items; i++) {
        tr_pn_cand c = q[i];
        if (c.k >= 0) tr_pn_push(q, &last, c);
    }
    const double sq = d.nms_radius * d.nms_radius;
    int32_t n = 0;
    while (n < d.max_poses && last >= 0) {
        tr_pn_cand root = tr_pn_pop(q, &last);
        tr_pn_kp r;
        r.y = (double)root.y * os + tr_pn_at(h, h.offsets, 2 * TR_PN_K, root.y, root.x, root.k);
        r.x = (double)root.x * os +
              tr_pn_at(h, h.offsets, 2 * TR_PN_K, root.y, root.x, root.k + TR_PN_K);
        r.score = root.score;
        if (tr_pn_within_nms(poses, n, sq, r.y, r.x, root.k)) continue;
        tr_pn_kp *cur = poses + (int64_t)n * TR_PN_K;
        int known[TR_PN_K];
        for (int32_t k = 0; k < TR_PN_K; k++) known[k] = 0;
        cur[root.k] = r;
        known[root.k] = 1;
        for (int32_t e = TR_PN_E - 1; e >= 0; e--) {
            int32_t s = child[e], t = parent[e];
            if (known[s] && !known[t]) {
                cur[t] = tr_pn_traverse(h, e, &cur[s], t, h.bwd);
                known[t] = 1;
            }
        }
        for (int32_t e = 0; e < TR_PN_E; e++) {
            int32_t s = parent[e], t = child[e];
            if (known[s] && !known[t]) {
                cur[t] = tr_pn_traverse(h, e, &cur[s], t, h.fwd);
                known[t] = 1;
            }
        }
        double score = 0.0;
        for (int32_t k = 0; k < TR_PN_K; k++)
            if (!tr_pn_within_nms(poses, n, sq, cur[k].y, cur[k].x, k)) score += cur[k].score;
        tr_pn_store(d, out + (int64_t)n * (TR_PN_K + 1) * 3, cur, score / TR_PN_K);
        n++;
    }
}

TR_HD tr_pn_heads tr_pn_image(const tr_posenet_decode_desc &d, const float *scores,
                              const float *offsets, const float *fwd, const float *bwd, int32_t n) {
    const int64_t hw = (int64_t)d.h * d.w;
    tr_pn_heads h;
    h.d = d;
    h.scores = scores + n * hw * TR_PN_K;
    h.offsets = offsets + n * hw * 2 * TR_PN_K;
    h.fwd = d.multi ? fwd + n * hw * 2 * TR_PN_E : NULL;
    h.bwd = d.multi ? bwd + n * hw * 2 * TR_PN_E : NULL;
    return h;
}

#endif /* TR_CUDA_POSENET_CUH */
