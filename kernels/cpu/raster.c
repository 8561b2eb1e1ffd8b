/* raster.c — triangle rasterization with a z-buffer, and sub-pixel coverage
 * for edge antialiasing. Conventions follow nvdiffrast (NETS.md §5) except
 * where stated.
 *
 * Coordinates. Vertices come in pixel space of a top-down image: x to the
 * right, y down, pixel (row i, column j) covers [j, j+1) x [i, i+1) and is
 * sampled at its centre (j + 0.5, i + 0.5). nvdiffrast works in clip space
 * with row 0 at the bottom; its pixel (j, H-1-i) is our (j, i), and a clip
 * position maps here as x = (x_c/w_c + 1) * W/2, y = (1 - y_c/w_c) * H/2,
 * z = z_c/w_c, w = w_c. No frustum clipping: every vertex needs w > 0 and
 * |x|, |y| <= 2^21 px (the guard band; a triangle with any vertex outside it,
 * a non-finite value or an index outside [0, V) is dropped). Zero-area
 * triangles are dropped; there is no back-face culling.
 *
 * Coverage. Vertices are snapped to 1/256 px (round half to even) and the
 * three edge functions are evaluated exactly in 64-bit integers at the
 * (equally exact) pixel centre. After orienting each triangle so that the
 * edge functions are positive inside, a centre exactly on an edge a->b,
 * (dx, dy) = b - a, is inside iff the edge is a top or left edge of the
 * y-down image: dy < 0 (left edge: the interior is to its right) or
 * dy == 0 && dx > 0 (top edge: the interior is below). The same edge seen
 * from the neighbouring triangle runs the other way, so a centre on a shared
 * edge is covered by exactly one of the two triangles, and a centre on a
 * shared vertex by exactly one of the fan around it. (nvdiffrast has the same
 * exactly-once property with its own tie rule; which triangle gets an on-edge
 * sample may differ.)
 *
 * Depth. z is interpolated affinely in screen space (z/w of a projection is)
 * as z0 + l1*(z1-z0) + l2*(z2-z0), so a constant z is reproduced exactly,
 * and rounded to f32. Per pixel the fragment with the smallest z wins; on
 * equal z the later triangle in index order wins (nvdiffrast's LEQUAL).
 *
 * Output. rast = (u, v, z, id+1) like nvdiffrast, 0 where nothing covers the
 * centre. The barycentrics are recomputed in double from the unsnapped
 * vertices, l_k = area(p, v_k+1, v_k+2)/area(v0, v1, v2), and made
 * perspective-correct, b_k = (l_k/w_k) / sum(l_j/w_j) (b_k = l_k when the
 * three w are equal); then, as in nvdiffrast, u = b0 and v = b1 are clamped
 * to [0, 1] and divided by u+v when it exceeds 1 (snapping can put a covered
 * centre a hair outside the float triangle).
 *
 * Determinism. Work is split into bands of 8 image rows; each band is
 * processed by one thread, which walks the triangles in index order, so each
 * pixel's result is independent of the thread count.
 *
 * Coverage (antialiasing). raster_coverage counts, per pixel, the samples of
 * an s x s grid (s = 1, 2, 4; sample (a, b) at (j + (b+0.5)/s, i + (a+0.5)/s))
 * covered by any triangle of the selected range, with the same fixed-point
 * test, and writes the fraction: an alpha for the silhouette of the selected
 * triangles. There is no depth test: other geometry in front is the
 * caller's to mask (multiply by the coverage of the occluders' range).
 * Tests: tests/test_raster.c. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

#define SUB_BITS  8
#define SUB       (1 << SUB_BITS)
#define GUARD_PX  2097152.0 /* 2^21 px: products of fixed-point terms stay < 2^62 */
#define BAND_ROWS 8

typedef struct tri_setup {
    int64_t ex[3], ey[3];               /* fixed-point start of edge k (a) */
    int64_t dx[3], dy[3];               /* edge k direction b - a, oriented */
    int64_t bias[3];                    /* 0 for top/left edges, 1 otherwise */
    int64_t min_x, max_x, min_y, max_y; /* fixed-point bounding box */
    double x[3], y[3], z[3], w[3];
    int32_t affine; /* the three w are equal */
} tri_setup;

static inline int64_t floor_div(int64_t a, int64_t b) { /* b > 0 */
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static inline int64_t min3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a < b ? a : b;
    return m < c ? m : c;
}

static inline int64_t max3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

/* Fixed-point snapping, round half to even whatever the FP environment's
 * rounding mode (v * SUB is exact in double, as is v - floor(v)). */
static inline int64_t snap(double v) {
    double s = v * SUB, f = floor(s), r = s - f;
    if (r > 0.5 || (r == 0.5 && fmod(f, 2.0) != 0.0)) f += 1.0;
    return (int64_t)f;
}

/* Vertex fetch and snapping; 0 if the triangle is dropped. */
static int setup_triangle(const tr_raster_desc *d, const float *pos, const int32_t *tri, int64_t t,
                          tri_setup *s) {
    int64_t X[3], Y[3];
    for (int32_t k = 0; k < 3; k++) {
        int32_t idx = tri[t * 3 + k];
        if (idx < 0 || idx >= d->v) return 0;
        const float *p = pos + (int64_t)idx * d->p;
        double x = p[0], y = p[1];
        double z = d->p >= 3 ? p[2] : 0.0, w = d->p == 4 ? p[3] : 1.0;
        if (!(fabs(x) <= GUARD_PX) || !(fabs(y) <= GUARD_PX) || !isfinite(z) || !(w > 0.0) ||
            !isfinite(w))
            return 0;
        s->x[k] = x, s->y[k] = y, s->z[k] = z, s->w[k] = w;
        X[k] = snap(x);
        Y[k] = snap(y);
    }
    int64_t area = (X[1] - X[0]) * (Y[2] - Y[0]) - (Y[1] - Y[0]) * (X[2] - X[0]);
    if (area == 0) return 0;
    for (int32_t k = 0; k < 3; k++) {
        int32_t a = (k + 1) % 3, b = (k + 2) % 3;
        if (area < 0) { /* reverse every edge: the functions become positive inside */
            int32_t tmp = a;
            a = b, b = tmp;
        }
        s->ex[k] = X[a], s->ey[k] = Y[a];
        s->dx[k] = X[b] - X[a], s->dy[k] = Y[b] - Y[a];
        int top_left = s->dy[k] < 0 || (s->dy[k] == 0 && s->dx[k] > 0);
        s->bias[k] = top_left ? 0 : 1;
    }
    s->min_x = min3(X[0], X[1], X[2]), s->max_x = max3(X[0], X[1], X[2]);
    s->min_y = min3(Y[0], Y[1], Y[2]), s->max_y = max3(Y[0], Y[1], Y[2]);
    s->affine = s->w[0] == s->w[1] && s->w[1] == s->w[2];
    return 1;
}

/* Cheap test before the full setup, which every band would otherwise repeat
 * for every triangle: 0 if the vertices' y range (with a margin covering the
 * snapping) misses rows [r0, r1). Bad indices and NaN answer 1 and are left
 * to setup_triangle to drop. */
static int may_touch_rows(const tr_raster_desc *d, const float *pos, const int32_t *tri, int64_t t,
                          int64_t r0, int64_t r1) {
    float y[3];
    for (int32_t k = 0; k < 3; k++) {
        int32_t idx = tri[t * 3 + k];
        if (idx < 0 || idx >= d->v) return 1;
        y[k] = pos[(int64_t)idx * d->p + 1];
    }
    float lo = (float)r0 - 1.0f, hi = (float)r1 + 1.0f;
    if (y[0] < lo && y[1] < lo && y[2] < lo) return 0;
    if (y[0] > hi && y[1] > hi && y[2] > hi) return 0;
    return 1;
}

/* Edge function k at fixed-point sample (sx, sy), minus the tie bias: the
 * sample is inside edge k iff the result is >= 0. */
static inline int64_t edge_at(const tri_setup *s, int32_t k, int64_t sx, int64_t sy) {
    return s->dx[k] * (sy - s->ey[k]) - s->dy[k] * (sx - s->ex[k]) - s->bias[k];
}

/* Range of pixels [*lo, *hi] whose sample at offset off (fixed point, within
 * the pixel) can lie in [min, max], clipped to [0, size-1] and [clip_lo, clip_hi]. */
static void pixel_range(int64_t min, int64_t max, int64_t off_lo, int64_t off_hi, int64_t clip_lo,
                        int64_t clip_hi, int64_t *lo, int64_t *hi) {
    *lo = -floor_div(-(min - off_hi), SUB); /* ceil((min - off_hi) / SUB) */
    *hi = floor_div(max - off_lo, SUB);
    if (*lo < clip_lo) *lo = clip_lo;
    if (*hi > clip_hi) *hi = clip_hi;
}

/* Writes the fragment of triangle t at pixel (j, i) if it passes the depth test. */
static void shade(const tri_setup *s, int64_t t, int64_t j, int64_t i, int64_t sx, int64_t sy,
                  float *px) {
    double cx = (double)j + 0.5, cy = (double)i + 0.5;
    double e[3];
    for (int32_t k = 0; k < 3; k++) {
        int32_t a = (k + 1) % 3, b = (k + 2) % 3;
        e[k] = (s->x[a] - cx) * (s->y[b] - cy) - (s->y[a] - cy) * (s->x[b] - cx);
    }
    double area = e[0] + e[1] + e[2];
    if (area == 0.0) { /* a sliver that only exists after snapping: use the snapped test */
        double sign = 0.0;
        for (int32_t k = 0; k < 3; k++) {
            e[k] = (double)(edge_at(s, k, sx, sy) + s->bias[k]);
            sign += e[k];
        }
        area = sign;
    }
    double l1 = e[1] / area, l2 = e[2] / area, l0 = e[0] / area;
    double z = s->z[0] + l1 * (s->z[1] - s->z[0]) + l2 * (s->z[2] - s->z[0]);
    float zf = (float)z;
    if (!(zf <= px[2])) return;
    double b0 = l0, b1 = l1;
    if (!s->affine) {
        double q0 = l0 / s->w[0], q1 = l1 / s->w[1], q2 = l2 / s->w[2];
        double q = q0 + q1 + q2;
        b0 = q0 / q, b1 = q1 / q;
    }
    b0 = b0 < 0.0 ? 0.0 : (b0 > 1.0 ? 1.0 : b0);
    b1 = b1 < 0.0 ? 0.0 : (b1 > 1.0 ? 1.0 : b1);
    if (b0 + b1 > 1.0) {
        double sum = b0 + b1;
        b0 /= sum, b1 /= sum;
    }
    px[0] = (float)b0;
    px[1] = (float)b1;
    px[2] = zf;
    px[3] = (float)(t + 1);
}

typedef struct raster_job {
    const tr_raster_desc *d;
    const float *pos;
    const int32_t *tri;
    float *out;
    int64_t n_bands;
} raster_job;

static void raster_bands(void *arg, int64_t begin, int64_t end) {
    const raster_job *j = arg;
    const tr_raster_desc *d = j->d;
    for (int64_t band = begin; band < end; band++) {
        int64_t n = band / j->n_bands;
        int64_t r0 = band % j->n_bands * BAND_ROWS;
        int64_t r1 = r0 + BAND_ROWS < d->h ? r0 + BAND_ROWS : d->h;
        float *img = j->out + n * d->h * d->w * 4;
        for (int64_t p = r0 * d->w; p < r1 * d->w; p++) {
            img[p * 4] = img[p * 4 + 1] = img[p * 4 + 3] = 0.0f;
            img[p * 4 + 2] = INFINITY; /* depth buffer while the band runs */
        }
        const float *pos = j->pos + n * d->v * d->p;
        const int64_t band_lo = r0 * SUB, band_hi = r1 * SUB;
        for (int64_t t = 0; t < d->t; t++) {
            tri_setup s;
            if (!may_touch_rows(d, pos, j->tri, t, r0, r1)) continue;
            if (!setup_triangle(d, pos, j->tri, t, &s)) continue;
            if (s.max_y < band_lo || s.min_y >= band_hi) continue;
            int64_t x0, x1, y0, y1;
            pixel_range(s.min_x, s.max_x, SUB / 2, SUB / 2, 0, d->w - 1, &x0, &x1);
            pixel_range(s.min_y, s.max_y, SUB / 2, SUB / 2, r0, r1 - 1, &y0, &y1);
            for (int64_t i = y0; i <= y1; i++) {
                int64_t sy = i * SUB + SUB / 2, sx0 = x0 * SUB + SUB / 2;
                int64_t e0 = edge_at(&s, 0, sx0, sy), e1 = edge_at(&s, 1, sx0, sy);
                int64_t e2 = edge_at(&s, 2, sx0, sy);
                int64_t s0 = -s.dy[0] * SUB, s1 = -s.dy[1] * SUB, s2 = -s.dy[2] * SUB;
                for (int64_t x = x0; x <= x1; x++, e0 += s0, e1 += s1, e2 += s2)
                    if ((e0 | e1 | e2) >= 0)
                        shade(&s, t, x, i, x * SUB + SUB / 2, sy, img + (i * d->w + x) * 4);
            }
        }
        for (int64_t p = r0 * d->w; p < r1 * d->w; p++)
            if (img[p * 4 + 3] == 0.0f) img[p * 4 + 2] = 0.0f;
    }
}

void tr_cpu_rasterize_f32(tr_pool *pool, const tr_raster_desc *d, const float *pos,
                          const int32_t *tri, float *rast) {
    raster_job j = {d, pos, tri, rast, (d->h + BAND_ROWS - 1) / BAND_ROWS};
    tr_pool_for(pool, d->n * j.n_bands, 1, raster_bands, &j);
}

/* The coverage mask of a pixel lives in its own output float while the band
 * runs (memcpy keeps the type punning defined). */
static inline uint32_t mask_get(const float *p) {
    uint32_t m;
    memcpy(&m, p, sizeof m);
    return m;
}

static inline void mask_set(float *p, uint32_t m) { memcpy(p, &m, sizeof m); }

static void coverage_bands(void *arg, int64_t begin, int64_t end) {
    const raster_job *j = arg;
    const tr_raster_desc *d = j->d;
    const int32_t s_n = d->samples;
    int64_t off[4];
    for (int32_t a = 0; a < s_n; a++) off[a] = (int64_t)SUB * (2 * a + 1) / (2 * s_n);
    const uint32_t full = (uint32_t)((1ull << (s_n * s_n)) - 1);
    for (int64_t band = begin; band < end; band++) {
        int64_t n = band / j->n_bands;
        int64_t r0 = band % j->n_bands * BAND_ROWS;
        int64_t r1 = r0 + BAND_ROWS < d->h ? r0 + BAND_ROWS : d->h;
        float *img = j->out + n * d->h * d->w;
        for (int64_t p = r0 * d->w; p < r1 * d->w; p++) mask_set(img + p, 0);
        const float *pos = j->pos + n * d->v * d->p;
        const int64_t band_lo = r0 * SUB, band_hi = r1 * SUB;
        for (int64_t t = d->first; t < (int64_t)d->first + d->count; t++) {
            tri_setup s;
            if (!may_touch_rows(d, pos, j->tri, t, r0, r1)) continue;
            if (!setup_triangle(d, pos, j->tri, t, &s)) continue;
            if (s.max_y < band_lo || s.min_y >= band_hi) continue;
            int64_t x0, x1, y0, y1;
            pixel_range(s.min_x, s.max_x, off[0], off[s_n - 1], 0, d->w - 1, &x0, &x1);
            pixel_range(s.min_y, s.max_y, off[0], off[s_n - 1], r0, r1 - 1, &y0, &y1);
            /* Sample q = (a, b) of a pixel is its corner plus (off[b], off[a]);
             * the edge functions are affine, so per triangle each sample's
             * offset from the pixel-corner value is a constant. */
            int64_t delta[3][16];
            for (int32_t k = 0; k < 3; k++)
                for (int32_t q = 0; q < s_n * s_n; q++)
                    delta[k][q] = s.dx[k] * off[q / s_n] - s.dy[k] * off[q % s_n];
            const int32_t corner[4] = {0, s_n - 1, s_n * (s_n - 1), s_n * s_n - 1};
            for (int64_t i = y0; i <= y1; i++) {
                int64_t e[3];
                for (int32_t k = 0; k < 3; k++) e[k] = edge_at(&s, k, x0 * SUB, i * SUB);
                for (int64_t x = x0; x <= x1; x++) {
                    /* The corner samples bound the edge functions over the
                     * sample grid: all inside, or all outside one edge,
                     * settles the pixel at once. */
                    int all_in = 1, all_out = 0;
                    for (int32_t k = 0; k < 3; k++) {
                        int64_t lo = INT64_MAX, hi = INT64_MIN;
                        for (int32_t c = 0; c < 4; c++) {
                            int64_t v = e[k] + delta[k][corner[c]];
                            lo = v < lo ? v : lo;
                            hi = v > hi ? v : hi;
                        }
                        all_in &= lo >= 0;
                        all_out |= hi < 0;
                    }
                    if (!all_out) {
                        uint32_t m = mask_get(img + i * d->w + x);
                        if (all_in) {
                            m = full;
                        } else {
                            for (int32_t q = 0; q < s_n * s_n; q++)
                                if (((e[0] + delta[0][q]) | (e[1] + delta[1][q]) |
                                     (e[2] + delta[2][q])) >= 0)
                                    m |= 1u << q;
                        }
                        mask_set(img + i * d->w + x, m);
                    }
                    for (int32_t k = 0; k < 3; k++) e[k] -= s.dy[k] * SUB;
                }
            }
        }
        const float inv = 1.0f / (float)(s_n * s_n);
        for (int64_t p = r0 * d->w; p < r1 * d->w; p++)
            img[p] = (float)__builtin_popcount(mask_get(img + p)) * inv;
    }
}

void tr_cpu_raster_coverage_f32(tr_pool *pool, const tr_raster_desc *d, const float *pos,
                                const int32_t *tri, float *alpha) {
    raster_job j = {d, pos, tri, alpha, (d->h + BAND_ROWS - 1) / BAND_ROWS};
    tr_pool_for(pool, d->n * j.n_bands, 1, coverage_bands, &j);
}
