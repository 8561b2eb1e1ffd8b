/* garment_geom.c — geometry of a garment from its mask: anchor points, the
 * sleeve weight of mesh vertices and the mesh's triangles (kernels_fit.h).
 *
 * The anchors come from the runs of garment pixels in each row. The centre
 * column (of the bounding box) runs from the neckline down to the hem. A
 * sleeve is a run beside the centre run with background in between (the gap
 * under the arm), lasting at least 3% of the garment's height: its first
 * row is the armpit, its last the cuff. Straps are rows at the top made of
 * narrow runs only. Everything else is measured on fixed fractions of the
 * garment's height between those rows (constants below, chosen on product
 * photos of tops with long sleeves, camisoles and t-shirts). A point is at
 * the centre line of its row (y + 0.5) and at a run's edge (x = s or e).
 * Sequential per image and deterministic.
 * Tests: tests/test_garment.c. */
#include <math.h>
#include <string.h>

#include "garment_math.h"
#include "kernels.h"
#include "pool.h"

#define MAX_RUNS 64 /* runs looked at per row; more means noise, the rest is ignored */

typedef struct run {
    int32_t s, e; /* [s, e) */
} run;

typedef struct mask_view {
    const float *m;
    int32_t h, w;
} mask_view;

static int32_t row_runs(const mask_view *v, int32_t y, run *out) {
    int32_t n = 0;
    const float *r = v->m + (int64_t)y * v->w;
    for (int32_t x = 0; x < v->w && n < MAX_RUNS;) {
        if (!(r[x] > 0.5f)) {
            x++;
            continue;
        }
        int32_t s = x;
        while (x < v->w && r[x] > 0.5f) x++;
        out[n].s = s, out[n].e = x;
        n++;
    }
    return n;
}

/* The run of row y containing column cc; 0 if none. */
static int centre_run(const mask_view *v, int32_t y, int32_t cc, run *out) {
    run r[MAX_RUNS];
    int32_t n = row_runs(v, y, r);
    for (int32_t i = 0; i < n; i++)
        if (r[i].s <= cc && cc < r[i].e) {
            *out = r[i];
            return 1;
        }
    return 0;
}

/* The run on side sgn (-1 left, +1 right) of the centre run cr in row y that
 * is nearest to it, with background in between; 0 if none. */
static int side_run(const mask_view *v, int32_t y, run cr, int sgn, run *out) {
    run r[MAX_RUNS];
    int32_t n = row_runs(v, y, r), found = 0;
    for (int32_t i = 0; i < n; i++) {
        if (sgn < 0 && r[i].e < cr.s) *out = r[i], found = 1;           /* keeps the last */
        if (sgn > 0 && r[i].s > cr.e && !found) *out = r[i], found = 1; /* the first */
    }
    return found;
}

static void set(float *a, int32_t k, double x, double y) {
    a[k * 3 + 0] = (float)x;
    a[k * 3 + 1] = (float)y;
    a[k * 3 + 2] = 1.0f;
}

static int32_t clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static void anchors_one(const mask_view *v, float *a) {
    memset(a, 0, TR_ANCHOR_ROWS * 3 * sizeof *a);
    int32_t y0 = -1, y1 = -1, x0 = v->w, x1 = 0;
    for (int32_t y = 0; y < v->h; y++) {
        run r[MAX_RUNS];
        int32_t n = row_runs(v, y, r);
        if (!n) continue;
        if (y0 < 0) y0 = y;
        y1 = y;
        x0 = r[0].s < x0 ? r[0].s : x0;
        x1 = r[n - 1].e > x1 ? r[n - 1].e : x1;
    }
    if (y0 < 0) return;
    const int32_t hb = y1 - y0 + 1, wb = x1 - x0;
    const double xc = 0.5 * (x0 + x1);
    /* The centre column, or the nearest column holding garment. */
    int32_t cc = -1, yn = -1, yh = -1;
    for (int32_t off = 0; off < wb && cc < 0; off++)
        for (int sgn = -1; sgn <= 1 && cc < 0; sgn += 2) {
            int32_t c = (int32_t)floor(xc) + sgn * off;
            if (c < x0 || c >= x1) continue;
            for (int32_t y = y0; y <= y1; y++)
                if (v->m[(int64_t)y * v->w + c] > 0.5f) {
                    if (yn < 0) yn = y;
                    yh = y;
                }
            if (yn >= 0) cc = c;
        }
    if (cc < 0) return;
    set(a, TR_ANCHOR_NECK, cc + 0.5, yn + 0.5);

    /* Straps: narrow runs only (at most two) in the top 6% of rows. */
    int32_t band = hb * 6 / 100 > 2 ? hb * 6 / 100 : 2, narrow = 0, rows = 0;
    for (int32_t y = y0; y < y0 + band && y <= y1; y++) {
        run r[MAX_RUNS];
        int32_t n = row_runs(v, y, r), ok = n >= 1 && n <= 2;
        for (int32_t i = 0; i < n; i++) ok &= (r[i].e - r[i].s) < 0.12 * wb;
        narrow += ok, rows++;
    }
    const int straps = narrow > 0.8 * rows;

    /* Sleeve gaps: first row (below the neck) of a run of >= 3% of the rows
     * with a side run beside the centre run. */
    const int32_t minlen = hb * 3 / 100 > 2 ? hb * 3 / 100 : 2;
    int32_t gap[2] = {-1, -1};
    for (int side = 0; side < 2; side++) {
        int sgn = side ? 1 : -1;
        int32_t streak = 0;
        for (int32_t y = yn; y < yh; y++) {
            run cr, o;
            if (!centre_run(v, y, cc, &cr)) {
                streak = 0;
                continue;
            }
            if (side_run(v, y, cr, sgn, &o)) {
                if (++streak >= minlen && gap[side] < 0) gap[side] = y - streak + 1;
            } else {
                if (gap[side] >= 0) break;
                streak = 0;
            }
        }
    }
    const int sleeves = !straps && gap[0] >= 0 && gap[1] >= 0;

    /* Shoulders. */
    int32_t ysh;
    if (straps) {
        ysh = y0;
        for (int side = 0; side < 2; side++) {
            int sgn = side ? 1 : -1, got = 0;
            for (int32_t y = y0; y <= y1 && !got; y++) {
                run r[MAX_RUNS];
                int32_t n = row_runs(v, y, r);
                for (int32_t i = 0; i < n; i++) {
                    double mid = 0.5 * (r[i].s + r[i].e);
                    if ((mid - xc) * sgn <= 0) continue;
                    if (!got || sgn > 0) /* leftmost on the left, rightmost on the right */
                        set(a, TR_ANCHOR_SHOULDER_L + side, mid, y + 0.5), got = 1;
                    if (sgn < 0) break;
                }
            }
        }
    } else {
        double ya = sleeves ? (gap[0] < gap[1] ? gap[0] : gap[1]) : y0 + 0.35 * hb;
        ysh = clampi((int32_t)(y0 + 0.3 * (ya - y0)), y0, y1);
        run r[MAX_RUNS];
        int32_t n = row_runs(v, ysh, r);
        if (n) {
            set(a, TR_ANCHOR_SHOULDER_L, r[0].s, ysh + 0.5);
            set(a, TR_ANCHOR_SHOULDER_R, r[n - 1].e, ysh + 0.5);
        }
    }

    /* Sleeves: armpit at the top of the gap, edges halfway down and near the end. */
    if (sleeves)
        for (int side = 0; side < 2; side++) {
            int sgn = side ? 1 : -1;
            int32_t ya = gap[side], yc = ya;
            run cr, o;
            if (!centre_run(v, ya, cc, &cr) || !side_run(v, ya, cr, sgn, &o)) continue;
            set(a, TR_ANCHOR_PIT_L + side, sgn < 0 ? 0.5 * (o.e + cr.s) : 0.5 * (cr.e + o.s),
                ya + 0.5);
            for (int32_t y = ya; y <= y1; y++) {
                if (!centre_run(v, y, cc, &cr) || !side_run(v, y, cr, sgn, &o)) break;
                yc = y;
            }
            int32_t rows_[2] = {(ya + yc) / 2,
                                clampi(yc - (hb * 3 / 100 > 1 ? hb * 3 / 100 : 1), ya, yc)};
            int32_t base[2] = {side ? TR_ANCHOR_SLEEVE_IN_R : TR_ANCHOR_SLEEVE_IN_L,
                               side ? TR_ANCHOR_CUFF_IN_R : TR_ANCHOR_CUFF_IN_L};
            for (int k = 0; k < 2; k++) {
                if (!centre_run(v, rows_[k], cc, &cr) || !side_run(v, rows_[k], cr, sgn, &o))
                    continue;
                set(a, base[k], sgn < 0 ? o.e : o.s, rows_[k] + 0.5);     /* inner edge */
                set(a, base[k] + 1, sgn < 0 ? o.s : o.e, rows_[k] + 0.5); /* outer edge */
            }
        }

    /* Torso sides. */
    run cr;
    int32_t ytop =
        sleeves && a[TR_ANCHOR_PIT_L * 3 + 2] > 0 ? (int32_t)a[TR_ANCHOR_PIT_L * 3 + 1] : ysh;
    int32_t yw = clampi((ytop + yh) / 2, yn, yh);
    if (centre_run(v, yw, cc, &cr)) {
        set(a, TR_ANCHOR_WAIST_L, cr.s, yw + 0.5);
        set(a, TR_ANCHOR_WAIST_R, cr.e, yw + 0.5);
    }
    int32_t yhc = clampi(yh - (hb * 2 / 100 > 1 ? hb * 2 / 100 : 1), yn, yh);
    if (centre_run(v, yhc, cc, &cr)) {
        set(a, TR_ANCHOR_HEM_L, cr.s, yhc + 0.5);
        set(a, TR_ANCHOR_HEM_R, cr.e, yhc + 0.5);
    }
    if (!sleeves) {
        if (straps) {
            /* The side starts where the strap widens into the body. */
            for (int side = 0; side < 2; side++) {
                const float *sh = a + (TR_ANCHOR_SHOULDER_L + side) * 3;
                if (sh[2] == 0) continue;
                int32_t ys0 = clampi((int32_t)sh[1] + hb * 4 / 100, y0, y1), y = ys0;
                run r[MAX_RUNS];
                int32_t n = row_runs(v, ys0, r);
                if (!n) continue;
                int32_t w0 = side ? r[n - 1].e - r[n - 1].s : r[0].e - r[0].s;
                for (; y < yh; y++) {
                    n = row_runs(v, y, r);
                    if (!n) continue;
                    int32_t wy = side ? r[n - 1].e - r[n - 1].s : r[0].e - r[0].s;
                    if (wy > 3 * w0) break;
                }
                int32_t yt = clampi(y + hb * 4 / 100, y0, yh);
                n = row_runs(v, yt, r);
                if (n) set(a, TR_ANCHOR_PIT_L + side, side ? r[n - 1].e : r[0].s, yt + 0.5);
            }
        } else {
            int32_t yt = clampi((int32_t)(ysh + 0.25 * (yh - ysh)), yn, yh);
            if (centre_run(v, yt, cc, &cr)) {
                set(a, TR_ANCHOR_PIT_L, cr.s, yt + 0.5);
                set(a, TR_ANCHOR_PIT_R, cr.e, yt + 0.5);
            }
        }
    }
    float *info = a + TR_ANCHOR_COUNT * 3;
    info[0] = a[TR_ANCHOR_SHOULDER_L * 3 + 2] > 0 && a[TR_ANCHOR_SHOULDER_R * 3 + 2] > 0;
    info[1] = (float)sleeves;
    info[2] = (float)straps;
}

void tr_cpu_garment_anchors_f32(tr_pool *pool, const tr_garment_anchors_desc *d, const float *mask,
                                float *anchors) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++) {
        mask_view v = {mask + (int64_t)n * d->h * d->w, d->h, d->w};
        anchors_one(&v, anchors + (int64_t)n * TR_ANCHOR_ROWS * 3);
    }
}

/* ---- sleeve weights -------------------------------------------------------- */

void tr_cpu_sleeve_weight_f32(tr_pool *pool, const tr_sleeve_weight_desc *d, const float *anchors,
                              const float *points, float *y) {
    (void)pool;
    for (int32_t n = 0; n < d->n; n++) {
        double bx[2][4], by[2][4];
        int32_t nb[2];
        tr_sleeve_boundaries(anchors + (int64_t)n * TR_ANCHOR_ROWS * 3, bx, by, nb);
        float *out = y + (int64_t)n * d->v;
        for (int32_t i = 0; i < d->v; i++)
            out[i] = tr_sleeve_weight_at(bx, by, nb, d->soft, points[2 * i], points[2 * i + 1]);
    }
}

/* ---- mesh triangles -------------------------------------------------------- */

void tr_cpu_garment_tri(tr_pool *pool, const tr_garment_tri_desc *d, const float *mask, void *ws,
                        int32_t *tri) {
    (void)pool;
    uint8_t *cell = ws;
    const int64_t gx = d->gx, gy = d->gy;
    memset(cell, 0, (size_t)(gx * gy));
    for (int64_t i = 0; i < d->h; i++)
        for (int64_t j = 0; j < d->w; j++)
            if (mask[i * d->w + j] > 0.5f) {
                int64_t r = (2 * i + 1) * gy / (2 * (int64_t)d->h);
                int64_t c = (2 * j + 1) * gx / (2 * (int64_t)d->w);
                cell[r * gx + c] = 1;
            }
    for (int64_t r = 0; r < gy; r++)
        for (int64_t c = 0; c < gx; c++) {
            int used = cell[r * gx + c];
            int32_t *t = tri + (r * gx + c) * 6;
            int32_t v00 = (int32_t)(r * (gx + 1) + c), v01 = v00 + 1;
            int32_t v10 = (int32_t)(v00 + gx + 1), v11 = v10 + 1;
            int32_t k[6] = {v00, v10, v11, v00, v11, v01};
            for (int q = 0; q < 6; q++) t[q] = used ? k[q] : 0;
        }
}
