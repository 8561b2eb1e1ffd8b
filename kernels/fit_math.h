/* fit_math.h — the per-pose and per-pixel math of the fitting stages
 * (fit_controls, body_proxy, shade_composite; the body model is described in
 * kernels/cpu/fit.c), written once for both backends: kernels/cpu/fit.c
 * compiles it as static inline C, kernels/cuda/fit.cuh as host-device code
 * (TR_HD from kernels/cuda/common.cuh). Double arithmetic throughout; only
 * libm's cos/sin/pow may differ between the two (CUDA's within 2 ulp). */
#ifndef TR_FIT_MATH_H
#define TR_FIT_MATH_H

#include <math.h>
#include <stdint.h>

#include "kernels_fit.h"

#ifndef TR_HD
#define TR_HD static inline
#endif

typedef struct tr_v2 {
    double x, y;
} tr_v2;

TR_HD tr_v2 tr_v2_make(double x, double y) {
    tr_v2 v;
    v.x = x, v.y = y;
    return v;
}
TR_HD tr_v2 tr_v2_add(tr_v2 a, tr_v2 b) { return tr_v2_make(a.x + b.x, a.y + b.y); }
TR_HD tr_v2 tr_v2_sub(tr_v2 a, tr_v2 b) { return tr_v2_make(a.x - b.x, a.y - b.y); }
TR_HD tr_v2 tr_v2_mul(tr_v2 a, double s) { return tr_v2_make(a.x * s, a.y * s); }
TR_HD double tr_v2_dot(tr_v2 a, tr_v2 b) { return a.x * b.x + a.y * b.y; }
TR_HD double tr_v2_norm(tr_v2 a) { return sqrt(tr_v2_dot(a, a)); }
TR_HD tr_v2 tr_v2_unit(tr_v2 a) {
    double n = tr_v2_norm(a);
    return n > 0 ? tr_v2_mul(a, 1.0 / n) : tr_v2_make(0, 0);
}
TR_HD tr_v2 tr_v2_perp(tr_v2 a) { return tr_v2_make(-a.y, a.x); }

typedef struct tr_body {
    tr_v2 kp[17];
    int seen[17];
} tr_body;

TR_HD void tr_read_body(const float *pose, float min_score, tr_body *b) {
    for (int k = 0; k < 17; k++) {
        const float *p = pose + k * 3;
        b->kp[k] = tr_v2_make(p[0] + 0.5, p[1] + 0.5);
        b->seen[k] = p[2] >= min_score && isfinite(p[0]) && isfinite(p[1]);
    }
}

typedef struct tr_arm {
    int shoulder, elbow, wrist, hip;
} tr_arm;

TR_HD void tr_arms_by_side(const tr_body *b, tr_arm out[2]) {
    tr_arm l = {TR_KP_L_SHOULDER, TR_KP_L_ELBOW, TR_KP_L_WRIST, TR_KP_L_HIP};
    tr_arm r = {TR_KP_R_SHOULDER, TR_KP_R_ELBOW, TR_KP_R_WRIST, TR_KP_R_HIP};
    int r_first = b->kp[TR_KP_R_SHOULDER].x <= b->kp[TR_KP_L_SHOULDER].x;
    out[0] = r_first ? r : l;
    out[1] = r_first ? l : r;
}

TR_HD tr_v2 tr_anchor_at(const float *a, int k) { return tr_v2_make(a[k * 3], a[k * 3 + 1]); }
TR_HD int tr_anchor_present(const float *a, int k) { return a[k * 3 + 2] > 0; }

TR_HD tr_v2 tr_along(const tr_v2 *p, int n, double s, tr_v2 *dir) {
    for (int i = 0; i + 1 < n; i++) {
        tr_v2 seg = tr_v2_sub(p[i + 1], p[i]);
        double len = tr_v2_norm(seg);
        if (len <= 0) continue;
        *dir = tr_v2_mul(seg, 1.0 / len);
        if (s <= len || i + 2 == n) return tr_v2_add(p[i], tr_v2_mul(*dir, s));
        s -= len;
    }
    *dir = tr_v2_make(0, 1);
    return tr_v2_add(p[0], tr_v2_mul(*dir, s));
}

typedef struct tr_frame {
    tr_v2 origin, across, down;
    double width;
    double pit_v;
} tr_frame;

/* A flat-laid garment is as long as on the body but wider: on a body it
 * wraps around the sides, so its visible torso is narrower (by NARROW below
 * the armpits, easing in from the shoulders, which stay put) and it hangs
 * longer relative to the shoulder width (by DRAPE). Sleeves are laid 20%
 * wider than flat (SLEEVE_EASE): a fitted sleeve in a photo is narrower than
 * the arm it has to cover in the image, shoulder included. */
#define TR_FIT_DRAPE       1.15
#define TR_FIT_NARROW      0.90
#define TR_FIT_SLEEVE_EASE 1.2

TR_HD tr_v2 tr_to_body(const tr_frame *g, const tr_frame *b, tr_v2 p) {
    tr_v2 q = tr_v2_sub(p, g->origin);
    double u = tr_v2_dot(q, g->across) / g->width, v = tr_v2_dot(q, g->down) / g->width;
    double t = b->pit_v > 0 ? v / b->pit_v : 1.0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double ku = 1.0 - (1.0 - TR_FIT_NARROW) * t;
    return tr_v2_add(b->origin, tr_v2_add(tr_v2_mul(b->across, u * ku * b->width),
                                          tr_v2_mul(b->down, v * TR_FIT_DRAPE * b->width)));
}

/* Moves tgt[] (the garment's anchors) onto the body seen in pose; returns
 * whether the pose and the garment allow it. *sw gets the shoulder width. */
TR_HD int tr_controls_place(const tr_fit_controls_desc *d, const float *pose, const float *a,
                            const float *placement, const int *use, tr_v2 *tgt, double *sw_out) {
    const int K = TR_ANCHOR_COUNT;
    tr_body b;
    tr_read_body(pose, d->min_score, &b);
    tr_arm arms[2];
    tr_arms_by_side(&b, arms);
    const int found = a[K * 3] > 0, sleeves = a[K * 3 + 1] > 0, straps = a[K * 3 + 2] > 0;
    int valid = found && b.seen[arms[0].shoulder] && b.seen[arms[1].shoulder];
    tr_v2 BL = b.kp[arms[0].shoulder], BR = b.kp[arms[1].shoulder];
    double sw = tr_v2_norm(tr_v2_sub(BR, BL));
    *sw_out = sw;
    valid = valid && sw > 1e-3;
    if (!valid) return 0;

    tr_v2 across = tr_v2_mul(tr_v2_sub(BR, BL), 1.0 / sw), down = tr_v2_perp(across);
    tr_v2 mid = tr_v2_mul(tr_v2_add(BL, BR), 0.5);
    if (b.seen[arms[0].hip] && b.seen[arms[1].hip]) {
        tr_v2 hip_dir = tr_v2_unit(
            tr_v2_sub(tr_v2_mul(tr_v2_add(b.kp[arms[0].hip], b.kp[arms[1].hip]), 0.5), mid));
        if (tr_v2_dot(hip_dir, down) > 0.5) down = tr_v2_unit(tr_v2_add(down, hip_dir));
    }
    tr_v2 seam[2];
    if (straps) {
        tr_v2 neck = tr_v2_sub(mid, tr_v2_mul(down, 0.10 * sw));
        seam[0] = tr_v2_sub(tr_v2_add(neck, tr_v2_mul(tr_v2_sub(BL, neck), 0.55)),
                            tr_v2_mul(down, 0.10 * sw));
        seam[1] = tr_v2_sub(tr_v2_add(neck, tr_v2_mul(tr_v2_sub(BR, neck), 0.55)),
                            tr_v2_mul(down, 0.10 * sw));
    } else {
        seam[0] =
            tr_v2_sub(tr_v2_sub(BL, tr_v2_mul(across, 0.10 * sw)), tr_v2_mul(down, 0.05 * sw));
        seam[1] =
            tr_v2_sub(tr_v2_add(BR, tr_v2_mul(across, 0.10 * sw)), tr_v2_mul(down, 0.05 * sw));
    }
    int ref = straps ? TR_ANCHOR_PIT_L : TR_ANCHOR_SHOULDER_L;
    if (!tr_anchor_present(a, ref) || !tr_anchor_present(a, ref + 1)) return 0;
    tr_v2 GL = tr_anchor_at(a, ref), GR = tr_anchor_at(a, ref + 1), TL = seam[0], TR = seam[1];
    if (straps)
        TL = tr_v2_add(BL, tr_v2_mul(down, 0.30 * sw)),
        TR = tr_v2_add(BR, tr_v2_mul(down, 0.30 * sw));
    tr_frame gf, bf;
    gf.width = tr_v2_norm(tr_v2_sub(GR, GL));
    if (!(gf.width > 1e-3)) return 0;
    gf.origin = tr_v2_mul(tr_v2_add(GL, GR), 0.5);
    gf.across = tr_v2_mul(tr_v2_sub(GR, GL), 1.0 / gf.width);
    gf.down = tr_v2_perp(gf.across);
    bf.width = tr_v2_norm(tr_v2_sub(TR, TL));
    bf.origin = tr_v2_mul(tr_v2_add(TL, TR), 0.5);
    bf.across = tr_v2_unit(tr_v2_sub(TR, TL));
    bf.down = down;
    gf.pit_v = 0.0;
    if (!straps && tr_anchor_present(a, TR_ANCHOR_PIT_L) && tr_anchor_present(a, TR_ANCHOR_PIT_R))
        gf.pit_v = 0.5 *
                   tr_v2_dot(tr_v2_sub(tr_v2_add(tr_anchor_at(a, TR_ANCHOR_PIT_L),
                                                 tr_anchor_at(a, TR_ANCHOR_PIT_R)),
                                       tr_v2_mul(gf.origin, 2.0)),
                             gf.down) /
                   gf.width;
    bf.pit_v = gf.pit_v;
    if (!straps && tr_anchor_present(a, TR_ANCHOR_PIT_L) && tr_anchor_present(a, TR_ANCHOR_PIT_R)) {
        double pits = tr_v2_norm(
            tr_v2_sub(tr_anchor_at(a, TR_ANCHOR_PIT_R), tr_anchor_at(a, TR_ANCHOR_PIT_L)));
        if (pits > 1e-3) bf.width = 0.5 * (bf.width + gf.width * sw / (pits * TR_FIT_NARROW));
    }
    const double scale = bf.width / gf.width;
    for (int k = 0; k < K; k++)
        if (use[k]) tgt[k] = tr_to_body(&gf, &bf, tgt[k]);
    if (straps) tgt[TR_ANCHOR_SHOULDER_L] = seam[0], tgt[TR_ANCHOR_SHOULDER_R] = seam[1];

    for (int side = 0; sleeves && side < 2; side++) {
        const tr_arm *ar = &arms[side];
        const int in_mid = side ? TR_ANCHOR_SLEEVE_IN_R : TR_ANCHOR_SLEEVE_IN_L;
        const int in_cuff = side ? TR_ANCHOR_CUFF_IN_R : TR_ANCHOR_CUFF_IN_L;
        if (!b.seen[ar->elbow] || !tr_anchor_present(a, in_mid) ||
            !tr_anchor_present(a, in_mid + 1) || !tr_anchor_present(a, in_cuff) ||
            !tr_anchor_present(a, in_cuff + 1))
            continue;
        tr_v2 sh = tr_anchor_at(a, TR_ANCHOR_SHOULDER_L + side);
        tr_v2 mc = tr_v2_mul(tr_v2_add(tr_anchor_at(a, in_mid), tr_anchor_at(a, in_mid + 1)), 0.5);
        tr_v2 cc =
            tr_v2_mul(tr_v2_add(tr_anchor_at(a, in_cuff), tr_anchor_at(a, in_cuff + 1)), 0.5);
        double l1 = tr_v2_norm(tr_v2_sub(mc, sh)) * scale,
               l2 = tr_v2_norm(tr_v2_sub(cc, mc)) * scale;
        double h1 = 0.5 * TR_FIT_SLEEVE_EASE *
                    tr_v2_norm(tr_v2_sub(tr_anchor_at(a, in_mid + 1), tr_anchor_at(a, in_mid))) *
                    scale;
        double h2 = 0.5 * TR_FIT_SLEEVE_EASE *
                    tr_v2_norm(tr_v2_sub(tr_anchor_at(a, in_cuff + 1), tr_anchor_at(a, in_cuff))) *
                    scale;
        tr_v2 chain[3] = {seam[side], b.kp[ar->elbow], b.kp[ar->wrist]};
        int n = b.seen[ar->wrist] ? 3 : 2;
        tr_v2 t1, t2;
        tr_v2 p1 = tr_along(chain, n, l1, &t1), p2 = tr_along(chain, n, l1 + l2, &t2);
        tr_v2 o1 = side ? tr_v2_mul(tr_v2_perp(t1), -1.0) : tr_v2_perp(t1);
        tr_v2 o2 = side ? tr_v2_mul(tr_v2_perp(t2), -1.0) : tr_v2_perp(t2);
        tgt[in_mid] = tr_v2_sub(p1, tr_v2_mul(o1, h1));
        tgt[in_mid + 1] = tr_v2_add(p1, tr_v2_mul(o1, h1));
        tgt[in_cuff] = tr_v2_sub(p2, tr_v2_mul(o2, h2));
        tgt[in_cuff + 1] = tr_v2_add(p2, tr_v2_mul(o2, h2));
    }

    {
        double s = placement[0], rot = placement[1] * (M_PI / 180.0);
        if (!(isfinite(s) && s > 0)) s = 1.0;
        if (!isfinite(rot)) rot = 0.0;
        double cs = cos(rot) * s, sn = sin(rot) * s;
        tr_v2 c = tr_to_body(&gf, &bf, tr_v2_add(gf.origin, tr_v2_mul(gf.down, 0.5 * gf.width)));
        tr_v2 shift = tr_v2_make(isfinite(placement[2]) ? placement[2] : 0,
                                 isfinite(placement[3]) ? placement[3] : 0);
        for (int k = 0; k < K; k++) {
            tr_v2 q = tr_v2_sub(tgt[k], c);
            tgt[k] = tr_v2_add(tr_v2_add(c, tr_v2_make(cs * q.x - sn * q.y, sn * q.x + cs * q.y)),
                               shift);
        }
    }
    return 1;
}

/* fit_controls for one image: pose (P, 18, 3), y (TR_ANCHOR_ROWS, 5). */
TR_HD void tr_controls_one(const tr_fit_controls_desc *d, const float *pose, const float *a,
                           const float *placement, float *y) {
    const int K = TR_ANCHOR_COUNT;
    for (int i = 0; i < TR_ANCHOR_ROWS * 5; i++) y[i] = 0.0f;
    tr_v2 tgt[TR_ANCHOR_COUNT];
    int use[TR_ANCHOR_COUNT];
    for (int k = 0; k < K; k++) {
        use[k] = tr_anchor_present(a, k);
        tgt[k] = tr_anchor_at(a, k);
        y[k * 5 + 0] = (float)(2.0 * a[k * 3] / d->tex_w - 1.0);
        y[k * 5 + 1] = (float)(2.0 * a[k * 3 + 1] / d->tex_h - 1.0);
    }
    double sw = 0.0;
    const int valid = tr_controls_place(d, pose, a, placement, use, tgt, &sw);
    for (int k = 0; k < K; k++) {
        y[k * 5 + 2] = (float)tgt[k].x;
        y[k * 5 + 3] = (float)tgt[k].y;
        y[k * 5 + 4] = valid && use[k] ? 1.0f : 0.0f;
    }
    y[K * 5 + 0] = valid ? 1.0f : 0.0f;
    y[K * 5 + 1] = valid ? (float)sw : 0.0f;
}

/* ---- body proxy ------------------------------------------------------------------------ */

TR_HD void tr_proxy_quad(tr_v2 a, tr_v2 b, double half, double z, int ok, float *v) {
    tr_v2 n = tr_v2_mul(tr_v2_perp(tr_v2_unit(tr_v2_sub(b, a))), half);
    tr_v2 p[4] = {tr_v2_sub(a, n), tr_v2_add(a, n), tr_v2_add(b, n), tr_v2_sub(b, n)};
    for (int i = 0; i < 4; i++) {
        v[i * 3 + 0] = ok ? (float)p[i].x : 0.0f;
        v[i * 3 + 1] = ok ? (float)p[i].y : 0.0f;
        v[i * 3 + 2] = (float)z;
    }
}

/* body_proxy for one pose; out (TR_PROXY_VERTICES, 3). The upper arm
 * starts below the shoulder so that it does not cut into the garment's
 * shoulder; the forearm covers the hand too. */
TR_HD void tr_proxy_one(const tr_body_proxy_desc *d, const float *pose, float *out) {
    tr_body b;
    tr_read_body(pose, d->min_score, &b);
    tr_arm arms[2];
    tr_arms_by_side(&b, arms);
    double sw = tr_v2_norm(tr_v2_sub(b.kp[arms[1].shoulder], b.kp[arms[0].shoulder]));
    int shoulders = b.seen[arms[0].shoulder] && b.seen[arms[1].shoulder] && sw > 1e-3;
    for (int side = 0; side < 2; side++) {
        const tr_arm *ar = &arms[side];
        tr_v2 s = b.kp[ar->shoulder], e = b.kp[ar->elbow], w = b.kp[ar->wrist];
        int upper = shoulders && b.seen[ar->elbow];
        int fore = upper && b.seen[ar->wrist];
        tr_proxy_quad(tr_v2_add(s, tr_v2_mul(tr_v2_sub(e, s), 0.5)), e, 0.12 * sw, d->z, upper,
                      out + (side * 2) * 12);
        tr_proxy_quad(e, tr_v2_add(w, tr_v2_mul(tr_v2_unit(tr_v2_sub(w, e)), 0.15 * sw)), 0.10 * sw,
                      d->z, fore, out + (side * 2 + 1) * 12);
    }
}

/* ---- shading and composite ----------------------------------------------------------- */

/* Row r of N*H: its partial sums sum(lum * a), sum(a), left to right. */
TR_HD void tr_comp_row_sums(const tr_shade_composite_desc *d, const float *layer, const float *lum,
                            double *partial, int64_t r) {
    const int64_t W = d->w;
    double sl = 0, sa = 0;
    for (int64_t x = 0; x < W; x++) {
        double a = layer[(r * W + x) * 4 + 3];
        sl += lum[r * W + x] * a;
        sa += a;
    }
    partial[2 * r] = sl, partial[2 * r + 1] = sa;
}

/* The mean of the image that row r (of N*H) belongs to, once tr_comp_mean ran. */
TR_HD double tr_comp_image_mean(const tr_shade_composite_desc *d, const double *partial,
                                int64_t r) {
    return partial[2 * ((r / d->h) * d->h)];
}

/* Image n: its rows summed in order (thread-count independent); the mean goes
 * to its first row's slot for the pixel pass. */
TR_HD void tr_comp_mean(const tr_shade_composite_desc *d, double *partial, int64_t n) {
    double sl = 0, sa = 0;
    for (int64_t r = n * d->h; r < (n + 1) * d->h; r++)
        sl += partial[2 * r], sa += partial[2 * r + 1];
    partial[2 * n * d->h] = sa > 0 ? sl / sa : 0.0;
}

/* Pixel p of N*H*W; m is its image's mean (tr_comp_image_mean). */
TR_HD void tr_comp_pixel(const tr_shade_composite_desc *d, const float *person, const float *layer,
                         const float *lum, double m, uint8_t *y, int64_t p) {
    const float *L = layer + p * 4;
    double a = L[3], s = 1.0, lu = lum[p];
    /* No garment (premultiplied zero): the person, without the pow. */
    if (!(a == 0 && L[0] == 0 && L[1] == 0 && L[2] == 0) && m > 0 && lu > 0) {
        s = pow(lu / m, (double)d->strength);
        s = s < d->lo ? d->lo : s > d->hi ? d->hi : s;
    }
    for (int c = 0; c < 3; c++) {
        double v = person[p * 3 + c] * (1.0 - a) + 255.0 * L[c] * s;
        v = v < 0 ? 0 : v > 255 ? 255 : floor(v + 0.5);
        y[p * 3 + c] = (uint8_t)v;
    }
}

#endif /* TR_FIT_MATH_H */
