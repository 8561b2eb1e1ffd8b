/* gpu_warp.c — GPU suite: grid_sample, affine_grid, the TPS ops, the
 * rasterizer (both variants), coverage, interpolate, texture and PoseNet
 * decoding on CUDA against the CPU backend; then a chain of them (decoded
 * keypoints -> TPS fit -> warp of an image and of a mesh -> rasterize ->
 * interpolate -> texture) as one graph, which never returns to the host
 * between stages. These ops run in F32 whatever the storage precision, so
 * every precision is checked (the inputs are rounded alike for both
 * backends). No fork; SKIP without a device (harness_gpu.h).
 *
 * Tolerances: bitwise everywhere (the CPU's operations in its order), except
 * where log() enters: the TPS fit and evaluation use CUDA's log in double,
 * within an ulp of glibc's, which can move a coefficient or a point by one
 * f32 ulp after rounding, and the solve can scale that by the system's
 * condition (well-spread points: far below 1e3): 4 f32 ulp relative plus
 * 1e-6 of the largest magnitude. The chain adds the image gradient and the
 * conv after the warped grid: 1e-5 of the largest output. */
#include <math.h>
#include <string.h>

#include "cuda/variants.h"
#include "graph_warp.h"
#include "harness_gpu.h"

#define U32 (0x1p-24)

typedef struct warp_arg {
    int32_t n, h, w, c, oh, ow;
    int32_t mode, pad, align, k, mask, v, t, samples, first, count, p, filter, boundary;
    float lambda;
    int32_t loose; /* the TPS ridge fallback's tolerance */
} warp_arg;

static const tryon_dtype precs[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};

static void run_all(const char *what, gu_build_fn build, warp_arg *a, int32_t op, int32_t variant,
                    int bitwise, gu_fill_fn fill, int nan_inputs) {
    for (int p = 0; p < 3; p++) {
        gu_opts o = gu_opts_default();
        o.precision = precs[p];
        o.force_op = op, o.force_variant = variant;
        o.bitwise = bitwise, o.nan_inputs = nan_inputs;
        o.fill = fill, o.fill_arg = a;
        o.lo = -1.3f, o.hi = 1.3f;
        if (a->loose)
            gu_set_tol(&o, 1e-5, 1e-5, 8, 8);
        else
            gu_set_tol(&o, 1e-6, 8 * U32, 8, 8);
        char label[160];
        snprintf(label, sizeof label, "%s %s", what, tryon_dtype_name(precs[p]));
        gu_compare_backends(label, build, a, &o);
    }
}

/* ---- grid_sample, affine_grid -------------------------------------------------------- */

static void build_gs(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t xs[4] = {a->n, a->h, a->w, a->c}, gs[4] = {a->n, a->oh, a->ow, 2};
    int32_t x = gu_input(g, "x", TRYON_DTYPE_F32, 4, xs),
            grid = gu_input(g, "grid", TRYON_DTYPE_F32, 4, gs);
    gu_output(g, tr_grid_sample(g, x, grid, a->mode, a->pad, a->align), "y");
}

static void build_ag(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t ts[3] = {a->n, 2, 3};
    gu_output(
        g, tr_affine_grid(g, gu_input(g, "theta", TRYON_DTYPE_F32, 3, ts), a->oh, a->ow, a->align),
        "grid");
}

START_TEST(grid_sample_and_affine_grid_match_the_cpu) {
    warp_arg a;
    memset(&a, 0, sizeof a);
    a.n = 2, a.h = 17, a.w = 23, a.c = 3, a.oh = 19, a.ow = 13;
    for (int mode = 0; mode < TR_SAMPLE_MODE_COUNT; mode++)
        for (int pad = 0; pad < TR_SAMPLE_PAD_COUNT; pad++)
            for (int align = 0; align < 2; align++) {
                a.mode = mode, a.pad = pad, a.align = align;
                run_all("grid_sample", build_gs, &a, -1, -1, 1, NULL, 1);
            }
    for (int align = 0; align < 2; align++) {
        a.align = align;
        run_all("affine_grid", build_ag, &a, -1, -1, 1, NULL, 0);
    }
}
END_TEST

/* ---- thin-plate splines ------------------------------------------------------------ */

/* Control points: a jittered grid (spread, distinct) or, with mask == 2, all
 * on one line (the singular fallback); values: the points moved a little. */
static int fill_tps(const tryon_tensor *t, int32_t i, void *buf, void *arg) {
    const warp_arg *a = arg;
    tu_rng r;
    tu_rng_seed(&r, 90 + (uint64_t)i);
    float *f = buf;
    if (!strcmp(t->name, "ctrl") || !strcmp(t->name, "values")) {
        int64_t n = t->shape[0] * a->k;
        int side = (int)ceil(sqrt((double)a->k));
        for (int64_t q = 0; q < n; q++) {
            int64_t j = q % a->k;
            float gx = -0.9f + 1.8f * (float)(j % side) / (float)(side > 1 ? side - 1 : 1);
            float gy = -0.9f + 1.8f * (float)(j / side) / (float)(side > 1 ? side - 1 : 1);
            if (a->mask == 2) /* exactly on one line, distinct */
                gx = -0.9f + 1.8f * (float)j / (float)(a->k - 1), gy = 0.5f * gx;
            float jit = !strcmp(t->name, "values") ? 0.1f : a->mask == 2 ? 0.0f : 0.02f;
            f[q * 2] = gx + tu_rng_uniform(&r, -jit, jit);
            f[q * 2 + 1] = gy + tu_rng_uniform(&r, -jit, jit);
        }
        return 1;
    }
    if (!strcmp(t->name, "mask")) {
        for (int64_t q = 0; q < t->shape[0] * t->shape[1]; q++) f[q] = tu_rng_uniform(&r, 0, 1);
        return 1;
    }
    return 0;
}

static void build_tps(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t cs[3] = {a->n, a->k, 2}, ms[2] = {a->n, a->k}, ps[3] = {1, 31, 2};
    int32_t ctrl = gu_input(g, "ctrl", TRYON_DTYPE_F32, 3, cs);
    int32_t values = gu_input(g, "values", TRYON_DTYPE_F32, 3, cs);
    tr_tps_opts o = tr_tps_opts_default();
    o.lambda = a->lambda;
    if (a->mask == 1) o.mask = gu_input(g, "mask", TRYON_DTYPE_F32, 2, ms), o.mask_threshold = 0.3f;
    int32_t coef = tr_tps_fit(g, ctrl, values, &o);
    gu_output(g, coef, "coef");
    gu_output(g, tr_tps_grid(g, ctrl, coef, a->oh, a->ow, a->align), "grid");
    int32_t pts = gu_input(g, "points", TRYON_DTYPE_F32, 3, ps);
    gu_output(g, tr_tps_transform(g, ctrl, coef, pts), "moved");
}

START_TEST(tps_ops_match_the_cpu) {
    warp_arg a;
    memset(&a, 0, sizeof a);
    a.n = 2, a.oh = 24, a.ow = 20, a.align = 1;
    const int32_t ks[4] = {17, 25, 64, 5};
    for (int i = 0; i < 4; i++)
        for (int mask = 0; mask < 3; mask++) {
            a.k = ks[i], a.mask = mask, a.lambda = i == 1 ? 0.5f : 0.0f;
            a.align = i % 2;
            /* Masked (maybe fewer than 3 points left) and collinear sets take
             * the ridge fallback, whose normal equations have a condition up
             * to ~1e10 by construction (eps = 1e-10 of the largest diagonal):
             * CUDA's log, an ulp from glibc's, can then move the coefficients
             * by ~1e-6 of their largest magnitude. */
            a.loose = mask != 0;
            run_all("tps fit/grid/transform", build_tps, &a, -1, -1, 0, fill_tps, 0);
        }
}
END_TEST

/* ---- rasterization ---------------------------------------------------------------- */

/* Vertices: a grid of quads on pixel centres (shared edges) then random ones
 * with depth ties; triangles: the quads, random triples, a bad index. */
static int fill_mesh(const tryon_tensor *t, int32_t i, void *buf, void *arg) {
    const warp_arg *a = arg;
    tu_rng r;
    tu_rng_seed(&r, 77 + (uint64_t)i);
    const int32_t gx = 6, gy = 5;
    if (!strcmp(t->name, "pos")) {
        float *f = buf;
        for (int64_t n = 0; n < t->shape[0]; n++)
            for (int32_t v = 0; v < a->v; v++) {
                float *q = f + (n * a->v + v) * a->p;
                if (v < gx * gy) {
                    q[0] = 2.5f + 8.0f * (float)(v % gx) + 0.25f * (float)n;
                    q[1] = 1.5f + 8.0f * (float)(v / gx);
                } else {
                    q[0] = tu_rng_uniform(&r, -6, (float)a->w + 6);
                    q[1] = tu_rng_uniform(&r, -6, (float)a->h + 6);
                }
                if (a->p >= 3) q[2] = (float)tu_rng_int(&r, 0, 3) * 0.25f;
                if (a->p == 4) q[3] = tu_rng_uniform(&r, 0.5f, 2.0f);
            }
        return 1;
    }
    if (!strcmp(t->name, "tri")) {
        int32_t *q = buf, k = 0;
        for (int32_t c = 0; c < (gx - 1) * (gy - 1); c++) {
            int32_t p0 = c % (gx - 1) + c / (gx - 1) * gx;
            int32_t tri[6] = {p0, p0 + 1, p0 + gx + 1, p0, p0 + gx + 1, p0 + gx};
            for (int j = 0; j < 6; j++) q[k++] = tri[j];
        }
        while (k < a->t * 3) q[k++] = tu_rng_int(&r, 0, a->v - 1);
        q[a->t * 3 - 1] = a->v + 3; /* out of range: the triangle is skipped */
        return 1;
    }
    if (!strcmp(t->name, "uv")) {
        float *f = buf;
        for (int64_t q = 0; q < t->shape[0] * t->shape[1] * t->shape[2] * 2; q++)
            f[q] = tu_rng_uniform(&r, -1.5f, 2.5f);
        return 1;
    }
    return 0;
}

static void build_raster(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t ps[3] = {a->n, a->v, a->p}, ts[2] = {a->t, 3}, as[3] = {1, a->v, 3};
    int32_t pos = gu_input(g, "pos", TRYON_DTYPE_F32, 3, ps);
    int32_t tri = gu_input(g, "tri", TRYON_DTYPE_I32, 2, ts);
    int32_t rast = tr_rasterize(g, pos, tri, a->h, a->w);
    gu_output(g, rast, "rast");
    gu_output(g, tr_raster_coverage(g, pos, tri, a->h, a->w, a->samples, a->first, a->count),
              "alpha");
    int32_t attr = gu_input(g, "attr", TRYON_DTYPE_F32, 3, as);
    gu_output(g, tr_interpolate(g, attr, rast, tri), "attr_px");
}

static void build_texture(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t ts[4] = {a->mask ? a->n : 1, 9, 14, a->c}, us[4] = {a->n, a->h, a->w, 2};
    int32_t tex = gu_input(g, "tex", TRYON_DTYPE_F32, 4, ts),
            uv = gu_input(g, "uv", TRYON_DTYPE_F32, 4, us);
    gu_output(g, tr_texture(g, tex, uv, a->filter, a->boundary), "y");
}

START_TEST(rasterizer_ops_match_the_cpu) {
    warp_arg a;
    memset(&a, 0, sizeof a);
    a.n = 2, a.h = 37, a.w = 45, a.v = 6 * 5 + 60, a.t = 2 * 20 + 30;
    for (int p = 2; p <= 4; p++)
        for (int samples = 1; samples <= 4; samples *= 2)
            for (int v = TR_RASTER_V0; v <= TR_RASTER_TILED; v++) {
                a.p = p, a.samples = samples;
                a.first = samples == 2 ? 10 : 0, a.count = samples == 2 ? 25 : -1;
                run_all("rasterize+coverage+interpolate", build_raster, &a, TR_OP_RASTERIZE, v, 1,
                        fill_mesh, 0);
                run_all("coverage", build_raster, &a, TR_OP_RASTER_COVERAGE, v, 1, fill_mesh, 0);
            }
    /* a 1000-triangle mesh over a 300x260 image: many tiles, long lists */
    a.h = 300, a.w = 260, a.v = 30 + 1500, a.t = 1000, a.p = 3, a.samples = 4, a.first = 0;
    a.count = -1;
    if (!gu_quick())
        run_all("rasterize big", build_raster, &a, TR_OP_RASTERIZE, TR_RASTER_TILED, 1, fill_mesh,
                0);
    a.h = 23, a.w = 31, a.c = 3;
    for (int f = 0; f < TR_TEX_FILTER_COUNT; f++)
        for (int b = 0; b < TR_TEX_BOUNDARY_COUNT; b++)
            for (int batched = 0; batched < 2; batched++) {
                a.filter = f, a.boundary = b, a.mask = batched;
                run_all("texture", build_texture, &a, -1, -1, 1, fill_mesh, 0);
            }
}
END_TEST

/* ---- PoseNet decoding --------------------------------------------------------------- */

static int fill_heads(const tryon_tensor *t, int32_t i, void *buf, void *arg) {
    (void)arg;
    tu_rng r;
    tu_rng_seed(&r, 33 + (uint64_t)i);
    float *f = buf;
    int64_t n = t->shape[0] * t->shape[1] * t->shape[2] * t->shape[3];
    if (!strcmp(t->name, "scores")) {
        for (int64_t q = 0; q < n; q++) f[q] = tu_rng_uniform(&r, 0, 0.4f);
        for (int p = 0; p < 8; p++) { /* peaks, two of them tied */
            int64_t px = tu_rng_int(&r, 0, (int32_t)(n / 17) - 1);
            for (int k = 0; k < 17; k++) f[px * 17 + k] = p < 2 ? 0.9f : 0.55f + 0.04f * (float)p;
        }
        f[40] = NAN;
        return 1;
    }
    for (int64_t q = 0; q < n; q++) f[q] = tu_rng_uniform(&r, -20, 20);
    return 1;
}

static void build_pose(tr_graph *g, void *arg) {
    const warp_arg *a = arg;
    int64_t ss[4] = {a->n, a->h, a->w, 17}, os[4] = {a->n, a->h, a->w, 34};
    int64_t ds[4] = {a->n, a->h, a->w, 32};
    int32_t sc = gu_input(g, "scores", TRYON_DTYPE_F32, 4, ss);
    int32_t of = gu_input(g, "offsets", TRYON_DTYPE_F32, 4, os);
    int32_t fw = a->mode ? gu_input(g, "fwd", TRYON_DTYPE_F32, 4, ds) : -1;
    int32_t bw = a->mode ? gu_input(g, "bwd", TRYON_DTYPE_F32, 4, ds) : -1;
    tr_posenet_decode_desc d;
    memset(&d, 0, sizeof d);
    d.output_stride = 16, d.multi = a->mode, d.max_poses = a->mode ? 6 : 1;
    d.local_max_radius = 1, d.refine_steps = 2, d.score_threshold = 0.5, d.nms_radius = 20;
    d.scale_y = 1.25, d.scale_x = 0.8, d.offset_y = -2, d.offset_x = 3;
    gu_output(g, tr_posenet_decode(g, sc, of, fw, bw, &d), "poses");
}

START_TEST(posenet_decoding_matches_the_cpu) {
    warp_arg a;
    memset(&a, 0, sizeof a);
    a.n = 2, a.h = 17, a.w = 13;
    for (int multi = 0; multi < 2; multi++) {
        a.mode = multi;
        run_all(multi ? "decodeMultiplePoses" : "decodeSinglePose", build_pose, &a, -1, -1, 1,
                fill_heads, 0);
    }
}
END_TEST

/* ---- the chain ------------------------------------------------------------------------ */

static void build_chain(tr_graph *g, void *arg) {
    (void)arg;
    const int32_t H = 9, W = 9, R = 40;
    int64_t ss[4] = {1, H, W, 17}, os[4] = {1, H, W, 34}, is[4] = {1, 30, 26, 3};
    int32_t sc = gu_input(g, "scores", TRYON_DTYPE_F32, 4, ss);
    int32_t of = gu_input(g, "offsets", TRYON_DTYPE_F32, 4, os);
    tr_posenet_decode_desc d;
    memset(&d, 0, sizeof d);
    d.output_stride = 16, d.max_poses = 1;
    d.scale_y = d.scale_x = 2.0 / (H * 16), d.offset_y = d.offset_x = -1.0; /* to [-1, 1] */
    int32_t poses = tr_posenet_decode(g, sc, of, -1, -1, &d);               /* (1, 1, 18, 3) */
    int32_t kp = tr_slice(g, tr_slice(g, poses, 2, 0, 17), 3, 0, 2);        /* (1, 1, 17, 2) */
    int64_t vs[3] = {1, 17, 2};
    int32_t values = tr_reshape(g, kp, 3, vs);
    float ctrl_pts[34], mesh[2 * 25];
    for (int k = 0; k < 17; k++)
        ctrl_pts[2 * k] = -0.8f + 0.4f * (float)(k % 5),
                     ctrl_pts[2 * k + 1] = -0.8f + 0.45f * (float)(k / 5);
    for (int k = 0; k < 25; k++)
        mesh[2 * k] = -0.6f + 0.3f * (float)(k % 5),
                 mesh[2 * k + 1] = -0.6f + 0.3f * (float)(k / 5);
    int32_t ctrl = tr_graph_const(g, "ctrl", TRYON_DTYPE_F32, 3, vs, ctrl_pts);
    tr_tps_opts to = tr_tps_opts_default();
    to.lambda = 0.05f;
    int32_t coef = tr_tps_fit(g, ctrl, values, &to);
    int32_t grid = tr_tps_grid(g, ctrl, coef, 24, 20, 1);
    int32_t img = gu_input(g, "image", TRYON_DTYPE_F32, 4, is);
    int32_t warped = tr_grid_sample(g, img, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_BORDER, 1);
    int64_t wsh[4] = {8, 3, 3, 3};
    float wv[8 * 27];
    for (int k = 0; k < 8 * 27; k++) wv[k] = (float)((k * 37) % 11 - 5) / 8.0f;
    tr_conv_opts co = tr_conv_opts_default();
    co.pad_top = co.pad_bottom = co.pad_left = co.pad_right = 1;
    co.ep = tr_epilogue_make(TR_ACT_RELU);
    gu_output(g, tr_conv2d(g, warped, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, wsh, wv), &co),
              "features");
    int64_t ms[3] = {1, 25, 2};
    int32_t moved =
        tr_tps_transform(g, ctrl, coef, tr_graph_const(g, "mesh", TRYON_DTYPE_F32, 3, ms, mesh));
    int32_t px = tr_scale(g, moved, R / 2.0f, R / 2.0f); /* normalized -> pixels */
    int32_t tri[2 * 16 * 3], t = 0;
    for (int c = 0; c < 16; c++) {
        int32_t p0 = c % 4 + c / 4 * 5, q[6] = {p0, p0 + 1, p0 + 6, p0, p0 + 6, p0 + 5};
        for (int j = 0; j < 6; j++) tri[t++] = q[j];
    }
    int64_t tsh[2] = {32, 3}, tx[4] = {1, 16, 16, 3};
    int32_t tris = tr_graph_const(g, "tri", TRYON_DTYPE_I32, 2, tsh, tri);
    int32_t rast = tr_rasterize(g, px, tris, R, R);
    int32_t uv =
        tr_interpolate(g, tr_graph_const(g, "uv", TRYON_DTYPE_F32, 3, ms, mesh), rast, tris);
    int32_t tex = gu_input(g, "texture", TRYON_DTYPE_F32, 4, tx);
    gu_output(g, tr_texture(g, tex, uv, TR_TEX_LINEAR, TR_TEX_CLAMP), "textured");
    gu_output(g, tr_raster_coverage(g, px, tris, R, R, 4, 0, -1), "alpha");
    gu_output(g, rast, "rast");
}

START_TEST(warp_chain_runs_as_one_graph) {
    warp_arg a;
    memset(&a, 0, sizeof a);
    gu_opts o = gu_opts_default();
    o.fill = fill_heads, o.fill_arg = &a;
    o.runs = 3;
    gu_set_tol(&o, 1e-5, 8 * U32, 0, 0);
    gu_compare_backends("warp chain", build_chain, &a, &o);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_warp");
    TCase *tc = tcase_create("warp");
    tcase_add_test(tc, grid_sample_and_affine_grid_match_the_cpu);
    tcase_add_test(tc, tps_ops_match_the_cpu);
    tcase_add_test(tc, rasterizer_ops_match_the_cpu);
    tcase_add_test(tc, posenet_decoding_matches_the_cpu);
    tcase_add_test(tc, warp_chain_runs_as_one_graph);
    suite_add_tcase(s, tc);
    return gu_main("gpu_warp", s);
}
