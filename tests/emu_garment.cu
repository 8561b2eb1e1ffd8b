/* emu_garment.cu — host emulation of the CUDA garment preparation kernels
 * (see emu_util.cuh) against kernels/cpu/garment_mask.c and garment_geom.c,
 * all bitwise:
 *   bg_mask: the border-median block run thread by thread (256 threads and,
 *     to show the result does not depend on it, 7), then the per-pixel
 *     classification; backdrops with noise and ties, 1-row, 1-column and 2x2
 *     images, C = 3 and 4, the alpha mode;
 *   morph: both passes in F32, F16 and BF16 storage, radii past the image,
 *     NaN inputs;
 *   mask_clean: the ten union-find passes with the pixels visited forwards,
 *     backwards and in a fresh random order at every pass (the result must
 *     not depend on the schedule), on the hand-drawn mask of test_garment.c,
 *     random masks of many components, ties for the largest, empty and full
 *     masks, single rows and columns, over a workspace full of garbage;
 *   anchors (row-run table then the sequential scan), sleeve weights and
 *     mesh triangles on drawn tops, camisoles, random masks and rows of more
 *     than 64 runs;
 *   the whole preparation chain on the real garment photos (skipped when
 *     ../shared/data is absent), each stage fed the CPU's previous output.
 * What emulation cannot show — real concurrency in the union-find, barrier
 * and launch behaviour — is tests/gpu_fit.c's job on a GPU. */
#include "emu_util.cuh"
#include "garment_geom.cuh"
#include "garment_mask.cuh"

/* ---- bg_mask ------------------------------------------------------------------------ */

/* The stats block of image `img` with nt threads, then the classification. */
static void emu_bg_mask(const tr_bg_mask_desc &d, const float *x, float *mask, int32_t nt) {
    float *stats = emu_floats((int64_t)d.n * 4);
    if (d.mode == TR_BG_MASK_BORDER)
        for (int32_t img = 0; img < d.n; img++) {
            float med[4] = {NAN, NAN, NAN, NAN};
            tr_bg_sample s;
            s.d = d;
            s.x = x + (int64_t)img * d.h * d.w * d.c;
            for (s.c = 0; s.c < 3; s.c++)
                for (int32_t tid = 0; tid < nt; tid++) tr_bg_median_step(s, tid, nt, &med[s.c]);
            s.c = -1;
            for (int c = 0; c < 3; c++) s.bg[c] = med[c];
            for (int32_t tid = 0; tid < nt; tid++) tr_bg_median_step(s, tid, nt, &med[3]);
            float *st = stats + img * 4;
            st[0] = med[0], st[1] = med[1], st[2] = med[2], st[3] = tr_bg_threshold(d, med[3]);
        }
    tr_bg_classify_p p = {d, x, stats, mask};
    emu_run(p, (int64_t)d.n * d.h * d.w);
    free(stats);
}

/* A noisy backdrop (per image its own colour), a dark block, a block close to
 * the backdrop, and on C = 4 an alpha channel. */
static void backdrop_image(float *x, int32_t n, int32_t h, int32_t w, int32_t c, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (int32_t b = 0; b < n; b++)
        for (int32_t i = 0; i < h; i++)
            for (int32_t j = 0; j < w; j++)
                for (int32_t k = 0; k < c; k++) {
                    float bg = 200.0f + 10 * k - 30 * b, v = bg + (float)tu_rng_int(&r, -2, 2);
                    if (i > h / 5 && i < h / 2 && j > w / 5 && j < 2 * w / 3) v = 50.0f + 10 * k;
                    if (i > h / 2 && j > 2 * w / 3) v = bg + (k ? 3.0f : 25.0f);
                    if (k == 3) v = (float)tu_rng_int(&r, 0, 255);
                    x[(((int64_t)b * h + i) * w + j) * c + k] = v;
                }
}

/* A backdrop with continuous noise and an interior of colours spread evenly
 * around it: many pixels lie within a hair of the threshold, so the median,
 * the noise scale and the threshold must all round as on the CPU. */
static void smooth_image(float *x, int32_t h, int32_t w, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (int32_t i = 0; i < h; i++)
        for (int32_t j = 0; j < w; j++) {
            int border = i == 0 || j == 0 || i == h - 1 || j == w - 1;
            for (int32_t k = 0; k < 3; k++)
                x[((int64_t)i * w + j) * 3 + k] =
                    150.0f + 7 * k +
                    tu_rng_uniform(&r, border ? -3.0f : -30.0f, border ? 3.0f : 30.0f);
        }
}

START_TEST(bg_mask_matches_the_cpu) {
    const int32_t shapes[][2] = {{23, 31}, {1, 17}, {13, 1}, {2, 2}, {2, 5}, {40, 33}, {1, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int32_t c = 3; c <= 4; c++)
            for (int mode = 0; mode < TR_BG_MASK_MODE_COUNT; mode++) {
                if (mode == TR_BG_MASK_ALPHA && c != 4) continue;
                const int32_t n = 2, h = shapes[s][0], w = shapes[s][1];
                tr_bg_mask_desc d = {n, h, w, c, (tr_bg_mask_mode)mode, mode ? 127.5f : 12.0f};
                const int64_t np = (int64_t)n * h * w;
                float *x = emu_floats(np * c), *ref = emu_floats(np), *got = emu_floats(np);
                backdrop_image(x, n, h, w, c, 40 + s);
                void *ws = calloc((size_t)tr_bg_mask_ws_bytes(&d) + 4, 1);
                tr_cpu_bg_mask_f32(NULL, &d, x, ws, ref);
                const int64_t ys[4] = {n, h, w, 1};
                for (int32_t nt = 7; nt <= 256; nt += 249) {
                    for (int64_t i = 0; i < np; i++) got[i] = NAN;
                    emu_bg_mask(d, x, got, nt);
                    EMU_EXACT(got, ref, np, 4, ys, "bg_mask");
                }
                free(x), free(ref), free(got), free(ws);
            }
    tr_bg_mask_desc d = {1, 120, 90, 3, TR_BG_MASK_BORDER, 12.0f};
    const int64_t np = 120 * 90, ys[4] = {1, 120, 90, 1};
    float *x = emu_floats(np * 3), *ref = emu_floats(np), *got = emu_floats(np);
    void *ws = malloc((size_t)tr_bg_mask_ws_bytes(&d));
    smooth_image(x, 120, 90, 9);
    tr_cpu_bg_mask_f32(NULL, &d, x, ws, ref);
    emu_bg_mask(d, x, got, 256);
    EMU_EXACT(got, ref, np, 4, ys, "bg_mask smooth");
    free(x), free(ref), free(got), free(ws);
}
END_TEST

/* ---- morph -------------------------------------------------------------------------- */

template <typename T> static void check_morph(void) {
    const tryon_dtype dt = emu_dtype<T>();
    const int32_t N = 2, H = 13, W = 17, C = 2;
    const int64_t nx = (int64_t)N * H * W * C, ys[4] = {N, H, W, C};
    float *x = emu_floats(nx), *ref = emu_floats(nx), *got = emu_floats(nx), *cws = emu_floats(nx);
    tu_rng r;
    tu_rng_seed(&r, 12);
    tu_fill_uniform(x, nx, &r, -3, 3);
    x[5] = NAN, x[2 * W * C + 7] = NAN, x[nx - 1] = INFINITY, x[40] = -INFINITY;
    emu_round_all(x, nx, dt);
    T *tx = emu_store<T>(x, nx), *tws = emu_store<T>(got, nx), *ty = emu_store<T>(got, nx);
    const int32_t radii[4] = {1, 2, 3, 20};
    for (int op = 0; op < TR_MORPH_OP_COUNT; op++)
        for (int k = 0; k < 4; k++) {
            tr_morph_desc d = {N, H, W, C, radii[k], (tr_morph_op)op};
            tr_cpu_morph_f32(NULL, &d, x, cws, ref);
            tr_morph_p<T> h = {d, tx, tws, 0}, v = {d, tws, ty, 1};
            emu_run(h, nx);
            emu_run(v, nx);
            emu_load(ty, got, nx);
            EMU_EXACT(got, ref, nx, 4, ys, "morph");
        }
    free(x), free(ref), free(got), free(cws), free(tx), free(tws), free(ty);
}

START_TEST(morph_matches_the_cpu_in_every_storage) {
    check_morph<float>();
    check_morph<__half>();
    check_morph<__nv_bfloat16>();
}
END_TEST

/* ---- mask_clean --------------------------------------------------------------------- */

/* The ten passes, each visiting the pixels in `order`: 0 forwards, 1
 * backwards, 2 a fresh random permutation per pass; the workspace starts as
 * garbage (the device arena is not cleared between runs). */
static void emu_mask_clean(const tr_mask_clean_desc &d, const float *mask, float *y, int order,
                           tu_rng *r) {
    const int64_t hw = (int64_t)d.h * d.w;
    int32_t *ws = (int32_t *)malloc((size_t)(2 * hw) * sizeof(int32_t));
    int64_t *perm = (int64_t *)malloc((size_t)hw * sizeof(int64_t));
    ck_assert(ws && perm);
    memset(ws, 0x5b, (size_t)(2 * hw) * sizeof(int32_t));
    unsigned long long best = 0x123456789ull;
    for (int32_t img = 0; img < d.n; img++) {
        tr_mc_p c;
        c.d = d, c.m = mask + img * hw, c.a = ws, c.b = ws + hw, c.best = &best;
        c.y = y + img * hw;
        for (int32_t step = 0; step < TR_MC_STEPS; step++) {
            for (int64_t k = 0; k < hw; k++) perm[k] = order == 1 ? hw - 1 - k : k;
            if (order == 2)
                for (int64_t k = hw - 1; k > 0; k--) {
                    int64_t j = tu_rng_u64(r) % (uint64_t)(k + 1), t = perm[k];
                    perm[k] = perm[j], perm[j] = t;
                }
            for (int64_t k = 0; k < hw; k++) tr_mc_step(c, step, perm[k]);
        }
    }
    free(ws), free(perm);
}

static void check_clean(const float *mask, int32_t n, int32_t h, int32_t w, const char *what) {
    tr_mask_clean_desc d = {n, h, w};
    const int64_t np = (int64_t)n * h * w, ys[4] = {n, h, w, 1};
    float *ref = emu_floats(np), *got = emu_floats(np);
    void *ws = malloc((size_t)tr_mask_clean_ws_bytes(&d));
    tr_cpu_mask_clean_f32(NULL, &d, mask, ws, ref);
    tu_rng r;
    tu_rng_seed(&r, 77);
    for (int order = 0; order < 3; order++) {
        for (int64_t i = 0; i < np; i++) got[i] = NAN;
        emu_mask_clean(d, mask, got, order, &r);
        EMU_EXACT(got, ref, np, 4, ys, what);
    }
    free(ref), free(got), free(ws);
}

static void parse_mask(const char *const *rows, int32_t h, int32_t w, float *m) {
    for (int32_t i = 0; i < h; i++)
        for (int32_t j = 0; j < w; j++) m[i * w + j] = rows[i][j] == '#' ? 1.0f : 0.0f;
}

START_TEST(mask_clean_matches_the_cpu_in_any_thread_order) {
    /* test_garment.c's mask: a hole, a bay open through a one-pixel channel,
     * a diagonal appendix, a small ring enclosing background. */
    static const char *const drawn[] = {
        "..............", ".########.....", ".########..###", ".###..###..#.#", ".###..###..###",
        ".########.....", ".##....##.....", ".##.#####.....", ".........#....", "..............",
    };
    /* Two components of 9 pixels: the first in raster order is kept. */
    static const char *const tie[] = {
        ".......", "....###", "###.###", "###.###", "###....",
    };
    float m[2 * 10 * 14];
    parse_mask(drawn, 10, 14, m);
    parse_mask(drawn, 10, 14, m + 140);
    for (int i = 140; i < 280; i++) m[i] = 1.0f - m[i]; /* the inverse as a second image */
    check_clean(m, 2, 10, 14, "mask_clean drawn");
    parse_mask(tie, 5, 7, m);
    check_clean(m, 1, 5, 7, "mask_clean tie");
    /* Random masks from sparse (specks) to dense (holes), with NaN (background). */
    tu_rng r;
    tu_rng_seed(&r, 31);
    const int32_t shapes[][2] = {{37, 41}, {1, 23}, {19, 1}, {64, 48}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int k = 0; k < 5; k++) {
            const int32_t h = shapes[s][0], w = shapes[s][1];
            const float density = 0.2f + 0.15f * k;
            float *x = emu_floats(2 * (int64_t)h * w);
            for (int64_t i = 0; i < 2 * (int64_t)h * w; i++)
                x[i] = tu_rng_uniform(&r, 0, 1) < density ? tu_rng_uniform(&r, 0.51f, 2) : 0.5f;
            x[3] = NAN;
            check_clean(x, 2, h, w, "mask_clean random");
            free(x);
        }
    /* Empty and full. */
    float e[6 * 7];
    for (int i = 0; i < 42; i++) e[i] = 0.0f;
    check_clean(e, 1, 6, 7, "mask_clean empty");
    for (int i = 0; i < 42; i++) e[i] = 1.0f;
    check_clean(e, 1, 6, 7, "mask_clean full");
}
END_TEST

/* ---- anchors, sleeve weights, triangles ----------------------------------------------- */

enum { MH = 110, MW = 100 };

static void rect(float *m, int y0, int y1, int x0, int x1) {
    for (int i = y0; i < y1; i++)
        for (int j = x0; j < x1; j++) m[i * MW + j] = 1.0f;
}

/* test_garment.c's long-sleeved top and camisole. */
static void draw_top(float *m) {
    memset(m, 0, MH * MW * sizeof *m);
    rect(m, 20, 30, 10, 90);
    rect(m, 30, 100, 30, 70);
    rect(m, 30, 80, 10, 24);
    rect(m, 30, 80, 76, 90);
}

static void draw_cami(float *m) {
    memset(m, 0, MH * MW * sizeof *m);
    rect(m, 10, 40, 30, 33);
    rect(m, 10, 40, 67, 70);
    rect(m, 40, 90, 20, 80);
}

/* The anchors kernels: the run table, then the scan of every image. */
static void emu_anchors(const tr_garment_anchors_desc &d, const float *mask, float *anchors) {
    const int64_t rows = (int64_t)d.n * d.h;
    tr_run *tab = (tr_run *)calloc((size_t)(rows * TR_RUN_STRIDE), sizeof(tr_run));
    for (int64_t r = 0; r < rows; r++) tr_row_runs(mask + r * d.w, d.w, tab + r * TR_RUN_STRIDE);
    for (int32_t n = 0; n < d.n; n++) {
        tr_mask_runs v;
        v.m = mask + (int64_t)n * d.h * d.w, v.tab = tab + (int64_t)n * d.h * TR_RUN_STRIDE;
        v.h = d.h, v.w = d.w;
        tr_anchors_one(v, anchors + n * TR_ANCHOR_ROWS * 3);
    }
    free(tab);
}

static void check_anchors(const float *mask, int32_t n, int32_t h, int32_t w, const char *what) {
    tr_garment_anchors_desc d = {n, h, w};
    const int64_t na = (int64_t)n * TR_ANCHOR_ROWS * 3, as[3] = {n, TR_ANCHOR_ROWS, 3};
    float *ref = emu_floats(na), *got = emu_floats(na);
    tr_cpu_garment_anchors_f32(NULL, &d, mask, ref);
    for (int64_t i = 0; i < na; i++) got[i] = NAN;
    emu_anchors(d, mask, got);
    EMU_EXACT(got, ref, na, 3, as, what);
    /* the sleeve weights of a grid over the mask and of scattered points */
    const int32_t V = 11 * 12 + 40;
    float *pts = emu_floats(2 * V), *wref = emu_floats((int64_t)n * V),
          *wgot = emu_floats((int64_t)n * V);
    for (int32_t i = 0; i < 11 * 12; i++)
        pts[2 * i] = (float)(i % 12) * w / 11, pts[2 * i + 1] = (float)(i / 12) * h / 10;
    tu_rng r;
    tu_rng_seed(&r, 8);
    for (int32_t i = 11 * 12; i < V; i++)
        pts[2 * i] = tu_rng_uniform(&r, -5, w + 5.0f),
                pts[2 * i + 1] = tu_rng_uniform(&r, -5, h + 5.0f);
    for (int k = 0; k < 2; k++) {
        tr_sleeve_weight_desc sd = {n, V, k ? 0.03f * w : 4.0f};
        tr_cpu_sleeve_weight_f32(NULL, &sd, ref, pts, wref);
        tr_sleeve_p p = {sd, ref, pts, wgot};
        emu_run(p, (int64_t)n * V);
        const int64_t ws[3] = {n, V, 1};
        EMU_EXACT(wgot, wref, (int64_t)n * V, 3, ws, "sleeve_weight");
    }
    free(ref), free(got), free(pts), free(wref), free(wgot);
}

static void check_tri(const float *mask, int32_t h, int32_t w, int32_t gx, int32_t gy) {
    tr_garment_tri_desc d = {h, w, gx, gy};
    const int64_t nt = 6 * (int64_t)gx * gy;
    int32_t *ref = (int32_t *)calloc((size_t)nt, 4), *got = (int32_t *)calloc((size_t)nt, 4);
    uint8_t *cws = (uint8_t *)calloc((size_t)gx * gy, 1),
            *cell = (uint8_t *)malloc((size_t)gx * gy);
    tr_cpu_garment_tri(NULL, &d, mask, cws, ref);
    memset(cell, 0x77, (size_t)gx * gy);
    tr_tri_p p = {d, mask, cell, got};
    for (int64_t k = 0; k < (int64_t)gx * gy; k++) cell[k] = 0; /* tri_clear */
    for (int64_t i = 0; i < (int64_t)h * w; i++) p.mark(i);
    for (int64_t k = 0; k < (int64_t)gx * gy; k++) p.write(k);
    ck_assert_msg(memcmp(got, ref, (size_t)nt * 4) == 0, "garment_tri %dx%d grid %dx%d differs", w,
                  h, gx, gy);
    free(ref), free(got), free(cws), free(cell);
}

START_TEST(anchors_sleeves_and_triangles_match_the_cpu) {
    float *m = emu_floats(2 * MH * MW);
    draw_top(m);
    draw_cami(m + MH * MW);
    check_anchors(m, 2, MH, MW, "anchors top+cami");
    check_tri(m, MH, MW, 10, 11);
    check_tri(m + MH * MW, MH, MW, 32, 40);
    check_tri(m, MH, MW, 1, 1);
    check_tri(m, MH, MW, 150, 7); /* more cells than columns */
    /* empty, and a garment with a row of 100 runs (noise: capped at 64) */
    memset(m, 0, sizeof(float) * MH * MW);
    draw_top(m + MH * MW);
    for (int j = 0; j < MW; j += 2) m[MH * MW + 60 * MW + j] = 1.0f;
    for (int j = 0; j < MW; j += 2) m[MH * MW + 22 * MW + j] = 0.0f;
    check_anchors(m, 2, MH, MW, "anchors empty+noisy");
    /* a wide top whose shoulder band is a comb of 140 runs a row: the scan
     * sees only the first 64 (its bounding box and shoulders come from them) */
    {
        const int32_t h = 110, w = 300;
        float *x = emu_floats((int64_t)h * w);
        for (int32_t i = 20; i < 30; i++)
            for (int32_t j = 10; j < 290; j += 2) x[i * w + j] = 1.0f;
        for (int32_t i = 30; i < 100; i++)
            for (int32_t j = 60; j < 120; j++) x[i * w + j] = 1.0f;
        check_anchors(x, 1, h, w, "anchors comb");
        free(x);
    }
    /* random blobs: whatever the scan makes of them, it makes the same */
    tu_rng r;
    tu_rng_seed(&r, 5);
    for (int k = 0; k < 6; k++) {
        const int32_t h = 40 + 13 * k, w = 30 + 17 * k;
        float *x = emu_floats((int64_t)h * w);
        for (int b = 0; b < 4 + k; b++) {
            int32_t y0 = tu_rng_int(&r, 0, h - 2), x0 = tu_rng_int(&r, 0, w - 2);
            int32_t y1 = tu_rng_int(&r, y0 + 1, h), x1 = tu_rng_int(&r, x0 + 1, w);
            for (int32_t i = y0; i < y1; i++)
                for (int32_t j = x0; j < x1; j++) x[i * w + j] = 1.0f;
        }
        check_anchors(x, 1, h, w, "anchors blobs");
        check_tri(x, h, w, 3 + k, 5 + 2 * k);
        free(x);
    }
    free(m);
}
END_TEST

/* ---- the preparation chain on the real photos ------------------------------------------ */

START_TEST(preparation_chain_on_real_garments_matches_the_cpu) {
    const char *names[2] = {"garments/striped-top.png", "garments/yellow-cami.png"};
    tryon_ctx *ctx = tu_ctx(1);
    for (int g = 0; g < 2; g++) {
        char buf[1024];
        const char *path = tu_data_file(names[g], buf, sizeof buf);
        if (!path) {
            tu_skip("emu_garment", "../shared/data/garments absent: the real chain is not run");
            break;
        }
        tryon_image img;
        ck_assert_int_eq(tryon_image_read_png(ctx, path, 3, &img), TRYON_OK);
        /* nets/garment.c with the default parameters: no prefilter (the photos
         * are 2x the texture), half-pixel bilinear to 384x512, closing radius 3. */
        const int32_t TW = 384, TH = 512, GX = 32, GY = 40;
        ck_assert(img.height / TH <= 2 && img.width / TW <= 2);
        tr_resize_desc rd = {1, img.height, img.width, 3, TH, TW, TR_RESIZE_HALF_PIXEL};
        const int64_t np = (int64_t)TH * TW, ms[4] = {1, TH, TW, 1};
        float *x = emu_floats(np * 3), *a = emu_floats(np), *b = emu_floats(np);
        float *got = emu_floats(np), *ws = emu_floats(np);
        tr_cpu_resize_bilinear_u8_f32(NULL, &rd, img.data, x);
        tr_bg_mask_desc bd = {1, TH, TW, 3, TR_BG_MASK_BORDER, 12.0f};
        void *bws = malloc((size_t)tr_bg_mask_ws_bytes(&bd));
        tr_cpu_bg_mask_f32(NULL, &bd, x, bws, a);
        emu_bg_mask(bd, x, got, 256);
        EMU_EXACT(got, a, np, 4, ms, "real bg_mask");
        const struct {
            tr_morph_op op;
            int32_t r;
        } steps[4] = {
            {TR_MORPH_DILATE, 3}, {TR_MORPH_ERODE, 3}, {TR_MORPH_ERODE, 1}, {TR_MORPH_DILATE, 1}};
        for (int k = 0; k < 4; k++) {
            tr_morph_desc md = {1, TH, TW, 1, steps[k].r, steps[k].op};
            tr_cpu_morph_f32(NULL, &md, a, ws, b);
            tr_morph_p<float> h = {md, a, ws, 0}, v = {md, ws, got, 1};
            emu_run(h, np);
            emu_run(v, np);
            EMU_EXACT(got, b, np, 4, ms, "real morph");
            float *t = a;
            a = b, b = t;
        }
        check_clean(a, 1, TH, TW, "real mask_clean");
        tr_mask_clean_desc cd = {1, TH, TW};
        void *cws = malloc((size_t)tr_mask_clean_ws_bytes(&cd));
        tr_cpu_mask_clean_f32(NULL, &cd, a, cws, b);
        check_anchors(b, 1, TH, TW, "real anchors");
        check_tri(b, TH, TW, GX, GY);
        free(x), free(a), free(b), free(got), free(ws), free(bws), free(cws);
        tryon_image_free(&img);
    }
    tryon_ctx_free(ctx);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_garment");
    TCase *tc = tcase_create("garment");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, bg_mask_matches_the_cpu);
    tcase_add_test(tc, morph_matches_the_cpu_in_every_storage);
    tcase_add_test(tc, mask_clean_matches_the_cpu_in_any_thread_order);
    tcase_add_test(tc, anchors_sleeves_and_triangles_match_the_cpu);
    tcase_add_test(tc, preparation_chain_on_real_garments_matches_the_cpu);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
