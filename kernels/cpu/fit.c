/* fit.c — per-frame fitting stages of the try-on graph (kernels_fit.h):
 * garment-to-body control points for the thin-plate spline, the arm proxy
 * that puts arms in front of the garment's torso, and the shading transfer
 * with the final composite.
 *
 * Body model. Keypoints come from PoseNet in image pixels with pixel centres
 * at integers; the rasterizer puts them at +0.5, so 0.5 is added. The body's
 * left and right are assigned by image side (the shoulder with the smaller x
 * is the image's left), so a person seen from the back still gets the
 * garment's image-left side on the image-left shoulder. With shoulders BL, BR
 * (width sw), across = (BR - BL)/sw and down = across turned +90 degrees (y
 * points down), bent halfway towards the hips' midpoint when both hips are
 * seen and roughly below. The garment's shoulder anchors go to the shoulder
 * seams: 10% of sw beyond each shoulder keypoint and 5% up (sleeved tops;
 * PoseNet marks the joint, the seam sits outside and above it), or, for
 * straps, 55% of the way from the neck base to the shoulder and 10% up. The
 * garment's own frame (its shoulder line and its perpendicular) maps onto
 * the body's frame scaled by the ratio of the shoulder widths, which places
 * every torso anchor and keeps the garment's proportions. Each sleeve is laid
 * along its arm: the points halfway down the sleeve and at the cuff sit at
 * the garment's sleeve lengths (scaled) along the polyline shoulder seam ->
 * elbow -> wrist (continued straight past its end), with the sleeve's half
 * widths on both sides; without a seen elbow the sleeve follows the frame.
 * Tests: tests/test_fit.c. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

typedef struct vec2 {
    double x, y;
} vec2;

static vec2 v2(double x, double y) { return (vec2){x, y}; }
static vec2 add(vec2 a, vec2 b) { return v2(a.x + b.x, a.y + b.y); }
static vec2 sub(vec2 a, vec2 b) { return v2(a.x - b.x, a.y - b.y); }
static vec2 mul(vec2 a, double s) { return v2(a.x * s, a.y * s); }
static double dot(vec2 a, vec2 b) { return a.x * b.x + a.y * b.y; }
static double norm(vec2 a) { return sqrt(dot(a, a)); }
static vec2 unit(vec2 a) {
    double n = norm(a);
    return n > 0 ? mul(a, 1.0 / n) : v2(0, 0);
}
/* +90 degrees in a y-down image: (1, 0) -> (0, 1). */
static vec2 perp(vec2 a) { return v2(-a.y, a.x); }

typedef struct body {
    vec2 kp[17];
    int seen[17];
} body;

static void read_body(const float *pose, float min_score, body *b) {
    for (int k = 0; k < 17; k++) {
        const float *p = pose + k * 3;
        b->kp[k] = v2(p[0] + 0.5, p[1] + 0.5);
        b->seen[k] = p[2] >= min_score && isfinite(p[0]) && isfinite(p[1]);
    }
}

/* Keypoints of the image-left (side 0) or image-right (side 1) shoulder chain. */
typedef struct arm {
    int shoulder, elbow, wrist, hip;
} arm;

static void arms_by_side(const body *b, arm out[2]) {
    arm l = {TR_KP_L_SHOULDER, TR_KP_L_ELBOW, TR_KP_L_WRIST, TR_KP_L_HIP};
    arm r = {TR_KP_R_SHOULDER, TR_KP_R_ELBOW, TR_KP_R_WRIST, TR_KP_R_HIP};
    int r_first = b->kp[TR_KP_R_SHOULDER].x <= b->kp[TR_KP_L_SHOULDER].x;
    out[0] = r_first ? r : l;
    out[1] = r_first ? l : r;
}

static vec2 anchor(const float *a, int k) { return v2(a[k * 3], a[k * 3 + 1]); }
static int present(const float *a, int k) { return a[k * 3 + 2] > 0; }

/* Point at arc length s along the polyline p[0..n) (n >= 2), continued past
 * its end; *dir gets the unit direction there. */
static vec2 along(const vec2 *p, int n, double s, vec2 *dir) {
    for (int i = 0; i + 1 < n; i++) {
        vec2 seg = sub(p[i + 1], p[i]);
        double len = norm(seg);
        if (len <= 0) continue;
        *dir = mul(seg, 1.0 / len);
        if (s <= len || i + 2 == n) return add(p[i], mul(*dir, s));
        s -= len;
    }
    *dir = v2(0, 1);
    return add(p[0], mul(*dir, s));
}

typedef struct frame {
    vec2 origin, across, down; /* unit vectors */
    double width;              /* shoulder width */
    double pit_v;              /* body: the armpits' depth below the shoulders, in widths */
} frame;

/* A flat-laid garment is as long as on the body but wider: on a body it
 * wraps around the sides, so its visible torso is narrower (by NARROW below
 * the armpits, easing in from the shoulders, which stay put) and it hangs
 * longer relative to the shoulder width (by DRAPE). */
#define DRAPE  1.15
#define NARROW 0.90
/* Sleeves are laid 20% wider than flat: a fitted sleeve in a photo is
 * narrower than the arm it has to cover in the image, shoulder included. */
#define SLEEVE_EASE 1.2

static vec2 to_body(const frame *g, const frame *b, vec2 p) {
    vec2 q = sub(p, g->origin);
    double u = dot(q, g->across) / g->width, v = dot(q, g->down) / g->width;
    double t = b->pit_v > 0 ? v / b->pit_v : 1.0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ku = 1.0 - (1.0 - NARROW) * t;
    return add(b->origin,
               add(mul(b->across, u * ku * b->width), mul(b->down, v * DRAPE * b->width)));
}

static void controls_one(const tr_fit_controls_desc *d, const float *pose, const float *a,
                         const float *placement, float *y) {
    const int K = TR_ANCHOR_COUNT;
    memset(y, 0, TR_ANCHOR_ROWS * 5 * sizeof *y);
    vec2 tgt[TR_ANCHOR_COUNT];
    int use[TR_ANCHOR_COUNT];
    for (int k = 0; k < K; k++) {
        use[k] = present(a, k);
        tgt[k] = anchor(a, k);
        y[k * 5 + 0] = (float)(2.0 * a[k * 3] / d->tex_w - 1.0);
        y[k * 5 + 1] = (float)(2.0 * a[k * 3 + 1] / d->tex_h - 1.0);
    }
    body b;
    read_body(pose, d->min_score, &b);
    arm arms[2];
    arms_by_side(&b, arms);
    const int found = a[K * 3] > 0, sleeves = a[K * 3 + 1] > 0, straps = a[K * 3 + 2] > 0;
    int valid = found && b.seen[arms[0].shoulder] && b.seen[arms[1].shoulder];
    vec2 BL = b.kp[arms[0].shoulder], BR = b.kp[arms[1].shoulder];
    double sw = norm(sub(BR, BL));
    valid = valid && sw > 1e-3;
    if (!valid) goto done;

    /* Body frame from the shoulder seams. */
    vec2 across = mul(sub(BR, BL), 1.0 / sw), down = perp(across), mid = mul(add(BL, BR), 0.5);
    if (b.seen[arms[0].hip] && b.seen[arms[1].hip]) {
        vec2 hip_dir = unit(sub(mul(add(b.kp[arms[0].hip], b.kp[arms[1].hip]), 0.5), mid));
        if (dot(hip_dir, down) > 0.5) down = unit(add(down, hip_dir));
    }
    vec2 seam[2];
    if (straps) {
        vec2 neck = sub(mid, mul(down, 0.10 * sw));
        seam[0] = sub(add(neck, mul(sub(BL, neck), 0.55)), mul(down, 0.10 * sw));
        seam[1] = sub(add(neck, mul(sub(BR, neck), 0.55)), mul(down, 0.10 * sw));
    } else {
        seam[0] = sub(sub(BL, mul(across, 0.10 * sw)), mul(down, 0.05 * sw));
        seam[1] = sub(add(BR, mul(across, 0.10 * sw)), mul(down, 0.05 * sw));
    }
    /* The frame's reference pair: the shoulders, or for straps (which lie
     * spread out in a photo) the armpits, where the body is about the
     * shoulder keypoints' width, 30% of it below them. */
    int ref = straps ? TR_ANCHOR_PIT_L : TR_ANCHOR_SHOULDER_L;
    if (!present(a, ref) || !present(a, ref + 1)) {
        valid = 0;
        goto done;
    }
    vec2 GL = anchor(a, ref), GR = anchor(a, ref + 1), TL = seam[0], TR = seam[1];
    if (straps) TL = add(BL, mul(down, 0.30 * sw)), TR = add(BR, mul(down, 0.30 * sw));
    frame gf, bf;
    gf.width = norm(sub(GR, GL));
    if (!(gf.width > 1e-3)) {
        valid = 0;
        goto done;
    }
    gf.origin = mul(add(GL, GR), 0.5);
    gf.across = mul(sub(GR, GL), 1.0 / gf.width);
    gf.down = perp(gf.across);
    bf.width = norm(sub(TR, TL));
    bf.origin = mul(add(TL, TR), 0.5);
    bf.across = unit(sub(TR, TL));
    bf.down = down;
    gf.pit_v = 0.0;
    if (!straps && present(a, TR_ANCHOR_PIT_L) && present(a, TR_ANCHOR_PIT_R))
        gf.pit_v = 0.5 *
                   dot(sub(add(anchor(a, TR_ANCHOR_PIT_L), anchor(a, TR_ANCHOR_PIT_R)),
                           mul(gf.origin, 2.0)),
                       gf.down) /
                   gf.width;
    bf.pit_v = gf.pit_v;
    /* The scale: the shoulders' alone overestimates a garment's shoulders (the
     * outer edge at the shoulder row is already on the sleeve's cap), so it is
     * averaged with the chest's: the flat garment's armpit-to-armpit width
     * (times NARROW) against the shoulder keypoints' distance. */
    if (!straps && present(a, TR_ANCHOR_PIT_L) && present(a, TR_ANCHOR_PIT_R)) {
        double pits = norm(sub(anchor(a, TR_ANCHOR_PIT_R), anchor(a, TR_ANCHOR_PIT_L)));
        if (pits > 1e-3) bf.width = 0.5 * (bf.width + gf.width * sw / (pits * NARROW));
    }
    const double scale = bf.width / gf.width;
    for (int k = 0; k < K; k++)
        if (use[k]) tgt[k] = to_body(&gf, &bf, tgt[k]);
    if (straps) tgt[TR_ANCHOR_SHOULDER_L] = seam[0], tgt[TR_ANCHOR_SHOULDER_R] = seam[1];

    /* Sleeves along the arms. */
    for (int side = 0; sleeves && side < 2; side++) {
        const arm *ar = &arms[side];
        const int in_mid = side ? TR_ANCHOR_SLEEVE_IN_R : TR_ANCHOR_SLEEVE_IN_L;
        const int in_cuff = side ? TR_ANCHOR_CUFF_IN_R : TR_ANCHOR_CUFF_IN_L;
        if (!b.seen[ar->elbow] || !present(a, in_mid) || !present(a, in_mid + 1) ||
            !present(a, in_cuff) || !present(a, in_cuff + 1))
            continue;
        vec2 sh = anchor(a, TR_ANCHOR_SHOULDER_L + side);
        vec2 mc = mul(add(anchor(a, in_mid), anchor(a, in_mid + 1)), 0.5);
        vec2 cc = mul(add(anchor(a, in_cuff), anchor(a, in_cuff + 1)), 0.5);
        double l1 = norm(sub(mc, sh)) * scale, l2 = norm(sub(cc, mc)) * scale;
        double h1 = 0.5 * SLEEVE_EASE * norm(sub(anchor(a, in_mid + 1), anchor(a, in_mid))) * scale;
        double h2 =
            0.5 * SLEEVE_EASE * norm(sub(anchor(a, in_cuff + 1), anchor(a, in_cuff))) * scale;
        vec2 chain[3] = {seam[side], b.kp[ar->elbow], b.kp[ar->wrist]};
        int n = b.seen[ar->wrist] ? 3 : 2;
        vec2 t1, t2;
        vec2 p1 = along(chain, n, l1, &t1), p2 = along(chain, n, l1 + l2, &t2);
        /* Outward normal: left of the direction of travel on the image-left
         * arm, right of it on the image-right arm. */
        vec2 o1 = side ? mul(perp(t1), -1.0) : perp(t1), o2 = side ? mul(perp(t2), -1.0) : perp(t2);
        tgt[in_mid] = sub(p1, mul(o1, h1));
        tgt[in_mid + 1] = add(p1, mul(o1, h1));
        tgt[in_cuff] = sub(p2, mul(o2, h2));
        tgt[in_cuff + 1] = add(p2, mul(o2, h2));
    }

    /* Placement: scale and rotate about the garment's centre on the body, then shift. */
    {
        double s = placement[0], rot = placement[1] * (M_PI / 180.0);
        if (!(isfinite(s) && s > 0)) s = 1.0;
        if (!isfinite(rot)) rot = 0.0;
        double cs = cos(rot) * s, sn = sin(rot) * s;
        vec2 c = to_body(&gf, &bf, add(gf.origin, mul(gf.down, 0.5 * gf.width)));
        vec2 shift = v2(isfinite(placement[2]) ? placement[2] : 0,
                        isfinite(placement[3]) ? placement[3] : 0);
        for (int k = 0; k < K; k++) {
            vec2 q = sub(tgt[k], c);
            tgt[k] = add(add(c, v2(cs * q.x - sn * q.y, sn * q.x + cs * q.y)), shift);
        }
    }
done:
    for (int k = 0; k < K; k++) {
        y[k * 5 + 2] = (float)tgt[k].x;
        y[k * 5 + 3] = (float)tgt[k].y;
        y[k * 5 + 4] = valid && use[k] ? 1.0f : 0.0f;
    }
    y[K * 5 + 0] = valid ? 1.0f : 0.0f;
    y[K * 5 + 1] = valid ? (float)sw : 0.0f;
}

void tr_cpu_fit_controls_f32(tr_pool *pool, const tr_fit_controls_desc *d, const float *poses,
                             const float *anchors, const float *placement, float *y) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++)
        controls_one(d, poses + (int64_t)n * d->p * 18 * 3, anchors, placement,
                     y + (int64_t)n * TR_ANCHOR_ROWS * 5);
}

/* ---- body proxy ------------------------------------------------------------ */

static void quad(vec2 a, vec2 b, double half, double z, int ok, float *v) {
    vec2 n = mul(perp(unit(sub(b, a))), half);
    vec2 p[4] = {sub(a, n), add(a, n), add(b, n), sub(b, n)};
    for (int i = 0; i < 4; i++) {
        v[i * 3 + 0] = ok ? (float)p[i].x : 0.0f;
        v[i * 3 + 1] = ok ? (float)p[i].y : 0.0f;
        v[i * 3 + 2] = (float)z;
    }
}

void tr_cpu_body_proxy_f32(tr_pool *pool, const tr_body_proxy_desc *d, const float *poses,
                           float *y) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++) {
        body b;
        read_body(poses + (int64_t)n * d->p * 18 * 3, d->min_score, &b);
        arm arms[2];
        arms_by_side(&b, arms);
        float *out = y + (int64_t)n * TR_PROXY_VERTICES * 3;
        double sw = norm(sub(b.kp[arms[1].shoulder], b.kp[arms[0].shoulder]));
        int shoulders = b.seen[arms[0].shoulder] && b.seen[arms[1].shoulder] && sw > 1e-3;
        for (int side = 0; side < 2; side++) {
            const arm *ar = &arms[side];
            vec2 s = b.kp[ar->shoulder], e = b.kp[ar->elbow], w = b.kp[ar->wrist];
            int upper = shoulders && b.seen[ar->elbow];
            int fore = upper && b.seen[ar->wrist];
            /* The upper arm starts below the shoulder so that it does not cut
             * into the garment's shoulder; the forearm covers the hand too. */
            quad(add(s, mul(sub(e, s), 0.5)), e, 0.12 * sw, d->z, upper, out + (side * 2) * 12);
            quad(e, add(w, mul(unit(sub(w, e)), 0.15 * sw)), 0.10 * sw, d->z, fore,
                 out + (side * 2 + 1) * 12);
        }
    }
}

void tr_body_proxy_tri(int32_t first, int32_t tri[TR_PROXY_TRIANGLES][3]) {
    for (int s = 0; s < TR_PROXY_SEGMENTS; s++) {
        int32_t v = first + 4 * s;
        tri[2 * s][0] = v, tri[2 * s][1] = v + 1, tri[2 * s][2] = v + 2;
        tri[2 * s + 1][0] = v, tri[2 * s + 1][1] = v + 2, tri[2 * s + 1][2] = v + 3;
    }
}

/* ---- shading and composite ------------------------------------------------- */

int64_t tr_shade_composite_ws_bytes(const tr_shade_composite_desc *d) {
    return (int64_t)d->n * d->h * 2 * (int64_t)sizeof(double);
}

typedef struct comp_job {
    const tr_shade_composite_desc *d;
    const float *person, *layer, *lum;
    double *partial; /* (N, H, 2): per-row sum(lum * a), sum(a) */
    uint8_t *y;
} comp_job;

static void comp_sums(void *arg, int64_t begin, int64_t end) {
    const comp_job *j = arg;
    const int64_t W = j->d->w;
    for (int64_t r = begin; r < end; r++) {
        double sl = 0, sa = 0;
        for (int64_t x = 0; x < W; x++) {
            double a = j->layer[(r * W + x) * 4 + 3];
            sl += j->lum[r * W + x] * a;
            sa += a;
        }
        j->partial[2 * r] = sl, j->partial[2 * r + 1] = sa;
    }
}

static void comp_pixels(void *arg, int64_t begin, int64_t end) {
    const comp_job *j = arg;
    const tr_shade_composite_desc *d = j->d;
    const int64_t W = d->w;
    for (int64_t r = begin; r < end; r++) {
        double m = j->partial[2 * ((r / d->h) * d->h)]; /* the image's mean, stored at its row 0 */
        for (int64_t x = 0; x < W; x++) {
            int64_t p = r * W + x;
            const float *L = j->layer + p * 4;
            double a = L[3], s = 1.0, lum = j->lum[p];
            if (a == 0 && L[0] == 0 && L[1] == 0 && L[2] == 0) { /* no garment: the person */
                for (int c = 0; c < 3; c++) {
                    double v = j->person[p * 3 + c];
                    j->y[p * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : floor(v + 0.5));
                }
                continue;
            }
            if (m > 0 && lum > 0) {
                s = pow(lum / m, d->strength);
                s = s < d->lo ? d->lo : s > d->hi ? d->hi : s;
            }
            for (int c = 0; c < 3; c++) {
                double v = j->person[p * 3 + c] * (1.0 - a) + 255.0 * L[c] * s;
                v = v < 0 ? 0 : v > 255 ? 255 : floor(v + 0.5);
                j->y[p * 3 + c] = (uint8_t)v;
            }
        }
    }
}

void tr_cpu_shade_composite_f32(tr_pool *pool, const tr_shade_composite_desc *d,
                                const float *person, const float *layer, const float *lum, void *ws,
                                uint8_t *y) {
    comp_job j = {d, person, layer, lum, ws, y};
    const int64_t rows = (int64_t)d->n * d->h;
    tr_pool_for(pool, rows, 8, comp_sums, &j);
    /* Each image's rows summed in order (thread-count independent), the mean
     * stored in its first row's slot for the second pass. */
    for (int64_t n = 0; n < d->n; n++) {
        double sl = 0, sa = 0;
        for (int64_t r = n * d->h; r < (n + 1) * d->h; r++)
            sl += j.partial[2 * r], sa += j.partial[2 * r + 1];
        j.partial[2 * n * d->h] = sa > 0 ? sl / sa : 0.0;
    }
    tr_pool_for(pool, rows, 8, comp_pixels, &j);
}
