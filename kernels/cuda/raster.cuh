/* raster.cuh — device code of rasterize, raster_coverage, interpolate and
 * texture (kernels/cpu/raster.c, raster_attr.c: conventions, fill rule, tie
 * rules). F32 only (the backend runs these ops in F32).
 *
 * Each pixel is decided by one thread that walks the triangles in index
 * order, with the CPU's fixed-point edge functions (1/256 px, 64-bit
 * integers), its depth test (the smallest z wins, the later triangle on
 * equal z) and its barycentrics in double: per-pixel ownership, no atomics,
 * results equal to the CPU's bit for bit. The CPU's band, bounding-box and
 * corner tests only skip work, so a direct per-sample test is the same
 * function. v0 sets every triangle up in every thread; the tiled variant
 * sets each up once (raster.cu) and lets a 16x16 tile walk only the
 * triangles whose box meets it, still in index order. */
#ifndef TR_CUDA_RASTER_CUH
#define TR_CUDA_RASTER_CUH

#include "common.cuh"

#define TR_SUB_BITS 8
#define TR_SUB (1 << TR_SUB_BITS)
#define TR_GUARD_PX 2097152.0

typedef struct tr_tri {
    int64_t ex[3], ey[3];               /* fixed-point start of edge k */
    int64_t dx[3], dy[3];               /* edge k direction, oriented */
    int64_t bias[3];                    /* 0 for top/left edges, 1 otherwise */
    int64_t min_x, max_x, min_y, max_y; /* fixed-point bounding box */
    double x[3], y[3], z[3], w[3];
    int32_t affine, valid;
} tr_tri;

TR_HD int64_t tr_min3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a < b ? a : b;
    return m < c ? m : c;
}
TR_HD int64_t tr_max3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

TR_HD int64_t tr_snap(double v) {
    double s = v * TR_SUB, f = floor(s), r = s - f;
    if (r > 0.5 || (r == 0.5 && fmod(f, 2.0) != 0.0)) f += 1.0;
    return (int64_t)f;
}

/* kernels/cpu/raster.c setup_triangle; s->valid = 0 when the triangle is dropped. */
TR_HD void tr_tri_setup(const tr_raster_desc &d, const float *pos, const int32_t *tri, int64_t t,
                        tr_tri *s) {
    int64_t X[3], Y[3];
    s->valid = 0;
    for (int32_t k = 0; k < 3; k++) {
        int32_t idx = tri[t * 3 + k];
        if (idx < 0 || idx >= d.v) return;
        const float *p = pos + (int64_t)idx * d.p;
        double x = p[0], y = p[1];
        double z = d.p >= 3 ? p[2] : 0.0, w = d.p == 4 ? p[3] : 1.0;
        if (!(fabs(x) <= TR_GUARD_PX) || !(fabs(y) <= TR_GUARD_PX) || !isfinite(z) || !(w > 0.0) ||
            !isfinite(w))
            return;
        s->x[k] = x, s->y[k] = y, s->z[k] = z, s->w[k] = w;
        X[k] = tr_snap(x);
        Y[k] = tr_snap(y);
    }
    int64_t area = (X[1] - X[0]) * (Y[2] - Y[0]) - (Y[1] - Y[0]) * (X[2] - X[0]);
    if (area == 0) return;
    for (int32_t k = 0; k < 3; k++) {
        int32_t a = (k + 1) % 3, b = (k + 2) % 3;
        if (area < 0) {
            int32_t tmp = a;
            a = b, b = tmp;
        }
        s->ex[k] = X[a], s->ey[k] = Y[a];
        s->dx[k] = X[b] - X[a], s->dy[k] = Y[b] - Y[a];
        int top_left = s->dy[k] < 0 || (s->dy[k] == 0 && s->dx[k] > 0);
        s->bias[k] = top_left ? 0 : 1;
    }
    s->min_x = tr_min3(X[0], X[1], X[2]), s->max_x = tr_max3(X[0], X[1], X[2]);
    s->min_y = tr_min3(Y[0], Y[1], Y[2]), s->max_y = tr_max3(Y[0], Y[1], Y[2]);
    s->affine = s->w[0] == s->w[1] && s->w[1] == s->w[2];
    s->valid = 1;
}

TR_HD int64_t tr_edge_at(const tr_tri &s, int32_t k, int64_t sx, int64_t sy) {
    return s.dx[k] * (sy - s.ey[k]) - s.dy[k] * (sx - s.ex[k]) - s.bias[k];
}

TR_HD int tr_tri_covers(const tr_tri &s, int64_t sx, int64_t sy) {
    return (tr_edge_at(s, 0, sx, sy) | tr_edge_at(s, 1, sx, sy) | tr_edge_at(s, 2, sx, sy)) >= 0;
}

/* kernels/cpu/raster.c shade: the fragment of t at pixel (j, i) against px. */
TR_HD void tr_tri_shade(const tr_tri &s, int64_t t, int64_t j, int64_t i, int64_t sx, int64_t sy,
                        float px[4]) {
    double cx = (double)j + 0.5, cy = (double)i + 0.5;
    double e[3];
    for (int32_t k = 0; k < 3; k++) {
        int32_t a = (k + 1) % 3, b = (k + 2) % 3;
        e[k] = (s.x[a] - cx) * (s.y[b] - cy) - (s.y[a] - cy) * (s.x[b] - cx);
    }
    double area = e[0] + e[1] + e[2];
    if (area == 0.0) {
        double sign = 0.0;
        for (int32_t k = 0; k < 3; k++) {
            e[k] = (double)(tr_edge_at(s, k, sx, sy) + s.bias[k]);
            sign += e[k];
        }
        area = sign;
    }
    double l1 = e[1] / area, l2 = e[2] / area, l0 = e[0] / area;
    double z = s.z[0] + l1 * (s.z[1] - s.z[0]) + l2 * (s.z[2] - s.z[0]);
    float zf = (float)z;
    if (!(zf <= px[2])) return;
    double b0 = l0, b1 = l1;
    if (!s.affine) {
        double q0 = l0 / s.w[0], q1 = l1 / s.w[1], q2 = l2 / s.w[2];
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

/* Whether triangle s can cover a sample of pixels [x0, x1) x [y0, y1) (its
 * fixed-point box meets the pixels' span; the tiled variant's filter). */
TR_HD int tr_tri_meets(const tr_tri &s, int64_t x0, int64_t x1, int64_t y0, int64_t y1) {
    return s.valid && s.max_x >= x0 * TR_SUB && s.min_x <= x1 * TR_SUB && s.max_y >= y0 * TR_SUB &&
           s.min_y <= y1 * TR_SUB;
}

TR_HD void tr_raster_px_init(float px[4]) {
    px[0] = px[1] = px[3] = 0.0f;
    px[2] = INFINITY; /* the depth buffer while the triangles are walked */
}

TR_HD void tr_raster_px_write(const float px[4], float *out) {
    out[0] = px[0], out[1] = px[1], out[3] = px[3];
    out[2] = px[3] == 0.0f ? 0.0f : px[2];
}

/* One triangle (set up in s) at pixel (j, i). */
TR_HD void tr_raster_step(const tr_tri &s, int64_t t, int64_t j, int64_t i, float px[4]) {
    const int64_t sx = j * TR_SUB + TR_SUB / 2, sy = i * TR_SUB + TR_SUB / 2;
    if (s.valid && tr_tri_covers(s, sx, sy)) tr_tri_shade(s, t, j, i, sx, sy, px);
}

/* v0: pixel item i = (n*H + row)*W + col. */
TR_HD void tr_raster_v0(const tr_raster_desc &d, const float *pos, const int32_t *tri, float *rast,
                        int64_t item) {
    const int64_t col = item % d.w, row = item / d.w % d.h, n = item / d.w / d.h;
    const float *pn = pos + n * d.v * d.p;
    float px[4];
    tr_raster_px_init(px);
    for (int64_t t = 0; t < d.t; t++) {
        tr_tri s;
        tr_tri_setup(d, pn, tri, t, &s);
        tr_raster_step(s, t, col, row, px);
    }
    tr_raster_px_write(px, rast + item * 4);
}

/* ---- coverage --------------------------------------------------------------- */

TR_HD int64_t tr_cov_off(int32_t s_n, int32_t a) { return (int64_t)TR_SUB * (2 * a + 1) / (2 * s_n); }

/* Samples of pixel (j, i) that triangle s covers, as bits q = a*s_n + b. */
TR_HD uint32_t tr_cov_mask(const tr_tri &s, int32_t s_n, int64_t j, int64_t i) {
    uint32_t m = 0;
    if (!s.valid) return 0;
    for (int32_t a = 0; a < s_n; a++)
        for (int32_t b = 0; b < s_n; b++)
            if (tr_tri_covers(s, j * TR_SUB + tr_cov_off(s_n, b), i * TR_SUB + tr_cov_off(s_n, a)))
                m |= 1u << (a * s_n + b);
    return m;
}

TR_HD float tr_cov_value(uint32_t m, int32_t s_n) {
    int32_t bits = 0;
    for (; m; m &= m - 1) bits++;
    return (float)bits * (1.0f / (float)(s_n * s_n));
}

TR_HD void tr_coverage_v0(const tr_raster_desc &d, const float *pos, const int32_t *tri,
                          float *alpha, int64_t item) {
    const int64_t col = item % d.w, row = item / d.w % d.h, n = item / d.w / d.h;
    const float *pn = pos + n * d.v * d.p;
    uint32_t m = 0;
    for (int64_t t = d.first; t < (int64_t)d.first + d.count; t++) {
        tr_tri s;
        tr_tri_setup(d, pn, tri, t, &s);
        m |= tr_cov_mask(s, d.samples, col, row);
    }
    alpha[item] = tr_cov_value(m, d.samples);
}

/* ---- interpolate and texture ------------------------------------------------- */

/* item = pixel * C + channel. */
typedef struct tr_interp_p {
    tr_interpolate_desc d;
    const float *attr, *rast;
    const int32_t *tri;
    float *y;
    TR_HD void run(int64_t item) const {
        const int32_t k = (int32_t)(item % d.c);
        const int64_t pix = item / d.c, n = pix / ((int64_t)d.h * d.w);
        const float *a = attr + (d.attr_batched ? n : 0) * d.v * d.c;
        const float *px = rast + pix * 4;
        float id = px[3];
        int valid = id >= 1.0f && id <= (float)d.t && id == floorf(id);
        const int32_t *t = valid ? tri + ((int64_t)id - 1) * 3 : NULL;
        for (int32_t q = 0; valid && q < 3; q++) valid = t[q] >= 0 && t[q] < d.v;
        if (!valid) {
            y[item] = 0.0f;
            return;
        }
        double u = px[0], v = px[1], w = 1.0 - u - v;
        y[item] = (float)(u * a[(int64_t)t[0] * d.c + k] + v * a[(int64_t)t[1] * d.c + k] +
                          w * a[(int64_t)t[2] * d.c + k]);
    }
} tr_interp_p;

TR_HD int64_t tr_texel(int64_t i, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) return ((i % size) + size) % size;
    if (b == TR_TEX_CLAMP) return i < 0 ? 0 : (i >= size ? size - 1 : i);
    return i >= 0 && i < size ? i : -1;
}

TR_HD double tr_tex_linear_coord(double u, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) u -= floor(u);
    double s = u * size - 0.5;
    if (b == TR_TEX_CLAMP) return s < 0.0 ? 0.0 : (s > size - 1 ? size - 1 : s);
    return s < -2.0 ? -2.0 : (s > size + 1.0 ? size + 1.0 : s);
}

TR_HD int64_t tr_tex_nearest(double u, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) u -= floor(u);
    double s = floor(u * size);
    s = s < -1.0 ? -1.0 : (s > size ? size : s);
    int64_t i = (int64_t)s;
    if (b == TR_TEX_WRAP && i >= size) i = size - 1;
    return tr_texel(i, size, b == TR_TEX_WRAP ? TR_TEX_CLAMP : b);
}

/* item = pixel * C + channel; kernels/cpu/raster_attr.c tex_rows per channel. */
typedef struct tr_tex_p {
    tr_texture_desc d;
    const float *tex, *uv;
    float *y;
    TR_HD void run(int64_t item) const {
        const int32_t k = (int32_t)(item % d.c);
        const int64_t pix = item / d.c, n = pix / ((int64_t)d.h * d.w);
        const float *tx = tex + (d.tex_batched ? n : 0) * d.th * d.tw * d.c;
        const float *q = uv + pix * 2;
        y[item] = 0.0f;
        if (!isfinite(q[0]) || !isfinite(q[1])) return;
        if (d.filter == TR_TEX_NEAREST) {
            int64_t ix = tr_tex_nearest(q[0], d.tw, d.boundary);
            int64_t iy = tr_tex_nearest(q[1], d.th, d.boundary);
            if (ix >= 0 && iy >= 0) y[item] = tx[(iy * d.tw + ix) * d.c + k];
            return;
        }
        double s = tr_tex_linear_coord(q[0], d.tw, d.boundary);
        double t = tr_tex_linear_coord(q[1], d.th, d.boundary);
        double fs = floor(s), ft = floor(t);
        double ws = s - fs, wt = t - ft;
        int64_t xi[2] = {tr_texel((int64_t)fs, d.tw, d.boundary),
                         tr_texel((int64_t)fs + 1, d.tw, d.boundary)};
        int64_t yi[2] = {tr_texel((int64_t)ft, d.th, d.boundary),
                         tr_texel((int64_t)ft + 1, d.th, d.boundary)};
        double wx[2] = {1.0 - ws, ws}, wy[2] = {1.0 - wt, wt};
        if (xi[0] >= 0 && xi[1] >= 0 && yi[0] >= 0 && yi[1] >= 0) {
            double w00 = wy[0] * wx[0], w01 = wy[0] * wx[1];
            double w10 = wy[1] * wx[0], w11 = wy[1] * wx[1];
            y[item] = (float)(w00 * tx[(yi[0] * d.tw + xi[0]) * d.c + k] +
                              w01 * tx[(yi[0] * d.tw + xi[1]) * d.c + k] +
                              w10 * tx[(yi[1] * d.tw + xi[0]) * d.c + k] +
                              w11 * tx[(yi[1] * d.tw + xi[1]) * d.c + k]);
            return;
        }
        double acc = 0.0;
        for (int32_t a = 0; a < 2; a++)
            for (int32_t b = 0; b < 2; b++)
                if (yi[a] >= 0 && xi[b] >= 0)
                    acc += wy[a] * wx[b] * tx[(yi[a] * d.tw + xi[b]) * d.c + k];
        y[item] = (float)acc;
    }
} tr_tex_p;

#endif /* TR_CUDA_RASTER_CUH */
