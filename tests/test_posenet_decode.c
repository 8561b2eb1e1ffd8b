/* test_posenet_decode.c — the PoseNet decoding op (kernels/cpu/posenet_decode.c,
 * runtime/build_posenet.c): known answers on hand-built heatmaps, the builder's
 * checks, and tfjs-models' own decoders on heads with many tied scores
 * (fixtures from tests/ref/tfjs_posenet.js, made at test time).
 *
 * Known-answer geometry (output stride 8, 10x12 cells, every score 0.1
 * unless set): a part found at cell (y, x) with offset (dy, dx) sits at
 * (8y + dy, 8x + dx); with |dy|, |dx| < 4 the multi-pose refinement stays in
 * that cell, so each expected position is written down from the setup. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "json.h"
#include "model.h"
#include "posenet_ref.h"
#include "util.h"

typedef struct heads {
    int32_t h, w;
    float *scores, *offsets, *fwd, *bwd;
} heads;

static heads heads_new(int32_t h, int32_t w, float base) {
    heads hd = {h,
                w,
                calloc((size_t)h * w * K, 4),
                calloc((size_t)h * w * 2 * K, 4),
                calloc((size_t)h * w * 2 * E, 4),
                calloc((size_t)h * w * 2 * E, 4)};
    for (int64_t i = 0; i < (int64_t)h * w * K; i++) hd.scores[i] = base;
    return hd;
}

static void heads_free(heads *hd) {
    free(hd->scores), free(hd->offsets), free(hd->fwd), free(hd->bwd);
}

static float *sc(heads *h, int y, int x, int k) { return &h->scores[((y * h->w) + x) * K + k]; }
static void set_off(heads *h, int y, int x, int k, float dy, float dx) {
    h->offsets[((y * h->w) + x) * 2 * K + k] = dy;
    h->offsets[((y * h->w) + x) * 2 * K + k + K] = dx;
}
static void set_disp(float *d, const heads *h, int y, int x, int e, float dy, float dx) {
    d[((y * h->w) + x) * 2 * E + e] = dy;
    d[((y * h->w) + x) * 2 * E + e + E] = dx;
}

/* Runs one decode node on the heads; returns the (P, 18, 3) poses (malloc'd). */
static float *decode(const heads *hd, const tr_posenet_decode_desc *d0) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t s1[4] = {1, hd->h, hd->w, K}, s2[4] = {1, hd->h, hd->w, 2 * K},
            s3[4] = {1, hd->h, hd->w, 2 * E};
    int32_t a = tr_graph_input(g, "scores", TRYON_DTYPE_F32, 4, s1);
    int32_t b = tr_graph_input(g, "offsets", TRYON_DTYPE_F32, 4, s2);
    int32_t c = tr_graph_input(g, "fwd", TRYON_DTYPE_F32, 4, s3);
    int32_t e = tr_graph_input(g, "bwd", TRYON_DTYPE_F32, 4, s3);
    int32_t p = tr_posenet_decode(g, a, b, c, e, d0);
    ck_assert_msg(p >= 0, "%s", tryon_ctx_last_error(ctx));
    tr_graph_output(g, p, "poses");
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 0, hd->scores, (size_t)hd->h * hd->w * K * 4),
                     TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 1, hd->offsets, (size_t)hd->h * hd->w * 2 * K * 4),
                     TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 2, hd->fwd, (size_t)hd->h * hd->w * 2 * E * 4),
                     TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 3, hd->bwd, (size_t)hd->h * hd->w * 2 * E * 4),
                     TRYON_OK);
    /* Garbage in the output first: the op must write every slot. */
    tryon_tensor t;
    tryon_model_output(m, 0, &t);
    size_t bytes = (size_t)d0->max_poses * (K + 1) * 3 * 4;
    memset(t.data, 0xff, bytes);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    float *out = malloc(bytes);
    ck_assert_int_eq(tryon_model_get_output(m, 0, out, bytes), TRYON_OK);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
    return out;
}

static tr_posenet_decode_desc desc(int multi, int max_poses) {
    tr_posenet_decode_desc d;
    memset(&d, 0, sizeof d);
    d.output_stride = 8;
    d.multi = multi;
    d.max_poses = max_poses;
    d.local_max_radius = 1;
    d.refine_steps = 2;
    d.score_threshold = 0.5;
    d.nms_radius = 20;
    d.scale_y = d.scale_x = 1;
    return d;
}

/* Values here are sums of small binary fractions: exact in float. */

START_TEST(single_pose_takes_first_argmax_plus_offset) {
    heads h = heads_new(10, 12, 0.1f);
    for (int k = 0; k < K; k++) {
        int y = k % 10, x = (k * 5) % 12;
        *sc(&h, y, x, k) = 0.5f + k / 64.0f;
        set_off(&h, y, x, k, 0.25f * k, -0.5f * k);
    }
    /* Part 3: a tie later in row-major order must lose to the first maximum. */
    *sc(&h, 9, 11, 3) = 0.5f + 3 / 64.0f;
    set_off(&h, 9, 11, 3, 100, 100);
    tr_posenet_decode_desc d = desc(0, 1);
    d.scale_y = 2.0, d.scale_x = 0.5, d.offset_y = -3, d.offset_x = 7;
    float *p = decode(&h, &d);
    double mean = 0;
    for (int k = 0; k < K; k++) {
        int y = k % 10, x = (k * 5) % 12;
        double py = 8.0 * y + 0.25 * k, px = 8.0 * x - 0.5 * k;
        ck_assert_msg(KP(p, 0, k, 0) == (float)(px * 0.5 + 7) &&
                          KP(p, 0, k, 1) == (float)(py * 2 - 3),
                      "part %d at (%g, %g), want (%g, %g)", k, KP(p, 0, k, 0), KP(p, 0, k, 1),
                      px * 0.5 + 7, py * 2 - 3);
        ck_assert(KP(p, 0, k, 2) == 0.5f + k / 64.0f);
        mean += 0.5 + k / 64.0;
    }
    ck_assert_msg(fabsf(KP(p, 0, K, 0) - (float)(mean / K)) <= 1e-7f, "pose score %g",
                  KP(p, 0, K, 0));
    ck_assert(KP(p, 0, K, 1) == 1.0f);
    free(p);
    heads_free(&h);
}
END_TEST

/* Person A: every part at cell (2, 3) (offsets give each its own position);
 * person B: nose root at (6, 8), its parts reached through displacements. */
static void two_people(heads *h) {
    for (int k = 0; k < K; k++) {
        *sc(h, 2, 3, k) = 0.6f + k / 128.0f;
        set_off(h, 2, 3, k, (float)(k % 4) - 1.5f, 1.5f - (float)(k % 3));
    }
    *sc(h, 2, 3, 0) = 0.95f; /* A's nose: the best root */
    /* B's nose at cell (6, 8), offset (1, -2): position (49, 62). */
    *sc(h, 6, 8, 0) = 0.9f;
    set_off(h, 6, 8, 0, 1, -2);
    /* Forward displacement of edge 0 (nose -> left eye) read at B's nose cell
     * (round(49/8), round(62/8)) = (6, 8): +16 rows -> (65, 62) -> cell (8, 8). */
    set_disp(h->fwd, h, 6, 8, 0, 16, 0);
    *sc(h, 8, 8, 1) = 0.8f;
    set_off(h, 8, 8, 1, 2, 3);
}

START_TEST(multi_pose_follows_displacements_and_suppresses) {
    heads h = heads_new(10, 12, 0.1f);
    two_people(&h);
    /* A weaker nose candidate 8 px from A's nose: a local maximum, but within
     * the NMS radius of pose A's nose, so it must not start a pose. */
    *sc(&h, 3, 3, 0) = 0.7f;
    *sc(&h, 2, 3, 0) = 0.95f;
    set_off(&h, 3, 3, 0, -2, 0); /* (22, 24), A's nose is at (14.5, 25.5) */
    /* Keep (3,3) a local maximum only for part 0: (2,3) is higher, so it is not. */
    tr_posenet_decode_desc d = desc(1, 5);
    float *p = decode(&h, &d);
    /* Pose 0 = A (root 0.95): every part at its own offset in cell (2, 3). */
    ck_assert(KP(p, 0, K, 1) == 1.0f);
    for (int k = 0; k < K; k++) {
        float wy = 16.0f + ((float)(k % 4) - 1.5f), wx = 24.0f + (1.5f - (float)(k % 3));
        ck_assert_msg(KP(p, 0, k, 0) == wx && KP(p, 0, k, 1) == wy,
                      "A part %d at (%g, %g) want (%g, %g)", k, KP(p, 0, k, 0), KP(p, 0, k, 1), wx,
                      wy);
        float ws = k == 0 ? 0.95f : 0.6f + k / 128.0f;
        ck_assert(KP(p, 0, k, 2) == ws);
    }
    /* Pose 1 = B (root 0.9 at (49, 62)); the left eye via the displacement. */
    ck_assert(KP(p, 1, K, 1) == 1.0f);
    ck_assert(KP(p, 1, 0, 0) == 62.0f && KP(p, 1, 0, 1) == 49.0f && KP(p, 1, 0, 2) == 0.9f);
    ck_assert_msg(KP(p, 1, 1, 0) == 67.0f && KP(p, 1, 1, 1) == 66.0f && KP(p, 1, 1, 2) == 0.8f,
                  "B left eye (%g, %g, %g)", KP(p, 1, 1, 0), KP(p, 1, 1, 1), KP(p, 1, 1, 2));
    /* Every other part of B has zero displacement: from the nose (49, 62) it
     * lands in cell (6, 8), whose offsets are 0 except the nose's own. Parts
     * reached from the left eye start at (66, 67) -> cell (8, 8). */
    ck_assert(KP(p, 1, 5, 0) == 64.0f && KP(p, 1, 5, 1) == 48.0f); /* left shoulder */
    ck_assert(KP(p, 1, 3, 0) == 64.0f && KP(p, 1, 3, 1) == 64.0f); /* left ear, from the eye */
    /* Instance scores: nothing of B lies within 20 px of A's parts (A spans
     * (14..18, 22..26), B's parts are at least (48, 62)), so B's score is the
     * mean of its part scores; A is the first pose, nothing is suppressed. */
    double sa = 0, sb = 0;
    for (int k = 0; k < K; k++) sa += KP(p, 0, k, 2), sb += KP(p, 1, k, 2);
    ck_assert(fabs(KP(p, 0, K, 0) - sa / K) < 1e-6 && fabs(KP(p, 1, K, 0) - sb / K) < 1e-6);
    /* The weak nose at (3, 3) was suppressed: no third pose, slot zeroed. */
    for (int i = 0; i < (K + 1) * 3; i++) ck_assert(p[2 * (K + 1) * 3 + i] == 0.0f);
    free(p);
    heads_free(&h);
}
END_TEST

START_TEST(multi_pose_respects_threshold_and_max_poses) {
    heads h = heads_new(10, 12, 0.1f);
    two_people(&h);
    tr_posenet_decode_desc d = desc(1, 1);
    float *p = decode(&h, &d); /* one slot: only A */
    ck_assert(KP(p, 0, 0, 2) == 0.95f && KP(p, 0, K, 1) == 1.0f);
    free(p);
    d = desc(1, 5);
    d.score_threshold = 0.96; /* above every root: no pose at all */
    p = decode(&h, &d);
    for (int i = 0; i < 5 * (K + 1) * 3; i++) ck_assert(p[i] == 0.0f);
    free(p);
    /* With the threshold at 0.85 only the two noses qualify as roots. */
    d.score_threshold = 0.85;
    p = decode(&h, &d);
    ck_assert(KP(p, 0, K, 1) == 1.0f && KP(p, 1, K, 1) == 1.0f && KP(p, 2, K, 1) == 0.0f);
    free(p);
    heads_free(&h);
}
END_TEST

START_TEST(builder_rejects_bad_heads_and_options) {
    tryon_ctx *ctx = tu_ctx(1);
    struct {
        int which;
        const char *expect;
    } cases[] = {{0, "offsets"},
                 {1, "max_poses"},
                 {2, "output stride"},
                 {3, "displacement_fwd"},
                 {4, "NMS radius"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t s1[4] = {1, 5, 6, K}, s2[4] = {1, 5, 6, 2 * K}, bad[4] = {1, 5, 7, 2 * K},
                s3[4] = {1, 5, 6, 2 * E};
        int32_t a = tr_graph_input(g, "s", TRYON_DTYPE_F32, 4, s1);
        int32_t b = tr_graph_input(g, "o", TRYON_DTYPE_F32, 4, cases[c].which == 0 ? bad : s2);
        int32_t f = tr_graph_input(g, "f", TRYON_DTYPE_F32, 4, cases[c].which == 3 ? s2 : s3);
        tr_posenet_decode_desc d = desc(cases[c].which >= 3, 1);
        if (cases[c].which == 1) d.max_poses = 2;
        if (cases[c].which == 2) d.output_stride = 0;
        if (cases[c].which == 4) d.nms_radius = NAN;
        ck_assert_int_eq(tr_posenet_decode(g, a, b, f, f, &d), -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), cases[c].expect), "case %zu: '%s'", c,
                      tryon_ctx_last_error(ctx));
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- against tfjs-models ------------------------------------------------------ */

START_TEST(decoders_match_tfjs_models_on_tied_scores) {
    const char *ref = tu_ref_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/posenet/decode/multi.json", ref ? ref : "build/ref");
    FILE *f = fopen(path, "r");
    if (!f) {
        tu_skip("decoders_match_tfjs_models_on_tied_scores",
                "no TF.js fixtures (tests/ref/posenet_ref.sh needs node and npm)");
        return;
    }
    fclose(f);
    tryon_ctx *ctx = tu_ctx(1);
    const char *names[4] = {"heatmap_scores", "offsets", "displacement_fwd", "displacement_bwd"};
    tryon_array a[4];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/posenet/decode/%s.npy", ref ? ref : "build/ref", names[i]);
        tu_npy_load(ctx, path, &a[i]);
    }
    heads h = {
        (int32_t)a[0].shape[1], (int32_t)a[0].shape[2], a[0].data, a[1].data, a[2].data, a[3].data};
    for (int multi = 0; multi <= 1; multi++) {
        tr_posenet_decode_desc d = desc(multi, multi ? 20 : 1);
        d.output_stride = 16;
        float *p = decode(&h, &d);
        snprintf(path, sizeof path, "%s/posenet/decode/%s.json", ref ? ref : "build/ref",
                 multi ? "multi" : "single");
        double worst = pr_compare_poses(ctx, p, d.max_poses, path, 1e-4);
        if (getenv("TRYON_TEST_VERBOSE"))
            fprintf(stderr, "decode %s: max position error %.3g px\n", multi ? "multi" : "single",
                    worst);
        free(p);
    }
    for (int i = 0; i < 4; i++) tryon_array_free(&a[i]);
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("posenet_decode");
    TCase *tc = tcase_create("decode");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, single_pose_takes_first_argmax_plus_offset);
    tcase_add_test(tc, multi_pose_follows_displacements_and_suppresses);
    tcase_add_test(tc, multi_pose_respects_threshold_and_max_poses);
    tcase_add_test(tc, builder_rejects_bad_heads_and_options);
    tcase_add_test(tc, decoders_match_tfjs_models_on_tied_scores);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
