/* posenet_decode.c — PoseNet single- and multi-person decoding, as
 * tfjs-models' posenet 2.x decodeSinglePose / decodeMultiplePoses compute it
 * (NETS.md 3.6-3.7; semantics in kernels.h).
 *
 * Arithmetic follows the JavaScript: the single-pose position is a float32
 * add (tf.add of int*OS cast to float32 and the offset); everything in the
 * multi-pose decoder runs on JS numbers, i.e. doubles, reading float32 head
 * values; Math.round is round-half-up. Candidate order is the exact array
 * layout of tfjs-models' MaxHeap (max_heap.ts), whose sink/swim indexing is
 * unusual (node 0's children are 0 and 1), so equal scores dequeue in the
 * same order as in TF.js. The decoder is sequential: it is tiny next to the
 * network, and the heap order is inherently serial.
 * Tests: tests/test_posenet_decode.c (synthetic heatmaps with known answers),
 * tests/test_posenet.c (against tfjs-models on real images). */
#include <math.h>
#include <string.h>

#include "kernels.h"

enum { K = TR_POSENET_KEYPOINTS, E = TR_POSENET_EDGES };

/* poseChain (keypoints.ts): edge e goes from parent to child. Part ids: 0 nose,
 * 1/2 left/right eye, 3/4 ears, 5/6 shoulders, 7/8 elbows, 9/10 wrists,
 * 11/12 hips, 13/14 knees, 15/16 ankles. */
static const int8_t edge_parent[E] = {0, 1, 0, 2, 0, 5, 7, 5, 11, 13, 0, 6, 8, 6, 12, 14};
static const int8_t edge_child[E] = {1, 3, 2, 4, 5, 7, 9, 11, 13, 15, 6, 8, 10, 12, 14, 16};

typedef struct cand {
    float score;
    int32_t y, x, k;
} cand;

typedef struct kp {
    double y, x, score;
} kp;

int64_t tr_posenet_decode_ws_bytes(const tr_posenet_decode_desc *d) {
    if (!d->multi) return 0;
    return (int64_t)d->h * d->w * K * (int64_t)sizeof(cand) +
           (int64_t)d->max_poses * K * (int64_t)sizeof(kp);
}

/* ---- max-heap, index for index as in max_heap.ts --------------------------- */

typedef struct heap {
    cand *a;
    int64_t last; /* numberOfElements: index of the last element, -1 when empty */
} heap;

static inline int less(const heap *h, int64_t i, int64_t j) {
    return h->a[i].score < h->a[j].score;
}

static inline void exch(heap *h, int64_t i, int64_t j) {
    cand t = h->a[i];
    h->a[i] = h->a[j];
    h->a[j] = t;
}

static void heap_push(heap *h, cand c) {
    int64_t k = ++h->last;
    h->a[k] = c;
    while (k > 0 && less(h, k / 2, k)) { /* half(k) = floor(k / 2) */
        exch(h, k, k / 2);
        k /= 2;
    }
}

static cand heap_pop(heap *h) {
    cand top = h->a[0];
    exch(h, 0, h->last--);
    int64_t k = 0;
    while (2 * k <= h->last) {
        int64_t j = 2 * k;
        if (j < h->last && less(h, j, j + 1)) j++;
        if (!less(h, k, j)) break;
        exch(h, k, j);
        k = j;
    }
    return top;
}

/* ---- helpers ------------------------------------------------------------------ */

/* JavaScript Math.round: nearest integer, halves toward +infinity. */
static inline double js_round(double v) {
    double f = floor(v);
    return v - f >= 0.5 ? f + 1.0 : f;
}

static inline int32_t strided_index(double v, int32_t os, int32_t n) {
    double r = js_round(v / os);
    if (r < 0) return 0;
    if (r > n - 1) return n - 1;
    return (int32_t)r;
}

typedef struct heads {
    const tr_posenet_decode_desc *d;
    const float *scores, *offsets, *fwd, *bwd; /* one image */
} heads;

static inline float at(const heads *h, const float *t, int32_t c_count, int32_t y, int32_t x,
                       int32_t c) {
    return t[((int64_t)y * h->d->w + x) * c_count + c];
}

static void store(const tr_posenet_decode_desc *d, float *pose, const kp *kps, double score) {
    for (int32_t k = 0; k < K; k++) {
        pose[k * 3 + 0] = (float)(kps[k].x * d->scale_x + d->offset_x);
        pose[k * 3 + 1] = (float)(kps[k].y * d->scale_y + d->offset_y);
        pose[k * 3 + 2] = (float)kps[k].score;
    }
    pose[K * 3 + 0] = (float)score;
    pose[K * 3 + 1] = 1.0f;
    pose[K * 3 + 2] = 0.0f;
}

/* ---- single pose ------------------------------------------------------------- */

static void decode_single(const heads *h, float *out) {
    const tr_posenet_decode_desc *d = h->d;
    kp kps[K];
    double total = 0.0;
    for (int32_t k = 0; k < K; k++) {
        /* tf.argMax: the first maximum in row-major (y, x) order. */
        int64_t best = 0;
        float max = h->scores[k];
        for (int64_t i = 1; i < (int64_t)d->h * d->w; i++) {
            float v = h->scores[i * K + k];
            if (v > max) max = v, best = i;
        }
        int32_t y = (int32_t)(best / d->w), x = (int32_t)(best % d->w);
        /* getOffsetPoints: cast(int * OS, float32) + offset, a float32 add. */
        float py = (float)(y * d->output_stride) + at(h, h->offsets, 2 * K, y, x, k);
        float px = (float)(x * d->output_stride) + at(h, h->offsets, 2 * K, y, x, k + K);
        kps[k].y = py, kps[k].x = px, kps[k].score = max;
        total += max;
    }
    store(d, out, kps, total / K);
}

/* ---- multiple poses ---------------------------------------------------------- */

static int local_maximum(const heads *h, int32_t k, float score, int32_t y, int32_t x) {
    const tr_posenet_decode_desc *d = h->d;
    int32_t r = d->local_max_radius;
    int32_t y0 = y - r > 0 ? y - r : 0, y1 = y + r + 1 < d->h ? y + r + 1 : d->h;
    int32_t x0 = x - r > 0 ? x - r : 0, x1 = x + r + 1 < d->w ? x + r + 1 : d->w;
    for (int32_t yy = y0; yy < y1; yy++)
        for (int32_t xx = x0; xx < x1; xx++)
            if (at(h, h->scores, K, yy, xx, k) > score) return 0;
    return 1;
}

/* traverseToTargetKeypoint: follow edge e's displacement from src, then
 * refine on the target part's offsets. */
static kp traverse(const heads *h, int32_t e, const kp *src, int32_t target, const float *disp) {
    const tr_posenet_decode_desc *d = h->d;
    const int32_t os = d->output_stride;
    int32_t sy = strided_index(src->y, os, d->h), sx = strided_index(src->x, os, d->w);
    kp t;
    t.y = src->y + at(h, disp, 2 * E, sy, sx, e);
    t.x = src->x + at(h, disp, 2 * E, sy, sx, e + E);
    for (int32_t i = 0; i < d->refine_steps; i++) {
        int32_t ty = strided_index(t.y, os, d->h), tx = strided_index(t.x, os, d->w);
        t.y = (double)ty * os + at(h, h->offsets, 2 * K, ty, tx, target);
        t.x = (double)tx * os + at(h, h->offsets, 2 * K, ty, tx, target + K);
    }
    int32_t ty = strided_index(t.y, os, d->h), tx = strided_index(t.x, os, d->w);
    t.score = at(h, h->scores, K, ty, tx, target);
    return t;
}

static int within_nms(const kp *poses, int32_t n_poses, double sq_radius, double y, double x,
                      int32_t k) {
    for (int32_t p = 0; p < n_poses; p++) {
        double dy = poses[p * K + k].y - y, dx = poses[p * K + k].x - x;
        if (dy * dy + dx * dx <= sq_radius) return 1;
    }
    return 0;
}

static void decode_multi(const heads *h, void *ws, float *out) {
    const tr_posenet_decode_desc *d = h->d;
    const int32_t os = d->output_stride;
    heap q = {(cand *)ws, -1};
    kp *poses = (kp *)((cand *)ws + (int64_t)d->h * d->w * K);
    for (int32_t y = 0; y < d->h; y++)
        for (int32_t x = 0; x < d->w; x++)
            for (int32_t k = 0; k < K; k++) {
                float s = at(h, h->scores, K, y, x, k);
                if ((double)s < d->score_threshold) continue;
                if (local_maximum(h, k, s, y, x)) heap_push(&q, (cand){s, y, x, k});
            }
    const double sq = d->nms_radius * d->nms_radius;
    int32_t n = 0;
    while (n < d->max_poses && q.last >= 0) {
        cand root = heap_pop(&q);
        kp r;
        r.y = (double)root.y * os + at(h, h->offsets, 2 * K, root.y, root.x, root.k);
        r.x = (double)root.x * os + at(h, h->offsets, 2 * K, root.y, root.x, root.k + K);
        r.score = root.score;
        if (within_nms(poses, n, sq, r.y, r.x, root.k)) continue;
        kp *cur = poses + (int64_t)n * K;
        int known[K] = {0};
        cur[root.k] = r;
        known[root.k] = 1;
        for (int32_t e = E - 1; e >= 0; e--) { /* up the tree: backward displacements */
            int32_t s = edge_child[e], t = edge_parent[e];
            if (known[s] && !known[t]) {
                cur[t] = traverse(h, e, &cur[s], t, h->bwd);
                known[t] = 1;
            }
        }
        for (int32_t e = 0; e < E; e++) { /* down the tree: forward displacements */
            int32_t s = edge_parent[e], t = edge_child[e];
            if (known[s] && !known[t]) {
                cur[t] = traverse(h, e, &cur[s], t, h->fwd);
                known[t] = 1;
            }
        }
        double score = 0.0; /* getInstanceScore, against the poses before this one */
        for (int32_t k = 0; k < K; k++)
            if (!within_nms(poses, n, sq, cur[k].y, cur[k].x, k)) score += cur[k].score;
        store(d, out + (int64_t)n * (K + 1) * 3, cur, score / K);
        n++;
    }
}

void tr_cpu_posenet_decode(tr_pool *pool, const tr_posenet_decode_args *a) {
    (void)pool;
    const tr_posenet_decode_desc *d = &a->d;
    const int64_t hw = (int64_t)d->h * d->w;
    const int64_t slots = (int64_t)d->max_poses * (K + 1) * 3;
    memset(a->poses, 0, (size_t)(d->n * slots) * sizeof(float));
    for (int32_t n = 0; n < d->n; n++) {
        heads h = {d, a->scores + n * hw * K, a->offsets + n * hw * 2 * K,
                   d->multi ? a->disp_fwd + n * hw * 2 * E : NULL,
                   d->multi ? a->disp_bwd + n * hw * 2 * E : NULL};
        if (d->multi)
            decode_multi(&h, a->ws, a->poses + n * slots);
        else
            decode_single(&h, a->poses + n * slots);
    }
}
