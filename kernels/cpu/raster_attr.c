/* raster_attr.c — what follows rasterization: barycentric interpolation of
 * vertex attributes and bilinear texture sampling (nvdiffrast's interpolate
 * and texture ops, NETS.md §5).
 *
 * interpolate: for a pixel of rast = (u, v, z, id+1) with id in [0, T),
 *   y = u*A[t0] + v*A[t1] + (1-u-v)*A[t2],  (t0, t1, t2) = tri[id],
 * in double, rounded once; 0 on background (id+1 == 0) and for anything that
 * is not a valid triangle id or whose vertex indices are outside [0, V).
 * rast's barycentrics are perspective-correct already, so a linear function
 * of the (3-D) vertex positions interpolates exactly up to rounding.
 *
 * texture: uv = (u, v) with (0, 0) the top-left corner of texel (0, 0) and
 * (1, 1) the bottom-right corner of texel (TH-1, TW-1); u runs along the
 * width and v along the height of the texture's memory (row 0 first). This is
 * nvdiffrast's arithmetic; nvdiffrast keeps row 0 at the bottom of the
 * picture, tryon at the top, so the same uv names the same memory texel.
 *   linear:  s = u*TW - 0.5, t = v*TH - 0.5 (texel centres at integers),
 *            i0 = floor(s), i1 = i0 + 1, fs = s - i0 (likewise t), bilinear
 *            weights (1-fs)(1-ft), fs(1-ft), (1-fs)ft, fs*ft in double;
 *   nearest: i = floor(u*TW), j = floor(v*TH).
 * Boundaries: wrap first replaces u by u - floor(u) and wraps the texel
 * indices modulo the size (so u = 0 blends the last and first columns); clamp
 * clamps s, t to [0, TW-1], [0, TH-1] (the outer texels' centres) and i1 to
 * the last texel; zero lets taps outside the texture read 0 (no
 * renormalization). A non-finite uv samples to 0.
 * Tests: tests/test_raster.c. */
#include <math.h>

#include "kernels.h"
#include "pool.h"

typedef struct interp_job {
    const tr_interpolate_desc *d;
    const float *attr, *rast;
    const int32_t *tri;
    float *y;
} interp_job;

static void interp_rows(void *arg, int64_t begin, int64_t end) {
    const interp_job *j = arg;
    const tr_interpolate_desc *d = j->d;
    const int32_t c = d->c;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / d->h;
        const float *a = j->attr + (d->attr_batched ? n : 0) * d->v * c;
        for (int32_t x = 0; x < d->w; x++) {
            const float *px = j->rast + (r * d->w + x) * 4;
            float *y = j->y + (r * d->w + x) * c;
            float id = px[3];
            int valid = id >= 1.0f && id <= (float)d->t && id == floorf(id);
            const int32_t *t = valid ? j->tri + ((int64_t)id - 1) * 3 : NULL;
            for (int32_t k = 0; valid && k < 3; k++) valid = t[k] >= 0 && t[k] < d->v;
            if (!valid) {
                for (int32_t k = 0; k < c; k++) y[k] = 0.0f;
                continue;
            }
            double u = px[0], v = px[1], w = 1.0 - u - v;
            const float *a0 = a + (int64_t)t[0] * c, *a1 = a + (int64_t)t[1] * c;
            const float *a2 = a + (int64_t)t[2] * c;
            for (int32_t k = 0; k < c; k++) y[k] = (float)(u * a0[k] + v * a1[k] + w * a2[k]);
        }
    }
}

void tr_cpu_interpolate_f32(tr_pool *pool, const tr_interpolate_desc *d, const float *attr,
                            const float *rast, const int32_t *tri, float *y) {
    interp_job j = {d, attr, rast, tri, y};
    tr_pool_for(pool, (int64_t)d->n * d->h, 4, interp_rows, &j);
}

/* Texel index along one axis after the boundary rule; -1 reads as 0. */
static inline int64_t texel(int64_t i, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) return ((i % size) + size) % size;
    if (b == TR_TEX_CLAMP) return i < 0 ? 0 : (i >= size ? size - 1 : i);
    return i >= 0 && i < size ? i : -1;
}

/* Continuous texel coordinate of one axis for linear filtering. Values far
 * outside the texture are pulled in to [-2, size+1], which changes no tap
 * (all read 0 in zero mode) and keeps the integer conversion defined. */
static inline double linear_coord(double u, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) u -= floor(u);
    double s = u * size - 0.5;
    if (b == TR_TEX_CLAMP) return s < 0.0 ? 0.0 : (s > size - 1 ? size - 1 : s);
    return s < -2.0 ? -2.0 : (s > size + 1.0 ? size + 1.0 : s);
}

static inline int64_t nearest_index(double u, int32_t size, tr_tex_boundary b) {
    if (b == TR_TEX_WRAP) u -= floor(u);
    double s = floor(u * size);
    s = s < -1.0 ? -1.0 : (s > size ? size : s);
    int64_t i = (int64_t)s;
    if (b == TR_TEX_WRAP && i >= size) i = size - 1; /* u*TW rounded up to TW */
    return texel(i, size, b == TR_TEX_WRAP ? TR_TEX_CLAMP : b);
}

typedef struct tex_job {
    const tr_texture_desc *d;
    const float *tex, *uv;
    float *y;
} tex_job;

static void tex_rows(void *arg, int64_t begin, int64_t end) {
    const tex_job *j = arg;
    const tr_texture_desc *d = j->d;
    const int32_t c = d->c;
    for (int64_t r = begin; r < end; r++) {
        int64_t n = r / d->h;
        const float *tex = j->tex + (d->tex_batched ? n : 0) * d->th * d->tw * c;
        for (int32_t x = 0; x < d->w; x++) {
            const float *uv = j->uv + (r * d->w + x) * 2;
            float *y = j->y + (r * d->w + x) * c;
            for (int32_t k = 0; k < c; k++) y[k] = 0.0f;
            if (!isfinite(uv[0]) || !isfinite(uv[1])) continue;
            if (d->filter == TR_TEX_NEAREST) {
                int64_t ix = nearest_index(uv[0], d->tw, d->boundary);
                int64_t iy = nearest_index(uv[1], d->th, d->boundary);
                if (ix < 0 || iy < 0) continue;
                const float *t = tex + (iy * d->tw + ix) * c;
                for (int32_t k = 0; k < c; k++) y[k] = t[k];
                continue;
            }
            double s = linear_coord(uv[0], d->tw, d->boundary);
            double t = linear_coord(uv[1], d->th, d->boundary);
            double fs = floor(s), ft = floor(t);
            double ws = s - fs, wt = t - ft;
            int64_t xi[2] = {texel((int64_t)fs, d->tw, d->boundary),
                             texel((int64_t)fs + 1, d->tw, d->boundary)};
            int64_t yi[2] = {texel((int64_t)ft, d->th, d->boundary),
                             texel((int64_t)ft + 1, d->th, d->boundary)};
            double wx[2] = {1.0 - ws, ws}, wy[2] = {1.0 - wt, wt};
            if (xi[0] >= 0 && xi[1] >= 0 && yi[0] >= 0 && yi[1] >= 0) { /* the common case */
                const float *t00 = tex + (yi[0] * d->tw + xi[0]) * c;
                const float *t01 = tex + (yi[0] * d->tw + xi[1]) * c;
                const float *t10 = tex + (yi[1] * d->tw + xi[0]) * c;
                const float *t11 = tex + (yi[1] * d->tw + xi[1]) * c;
                double w00 = wy[0] * wx[0], w01 = wy[0] * wx[1];
                double w10 = wy[1] * wx[0], w11 = wy[1] * wx[1];
                for (int32_t k = 0; k < c; k++)
                    y[k] = (float)(w00 * t00[k] + w01 * t01[k] + w10 * t10[k] + w11 * t11[k]);
                continue;
            }
            for (int32_t k = 0; k < c; k++) {
                double acc = 0.0;
                for (int32_t a = 0; a < 2; a++)
                    for (int32_t b = 0; b < 2; b++)
                        if (yi[a] >= 0 && xi[b] >= 0)
                            acc += wy[a] * wx[b] * tex[(yi[a] * d->tw + xi[b]) * c + k];
                y[k] = (float)acc;
            }
        }
    }
}

void tr_cpu_texture_f32(tr_pool *pool, const tr_texture_desc *d, const float *tex, const float *uv,
                        float *y) {
    tex_job j = {d, tex, uv, y};
    tr_pool_for(pool, (int64_t)d->n * d->h, 4, tex_rows, &j);
}
