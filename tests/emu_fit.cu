/* emu_fit.cu — host emulation of the CUDA fitting kernels (see emu_util.cuh)
 * against kernels/cpu/fit.c, all bitwise:
 *   fit_controls and body_proxy on a standing body moved, turned and scaled,
 *   arms out and crossing, hips or wrists unseen, a shoulder below the score,
 *   left/right labels swapped, NaN keypoints; garments with sleeves, straps
 *   (anchors found by the CPU on test_garment.c's drawings), no armpits or no
 *   shoulders; placements with scale, rotation, shift and non-finite entries;
 *   batches of two poses with P = 2 (the first pose is used);
 *   shade_composite run as its three kernels (row sums, means in row order,
 *   pixels) on random layers, an image without any garment (mean 0), zero
 *   and negative luminance, strength 0 and 0.7.
 * Emulation runs the host's libm: that the device's cos/sin/pow stay within
 * the tolerances stated in tests/gpu_fit.c is the GPU suite's to show. */
#include "emu_util.cuh"
#include "fit.cuh"

/* ---- fixtures (tests/test_fit.c) ------------------------------------------------- */

static void body_pose(float *pose) {
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

static void transform_pose(float *pose, double deg, double scale, double tx, double ty) {
    const double cs = cos(deg * M_PI / 180) * scale, sn = sin(deg * M_PI / 180) * scale;
    for (int k = 0; k < 17; k++) {
        double x = pose[k * 3], y = pose[k * 3 + 1];
        pose[k * 3] = (float)(cs * x - sn * y + tx),
                 pose[k * 3 + 1] = (float)(sn * x + cs * y + ty);
    }
}

enum { MH = 110, MW = 100 };

static void rect(float *m, int y0, int y1, int x0, int x1) {
    for (int i = y0; i < y1; i++)
        for (int j = x0; j < x1; j++) m[i * MW + j] = 1.0f;
}

/* Anchors of test_garment.c's drawings, found by the CPU: 0 top, 1 camisole,
 * 2 a plain rectangle (no sleeves, no straps). */
static void garment_anchors(int kind, float *a) {
    float *m = emu_floats(MH * MW);
    if (kind == 0) {
        rect(m, 20, 30, 10, 90), rect(m, 30, 100, 30, 70);
        rect(m, 30, 80, 10, 24), rect(m, 30, 80, 76, 90);
    } else if (kind == 1) {
        rect(m, 10, 40, 30, 33), rect(m, 10, 40, 67, 70), rect(m, 40, 90, 20, 80);
    } else {
        rect(m, 15, 95, 25, 75);
    }
    tr_garment_anchors_desc d = {1, MH, MW};
    tr_cpu_garment_anchors_f32(NULL, &d, m, a);
    free(m);
}

/* ---- controls and proxy -------------------------------------------------------------- */

/* Pose variant v of a batch item (the first pose of P = 2; the second is noise). */
static void pose_variant(int v, float *pose) {
    body_pose(pose);
    switch (v) {
    case 1: transform_pose(pose, 30, 1.0, 37, -11); break;
    case 2: transform_pose(pose, -75, 1.7, 300, 40); break;
    case 3: /* arms out sideways, bent */
        pose[TR_KP_R_ELBOW * 3] = 19.5f, pose[TR_KP_R_ELBOW * 3 + 1] = 99.5f;
        pose[TR_KP_R_WRIST * 3] = 19.5f, pose[TR_KP_R_WRIST * 3 + 1] = 179.5f;
        pose[TR_KP_L_ELBOW * 3] = 269.5f, pose[TR_KP_L_ELBOW * 3 + 1] = 129.5f;
        break;
    case 4: /* forearm across the chest, the other wrist unseen */
        pose[TR_KP_R_WRIST * 3] = 199.5f, pose[TR_KP_R_WRIST * 3 + 1] = 179.5f;
        pose[TR_KP_L_WRIST * 3 + 2] = 0.0f;
        break;
    case 5: pose[TR_KP_L_HIP * 3 + 2] = 0.05f; break;     /* hips unseen */
    case 6: pose[TR_KP_L_SHOULDER * 3 + 2] = 0.1f; break; /* below the minimum */
    case 7:                                               /* seen from the back: labels swapped */
        for (int j = 0; j < 3; j++)
            for (int k = 5; k <= 11; k += 2) {
                float t = pose[k * 3 + j];
                pose[k * 3 + j] = pose[(k + 1) * 3 + j], pose[(k + 1) * 3 + j] = t;
            }
        break;
    case 8: pose[TR_KP_L_ELBOW * 3] = NAN, pose[TR_KP_R_WRIST * 3 + 1] = INFINITY; break;
    case 9: /* both shoulders on one point */
        pose[TR_KP_L_SHOULDER * 3] = pose[TR_KP_R_SHOULDER * 3];
        pose[TR_KP_L_SHOULDER * 3 + 1] = pose[TR_KP_R_SHOULDER * 3 + 1];
        break;
    default: break;
    }
}

START_TEST(controls_and_proxy_match_the_cpu) {
    enum { N = 2, P = 2, NV = 10 };
    const float placements[4][4] = {
        {1, 0, 0, 0}, {1.5f, 90, 5, -7}, {0.8f, -13, 2.5f, 0}, {NAN, INFINITY, NAN, 3}};
    float poses[N * P * 54], anchors[4][TR_ANCHOR_ROWS * 3];
    for (int g = 0; g < 3; g++) garment_anchors(g, anchors[g]);
    garment_anchors(0, anchors[3]);
    anchors[3][TR_ANCHOR_PIT_L * 3 + 2] = 0;       /* no armpit: torso frame without pit_v */
    anchors[3][TR_ANCHOR_SLEEVE_IN_R * 3 + 2] = 0; /* one sleeve incomplete */
    tu_rng r;
    tu_rng_seed(&r, 3);
    int64_t checked = 0;
    for (int v = 0; v < NV; v += 2)
        for (int g = 0; g < 4; g++)
            for (int pl = 0; pl < 4; pl++) {
                for (int n = 0; n < N; n++) {
                    pose_variant(v + n, poses + n * P * 54);
                    tu_fill_uniform(poses + n * P * 54 + 54, 54, &r, -50, 400);
                }
                tr_fit_controls_desc d = {N, P, 110, 100, 0.2f};
                const int64_t nc = N * TR_ANCHOR_ROWS * 5, cs[3] = {N, TR_ANCHOR_ROWS, 5};
                float ref[N * TR_ANCHOR_ROWS * 5], got[N * TR_ANCHOR_ROWS * 5];
                tr_cpu_fit_controls_f32(NULL, &d, poses, anchors[g], placements[pl], ref);
                for (int n = 0; n < N; n++) { /* the kernel: thread n */
                    for (int i = 0; i < TR_ANCHOR_ROWS * 5; i++)
                        got[n * TR_ANCHOR_ROWS * 5 + i] = NAN;
                    tr_controls_one(&d, poses + n * P * 54, anchors[g], placements[pl],
                                    got + n * TR_ANCHOR_ROWS * 5);
                }
                EMU_EXACT(got, ref, nc, 3, cs, "fit_controls");
                checked += ref[TR_ANCHOR_COUNT * 5] > 0;
                if (g || pl) continue;
                tr_body_proxy_desc pd = {N, P, 0.2f, 0.3f};
                const int64_t np = N * TR_PROXY_VERTICES * 3, ps[3] = {N, TR_PROXY_VERTICES, 3};
                float pref[N * TR_PROXY_VERTICES * 3], pgot[N * TR_PROXY_VERTICES * 3];
                tr_cpu_body_proxy_f32(NULL, &pd, poses, pref);
                for (int n = 0; n < N; n++)
                    tr_proxy_one(&pd, poses + n * P * 54, pgot + n * TR_PROXY_VERTICES * 3);
                EMU_EXACT(pgot, pref, np, 3, ps, "body_proxy");
            }
    /* most combinations dress the body: the comparisons cover the whole rule set */
    ck_assert_int_gt(checked, 40);
}
END_TEST

/* ---- shading composite ------------------------------------------------------------------ */

START_TEST(shade_composite_matches_the_cpu) {
    enum { N = 3, H = 9, W = 13 };
    const int64_t P = N * H * W;
    float *person = emu_floats(P * 3), *layer = emu_floats(P * 4), *lum = emu_floats(P);
    tu_rng r;
    tu_rng_seed(&r, 5);
    for (int64_t i = 0; i < P; i++) {
        for (int k = 0; k < 3; k++) person[i * 3 + k] = tu_rng_uniform(&r, 0, 255);
        float a = i % 7 == 0 || i / (H * W) == 1 ? 0.0f : tu_rng_uniform(&r, 0, 1);
        for (int k = 0; k < 3; k++) layer[i * 4 + k] = a * tu_rng_uniform(&r, 0, 1.1f);
        layer[i * 4 + 3] = a;
        lum[i] = i % 11 == 3 ? 0.0f : i % 13 == 4 ? -2.0f : tu_rng_uniform(&r, 1, 255);
    }
    for (int st = 0; st < 2; st++) {
        tr_shade_composite_desc d = {N, H, W, st ? 0.7f : 0.0f, 0.5f, 1.6f};
        void *ws = calloc((size_t)tr_shade_composite_ws_bytes(&d), 1);
        double *part = (double *)malloc((size_t)tr_shade_composite_ws_bytes(&d));
        uint8_t *ref = (uint8_t *)malloc(P * 3), *got = (uint8_t *)malloc(P * 3);
        tr_cpu_shade_composite_f32(NULL, &d, person, layer, lum, ws, ref);
        memset(got, 0xee, P * 3);
        tr_comp_p p = {d, person, layer, lum, part, got};
        for (int64_t row = 0; row < N * H; row++) p.row_sums(row);
        for (int64_t n = 0; n < N; n++) p.mean(n);
        for (int64_t i = 0; i < P; i++) p.pixel(i);
        for (int64_t i = 0; i < P * 3; i++)
            ck_assert_msg(got[i] == ref[i], "strength %d: pixel %lld channel %lld: %d, want %d", st,
                          (long long)(i / 3), (long long)(i % 3), got[i], ref[i]);
        /* the means the pixels used are the CPU's */
        for (int64_t n = 0; n < N; n++)
            ck_assert_msg(part[2 * n * H] == ((double *)ws)[2 * n * H], "mean of image %lld",
                          (long long)n);
        free(ws), free(part), free(ref), free(got);
    }
    free(person), free(layer), free(lum);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_fit");
    TCase *tc = tcase_create("fit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, controls_and_proxy_match_the_cpu);
    tcase_add_test(tc, shade_composite_matches_the_cpu);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
