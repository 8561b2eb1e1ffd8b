/* test_fit.c — the fitting stages and graph: control points (symmetry,
 * equivariance under moving, turning and scaling the body, placement,
 * missing shoulders, mirrored labels, sleeves laid along the arms), the arm
 * proxy's geometry, the shading composite against a double oracle, the whole
 * graph on a synthetic person with given keypoints (arms crossing the torso
 * stay in front, sleeves cover the arms, a second frame allocates nothing and
 * repeats bit for bit, thread counts agree), parameter errors, and the real
 * photo ../shared/data/images/ai-body.png with PoseNet (skipped when absent). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fit.h"
#include <sys/stat.h>

#include "warp_util.h"

/* ---- fixtures ------------------------------------------------------------------ */

typedef struct kp {
    float x, y;
} kp;

/* A standing body: shoulders 100 px apart, arms straight down, hips. Pixel
 * centres at integers, as PoseNet reports them. */
static void body_pose(float pose[18 * 3]) {
    memset(pose, 0, 18 * 3 * sizeof *pose);
    const struct {
        int k;
        float x, y;
    } pts[] = {{TR_KP_R_SHOULDER, 99.5f, 99.5f}, {TR_KP_L_SHOULDER, 199.5f, 99.5f},
               {TR_KP_R_ELBOW, 99.5f, 179.5f},   {TR_KP_L_ELBOW, 199.5f, 179.5f},
               {TR_KP_R_WRIST, 99.5f, 249.5f},   {TR_KP_L_WRIST, 199.5f, 249.5f},
               {TR_KP_R_HIP, 114.5f, 269.5f},    {TR_KP_L_HIP, 184.5f, 269.5f}};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        pose[pts[i].k * 3] = pts[i].x, pose[pts[i].k * 3 + 1] = pts[i].y;
        pose[pts[i].k * 3 + 2] = 0.9f;
    }
    pose[17 * 3] = 0.9f, pose[17 * 3 + 1] = 1.0f;
}

/* Anchors of a symmetric long-sleeved top in a 100 x 110 texture. */
static void top_anchors(float a[TR_ANCHOR_ROWS * 3]) {
    static const float v[TR_ANCHOR_COUNT][2] = {
        {50.5f, 20.5f}, {10, 23.5f}, {90, 23.5f}, {27, 30.5f}, {73, 30.5f}, {30, 64.5f},
        {70, 64.5f},    {30, 98.5f}, {70, 98.5f}, {24, 54.5f}, {10, 54.5f}, {24, 77.5f},
        {10, 77.5f},    {76, 54.5f}, {90, 54.5f}, {76, 77.5f}, {90, 77.5f}};
    for (int k = 0; k < TR_ANCHOR_COUNT; k++)
        a[k * 3] = v[k][0], a[k * 3 + 1] = v[k][1], a[k * 3 + 2] = 1.0f;
    float *info = a + TR_ANCHOR_COUNT * 3;
    info[0] = 1, info[1] = 1, info[2] = 0;
}

/* fit_controls for one pose -> out (TR_ANCHOR_ROWS, 5). */
static void controls(const float pose[18 * 3], const float anchors[TR_ANCHOR_ROWS * 3],
                     const float placement[4], float *out) {
    wu_run r;
    wu_begin(&r, 1);
    int64_t ps[4] = {1, 1, 18, 3}, as[3] = {1, TR_ANCHOR_ROWS, 3}, ls[1] = {4};
    int32_t tp = wu_input(&r, "poses", TRYON_DTYPE_F32, 4, ps, pose);
    int32_t ta = wu_input(&r, "anchors", TRYON_DTYPE_F32, 3, as, anchors);
    int32_t tl = wu_input(&r, "placement", TRYON_DTYPE_F32, 1, ls, placement);
    tr_graph_output(r.g, tr_fit_controls(r.g, tp, ta, tl, 110, 100, 0.2f), "c");
    wu_exec(&r);
    memcpy(out, wu_out(&r, 0, NULL), TR_ANCHOR_ROWS * 5 * sizeof *out);
    wu_end(&r);
}

static const float no_placement[4] = {1, 0, 0, 0};

static kp target(const float *c, int k) { return (kp){c[k * 5 + 2], c[k * 5 + 3]}; }

static void transform_pose(float pose[18 * 3], double cs, double sn, double tx, double ty) {
    for (int k = 0; k < 17; k++) {
        double x = pose[k * 3], y = pose[k * 3 + 1];
        pose[k * 3] = (float)(cs * x - sn * y + tx),
                 pose[k * 3 + 1] = (float)(sn * x + cs * y + ty);
    }
}

/* ---- control points ---------------------------------------------------------- */

START_TEST(controls_are_symmetric_for_a_symmetric_body) {
    float pose[54], a[TR_ANCHOR_ROWS * 3], c[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    controls(pose, a, no_placement, c);
    ck_assert_float_eq(c[TR_ANCHOR_COUNT * 5], 1.0f);                  /* valid */
    ck_assert_float_eq_tol(c[TR_ANCHOR_COUNT * 5 + 1], 100.0f, 1e-4f); /* shoulder width */
    for (int k = 0; k < TR_ANCHOR_COUNT; k++) {
        ck_assert_float_eq(c[k * 5 + 4], 1.0f);
        /* garment point: the anchor in normalized texture coordinates */
        ck_assert_float_eq_tol(c[k * 5], 2.0f * a[k * 3] / 100 - 1, 1e-6f);
        ck_assert_float_eq_tol(c[k * 5 + 1], 2.0f * a[k * 3 + 1] / 110 - 1, 1e-6f);
    }
    /* The body's axis is x = 150 (shoulders at 100 and 200 in raster pixels). */
    for (int k = TR_ANCHOR_SHOULDER_L; k < TR_ANCHOR_COUNT; k++) {
        int mirror = k <= TR_ANCHOR_HEM_R ? (k % 2 ? k + 1 : k - 1)
                                          : (k < TR_ANCHOR_SLEEVE_IN_R ? k + 4 : k - 4);
        kp p = target(c, k), q = target(c, mirror);
        ck_assert_msg(fabsf(p.x + q.x - 300) < 1e-3f && fabsf(p.y - q.y) < 1e-3f,
                      "%s (%g, %g) and its mirror (%g, %g)", tryon_garment_anchor_name(k), p.x, p.y,
                      q.x, q.y);
    }
    /* The garment's shoulders straddle the seams' midpoint, 5% of the width up;
     * the neck, half a texel right of the garment's centre, is half a texel
     * times the scale right of the body's axis. */
    kp l = target(c, TR_ANCHOR_SHOULDER_L), r = target(c, TR_ANCHOR_SHOULDER_R);
    ck_assert_float_eq_tol(target(c, TR_ANCHOR_NECK).x, 150 + 0.5f * (r.x - l.x) / 80, 1e-3f);
    ck_assert_float_eq_tol(0.5f * (l.y + r.y), 95.0f, 1e-3f);
    ck_assert(l.x < 100 && r.x > 200); /* outside the shoulder joints */
    /* Top to bottom: neck, armpits, waist, hem; the hem above the hips' 270 + some. */
    ck_assert(target(c, TR_ANCHOR_NECK).y < target(c, TR_ANCHOR_PIT_L).y);
    ck_assert(target(c, TR_ANCHOR_PIT_L).y < target(c, TR_ANCHOR_WAIST_L).y);
    ck_assert(target(c, TR_ANCHOR_WAIST_L).y < target(c, TR_ANCHOR_HEM_L).y);
}
END_TEST

/* Moving, turning or scaling the body moves, turns or scales every target. */
START_TEST(controls_follow_the_body) {
    float pose[54], moved[54], a[TR_ANCHOR_ROWS * 3], c0[TR_ANCHOR_ROWS * 5],
        c1[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    controls(pose, a, no_placement, c0);
    const double deg = _i == 0 ? 0 : _i == 1 ? 30 : -75, scale = _i == 2 ? 1.7 : 1.0;
    const double cs = cos(deg * M_PI / 180) * scale, sn = sin(deg * M_PI / 180) * scale;
    const double tx = 37, ty = -11;
    memcpy(moved, pose, sizeof moved);
    transform_pose(moved, cs, sn, tx, ty);
    controls(moved, a, no_placement, c1);
    ck_assert_float_eq(c1[TR_ANCHOR_COUNT * 5], 1.0f);
    for (int k = 0; k < TR_ANCHOR_COUNT; k++) {
        /* targets are in raster pixels (keypoints + 0.5): transform around that */
        double x = c0[k * 5 + 2] - 0.5, y = c0[k * 5 + 3] - 0.5;
        double wx = cs * x - sn * y + tx + 0.5, wy = sn * x + cs * y + ty + 0.5;
        ck_assert_msg(fabs(c1[k * 5 + 2] - wx) < 2e-3 && fabs(c1[k * 5 + 3] - wy) < 2e-3,
                      "case %d %s: (%g, %g), want (%g, %g)", _i, tryon_garment_anchor_name(k),
                      c1[k * 5 + 2], c1[k * 5 + 3], wx, wy);
    }
}
END_TEST

START_TEST(placement_scales_turns_and_shifts_about_one_centre) {
    float pose[54], a[TR_ANCHOR_ROWS * 3], c0[TR_ANCHOR_ROWS * 5], c1[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    controls(pose, a, no_placement, c0);
    const float place[4] = {1.5f, 90.0f, 5.0f, -7.0f};
    controls(pose, a, place, c1);
    /* Every vector between two targets is scaled by 1.5 and turned by 90
     * degrees (y down: (x, y) -> (-y, x)); the shift cancels. */
    for (int k = 1; k < TR_ANCHOR_COUNT; k++) {
        double dx0 = c0[k * 5 + 2] - c0[2], dy0 = c0[k * 5 + 3] - c0[3];
        double dx1 = c1[k * 5 + 2] - c1[2], dy1 = c1[k * 5 + 3] - c1[3];
        ck_assert_msg(fabs(dx1 + 1.5 * dy0) < 2e-3 && fabs(dy1 - 1.5 * dx0) < 2e-3,
                      "%s: (%g, %g) vs (%g, %g)", tryon_garment_anchor_name(k), dx1, dy1, dx0, dy0);
    }
    /* The centre: the point that neither scaling nor turning moves. */
    const float shift[4] = {1.0f, 0.0f, 5.0f, -7.0f};
    controls(pose, a, shift, c1);
    for (int k = 0; k < TR_ANCHOR_COUNT; k++)
        ck_assert(fabsf(c1[k * 5 + 2] - c0[k * 5 + 2] - 5) < 1e-3f &&
                  fabsf(c1[k * 5 + 3] - c0[k * 5 + 3] + 7) < 1e-3f);
}
END_TEST

START_TEST(controls_without_shoulders_are_unused) {
    float pose[54], a[TR_ANCHOR_ROWS * 3], c[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    pose[TR_KP_L_SHOULDER * 3 + 2] = 0.1f; /* below the 0.2 minimum */
    controls(pose, a, no_placement, c);
    ck_assert_float_eq(c[TR_ANCHOR_COUNT * 5], 0.0f);
    for (int k = 0; k < TR_ANCHOR_COUNT; k++) ck_assert_float_eq(c[k * 5 + 4], 0.0f);
    /* Nor is a garment without shoulders dressed. */
    body_pose(pose);
    a[TR_ANCHOR_COUNT * 3] = 0;
    controls(pose, a, no_placement, c);
    ck_assert_float_eq(c[TR_ANCHOR_COUNT * 5], 0.0f);
}
END_TEST

START_TEST(controls_do_not_depend_on_left_right_labels) {
    float pose[54], swapped[54], a[TR_ANCHOR_ROWS * 3], c0[TR_ANCHOR_ROWS * 5],
        c1[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    controls(pose, a, no_placement, c0);
    /* A person seen from the back: PoseNet's "left" parts are on the image's left. */
    memcpy(swapped, pose, sizeof swapped);
    const int pairs[4][2] = {{TR_KP_L_SHOULDER, TR_KP_R_SHOULDER},
                             {TR_KP_L_ELBOW, TR_KP_R_ELBOW},
                             {TR_KP_L_WRIST, TR_KP_R_WRIST},
                             {TR_KP_L_HIP, TR_KP_R_HIP}};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            swapped[pairs[i][0] * 3 + j] = pose[pairs[i][1] * 3 + j];
            swapped[pairs[i][1] * 3 + j] = pose[pairs[i][0] * 3 + j];
        }
    controls(swapped, a, no_placement, c1);
    for (int i = 0; i < TR_ANCHOR_ROWS * 5; i++) ck_assert_float_eq(c1[i], c0[i]);
}
END_TEST

/* Distance from p to the segment a-b. */
static double seg_dist(kp p, kp a, kp b) {
    double dx = b.x - a.x, dy = b.y - a.y,
           t = ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

START_TEST(sleeves_are_laid_along_the_arms) {
    float pose[54], a[TR_ANCHOR_ROWS * 3], c[TR_ANCHOR_ROWS * 5];
    body_pose(pose);
    top_anchors(a);
    /* The image-left arm held out sideways and bent down at the elbow. */
    pose[TR_KP_R_ELBOW * 3] = 19.5f, pose[TR_KP_R_ELBOW * 3 + 1] = 99.5f;
    pose[TR_KP_R_WRIST * 3] = 19.5f, pose[TR_KP_R_WRIST * 3 + 1] = 179.5f;
    controls(pose, a, no_placement, c);
    kp sh = target(c, TR_ANCHOR_SHOULDER_L), el = {20, 100}, wr = {20, 180};
    /* The sleeve's scale: the shoulders' distance over the garment's (80). */
    double scale =
        hypot(target(c, TR_ANCHOR_SHOULDER_R).x - sh.x, target(c, TR_ANCHOR_SHOULDER_R).y - sh.y) /
        80.0;
    kp mid = {0.5f * (target(c, TR_ANCHOR_SLEEVE_IN_L).x + target(c, TR_ANCHOR_SLEEVE_OUT_L).x),
              0.5f * (target(c, TR_ANCHOR_SLEEVE_IN_L).y + target(c, TR_ANCHOR_SLEEVE_OUT_L).y)};
    kp cuff = {0.5f * (target(c, TR_ANCHOR_CUFF_IN_L).x + target(c, TR_ANCHOR_CUFF_OUT_L).x),
               0.5f * (target(c, TR_ANCHOR_CUFF_IN_L).y + target(c, TR_ANCHOR_CUFF_OUT_L).y)};
    /* The sleeve's centre line starts at the shoulder seam, which is not the
     * garment's shoulder target but 10% of the shoulder width outside the
     * joint and 5% up: (100 - 10, 100 - 5). */
    kp seam = {90, 95};
    double l1 = hypot(17 - 10, 54.5 - 23.5) * scale, l2 = hypot(0, 77.5 - 54.5) * scale;
    /* garment: shoulder (10, 23.5), sleeve centre (17, 54.5), cuff centre (17, 77.5) */
    double d_seam_el = hypot(el.x - seam.x, el.y - seam.y);
    ck_assert_msg(l1 < d_seam_el && l1 + l2 > d_seam_el, "sleeve lengths %g %g, upper arm %g", l1,
                  l2, d_seam_el);
    ck_assert_msg(seg_dist(mid, seam, el) < 1e-2, "sleeve centre (%g, %g) off the upper arm", mid.x,
                  mid.y);
    ck_assert_msg(fabs(hypot(mid.x - seam.x, mid.y - seam.y) - l1) < 1e-2, "sleeve centre at %g",
                  hypot(mid.x - seam.x, mid.y - seam.y));
    ck_assert_msg(seg_dist(cuff, el, wr) < 1e-2, "cuff (%g, %g) off the forearm", cuff.x, cuff.y);
    ck_assert_msg(fabs(d_seam_el + hypot(cuff.x - el.x, cuff.y - el.y) - l1 - l2) < 1e-2,
                  "cuff not at the sleeve's length along the arm");
    /* Inner edges towards the body: below the upper arm, right of the forearm. */
    ck_assert(target(c, TR_ANCHOR_SLEEVE_IN_L).y > target(c, TR_ANCHOR_SLEEVE_OUT_L).y);
    ck_assert(target(c, TR_ANCHOR_CUFF_IN_L).x > target(c, TR_ANCHOR_CUFF_OUT_L).x);
}
END_TEST

/* ---- body proxy ------------------------------------------------------------------- */

START_TEST(body_proxy_covers_the_arms) {
    float pose[54];
    body_pose(pose);
    pose[TR_KP_L_WRIST * 3 + 2] = 0.0f; /* the image-right forearm is not seen */
    wu_run r;
    wu_begin(&r, 1);
    int64_t ps[4] = {1, 1, 18, 3};
    int32_t tp = wu_input(&r, "poses", TRYON_DTYPE_F32, 4, ps, pose);
    tr_graph_output(r.g, tr_body_proxy(r.g, tp, 0.2f, 0.3f), "v");
    wu_exec(&r);
    const float *v = wu_out(&r, 0, NULL);
    /* Segment 0, image-left upper arm: from halfway down (100, 140) to the
     * elbow (100, 180), half width 12 (0.12 of the 100 px shoulders). */
    const float upper[4][3] = {
        {112, 140, 0.3f}, {88, 140, 0.3f}, {88, 180, 0.3f}, {112, 180, 0.3f}};
    /* Segment 1, its forearm: elbow to wrist + 15, half width 10. */
    const float fore[4][3] = {{110, 180, 0.3f}, {90, 180, 0.3f}, {90, 265, 0.3f}, {110, 265, 0.3f}};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) {
            ck_assert_float_eq_tol(v[i * 3 + k], upper[i][k], 1e-4f);
            ck_assert_float_eq_tol(v[12 + i * 3 + k], fore[i][k], 1e-4f);
            if (k < 2) ck_assert_float_eq(v[36 + i * 3 + k], 0.0f); /* segment 3 collapsed */
        }
    wu_end(&r);
    int32_t tri[TR_PROXY_TRIANGLES][3];
    tr_body_proxy_tri(5, tri);
    ck_assert(tri[0][0] == 5 && tri[0][1] == 6 && tri[0][2] == 7);
    ck_assert(tri[1][0] == 5 && tri[1][1] == 7 && tri[1][2] == 8);
    ck_assert(tri[7][0] == 17 && tri[7][1] == 19 && tri[7][2] == 20);
}
END_TEST

/* ---- shading composite ---------------------------------------------------------- */

START_TEST(shade_composite_matches_double_oracle) {
    enum { N = 2, H = 9, W = 13 };
    const int64_t P = N * H * W;
    float *person = malloc(P * 3 * sizeof *person), *layer = malloc(P * 4 * sizeof *layer),
          *lum = malloc(P * sizeof *lum);
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    for (int64_t i = 0; i < P; i++) {
        for (int k = 0; k < 3; k++) person[i * 3 + k] = tu_rng_uniform(&rng, 0, 255);
        float a = i % 7 == 0 ? 0.0f : tu_rng_uniform(&rng, 0, 1);
        for (int k = 0; k < 3; k++) layer[i * 4 + k] = a * tu_rng_uniform(&rng, 0, 1);
        layer[i * 4 + 3] = a;
        lum[i] = tu_rng_uniform(&rng, 1, 255);
    }
    uint8_t *got[2];
    for (int t = 0; t < 2; t++) { /* 1 and 3 threads give the same bytes */
        wu_run r;
        wu_begin(&r, t ? 3 : 1);
        int64_t s3[4] = {N, H, W, 3}, s4[4] = {N, H, W, 4}, s1[4] = {N, H, W, 1};
        int32_t tp = wu_input(&r, "person", TRYON_DTYPE_F32, 4, s3, person);
        int32_t tl = wu_input(&r, "layer", TRYON_DTYPE_F32, 4, s4, layer);
        int32_t tu = wu_input(&r, "lum", TRYON_DTYPE_F32, 4, s1, lum);
        tr_graph_output(r.g, tr_shade_composite(r.g, tp, tl, tu, 0.7f, 0.5f, 1.6f), "y");
        wu_exec(&r);
        tryon_tensor view;
        const void *y = wu_out(&r, 0, &view);
        ck_assert_int_eq(view.dtype, TRYON_DTYPE_U8);
        got[t] = malloc(P * 3);
        memcpy(got[t], y, P * 3);
        wu_end(&r);
    }
    ck_assert_int_eq(memcmp(got[0], got[1], P * 3), 0);
    int64_t checked = 0;
    for (int n = 0; n < N; n++) {
        double sl = 0, sa = 0;
        for (int64_t i = n * H * W; i < (n + 1) * H * W; i++)
            sl += lum[i] * (double)layer[i * 4 + 3], sa += layer[i * 4 + 3];
        double m = sl / sa;
        for (int64_t i = n * H * W; i < (n + 1) * H * W; i++) {
            double s = fmin(1.6, fmax(0.5, pow(lum[i] / m, 0.7)));
            for (int k = 0; k < 3; k++) {
                double v =
                    person[i * 3 + k] * (1.0 - layer[i * 4 + 3]) + 255.0 * layer[i * 4 + k] * s;
                v = fmin(255, fmax(0, v));
                if (fabs(v - floor(v) - 0.5) < 1e-6) continue; /* a rounding tie: either is right */
                ck_assert_msg(got[0][i * 3 + k] == (uint8_t)floor(v + 0.5),
                              "pixel %lld channel %d: %d, want %g", (long long)i, k,
                              got[0][i * 3 + k], v);
                checked++;
            }
        }
    }
    ck_assert_int_gt(checked, P * 3 - 3);
    free(got[0]), free(got[1]), free(person), free(layer), free(lum);
}
END_TEST

/* ---- the whole graph with given keypoints ------------------------------------- */

enum { GH = 110, GW = 100, PH = 320, PW = 300 };

/* A garment photo drawn like test_garment.c's: the long-sleeved top (with
 * sleeves) or a sleeveless vest. */
static void garment_image(tryon_image *img, int sleeves) {
    img->width = GW, img->height = GH, img->channels = 3;
    img->data = malloc(GW * GH * 3);
    for (int i = 0; i < GH; i++)
        for (int j = 0; j < GW; j++) {
            int in = (i >= 20 && i < 30 && j >= 10 && j < 90) ||
                     (i >= 30 && i < 100 && j >= 30 && j < 70) ||
                     (sleeves && i >= 30 && i < 80 && ((j >= 10 && j < 24) || (j >= 76 && j < 90)));
            if (!sleeves) in = in && j >= 25 && j < 75;
            for (int k = 0; k < 3; k++)
                img->data[(i * GW + j) * 3 + k] = in ? (k == 2 ? 200 : 30) : 245;
        }
}

typedef struct fit_run {
    tryon_ctx *ctx;
    tryon_garment *gm;
    tryon_model *m;
    uint8_t *person;
} fit_run;

static void fit_open(fit_run *f, int sleeves, int32_t threads) {
    memset(f, 0, sizeof *f);
    f->ctx = tu_ctx(threads);
    tryon_image gimg;
    garment_image(&gimg, sleeves);
    tryon_garment_params gp = tryon_garment_params_default();
    gp.texture_width = GW, gp.texture_height = GH, gp.grid_x = 20, gp.grid_y = 22;
    gp.close_radius = 1;
    ck_assert_msg(tryon_garment_prepare(f->ctx, &gimg, &gp, NULL, &f->gm) == TRYON_OK, "%s",
                  tryon_ctx_last_error(f->ctx));
    free(gimg.data);
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = PW, fp.height = PH, fp.texture_width = GW, fp.texture_height = GH;
    fp.grid_x = 20, fp.grid_y = 22, fp.external_pose = 1;
    ck_assert_msg(tryon_fit_load(f->ctx, NULL, &fp, &f->m) == TRYON_OK, "%s",
                  tryon_ctx_last_error(f->ctx));
    ck_assert_int_eq(tryon_fit_set_garment(f->m, f->gm), TRYON_OK);
    f->person = malloc(PW * PH * 3);
    for (int i = 0; i < PW * PH * 3; i++) f->person[i] = (uint8_t)(90 + (i / 3 / PW) % 50);
}

static int32_t input_named(tryon_model *m, const char *name) {
    int32_t i = tryon_model_input_index(m, name);
    if (i < 0) ck_abort_msg("no input %s", name);
    return i;
}

static void fit_frame(fit_run *f, const float pose[54]) {
    ck_assert_int_eq(
        tryon_model_set_input(f->m, input_named(f->m, "person"), f->person, PW * PH * 3), TRYON_OK);
    ck_assert_int_eq(
        tryon_model_set_input(f->m, input_named(f->m, "poses"), pose, 54 * sizeof(float)),
        TRYON_OK);
    ck_assert_msg(tryon_model_run(f->m) == TRYON_OK, "%s", tryon_ctx_last_error(f->ctx));
}

static float layer_alpha(fit_run *f, double x, double y) {
    tryon_tensor t;
    tryon_model_output(f->m, 2, &t);
    return ((const float *)t.data)[((int64_t)y * PW + (int64_t)x) * 4 + 3];
}

static void fit_close(fit_run *f) {
    tryon_model_free(f->m);
    tryon_garment_free(f->gm);
    tryon_ctx_free(f->ctx);
    free(f->person);
}

START_TEST(arms_in_front_of_the_torso_stay_in_front) {
    fit_run f;
    fit_open(&f, 0, 2);
    float pose[54];
    body_pose(pose);
    /* The image-left forearm crosses the chest horizontally at y = 180. */
    pose[TR_KP_R_WRIST * 3] = 199.5f, pose[TR_KP_R_WRIST * 3 + 1] = 179.5f;
    fit_frame(&f, pose);
    int32_t dressed;
    tryon_pose p;
    ck_assert_int_eq(tryon_fit_result(f.m, &dressed, &p), TRYON_OK);
    ck_assert_int_eq(dressed, 1);
    ck_assert_float_eq(p.keypoints[TR_KP_R_WRIST].x, 199.5f);
    /* Chest above and below the forearm: garment; on the forearm: the arm. */
    ck_assert_float_gt(layer_alpha(&f, 150, 150), 0.99f);
    ck_assert_float_gt(layer_alpha(&f, 150, 215), 0.99f);
    ck_assert_float_lt(layer_alpha(&f, 150, 180), 0.01f);
    /* Far from the body: nothing. */
    ck_assert_float_eq(layer_alpha(&f, 5, 5), 0.0f);
    ck_assert_float_eq(layer_alpha(&f, 290, 310), 0.0f);
    fit_close(&f);
}
END_TEST

START_TEST(sleeves_cover_the_arms_they_follow) {
    fit_run f;
    fit_open(&f, 1, 2);
    float pose[54];
    body_pose(pose);
    /* Arms held out sideways: the sleeves must go with them. */
    pose[TR_KP_R_ELBOW * 3] = 29.5f, pose[TR_KP_R_ELBOW * 3 + 1] = 129.5f;
    pose[TR_KP_R_WRIST * 3] = 0.5f, pose[TR_KP_R_WRIST * 3 + 1] = 159.5f;
    pose[TR_KP_L_ELBOW * 3] = 269.5f, pose[TR_KP_L_ELBOW * 3 + 1] = 129.5f;
    pose[TR_KP_L_WRIST * 3] = 298.5f, pose[TR_KP_L_WRIST * 3 + 1] = 159.5f;
    fit_frame(&f, pose);
    /* Midway along the upper arms, in front of the arm proxy. */
    ck_assert_float_gt(layer_alpha(&f, 65, 115), 0.99f);
    ck_assert_float_gt(layer_alpha(&f, 235, 115), 0.99f);
    /* The torso still dressed, the space under the arms not. */
    ck_assert_float_gt(layer_alpha(&f, 150, 200), 0.99f);
    ck_assert_float_lt(layer_alpha(&f, 60, 200), 0.01f);
    fit_close(&f);
}
END_TEST

START_TEST(second_frame_allocates_nothing_and_repeats_exactly) {
    fit_run f;
    fit_open(&f, 1, 2);
    float pose[54];
    body_pose(pose);
    fit_frame(&f, pose);
    uint8_t *first = malloc(PW * PH * 3);
    ck_assert_int_eq(tryon_model_get_output(f.m, 0, first, PW * PH * 3), TRYON_OK);
    int64_t before = tr_ctx_n_allocs(f.ctx);
    fit_frame(&f, pose);
    ck_assert_int_eq(tr_ctx_n_allocs(f.ctx), before);
    tryon_tensor t;
    tryon_model_output(f.m, 0, &t);
    ck_assert_int_eq(memcmp(t.data, first, PW * PH * 3), 0);
    /* The same bytes with one thread. */
    fit_run g;
    fit_open(&g, 1, 1);
    fit_frame(&g, pose);
    tryon_model_output(g.m, 0, &t);
    ck_assert_int_eq(memcmp(t.data, first, PW * PH * 3), 0);
    /* Without shoulders nothing is drawn: the person comes back unchanged. */
    pose[TR_KP_L_SHOULDER * 3 + 2] = 0;
    fit_frame(&f, pose);
    tryon_model_output(f.m, 0, &t);
    ck_assert_int_eq(memcmp(t.data, f.person, PW * PH * 3), 0);
    free(first);
    fit_close(&f);
    fit_close(&g);
}
END_TEST

START_TEST(fit_rejects_bad_parameters) {
    tryon_ctx *ctx = tu_ctx(1);
    tryon_fit_params fp = tryon_fit_params_default();
    tryon_model *m = (tryon_model *)&fp;
    fp.width = PW, fp.height = PH, fp.external_pose = 0;
    ck_assert_int_eq(tryon_fit_load(ctx, NULL, &fp, &m), TRYON_ERR_INVALID_ARG); /* no PoseNet */
    ck_assert_ptr_null(m);
    fp.external_pose = 1;
    fp.width = 8;
    ck_assert_int_eq(tryon_fit_load(ctx, NULL, &fp, &m), TRYON_ERR_INVALID_ARG);
    fp.width = PW, fp.shading = -1;
    ck_assert_int_eq(tryon_fit_load(ctx, NULL, &fp, &m), TRYON_ERR_INVALID_ARG);
    fp.shading = 0.7f, fp.feather = 100;
    ck_assert_int_eq(tryon_fit_load(ctx, NULL, &fp, &m), TRYON_ERR_INVALID_ARG);
    tryon_ctx_free(ctx);
    /* A garment of another texture size; a bad placement. */
    fit_run f;
    fit_open(&f, 0, 1);
    tryon_fit_params fp2 = tryon_fit_params_default();
    fp2.width = PW, fp2.height = PH, fp2.external_pose = 1; /* default texture 384 x 512 */
    tryon_model *m2;
    ck_assert_int_eq(tryon_fit_load(f.ctx, NULL, &fp2, &m2), TRYON_OK);
    ck_assert_int_eq(tryon_fit_set_garment(m2, f.gm), TRYON_ERR_INVALID_ARG);
    ck_assert_msg(strstr(tryon_ctx_last_error(f.ctx), "texture"), "%s",
                  tryon_ctx_last_error(f.ctx));
    tryon_model_free(m2);
    ck_assert_int_eq(tryon_fit_set_placement(f.m, 0, 0, 0, 0), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_fit_set_placement(f.m, 1, NAN, 0, 0), TRYON_ERR_INVALID_ARG);
    fit_close(&f);
}
END_TEST

/* ---- the real photo with PoseNet --------------------------------------------------- */

/* The real PoseNet weights: the test fixtures' conversion, else `make weights`. */
static const char *real_weights(char *buf, size_t size) {
    const char *ref = tu_ref_dir();
    struct stat sb;
    snprintf(buf, size, "%s/posenet/posenet.safetensors", ref ? ref : "build/ref");
    if (stat(buf, &sb) == 0) return buf;
    snprintf(buf, size, "weights/posenet.safetensors");
    return stat(buf, &sb) == 0 ? buf : NULL;
}

START_TEST(real_photo_is_dressed_on_the_torso) {
    char wbuf[1024], pbuf[1024], gbuf[1024];
    const char *weights = real_weights(wbuf, sizeof wbuf);
    const char *photo = tu_data_file("images/ai-body.png", pbuf, sizeof pbuf);
    const char *garment = tu_data_file("garments/striped-top.png", gbuf, sizeof gbuf);
    if (!weights || !photo || !garment) {
        tu_skip("fit", "PoseNet fixtures or ../shared/data absent: the real-photo fit is not run");
        return;
    }
    tryon_ctx *ctx = tu_ctx(2);
    tryon_image person, gimg;
    ck_assert_int_eq(tryon_image_read_png(ctx, photo, 3, &person), TRYON_OK);
    ck_assert_int_eq(tryon_image_read_png(ctx, garment, 3, &gimg), TRYON_OK);
    tryon_garment_params gp = tryon_garment_params_default();
    tryon_garment *gm;
    ck_assert_int_eq(tryon_garment_prepare(ctx, &gimg, &gp, NULL, &gm), TRYON_OK);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(ctx, weights, &w), TRYON_OK);
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = person.width, fp.height = person.height;
    tryon_model *m;
    ck_assert_msg(tryon_fit_load(ctx, w, &fp, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_fit_set_garment(m, gm), TRYON_OK);
    ck_assert_int_eq(
        tryon_model_set_input(m, 0, person.data, (size_t)person.width * person.height * 3),
        TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    int64_t before = tr_ctx_n_allocs(ctx);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK); /* the second frame */
    ck_assert_int_eq(tr_ctx_n_allocs(ctx), before);
    int32_t dressed;
    tryon_pose p;
    ck_assert_int_eq(tryon_fit_result(m, &dressed, &p), TRYON_OK);
    ck_assert_int_eq(dressed, 1);
    tryon_tensor t;
    tryon_model_output(m, 2, &t);
    const float *layer = t.data;
    const int32_t W = person.width;
#define ALPHA(x, y) layer[((int64_t)(y)*W + (int64_t)(x)) * 4 + 3]
    const tryon_keypoint *k = p.keypoints;
    /* The torso (shoulders to hips, inset) is covered; the face, the knees and
     * the ankles are not; the elbows are (the sleeves reach the forearms). */
    int n_in = 0, n_cov = 0;
    for (double u = 0.2; u <= 0.8; u += 0.1)
        for (double v = 0.2; v <= 0.8; v += 0.1) {
            double x = (1 - u) * (0.5 * (k[5].x + k[11].x)) + u * (0.5 * (k[6].x + k[12].x));
            double y = (1 - v) * (0.5 * (k[5].y + k[6].y)) + v * (0.5 * (k[11].y + k[12].y));
            n_in++;
            n_cov += ALPHA(x, y) > 0.9f;
        }
    ck_assert_msg(n_cov == n_in, "%d of %d torso samples covered", n_cov, n_in);
    for (int i = 0; i < 17; i++) {
        int want = i == 7 || i == 8 ? 1 : i <= 4 || i >= 13 ? 0 : -1;
        if (want < 0) continue;
        float al = ALPHA(k[i].x, k[i].y);
        ck_assert_msg(want ? al > 0.9f : al < 0.01f, "%s: garment alpha %g",
                      tryon_posenet_keypoint_name(i), al);
    }
#undef ALPHA
    tryon_model_free(m);
    tryon_weights_close(w);
    tryon_garment_free(gm);
    tryon_image_free(&person);
    tryon_image_free(&gimg);
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("fit");
    TCase *tc = tcase_create("fit");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, controls_are_symmetric_for_a_symmetric_body);
    tcase_add_loop_test(tc, controls_follow_the_body, 0, 3);
    tcase_add_test(tc, placement_scales_turns_and_shifts_about_one_centre);
    tcase_add_test(tc, controls_without_shoulders_are_unused);
    tcase_add_test(tc, controls_do_not_depend_on_left_right_labels);
    tcase_add_test(tc, sleeves_are_laid_along_the_arms);
    tcase_add_test(tc, body_proxy_covers_the_arms);
    tcase_add_test(tc, shade_composite_matches_double_oracle);
    tcase_add_test(tc, arms_in_front_of_the_torso_stay_in_front);
    tcase_add_test(tc, sleeves_cover_the_arms_they_follow);
    tcase_add_test(tc, second_frame_allocates_nothing_and_repeats_exactly);
    tcase_add_test(tc, fit_rejects_bad_parameters);
    tcase_add_test(tc, real_photo_is_dressed_on_the_torso);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
