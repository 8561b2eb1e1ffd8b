/* test_warp.c — grid_sample, affine_grid and thin-plate splines against
 * double-precision oracles written here from the definitions (NETS.md §4),
 * known answers, identities of the TPS, its singular-system fallbacks,
 * builder errors, thread-count determinism and allocation-free runs.
 * PyTorch comparisons live in test_torch_warp.c. */
#include <fenv.h>
#include <math.h>
#include <stdlib.h>

#include "warp_util.h"

/* ---- grid_sample oracle (NETS.md 4.1, scalar formulas, fmod reflection) ---- */

static double unnormalize(double g, int32_t s, int ac) {
    return ac ? (g + 1) / 2 * (s - 1) : ((g + 1) * s - 1) / 2;
}

static double reflect(double i, double lo2, double hi2) {
    if (lo2 == hi2) return 0;
    double lo = lo2 / 2, span = (hi2 - lo2) / 2;
    double t = fabs(i - lo), extra = fmod(t, span);
    int flips = (int)floor(t / span);
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

static double pad_coord(double i, int32_t s, int pad, int ac) {
    if (pad == TR_SAMPLE_PAD_REFLECTION)
        i = ac ? reflect(i, 0, 2.0 * (s - 1)) : reflect(i, -1, 2.0 * s - 1);
    if (pad != TR_SAMPLE_PAD_ZEROS) i = fmin(s - 1, fmax(0, i));
    return i;
}

static double tap(const float *x, int32_t h, int32_t w, int32_t c, int32_t ch, long yy, long xx) {
    if (yy < 0 || yy >= h || xx < 0 || xx >= w) return 0;
    return x[((int64_t)yy * w + xx) * c + ch];
}

/* Oracle output at one grid point; *near_tie is set when a nearest pick is
 * within 1e-4 px of a rounding tie or of the image bound, where f32 and
 * double coordinates may legitimately pick differently. */
static void oracle_sample(const float *x, int32_t h, int32_t w, int32_t c, double gx, double gy,
                          int mode, int pad, int ac, double *out, int *near_tie) {
    double ix = pad_coord(unnormalize(gx, w, ac), w, pad, ac);
    double iy = pad_coord(unnormalize(gy, h, ac), h, pad, ac);
    *near_tie = 0;
    if (mode == TR_SAMPLE_NEAREST) {
        double fx = ix - floor(ix), fy = iy - floor(iy);
        *near_tie = fabs(fx - 0.5) < 1e-4 || fabs(fy - 0.5) < 1e-4;
        long xn = lrint(ix), yn = lrint(iy); /* half to even */
        for (int32_t k = 0; k < c; k++) out[k] = tap(x, h, w, c, k, yn, xn);
        return;
    }
    long x0 = (long)floor(ix), y0 = (long)floor(iy);
    double wx = ix - x0, wy = iy - y0;
    for (int32_t k = 0; k < c; k++)
        out[k] = tap(x, h, w, c, k, y0, x0) * (1 - wx) * (1 - wy) +
                 tap(x, h, w, c, k, y0, x0 + 1) * wx * (1 - wy) +
                 tap(x, h, w, c, k, y0 + 1, x0) * (1 - wx) * wy +
                 tap(x, h, w, c, k, y0 + 1, x0 + 1) * wx * wy;
}

/* Random inputs and grids (coordinates to +-2.5, beyond the image) in every
 * mode. Tolerance: the f32 source coordinate carries <= 3 roundings of an
 * O(S) value (~2e-6 px for S <= 13) and bilinear output moves by at most
 * |x1 - x0| <= 2 per pixel per axis, plus the f32 weighted sum (~4 ulp):
 * 2 * 2 * 2e-6 + 5e-7 < 1e-5. */
START_TEST(grid_sample_matches_double_oracle) {
    tu_rng rng;
    tu_rng_seed(&rng, 101);
    static const int32_t shapes[][4] = {{2, 5, 7, 3}, {1, 1, 6, 2}, {1, 9, 1, 1}, {1, 13, 11, 4}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
        int32_t n = shapes[sh][0], h = shapes[sh][1], w = shapes[sh][2], c = shapes[sh][3];
        int32_t oh = 9, ow = 10;
        int64_t xs[4] = {n, h, w, c}, gs[4] = {n, oh, ow, 2};
        float *x = malloc(sizeof(float) * (size_t)(n * h * w * c));
        float *grid = malloc(sizeof(float) * (size_t)(n * oh * ow * 2));
        tu_fill_uniform(x, n * h * w * c, &rng, -1, 1);
        tu_fill_uniform(grid, n * oh * ow * 2, &rng, -2.5f, 2.5f);
        wu_run r;
        wu_begin(&r, 2);
        int32_t tx = wu_input(&r, "x", TRYON_DTYPE_F32, 4, xs, x);
        int32_t tg = wu_input(&r, "grid", TRYON_DTYPE_F32, 4, gs, grid);
        for (int mode = 0; mode < 2; mode++)
            for (int pad = 0; pad < 3; pad++)
                for (int ac = 0; ac < 2; ac++)
                    tr_graph_output(r.g, tr_grid_sample(r.g, tx, tg, mode, pad, ac), "y");
        wu_exec(&r);
        int32_t out = 0, skipped = 0, total = 0;
        for (int mode = 0; mode < 2; mode++)
            for (int pad = 0; pad < 3; pad++)
                for (int ac = 0; ac < 2; ac++, out++) {
                    const float *y = wu_out(&r, out, NULL);
                    for (int64_t p = 0; p < (int64_t)n * oh * ow; p++) {
                        double ref[4];
                        int tie;
                        oracle_sample(x + p / (oh * ow) * h * w * c, h, w, c, grid[2 * p],
                                      grid[2 * p + 1], mode, pad, ac, ref, &tie);
                        total++;
                        if (tie) {
                            skipped++;
                            continue;
                        }
                        for (int32_t k = 0; k < c; k++)
                            ck_assert_msg(fabs(y[p * c + k] - ref[k]) <= 1e-5,
                                          "shape %zu mode %d pad %d ac %d point %lld ch %d: got "
                                          "%.9g want %.9g",
                                          sh, mode, pad, ac, (long long)p, k, y[p * c + k], ref[k]);
                    }
                }
        ck_assert_int_lt(skipped * 50, total); /* the tie filter must stay rare */
        wu_end(&r);
        free(x);
        free(grid);
    }
}
END_TEST

/* Round half to even, as PyTorch: with align_corners=False and W = 4, g =
 * -1, -0.5, 0, 0.5, 1 unnormalize exactly to -0.5, 0.5, 1.5, 2.5, 3.5. Also
 * under an upward FP rounding mode, which an embedding application may set
 * (the library must not depend on it). */
START_TEST(grid_sample_nearest_rounds_half_to_even) {
    if (_i == 1) fesetround(FE_UPWARD);
    float x[4] = {10, 11, 12, 13};
    float grid[10] = {-1, 0, -0.5f, 0, 0, 0, 0.5f, 0, 1, 0};
    int64_t xs[4] = {1, 1, 4, 1}, gs[4] = {1, 1, 5, 2};
    wu_run r;
    wu_begin(&r, 1);
    int32_t tx = wu_input(&r, "x", TRYON_DTYPE_F32, 4, xs, x);
    int32_t tg = wu_input(&r, "grid", TRYON_DTYPE_F32, 4, gs, grid);
    tr_graph_output(r.g, tr_grid_sample(r.g, tx, tg, TR_SAMPLE_NEAREST, TR_SAMPLE_PAD_ZEROS, 0),
                    "zeros");
    tr_graph_output(r.g, tr_grid_sample(r.g, tx, tg, TR_SAMPLE_NEAREST, TR_SAMPLE_PAD_BORDER, 0),
                    "border");
    wu_exec(&r);
    /* -0.5 -> -0 (pixel 0), 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, 3.5 -> 4 (outside / clamped 3) */
    const float want_zeros[5] = {10, 10, 12, 12, 0}, want_border[5] = {10, 10, 12, 12, 13};
    tu_cmp c = tu_compare_exact(wu_out(&r, 0, NULL), want_zeros, 5);
    TU_ASSERT_CMP(c, 1, NULL, "nearest zeros");
    c = tu_compare_exact(wu_out(&r, 1, NULL), want_border, 5);
    TU_ASSERT_CMP(c, 1, NULL, "nearest border");
    wu_end(&r);
    fesetround(FE_TONEAREST);
}
END_TEST

/* Non-finite grid values: zeros mode reads nothing (0), border and
 * reflection map NaN to pixel 0 and +inf to the last pixel (border). */
START_TEST(grid_sample_non_finite_coordinates_are_defined) {
    float x[3] = {5, 6, 7};
    float grid[6] = {NAN, 0, INFINITY, 0, 0, NAN};
    int64_t xs[4] = {1, 1, 3, 1}, gs[4] = {1, 1, 3, 2};
    wu_run r;
    wu_begin(&r, 1);
    int32_t tx = wu_input(&r, "x", TRYON_DTYPE_F32, 4, xs, x);
    int32_t tg = wu_input(&r, "grid", TRYON_DTYPE_F32, 4, gs, grid);
    for (int pad = 0; pad < 3; pad++)
        tr_graph_output(r.g, tr_grid_sample(r.g, tx, tg, TR_SAMPLE_BILINEAR, pad, 1), "y");
    wu_exec(&r);
    const float want[3][3] = {{0, 0, 0}, {5, 7, 6}, {5, 5, 6}};
    for (int pad = 0; pad < 3; pad++) {
        tu_cmp c = tu_compare_exact(wu_out(&r, pad, NULL), want[pad], 3);
        TU_ASSERT_CMP(c, 1, NULL, "non-finite");
    }
    wu_end(&r);
}
END_TEST

/* The identity affine grid resamples an image onto itself: exactly at the
 * pixel centres up to the f32 rounding of the coordinates (< 1e-6 of the
 * pixel pitch, times |x| <= 1). */
START_TEST(identity_affine_grid_reproduces_the_image) {
    tu_rng rng;
    tu_rng_seed(&rng, 7);
    float x[2 * 6 * 5 * 3], theta[12] = {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0};
    tu_fill_uniform(x, 180, &rng, -1, 1);
    int64_t xs[4] = {2, 6, 5, 3}, ts[3] = {2, 2, 3};
    wu_run r;
    wu_begin(&r, 2);
    int32_t tx = wu_input(&r, "x", TRYON_DTYPE_F32, 4, xs, x);
    int32_t tt = wu_input(&r, "theta", TRYON_DTYPE_F32, 3, ts, theta);
    for (int ac = 0; ac < 2; ac++)
        tr_graph_output(r.g,
                        tr_grid_sample(r.g, tx, tr_affine_grid(r.g, tt, 6, 5, ac),
                                       TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_ZEROS, ac),
                        "y");
    wu_exec(&r);
    for (int ac = 0; ac < 2; ac++) {
        tu_cmp c = tu_compare(wu_out(&r, ac, NULL), x, 180, 1e-6, 0);
        TU_ASSERT_CMP(c, 4, xs, "identity resample");
    }
    wu_end(&r);
}
END_TEST

/* affine_grid against its definition in double (tolerance: one f32 rounding
 * of a value <= 4: 2.4e-7), including 1-pixel axes (coordinate 0). */
START_TEST(affine_grid_matches_definition) {
    tu_rng rng;
    tu_rng_seed(&rng, 9);
    float theta[2 * 6];
    tu_fill_uniform(theta, 12, &rng, -1.3f, 1.3f);
    int64_t ts[3] = {2, 2, 3};
    static const int32_t sizes[][2] = {{4, 6}, {1, 3}, {5, 1}};
    wu_run r;
    wu_begin(&r, 2);
    int32_t tt = wu_input(&r, "theta", TRYON_DTYPE_F32, 3, ts, theta);
    for (int s = 0; s < 3; s++)
        for (int ac = 0; ac < 2; ac++)
            tr_graph_output(r.g, tr_affine_grid(r.g, tt, sizes[s][0], sizes[s][1], ac), "g");
    wu_exec(&r);
    for (int s = 0, out = 0; s < 3; s++)
        for (int ac = 0; ac < 2; ac++, out++) {
            int32_t h = sizes[s][0], w = sizes[s][1];
            const float *y = wu_out(&r, out, NULL);
            for (int n = 0; n < 2; n++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++) {
                        double bx = w == 1 ? 0
                                    : ac   ? -1 + 2.0 * j / (w - 1)
                                           : (2.0 * j + 1) / w - 1;
                        double by = h == 1 ? 0
                                    : ac   ? -1 + 2.0 * i / (h - 1)
                                           : (2.0 * i + 1) / h - 1;
                        const float *t = theta + 6 * n;
                        const float *o = y + (((int64_t)n * h + i) * w + j) * 2;
                        ck_assert(fabs(o[0] - (t[0] * bx + t[1] * by + t[2])) <= 2.4e-7 * 4);
                        ck_assert(fabs(o[1] - (t[3] * bx + t[4] * by + t[5])) <= 2.4e-7 * 4);
                    }
        }
    wu_end(&r);
}
END_TEST

/* ---- thin-plate splines ----------------------------------------------- */

static double u_kernel(double r2) { return r2 > 0 ? r2 * log(r2) : 0; }

/* Independent oracle: solves for f itself (not f - identity) with Gauss-Jordan
 * elimination and full pivoting; coef (K+3) x 2 in the kernel's layout. */
static void oracle_fit(const float *c, const float *v, int32_t k, double lambda, double *coef) {
    int32_t m = k + 3;
    double a[67][69];
    int32_t perm[67];
    for (int32_t i = 0; i < m; i++) {
        perm[i] = i;
        for (int32_t j = 0; j < m + 2; j++) a[i][j] = 0;
    }
    for (int32_t i = 0; i < k; i++) {
        for (int32_t j = 0; j < k; j++) {
            double dx = (double)c[2 * i] - c[2 * j], dy = (double)c[2 * i + 1] - c[2 * j + 1];
            a[i][j] = u_kernel(dx * dx + dy * dy) + (i == j ? lambda : 0);
        }
        double p[3] = {1, c[2 * i], c[2 * i + 1]};
        for (int32_t q = 0; q < 3; q++) a[i][k + q] = a[k + q][i] = p[q];
        a[i][m] = v[2 * i], a[i][m + 1] = v[2 * i + 1];
    }
    for (int32_t col = 0; col < m; col++) {
        int32_t br = col, bc = col;
        for (int32_t i = col; i < m; i++)
            for (int32_t j = col; j < m; j++)
                if (fabs(a[i][j]) > fabs(a[br][bc])) br = i, bc = j;
        for (int32_t j = 0; j < m + 2; j++) {
            double t = a[col][j];
            a[col][j] = a[br][j], a[br][j] = t;
        }
        for (int32_t i = 0; i < m; i++) {
            double t = a[i][col];
            a[i][col] = a[i][bc], a[i][bc] = t;
        }
        int32_t t = perm[col];
        perm[col] = perm[bc], perm[bc] = t;
        for (int32_t i = 0; i < m; i++) {
            if (i == col) continue;
            double f = a[i][col] / a[col][col];
            for (int32_t j = col; j < m + 2; j++) a[i][j] -= f * a[col][j];
        }
    }
    for (int32_t i = 0; i < m; i++)
        for (int32_t q = 0; q < 2; q++) coef[perm[i] * 2 + q] = a[i][m + q] / a[i][i];
}

static void oracle_eval(const float *c, const double *coef, int32_t k, double px, double py,
                        double out[2]) {
    for (int q = 0; q < 2; q++) {
        double s = coef[k * 2 + q] + coef[(k + 1) * 2 + q] * px + coef[(k + 2) * 2 + q] * py;
        for (int32_t i = 0; i < k; i++) {
            double dx = px - c[2 * i], dy = py - c[2 * i + 1];
            s += coef[i * 2 + q] * u_kernel(dx * dx + dy * dy);
        }
        out[q] = s;
    }
}

static double base(int32_t j, int32_t s, int ac) {
    if (s == 1) return 0;
    return (float)(ac ? -1 + 2.0 * j / (s - 1) : (2.0 * j + 1) / s - 1);
}

/* Builds fit -> grid (h x w) -> outputs (grid, moved points, coef) for one
 * configuration; the caller reads the outputs. */
static void tps_graph(wu_run *r, int32_t n, int32_t k, const float *ctrl, int ctrl_batched,
                      const float *values, const float *mask, const tr_tps_opts *opts, int32_t h,
                      int32_t w, int ac, const float *points, int32_t m, int pts_batched) {
    int64_t cs[3] = {ctrl_batched ? n : 1, k, 2}, vs[3] = {n, k, 2}, ms[2] = {n, k};
    int64_t ps[3] = {pts_batched ? n : 1, m, 2};
    int32_t c = wu_input(r, "ctrl", TRYON_DTYPE_F32, 3, cs, ctrl);
    int32_t v = wu_input(r, "values", TRYON_DTYPE_F32, 3, vs, values);
    tr_tps_opts o = *opts;
    if (mask) o.mask = wu_input(r, "mask", TRYON_DTYPE_F32, 2, ms, mask);
    int32_t p = wu_input(r, "points", TRYON_DTYPE_F32, 3, ps, points);
    int32_t coef = tr_tps_fit(r->g, c, v, &o);
    tr_graph_output(r->g, tr_tps_grid(r->g, c, coef, h, w, ac), "grid");
    tr_graph_output(r->g, tr_tps_transform(r->g, c, coef, p), "moved");
    tr_graph_output(r->g, coef, "coef");
    wu_exec(r);
}

/* Random control points, per-item sets: grid and scattered points against the
 * double oracle (tolerance: f32 coefficients, sum |w_k U_k| * 6e-8 ~ 1e-6,
 * checked at 1e-5), and the interpolation property f(c_k) = v_k. */
START_TEST(tps_matches_double_oracle_and_interpolates) {
    tu_rng rng;
    tu_rng_seed(&rng, 21);
    enum { N = 2, K = 9, H = 11, W = 7 };
    float ctrl[N * K * 2], values[N * K * 2];
    tu_fill_uniform(ctrl, N * K * 2, &rng, -1, 1);
    for (int i = 0; i < N * K * 2; i++) values[i] = ctrl[i] + tu_rng_uniform(&rng, -0.2f, 0.2f);
    for (int ac = 0; ac < 2; ac++) {
        wu_run r;
        wu_begin(&r, 2);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, N, K, ctrl, 1, values, NULL, &o, H, W, ac, ctrl, K, 1);
        const float *grid = wu_out(&r, 0, NULL), *moved = wu_out(&r, 1, NULL);
        const float *got_coef = wu_out(&r, 2, NULL);
        for (int n = 0; n < N; n++) {
            double coef[(K + 3) * 2], want[2];
            oracle_fit(ctrl + n * K * 2, values + n * K * 2, K, 0, coef);
            /* Coefficients too (they fix the kernel's scale, which f does not):
             * f32 rounding relative 6e-8 plus solve differences: 1e-6 * (1 + |c|). */
            for (int i = 0; i < (K + 3) * 2; i++)
                ck_assert_msg(fabs(got_coef[n * (K + 3) * 2 + i] - coef[i]) <=
                                  1e-6 * (1 + fabs(coef[i])),
                              "coef %d of item %d: %.9g vs %.9g", i, n,
                              got_coef[n * (K + 3) * 2 + i], coef[i]);
            for (int i = 0; i < H; i++)
                for (int j = 0; j < W; j++) {
                    oracle_eval(ctrl + n * K * 2, coef, K, base(j, W, ac), base(i, H, ac), want);
                    const float *g = grid + (((int64_t)n * H + i) * W + j) * 2;
                    ck_assert_msg(fabs(g[0] - want[0]) <= 1e-5 && fabs(g[1] - want[1]) <= 1e-5,
                                  "grid (%d,%d,%d): got (%g,%g) want (%g,%g)", n, i, j, g[0], g[1],
                                  want[0], want[1]);
                }
            tu_cmp c = tu_compare(moved + n * K * 2, values + n * K * 2, K * 2, 1e-5, 0);
            TU_ASSERT_CMP(c, 1, NULL, "f(c_k) = v_k");
        }
        wu_end(&r);
    }
}
END_TEST

/* CP-VTON with theta = 0 (values = the 5x5 control grid), and any identity
 * pairs, give the identity grid; affine pairs give exactly that affine map
 * (its w_k vanish): both within f32 rounding of the grid, 1e-6. */
START_TEST(tps_identity_and_affine_pairs_reproduce_the_map) {
    enum { K = 25, H = 16, W = 12 };
    float ctrl[K * 2], values[2 * K * 2];
    for (int k = 0; k < K; k++) { /* CP-VTON's order: Y varies fastest */
        ctrl[2 * k] = -1 + 0.5f * (k / 5);
        ctrl[2 * k + 1] = -1 + 0.5f * (k % 5);
    }
    const double A[2][3] = {{0.9, -0.2, 0.1}, {0.15, 1.1, -0.05}}; /* x' = A (x, y, 1) */
    for (int k = 0; k < K; k++) {
        values[2 * k] = ctrl[2 * k], values[2 * k + 1] = ctrl[2 * k + 1];
        double x = ctrl[2 * k], y = ctrl[2 * k + 1];
        values[K * 2 + 2 * k] = (float)(A[0][0] * x + A[0][1] * y + A[0][2]);
        values[K * 2 + 2 * k + 1] = (float)(A[1][0] * x + A[1][1] * y + A[1][2]);
    }
    for (int ac = 0; ac < 2; ac++) {
        wu_run r;
        wu_begin(&r, 2);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, 2, K, ctrl, 0, values, NULL, &o, H, W, ac, ctrl, K, 0);
        const float *grid = wu_out(&r, 0, NULL);
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double x = base(j, W, ac), y = base(i, H, ac);
                const float *g0 = grid + ((int64_t)i * W + j) * 2;
                const float *g1 = grid + ((int64_t)(H + i) * W + j) * 2;
                ck_assert_msg(fabs(g0[0] - x) <= 1e-6 && fabs(g0[1] - y) <= 1e-6,
                              "identity at (%d,%d): (%.9g,%.9g)", i, j, g0[0], g0[1]);
                ck_assert(fabs(g1[0] - (A[0][0] * x + A[0][1] * y + A[0][2])) <= 1e-6);
                ck_assert(fabs(g1[1] - (A[1][0] * x + A[1][1] * y + A[1][2])) <= 1e-6);
            }
        wu_end(&r);
    }
}
END_TEST

/* lambda -> infinity: w_k -> 0 like 1/lambda and f becomes the least-squares
 * affine fit (oracle: 3x3 normal equations). At lambda = 1e6 (the largest
 * accepted) the remaining w_k ~ 0.5/1e6 with |U| <= 17 over 10 points: < 1e-4,
 * far below the 0.1-sized residuals an implementation ignoring lambda leaves. */
START_TEST(tps_smoothing_tends_to_the_affine_least_squares_fit) {
    enum { K = 10 };
    tu_rng rng;
    tu_rng_seed(&rng, 5);
    float ctrl[K * 2], values[K * 2];
    tu_fill_uniform(ctrl, K * 2, &rng, -1, 1);
    tu_fill_uniform(values, K * 2, &rng, -1, 1);
    double ata[3][3] = {{0}}, atb[3][2] = {{0}};
    for (int k = 0; k < K; k++) {
        double p[3] = {1, ctrl[2 * k], ctrl[2 * k + 1]};
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) ata[a][b] += p[a] * p[b];
            for (int q = 0; q < 2; q++) atb[a][q] += p[a] * values[2 * k + q];
        }
    }
    for (int col = 0; col < 3; col++) /* Gauss-Jordan on the SPD 3x3 system */
        for (int i = 0; i < 3; i++) {
            if (i == col) continue;
            double f = ata[i][col] / ata[col][col];
            for (int j = 0; j < 3; j++) ata[i][j] -= f * ata[col][j];
            for (int q = 0; q < 2; q++) atb[i][q] -= f * atb[col][q];
        }
    wu_run r;
    wu_begin(&r, 1);
    tr_tps_opts o = tr_tps_opts_default();
    o.lambda = 1e6f;
    tps_graph(&r, 1, K, ctrl, 1, values, NULL, &o, 5, 5, 1, ctrl, K, 0);
    const float *moved = wu_out(&r, 1, NULL);
    for (int k = 0; k < K; k++)
        for (int q = 0; q < 2; q++) {
            double want = 0, p[3] = {1, ctrl[2 * k], ctrl[2 * k + 1]};
            for (int a = 0; a < 3; a++) want += p[a] * atb[a][q] / ata[a][a];
            ck_assert_msg(fabs(moved[2 * k + q] - want) <= 1e-4, "point %d: %g vs %g", k,
                          moved[2 * k + q], want);
        }
    wu_end(&r);
}
END_TEST

/* A masked point (mask <= threshold) and a point with a NaN coordinate are
 * left out: the result equals the fit without them (1e-6: same arithmetic up
 * to the order of the elimination). */
START_TEST(tps_mask_and_nan_points_are_left_out) {
    enum { K = 8 };
    tu_rng rng;
    tu_rng_seed(&rng, 13);
    float ctrl[K * 2], values[K * 2], mask[K];
    tu_fill_uniform(ctrl, K * 2, &rng, -1, 1);
    for (int i = 0; i < K * 2; i++) values[i] = ctrl[i] + tu_rng_uniform(&rng, -0.2f, 0.2f);
    for (int i = 0; i < K; i++) mask[i] = 0.9f;
    mask[2] = 0.3f;    /* below the 0.5 threshold */
    ctrl[2 * 5] = NAN; /* undetected keypoint */
    float ctrl6[6 * 2], values6[6 * 2];
    for (int i = 0, o = 0; i < K; i++)
        if (i != 2 && i != 5) {
            ctrl6[2 * o] = ctrl[2 * i], ctrl6[2 * o + 1] = ctrl[2 * i + 1];
            values6[2 * o] = values[2 * i], values6[2 * o + 1] = values[2 * i + 1];
            o++;
        }
    float pts[4 * 2] = {0.1f, 0.2f, -0.7f, 0.4f, 0.9f, -0.9f, 1.3f, 0.0f};
    wu_run a, b;
    wu_begin(&a, 1);
    tr_tps_opts o = tr_tps_opts_default();
    o.mask_threshold = 0.5f;
    tps_graph(&a, 1, K, ctrl, 1, values, mask, &o, 6, 5, 0, pts, 4, 0);
    wu_begin(&b, 1);
    o = tr_tps_opts_default();
    tps_graph(&b, 1, 6, ctrl6, 1, values6, NULL, &o, 6, 5, 0, pts, 4, 0);
    tu_cmp c = tu_compare(wu_out(&a, 0, NULL), wu_out(&b, 0, NULL), 6 * 5 * 2, 1e-6, 0);
    TU_ASSERT_CMP(c, 4, NULL, "masked grid");
    c = tu_compare(wu_out(&a, 1, NULL), wu_out(&b, 1, NULL), 4 * 2, 1e-6, 0);
    TU_ASSERT_CMP(c, 3, NULL, "masked points");
    const float *coef = wu_out(&a, 2, NULL);
    ck_assert(coef[2 * 2] == 0 && coef[2 * 2 + 1] == 0 && coef[5 * 2] == 0 && coef[5 * 2 + 1] == 0);
    wu_end(&a);
    wu_end(&b);
}
END_TEST

/* Singular systems take the documented fallback: the minimum-norm deviation
 * from the identity (tolerance 1e-4 covers the O(eps) ridge bias).
 *  - no usable point: the identity;
 *  - one point c = 0 moved by d: the translation by d (min-norm of a0 + ax*0);
 *  - collinear points on y = 0.3 all moved by (0.1, 0): f.y = y everywhere,
 *    and f.x = x + (0.1 + 0.03 y) / 1.09 (min-norm (a0, ay) with a0 + 0.3 ay = 0.1);
 *  - a duplicated point with two values: the average there, exact elsewhere. */
START_TEST(tps_singular_configurations_use_the_fallback) {
    float pts[3 * 2] = {0.25f, -0.5f, -0.8f, 0.9f, 0.3f, 0.3f};
    /* no usable point */
    {
        float ctrl[3 * 2] = {0, 0, 1, 0, 0, 1}, values[3 * 2] = {5, 5, 6, 6, 7, 7},
                       mask[3] = {0, 0, 0};
        wu_run r;
        wu_begin(&r, 1);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, 1, 3, ctrl, 1, values, mask, &o, 2, 2, 1, pts, 3, 0);
        tu_cmp c = tu_compare(wu_out(&r, 1, NULL), pts, 6, 1e-6, 0);
        TU_ASSERT_CMP(c, 1, NULL, "no points: identity");
        wu_end(&r);
    }
    /* one point */
    {
        float ctrl[2] = {0, 0}, values[2] = {0.2f, -0.1f};
        wu_run r;
        wu_begin(&r, 1);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, 1, 1, ctrl, 1, values, NULL, &o, 2, 2, 1, pts, 3, 0);
        const float *m = wu_out(&r, 1, NULL);
        for (int i = 0; i < 3; i++) {
            ck_assert(fabs(m[2 * i] - (pts[2 * i] + 0.2)) <= 1e-4);
            ck_assert(fabs(m[2 * i + 1] - (pts[2 * i + 1] - 0.1)) <= 1e-4);
        }
        wu_end(&r);
    }
    /* collinear points */
    {
        float ctrl[4 * 2] = {-0.9f, 0.3f, -0.2f, 0.3f, 0.4f, 0.3f, 0.8f, 0.3f}, values[4 * 2];
        for (int i = 0; i < 4; i++) values[2 * i] = ctrl[2 * i] + 0.1f, values[2 * i + 1] = 0.3f;
        wu_run r;
        wu_begin(&r, 1);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, 1, 4, ctrl, 1, values, NULL, &o, 2, 2, 1, pts, 3, 0);
        const float *m = wu_out(&r, 1, NULL);
        for (int i = 0; i < 3; i++) {
            double x = pts[2 * i], y = pts[2 * i + 1];
            ck_assert_msg(fabs(m[2 * i] - (x + (0.1 + 0.03 * y) / 1.09)) <= 1e-4,
                          "collinear x at %d: %g", i, m[2 * i]);
            ck_assert_msg(fabs(m[2 * i + 1] - y) <= 1e-4, "collinear y at %d: %g", i, m[2 * i + 1]);
        }
        wu_end(&r);
    }
    /* duplicated point */
    {
        float ctrl[5 * 2] = {-0.8f, -0.7f, 0.6f, -0.5f, 0.1f, 0.8f, 0.2f, 0.1f, 0.2f, 0.1f};
        float values[5 * 2] = {-0.7f, -0.7f, 0.6f, -0.4f, 0.0f, 0.8f, 0.3f, 0.1f, 0.1f, 0.3f};
        wu_run r;
        wu_begin(&r, 1);
        tr_tps_opts o = tr_tps_opts_default();
        tps_graph(&r, 1, 5, ctrl, 1, values, NULL, &o, 2, 2, 1, ctrl, 5, 0);
        const float *m = wu_out(&r, 1, NULL);
        const float want[5 * 2] = {-0.7f, -0.7f, 0.6f, -0.4f, 0.0f, 0.8f, 0.2f, 0.2f, 0.2f, 0.2f};
        tu_cmp c = tu_compare(m, want, 10, 1e-4, 0);
        TU_ASSERT_CMP(c, 2, NULL, "duplicate: average");
        wu_end(&r);
    }
}
END_TEST

/* One shared (1, K, 2) control set against N value sets equals the same set
 * repeated per item, bit for bit. */
START_TEST(tps_shared_control_points_broadcast) {
    enum { N = 3, K = 6 };
    tu_rng rng;
    tu_rng_seed(&rng, 17);
    float ctrl[K * 2], ctrl_n[N * K * 2], values[N * K * 2], pts[4 * 2];
    tu_fill_uniform(ctrl, K * 2, &rng, -1, 1);
    for (int n = 0; n < N; n++)
        for (int i = 0; i < K * 2; i++) ctrl_n[n * K * 2 + i] = ctrl[i];
    tu_fill_uniform(values, N * K * 2, &rng, -1, 1);
    tu_fill_uniform(pts, 8, &rng, -1, 1);
    wu_run a, b;
    tr_tps_opts o = tr_tps_opts_default();
    wu_begin(&a, 2);
    tps_graph(&a, N, K, ctrl, 0, values, NULL, &o, 5, 4, 0, pts, 4, 0);
    wu_begin(&b, 2);
    float pts_n[N * 4 * 2];
    for (int n = 0; n < N; n++)
        for (int i = 0; i < 8; i++) pts_n[n * 8 + i] = pts[i];
    tps_graph(&b, N, K, ctrl_n, 1, values, NULL, &o, 5, 4, 0, pts_n, 4, 1);
    for (int out = 0; out < 3; out++) {
        tryon_tensor t;
        const float *ya = wu_out(&a, out, &t);
        tu_cmp c = tu_compare_exact(ya, wu_out(&b, out, NULL), wu_numel(&t));
        TU_ASSERT_CMP(c, t.ndim, t.shape, "broadcast");
    }
    wu_end(&a);
    wu_end(&b);
}
END_TEST

/* ---- graph-level properties ------------------------------------------- */

/* pose -> TPS -> grid -> grid_sample: identical bits for 1..4 threads, and a
 * second run allocates nothing. */
START_TEST(warp_graph_is_deterministic_and_allocation_free) {
    enum { K = 14, H = 37, W = 29 };
    tu_rng rng;
    tu_rng_seed(&rng, 31);
    float ctrl[K * 2], values[2 * K * 2], img[2 * H * W * 3], theta[12];
    tu_fill_uniform(ctrl, K * 2, &rng, -1, 1);
    for (int i = 0; i < 2 * K * 2; i++)
        values[i] = ctrl[i % (K * 2)] + tu_rng_uniform(&rng, -.1f, .1f);
    tu_fill_uniform(img, 2 * H * W * 3, &rng, 0, 1);
    tu_fill_uniform(theta, 12, &rng, -1, 1);
    float *first = NULL;
    int64_t n_out = 0;
    for (int32_t threads = 1; threads <= 4; threads++) {
        wu_run r;
        wu_begin(&r, threads);
        int64_t cs[3] = {1, K, 2}, vs[3] = {2, K, 2}, is[4] = {2, H, W, 3}, ts[3] = {2, 2, 3};
        int32_t c = wu_input(&r, "ctrl", TRYON_DTYPE_F32, 3, cs, ctrl);
        int32_t v = wu_input(&r, "values", TRYON_DTYPE_F32, 3, vs, values);
        int32_t x = wu_input(&r, "img", TRYON_DTYPE_F32, 4, is, img);
        int32_t t = wu_input(&r, "theta", TRYON_DTYPE_F32, 3, ts, theta);
        tr_tps_opts o = tr_tps_opts_default();
        int32_t grid = tr_tps_grid(r.g, c, tr_tps_fit(r.g, c, v, &o), H, W, 1);
        int32_t a = tr_grid_sample(r.g, x, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_BORDER, 1);
        int32_t b = tr_grid_sample(r.g, a, tr_affine_grid(r.g, t, H, W, 0), TR_SAMPLE_NEAREST,
                                   TR_SAMPLE_PAD_REFLECTION, 0);
        tr_graph_output(r.g, b, "y");
        wu_exec(&r);
        int64_t before = tr_ctx_n_allocs(r.ctx);
        ck_assert_int_eq(tryon_model_run(r.m), TRYON_OK);
        ck_assert_int_eq(tr_ctx_n_allocs(r.ctx), before);
        tryon_tensor view;
        const float *y = wu_out(&r, 0, &view);
        n_out = wu_numel(&view);
        if (!first) {
            first = malloc(sizeof(float) * (size_t)n_out);
            memcpy(first, y, sizeof(float) * (size_t)n_out);
        } else {
            ck_assert_msg(memcmp(first, y, sizeof(float) * (size_t)n_out) == 0, "%d threads differ",
                          threads);
        }
        wu_end(&r);
    }
    free(first);
}
END_TEST

/* Kernels called directly on guarded buffers never write past their output. */
START_TEST(warp_kernels_stay_inside_their_outputs) {
    tu_rng rng;
    tu_rng_seed(&rng, 41);
    float x[3 * 4 * 2], grid[5 * 3 * 2], ctrl[4 * 2], values[4 * 2], theta[6];
    tu_fill_uniform(x, 24, &rng, -1, 1);
    tu_fill_uniform(grid, 30, &rng, -4, 4);
    tu_fill_uniform(ctrl, 8, &rng, -1, 1);
    tu_fill_uniform(values, 8, &rng, -1, 1);
    tu_fill_uniform(theta, 6, &rng, -1, 1);
    for (int pad = 0; pad < 3; pad++)
        for (int mode = 0; mode < 2; mode++) {
            tr_grid_sample_desc d = {1, 3, 4, 2, 5, 3, mode, pad, pad == 1};
            float *y = tu_guarded_alloc(5 * 3 * 2);
            tr_cpu_grid_sample_f32(NULL, &d, x, grid, y);
            ck_assert(tu_guard_ok(y, 30));
            tu_guarded_free(y);
        }
    tr_affine_grid_desc ad = {1, 5, 3, 0};
    float *g = tu_guarded_alloc(30);
    tr_cpu_affine_grid_f32(NULL, &ad, theta, g);
    ck_assert(tu_guard_ok(g, 30));
    tu_guarded_free(g);
    tr_tps_fit_desc fd = {1, 4, 1, 0, 0, 0};
    float *coef = tu_guarded_alloc(7 * 2);
    tr_cpu_tps_fit_f32(NULL, &fd, ctrl, values, NULL, coef);
    ck_assert(tu_guard_ok(coef, 14));
    tr_tps_eval_desc ed = {1, 4, 15, 1, 0, 5, 3, 1};
    float *tg = tu_guarded_alloc(30);
    tr_cpu_tps_eval_f32(NULL, &ed, ctrl, coef, NULL, tg);
    ck_assert(tu_guard_ok(tg, 30));
    tu_guarded_free(tg);
    tu_guarded_free(coef);
}
END_TEST

START_TEST(warp_builders_reject_bad_operands) {
    struct {
        int which;
        const char *expect;
    } cases[] = {
        {0, "last dimension must be 2"},
        {1, "has batch 2, expected 1"},
        {2, "invalid mode"},
        {3, "invalid padding"},
        {4, "theta must be (N, 2, 3)"},
        {5, "at most 64"},
        {6, "ctrl has 4 points, values 5"},
        {7, "lambda must be"},
        {8, "mask must be (N, K)"},
        {9, "expected K+3"},
        {10, "output size 0x4"},
        {11, "has dtype I32"},
        {12, "has rank 3, expected 4"},
        {13, "ctrl '"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tryon_ctx *ctx = tu_ctx(1);
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {1, 4, 4, 3}, g3[4] = {1, 2, 2, 3}, g2b[4] = {2, 2, 2, 2};
        int64_t th[3] = {1, 3, 2}, c65[3] = {1, 65, 2}, c4[3] = {1, 4, 2}, v5[3] = {1, 5, 2};
        int64_t v4[3] = {1, 4, 2}, m3[2] = {1, 3}, co[3] = {1, 8, 2}, c4n[3] = {3, 4, 2};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t ok_grid = tr_graph_input(g, "grid", TRYON_DTYPE_F32, 4, (int64_t[4]){1, 2, 2, 2});
        tr_tps_opts o = tr_tps_opts_default();
        int32_t rr = 0;
        switch (cases[i].which) {
        case 0:
            rr = tr_grid_sample(g, x, tr_graph_input(g, "g", TRYON_DTYPE_F32, 4, g3), 0, 0, 0);
            break;
        case 1:
            rr = tr_grid_sample(g, x, tr_graph_input(g, "g", TRYON_DTYPE_F32, 4, g2b), 0, 0, 0);
            break;
        case 2: rr = tr_grid_sample(g, x, ok_grid, (tr_sample_mode)7, 0, 0); break;
        case 3: rr = tr_grid_sample(g, x, ok_grid, 0, (tr_sample_pad)-1, 0); break;
        case 4:
            rr = tr_affine_grid(g, tr_graph_input(g, "t", TRYON_DTYPE_F32, 3, th), 4, 4, 0);
            break;
        case 5: {
            int32_t c = tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c65);
            rr = tr_tps_fit(g, c, c, &o);
            break;
        }
        case 6:
            rr = tr_tps_fit(g, tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c4),
                            tr_graph_input(g, "v", TRYON_DTYPE_F32, 3, v5), &o);
            break;
        case 7: {
            int32_t c = tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c4);
            o.lambda = -1;
            rr = tr_tps_fit(g, c, c, &o);
            break;
        }
        case 8: {
            int32_t c = tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c4);
            o.mask = tr_graph_input(g, "m", TRYON_DTYPE_F32, 2, m3);
            rr = tr_tps_fit(g, c, c, &o);
            break;
        }
        case 9:
            rr = tr_tps_grid(g, tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, v4),
                             tr_graph_input(g, "coef", TRYON_DTYPE_F32, 3, co), 4, 4, 1);
            break;
        case 10: {
            int32_t c = tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c4);
            rr = tr_tps_grid(g, c, tr_tps_fit(g, c, c, &o), 0, 4, 1);
            break;
        }
        case 11:
            rr = tr_grid_sample(g, tr_graph_input(g, "xi", TRYON_DTYPE_I32, 4, xs), ok_grid, 0, 0,
                                0);
            break;
        case 12:
            rr = tr_grid_sample(g, x, tr_graph_input(g, "g", TRYON_DTYPE_F32, 3, v4), 0, 0, 0);
            break;
        case 13: /* ctrl batch 3 against values batch 1 */
            rr = tr_tps_fit(g, tr_graph_input(g, "c", TRYON_DTYPE_F32, 3, c4n),
                            tr_graph_input(g, "v", TRYON_DTYPE_F32, 3, v4), &o);
            break;
        }
        ck_assert_int_eq(rr, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), cases[i].expect),
                      "case %zu: expected '%s' in '%s'", i, cases[i].expect,
                      tryon_ctx_last_error(ctx));
        ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
        tr_graph_free(g);
        tryon_ctx_free(ctx);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("warp");
    TCase *tc = tcase_create("warp");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grid_sample_matches_double_oracle);
    tcase_add_loop_test(tc, grid_sample_nearest_rounds_half_to_even, 0, 2);
    tcase_add_test(tc, grid_sample_non_finite_coordinates_are_defined);
    tcase_add_test(tc, identity_affine_grid_reproduces_the_image);
    tcase_add_test(tc, affine_grid_matches_definition);
    tcase_add_test(tc, tps_matches_double_oracle_and_interpolates);
    tcase_add_test(tc, tps_identity_and_affine_pairs_reproduce_the_map);
    tcase_add_test(tc, tps_smoothing_tends_to_the_affine_least_squares_fit);
    tcase_add_test(tc, tps_mask_and_nan_points_are_left_out);
    tcase_add_test(tc, tps_singular_configurations_use_the_fallback);
    tcase_add_test(tc, tps_shared_control_points_broadcast);
    tcase_add_test(tc, warp_graph_is_deterministic_and_allocation_free);
    tcase_add_test(tc, warp_kernels_stay_inside_their_outputs);
    tcase_add_test(tc, warp_builders_reject_bad_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
