/* garment_geom.cuh — device code of garment_anchors, sleeve_weight and
 * garment_tri (kernels/cpu/garment_geom.c gives the rules; the anchor scan
 * is its code on a run table, with the same double arithmetic, and the
 * sleeve math is kernels/garment_math.h, the source the CPU compiles too). Launches in
 * garment_geom.cu; tests/emu_garment.cu runs these functions on the host
 * against the CPU.
 *
 *   anchors  the CPU rescans a row for its runs of garment pixels every time
 *            it looks at it; here one thread per row writes each row's runs
 *            once into a table (the same runs, the same 64-run cap), and one
 *            thread per image then walks the CPU's sequential scan reading the
 *            table (the centre-column search reads the mask, as the CPU
 *            does). A few thousand steps per garment: not worth a block.
 *   sleeve   one thread per point; it rebuilds the two side boundaries from
 *            the anchors (a few dozen flops) rather than sharing them.
 *   tri      the cell table by one thread per pixel (each garment pixel sets
 *            its cell to 1: concurrent writes of the same byte), then one
 *            thread per cell writes its two triangles. */
#ifndef TR_CUDA_GARMENT_GEOM_CUH
#define TR_CUDA_GARMENT_GEOM_CUH

#include "common.cuh"

#include "garment_math.h"

#define TR_MAX_RUNS 64 /* kernels/cpu/garment_geom.c MAX_RUNS */

typedef struct tr_run {
    int32_t s, e; /* [s, e) */
} tr_run;

/* The run table: per row, TR_RUN_STRIDE entries; entry 0's s is the count. */
#define TR_RUN_STRIDE (TR_MAX_RUNS + 1)

/* Runs of row `r` (w pixels) into `row`, as row_runs finds them. */
TR_HD void tr_row_runs(const float *r, int32_t w, tr_run *row) {
    int32_t n = 0;
    for (int32_t x = 0; x < w && n < TR_MAX_RUNS;) {
        if (!(r[x] > 0.5f)) {
            x++;
            continue;
        }
        int32_t s = x;
        while (x < w && r[x] > 0.5f) x++;
        row[1 + n].s = s, row[1 + n].e = x;
        n++;
    }
    row[0].s = n, row[0].e = 0;
}

/* One image's mask and run table. */
typedef struct tr_mask_runs {
    const float *m;    /* (H, W) */
    const tr_run *tab; /* (H, TR_RUN_STRIDE) */
    int32_t h, w;

    /* The runs of row y (pointer into the table) and their count. */
    TR_HD int32_t runs(int32_t y, const tr_run **r) const {
        const tr_run *row = tab + (int64_t)y * TR_RUN_STRIDE;
        *r = row + 1;
        return row[0].s;
    }
    TR_HD int centre_run(int32_t y, int32_t cc, tr_run *out) const {
        const tr_run *r;
        int32_t n = runs(y, &r);
        for (int32_t i = 0; i < n; i++)
            if (r[i].s <= cc && cc < r[i].e) {
                *out = r[i];
                return 1;
            }
        return 0;
    }
    TR_HD int side_run(int32_t y, tr_run cr, int sgn, tr_run *out) const {
        const tr_run *r;
        int32_t n = runs(y, &r), found = 0;
        for (int32_t i = 0; i < n; i++) {
            if (sgn < 0 && r[i].e < cr.s) *out = r[i], found = 1;
            if (sgn > 0 && r[i].s > cr.e && !found) *out = r[i], found = 1;
        }
        return found;
    }
} tr_mask_runs;

TR_HD void tr_anchor_set(float *a, int32_t k, double x, double y) {
    a[k * 3 + 0] = (float)x;
    a[k * 3 + 1] = (float)y;
    a[k * 3 + 2] = 1.0f;
}

TR_HD int32_t tr_clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* kernels/cpu/garment_geom.c anchors_one. */
TR_HD void tr_anchors_one(const tr_mask_runs &v, float *a) {
    for (int32_t i = 0; i < TR_ANCHOR_ROWS * 3; i++) a[i] = 0.0f;
    int32_t y0 = -1, y1 = -1, x0 = v.w, x1 = 0;
    for (int32_t y = 0; y < v.h; y++) {
        const tr_run *r;
        int32_t n = v.runs(y, &r);
        if (!n) continue;
        if (y0 < 0) y0 = y;
        y1 = y;
        x0 = r[0].s < x0 ? r[0].s : x0;
        x1 = r[n - 1].e > x1 ? r[n - 1].e : x1;
    }
    if (y0 < 0) return;
    const int32_t hb = y1 - y0 + 1, wb = x1 - x0;
    const double xc = 0.5 * (x0 + x1);
    int32_t cc = -1, yn = -1, yh = -1;
    for (int32_t off = 0; off < wb && cc < 0; off++)
        for (int sgn = -1; sgn <= 1 && cc < 0; sgn += 2) {
            int32_t c = (int32_t)floor(xc) + sgn * off;
            if (c < x0 || c >= x1) continue;
            for (int32_t y = y0; y <= y1; y++)
                if (v.m[(int64_t)y * v.w + c] > 0.5f) {
                    if (yn < 0) yn = y;
                    yh = y;
                }
            if (yn >= 0) cc = c;
        }
    if (cc < 0) return;
    tr_anchor_set(a, TR_ANCHOR_NECK, cc + 0.5, yn + 0.5);

    int32_t band = hb * 6 / 100 > 2 ? hb * 6 / 100 : 2, narrow = 0, rows = 0;
    for (int32_t y = y0; y < y0 + band && y <= y1; y++) {
        const tr_run *r;
        int32_t n = v.runs(y, &r), ok = n >= 1 && n <= 2;
        for (int32_t i = 0; i < n; i++) ok &= (r[i].e - r[i].s) < 0.12 * wb;
        narrow += ok, rows++;
    }
    const int straps = narrow > 0.8 * rows;

    const int32_t minlen = hb * 3 / 100 > 2 ? hb * 3 / 100 : 2;
    int32_t gap[2] = {-1, -1};
    for (int side = 0; side < 2; side++) {
        int sgn = side ? 1 : -1;
        int32_t streak = 0;
        for (int32_t y = yn; y < yh; y++) {
            tr_run cr = {0, 0}, o = {0, 0};
            if (!v.centre_run(y, cc, &cr)) {
                streak = 0;
                continue;
            }
            if (v.side_run(y, cr, sgn, &o)) {
                if (++streak >= minlen && gap[side] < 0) gap[side] = y - streak + 1;
            } else {
                if (gap[side] >= 0) break;
                streak = 0;
            }
        }
    }
    const int sleeves = !straps && gap[0] >= 0 && gap[1] >= 0;

    int32_t ysh;
    if (straps) {
        ysh = y0;
        for (int side = 0; side < 2; side++) {
            int sgn = side ? 1 : -1, got = 0;
            for (int32_t y = y0; y <= y1 && !got; y++) {
                const tr_run *r;
                int32_t n = v.runs(y, &r);
                for (int32_t i = 0; i < n; i++) {
                    double mid = 0.5 * (r[i].s + r[i].e);
                    if ((mid - xc) * sgn <= 0) continue;
                    if (!got || sgn > 0)
                        tr_anchor_set(a, TR_ANCHOR_SHOULDER_L + side, mid, y + 0.5), got = 1;
                    if (sgn < 0) break;
                }
            }
        }
    } else {
        double ya = sleeves ? (gap[0] < gap[1] ? gap[0] : gap[1]) : y0 + 0.35 * hb;
        ysh = tr_clampi((int32_t)(y0 + 0.3 * (ya - y0)), y0, y1);
        const tr_run *r;
        int32_t n = v.runs(ysh, &r);
        if (n) {
            tr_anchor_set(a, TR_ANCHOR_SHOULDER_L, r[0].s, ysh + 0.5);
            tr_anchor_set(a, TR_ANCHOR_SHOULDER_R, r[n - 1].e, ysh + 0.5);
        }
    }

    if (sleeves)
        for (int side = 0; side < 2; side++) {
            int sgn = side ? 1 : -1;
            int32_t ya = gap[side], yc = ya;
            tr_run cr = {0, 0}, o = {0, 0};
            if (!v.centre_run(ya, cc, &cr) || !v.side_run(ya, cr, sgn, &o)) continue;
            tr_anchor_set(a, TR_ANCHOR_PIT_L + side,
                          sgn < 0 ? 0.5 * (o.e + cr.s) : 0.5 * (cr.e + o.s), ya + 0.5);
            for (int32_t y = ya; y <= y1; y++) {
                if (!v.centre_run(y, cc, &cr) || !v.side_run(y, cr, sgn, &o)) break;
                yc = y;
            }
            int32_t rows_[2] = {(ya + yc) / 2,
                                tr_clampi(yc - (hb * 3 / 100 > 1 ? hb * 3 / 100 : 1), ya, yc)};
            int32_t base[2] = {side ? TR_ANCHOR_SLEEVE_IN_R : TR_ANCHOR_SLEEVE_IN_L,
                               side ? TR_ANCHOR_CUFF_IN_R : TR_ANCHOR_CUFF_IN_L};
            for (int k = 0; k < 2; k++) {
                if (!v.centre_run(rows_[k], cc, &cr) || !v.side_run(rows_[k], cr, sgn, &o))
                    continue;
                tr_anchor_set(a, base[k], sgn < 0 ? o.e : o.s, rows_[k] + 0.5);
                tr_anchor_set(a, base[k] + 1, sgn < 0 ? o.s : o.e, rows_[k] + 0.5);
            }
        }

    tr_run cr = {0, 0};
    int32_t ytop =
        sleeves && a[TR_ANCHOR_PIT_L * 3 + 2] > 0 ? (int32_t)a[TR_ANCHOR_PIT_L * 3 + 1] : ysh;
    int32_t yw = tr_clampi((ytop + yh) / 2, yn, yh);
    if (v.centre_run(yw, cc, &cr)) {
        tr_anchor_set(a, TR_ANCHOR_WAIST_L, cr.s, yw + 0.5);
        tr_anchor_set(a, TR_ANCHOR_WAIST_R, cr.e, yw + 0.5);
    }
    int32_t yhc = tr_clampi(yh - (hb * 2 / 100 > 1 ? hb * 2 / 100 : 1), yn, yh);
    if (v.centre_run(yhc, cc, &cr)) {
        tr_anchor_set(a, TR_ANCHOR_HEM_L, cr.s, yhc + 0.5);
        tr_anchor_set(a, TR_ANCHOR_HEM_R, cr.e, yhc + 0.5);
    }
    if (!sleeves) {
        if (straps) {
            for (int side = 0; side < 2; side++) {
                const float *sh = a + (TR_ANCHOR_SHOULDER_L + side) * 3;
                if (sh[2] == 0) continue;
                int32_t ys0 = tr_clampi((int32_t)sh[1] + hb * 4 / 100, y0, y1), y = ys0;
                const tr_run *r;
                int32_t n = v.runs(ys0, &r);
                if (!n) continue;
                int32_t w0 = side ? r[n - 1].e - r[n - 1].s : r[0].e - r[0].s;
                for (; y < yh; y++) {
                    n = v.runs(y, &r);
                    if (!n) continue;
                    int32_t wy = side ? r[n - 1].e - r[n - 1].s : r[0].e - r[0].s;
                    if (wy > 3 * w0) break;
                }
                int32_t yt = tr_clampi(y + hb * 4 / 100, y0, yh);
                n = v.runs(yt, &r);
                if (n)
                    tr_anchor_set(a, TR_ANCHOR_PIT_L + side, side ? r[n - 1].e : r[0].s, yt + 0.5);
            }
        } else {
            int32_t yt = tr_clampi((int32_t)(ysh + 0.25 * (yh - ysh)), yn, yh);
            if (v.centre_run(yt, cc, &cr)) {
                tr_anchor_set(a, TR_ANCHOR_PIT_L, cr.s, yt + 0.5);
                tr_anchor_set(a, TR_ANCHOR_PIT_R, cr.e, yt + 0.5);
            }
        }
    }
    float *info = a + TR_ANCHOR_COUNT * 3;
    info[0] = a[TR_ANCHOR_SHOULDER_L * 3 + 2] > 0 && a[TR_ANCHOR_SHOULDER_R * 3 + 2] > 0;
    info[1] = (float)sleeves;
    info[2] = (float)straps;
}

/* ---- sleeve weights ---------------------------------------------------------------------- */

/* Point i of image n, item = n*V + i. */
typedef struct tr_sleeve_p {
    tr_sleeve_weight_desc d;
    const float *anchors, *points;
    float *y;
    TR_HD void run(int64_t item) const {
        const int64_t n = item / d.v, i = item % d.v;
        double bx[2][4], by[2][4];
        int32_t nb[2];
        tr_sleeve_boundaries(anchors + n * TR_ANCHOR_ROWS * 3, bx, by, nb);
        y[item] = tr_sleeve_weight_at(bx, by, nb, d.soft, points[2 * i], points[2 * i + 1]);
    }
} tr_sleeve_p;

/* ---- mesh triangles ------------------------------------------------------------------------ */

/* Pass 1, pixel p = i*W + j: a garment pixel marks its cell (cells cleared
 * before). Pass 2, cell k: its triangles, or (0, 0, 0) twice. */
typedef struct tr_tri_p {
    tr_garment_tri_desc d;
    const float *mask;
    uint8_t *cell; /* (gy, gx) */
    int32_t *tri;  /* (2*gx*gy, 3) */
    TR_HD void mark(int64_t p) const {
        const int64_t i = p / d.w, j = p % d.w;
        if (mask[p] > 0.5f) {
            int64_t r = (2 * i + 1) * d.gy / (2 * (int64_t)d.h);
            int64_t c = (2 * j + 1) * d.gx / (2 * (int64_t)d.w);
            cell[r * d.gx + c] = 1;
        }
    }
    TR_HD void write(int64_t k) const {
        const int64_t gx = d.gx, r = k / gx, c = k % gx;
        int used = cell[k];
        int32_t *t = tri + k * 6;
        int32_t v00 = (int32_t)(r * (gx + 1) + c), v01 = v00 + 1;
        int32_t v10 = (int32_t)(v00 + gx + 1), v11 = v10 + 1;
        int32_t q[6] = {v00, v10, v11, v00, v11, v01};
        for (int i = 0; i < 6; i++) t[i] = used ? q[i] : 0;
    }
} tr_tri_p;

#endif /* TR_CUDA_GARMENT_GEOM_CUH */
