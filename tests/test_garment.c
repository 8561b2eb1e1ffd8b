/* test_garment.c — garment preparation: the background mask against an
 * oracle written from its definition, morphology against brute force, the
 * component clean-up and the anchors on hand-drawn masks with known answers,
 * sleeve weights, mesh triangles, builder errors, the real garment photos in
 * ../shared/data/garments (skipped when absent) and allocation failures of
 * tryon_garment_prepare. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph_fit.h"
#include "warp_util.h"

/* ---- one-op graphs ----------------------------------------------------------- */

typedef enum { OP_BG, OP_MORPH, OP_CLEAN, OP_ANCHORS } one_op;

/* Runs one op on x (n, h, w, c) and copies the output (numel floats) to y. */
static void run_one(one_op op, const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                    int32_t a, int32_t b, float *y, int64_t numel) {
    wu_run r;
    wu_begin(&r, 2);
    int64_t s[4] = {n, h, w, c};
    int32_t in = wu_input(&r, "x", TRYON_DTYPE_F32, 4, s, x), out = -1;
    switch (op) {
    case OP_BG: out = tr_bg_mask(r.g, in, (tr_bg_mask_mode)a, (float)b); break;
    case OP_MORPH: out = tr_morph(r.g, in, (tr_morph_op)a, b); break;
    case OP_CLEAN: out = tr_mask_clean(r.g, in); break;
    case OP_ANCHORS: out = tr_garment_anchors(r.g, in); break;
    }
    tr_graph_output(r.g, out, "y");
    wu_exec(&r);
    tryon_tensor t;
    const float *got = wu_out(&r, 0, &t);
    ck_assert_int_eq(wu_numel(&t), numel);
    memcpy(y, got, (size_t)numel * sizeof *y);
    wu_end(&r);
}

/* ---- background mask -------------------------------------------------------- */

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_d(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[(n - 1) / 2];
}

START_TEST(bg_mask_matches_its_definition) {
    enum { H = 23, W = 31, C = 3 };
    float *x = malloc(H * W * C * sizeof *x), y[H * W];
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    const float bg[3] = {200, 210, 220};
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++)
            for (int k = 0; k < C; k++) {
                float v = bg[k] + (float)tu_rng_int(&rng, -2, 2);           /* backdrop noise */
                if (i > 4 && i < 15 && j > 5 && j < 20) v = 50.0f + 10 * k; /* dark garment */
                if (i > 8 && i < 18 && j > 22 && j < 28)
                    v = bg[k] + (k ? 3 : 25); /* near backdrop */
                x[(i * W + j) * C + k] = v;
            }
    run_one(OP_BG, x, 1, H, W, C, TR_BG_MASK_BORDER, 12, y, H * W);
    /* Oracle: border in any order (a median does not care), Chebyshev distance. */
    double med[3], d[2 * (H + W)], noise;
    int nb = 0;
    for (int k = 0; k < 3; k++) {
        nb = 0;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++)
                if (i == 0 || j == 0 || i == H - 1 || j == W - 1) d[nb++] = x[(i * W + j) * C + k];
        med[k] = median_d(d, nb);
    }
    nb = 0;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++)
            if (i == 0 || j == 0 || i == H - 1 || j == W - 1) {
                double m = 0;
                for (int k = 0; k < 3; k++) m = fmax(m, fabs(x[(i * W + j) * C + k] - med[k]));
                d[nb++] = m;
            }
    noise = 1.4826 * median_d(d, nb);
    ck_assert_msg(noise > 0.5 && noise < 3, "backdrop noise %g", noise);
    int garment = 0;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++) {
            double m = 0;
            for (int k = 0; k < 3; k++) m = fmax(m, fabs(x[(i * W + j) * C + k] - med[k]));
            float want = m > 12 + 4 * noise ? 1.0f : 0.0f;
            ck_assert_msg(y[i * W + j] == want, "pixel (%d, %d): got %g want %g (dist %g)", i, j,
                          y[i * W + j], want, m);
            garment += want > 0;
        }
    /* The dark block is garment; the block 25 levels from the backdrop too. */
    ck_assert_int_eq(garment, 10 * 14 + 9 * 5);
    free(x);
}
END_TEST

START_TEST(bg_mask_alpha_mode_thresholds_channel_3) {
    float x[2 * 3 * 4], y[6];
    for (int i = 0; i < 6; i++) {
        for (int k = 0; k < 3; k++) x[i * 4 + k] = 17;
        x[i * 4 + 3] = (float)(i * 50); /* 0, 50, 100, 150, 200, 250 */
    }
    run_one(OP_BG, x, 1, 2, 3, 4, TR_BG_MASK_ALPHA, 127, y, 6);
    const float want[6] = {0, 0, 0, 1, 1, 1};
    for (int i = 0; i < 6; i++) ck_assert_float_eq(y[i], want[i]);
}
END_TEST

/* ---- morphology --------------------------------------------------------------- */

START_TEST(morph_matches_brute_force) {
    enum { N = 2, H = 13, W = 17, C = 2 };
    float x[N * H * W * C], y[N * H * W * C];
    tu_rng rng;
    tu_rng_seed(&rng, 11);
    tu_fill_uniform(x, N * H * W * C, &rng, -1, 1);
    for (int op = 0; op < 2; op++)
        for (int r = 1; r <= 3; r++) {
            run_one(OP_MORPH, x, N, H, W, C, op, r, y, N * H * W * C);
            for (int n = 0; n < N; n++)
                for (int i = 0; i < H; i++)
                    for (int j = 0; j < W; j++)
                        for (int k = 0; k < C; k++) {
                            float v = op ? -INFINITY : INFINITY;
                            for (int a = i - r; a <= i + r; a++)
                                for (int b = j - r; b <= j + r; b++) {
                                    if (a < 0 || a >= H || b < 0 || b >= W) continue;
                                    float q = x[((n * H + a) * W + b) * C + k];
                                    v = op ? fmaxf(v, q) : fminf(v, q);
                                }
                            ck_assert_msg(y[((n * H + i) * W + j) * C + k] == v,
                                          "op %d r %d at (%d,%d,%d,%d)", op, r, n, i, j, k);
                        }
        }
}
END_TEST

/* ---- clean-up ------------------------------------------------------------------ */

/* '#' garment, '.' background. */
static void parse_mask(const char *const *rows, int h, int w, float *m) {
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) m[i * w + j] = rows[i][j] == '#' ? 1.0f : 0.0f;
}

START_TEST(mask_clean_keeps_the_largest_component_and_fills_its_holes) {
    /* The big component has an enclosed hole (filled), a bay open to the
     * border through a one-pixel channel (kept open: 4-connected background)
     * and a diagonal appendix (8-connected: part of it); the small ring goes,
     * and so does the background it enclosed. */
    static const char *const in[] = {
        "..............", ".########.....", ".########..###", ".###..###..#.#", ".###..###..###",
        ".########.....", ".##....##.....", ".##.#####.....", ".........#....", "..............",
    };
    static const char *const want_rows[] = {
        "..............", ".########.....", ".########.....", ".########.....", ".########.....",
        ".########.....", ".##....##.....", ".##.#####.....", ".........#....", "..............",
    };
    enum { H = 10, W = 14 };
    float m[H * W], want[H * W], y[H * W];
    parse_mask(in, H, W, m);
    parse_mask(want_rows, H, W, want);
    run_one(OP_CLEAN, m, 1, H, W, 1, 0, 0, y, H * W);
    for (int i = 0; i < H * W; i++)
        ck_assert_msg(y[i] == want[i], "pixel (%d, %d): got %g want %g", i / W, i % W, y[i],
                      want[i]);
    /* An empty mask stays empty. */
    memset(m, 0, sizeof m);
    run_one(OP_CLEAN, m, 1, H, W, 1, 0, 0, y, H * W);
    for (int i = 0; i < H * W; i++) ck_assert_float_eq(y[i], 0.0f);
}
END_TEST

/* ---- anchors -------------------------------------------------------------------- */

enum { MH = 110, MW = 100 };

static void rect(float *m, int y0, int y1, int x0, int x1) {
    for (int i = y0; i < y1; i++)
        for (int j = x0; j < x1; j++) m[i * MW + j] = 1.0f;
}

/* A long-sleeved top: shoulder band rows 20..29 over x 10..89, torso x 30..69
 * down to row 99, sleeves x 10..23 and 76..89 down to row 79. */
static void draw_top(float *m) {
    memset(m, 0, MH * MW * sizeof *m);
    rect(m, 20, 30, 10, 90);
    rect(m, 30, 100, 30, 70);
    rect(m, 30, 80, 10, 24);
    rect(m, 30, 80, 76, 90);
}

/* A camisole: straps x 30..32 and 67..69 from row 10, body x 20..79, rows 40..89. */
static void draw_cami(float *m) {
    memset(m, 0, MH * MW * sizeof *m);
    rect(m, 10, 40, 30, 33);
    rect(m, 10, 40, 67, 70);
    rect(m, 40, 90, 20, 80);
}

static void expect_anchor(const float *a, int k, double x, double y) {
    const float *p = a + k * 3;
    ck_assert_msg(p[2] == 1.0f && p[0] == (float)x && p[1] == (float)y,
                  "anchor %s: got (%g, %g, present %g), want (%g, %g)",
                  tryon_garment_anchor_name(k), p[0], p[1], p[2], x, y);
}

START_TEST(anchors_of_a_long_sleeved_top) {
    float *m = malloc(MH * MW * sizeof *m), a[TR_ANCHOR_ROWS * 3];
    draw_top(m);
    run_one(OP_ANCHORS, m, 1, MH, MW, 1, 0, 0, a, TR_ANCHOR_ROWS * 3);
    const float *info = a + TR_ANCHOR_COUNT * 3;
    ck_assert_msg(info[0] == 1 && info[1] == 1 && info[2] == 0, "found %g sleeves %g straps %g",
                  info[0], info[1], info[2]);
    /* Garment rows 20..99 (80): 3% = 2 rows, 2% = 1 row; centre column 50. */
    expect_anchor(a, TR_ANCHOR_NECK, 50.5, 20.5);
    expect_anchor(a, TR_ANCHOR_SHOULDER_L, 10, 23.5); /* row 20 + 0.3 * (30 - 20) */
    expect_anchor(a, TR_ANCHOR_SHOULDER_R, 90, 23.5);
    expect_anchor(a, TR_ANCHOR_PIT_L, 27, 30.5); /* middle of the gap [24, 30) */
    expect_anchor(a, TR_ANCHOR_PIT_R, 73, 30.5);
    expect_anchor(a, TR_ANCHOR_WAIST_L, 30, 64.5); /* row (30 + 99) / 2 */
    expect_anchor(a, TR_ANCHOR_WAIST_R, 70, 64.5);
    expect_anchor(a, TR_ANCHOR_HEM_L, 30, 98.5);
    expect_anchor(a, TR_ANCHOR_HEM_R, 70, 98.5);
    expect_anchor(a, TR_ANCHOR_SLEEVE_IN_L, 24, 54.5); /* row (30 + 79) / 2 */
    expect_anchor(a, TR_ANCHOR_SLEEVE_OUT_L, 10, 54.5);
    expect_anchor(a, TR_ANCHOR_CUFF_IN_L, 24, 77.5); /* row 79 - 2 */
    expect_anchor(a, TR_ANCHOR_CUFF_OUT_L, 10, 77.5);
    expect_anchor(a, TR_ANCHOR_SLEEVE_IN_R, 76, 54.5);
    expect_anchor(a, TR_ANCHOR_SLEEVE_OUT_R, 90, 54.5);
    expect_anchor(a, TR_ANCHOR_CUFF_IN_R, 76, 77.5);
    expect_anchor(a, TR_ANCHOR_CUFF_OUT_R, 90, 77.5);
    free(m);
}
END_TEST

START_TEST(anchors_of_a_camisole) {
    float *m = malloc(MH * MW * sizeof *m), a[TR_ANCHOR_ROWS * 3];
    draw_cami(m);
    run_one(OP_ANCHORS, m, 1, MH, MW, 1, 0, 0, a, TR_ANCHOR_ROWS * 3);
    const float *info = a + TR_ANCHOR_COUNT * 3;
    ck_assert_msg(info[0] == 1 && info[1] == 0 && info[2] == 1, "found %g sleeves %g straps %g",
                  info[0], info[1], info[2]);
    /* Rows 10..89 (80): the straps are the tops; the neck is the body's top
     * on the centre column; the sides start 4% (3 rows) below row 40. */
    expect_anchor(a, TR_ANCHOR_NECK, 50.5, 40.5);
    expect_anchor(a, TR_ANCHOR_SHOULDER_L, 31.5, 10.5);
    expect_anchor(a, TR_ANCHOR_SHOULDER_R, 68.5, 10.5);
    expect_anchor(a, TR_ANCHOR_PIT_L, 20, 43.5);
    expect_anchor(a, TR_ANCHOR_PIT_R, 80, 43.5);
    expect_anchor(a, TR_ANCHOR_HEM_L, 20, 88.5);
    expect_anchor(a, TR_ANCHOR_HEM_R, 80, 88.5);
    for (int k = TR_ANCHOR_SLEEVE_IN_L; k < TR_ANCHOR_COUNT; k++)
        ck_assert_msg(a[k * 3 + 2] == 0, "%s present", tryon_garment_anchor_name(k));
    free(m);
}
END_TEST

START_TEST(anchors_of_an_empty_mask_are_absent) {
    float *m = calloc(MH * MW, sizeof *m), a[TR_ANCHOR_ROWS * 3];
    run_one(OP_ANCHORS, m, 1, MH, MW, 1, 0, 0, a, TR_ANCHOR_ROWS * 3);
    for (int i = 0; i < TR_ANCHOR_ROWS * 3; i++) ck_assert_float_eq(a[i], 0.0f);
    free(m);
}
END_TEST

/* ---- sleeve weights and triangles ------------------------------------------------ */

START_TEST(sleeve_weights_split_sleeves_from_the_torso) {
    float *m = malloc(MH * MW * sizeof *m), a[TR_ANCHOR_ROWS * 3];
    draw_top(m);
    run_one(OP_ANCHORS, m, 1, MH, MW, 1, 0, 0, a, TR_ANCHOR_ROWS * 3);
    /* Points: in the left sleeve, in the torso, above the shoulders, on the
     * boundary at the armpit, far below the cuff, right sleeve. */
    const float pts[6][2] = {{15, 50}, {50, 50}, {15, 10}, {27, 30.5f}, {15, 105}, {85, 60}};
    const float want[6] = {1, 0, 0, 0.5f, 0, 1};
    wu_run r;
    wu_begin(&r, 1);
    int64_t as[3] = {1, TR_ANCHOR_ROWS, 3}, ps[3] = {1, 6, 2};
    int32_t ta = wu_input(&r, "anchors", TRYON_DTYPE_F32, 3, as, a);
    int32_t tp = wu_input(&r, "points", TRYON_DTYPE_F32, 3, ps, pts);
    tr_graph_output(r.g, tr_sleeve_weight(r.g, ta, tp, 4.0f), "w");
    wu_exec(&r);
    const float *w = wu_out(&r, 0, NULL);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(fabsf(w[i] - want[i]) < 1e-6f, "point %d: weight %g want %g", i, w[i],
                      want[i]);
    wu_end(&r);
    /* Without sleeves every weight is 0. */
    draw_cami(m);
    run_one(OP_ANCHORS, m, 1, MH, MW, 1, 0, 0, a, TR_ANCHOR_ROWS * 3);
    wu_begin(&r, 1);
    ta = wu_input(&r, "anchors", TRYON_DTYPE_F32, 3, as, a);
    tp = wu_input(&r, "points", TRYON_DTYPE_F32, 3, ps, pts);
    tr_graph_output(r.g, tr_sleeve_weight(r.g, ta, tp, 4.0f), "w");
    wu_exec(&r);
    w = wu_out(&r, 0, NULL);
    for (int i = 0; i < 6; i++) ck_assert_float_eq(w[i], 0.0f);
    wu_end(&r);
    free(m);
}
END_TEST

START_TEST(garment_tri_keeps_only_cells_holding_garment) {
    enum { H = 8, W = 12 };
    float m[H * W] = {0};
    m[1 * W + 2] = 1; /* one pixel in cell (0, 0) of a 3 x 2 grid (cells 4 x 4) */
    m[6 * W + 9] = 1; /* one in cell (1, 2) */
    wu_run r;
    wu_begin(&r, 1);
    int64_t s[4] = {1, H, W, 1};
    int32_t in = wu_input(&r, "mask", TRYON_DTYPE_F32, 4, s, m);
    tr_graph_output(r.g, tr_garment_tri(r.g, in, 3, 2), "tri");
    wu_exec(&r);
    tryon_tensor t;
    const int32_t *tri = (const int32_t *)wu_out(&r, 0, &t);
    ck_assert_int_eq(t.dtype, TRYON_DTYPE_I32);
    ck_assert_int_eq(t.shape[0], 12);
    /* vertex (row, col) = row * 4 + col; cell k gives triangles 2k, 2k+1 */
    const int32_t want[12][3] = {{0, 4, 5}, {0, 5, 1}, {0, 0, 0},   {0, 0, 0},
                                 {0, 0, 0}, {0, 0, 0}, {0, 0, 0},   {0, 0, 0},
                                 {0, 0, 0}, {0, 0, 0}, {6, 10, 11}, {6, 11, 7}};
    for (int i = 0; i < 12; i++)
        for (int k = 0; k < 3; k++)
            ck_assert_msg(tri[i * 3 + k] == want[i][k], "triangle %d: %d %d %d", i, tri[i * 3],
                          tri[i * 3 + 1], tri[i * 3 + 2]);
    wu_end(&r);
}
END_TEST

START_TEST(garment_builders_reject_bad_operands) {
    wu_run r;
    int64_t s2[4] = {1, 8, 8, 2}, s1[4] = {2, 8, 8, 1}, as[3] = {1, 5, 3}, ps[3] = {1, 4, 2};
    struct {
        int what;
        const char *msg;
    } cases[] = {{0, "border mode needs 3"},
                 {1, "radius 0 outside"},
                 {2, "one mask at a time"},
                 {3, "anchors"},
                 {4, "alpha mode needs 4"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        wu_begin(&r, 1);
        int32_t x2 = tr_graph_input(r.g, "x2", TRYON_DTYPE_F32, 4, s2);
        int32_t x1 = tr_graph_input(r.g, "x1", TRYON_DTYPE_F32, 4, s1);
        int32_t a = tr_graph_input(r.g, "a", TRYON_DTYPE_F32, 3, as);
        int32_t p = tr_graph_input(r.g, "p", TRYON_DTYPE_F32, 3, ps);
        int32_t y = 0;
        switch (cases[c].what) {
        case 0: y = tr_bg_mask(r.g, x2, TR_BG_MASK_BORDER, 10); break;
        case 1: y = tr_morph(r.g, x1, TR_MORPH_ERODE, 0); break;
        case 2: y = tr_garment_tri(r.g, x1, 4, 4); break;
        case 3: y = tr_sleeve_weight(r.g, a, p, 1.0f); break;
        case 4: y = tr_bg_mask(r.g, x2, TR_BG_MASK_ALPHA, 10); break;
        }
        ck_assert_int_eq(y, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(r.ctx), cases[c].msg), "case %zu: '%s'", c,
                      tryon_ctx_last_error(r.ctx));
        wu_end(&r);
    }
}
END_TEST

/* ---- tryon_garment_prepare ------------------------------------------------------- */

static tryon_image image_of_mask(const float *m, int h, int w, int channels) {
    tryon_image img = {w, h, channels, calloc((size_t)w * h * channels, 1)};
    for (int i = 0; i < w * h; i++)
        for (int k = 0; k < channels; k++)
            img.data[i * channels + k] = k == 3 ? (m[i] > 0 ? 255 : 0) : (m[i] > 0 ? 40 : 240);
    return img;
}

START_TEST(prepare_drawn_top_from_rgb_and_rgba) {
    float *m = malloc(MH * MW * sizeof *m);
    draw_top(m);
    tryon_ctx *ctx = tu_ctx(2);
    for (int channels = 3; channels <= 4; channels++) {
        tryon_image img = image_of_mask(m, MH, MW, channels);
        tryon_garment_params p = tryon_garment_params_default();
        p.texture_width = MW, p.texture_height = MH; /* no resampling: anchors stay exact */
        p.close_radius = 1;
        p.grid_x = 10, p.grid_y = 11;
        tryon_garment *gm;
        tryon_status st = tryon_garment_prepare(ctx, &img, &p, NULL, &gm);
        ck_assert_msg(st == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
        tryon_garment_info gi;
        tryon_garment_get_info(gm, &gi);
        ck_assert_int_eq(gi.has_sleeves, 1);
        ck_assert_int_eq(gi.has_straps, 0);
        ck_assert_float_eq(gi.anchors[TR_ANCHOR_PIT_L][0], 27.0f);
        ck_assert_float_eq(gi.anchors[TR_ANCHOR_CUFF_OUT_R][0], 90.0f);
        /* The texture is premultiplied: garment texels are (40/255, 1), the rest 0. */
        tryon_image tex;
        ck_assert_int_eq(tryon_garment_texture(ctx, gm, &tex), TRYON_OK);
        ck_assert_int_eq(tex.data[(50 * MW + 50) * 4 + 0], 40);
        ck_assert_int_eq(tex.data[(50 * MW + 50) * 4 + 3], 255);
        ck_assert_int_eq(tex.data[(5 * MW + 5) * 4 + 3], 0);
        tryon_image_free(&tex);
        tryon_garment_free(gm);
        tryon_image_free(&img);
    }
    tryon_ctx_free(ctx);
    free(m);
}
END_TEST

START_TEST(prepare_rejects_what_it_cannot_use) {
    tryon_ctx *ctx = tu_ctx(1);
    tryon_garment_params p = tryon_garment_params_default();
    tryon_garment *gm = (tryon_garment *)&p;
    uint8_t px[64 * 64 * 4];
    memset(px, 200, sizeof px);
    tryon_image plain = {64, 64, 3, px}, gray2 = {64, 64, 2, px}, tiny = {4, 4, 3, px};
    ck_assert_int_eq(tryon_garment_prepare(ctx, &plain, &p, NULL, &gm), TRYON_ERR_UNSUPPORTED);
    ck_assert_ptr_null(gm);
    ck_assert_msg(strstr(tryon_ctx_last_error(ctx), "no upper-body garment"), "%s",
                  tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_garment_prepare(ctx, &gray2, &p, NULL, &gm), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_garment_prepare(ctx, &tiny, &p, NULL, &gm), TRYON_ERR_INVALID_ARG);
    p.texture_width = 8;
    ck_assert_int_eq(tryon_garment_prepare(ctx, &plain, &p, NULL, &gm), TRYON_ERR_INVALID_ARG);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(prepare_fails_cleanly_when_any_allocation_fails) {
    float *m = malloc(MH * MW * sizeof *m);
    draw_top(m);
    tryon_image img = image_of_mask(m, MH, MW, 3);
    tryon_garment_params p = tryon_garment_params_default();
    p.texture_width = 64, p.texture_height = 64, p.grid_x = 4, p.grid_y = 4;
    tryon_ctx *ctx = tu_ctx(1);
    for (int64_t nth = 1; nth < 1000; nth++) {
        tr_ctx_set_fail_alloc(ctx, nth);
        tryon_garment *gm;
        tryon_status st = tryon_garment_prepare(ctx, &img, &p, NULL, &gm);
        tr_ctx_set_fail_alloc(ctx, 0);
        if (st == TRYON_OK) { /* nth is past the last allocation: all earlier ones covered */
            tryon_garment_free(gm);
            tryon_ctx_free(ctx);
            tryon_image_free(&img);
            free(m);
            return;
        }
        ck_assert_msg(st == TRYON_ERR_NOMEM, "allocation %lld: status %d (%s)", (long long)nth, st,
                      tryon_ctx_last_error(ctx));
        ck_assert_ptr_null(gm);
    }
    ck_abort_msg("garment preparation needed more than 1000 allocations");
}
END_TEST

/* The real product photos (non-commercial research data: never in the repo). */
START_TEST(prepare_real_garment_photos) {
    char buf[1024];
    const char *names[2] = {"garments/striped-top.png", "garments/yellow-cami.png"};
    tryon_ctx *ctx = tu_ctx(2);
    for (int g = 0; g < 2; g++) {
        const char *path = tu_data_file(names[g], buf, sizeof buf);
        if (!path) {
            tu_skip("garment", "../shared/data/garments absent: real garment photos not checked");
            break;
        }
        tryon_image img;
        ck_assert_int_eq(tryon_image_read_png(ctx, path, 3, &img), TRYON_OK);
        tryon_garment_params p = tryon_garment_params_default();
        tryon_garment *gm;
        ck_assert_msg(tryon_garment_prepare(ctx, &img, &p, NULL, &gm) == TRYON_OK, "%s: %s", path,
                      tryon_ctx_last_error(ctx));
        tryon_garment_info gi;
        tryon_garment_get_info(gm, &gi);
        ck_assert_int_eq(gi.has_sleeves, g == 0);
        ck_assert_int_eq(gi.has_straps, g == 1);
        float(*a)[3] = gi.anchors;
        /* Geometry any front view of a top has: left of right, neck between the
         * shoulders, shoulders above the armpits, waist above the hem, and the
         * garment centred in the photo (both are, within 10%). */
        for (int k = TR_ANCHOR_SHOULDER_L; k <= TR_ANCHOR_HEM_L; k += 2) {
            ck_assert_msg(a[k][2] > 0 && a[k + 1][2] > 0, "%s: %s missing", path,
                          tryon_garment_anchor_name(k));
            ck_assert_msg(a[k][0] < a[k + 1][0], "%s: %s right of its pair", path,
                          tryon_garment_anchor_name(k));
        }
        ck_assert(a[TR_ANCHOR_NECK][0] > a[TR_ANCHOR_SHOULDER_L][0]);
        ck_assert(a[TR_ANCHOR_NECK][0] < a[TR_ANCHOR_SHOULDER_R][0]);
        ck_assert(fabsf(a[TR_ANCHOR_NECK][0] - 0.5f * p.texture_width) < 0.1f * p.texture_width);
        ck_assert(a[TR_ANCHOR_SHOULDER_L][1] < a[TR_ANCHOR_PIT_L][1]);
        ck_assert(a[TR_ANCHOR_WAIST_L][1] < a[TR_ANCHOR_HEM_L][1]);
        if (g == 0) /* sleeves hang outside the torso, cuffs below the armpits */
            ck_assert(a[TR_ANCHOR_CUFF_OUT_L][0] < a[TR_ANCHOR_HEM_L][0] &&
                      a[TR_ANCHOR_CUFF_OUT_R][0] > a[TR_ANCHOR_HEM_R][0] &&
                      a[TR_ANCHOR_CUFF_IN_L][1] > a[TR_ANCHOR_PIT_L][1]);
        tryon_garment_free(gm);
        tryon_image_free(&img);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("garment");
    TCase *tc = tcase_create("garment");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bg_mask_matches_its_definition);
    tcase_add_test(tc, bg_mask_alpha_mode_thresholds_channel_3);
    tcase_add_test(tc, morph_matches_brute_force);
    tcase_add_test(tc, mask_clean_keeps_the_largest_component_and_fills_its_holes);
    tcase_add_test(tc, anchors_of_a_long_sleeved_top);
    tcase_add_test(tc, anchors_of_a_camisole);
    tcase_add_test(tc, anchors_of_an_empty_mask_are_absent);
    tcase_add_test(tc, sleeve_weights_split_sleeves_from_the_torso);
    tcase_add_test(tc, garment_tri_keeps_only_cells_holding_garment);
    tcase_add_test(tc, garment_builders_reject_bad_operands);
    tcase_add_test(tc, prepare_drawn_top_from_rgb_and_rgba);
    tcase_add_test(tc, prepare_rejects_what_it_cannot_use);
    tcase_add_test(tc, prepare_fails_cleanly_when_any_allocation_fails);
    tcase_add_test(tc, prepare_real_garment_photos);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
