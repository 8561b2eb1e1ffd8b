/* test_raster.c — rasterize, raster_coverage, interpolate and texture:
 * known answers for the fill rule (shared edges and vertices covered exactly
 * once, top-left ties on horizontal and vertical edges), depth order,
 * barycentric interpolation (affine and perspective-correct, against a
 * ray-plane oracle), texture sampling at the borders in every mode, coverage
 * alpha, a double-precision coverage oracle for random triangles, the guard
 * band, bad run-time data, guard canaries, thread-count determinism, an
 * allocation-free second run and builder errors. Conventions:
 * kernels/cpu/raster.c and raster_attr.c. */
#include <math.h>
#include <stdlib.h>

#include "warp_util.h"

/* ---- helpers -------------------------------------------------------------- */

typedef struct mesh {
    int32_t v, t, p;
    float pos[4 * 512];
    int32_t tri[3 * 512];
} mesh;

static void add_vertex(mesh *m, double x, double y, double z, double w) {
    float *p = m->pos + m->v * m->p;
    p[0] = (float)x, p[1] = (float)y;
    if (m->p >= 3) p[2] = (float)z;
    if (m->p == 4) p[3] = (float)w;
    m->v++;
}

static void add_tri(mesh *m, int32_t a, int32_t b, int32_t c) {
    m->tri[3 * m->t] = a, m->tri[3 * m->t + 1] = b, m->tri[3 * m->t + 2] = c;
    m->t++;
}

/* Graph inputs for the mesh (arena tensors, as a deformed mesh would be). */
static void mesh_inputs(wu_run *r, const mesh *m, int32_t *pos, int32_t *tri) {
    int64_t ps[3] = {1, m->v, m->p}, ts[2] = {m->t, 3};
    *pos = wu_input(r, "pos", TRYON_DTYPE_F32, 3, ps, m->pos);
    *tri = wu_input(r, "tri", TRYON_DTYPE_I32, 2, ts, m->tri);
}

/* Per-triangle coverage (samples = 1) of every triangle, as T outputs. */
static void per_triangle_coverage(wu_run *r, const mesh *m, int32_t h, int32_t w) {
    int32_t pos, tri;
    mesh_inputs(r, m, &pos, &tri);
    for (int32_t t = 0; t < m->t; t++)
        tr_graph_output(r->g, tr_raster_coverage(r->g, pos, tri, h, w, 1, t, 1), "cov");
    tr_graph_output(r->g, tr_rasterize(r->g, pos, tri, h, w), "rast");
    wu_exec(r);
}

/* Checks that pixel centres in [x0, x1) x [y0, y1) are covered by exactly one
 * triangle and all others by none, and that rasterize's id is that triangle. */
static void check_exactly_once(const wu_run *r, const mesh *m, int32_t h, int32_t w, double x0,
                               double x1, double y0, double y1, const char *what) {
    const float *rast = wu_out(r, m->t, NULL);
    for (int32_t i = 0; i < h; i++)
        for (int32_t j = 0; j < w; j++) {
            double cx = j + 0.5, cy = i + 0.5;
            int want = cx >= x0 && cx < x1 && cy >= y0 && cy < y1;
            int hits = 0, who = -1;
            for (int32_t t = 0; t < m->t; t++) {
                float a = wu_out(r, t, NULL)[i * w + j];
                ck_assert_msg(a == 0.0f || a == 1.0f, "%s: coverage %g", what, a);
                if (a == 1.0f) hits++, who = t;
            }
            ck_assert_msg(hits == want, "%s: pixel (%d, %d) covered %d times, want %d", what, i, j,
                          hits, want);
            ck_assert_msg(rast[(i * w + j) * 4 + 3] == (float)(who + 1), "%s: id at (%d, %d)", what,
                          i, j);
        }
}

/* ---- coverage and fill rule --------------------------------------------- */

/* A 16x16 square split along either diagonal: every diagonal passes through
 * 16 pixel centres; each centre is covered once, in both windings. */
START_TEST(shared_diagonal_covers_every_centre_once) {
    for (int diag = 0; diag < 2; diag++)
        for (int flip = 0; flip < 2; flip++) {
            mesh m = {.p = 2};
            add_vertex(&m, 0, 0, 0, 1), add_vertex(&m, 16, 0, 0, 1);
            add_vertex(&m, 16, 16, 0, 1), add_vertex(&m, 0, 16, 0, 1);
            int32_t q[2][3] = {{0, 1, 2}, {0, 2, 3}};
            if (diag) q[0][2] = 3, q[1][0] = 1; /* (0,1,3), (1,2,3) */
            for (int k = 0; k < 2; k++)
                flip ? add_tri(&m, q[k][0], q[k][2], q[k][1])
                     : add_tri(&m, q[k][0], q[k][1], q[k][2]);
            wu_run r;
            wu_begin(&r, 2);
            per_triangle_coverage(&r, &m, 18, 18);
            check_exactly_once(&r, &m, 18, 18, 0, 16, 0, 16, "diagonal");
            wu_end(&r);
        }
}
END_TEST

/* A fan of 8 triangles around the pixel centre (8.5, 8.5), its spokes along
 * pixel-centre rows, columns and diagonals, rim on the lines x, y = 0.5 and
 * 16.5: the centre vertex and every spoke centre are covered once; on the rim
 * the left and top sides are in, the right and bottom sides out. */
START_TEST(fan_around_a_pixel_centre_covers_it_once) {
    mesh m = {.p = 3};
    add_vertex(&m, 8.5, 8.5, 0, 1);
    const double rim[8][2] = {{0.5, 0.5},   {8.5, 0.5},  {16.5, 0.5}, {16.5, 8.5},
                              {16.5, 16.5}, {8.5, 16.5}, {0.5, 16.5}, {0.5, 8.5}};
    for (int k = 0; k < 8; k++) add_vertex(&m, rim[k][0], rim[k][1], 0, 1);
    for (int k = 0; k < 8; k++) add_tri(&m, 0, 1 + k, 1 + (k + 1) % 8);
    wu_run r;
    wu_begin(&r, 3);
    per_triangle_coverage(&r, &m, 20, 20);
    check_exactly_once(&r, &m, 20, 20, 0.5, 16.5, 0.5, 16.5, "fan");
    wu_end(&r);
}
END_TEST

/* A jittered grid mesh: vertices on the half-pixel lattice (many edges through
 * pixel centres), random diagonals and windings, straight rim on x, y = 0.5
 * and 24.5: still exactly once inside, left/top rim in, right/bottom out. */
START_TEST(jittered_lattice_mesh_covers_every_centre_once) {
    tu_rng rng;
    tu_rng_seed(&rng, 77);
    for (int rep = 0; rep < 4; rep++) {
        mesh m = {.p = 2};
        enum { G = 6 };
        for (int b = 0; b <= G; b++)
            for (int a = 0; a <= G; a++) {
                double jx = (a > 0 && a < G) ? 0.5 * tu_rng_int(&rng, -2, 2) : 0;
                double jy = (b > 0 && b < G) ? 0.5 * tu_rng_int(&rng, -2, 2) : 0;
                add_vertex(&m, 0.5 + 4 * a + jx, 0.5 + 4 * b + jy, 0, 1);
            }
        for (int b = 0; b < G; b++)
            for (int a = 0; a < G; a++) {
                int32_t v00 = b * (G + 1) + a, v10 = v00 + 1, v01 = v00 + G + 1, v11 = v01 + 1;
                int32_t t[2][3] = {{v00, v10, v11}, {v00, v11, v01}};
                if (tu_rng_int(&rng, 0, 1)) {
                    int32_t u[2][3] = {{v00, v10, v01}, {v10, v11, v01}};
                    memcpy(t, u, sizeof t);
                }
                for (int k = 0; k < 2; k++)
                    tu_rng_int(&rng, 0, 1) ? add_tri(&m, t[k][0], t[k][1], t[k][2])
                                           : add_tri(&m, t[k][2], t[k][1], t[k][0]);
            }
        wu_run r;
        wu_begin(&r, 2);
        per_triangle_coverage(&r, &m, 27, 26);
        check_exactly_once(&r, &m, 27, 26, 0.5, 24.5, 0.5, 24.5, "lattice");
        wu_end(&r);
    }
}
END_TEST

/* Top-left rule on axis-aligned edges through pixel centres, with the
 * expected sets written from the rule: the square [1.5, 5.5] x [2.5, 6.5]
 * keeps its left column and top row (16 pixels); the triangle with a top and
 * a left edge keeps both, the complementary one with a bottom and a right
 * edge keeps neither but takes the shared hypotenuse. */
START_TEST(fill_rule_on_horizontal_and_vertical_edges) {
    mesh m = {.p = 2};
    add_vertex(&m, 1.5, 2.5, 0, 1), add_vertex(&m, 5.5, 2.5, 0, 1);
    add_vertex(&m, 5.5, 6.5, 0, 1), add_vertex(&m, 1.5, 6.5, 0, 1);
    add_tri(&m, 0, 1, 2), add_tri(&m, 0, 2, 3);
    add_vertex(&m, 1.5, 2.5, 0, 1), add_vertex(&m, 7.5, 2.5, 0, 1); /* 4, 5 */
    add_vertex(&m, 1.5, 8.5, 0, 1), add_vertex(&m, 7.5, 8.5, 0, 1); /* 6, 7 */
    add_tri(&m, 4, 5, 6), add_tri(&m, 7, 6, 5);
    wu_run r;
    wu_begin(&r, 1);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    tr_graph_output(r.g, tr_raster_coverage(r.g, pos, tri, 10, 10, 1, 0, 2), "square");
    tr_graph_output(r.g, tr_raster_coverage(r.g, pos, tri, 10, 10, 1, 2, 1), "top_left");
    tr_graph_output(r.g, tr_raster_coverage(r.g, pos, tri, 10, 10, 1, 3, 1), "bottom_right");
    wu_exec(&r);
    int n_square = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++) {
            double cx = j + 0.5, cy = i + 0.5;
            float sq = wu_out(&r, 0, NULL)[i * 10 + j], tl = wu_out(&r, 1, NULL)[i * 10 + j];
            float br = wu_out(&r, 2, NULL)[i * 10 + j];
            n_square += sq == 1.0f;
            ck_assert_msg(sq == (j >= 1 && j <= 4 && i >= 2 && i <= 5), "square (%d,%d)", i, j);
            ck_assert_msg(tl == (cx >= 1.5 && cy >= 2.5 && cx + cy < 10), "top-left (%d,%d)", i, j);
            ck_assert_msg(br == (cx < 7.5 && cy < 8.5 && cx + cy >= 10), "bottom-right (%d,%d)", i,
                          j);
        }
    ck_assert_int_eq(n_square, 16);
    wu_end(&r);
}
END_TEST

/* Coverage alpha counts sub-samples: a rectangle whose right edge is at
 * x = 3.3 covers 1 of 2 (s = 2: samples at +0.25, +0.75) and 1 of 4 (s = 4)
 * sample columns of pixel column 3, none of its centre (s = 1). */
START_TEST(coverage_alpha_counts_subsamples) {
    mesh m = {.p = 2};
    add_vertex(&m, -10, -10, 0, 1), add_vertex(&m, 3.3, -10, 0, 1);
    add_vertex(&m, 3.3, 100, 0, 1), add_vertex(&m, -10, 100, 0, 1);
    add_tri(&m, 0, 1, 2), add_tri(&m, 0, 2, 3);
    wu_run r;
    wu_begin(&r, 2);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    static const int s[3] = {1, 2, 4};
    for (int k = 0; k < 3; k++)
        tr_graph_output(r.g, tr_raster_coverage(r.g, pos, tri, 5, 6, s[k], 0, -1), "alpha");
    wu_exec(&r);
    const float col3[3] = {0, 0.5f, 0.25f};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 6; j++) {
                float want = j < 3 ? 1.0f : j == 3 ? col3[k] : 0.0f;
                ck_assert_msg(wu_out(&r, k, NULL)[i * 6 + j] == want, "s %d (%d,%d): %g", s[k], i,
                              j, wu_out(&r, k, NULL)[i * 6 + j]);
            }
    wu_end(&r);
}
END_TEST

/* Random triangles (vertices off the lattice, partly outside the image)
 * against a double point-in-triangle test. Snapping moves each vertex by up to
 * 1/512 px per axis, hence an edge by up to sqrt(2)/512 < 2.8e-3 px: centres
 * closer than 3e-3 px to an edge are skipped. */
START_TEST(random_triangles_match_point_in_triangle_oracle) {
    tu_rng rng;
    tu_rng_seed(&rng, 88);
    enum { H = 48, W = 64, T = 40 };
    mesh m = {.p = 2};
    for (int t = 0; t < T; t++) {
        for (int k = 0; k < 3; k++) {
            double x = tu_rng_uniform(&rng, -20, 84), y = tu_rng_uniform(&rng, -20, 68);
            add_vertex(&m, x, y, 0, 1);
        }
        add_tri(&m, 3 * t, 3 * t + 1, 3 * t + 2);
    }
    wu_run r;
    wu_begin(&r, 2);
    per_triangle_coverage(&r, &m, H, W);
    int64_t checked = 0;
    for (int t = 0; t < T; t++) {
        const float *p = m.pos + 6 * t, *cov = wu_out(&r, t, NULL);
        double area = (p[2] - p[0]) * (p[5] - p[1]) - (p[3] - p[1]) * (p[4] - p[0]);
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double cx = j + 0.5, cy = i + 0.5, mind = 1e9;
                int inside = 1;
                for (int k = 0; k < 3; k++) {
                    const float *a = p + 2 * ((k + 1) % 3), *b = p + 2 * ((k + 2) % 3);
                    double e = ((b[0] - a[0]) * (cy - a[1]) - (b[1] - a[1]) * (cx - a[0])) *
                               (area > 0 ? 1 : -1);
                    double d = e / hypot(b[0] - a[0], b[1] - a[1]);
                    inside &= d > 0;
                    mind = fmin(mind, fabs(d));
                }
                if (mind < 3e-3) continue;
                checked++;
                ck_assert_msg(cov[i * W + j] == (float)inside, "triangle %d pixel (%d,%d)", t, i,
                              j);
            }
    }
    ck_assert_int_gt(checked, (int64_t)T * H * W * 9 / 10);
    wu_end(&r);
}
END_TEST

/* ---- depth ------------------------------------------------------------------ */

/* Two overlapping triangles: the nearer wins whatever the order; at equal
 * depth the later one wins; a constant depth comes out exactly. */
START_TEST(depth_test_nearest_wins_then_later_on_ties) {
    static const float depth[3][2] = {{0.2f, 0.8f}, {0.8f, 0.2f}, {0.5f, 0.5f}};
    for (int c = 0; c < 3; c++) {
        mesh m = {.p = 3};
        add_vertex(&m, 0, 0, depth[c][0], 1), add_vertex(&m, 12, 0, depth[c][0], 1);
        add_vertex(&m, 0, 12, depth[c][0], 1);
        add_vertex(&m, 2, 2, depth[c][1], 1), add_vertex(&m, 14, 2, depth[c][1], 1);
        add_vertex(&m, 2, 14, depth[c][1], 1);
        add_tri(&m, 0, 1, 2), add_tri(&m, 3, 4, 5);
        wu_run r;
        wu_begin(&r, 2);
        int32_t pos, tri;
        mesh_inputs(&r, &m, &pos, &tri);
        tr_graph_output(r.g, tr_rasterize(r.g, pos, tri, 16, 16), "rast");
        wu_exec(&r);
        const float *rast = wu_out(&r, 0, NULL);
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++) {
                double cx = j + 0.5, cy = i + 0.5;
                int in0 = cx + cy<12, in1 = cx> 2 && cy > 2 && cx + cy < 16;
                const float *px = rast + (i * 16 + j) * 4;
                float want_id = 0, want_z = 0;
                if (in0 && in1) {
                    int second = depth[c][1] <= depth[c][0];
                    want_id = second ? 2 : 1, want_z = depth[c][second];
                } else if (in0 || in1) {
                    want_id = in0 ? 1 : 2, want_z = depth[c][in1];
                }
                ck_assert_msg(px[3] == want_id && px[2] == want_z,
                              "case %d (%d,%d): id %g z %g, want %g %g", c, i, j, px[3], px[2],
                              want_id, want_z);
                if (want_id == 0) ck_assert(px[0] == 0 && px[1] == 0);
            }
        wu_end(&r);
    }
}
END_TEST

/* ---- interpolation ---------------------------------------------------------- */

/* Affine case: vertices on the 1/256 lattice (snapping is exact, so no
 * covered centre needs clamping), attributes a*x + b*y + c: the interpolated
 * value equals the function at the pixel centre. Error: u, v rounded to f32
 * (2 * 6e-8 relative) times attribute spreads <= 20, plus one rounding:
 * 5e-6. Depth, also linear, likewise. */
START_TEST(interpolation_reproduces_linear_attributes) {
    tu_rng rng;
    tu_rng_seed(&rng, 99);
    mesh m = {.p = 3};
    enum { T = 12, H = 40, W = 50 };
    const double A[3][3] = {
        {0.3, -0.2, 1.0}, {-0.05, 0.1, -2.0}, {0.01, 0.02, 0.3}}; /* 2 attrs, z */
    float attr[3 * T * 2];
    for (int t = 0; t < T; t++) {
        for (int k = 0; k < 3; k++) {
            double x = tu_rng_int(&rng, -2560, 15360) / 256.0;
            double y = tu_rng_int(&rng, -2560, 12800) / 256.0;
            add_vertex(&m, x, y, A[2][0] * x + A[2][1] * y + A[2][2], 1);
            for (int q = 0; q < 2; q++)
                attr[(3 * t + k) * 2 + q] = (float)(A[q][0] * x + A[q][1] * y + A[q][2]);
        }
        add_tri(&m, 3 * t, 3 * t + 1, 3 * t + 2);
    }
    wu_run r;
    wu_begin(&r, 2);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    int64_t as[3] = {1, 3 * T, 2};
    int32_t at = wu_input(&r, "attr", TRYON_DTYPE_F32, 3, as, attr);
    int32_t rast = tr_rasterize(r.g, pos, tri, H, W);
    tr_graph_output(r.g, rast, "rast");
    tr_graph_output(r.g, tr_interpolate(r.g, at, rast, tri), "attr");
    wu_exec(&r);
    const float *rs = wu_out(&r, 0, NULL), *y = wu_out(&r, 1, NULL);
    int covered = 0;
    for (int p = 0; p < H * W; p++) {
        double cx = p % W + 0.5, cy = p / W + 0.5;
        if (rs[p * 4 + 3] == 0) {
            ck_assert(y[2 * p] == 0 && y[2 * p + 1] == 0);
            continue;
        }
        covered++;
        for (int q = 0; q < 2; q++) {
            double want = A[q][0] * cx + A[q][1] * cy + A[q][2];
            ck_assert_msg(fabs(y[2 * p + q] - want) <= 5e-6, "pixel %d attr %d: %.9g vs %.9g", p, q,
                          y[2 * p + q], want);
        }
        ck_assert(fabs(rs[p * 4 + 2] - (A[2][0] * cx + A[2][1] * cy + A[2][2])) <= 5e-6);
    }
    ck_assert_int_gt(covered, H * W / 4);
    wu_end(&r);
}
END_TEST

/* Perspective: a 3-D triangle seen by a pinhole camera (x = f X/Z + cx,
 * y = f Y/Z + cy, w = Z, z = 1 - 1/Z which is affine in screen space). A
 * linear function of the 3-D position must interpolate to its value at the
 * point the pixel's ray hits (oracle: ray-plane intersection in double); the
 * depth output must be 1 - 1/Z there. Tolerance: f32 barycentrics on values
 * <= 10: 1e-5. Affine barycentrics would be off by ~1e-1 here. */
START_TEST(interpolation_is_perspective_correct) {
    const double f = 40, ccx = 16, ccy = 12;
    const double P[3][3] = {{-1.0, -0.8, 2.0}, {1.5, -0.5, 6.0}, {-0.5, 1.2, 3.5}};
    mesh m = {.p = 4};
    float attr[3];
    for (int k = 0; k < 3; k++) {
        double X = P[k][0], Y = P[k][1], Z = P[k][2];
        add_vertex(&m, f * X / Z + ccx, f * Y / Z + ccy, 1 - 1 / Z, Z);
        attr[k] = (float)(2 * X - Y + 0.5 * Z);
    }
    add_tri(&m, 0, 1, 2);
    wu_run r;
    wu_begin(&r, 1);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    int64_t as[3] = {1, 3, 1};
    int32_t at = wu_input(&r, "attr", TRYON_DTYPE_F32, 3, as, attr);
    int32_t rast = tr_rasterize(r.g, pos, tri, 24, 32);
    tr_graph_output(r.g, rast, "rast");
    tr_graph_output(r.g, tr_interpolate(r.g, at, rast, tri), "attr");
    wu_exec(&r);
    const float *rs = wu_out(&r, 0, NULL), *y = wu_out(&r, 1, NULL);
    double e1[3], e2[3], nrm[3];
    for (int q = 0; q < 3; q++) e1[q] = P[1][q] - P[0][q], e2[q] = P[2][q] - P[0][q];
    nrm[0] = e1[1] * e2[2] - e1[2] * e2[1], nrm[1] = e1[2] * e2[0] - e1[0] * e2[2];
    nrm[2] = e1[0] * e2[1] - e1[1] * e2[0];
    int covered = 0;
    for (int p = 0; p < 24 * 32; p++) {
        if (rs[p * 4 + 3] == 0) continue;
        double d[3] = {(p % 32 + 0.5 - ccx) / f, (p / 32 + 0.5 - ccy) / f, 1};
        double s = (nrm[0] * P[0][0] + nrm[1] * P[0][1] + nrm[2] * P[0][2]) /
                   (nrm[0] * d[0] + nrm[1] * d[1] + nrm[2] * d[2]);
        double X = s * d[0], Y = s * d[1], Z = s * d[2];
        covered++;
        ck_assert_msg(fabs(y[p] - (2 * X - Y + 0.5 * Z)) <= 1e-5, "pixel %d: %.9g vs %.9g", p, y[p],
                      2 * X - Y + 0.5 * Z);
        ck_assert(fabs(rs[p * 4 + 2] - (1 - 1 / Z)) <= 1e-6);
    }
    ck_assert_int_gt(covered, 50);
    wu_end(&r);
}
END_TEST

/* ---- texture ---------------------------------------------------------------- */

/* uv per output pixel given as a graph input; returns outputs for all
 * filter x boundary combinations (6) in filter-major order. */
static void texture_graph(wu_run *r, const float *tex, int32_t th, int32_t tw, int32_t c,
                          const float *uv, int32_t n_uv) {
    int64_t ts[4] = {1, th, tw, c}, us[4] = {1, 1, n_uv, 2};
    int32_t t = wu_input(r, "tex", TRYON_DTYPE_F32, 4, ts, tex);
    int32_t u = wu_input(r, "uv", TRYON_DTYPE_F32, 4, us, uv);
    for (int f = 0; f < 2; f++)
        for (int b = 0; b < 3; b++) tr_graph_output(r->g, tr_texture(r->g, t, u, f, b), "y");
    wu_exec(r);
}

/* A constant texture samples to that constant exactly, at any uv for wrap and
 * clamp (bilinear weights sum to 1 in double, rounded once), and inside the
 * texel-centre square for zero. */
START_TEST(texture_constant_is_reproduced) {
    tu_rng rng;
    tu_rng_seed(&rng, 3);
    float tex[5 * 7 * 2], uv[64 * 2];
    for (int i = 0; i < 35; i++) tex[2 * i] = 0.25f, tex[2 * i + 1] = -3.0f;
    for (int i = 0; i < 32; i++) {
        uv[2 * i] = tu_rng_uniform(&rng, -2, 3), uv[2 * i + 1] = tu_rng_uniform(&rng, -2, 3);
        uv[64 + 2 * i] = tu_rng_uniform(&rng, 0.5f / 7, 1 - 0.5f / 7);
        uv[64 + 2 * i + 1] = tu_rng_uniform(&rng, 0.5f / 5, 1 - 0.5f / 5);
    }
    wu_run r;
    wu_begin(&r, 2);
    texture_graph(&r, tex, 5, 7, 2, uv, 64);
    for (int out = 0; out < 6; out++) {
        const float *y = wu_out(&r, out, NULL);
        int zero = out % 3 == TR_TEX_ZERO;
        for (int i = zero ? 32 : 0; i < 64; i++)
            ck_assert_msg(y[2 * i] == 0.25f && y[2 * i + 1] == -3.0f, "out %d sample %d: %g %g",
                          out, i, y[2 * i], y[2 * i + 1]);
    }
    wu_end(&r);
}
END_TEST

/* A ramp tex[i][j] = j + 1 + 10 i (8 wide, 3 high) at known uv: interior
 * (linear in s = 8u - 0.5), u = 0 at each boundary (wrap blends the last
 * and first columns, clamp the first texel, zero half of it), v from the top
 * memory row, nearest at u = 0.999 / 1.0 / -0.01, and a NaN. */
START_TEST(texture_known_answers_at_the_borders) {
    float tex[3 * 8];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 8; j++) tex[i * 8 + j] = (float)(j + 1 + 10 * i);
    const float v0 = 0.5f / 3; /* centre of memory row 0 */
    float uv[7 * 2] = {0.3f, v0, 0.0f, v0, 1.0f, v0, 0.999f, v0, -0.01f, v0, 0.3f, 0.5f, NAN, v0};
    wu_run r;
    wu_begin(&r, 1);
    texture_graph(&r, tex, 3, 8, 1, uv, 7);
    const double lin = 1 + (0.3 * 8 - 0.5); /* value j + 1 at s = j */
    /* u = -0.01: wrap s = 7.42 (texels 7 and 0), clamp s = 0, zero s = -0.58 */
    const double want[6][7] = {
        /* linear  wrap, clamp, zero */
        {lin, 4.5, 4.5, 8 * 0.508 + 1 * 0.492, 8 * 0.58 + 1 * 0.42, lin + 10, 0},
        {lin, 1, 8, 8, 1, lin + 10, 0},
        {lin, 0.5, 4, 8 * 0.508, 0.42, lin + 10, 0},
        /* nearest wrap, clamp, zero */
        {3, 1, 1, 8, 8, 13, 0},
        {3, 1, 8, 8, 1, 13, 0},
        {3, 1, 0, 8, 0, 13, 0},
    };
    /* Tolerance: uv in f32 moves s by <= 8 * 6e-8 against values 1..8. */
    for (int out = 0; out < 6; out++) {
        const float *y = wu_out(&r, out, NULL);
        for (int k = 0; k < 7; k++)
            ck_assert_msg(fabs(y[k] - want[out][k]) <= 1e-5, "out %d sample %d: %.9g want %.9g",
                          out, k, y[k], want[out][k]);
    }
    wu_end(&r);
}
END_TEST

/* ---- pipeline, robustness, determinism ------------------------------------ */

/* A quad covering the image exactly with uv (0,0)..(1,1) and a texture of the
 * image's size: every pixel centre lands on its texel centre, so the output
 * is the texture (up to the f32 rounding of uv: 1e-5 of the texel spread). */
START_TEST(textured_quad_reproduces_the_texture) {
    enum { H = 19, W = 23 };
    tu_rng rng;
    tu_rng_seed(&rng, 12);
    float tex[H * W * 3];
    tu_fill_uniform(tex, H * W * 3, &rng, 0, 1);
    mesh m = {.p = 2};
    add_vertex(&m, 0, 0, 0, 1), add_vertex(&m, W, 0, 0, 1);
    add_vertex(&m, W, H, 0, 1), add_vertex(&m, 0, H, 0, 1);
    add_tri(&m, 0, 1, 2), add_tri(&m, 0, 2, 3);
    float uv[4 * 2] = {0, 0, 1, 0, 1, 1, 0, 1};
    wu_run r;
    wu_begin(&r, 2);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    int64_t us[3] = {1, 4, 2}, ts[4] = {1, H, W, 3};
    int32_t u = wu_input(&r, "uv", TRYON_DTYPE_F32, 3, us, uv);
    int32_t t = wu_input(&r, "tex", TRYON_DTYPE_F32, 4, ts, tex);
    int32_t uvi = tr_interpolate(r.g, u, tr_rasterize(r.g, pos, tri, H, W), tri);
    tr_graph_output(r.g, tr_texture(r.g, t, uvi, TR_TEX_LINEAR, TR_TEX_CLAMP), "y");
    wu_exec(&r);
    tu_cmp c = tu_compare(wu_out(&r, 0, NULL), tex, H * W * 3, 1e-5, 0);
    TU_ASSERT_CMP(c, 4, ts, "textured quad");
    wu_end(&r);
}
END_TEST

/* Bad run-time data is skipped, never read out of bounds: vertex indices
 * outside [0, V), w <= 0, NaN, vertices beyond the 2^21 px guard band. The
 * one good triangle and a huge one within the guard band still draw; ids in a
 * hand-made rast that are not triangles interpolate to 0. */
START_TEST(bad_runtime_triangles_are_skipped) {
    mesh m = {.p = 4};
    add_vertex(&m, 0, 0, 0.5, 1), add_vertex(&m, 8, 0, 0.5, 1), add_vertex(&m, 0, 8, 0.5, 1);
    add_vertex(&m, 0, 0, 0.1, -1), add_vertex(&m, NAN, 0, 0.1, 1);
    add_vertex(&m, 3e6, 0, 0.1, 1);
    add_vertex(&m, -1e6, -1e6, 0.9, 1), add_vertex(&m, 2e6, -1e6, 0.9, 1); /* 6, 7 */
    add_vertex(&m, -1e6, 2e6, 0.9, 1);                                     /* 8 */
    add_tri(&m, 0, 1, 99);                                                 /* index out of range */
    add_tri(&m, 0, 1, -1);
    add_tri(&m, 3, 1, 2); /* w <= 0 */
    add_tri(&m, 4, 1, 2); /* NaN */
    add_tri(&m, 5, 1, 2); /* beyond the guard band */
    add_tri(&m, 0, 1, 2); /* good: id 6 */
    add_tri(&m, 6, 7, 8); /* huge but inside the guard band, behind: id 7 */
    wu_run r;
    wu_begin(&r, 2);
    int32_t pos, tri;
    mesh_inputs(&r, &m, &pos, &tri);
    float attr[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float fake[4 * 4] = {0.5f, 0.5f, 0, 1e9f, 0.5f, 0.5f, 0, 2.5f,
                         0.5f, 0.5f, 0, -1,   0.5f, 0.5f, 0, 1};
    int64_t as[3] = {1, 9, 1}, fs[4] = {1, 1, 4, 4};
    int32_t at = wu_input(&r, "attr", TRYON_DTYPE_F32, 3, as, attr);
    int32_t fk = wu_input(&r, "fake", TRYON_DTYPE_F32, 4, fs, fake);
    tr_graph_output(r.g, tr_rasterize(r.g, pos, tri, 12, 12), "rast");
    tr_graph_output(r.g, tr_interpolate(r.g, at, fk, tri), "fake_attr");
    wu_exec(&r);
    const float *rs = wu_out(&r, 0, NULL);
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++) {
            float id = rs[(i * 12 + j) * 4 + 3];
            float want = (j + 0.5) + (i + 0.5) < 8 ? 6 : 7; /* the huge one covers the rest */
            ck_assert_msg(id == want, "(%d,%d): id %g want %g", i, j, id, want);
        }
    const float want_fake[4] = {0, 0, 0, 0}; /* fake id 1 = triangle 0, which uses vertex 9 */
    tu_cmp c = tu_compare_exact(wu_out(&r, 1, NULL), want_fake, 4);
    TU_ASSERT_CMP(c, 1, NULL, "invalid ids");
    wu_end(&r);
}
END_TEST

/* A random triangle soup (overlaps, depths, both windings, partial bands):
 * every output bit-identical for 1..4 threads; a second run allocates nothing. */
START_TEST(raster_graph_is_deterministic_and_allocation_free) {
    enum { T = 150, H = 61, W = 45, TH = 16, TW = 16 };
    tu_rng rng;
    tu_rng_seed(&rng, 55);
    static mesh m;
    memset(&m, 0, sizeof m);
    m.p = 4;
    float uv[3 * T * 2], tex[TH * TW * 3];
    for (int t = 0; t < T; t++) {
        for (int k = 0; k < 3; k++) {
            double x = tu_rng_uniform(&rng, -10, 55), y = tu_rng_uniform(&rng, -10, 70);
            double z = tu_rng_uniform(&rng, 0, 1), w = tu_rng_uniform(&rng, 0.5f, 2);
            add_vertex(&m, x, y, z, w);
        }
        add_tri(&m, 3 * t, 3 * t + 1, 3 * t + 2);
    }
    tu_fill_uniform(uv, 3 * T * 2, &rng, -0.5f, 1.5f);
    tu_fill_uniform(tex, TH * TW * 3, &rng, 0, 1);
    float *first[4] = {NULL, NULL, NULL, NULL};
    for (int32_t threads = 1; threads <= 4; threads++) {
        wu_run r;
        wu_begin(&r, threads);
        int32_t pos, tri;
        mesh_inputs(&r, &m, &pos, &tri);
        int64_t us[3] = {1, 3 * T, 2}, ts[4] = {1, TH, TW, 3};
        int32_t u = wu_input(&r, "uv", TRYON_DTYPE_F32, 3, us, uv);
        int32_t t = wu_input(&r, "tex", TRYON_DTYPE_F32, 4, ts, tex);
        int32_t rast = tr_rasterize(r.g, pos, tri, H, W);
        int32_t uvi = tr_interpolate(r.g, u, rast, tri);
        tr_graph_output(r.g, rast, "rast");
        tr_graph_output(r.g, uvi, "uv");
        tr_graph_output(r.g, tr_texture(r.g, t, uvi, TR_TEX_LINEAR, TR_TEX_WRAP), "color");
        tr_graph_output(r.g, tr_raster_coverage(r.g, pos, tri, H, W, 4, 10, 100), "alpha");
        wu_exec(&r);
        int64_t before = tr_ctx_n_allocs(r.ctx);
        ck_assert_int_eq(tryon_model_run(r.m), TRYON_OK);
        ck_assert_int_eq(tr_ctx_n_allocs(r.ctx), before);
        for (int o = 0; o < 4; o++) {
            tryon_tensor v;
            const float *y = wu_out(&r, o, &v);
            size_t bytes = sizeof(float) * (size_t)wu_numel(&v);
            if (!first[o]) {
                first[o] = malloc(bytes);
                memcpy(first[o], y, bytes);
            } else {
                ck_assert_msg(memcmp(first[o], y, bytes) == 0, "output %d differs at %d threads", o,
                              threads);
            }
        }
        wu_end(&r);
    }
    for (int o = 0; o < 4; o++) free(first[o]);
}
END_TEST

/* Kernels called directly with guarded outputs, triangles reaching far past
 * the image on every side: nothing is written past the outputs. */
START_TEST(raster_kernels_stay_inside_their_outputs) {
    mesh m = {.p = 3};
    add_vertex(&m, -1000, -1000, 0.5, 1), add_vertex(&m, 1000, -5, 0.2, 1);
    add_vertex(&m, 3, 1000, 0.7, 1), add_vertex(&m, 6.5, 2.5, 0.1, 1);
    add_tri(&m, 0, 1, 2), add_tri(&m, 3, 2, 1);
    enum { H = 9, W = 7 };
    tr_raster_desc d = {1, 4, 3, 2, H, W, 4, 0, 2};
    float *rast = tu_guarded_alloc(H * W * 4), *alpha = tu_guarded_alloc(H * W);
    tr_cpu_rasterize_f32(NULL, &d, m.pos, m.tri, rast);
    tr_cpu_raster_coverage_f32(NULL, &d, m.pos, m.tri, alpha);
    ck_assert(tu_guard_ok(rast, H * W * 4) && tu_guard_ok(alpha, H * W));
    float attr[4 * 2] = {0, 1, 2, 3, 4, 5, 6, 7};
    tr_interpolate_desc id = {1, H, W, 4, 2, 2, 0};
    float *y = tu_guarded_alloc(H * W * 2);
    tr_cpu_interpolate_f32(NULL, &id, attr, rast, m.tri, y);
    ck_assert(tu_guard_ok(y, H * W * 2));
    float tex[3 * 2 * 2] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (int f = 0; f < 2; f++)
        for (int b = 0; b < 3; b++) {
            tr_texture_desc td = {1, H, W, 3, 2, 2, 0, f, b};
            float *ty = tu_guarded_alloc(H * W * 2);
            tr_cpu_texture_f32(NULL, &td, tex, y, ty); /* uv = interpolated attributes, to 7 */
            ck_assert(tu_guard_ok(ty, H * W * 2));
            tu_guarded_free(ty);
        }
    tu_guarded_free(y);
    tu_guarded_free(rast);
    tu_guarded_free(alpha);
}
END_TEST

START_TEST(raster_builders_reject_bad_operands) {
    struct {
        int which;
        const char *expect;
    } cases[] = {
        {0, "(N, V, 2|3|4)"},
        {1, "has dtype F32, expected I32"},
        {2, "last dimension must be 3"},
        {3, "uses vertex 4, outside [0, 4)"},
        {4, "output size 0x8"},
        {5, "must be 1, 2 or 4"},
        {6, "triangle range [1, 1 + 5)"},
        {7, "attr 'a' has batch 2"},
        {8, "last dimension must be 2"},
        {9, "invalid filter"},
        {10, "invalid boundary"},
        {11, "texture 't' has batch 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tryon_ctx *ctx = tu_ctx(1);
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t ps[3] = {1, 4, 3}, p5[3] = {1, 4, 5}, ts[2] = {2, 3}, t4[2] = {2, 4};
        int64_t rs[4] = {1, 8, 8, 4}, a2[3] = {2, 4, 2}, uv3[4] = {1, 8, 8, 3},
                tx[4] = {3, 4, 4, 1};
        int32_t pos = tr_graph_input(g, "pos", TRYON_DTYPE_F32, 3, ps);
        int32_t tri = tr_graph_input(g, "tri", TRYON_DTYPE_I32, 2, ts);
        int32_t rast = tr_graph_input(g, "rast", TRYON_DTYPE_F32, 4, rs);
        const int32_t bad_idx[6] = {0, 1, 2, 1, 2, 4};
        int32_t rr = 0;
        switch (cases[i].which) {
        case 0:
            rr = tr_rasterize(g, tr_graph_input(g, "p", TRYON_DTYPE_F32, 3, p5), tri, 8, 8);
            break;
        case 1:
            rr = tr_rasterize(g, pos, tr_graph_input(g, "tf", TRYON_DTYPE_F32, 2, ts), 8, 8);
            break;
        case 2:
            rr = tr_rasterize(g, pos, tr_graph_input(g, "t4", TRYON_DTYPE_I32, 2, t4), 8, 8);
            break;
        case 3:
            rr = tr_rasterize(g, pos, tr_graph_const(g, "tc", TRYON_DTYPE_I32, 2, ts, bad_idx), 8,
                              8);
            break;
        case 4: rr = tr_rasterize(g, pos, tri, 0, 8); break;
        case 5: rr = tr_raster_coverage(g, pos, tri, 8, 8, 3, 0, -1); break;
        case 6: rr = tr_raster_coverage(g, pos, tri, 8, 8, 2, 1, 5); break;
        case 7:
            rr = tr_interpolate(g, tr_graph_input(g, "a", TRYON_DTYPE_F32, 3, a2), rast, tri);
            break;
        case 8:
            rr = tr_texture(g, tr_graph_input(g, "t", TRYON_DTYPE_F32, 4, tx),
                            tr_graph_input(g, "uv", TRYON_DTYPE_F32, 4, uv3), 0, 0);
            break;
        case 9: {
            int64_t uvs[4] = {3, 8, 8, 2};
            rr = tr_texture(g, tr_graph_input(g, "t", TRYON_DTYPE_F32, 4, tx),
                            tr_graph_input(g, "uv", TRYON_DTYPE_F32, 4, uvs), 5, 0);
            break;
        }
        case 10: {
            int64_t uvs[4] = {3, 8, 8, 2};
            rr = tr_texture(g, tr_graph_input(g, "t", TRYON_DTYPE_F32, 4, tx),
                            tr_graph_input(g, "uv", TRYON_DTYPE_F32, 4, uvs), 0, 9);
            break;
        }
        case 11: {
            int64_t uvs[4] = {2, 8, 8, 2};
            rr = tr_texture(g, tr_graph_input(g, "t", TRYON_DTYPE_F32, 4, tx),
                            tr_graph_input(g, "uv", TRYON_DTYPE_F32, 4, uvs), 0, 0);
            break;
        }
        }
        ck_assert_int_eq(rr, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), cases[i].expect),
                      "case %zu: expected '%s' in '%s'", i, cases[i].expect,
                      tryon_ctx_last_error(ctx));
        tr_graph_free(g);
        tryon_ctx_free(ctx);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("raster");
    TCase *tc = tcase_create("raster");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shared_diagonal_covers_every_centre_once);
    tcase_add_test(tc, fan_around_a_pixel_centre_covers_it_once);
    tcase_add_test(tc, jittered_lattice_mesh_covers_every_centre_once);
    tcase_add_test(tc, fill_rule_on_horizontal_and_vertical_edges);
    tcase_add_test(tc, coverage_alpha_counts_subsamples);
    tcase_add_test(tc, random_triangles_match_point_in_triangle_oracle);
    tcase_add_test(tc, depth_test_nearest_wins_then_later_on_ties);
    tcase_add_test(tc, interpolation_reproduces_linear_attributes);
    tcase_add_test(tc, interpolation_is_perspective_correct);
    tcase_add_test(tc, texture_constant_is_reproduced);
    tcase_add_test(tc, texture_known_answers_at_the_borders);
    tcase_add_test(tc, textured_quad_reproduces_the_texture);
    tcase_add_test(tc, bad_runtime_triangles_are_skipped);
    tcase_add_test(tc, raster_graph_is_deterministic_and_allocation_free);
    tcase_add_test(tc, raster_kernels_stay_inside_their_outputs);
    tcase_add_test(tc, raster_builders_reject_bad_operands);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
