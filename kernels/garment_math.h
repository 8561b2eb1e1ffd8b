/* garment_math.h — the sleeve-weight math of garment preparation (the rules
 * are in kernels/cpu/garment_geom.c), written once for both backends:
 * kernels/cpu/garment_geom.c compiles it as static inline C,
 * kernels/cuda/garment_geom.cuh as host-device code (TR_HD from
 * kernels/cuda/common.cuh). */
#ifndef TR_GARMENT_MATH_H
#define TR_GARMENT_MATH_H

#include <stdint.h>

#include "kernels_fit.h"

#ifndef TR_HD
#define TR_HD static inline
#endif

/* Linear interpolation of x along the polyline (px, py)[0..n) (increasing
 * y) at height y; clamped to the ends. */
TR_HD double tr_poly_x(const double *px, const double *py, int32_t n, double y) {
    if (y <= py[0]) return px[0];
    for (int32_t k = 1; k < n; k++)
        if (y <= py[k])
            return px[k - 1] + (y - py[k - 1]) / (py[k] - py[k - 1]) * (px[k] - px[k - 1]);
    return px[n - 1];
}

/* Keeps the points of ids[0..n) that are present and below the previous one. */
TR_HD int32_t tr_polyline(const float *a, const int32_t *ids, int32_t n, double *px, double *py) {
    int32_t m = 0;
    for (int32_t k = 0; k < n; k++) {
        const float *p = a + ids[k] * 3;
        if (p[2] > 0 && (m == 0 || p[1] > py[m - 1])) px[m] = p[0], py[m] = p[1], m++;
    }
    return m;
}

/* The boundary between the torso and the sleeve of one side: from the
 * shoulder to the armpit, then down the middle of the gap between the
 * sleeve's inner edge and the torso's side, then straight down from the cuff.
 * Returns the number of points (0: none). */
TR_HD int32_t tr_sleeve_boundary(const float *a, int side, double *bx, double *by) {
    const int32_t torso_ids[3] = {TR_ANCHOR_PIT_L + side, TR_ANCHOR_WAIST_L + side,
                                  TR_ANCHOR_HEM_L + side};
    double tx[3], ty[3];
    int32_t nt = tr_polyline(a, torso_ids, 3, tx, ty);
    const int32_t top[2] = {TR_ANCHOR_SHOULDER_L + side, TR_ANCHOR_PIT_L + side};
    int32_t n = tr_polyline(a, top, 2, bx, by);
    if (n < 2 || nt < 1) return n;
    const int32_t inner[2] = {side ? TR_ANCHOR_SLEEVE_IN_R : TR_ANCHOR_SLEEVE_IN_L,
                              side ? TR_ANCHOR_CUFF_IN_R : TR_ANCHOR_CUFF_IN_L};
    for (int k = 0; k < 2; k++) {
        const float *p = a + inner[k] * 3;
        if (!(p[2] > 0) || p[1] <= by[n - 1]) continue;
        bx[n] = 0.5 * (p[0] + tr_poly_x(tx, ty, nt, p[1]));
        by[n] = p[1];
        n++;
    }
    return n;
}

/* Both sides' boundaries of one garment (anchors a); nb[side] < 2: none. */
TR_HD void tr_sleeve_boundaries(const float *a, double bx[2][4], double by[2][4], int32_t nb[2]) {
    const int sleeves = a[TR_ANCHOR_COUNT * 3 + 1] > 0;
    nb[0] = nb[1] = 0;
    for (int side = 0; sleeves && side < 2; side++)
        nb[side] = tr_sleeve_boundary(a, side, bx[side], by[side]);
}

/* The sleeve weight of point (px, py): 1 on a sleeve, 0 on the torso, a ramp
 * of width soft across the boundary. */
TR_HD float tr_sleeve_weight_at(double bx[2][4], double by[2][4], const int32_t nb[2], double soft,
                                double px, double py) {
    double w = 0.0;
    for (int side = 0; side < 2; side++) {
        /* Nothing above the shoulder, nor more than 2*soft below the
         * cuff's anchors, where the sleeve has ended. */
        if (nb[side] < 2 || py < by[side][0] || py > by[side][nb[side] - 1] + 2 * soft) continue;
        double x = tr_poly_x(bx[side], by[side], nb[side], py);
        double t = side ? px - x : x - px; /* > 0 on the sleeve's side */
        double ws = 0.5 + t / soft;
        ws = ws < 0 ? 0 : ws > 1 ? 1 : ws;
        w = ws > w ? ws : w;
    }
    return (float)w;
}

#endif /* TR_GARMENT_MATH_H */
