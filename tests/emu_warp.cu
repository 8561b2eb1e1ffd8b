/* emu_warp.cu — host emulation of the CUDA warping and rasterization kernels
 * (see emu_util.cuh) against kernels/cpu/grid_sample.c, tps.c, raster.c and
 * raster_attr.c, all bitwise: grid_sample in every mode, padding and
 * alignment with out-of-range and NaN coordinates; affine_grid; the TPS fit
 * run as its block does (128 threads, barrier order) on regular, masked,
 * smoothed, collinear, duplicated and non-finite point sets; TPS evaluation;
 * the rasterizer (v0 and the tiled walk) and coverage on scenes with shared
 * edges, overlaps, depth ties, perspective, slivers and bad triangles;
 * interpolate and texture in every filter and boundary mode. */
#include "emu_util.cuh"
#include "raster.cuh"
#include "warp.cuh"

/* ---- grid_sample, affine_grid ----------------------------------------------------- */

START_TEST(grid_sample_and_affine_grid_match_the_cpu) {
    const int32_t N = 2, H = 6, W = 9, C = 3, OH = 7, OW = 5;
    float x[2 * 6 * 9 * 3], grid[2 * 7 * 5 * 2], ref[2 * 7 * 5 * 3], got[2 * 7 * 5 * 3];
    tu_rng r;
    tu_rng_seed(&r, 60);
    tu_fill_uniform(x, N * H * W * C, &r, -2, 2);
    tu_fill_uniform(grid, N * OH * OW * 2, &r, -1.6f, 1.6f);
    /* exact ties for nearest, far-away, infinite and NaN coordinates */
    grid[0] = 0.0f, grid[1] = -1.0f, grid[2] = 1.0f / 9.0f, grid[4] = 1e9f, grid[5] = -1e9f;
    grid[6] = NAN, grid[9] = INFINITY, grid[10] = -INFINITY, grid[13] = 3.5f;
    const int64_t ny = (int64_t)N * OH * OW * C, ys[4] = {N, OH, OW, C};
    for (int mode = 0; mode < TR_SAMPLE_MODE_COUNT; mode++)
        for (int pad = 0; pad < TR_SAMPLE_PAD_COUNT; pad++)
            for (int ac = 0; ac < 2; ac++) {
                tr_grid_sample_desc d = {N, H, W, C, OH, OW, (tr_sample_mode)mode,
                                         (tr_sample_pad)pad, ac};
                tr_cpu_grid_sample_f32(NULL, &d, x, grid, ref);
                tr_gs_p p = {d, x, grid, got};
                emu_run(p, ny);
                EMU_EXACT(got, ref, ny, 4, ys, "grid_sample");
            }
    /* width-1 images with align_corners (the reflection special case) */
    tr_grid_sample_desc d1 = {N, 1, 1, C, OH, OW, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_REFLECTION, 1};
    tr_cpu_grid_sample_f32(NULL, &d1, x, grid, ref);
    tr_gs_p p1 = {d1, x, grid, got};
    emu_run(p1, ny);
    EMU_EXACT(got, ref, ny, 4, ys, "grid_sample 1x1");
    /* affine_grid */
    float theta[12] = {1.1f, -0.2f, 0.05f, 0.3f, 0.9f, -0.1f, -1, 0, 0.5f, 0, 1, 0};
    float gref[2 * 7 * 5 * 2], ggot[2 * 7 * 5 * 2];
    for (int ac = 0; ac < 2; ac++)
        for (int one = 0; one < 2; one++) {
            tr_affine_grid_desc d = {N, one ? 1 : OH, OW, ac};
            tr_cpu_affine_grid_f32(NULL, &d, theta, gref);
            tr_ag_p p = {d, theta, ggot};
            emu_run(p, (int64_t)N * d.h * d.w);
            const int64_t n = (int64_t)N * d.h * d.w * 2;
            EMU_EXACT(ggot, gref, n, 1, &n, "affine_grid");
        }
}
END_TEST

/* ---- thin-plate splines ------------------------------------------------------------ */

/* The fit kernel's block (warp.cu tps_fit_kernel), thread by thread; counts
 * the items that took the ridge fallback. */
static int emu_ridges;
static void emu_tps_fit(const tr_tps_fit_desc &d, const float *ctrl, const float *values,
                        const float *mask, float *coef) {
    const int32_t k = d.k, m = k + 3, nt = 128;
    for (int32_t item = 0; item < d.n; item++) {
        double *l = (double *)calloc((size_t)m * m, 8), *l0 = (double *)calloc((size_t)m * m, 8);
        double *nn = (double *)calloc((size_t)m * m, 8), *b = (double *)calloc((size_t)2 * m, 8);
        double *b0 = (double *)calloc((size_t)2 * m, 8), *tol = (double *)calloc((size_t)m, 8);
        double *rhs = (double *)calloc((size_t)2 * m, 8);
        int32_t use[TR_TPS_MAX_POINTS], flag[2];
        tr_tps_fit_w w = {l, b, b0, tol, use, flag, l0, nn, rhs};
        const float *c = ctrl + (d.ctrl_batched ? item : 0) * k * 2;
        const float *v = values + item * k * 2;
        const float *mk = d.has_mask ? mask + item * k : NULL;
        for (int tid = 0; tid < nt; tid++) tr_tps_fit_use(d, c, v, mk, w, tid, nt);
        flag[0] = 1;
        for (int tid = 0; tid < nt; tid++) tr_tps_fit_build(d, c, v, w, tid, nt);
        for (int tid = 0; tid < nt; tid++) tr_tps_fit_tol(m, w, tid, nt);
        for (int32_t col = 0; col < m; col++) {
            tr_tps_fit_pivot(m, col, w);
            if (!flag[0]) break;
            for (int tid = 0; tid < nt; tid++) tr_tps_fit_swap(m, col, w, tid, nt);
            for (int tid = 0; tid < nt; tid++) tr_tps_fit_eliminate(m, col, w, tid, nt);
        }
        if (flag[0]) tr_tps_fit_back(m, w);
        if (!flag[0]) {
            emu_ridges++;
            for (int tid = 0; tid < nt; tid++) tr_tps_fit_normal(m, w, tid, nt);
            tr_tps_fit_ridge(m, w);
        }
        for (int tid = 0; tid < nt; tid++) tr_tps_fit_out(k, w, coef + item * m * 2, tid, nt);
        free(l), free(l0), free(nn), free(b), free(b0), free(tol), free(rhs);
    }
}

START_TEST(tps_fit_and_eval_match_the_cpu) {
    tu_rng r;
    tu_rng_seed(&r, 61);
    const int32_t N = 2;
    emu_ridges = 0;
    for (int scene = 0; scene < 7; scene++) {
        const int32_t k = scene == 6 ? 64 : scene == 3 ? 3 : 25;
        float ctrl[2 * 64 * 2], values[2 * 64 * 2], mask[2 * 64];
        for (int32_t n = 0; n < N; n++)
            for (int32_t i = 0; i < k; i++) {
                float gx = -1.0f + 2.0f * (float)(i % 5) / 4, gy = -1.0f + 2.0f * (float)(i / 5) / 4;
                if (scene == 6) gx = tu_rng_uniform(&r, -1, 1), gy = tu_rng_uniform(&r, -1, 1);
                if (scene == 3) gx = (float)i * 0.5f - 0.5f, gy = 0.25f * gx; /* collinear */
                ctrl[(n * k + i) * 2] = gx, ctrl[(n * k + i) * 2 + 1] = gy;
                values[(n * k + i) * 2] = gx + tu_rng_uniform(&r, -0.1f, 0.1f);
                values[(n * k + i) * 2 + 1] = gy + tu_rng_uniform(&r, -0.1f, 0.1f);
                mask[n * k + i] = tu_rng_uniform(&r, 0, 1);
            }
        if (scene == 4) { /* duplicated points with different values */
            ctrl[2] = ctrl[0], ctrl[3] = ctrl[1];
        }
        if (scene == 5) values[7] = NAN, ctrl[10] = INFINITY; /* left out */
        tr_tps_fit_desc d = {N, k, 1, scene == 1, 0.3f, scene == 2 ? 0.5f : 0.0f};
        const int64_t nc = (int64_t)N * (k + 3) * 2;
        float ref[2 * 67 * 2], got[2 * 67 * 2];
        tr_cpu_tps_fit_f32(NULL, &d, ctrl, values, mask, ref);
        emu_tps_fit(d, ctrl, values, mask, got);
        EMU_EXACT(got, ref, nc, 1, &nc, "tps_fit");
        /* evaluation on a grid and at points, with the fitted coefficients */
        tr_tps_eval_desc e = {N, k, 6 * 5, 1, 0, 6, 5, scene % 2};
        float eref[2 * 30 * 2], egot[2 * 30 * 2], pts[30 * 2];
        tu_fill_uniform(pts, 60, &r, -1.2f, 1.2f);
        for (int grid = 0; grid < 2; grid++) {
            if (!grid) e.h = 0;
            else e.h = 6;
            tr_cpu_tps_eval_f32(NULL, &e, ctrl, ref, pts, eref);
            tr_tps_eval_p p = {e, ctrl, ref, pts, egot};
            emu_run(p, (int64_t)N * e.m);
            const int64_t ne = (int64_t)N * e.m * 2;
            EMU_EXACT(egot, eref, ne, 1, &ne, "tps_eval");
        }
    }
    /* the collinear and duplicated sets are singular: the fallback ran */
    ck_assert_msg(emu_ridges >= 2, "ridge fallback ran %d times", emu_ridges);
}
END_TEST

/* ---- rasterization ------------------------------------------------------------------- */

typedef struct scene {
    int32_t n, v, p, t, h, w;
    float *pos;
    int32_t *tri;
} scene;

/* A grid of quads (shared edges and vertices on pixel centres), random
 * overlapping triangles with depth ties, a sliver, a degenerate and an
 * out-of-range triangle, a NaN vertex and one far outside the image. */
static void make_scene(scene *s, int32_t p, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    const int32_t gx = 6, gy = 5, nq = (gx - 1) * (gy - 1), extra = 40;
    s->n = 2, s->p = p, s->h = 37, s->w = 45;
    s->v = gx * gy + 3 * extra;
    s->t = 2 * nq + extra + 3;
    s->pos = emu_floats((int64_t)s->n * s->v * p);
    s->tri = (int32_t *)calloc((size_t)s->t * 3, sizeof(int32_t));
    for (int32_t n = 0; n < s->n; n++) {
        float *pn = s->pos + (int64_t)n * s->v * p;
        for (int32_t i = 0; i < gx * gy; i++) {
            float *q = pn + i * p;
            q[0] = 2.5f + 8.0f * (i % gx) + (n ? 0.25f : 0.0f);
            q[1] = 1.5f + 8.0f * (i / gx);
            if (p >= 3) q[2] = 0.5f;
            if (p == 4) q[3] = 1.0f + 0.1f * (i % 3);
        }
        for (int32_t i = gx * gy; i < s->v; i++) {
            float *q = pn + i * p;
            q[0] = tu_rng_uniform(&r, -6, 51), q[1] = tu_rng_uniform(&r, -6, 43);
            if (p >= 3) q[2] = (float)tu_rng_int(&r, 0, 3) * 0.25f; /* ties */
            if (p == 4) q[3] = tu_rng_uniform(&r, 0.5f, 2.0f);
        }
        pn[(gx * gy + 5) * p] = NAN;
        pn[(gx * gy + 7) * p + 1] = 3e6f; /* beyond the guard band */
    }
    int32_t t = 0;
    for (int32_t q = 0; q < nq; q++) {
        int32_t a = q % (gx - 1) + q / (gx - 1) * gx, b = a + 1, c = a + gx, e = c + 1;
        s->tri[t * 3] = a, s->tri[t * 3 + 1] = b, s->tri[t * 3 + 2] = e, t++;
        s->tri[t * 3] = a, s->tri[t * 3 + 1] = e, s->tri[t * 3 + 2] = c, t++;
    }
    for (int32_t i = 0; i < extra; i++, t++)
        for (int32_t k = 0; k < 3; k++) s->tri[t * 3 + k] = gx * gy + 3 * i + k;
    s->tri[t * 3] = 0, s->tri[t * 3 + 1] = 1, s->tri[t * 3 + 2] = 2, t++; /* degenerate */
    s->tri[t * 3] = 0, s->tri[t * 3 + 1] = 7, s->tri[t * 3 + 2] = s->v, t++; /* bad index */
    s->tri[t * 3] = 3, s->tri[t * 3 + 1] = 9, s->tri[t * 3 + 2] = 4, t++;  /* sliver-ish */
}

/* The tiled kernel's walk: per 16x16 tile, the triangles meeting it, in order. */
static void emu_tiled(const tr_raster_desc &d, const float *pos, const int32_t *tri, int cov,
                      float *out) {
    const int64_t t0 = cov ? d.first : 0, tc = cov ? d.count : d.t;
    tr_tri *setups = (tr_tri *)calloc((size_t)(d.n * tc + 1), sizeof(tr_tri));
    for (int64_t i = 0; i < d.n * tc; i++)
        tr_tri_setup(d, pos + i / tc * d.v * d.p, tri, t0 + i % tc, &setups[i]);
    for (int32_t n = 0; n < d.n; n++)
        for (int32_t ty = 0; ty < d.h; ty += 16)
            for (int32_t tx = 0; tx < d.w; tx += 16) {
                int32_t x1 = tx + 16 < d.w ? tx + 16 : d.w, y1 = ty + 16 < d.h ? ty + 16 : d.h;
                for (int32_t i = ty; i < y1; i++)
                    for (int32_t j = tx; j < x1; j++) {
                        float px[4];
                        uint32_t mask = 0;
                        tr_raster_px_init(px);
                        for (int64_t t = 0; t < tc; t++) {
                            const tr_tri &s = setups[n * tc + t];
                            if (!tr_tri_meets(s, tx, x1, ty, y1)) continue;
                            if (cov)
                                mask |= tr_cov_mask(s, d.samples, j, i);
                            else
                                tr_raster_step(s, t0 + t, j, i, px);
                        }
                        int64_t item = ((int64_t)n * d.h + i) * d.w + j;
                        if (cov)
                            out[item] = tr_cov_value(mask, d.samples);
                        else
                            tr_raster_px_write(px, out + item * 4);
                    }
            }
    free(setups);
}

START_TEST(rasterizer_and_coverage_match_the_cpu) {
    for (int32_t p = 2; p <= 4; p++) {
        scene s;
        make_scene(&s, p, 62 + p);
        tr_raster_desc d = {s.n, s.v, s.p, s.t, s.h, s.w, 0, 0, 0};
        const int64_t npx = (int64_t)s.n * s.h * s.w;
        float *ref = emu_floats(npx * 4), *got = emu_floats(npx * 4);
        const int64_t rs[4] = {s.n, s.h, s.w, 4};
        tr_cpu_rasterize_f32(NULL, &d, s.pos, s.tri, ref);
        int64_t covered = 0;
        for (int64_t i = 0; i < npx; i++) covered += ref[i * 4 + 3] != 0.0f;
        ck_assert_msg(covered > npx / 2, "scene covers only %lld pixels", (long long)covered);
        for (int64_t i = 0; i < npx; i++) tr_raster_v0(d, s.pos, s.tri, got, i);
        EMU_EXACT(got, ref, npx * 4, 4, rs, "rasterize v0");
        emu_tiled(d, s.pos, s.tri, 0, got);
        EMU_EXACT(got, ref, npx * 4, 4, rs, "rasterize tiled");
        for (int32_t samples = 1; samples <= 4; samples *= 2)
            for (int range = 0; range < 2; range++) {
                tr_raster_desc c = d;
                c.samples = samples;
                c.first = range ? 10 : 0;
                c.count = range ? 25 : s.t;
                const int64_t cs[4] = {s.n, s.h, s.w, 1};
                tr_cpu_raster_coverage_f32(NULL, &c, s.pos, s.tri, ref);
                for (int64_t i = 0; i < npx; i++) tr_coverage_v0(c, s.pos, s.tri, got, i);
                EMU_EXACT(got, ref, npx, 4, cs, "coverage v0");
                emu_tiled(c, s.pos, s.tri, 1, got);
                EMU_EXACT(got, ref, npx, 4, cs, "coverage tiled");
            }
        free(ref), free(got), free(s.pos), free(s.tri);
    }
}
END_TEST

START_TEST(interpolate_and_texture_match_the_cpu) {
    scene s;
    make_scene(&s, 4, 70);
    tr_raster_desc d = {s.n, s.v, s.p, s.t, s.h, s.w, 0, 0, 0};
    const int64_t npx = (int64_t)s.n * s.h * s.w;
    float *rast = emu_floats(npx * 4);
    tr_cpu_rasterize_f32(NULL, &d, s.pos, s.tri, rast);
    rast[3] = 2.5f, rast[7] = (float)(s.t + 5), rast[11] = -1.0f; /* invalid ids read 0 */
    tu_rng r;
    tu_rng_seed(&r, 71);
    const int32_t C = 3;
    float *attr = emu_floats((int64_t)s.v * C), *ref = emu_floats(npx * C), *got = emu_floats(npx * C);
    tu_fill_uniform(attr, (int64_t)s.v * C, &r, -2, 2);
    tr_interpolate_desc id = {s.n, s.h, s.w, s.v, C, s.t, 0};
    tr_cpu_interpolate_f32(NULL, &id, attr, rast, s.tri, ref);
    tr_interp_p ip = {id, attr, rast, s.tri, got};
    emu_run(ip, npx * C);
    const int64_t ys[4] = {s.n, s.h, s.w, C};
    EMU_EXACT(got, ref, npx * C, 4, ys, "interpolate");
    /* texture: uv over [-1.5, 2.5] with NaN and infinities */
    const int32_t TH = 7, TW = 10;
    float *tex = emu_floats(2 * TH * TW * C), *uv = emu_floats(npx * 2);
    tu_fill_uniform(tex, 2 * TH * TW * C, &r, -1, 1);
    tu_fill_uniform(uv, npx * 2, &r, -1.5f, 2.5f);
    uv[0] = NAN, uv[3] = INFINITY, uv[4] = 0.0f, uv[5] = 1.0f, uv[6] = 0.05f, uv[7] = 0.5f / TH;
    for (int f = 0; f < TR_TEX_FILTER_COUNT; f++)
        for (int b = 0; b < TR_TEX_BOUNDARY_COUNT; b++)
            for (int batched = 0; batched < 2; batched++) {
                tr_texture_desc td = {s.n, s.h, s.w, TH, TW, C, batched, (tr_tex_filter)f,
                                      (tr_tex_boundary)b};
                tr_cpu_texture_f32(NULL, &td, tex, uv, ref);
                tr_tex_p tp = {td, tex, uv, got};
                emu_run(tp, npx * C);
                EMU_EXACT(got, ref, npx * C, 4, ys, "texture");
            }
    free(rast), free(attr), free(ref), free(got), free(tex), free(uv), free(s.pos), free(s.tri);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_warp");
    TCase *tc = tcase_create("warp");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grid_sample_and_affine_grid_match_the_cpu);
    tcase_add_test(tc, tps_fit_and_eval_match_the_cpu);
    tcase_add_test(tc, rasterizer_and_coverage_match_the_cpu);
    tcase_add_test(tc, interpolate_and_texture_match_the_cpu);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
