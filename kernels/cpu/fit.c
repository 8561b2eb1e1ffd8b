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
#include "fit_math.h"
#include "kernels.h"
#include "pool.h"

void tr_cpu_fit_controls_f32(tr_pool *pool, const tr_fit_controls_desc *d, const float *poses,
                             const float *anchors, const float *placement, float *y) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++)
        tr_controls_one(d, poses + (int64_t)n * d->p * 18 * 3, anchors, placement,
                        y + (int64_t)n * TR_ANCHOR_ROWS * 5);
}

/* ---- body proxy ------------------------------------------------------------ */

void tr_cpu_body_proxy_f32(tr_pool *pool, const tr_body_proxy_desc *d, const float *poses,
                           float *y) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++)
        tr_proxy_one(d, poses + (int64_t)n * d->p * 18 * 3, y + (int64_t)n * TR_PROXY_VERTICES * 3);
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
    for (int64_t r = begin; r < end; r++) tr_comp_row_sums(j->d, j->layer, j->lum, j->partial, r);
}

static void comp_pixels(void *arg, int64_t begin, int64_t end) {
    const comp_job *j = arg;
    const int64_t W = j->d->w;
    for (int64_t r = begin; r < end; r++) {
        const double m = tr_comp_image_mean(j->d, j->partial, r);
        for (int64_t p = r * W; p < (r + 1) * W; p++)
            tr_comp_pixel(j->d, j->person, j->layer, j->lum, m, j->y, p);
    }
}

void tr_cpu_shade_composite_f32(tr_pool *pool, const tr_shade_composite_desc *d,
                                const float *person, const float *layer, const float *lum, void *ws,
                                uint8_t *y) {
    comp_job j = {d, person, layer, lum, ws, y};
    const int64_t rows = (int64_t)d->n * d->h;
    tr_pool_for(pool, rows, 8, comp_sums, &j);
    for (int64_t n = 0; n < d->n; n++) tr_comp_mean(d, j.partial, n);
    tr_pool_for(pool, rows, 8, comp_pixels, &j);
}
