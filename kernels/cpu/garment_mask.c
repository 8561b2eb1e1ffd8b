/* garment_mask.c — the garment's mask from a product photo: background by
 * the border colour (or the alpha channel), square-window morphology, and
 * the clean-up that keeps the garment as one solid region (kernels_fit.h).
 *
 * Why these steps: product photos sit on a plain backdrop, so the border is
 * background and its median is the backdrop colour even with a few garment
 * pixels touching the edge. Light parts of a garment (white stripes) can
 * match the backdrop exactly; a closing (dilate, erode) bridges them between
 * darker parts, and filling holes recovers those enclosed entirely. Keeping
 * the largest component drops specks and stray labels.
 * Tests: tests/test_garment.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

/* ---- background mask ------------------------------------------------------- */

static int64_t border_count(const tr_bg_mask_desc *d) {
    if (d->h == 1 || d->w == 1) return (int64_t)d->h * d->w;
    return 2 * (int64_t)d->w + 2 * ((int64_t)d->h - 2);
}

int64_t tr_bg_mask_ws_bytes(const tr_bg_mask_desc *d) {
    return d->mode == TR_BG_MASK_BORDER ? border_count(d) * (int64_t)sizeof(float) : 0;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorts v); the lower middle for even n. NaNs sort last
 * (cmp_float treats them as equal to everything, qsort stays well-defined
 * enough: the result is then some element of v). */
static float median(float *v, int64_t n) {
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    return v[(n - 1) / 2];
}

/* Calls fn on the flat offsets (pixel index) of the border pixels, in a fixed
 * order: first row, last row, then the left and right columns in between. */
#define FOR_BORDER(d, idx, body)                                                                   \
    do {                                                                                           \
        for (int64_t j_ = 0; j_ < (d)->w; j_++) {                                                  \
            int64_t idx = j_;                                                                      \
            body;                                                                                  \
        }                                                                                          \
        if ((d)->h > 1)                                                                            \
            for (int64_t j_ = 0; j_ < (d)->w; j_++) {                                              \
                int64_t idx = ((int64_t)(d)->h - 1) * (d)->w + j_;                                 \
                body;                                                                              \
            }                                                                                      \
        if ((d)->w > 1)                                                                            \
            for (int64_t i_ = 1; i_ + 1 < (d)->h; i_++) {                                          \
                int64_t idx = i_ * (d)->w;                                                         \
                body;                                                                              \
                idx = i_ * (d)->w + (d)->w - 1;                                                    \
                body;                                                                              \
            }                                                                                      \
        else                                                                                       \
            for (int64_t i_ = 1; i_ + 1 < (d)->h; i_++) {                                          \
                int64_t idx = i_ * (d)->w;                                                         \
                body;                                                                              \
            }                                                                                      \
    } while (0)

static float dist3(const float *p, const float bg[3]) {
    float m = 0.0f;
    for (int c = 0; c < 3; c++) {
        float v = fabsf(p[c] - bg[c]);
        m = v > m ? v : m;
    }
    return m;
}

void tr_cpu_bg_mask_f32(tr_pool *pool, const tr_bg_mask_desc *d, const float *x, void *ws,
                        float *mask) {
    (void)pool;
    const int64_t hw = (int64_t)d->h * d->w;
    for (int32_t n = 0; n < d->n; n++) {
        const float *xi = x + n * hw * d->c;
        float *mi = mask + n * hw;
        if (d->mode == TR_BG_MASK_ALPHA) {
            for (int64_t i = 0; i < hw; i++) mi[i] = xi[i * d->c + 3] > d->threshold ? 1.0f : 0.0f;
            continue;
        }
        float *buf = ws, bg[3];
        for (int c = 0; c < 3; c++) {
            int64_t k = 0;
            FOR_BORDER(d, idx, buf[k++] = xi[idx * d->c + c]);
            bg[c] = median(buf, k);
        }
        int64_t k = 0;
        FOR_BORDER(d, idx, buf[k++] = dist3(xi + idx * d->c, bg));
        float noise = 1.4826f * median(buf, k);
        float thr = d->threshold + 4.0f * noise;
        for (int64_t i = 0; i < hw; i++) mi[i] = dist3(xi + i * d->c, bg) > thr ? 1.0f : 0.0f;
    }
}

/* ---- morphology ------------------------------------------------------------ */

typedef struct morph_job {
    const tr_morph_desc *d;
    const float *x;
    float *y;
    int vertical;
} morph_job;

static inline float pick(float a, float b, tr_morph_op op) {
    return op == TR_MORPH_DILATE ? (b > a ? b : a) : (b < a ? b : a);
}

/* One pass over rows [begin, end) of all images: horizontal windows
 * (vertical = 0) or vertical ones. */
static void morph_rows(void *arg, int64_t begin, int64_t end) {
    const morph_job *j = arg;
    const tr_morph_desc *d = j->d;
    const int64_t C = d->c, W = d->w, H = d->h, r = d->radius;
    for (int64_t row = begin; row < end; row++) {
        int64_t n = row / H, i = row % H;
        const float *img = j->x + n * H * W * C;
        float *out = j->y + row * W * C;
        for (int64_t jx = 0; jx < W; jx++)
            for (int64_t c = 0; c < C; c++) {
                float v;
                if (!j->vertical) {
                    int64_t a = jx - r < 0 ? 0 : jx - r, b = jx + r >= W ? W - 1 : jx + r;
                    v = img[(i * W + a) * C + c];
                    for (int64_t q = a + 1; q <= b; q++)
                        v = pick(v, img[(i * W + q) * C + c], d->op);
                } else {
                    int64_t a = i - r < 0 ? 0 : i - r, b = i + r >= H ? H - 1 : i + r;
                    v = img[(a * W + jx) * C + c];
                    for (int64_t q = a + 1; q <= b; q++)
                        v = pick(v, img[(q * W + jx) * C + c], d->op);
                }
                out[jx * C + c] = v;
            }
    }
}

void tr_cpu_morph_f32(tr_pool *pool, const tr_morph_desc *d, const float *x, float *ws, float *y) {
    const int64_t rows = (int64_t)d->n * d->h;
    morph_job h = {d, x, ws, 0}, v = {d, ws, y, 1};
    tr_pool_for(pool, rows, 4, morph_rows, &h);
    tr_pool_for(pool, rows, 4, morph_rows, &v);
}

/* ---- largest component, holes filled --------------------------------------- */

int64_t tr_mask_clean_ws_bytes(const tr_mask_clean_desc *d) {
    /* labels and a queue, one int32 each per pixel of one image */
    return 2 * (int64_t)d->h * d->w * (int64_t)sizeof(int32_t);
}

/* Breadth-first flood from seed over pixels with lab == from, relabelled to;
 * 8- or 4-connected. Returns the number of pixels reached. */
static int64_t flood(int32_t *lab, int32_t *queue, int64_t h, int64_t w, int64_t seed, int32_t from,
                     int32_t to, int eight) {
    int64_t head = 0, tail = 0;
    lab[seed] = to;
    queue[tail++] = (int32_t)seed;
    while (head < tail) {
        int64_t p = queue[head++], i = p / w, j = p % w;
        for (int64_t di = -1; di <= 1; di++)
            for (int64_t dj = -1; dj <= 1; dj++) {
                if ((di == 0 && dj == 0) || (!eight && di != 0 && dj != 0)) continue;
                int64_t ii = i + di, jj = j + dj;
                if (ii < 0 || ii >= h || jj < 0 || jj >= w) continue;
                int64_t q = ii * w + jj;
                if (lab[q] != from) continue;
                lab[q] = to;
                queue[tail++] = (int32_t)q;
            }
    }
    return tail;
}

void tr_cpu_mask_clean_f32(tr_pool *pool, const tr_mask_clean_desc *d, const float *mask, void *ws,
                           float *y) {
    (void)pool;
    const int64_t h = d->h, w = d->w, hw = h * w;
    int32_t *lab = ws, *queue = lab + hw;
    enum { BG = 0, FG = -1, OUTSIDE = -2 };
    for (int32_t n = 0; n < d->n; n++) {
        const float *m = mask + n * hw;
        float *out = y + n * hw;
        for (int64_t p = 0; p < hw; p++) lab[p] = m[p] > 0.5f ? FG : BG;
        /* Components get labels 1, 2, ... in raster order of their first pixel. */
        int32_t best = 0, next = 1;
        int64_t best_size = 0;
        for (int64_t p = 0; p < hw; p++) {
            if (lab[p] != FG) continue;
            int64_t size = flood(lab, queue, h, w, p, FG, next, 1);
            if (size > best_size) best_size = size, best = next;
            next++;
        }
        if (best == 0) {
            memset(out, 0, (size_t)hw * sizeof *out);
            continue;
        }
        /* Everything but the kept component is background; the background
         * reachable from the border is outside, the rest a hole. */
        for (int64_t p = 0; p < hw; p++) lab[p] = lab[p] == best ? best : BG;
        for (int64_t p = 0; p < hw; p++) {
            int64_t i = p / w, j = p % w;
            int border = i == 0 || j == 0 || i == h - 1 || j == w - 1;
            if (border && lab[p] == BG) flood(lab, queue, h, w, p, BG, OUTSIDE, 0);
        }
        for (int64_t p = 0; p < hw; p++) out[p] = lab[p] == OUTSIDE ? 0.0f : 1.0f;
    }
}
