/* net_warp.c — bench cases for the warping and rasterization ops (no weights):
 *   warp-cpvton-256x192  CP-VTON's warp: 5x5 TPS fit, 256x192 grid, cloth
 *                        (3 ch, border) and mask (1 ch, zeros) grid_sample
 *   warp-tps-512x384     a pose-sized TPS (17 points) warping a 512x384 RGB image
 *   raster-mesh-512      a 64x48-quad garment mesh (6144 triangles) rasterized
 *                        at 512x512, UVs interpolated, a 512x512 RGB texture
 *                        sampled, plus 4x4 coverage alpha
 * Inputs are filled with fixed pseudo-random data; --batch sets N. */
#include <math.h>
#include <string.h>

#include "bench.h"
#include "graph_warp.h"
#include "model.h"

static float hash01(uint64_t i) {
    i = (i ^ (i >> 31)) * 0x9E3779B97F4A7C15ull;
    return (float)((i >> 40) & 0xffffff) / 16777216.0f;
}

/* Fills every F32 input with values in [lo, hi) (points get jittered copies). */
static void fill_inputs(tryon_model *m, float lo, float hi) {
    for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
        tryon_tensor t;
        tryon_model_input(m, i, &t);
        if (t.dtype != TRYON_DTYPE_F32) continue;
        int64_t n = 1;
        for (int32_t k = 0; k < t.ndim; k++) n *= t.shape[k];
        float *p = t.data; /* NULL on CUDA: the harness copies the reference's inputs */
        for (int64_t k = 0; p && k < n; k++) p[k] = lo + (hi - lo) * hash01((uint64_t)k * 7 + i);
    }
}

/* TPS warp of an image (and optionally a mask): ctrl on a regular grid of
 * gx x gy points, values = ctrl + small offsets (filled after planning). */
static tryon_status tps_case(tryon_ctx *ctx, int32_t n, int32_t gx, int32_t gy, int32_t h,
                             int32_t w, int with_mask, tryon_model **model) {
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    int32_t k = gx * gy;
    int64_t vs[3] = {n, k, 2}, is[4] = {n, h, w, 3}, ms[4] = {n, h, w, 1}, cs[3] = {1, k, 2};
    float ctrl[2 * TR_TPS_MAX_POINTS];
    for (int32_t i = 0; i < k; i++) { /* CP-VTON's order: y fastest */
        ctrl[2 * i] = gx > 1 ? -1.0f + 2.0f * (float)(i / gy) / (float)(gx - 1) : 0.0f;
        ctrl[2 * i + 1] = gy > 1 ? -1.0f + 2.0f * (float)(i % gy) / (float)(gy - 1) : 0.0f;
    }
    int32_t c = tr_graph_const(g, "ctrl", TRYON_DTYPE_F32, 3, cs, ctrl);
    int32_t offs = tr_graph_input(g, "offsets", TRYON_DTYPE_F32, 3, vs);
    int32_t img = tr_graph_input(g, "image", TRYON_DTYPE_F32, 4, is);
    int32_t values = tr_binary(g, TR_BINARY_ADD, offs, c);
    tr_tps_opts o = tr_tps_opts_default();
    int32_t grid = tr_tps_grid(g, c, tr_tps_fit(g, c, values, &o), h, w, 1);
    tr_graph_output(g, tr_grid_sample(g, img, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_BORDER, 1),
                    "warped");
    if (with_mask) {
        int32_t mask = tr_graph_input(g, "mask", TRYON_DTYPE_F32, 4, ms);
        tr_graph_output(
            g, tr_grid_sample(g, mask, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_ZEROS, 1), "mask");
    }
    TR_TRY(tr_model_create(ctx, g, model));
    fill_inputs(*model, -0.1f, 0.1f); /* offsets: CP-VTON-like +-0.1 */
    return TRYON_OK;
}

static tryon_status setup_cpvton(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                                 bench_info *info) {
    TR_TRY(tps_case(ctx, o->batch, 5, 5, 256, 192, 1, model));
    snprintf(info->detail, sizeof info->detail, "25 points, 256x192 grid, 3+1 ch grid_sample");
    return TRYON_OK;
}

static tryon_status setup_tps512(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                                 bench_info *info) {
    TR_TRY(tps_case(ctx, o->batch, 1, 17, 512, 384, 0, model));
    snprintf(info->detail, sizeof info->detail, "17 points, 512x384 grid, 3 ch grid_sample");
    return TRYON_OK;
}

static tryon_status setup_raster(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                                 bench_info *info) {
    enum { QX = 48, QY = 64, S = 512, V = (QX + 1) * (QY + 1), T = 2 * QX * QY };
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    int64_t ps[3] = {o->batch, V, 3}, ts[2] = {T, 3}, us[3] = {1, V, 2}, xs[4] = {1, S, S, 3};
    int32_t *tri;
    float *uv;
    int32_t tt = tr_graph_const_alloc(g, "tri", TRYON_DTYPE_I32, 2, ts, (void **)&tri);
    if (tt < 0) return tr_graph_free(g), TRYON_ERR_NOMEM;
    for (int32_t b = 0, t = 0; b < QY; b++)
        for (int32_t a = 0; a < QX; a++) {
            int32_t v00 = b * (QX + 1) + a, v10 = v00 + 1, v01 = v00 + QX + 1, v11 = v01 + 1;
            int32_t q[6] = {v00, v10, v11, v00, v11, v01};
            memcpy(tri + 6 * t++, q, sizeof q);
        }
    int32_t tu = tr_graph_const_alloc(g, "uv", TRYON_DTYPE_F32, 3, us, (void **)&uv);
    if (tu < 0) return tr_graph_free(g), TRYON_ERR_NOMEM;
    for (int32_t v = 0; v < V; v++) {
        uv[2 * v] = (float)(v % (QX + 1)) / QX;
        uv[2 * v + 1] = (float)(v / (QX + 1)) / QY;
    }
    int32_t pos = tr_graph_input(g, "pos", TRYON_DTYPE_F32, 3, ps);
    int32_t tex = tr_graph_input(g, "texture", TRYON_DTYPE_F32, 4, xs);
    int32_t rast = tr_rasterize(g, pos, tt, S, S);
    int32_t uvi = tr_interpolate(g, tu, rast, tt);
    tr_graph_output(g, tr_texture(g, tex, uvi, TR_TEX_LINEAR, TR_TEX_CLAMP), "color");
    tr_graph_output(g, tr_raster_coverage(g, pos, tt, S, S, 4, 0, -1), "alpha");
    TR_TRY(tr_model_create(ctx, g, model));
    fill_inputs(*model, 0.0f, 1.0f);
    /* A garment-like mesh over the middle of the image, gently waved. */
    tryon_tensor t;
    tryon_model_input(*model, 0, &t);
    float *p = t.data;
    for (int32_t n = 0; p && n < o->batch; n++)
        for (int32_t v = 0; v < V; v++) {
            float x = (float)(v % (QX + 1)) / QX, y = (float)(v / (QX + 1)) / QY;
            float *q = p + ((int64_t)n * V + v) * 3;
            q[0] = 96 + 320 * x + 12 * sinf(6 * y + n);
            q[1] = 64 + 400 * y + 8 * sinf(5 * x);
            q[2] = 0.5f + 0.1f * x;
        }
    snprintf(info->detail, sizeof info->detail, "%d triangles at %dx%d, uv+texture, 4x4 alpha", T,
             S, S);
    return TRYON_OK;
}

const bench_case bench_warp_cpvton = {"warp-cpvton-256x192", "warp", setup_cpvton, NULL};
const bench_case bench_warp_tps512 = {"warp-tps-512x384", "warp", setup_tps512, NULL};
const bench_case bench_raster_mesh = {"raster-mesh-512", "warp", setup_raster, NULL};
