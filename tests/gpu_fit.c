/* gpu_fit.c — GPU suite: the try-on ops on CUDA against the CPU backend, one
 * op (or a short chain) per graph in F32, F16 and BF16 storage with guard
 * bands and NaN canaries (harness_gpu.h); garment preparation
 * (tryon_garment_prepare) on a CUDA context against the CPU's, on drawn
 * garments and the real photos; and the whole fitting graph, with given
 * keypoints and, when the data and PoseNet weights exist, on the real photo:
 * outputs against the CPU, and the steady state (every frame after the first
 * is one graph launch and allocates nothing, on the host or the device). No
 * fork; SKIP without a device.
 *
 * Tolerances and why:
 *   - the ops: bitwise (the CPU's operations in its order, --fmad=false;
 *     masks, runs, union-find and cells are exact; garment_tri's I32 and the
 *     composite's U8 are compared byte for byte), except fit_controls with a
 *     turned placement: CUDA's cos/sin (2 ulp of double, glibc's 1) can move
 *     a target's float by 1 ulp: 2^-22 relative;
 *   - garment preparation: bitwise in every precision (its graph is F32 on
 *     CUDA whatever the precision, nets/garment.c; the resize, box filter,
 *     scale and products are bitwise ports);
 *   - the fitting graph: the TPS uses CUDA's log (within an ulp of glibc's:
 *     a mesh vertex can move by an f32 ulp, ~3e-5 px), and the luminance
 *     convolution may run the SIMT implicit GEMM (fused multiply-adds: an ulp
 *     of the luminance). A vertex an ulp away can snap to the neighbouring
 *     1/256-px position and hand a pixel centre on that edge to the other
 *     triangle; the feather spreads such a pixel over its 5x5 neighbourhood.
 *     So: the controls bitwise (given keypoints; 1e-4 relative with PoseNet,
 *     whose sigmoid differs in the last bit), and for the garment layer and
 *     the image at most FIT_OUTLIERS pixels off by more than 1e-4 (layer) or
 *     1 level (image), every other pixel within those bounds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fit_common.h"
#include "graph_fit.h"
#include "harness_gpu.h"
#include "model.h"

#define FIT_OUTLIERS 64

typedef struct fit_arg {
    int32_t n, h, w, c;
    int32_t mode, op, radius, kind, gx, gy, p;
    float rot;
} fit_arg;

static const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};

static void run_all(const char *what, gu_build_fn build, fit_arg *a, gu_fill_fn fill,
                    int nan_inputs, double rtol) {
    for (int p = 0; p < 3; p++) {
        gu_opts o = gu_opts_default();
        o.precision = precs[p];
        o.fill = fill, o.fill_arg = a;
        o.nan_inputs = nan_inputs;
        o.bitwise = rtol == 0;
        gu_set_tol(&o, 1e-9, rtol, 0, 0);
        char label[160];
        snprintf(label, sizeof label, "%s %s", what, tryon_dtype_name(precs[p]));
        gu_compare_backends(label, build, a, &o);
    }
}

/* ---- fixtures ------------------------------------------------------------------------ */

/* Mask kinds: 0 a long-sleeved top, 1 a camisole (test_garment.c's drawings
 * scaled to h x w), 2 random rectangles, 3 noise of density 1/2 (also what a
 * single row or column gets instead of rectangles). */
static void draw_mask(float *m, int32_t h, int32_t w, int kind, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    static const int top[4][4] = {
        {20, 30, 10, 90}, {30, 100, 30, 70}, {30, 80, 10, 24}, {30, 80, 76, 90}};
    static const int cami[3][4] = {{10, 40, 30, 33}, {10, 40, 67, 70}, {40, 90, 20, 80}};
    memset(m, 0, (size_t)h * w * sizeof *m);
    if (kind == 3 || (kind == 2 && (h < 2 || w < 2))) {
        for (int64_t i = 0; i < (int64_t)h * w; i++) m[i] = tu_rng_uniform(&r, 0, 1) < 0.5f;
        return;
    }
    int nr = kind == 0 ? 4 : kind == 1 ? 3 : 7;
    for (int k = 0; k < nr; k++) {
        int y0, y1, x0, x1;
        if (kind < 2) {
            const int *q = kind ? cami[k] : top[k];
            y0 = q[0] * h / 110, y1 = q[1] * h / 110, x0 = q[2] * w / 100, x1 = q[3] * w / 100;
        } else {
            y0 = tu_rng_int(&r, 0, h - 2), x0 = tu_rng_int(&r, 0, w - 2);
            y1 = tu_rng_int(&r, y0 + 1, h), x1 = tu_rng_int(&r, x0 + 1, w);
        }
        for (int i = y0; i < y1; i++)
            for (int j = x0; j < x1; j++) m[(int64_t)i * w + j] = 1.0f;
    }
}

/* A standing body (tests/test_fit.c), pose variant v. */
static void body_pose(float *pose, int v) {
    memset(pose, 0, 18 * 3 * sizeof *pose);
    const float pts[8][3] = {{6, 99.5f, 99.5f},    {5, 199.5f, 99.5f},  {8, 99.5f, 179.5f},
                             {7, 199.5f, 179.5f},  {10, 99.5f, 249.5f}, {9, 199.5f, 249.5f},
                             {12, 114.5f, 269.5f}, {11, 184.5f, 269.5f}};
    for (int i = 0; i < 8; i++) {
        int k = (int)pts[i][0];
        pose[k * 3] = pts[i][1], pose[k * 3 + 1] = pts[i][2], pose[k * 3 + 2] = 0.9f;
    }
    if (v == 1) { /* arms out, one forearm across */
        pose[TR_KP_R_ELBOW * 3] = 29.5f, pose[TR_KP_R_ELBOW * 3 + 1] = 129.5f;
        pose[TR_KP_L_WRIST * 3] = 120.5f, pose[TR_KP_L_WRIST * 3 + 1] = 170.5f;
    }
    if (v == 2) pose[TR_KP_L_SHOULDER * 3 + 2] = 0.1f; /* not dressed */
    if (v == 3) pose[TR_KP_L_HIP * 3 + 2] = 0.0f, pose[TR_KP_R_WRIST * 3 + 2] = 0.0f;
    pose[17 * 3] = 0.9f, pose[17 * 3 + 1] = 1.0f;
}

/* The anchors of a drawn garment (kind 0 or 1), by the CPU kernel. */
static void drawn_anchors(int kind, float *a) {
    float m[110 * 100];
    draw_mask(m, 110, 100, kind, 1);
    tr_garment_anchors_desc d = {1, 110, 100};
    tr_cpu_garment_anchors_f32(NULL, &d, m, a);
}

static int fill_fit(const tryon_tensor *t, int32_t i, void *buf, void *arg) {
    const fit_arg *a = arg;
    float *f = buf;
    tu_rng r;
    tu_rng_seed(&r, 50 + (uint64_t)i);
    if (!strcmp(t->name, "mask")) {
        for (int64_t n = 0; n < t->shape[0]; n++)
            draw_mask(f + n * t->shape[1] * t->shape[2], (int32_t)t->shape[1], (int32_t)t->shape[2],
                      a->kind == 4 ? (int)n : a->kind, 60 + (uint64_t)n);
        return 1;
    }
    if (!strcmp(t->name, "image")) { /* a noisy backdrop, a dark block, a faint block */
        const int32_t h = (int32_t)t->shape[1], w = (int32_t)t->shape[2], c = (int32_t)t->shape[3];
        for (int64_t n = 0; n < t->shape[0]; n++)
            for (int32_t y = 0; y < h; y++)
                for (int32_t x = 0; x < w; x++)
                    for (int32_t k = 0; k < c; k++) {
                        float bg = 200.0f + 10 * k - 30 * n, v = bg + tu_rng_uniform(&r, -3, 3);
                        if (y > h / 5 && y < h / 2 && x > w / 5 && x < 2 * w / 3)
                            v = 50.0f + 10 * k;
                        if (y > h / 2 && x > 2 * w / 3)
                            v = bg + (k ? 3.0f : 25.0f) + tu_rng_uniform(&r, -9, 9);
                        if (k == 3) v = (float)tu_rng_int(&r, 0, 255);
                        f[(((n * h) + y) * w + x) * c + k] = v;
                    }
        return 1;
    }
    if (!strcmp(t->name, "anchors")) {
        drawn_anchors(a->kind, f);
        return 1;
    }
    if (!strcmp(t->name, "points")) {
        for (int64_t k = 0; k < t->shape[1]; k++)
            f[2 * k] = tu_rng_uniform(&r, -5, a->w + 5.0f),
                  f[2 * k + 1] = tu_rng_uniform(&r, -5, a->h + 5.0f);
        return 1;
    }
    if (!strcmp(t->name, "poses")) {
        for (int64_t n = 0; n < t->shape[0]; n++)
            for (int64_t p = 0; p < t->shape[1]; p++) {
                float *q = f + (n * t->shape[1] + p) * 54;
                body_pose(q, (int)((n + p) % 4));
                if (p) tu_fill_uniform(q, 51, &r, -50, 400); /* only pose 0 is used */
            }
        return 1;
    }
    if (!strcmp(t->name, "placement")) {
        f[0] = a->rot != 0 ? 1.3f : 1.0f, f[1] = a->rot, f[2] = a->rot != 0 ? 4.5f : 0.0f;
        f[3] = a->rot != 0 ? -3.0f : 0.0f;
        return 1;
    }
    if (!strcmp(t->name, "layer")) {
        int64_t px = t->shape[0] * t->shape[1] * t->shape[2];
        for (int64_t k = 0; k < px; k++) {
            float al = k % 5 == 0 ? 0.0f : tu_rng_uniform(&r, 0, 1);
            for (int c = 0; c < 3; c++) f[k * 4 + c] = al * tu_rng_uniform(&r, 0, 1);
            f[k * 4 + 3] = al;
        }
        return 1;
    }
    if (!strcmp(t->name, "person") || !strcmp(t->name, "lum")) {
        int64_t n = t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3];
        for (int64_t k = 0; k < n; k++) f[k] = k % 17 == 3 ? 0.0f : tu_rng_uniform(&r, 0, 255);
        return 1;
    }
    return 0;
}

/* ---- one-op graphs -------------------------------------------------------------------- */

static void build_bg(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t s[4] = {a->n, a->h, a->w, a->c};
    int32_t x = gu_input(g, "image", TRYON_DTYPE_F32, 4, s);
    gu_output(g, tr_bg_mask(g, x, (tr_bg_mask_mode)a->mode, a->mode ? 127.5f : 12.0f), "mask");
}

/* A scale (a HALF op) in front, so that in F16/BF16 the morphology (FOLLOW)
 * runs in reduced storage. */
static void build_morph(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t s[4] = {a->n, a->h, a->w, a->c};
    int32_t x = tr_scale(g, gu_input(g, "x", TRYON_DTYPE_F32, 4, s), 1.0f, 0.0f);
    gu_output(g, tr_morph(g, x, (tr_morph_op)a->op, a->radius), "y");
}

static void build_clean(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t s[4] = {a->n, a->h, a->w, 1};
    gu_output(g, tr_mask_clean(g, gu_input(g, "mask", TRYON_DTYPE_F32, 4, s)), "clean");
}

/* anchors -> sleeve weights in one graph, and the triangles of the first mask. */
static void build_geom(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t s[4] = {a->n, a->h, a->w, 1}, ps[3] = {1, 97, 2};
    int32_t m = gu_input(g, "mask", TRYON_DTYPE_F32, 4, s);
    int32_t an = tr_garment_anchors(g, m);
    gu_output(g, an, "anchors_out");
    gu_output(g, tr_sleeve_weight(g, an, gu_input(g, "points", TRYON_DTYPE_F32, 3, ps), 3.0f), "w");
    if (a->n == 1) gu_output(g, tr_garment_tri(g, m, a->gx, a->gy), "tri");
}

static void build_controls(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t ps[4] = {a->n, a->p, 18, 3}, as[3] = {1, TR_ANCHOR_ROWS, 3}, ls[1] = {4};
    int32_t poses = gu_input(g, "poses", TRYON_DTYPE_F32, 4, ps);
    int32_t an = gu_input(g, "anchors", TRYON_DTYPE_F32, 3, as);
    int32_t pl = gu_input(g, "placement", TRYON_DTYPE_F32, 1, ls);
    gu_output(g, tr_fit_controls(g, poses, an, pl, 110, 100, 0.2f), "controls");
    gu_output(g, tr_body_proxy(g, poses, 0.2f, 0.3f), "proxy");
}

static void build_comp(tr_graph *g, void *arg) {
    const fit_arg *a = arg;
    int64_t s3[4] = {a->n, a->h, a->w, 3}, s4[4] = {a->n, a->h, a->w, 4},
            s1[4] = {a->n, a->h, a->w, 1};
    int32_t person = gu_input(g, "person", TRYON_DTYPE_F32, 4, s3);
    int32_t layer = gu_input(g, "layer", TRYON_DTYPE_F32, 4, s4);
    int32_t lum = gu_input(g, "lum", TRYON_DTYPE_F32, 4, s1);
    gu_output(g, tr_shade_composite(g, person, layer, lum, a->rot, 0.5f, 1.6f), "y");
}

START_TEST(garment_mask_ops_match_the_cpu) {
    fit_arg a;
    memset(&a, 0, sizeof a);
    const int32_t shapes[3][3] = {{2, 37, 45}, {1, 1, 17}, {1, 512, 384}};
    for (int s = 0; s < 3; s++)
        for (int c = 3; c <= 4; c++)
            for (int mode = 0; mode < 2; mode++) {
                if ((mode && c != 4) || (gu_quick() && s == 2)) continue;
                a.n = shapes[s][0], a.h = shapes[s][1], a.w = shapes[s][2], a.c = c, a.mode = mode;
                run_all("bg_mask", build_bg, &a, fill_fit, 0, 0);
            }
    a.n = 2, a.h = 13, a.w = 17, a.c = 2;
    const int32_t radii[3] = {1, 3, 20};
    for (int op = 0; op < 2; op++)
        for (int r = 0; r < 3; r++) {
            a.op = op, a.radius = radii[r];
            run_all("morph", build_morph, &a, NULL, 1, 0);
        }
    const int32_t cshapes[3][3] = {{2, 64, 48}, {1, 1, 33}, {1, 512, 384}};
    for (int s = 0; s < 3; s++)
        for (int kind = 2; kind <= 4; kind++) {
            if (gu_quick() && s == 2) continue;
            a.n = cshapes[s][0], a.h = cshapes[s][1], a.w = cshapes[s][2], a.kind = kind;
            run_all("mask_clean", build_clean, &a, fill_fit, 0, 0);
        }
}
END_TEST

START_TEST(garment_geometry_ops_match_the_cpu) {
    fit_arg a;
    memset(&a, 0, sizeof a);
    /* drawn tops and camisoles (with sleeves, with straps), random rectangles,
     * noise (rows of more than 64 runs), a batch of both drawings */
    for (int kind = 0; kind <= 4; kind++)
        for (int big = 0; big < 2; big++) {
            a.n = kind == 4 ? 2 : 1, a.kind = kind;
            a.h = big ? 512 : 110, a.w = big ? 384 : 100;
            a.gx = big ? 32 : 7, a.gy = big ? 40 : 13;
            run_all("anchors+sleeve+tri", build_geom, &a, fill_fit, 0, 0);
        }
}
END_TEST

START_TEST(fitting_ops_match_the_cpu) {
    fit_arg a;
    memset(&a, 0, sizeof a);
    a.n = 4, a.p = 2;
    for (int kind = 0; kind < 2; kind++) {
        a.kind = kind;
        a.rot = 0;
        run_all("controls+proxy", build_controls, &a, fill_fit, 0, 0);
        a.rot = 17.5f; /* cos/sin on the device: 1 ulp */
        run_all("controls+proxy turned", build_controls, &a, fill_fit, 0, 0x1p-22);
    }
    a.n = 2, a.h = 37, a.w = 45;
    for (int st = 0; st < 2; st++) {
        a.rot = st ? 0.7f : 0.0f; /* the shading strength */
        run_all("shade_composite", build_comp, &a, fill_fit, 0, 0);
    }
}
END_TEST

/* ---- garment preparation ---------------------------------------------------------------- */

static tryon_ctx *cuda_ctx(tryon_dtype prec) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA, p.cuda_precision = prec;
    const char *env_sync = getenv("TRYON_CUDA_SYNC"); /* see harness_gpu.h */
    p.cuda_sync_after_launch = env_sync && *env_sync && strcmp(env_sync, "0");
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    return ctx;
}

static void same_garment(const char *what, const tryon_garment *c, const tryon_garment *g) {
    const size_t texels = (size_t)c->tex_w * c->tex_h,
                 V = (size_t)(c->grid_x + 1) * (c->grid_y + 1);
    ck_assert_msg(memcmp(c->anchors, g->anchors, sizeof c->anchors) == 0, "%s: anchors differ",
                  what);
    ck_assert_msg(memcmp(c->mask, g->mask, texels * sizeof(float)) == 0, "%s: mask differs", what);
    ck_assert_msg(memcmp(c->texture, g->texture, texels * 4 * sizeof(float)) == 0,
                  "%s: texture differs", what);
    ck_assert_msg(memcmp(c->tri, g->tri, 6 * (size_t)c->grid_x * c->grid_y * sizeof(int32_t)) == 0,
                  "%s: triangles differ", what);
    ck_assert_msg(memcmp(c->sleeve, g->sleeve, V * sizeof(float)) == 0, "%s: sleeve weights differ",
                  what);
}

enum { GH = 110, GW = 100, PH = 320, PW = 300 };

/* tests/test_fit.c's garment photo: the long-sleeved top or a vest. */
static tryon_image garment_image(int sleeves, int channels) {
    tryon_image img = {GW, GH, channels, malloc(GW * GH * (size_t)channels)};
    ck_assert_ptr_nonnull(img.data);
    for (int i = 0; i < GH; i++)
        for (int j = 0; j < GW; j++) {
            int in = (i >= 20 && i < 30 && j >= 10 && j < 90) ||
                     (i >= 30 && i < 100 && j >= 30 && j < 70) ||
                     (sleeves && i >= 30 && i < 80 && ((j >= 10 && j < 24) || (j >= 76 && j < 90)));
            if (!sleeves) in = in && j >= 25 && j < 75;
            for (int k = 0; k < channels; k++)
                img.data[(i * GW + j) * channels + k] = k == 3 ? (in ? 255 : 0)
                                                        : in   ? (k == 2 ? 200 : 30 + 3 * (i % 7))
                                                               : 245;
        }
    return img;
}

START_TEST(garment_preparation_matches_the_cpu) {
    tryon_ctx *cpu = tu_ctx(2);
    for (int p = 0; p < 3; p++) {
        tryon_ctx *gpu = cuda_ctx(precs[p]);
        for (int k = 0; k < 3; k++) {
            tryon_image img = garment_image(k != 1, k == 2 ? 4 : 3);
            tryon_garment_params gp = tryon_garment_params_default();
            gp.texture_width = 64 + 16 * k, gp.texture_height = 96, gp.grid_x = 9, gp.grid_y = 12;
            tryon_garment *gc, *gg;
            ck_assert_int_eq(tryon_garment_prepare(cpu, &img, &gp, NULL, &gc), TRYON_OK);
            tryon_status st = tryon_garment_prepare(gpu, &img, &gp, NULL, &gg);
            ck_assert_msg(st == TRYON_OK, "%s", tryon_ctx_last_error(gpu));
            char what[96];
            snprintf(what, sizeof what, "drawn garment %d %s", k, tryon_dtype_name(precs[p]));
            same_garment(what, gc, gg);
            tryon_garment_free(gc), tryon_garment_free(gg);
            free(img.data);
        }
        /* the real photos, default parameters */
        const char *names[2] = {"garments/striped-top.png", "garments/yellow-cami.png"};
        for (int k = 0; k < 2 && !gu_quick(); k++) {
            char buf[1024];
            const char *path = tu_data_file(names[k], buf, sizeof buf);
            if (!path) {
                tu_skip("gpu_fit", "../shared/data absent: real garments not prepared on the GPU");
                break;
            }
            tryon_image img;
            ck_assert_int_eq(tryon_image_read_png(cpu, path, 3, &img), TRYON_OK);
            tryon_garment_params gp = tryon_garment_params_default();
            tryon_garment *gc, *gg;
            ck_assert_int_eq(tryon_garment_prepare(cpu, &img, &gp, NULL, &gc), TRYON_OK);
            ck_assert_msg(tryon_garment_prepare(gpu, &img, &gp, NULL, &gg) == TRYON_OK, "%s",
                          tryon_ctx_last_error(gpu));
            char what[160];
            snprintf(what, sizeof what, "%s %s", names[k], tryon_dtype_name(precs[p]));
            same_garment(what, gc, gg);
            tryon_garment_free(gc), tryon_garment_free(gg);
            tryon_image_free(&img);
        }
        tryon_ctx_free(gpu);
    }
    tryon_ctx_free(cpu);
}
END_TEST

/* ---- the fitting graph -------------------------------------------------------------------- */

static size_t out_bytes(tryon_model *m, int32_t i) {
    tryon_tensor t;
    tryon_model_output(m, i, &t);
    size_t b = tryon_dtype_size(t.dtype);
    for (int32_t k = 0; k < t.ndim; k++) b *= (size_t)t.shape[k];
    return b;
}

/* Outputs 0 image (U8), 1 poses, 2 layer, 3 controls (nets/fit.c): see the
 * file comment for the bounds. */
static void compare_frame(const char *what, tryon_model *mc, tryon_model *mg, int given_pose) {
    for (int32_t i = 0; i < 4; i++) {
        tryon_tensor t;
        tryon_model_output(mc, i, &t);
        const size_t bytes = out_bytes(mc, i);
        void *got = malloc(bytes);
        ck_assert_ptr_nonnull(got);
        ck_assert_int_eq(tryon_model_get_output(mg, i, got, bytes), TRYON_OK);
        char label[200];
        snprintf(label, sizeof label, "%s: output '%s'", what, t.name);
        if (i == 1 || i == 3) {
            const int64_t n = (int64_t)(bytes / 4);
            double mx = 0;
            for (int64_t k = 0; k < n; k++) mx = fmax(mx, fabs(((const float *)t.data)[k]));
            tu_cmp c = given_pose ? tu_compare_exact(got, t.data, n)
                                  : tu_compare(got, t.data, n, 1e-4 * mx, 1e-4);
            TU_ASSERT_CMP(c, t.ndim, t.shape, label);
        } else {
            const int32_t ch = (int32_t)t.shape[3];
            const int64_t px = (int64_t)t.shape[1] * t.shape[2];
            int64_t off = 0;
            double worst = 0;
            for (int64_t p = 0; p < px; p++) {
                double d = 0;
                for (int32_t c = 0; c < ch; c++) {
                    double a = i == 0 ? ((const uint8_t *)t.data)[p * ch + c]
                                      : ((const float *)t.data)[p * ch + c];
                    double b = i == 0 ? ((const uint8_t *)got)[p * ch + c]
                                      : ((const float *)got)[p * ch + c];
                    d = fmax(d, fabs(a - b));
                    if (a != a || b != b) d = INFINITY;
                }
                off += d > (i == 0 ? 1.0 : 1e-4);
                worst = fmax(worst, d);
            }
            ck_assert_msg(off <= FIT_OUTLIERS, "%s: %lld pixels off (worst %g)", label,
                          (long long)off, worst);
        }
        free(got);
    }
}

/* Frames with given keypoints on the CPU and on CUDA (precision prec): the
 * outputs agree, and every frame after the first is one graph launch with no
 * allocation. */
static void fit_frames(tryon_dtype prec, int sleeves) {
    tryon_ctx *cpu = tu_ctx(2), *gpu = cuda_ctx(prec);
    tryon_image gimg = garment_image(sleeves, 3);
    tryon_garment_params gp = tryon_garment_params_default();
    gp.texture_width = GW, gp.texture_height = GH, gp.grid_x = 20, gp.grid_y = 22;
    gp.close_radius = 1;
    tryon_garment *gm;
    ck_assert_int_eq(tryon_garment_prepare(cpu, &gimg, &gp, NULL, &gm), TRYON_OK);
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = PW, fp.height = PH, fp.texture_width = GW, fp.texture_height = GH;
    fp.grid_x = 20, fp.grid_y = 22, fp.external_pose = 1;
    tryon_model *mc, *mg;
    ck_assert_int_eq(tryon_fit_load(cpu, NULL, &fp, &mc), TRYON_OK);
    ck_assert_msg(tryon_fit_load(gpu, NULL, &fp, &mg) == TRYON_OK, "%s", tryon_ctx_last_error(gpu));
    ck_assert_int_eq(tryon_fit_set_garment(mc, gm), TRYON_OK);
    ck_assert_int_eq(tryon_fit_set_garment(mg, gm), TRYON_OK);
    /* every node after the (absent) PoseNet is F32 whatever prec: the mesh */
    for (int32_t i = 0; i < mg->g->n_nodes; i++)
        if (mg->g->nodes[i].op == TR_OP_RASTERIZE)
            ck_assert_int_eq(tr_cuda_model_storage(mg->cuda, mg->g->nodes[i].src[0]),
                             TRYON_DTYPE_F32);
    uint8_t *person = malloc(PW * PH * 3), *img = malloc(PW * PH * 3);
    ck_assert(person && img);
    for (int i = 0; i < PW * PH * 3; i++) person[i] = (uint8_t)(90 + (i / 3 / PW) % 50 + i % 3);
    const int32_t ip = tryon_model_input_index(mc, "person"),
                  ik = tryon_model_input_index(mc, "poses");
    tr_cuda_stats s0, s2;
    tr_cuda_model_stats(mg->cuda, &s0);
    int64_t host_allocs = -1;
    for (int frame = 0; frame < 4; frame++) {
        float pose[54];
        body_pose(pose, frame);
        for (int k = 0; k < 2; k++) {
            tryon_model *m = k ? mg : mc;
            ck_assert_int_eq(tryon_model_set_input(m, ip, person, PW * PH * 3), TRYON_OK);
            ck_assert_int_eq(tryon_model_set_input(m, ik, pose, sizeof pose), TRYON_OK);
            tryon_status st = tryon_model_run(m);
            ck_assert_msg(st == TRYON_OK, "run: %s", tryon_ctx_last_error(k ? gpu : cpu));
        }
        ck_assert_int_eq(tryon_model_get_output(mg, 0, img, PW * PH * 3), TRYON_OK);
        if (frame == 0) host_allocs = tr_ctx_n_allocs(gpu);
        char what[120];
        snprintf(what, sizeof what, "fit frame %d, %s, %s", frame, sleeves ? "top" : "vest",
                 tryon_dtype_name(prec));
        compare_frame(what, mc, mg, 1);
        int32_t dc, dg;
        ck_assert_int_eq(tryon_fit_result(mc, &dc, NULL), TRYON_OK);
        ck_assert_int_eq(tryon_fit_result(mg, &dg, NULL), TRYON_OK);
        ck_assert_int_eq(dc, dg);
        ck_assert_int_eq(dg, frame != 2);
    }
    tr_cuda_model_stats(mg->cuda, &s2);
    ck_assert_msg(tr_ctx_n_allocs(gpu) == host_allocs, "frames allocated host memory");
    ck_assert_msg(s2.device_allocs == s0.device_allocs, "frames allocated device memory");
    if (!gpu->params.cuda_sync_after_launch) {
        ck_assert_int_eq(s2.captures, 1);
        ck_assert_int_eq(s2.graph_launches, 4);
    }
    free(person), free(img), free(gimg.data);
    tryon_model_free(mc), tryon_model_free(mg);
    tryon_garment_free(gm);
    tryon_ctx_free(gpu), tryon_ctx_free(cpu);
}

START_TEST(fit_graph_matches_the_cpu_one_launch_per_frame) {
    for (int p = 0; p < 3; p++)
        for (int sleeves = 0; sleeves < 2; sleeves++) fit_frames(precs[p], sleeves);
}
END_TEST

/* The real photo through PoseNet, the real garment prepared on the GPU (F32). */
START_TEST(real_photo_fit_matches_the_cpu) {
    char wbuf[1024], pbuf[1024], gbuf[1024];
    const char *ref = tu_ref_dir();
    struct stat sb;
    snprintf(wbuf, sizeof wbuf, "%s/posenet/posenet.safetensors", ref ? ref : "build/ref");
    const char *weights = stat(wbuf, &sb) == 0 ? wbuf
                          : stat("weights/posenet.safetensors", &sb) == 0
                              ? "weights/posenet.safetensors"
                              : NULL;
    const char *photo = tu_data_file("images/ai-body.png", pbuf, sizeof pbuf);
    const char *garment = tu_data_file("garments/striped-top.png", gbuf, sizeof gbuf);
    if (!weights || !photo || !garment || gu_quick()) {
        tu_skip("gpu_fit",
                "PoseNet weights or ../shared/data absent: the real photo is not fitted");
        return;
    }
    tryon_ctx *cpu = tu_ctx(2), *gpu = cuda_ctx(TRYON_DTYPE_F32);
    tryon_image person, gimg;
    ck_assert_int_eq(tryon_image_read_png(cpu, photo, 3, &person), TRYON_OK);
    ck_assert_int_eq(tryon_image_read_png(cpu, garment, 3, &gimg), TRYON_OK);
    tryon_garment_params gp = tryon_garment_params_default();
    tryon_garment *gc, *gg;
    ck_assert_int_eq(tryon_garment_prepare(cpu, &gimg, &gp, NULL, &gc), TRYON_OK);
    ck_assert_int_eq(tryon_garment_prepare(gpu, &gimg, &gp, NULL, &gg), TRYON_OK);
    same_garment("striped top", gc, gg);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(cpu, weights, &w), TRYON_OK);
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = person.width, fp.height = person.height;
    tryon_model *mc, *mg;
    ck_assert_int_eq(tryon_fit_load(cpu, w, &fp, &mc), TRYON_OK);
    ck_assert_msg(tryon_fit_load(gpu, w, &fp, &mg) == TRYON_OK, "%s", tryon_ctx_last_error(gpu));
    ck_assert_int_eq(tryon_fit_set_garment(mc, gc), TRYON_OK);
    ck_assert_int_eq(tryon_fit_set_garment(mg, gg), TRYON_OK);
    const size_t bytes = (size_t)person.width * person.height * 3;
    tr_cuda_stats s0, s2;
    tr_cuda_model_stats(mg->cuda, &s0);
    int64_t host_allocs = -1;
    ck_assert_int_eq(tryon_model_set_input(mc, 0, person.data, bytes), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(mc), TRYON_OK);
    for (int frame = 0; frame < 3; frame++) {
        ck_assert_int_eq(tryon_model_set_input(mg, 0, person.data, bytes), TRYON_OK);
        ck_assert_msg(tryon_model_run(mg) == TRYON_OK, "%s", tryon_ctx_last_error(gpu));
        if (frame == 0) host_allocs = tr_ctx_n_allocs(gpu);
    }
    compare_frame("real photo", mc, mg, 0);
    int32_t dressed;
    ck_assert_int_eq(tryon_fit_result(mg, &dressed, NULL), TRYON_OK);
    ck_assert_int_eq(dressed, 1);
    tr_cuda_model_stats(mg->cuda, &s2);
    ck_assert_msg(tr_ctx_n_allocs(gpu) == host_allocs, "frames allocated host memory");
    ck_assert_msg(s2.device_allocs == s0.device_allocs, "frames allocated device memory");
    if (!gpu->params.cuda_sync_after_launch) ck_assert_int_eq(s2.graph_launches, 3);
    tryon_model_free(mc), tryon_model_free(mg);
    tryon_weights_close(w);
    tryon_garment_free(gc), tryon_garment_free(gg);
    tryon_image_free(&person), tryon_image_free(&gimg);
    tryon_ctx_free(gpu), tryon_ctx_free(cpu);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_fit");
    TCase *tc = tcase_create("fit");
    tcase_add_test(tc, garment_mask_ops_match_the_cpu);
    tcase_add_test(tc, garment_geometry_ops_match_the_cpu);
    tcase_add_test(tc, fitting_ops_match_the_cpu);
    tcase_add_test(tc, garment_preparation_matches_the_cpu);
    tcase_add_test(tc, fit_graph_matches_the_cpu_one_launch_per_frame);
    tcase_add_test(tc, real_photo_fit_matches_the_cpu);
    suite_add_tcase(s, tc);
    return gu_main("gpu_fit", s);
}
