/* garment_mask.cuh — device code of bg_mask, morph and mask_clean
 * (kernels/cpu/garment_mask.c says what they compute and why). The launches
 * are in garment_mask.cu; tests/emu_garment.cu runs these functions on the
 * host, thread by thread in the kernels' barrier order, against the CPU.
 *
 *   bg_mask   the border medians by rank: the sample whose rank in a total
 *             order (value, then index; NaN above every number) is (n-1)/2 is
 *             the CPU's qsort median v[(n-1)/2] whenever the border holds no
 *             NaN (equal values are interchangeable: the median only enters
 *             fabsf(p - bg), where +0 and -0 give the same result); the CPU's
 *             pick among NaNs is unspecified (its comparator is not an order
 *             there), so no claim is made for a NaN border. Then the CPU's
 *             float arithmetic for the threshold and the classification.
 *   morph     the CPU's two passes (horizontal into the workspace, then
 *             vertical), one thread per output element, the same window walk
 *             and comparison order (NaN handling included): selection, so any
 *             storage type gives the CPU's values exactly.
 *   mask_clean  the kept component and the filled holes are sets, fixed by
 *             the mask alone (the largest 8-connected component, the first in
 *             raster order among equals; the background not 4-connected to
 *             the border once every other component is background), so any
 *             algorithm that finds the same sets gives the CPU's output. Here
 *             union-find with atomicMin links (Playne and Hawick, IEEE TPDS
 *             2018): every link points to a smaller pixel index, so each
 *             component's root is its first pixel in raster order, the sizes
 *             are atomic integer counts and the largest is an atomicMax of
 *             (size, -root): deterministic whatever the thread schedule. */
#ifndef TR_CUDA_GARMENT_MASK_CUH
#define TR_CUDA_GARMENT_MASK_CUH

#include "common.cuh"

/* ---- bg_mask ------------------------------------------------------------------------ */

TR_HD int64_t tr_bg_border_count(const tr_bg_mask_desc &d) {
    if (d.h == 1 || d.w == 1) return (int64_t)d.h * d.w;
    return 2 * (int64_t)d.w + 2 * ((int64_t)d.h - 2);
}

/* Pixel index (i*W + j) of border sample k, in the CPU's FOR_BORDER order:
 * first row, last row, then the left and right columns in between. */
TR_HD int64_t tr_bg_border_pixel(const tr_bg_mask_desc &d, int64_t k) {
    const int64_t w = d.w, h = d.h;
    if (k < w) return k;
    k -= w;
    if (h > 1) {
        if (k < w) return (h - 1) * w + k;
        k -= w;
    }
    if (w > 1) {
        const int64_t i = 1 + k / 2;
        return k % 2 ? i * w + w - 1 : i * w;
    }
    return (1 + k) * w;
}

/* kernels/cpu/garment_mask.c dist3: the largest per-channel distance. */
TR_HD float tr_bg_dist3(const float *p, const float *bg) {
    float m = 0.0f;
    for (int c = 0; c < 3; c++) {
        float v = fabsf(p[c] - bg[c]);
        m = v > m ? v : m;
    }
    return m;
}

/* The selection order: does sample (a, ia) come before (b, ib)? */
TR_HD int tr_bg_before(float a, int64_t ia, float b, int64_t ib) {
    const int na = a != a, nb = b != b;
    if (na || nb) return na == nb ? ia < ib : nb;
    return a < b || (a == b && ia < ib);
}

/* Border sample k of one image: channel c, or (c < 0) its distance to bg. */
typedef struct tr_bg_sample {
    tr_bg_mask_desc d;
    const float *x; /* (H, W, C) of one image */
    int32_t c;
    float bg[3];
    TR_HD float operator()(int64_t k) const {
        const float *p = x + tr_bg_border_pixel(d, k) * d.c;
        return c >= 0 ? p[c] : tr_bg_dist3(p, bg);
    }
} tr_bg_sample;

/* Thread tid of nt's share of one median: it ranks candidates tid, tid+nt,
 * ... among all n samples; the one of rank (n-1)/2 (exactly one sample has
 * it, the order being total) writes *out. */
TR_HD void tr_bg_median_step(const tr_bg_sample &s, int32_t tid, int32_t nt, float *out) {
    const int64_t n = tr_bg_border_count(s.d), want = (n - 1) / 2;
    for (int64_t k = tid; k < n; k += nt) {
        const float v = s(k);
        int64_t rank = 0;
        for (int64_t j = 0; j < n; j++) rank += tr_bg_before(s(j), j, v, k);
        if (rank == want) *out = v;
    }
}

/* The garment threshold from the noise median, as the CPU rounds it. */
TR_HD float tr_bg_threshold(const tr_bg_mask_desc &d, float noise_median) {
    float noise = 1.4826f * noise_median;
    return d.threshold + 4.0f * noise;
}

/* Classification of pixel i = (n*H + y)*W + x; stats (N, 4) = (bg, threshold)
 * per image (BORDER mode only). */
typedef struct tr_bg_classify_p {
    tr_bg_mask_desc d;
    const float *x, *stats;
    float *mask;
    TR_HD void run(int64_t i) const {
        const float *p = x + i * d.c;
        if (d.mode == TR_BG_MASK_ALPHA) {
            mask[i] = p[3] > d.threshold ? 1.0f : 0.0f;
            return;
        }
        const float *st = stats + i / ((int64_t)d.h * d.w) * 4;
        mask[i] = tr_bg_dist3(p, st) > st[3] ? 1.0f : 0.0f;
    }
} tr_bg_classify_p;

/* ---- morph -------------------------------------------------------------------------- */

TR_HD float tr_morph_pick(float a, float b, tr_morph_op op) {
    return op == TR_MORPH_DILATE ? (b > a ? b : a) : (b < a ? b : a);
}

/* One pass, element e = ((n*H + i)*W + j)*C + c: horizontal windows
 * (vertical = 0, x -> ws) or vertical ones (ws -> y). */
template <typename T> struct tr_morph_p {
    tr_morph_desc d;
    const T *x;
    T *y;
    int32_t vertical;
    TR_HD void run(int64_t e) const {
        const int64_t C = d.c, W = d.w, H = d.h, r = d.radius;
        const int64_t c = e % C, jx = e / C % W, row = e / C / W;
        const int64_t n = row / H, i = row % H;
        const T *img = x + n * H * W * C;
        float v;
        if (!vertical) {
            int64_t a = jx - r < 0 ? 0 : jx - r, b = jx + r >= W ? W - 1 : jx + r;
            v = tr_ld(img, (i * W + a) * C + c);
            for (int64_t q = a + 1; q <= b; q++)
                v = tr_morph_pick(v, tr_ld(img, (i * W + q) * C + c), d.op);
        } else {
            int64_t a = i - r < 0 ? 0 : i - r, b = i + r >= H ? H - 1 : i + r;
            v = tr_ld(img, (a * W + jx) * C + c);
            for (int64_t q = a + 1; q <= b; q++)
                v = tr_morph_pick(v, tr_ld(img, (q * W + jx) * C + c), d.op);
        }
        tr_st(y, e, v);
    }
};

/* ---- mask_clean ------------------------------------------------------------------------ */

/* Labels in the two int32 workspace arrays of one image (A, B):
 *   A  parent links of the foreground forest (8-connected), -1 background;
 *      after the hole pass, A[r] = TR_MC_OUTSIDE marks the background roots
 *      that reach the border;
 *   B  first the component sizes (at each root), then the parent links of
 *      the background forest (4-connected, the kept component excluded: -1). */
#define TR_MC_OUTSIDE (-3)

TR_HD int32_t tr_atomic_min_i32(int32_t *p, int32_t v) {
#ifdef __CUDA_ARCH__
    return atomicMin(p, v);
#else
    int32_t old = *p;
    if (v < old) *p = v;
    return old;
#endif
}

TR_HD void tr_atomic_add_i32(int32_t *p, int32_t v) {
#ifdef __CUDA_ARCH__
    atomicAdd(p, v);
#else
    *p += v;
#endif
}

TR_HD void tr_atomic_max_u64(unsigned long long *p, unsigned long long v) {
#ifdef __CUDA_ARCH__
    atomicMax(p, v);
#else
    if (v > *p) *p = v;
#endif
}

/* The root of x. Links are read through volatile: another block may have just
 * relinked a node, and a stale (larger) parent is still an ancestor, so the
 * walk only gets longer, never wrong. */
TR_HD int32_t tr_uf_find(const int32_t *par, int32_t x) {
    const volatile int32_t *p = par;
    int32_t y;
    while ((y = p[x]) != x) x = y;
    return x;
}

/* The root of x, halving the path on the way: each node visited is relinked
 * to its grandparent (an atomicMin, so a concurrent smaller link is kept;
 * either is an ancestor in the same set). Keeps the trees shallow whatever
 * order the unions run in, so the walks stay short. */
TR_HD int32_t tr_uf_find_halve(int32_t *par, int32_t x) {
    const volatile int32_t *p = par;
    for (;;) {
        int32_t y = p[x];
        if (y == x) return x;
        int32_t z = p[y];
        if (z != y) tr_atomic_min_i32(&par[x], z);
        x = y;
    }
}

/* Joins the trees of a and b, linking the larger root under the smaller. An
 * atomicMin on a node that is no longer a root leaves it under the smaller of
 * its new parent and ours, both in the joined set; the walk then goes on from
 * that parent (Playne and Hawick's merge). */
TR_HD void tr_uf_union(int32_t *par, int32_t a, int32_t b) {
    for (;;) {
        a = tr_uf_find_halve(par, a);
        b = tr_uf_find_halve(par, b);
        if (a == b) return;
        if (a > b) {
            int32_t t = a;
            a = b;
            b = t;
        }
        int32_t old = tr_atomic_min_i32(&par[b], a);
        if (old == b) return;
        b = old;
    }
}

typedef struct tr_mc_p {
    tr_mask_clean_desc d;
    const float *m;           /* (H, W) mask of one image */
    int32_t *a, *b;           /* (H*W) each: the workspace */
    unsigned long long *best; /* (size << 32) | (0xffffffff - root), 0 = empty */
    float *y;                 /* (H, W) of one image */

    TR_HD int fg(int64_t p) const { return m[p] > 0.5f; }

    /* 1: the foreground forest's roots, best cleared. */
    TR_HD void init(int64_t p) const {
        a[p] = fg(p) ? (int32_t)p : -1;
        if (p == 0) *best = 0;
    }
    /* 2: unions with the 4 earlier of the 8 neighbours (each pair once). */
    TR_HD void join_fg(int64_t p) const {
        if (a[p] < 0) return;
        const int64_t w = d.w, i = p / w, j = p % w;
        const int64_t di[4] = {-1, -1, -1, 0}, dj[4] = {-1, 0, 1, -1};
        for (int k = 0; k < 4; k++) {
            int64_t ii = i + di[k], jj = j + dj[k];
            if (ii < 0 || jj < 0 || jj >= w) continue;
            int64_t q = ii * w + jj;
            if (a[q] >= 0) tr_uf_union(a, (int32_t)p, (int32_t)q);
        }
    }
    /* 3: every pixel straight to its root; sizes cleared. */
    TR_HD void flatten_fg(int64_t p) const {
        if (a[p] >= 0) a[p] = tr_uf_find(a, (int32_t)p);
        b[p] = 0;
    }
    /* 4: component sizes at the roots. */
    TR_HD void count(int64_t p) const {
        if (a[p] >= 0) tr_atomic_add_i32(&b[a[p]], 1);
    }
    /* 5: the largest component, the first root among equals. */
    TR_HD void pick(int64_t p) const {
        if (a[p] == (int32_t)p)
            tr_atomic_max_u64(best, (unsigned long long)(uint32_t)b[p] << 32 |
                                        (0xffffffffull - (unsigned long long)p));
    }
    TR_HD int32_t kept_root() const {
        return *best ? (int32_t)(0xffffffffull - (*best & 0xffffffffull)) : -1;
    }
    /* 6: the background forest's roots: everything but the kept component. */
    TR_HD void init_bg(int64_t p) const {
        const int32_t r = kept_root();
        b[p] = r >= 0 && a[p] == r ? -1 : (int32_t)p;
    }
    /* 7: unions with the left and upper neighbours (4-connected). */
    TR_HD void join_bg(int64_t p) const {
        if (b[p] < 0) return;
        const int64_t w = d.w, i = p / w, j = p % w;
        if (j > 0 && b[p - 1] >= 0) tr_uf_union(b, (int32_t)p, (int32_t)(p - 1));
        if (i > 0 && b[p - w] >= 0) tr_uf_union(b, (int32_t)p, (int32_t)(p - w));
    }
    /* 8: every background pixel straight to its root. */
    TR_HD void flatten_bg(int64_t p) const {
        if (b[p] >= 0) b[p] = tr_uf_find(b, (int32_t)p);
    }
    /* 9: the roots of background reaching the border are outside. A[root]
     * is free: foreground roots were only needed to find the kept one. */
    TR_HD void mark(int64_t p) const {
        const int64_t h = d.h, w = d.w, i = p / w, j = p % w;
        const int border = i == 0 || j == 0 || i == h - 1 || j == w - 1;
        if (border && b[p] >= 0) a[b[p]] = TR_MC_OUTSIDE;
    }
    /* 10: the kept component and its holes are garment. */
    TR_HD void out(int64_t p) const {
        if (!*best)
            y[p] = 0.0f;
        else
            y[p] = b[p] >= 0 && a[b[p]] == TR_MC_OUTSIDE ? 0.0f : 1.0f;
    }
} tr_mc_p;

#define TR_MC_STEPS 10

/* Step s (0-based) of the list above for pixel p. */
TR_HD void tr_mc_step(const tr_mc_p &c, int32_t s, int64_t p) {
    switch (s) {
    case 0: c.init(p); break;
    case 1: c.join_fg(p); break;
    case 2: c.flatten_fg(p); break;
    case 3: c.count(p); break;
    case 4: c.pick(p); break;
    case 5: c.init_bg(p); break;
    case 6: c.join_bg(p); break;
    case 7: c.flatten_bg(p); break;
    case 8: c.mark(p); break;
    default: c.out(p); break;
    }
}

#endif /* TR_CUDA_GARMENT_MASK_CUH */
