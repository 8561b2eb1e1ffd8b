/* conv.c — conv2d as an implicit GEMM on the packed micro-kernels, the
 * few-output-channel dot tiles, and the per-layer algorithm choice:
 *   depthwise (groups == C_in == C_out)            depthwise.c
 *   C_out <= 4 (RGB layers), f32                   dot tiles: vectors along K
 *                                                  straight from the OHWI
 *                                                  weights (panels would leave
 *                                                  most lanes idle)
 *   3x3 stride 1, layer allows it, enough tiles    winograd.c
 *   everything else (any stride, dilation, groups,
 *   padding, ROUND_ONCE)                           the implicit GEMM below
 *
 * GEMM view (per image and group): Y(pixels, C_out) = A(pixels, K) * B(K,
 * C_out) with K = KH*KW*C_in/groups in (ky, kx, ci) order. B is the weight
 * packed once into panels of NR = nv*VL output channels, (K, NR) row-major,
 * zero-filled past C_out. A is never materialised: a tile of up to MR
 * consecutive output pixels of one output row gets a table of row pointers
 * per segment, straight into the NHWC input (or a zero run for zero padding;
 * reflect and replicate map the index), so there is no im2col buffer and no
 * padded copy. Where a tile's whole kernel window lies inside the row and
 * dilation is 1, the KW taps of one kernel row are contiguous in NHWC and
 * become a single segment of KW*C_in values (same order, fewer pointers).
 *
 * Work items are (image, group, panel, output row), parallel over the pool,
 * ordered so that a thread's contiguous chunk reuses one panel of B (in L2)
 * across consecutive rows. Every output element comes from one micro-kernel
 * call in a fixed tap order: bitwise deterministic across thread counts.
 *
 * in_scale (per sample, per input channel) is applied by scaling the input
 * once into the workspace, x*s rounded to float exactly as the reference
 * forms it before multiplying by w. Tests: tests/test_kernels_fast_conv.c. */
#include <string.h>

#include "drv.h"

const char *tr_fast_algo_name(tr_fast_algo a) {
    static const char *names[TR_FAST_ALGO_COUNT] = {"reference", "gemm", "depthwise", "winograd",
                                                    "dot"};
    return a >= 0 && a < TR_FAST_ALGO_COUNT ? names[a] : "?";
}

/* ---- plan ------------------------------------------------------------------- */

static int32_t nv_for(const tr_fast_isa *isa, int32_t cols) { return cols <= isa->vl ? 1 : 2; }

/* Workspace of the GEMM path: the zero run, then the scaled input. */
static int64_t gemm_ws_bytes(const tr_conv2d_desc *d, int32_t in_scale) {
    int64_t cig = d->c_in / d->groups;
    int64_t ws = tr_fast_align((int64_t)d->kw * cig * 4);
    if (in_scale) ws += tr_fast_align((int64_t)d->n * d->h * d->w * d->c_in * 4);
    return ws;
}

int64_t tr_fast_dw_ws_bytes(const tr_conv2d_desc *d, int32_t in_scale);
int64_t tr_fast_dw_packed(const tr_conv2d_desc *d);
int tr_fast_dw_applies(const tr_conv2d_desc *d);
int64_t tr_fast_wino_ws_bytes(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                              int32_t n_threads);
int64_t tr_fast_wino_packed(const tr_fast_isa *isa, const tr_conv2d_desc *d);
int tr_fast_wino_worth(const tr_fast_isa *isa, const tr_conv2d_desc *d);

void tr_fast_conv2d_plan_algo(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                              tr_fast_algo algo, int32_t n_threads, tr_fast_conv *out) {
    memset(out, 0, sizeof *out);
    out->isa = isa;
    out->n_threads = n_threads < 1 ? 1 : n_threads;
    if (!isa || d->kh * d->kw > TR_FAST_MAX_TAPS) return;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    const int ro = d->accum == TR_CONV_ACCUM_ROUND_ONCE;
    switch (algo) {
    case TR_FAST_DOT:
        if (d->groups != 1 || d->c_out > TR_FAST_DOT_CO || ro) return;
        out->algo = algo;
        out->ws_bytes = gemm_ws_bytes(d, in_scale);
        return;
    case TR_FAST_GEMM: {
        out->algo = algo;
        out->nv = nv_for(isa, cog);
        const int64_t nr = (int64_t)out->nv * isa->vl;
        const int64_t panels = tr_fast_ceil_div(cog, (int32_t)nr);
        out->packed_floats = d->groups * panels * d->kh * d->kw * cig * nr;
        out->ws_bytes = gemm_ws_bytes(d, in_scale);
        return;
    }
    case TR_FAST_DEPTHWISE:
        if (d->groups == 1 || cig != 1 || cog != 1 || !tr_fast_dw_applies(d) || !isa->dw_row ||
            !isa->dw_row_ro)
            return;
        out->algo = algo;
        out->packed_floats = tr_fast_dw_packed(d);
        out->ws_bytes = tr_fast_dw_ws_bytes(d, in_scale);
        return;
    case TR_FAST_WINOGRAD:
        if (d->kh != 3 || d->kw != 3 || d->stride_h != 1 || d->stride_w != 1 || d->dil_h != 1 ||
            d->dil_w != 1 || d->groups != 1 || ro || !isa->wino_in)
            return;
        out->algo = algo;
        out->packed_floats = tr_fast_wino_packed(isa, d);
        out->ws_bytes = tr_fast_wino_ws_bytes(isa, d, in_scale, out->n_threads);
        return;
    default: return;
    }
}

void tr_fast_conv2d_plan(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                         int32_t allow_winograd, int32_t n_threads, tr_fast_conv *out) {
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    tr_fast_algo algo = TR_FAST_GEMM;
    if (d->groups > 1 && cig == 1 && cog == 1) algo = TR_FAST_DEPTHWISE;
    /* Few output channels (the RGB layers): panels of output channels would
     * leave most lanes idle, so vectors run along K instead. */
    else if (d->groups == 1 && d->c_out <= TR_FAST_DOT_CO && d->accum == TR_CONV_ACCUM_F32)
        algo = TR_FAST_DOT;
    /* Winograd pays off once the GEMM dominates its transforms: enough
     * channels on both sides and enough 4x4 tiles to amortise streaming the
     * transformed weights. */
    else if (allow_winograd && d->kh == 3 && d->kw == 3 && d->c_in >= 32 && d->c_out >= 32 && isa &&
             tr_fast_wino_worth(isa, d))
        algo = TR_FAST_WINOGRAD;
    tr_fast_conv2d_plan_algo(isa, d, in_scale, algo, n_threads, out);
    if (out->algo == TR_FAST_NONE && algo != TR_FAST_GEMM)
        tr_fast_conv2d_plan_algo(isa, d, in_scale, TR_FAST_GEMM, n_threads, out);
}

/* ---- packing ---------------------------------------------------------------- */

void tr_fast_dw_pack(const tr_conv2d_desc *d, const float *w, float *packed);
void tr_fast_wino_pack(const tr_fast_conv *f, const tr_conv2d_desc *d, const float *w,
                       float *packed);

/* Panels of nr output channels of one group: packed[(g, j)][k][c] =
 * W[g*cog + j*nr + c][k] (k over KH*KW*cig), 0 past cog. */
static void gemm_pack(int32_t groups, int32_t cog, int64_t k_len, int32_t nr, const float *w,
                      float *packed) {
    const int32_t panels = tr_fast_ceil_div(cog, nr);
    for (int32_t g = 0; g < groups; g++)
        for (int32_t j = 0; j < panels; j++) {
            float *p = packed + ((int64_t)g * panels + j) * k_len * nr;
            for (int32_t c = 0; c < nr; c++) {
                const int32_t o = j * nr + c;
                const float *wo = o < cog ? w + ((int64_t)g * cog + o) * k_len : NULL;
                for (int64_t k = 0; k < k_len; k++) p[k * nr + c] = wo ? wo[k] : 0.0f;
            }
        }
}

void tr_fast_conv2d_pack(const tr_fast_conv *f, const tr_conv2d_desc *d, const float *w,
                         float *packed) {
    switch (f->algo) {
    case TR_FAST_GEMM:
        gemm_pack(d->groups, d->c_out / d->groups, (int64_t)d->kh * d->kw * (d->c_in / d->groups),
                  f->nv * f->isa->vl, w, packed);
        break;
    case TR_FAST_DEPTHWISE: tr_fast_dw_pack(d, w, packed); break;
    case TR_FAST_WINOGRAD: tr_fast_wino_pack(f, d, w, packed); break;
    default: break; /* TR_FAST_DOT reads the OHWI weights as they are */
    }
}

/* ---- the GEMM path ---------------------------------------------------------- */

typedef struct gemm_job {
    const tr_fast_conv *f;
    const tr_conv2d_args *a;
    const float *x; /* input, or the in_scale'd copy */
    const float *packed;
    const float *zeros; /* kw * cig zeros */
    int32_t panels;     /* per group */
} gemm_job;

/* Scales the input by in_scale (per sample, per input channel), row by row. */
typedef struct scale_job {
    const tr_conv2d_desc *d;
    const float *x, *s;
    float *y;
} scale_job;

static void scale_rows(void *arg, int64_t begin, int64_t end) {
    const scale_job *j = arg;
    const tr_conv2d_desc *d = j->d;
    for (int64_t row = begin; row < end; row++) {
        const float *s = j->s + row / d->h * d->c_in;
        const float *x = j->x + row * d->w * d->c_in;
        float *y = j->y + row * d->w * d->c_in;
        for (int32_t p = 0; p < d->w; p++)
            for (int32_t c = 0; c < d->c_in; c++)
                y[(int64_t)p * d->c_in + c] = x[(int64_t)p * d->c_in + c] * s[c];
    }
}

const float *tr_fast_scaled_input(tr_pool *pool, const tr_conv2d_args *a, float *buf) {
    if (!a->in_scale) return a->x;
    scale_job j = {&a->d, a->x, a->in_scale, buf};
    tr_pool_for(pool, (int64_t)a->d.n * a->d.h, 4, scale_rows, &j);
    return buf;
}

/* Fills the pointer table of a tile; returns the segment count and sets *kc. */
static int32_t tile_pointers(const gemm_job *j, int32_t n, int32_t g, int32_t oy, int32_t ox0,
                             int32_t mr, const float **ptr, int32_t *kc) {
    const tr_conv2d_desc *d = &j->a->d;
    const int32_t cig = d->c_in / d->groups;
    const float *xs = j->x + (int64_t)n * d->h * d->w * d->c_in + (int64_t)g * cig;
    const int32_t ix_first = ox0 * d->stride_w - d->pad_left;
    const int32_t ix_last = (ox0 + mr - 1) * d->stride_w + (d->kw - 1) * d->dil_w - d->pad_left;
    const int merged =
        d->kw > 1 && d->dil_w == 1 && d->groups == 1 && ix_first >= 0 && ix_last < d->w;
    int32_t n_seg = 0;
    for (int32_t ky = 0; ky < d->kh; ky++) {
        const int32_t iy =
            tr_fast_pad_index(oy * d->stride_h + ky * d->dil_h - d->pad_top, d->h, d->pad_mode);
        const float *row = iy < 0 ? NULL : xs + (int64_t)iy * d->w * d->c_in;
        if (merged) {
            const float **p = ptr + (int64_t)n_seg++ * TR_FAST_A_LD;
            for (int32_t r = 0; r < mr; r++)
                p[r] = row ? row + (int64_t)((ox0 + r) * d->stride_w - d->pad_left) * d->c_in
                           : j->zeros;
            continue;
        }
        for (int32_t kx = 0; kx < d->kw; kx++) {
            const float **p = ptr + (int64_t)n_seg++ * TR_FAST_A_LD;
            for (int32_t r = 0; r < mr; r++) {
                const int32_t ix = tr_fast_pad_index(
                    (ox0 + r) * d->stride_w + kx * d->dil_w - d->pad_left, d->w, d->pad_mode);
                p[r] = row && ix >= 0 ? row + (int64_t)ix * d->c_in : j->zeros;
            }
        }
    }
    *kc = merged ? d->kw * cig : cig;
    return n_seg;
}

static void gemm_items(void *arg, int64_t begin, int64_t end) {
    const gemm_job *j = arg;
    const tr_conv2d_args *a = j->a;
    const tr_conv2d_desc *d = &a->d;
    const tr_fast_isa *isa = j->f->isa;
    const int32_t nv = j->f->nv, nr = nv * isa->vl, vl = isa->vl;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    const int64_t k_len = (int64_t)d->kh * d->kw * cig;
    const int ro = d->accum == TR_CONV_ACCUM_ROUND_ONCE;
    const float *ptr[TR_FAST_MAX_TAPS * TR_FAST_A_LD];
    _Alignas(64) float acc[TR_FAST_MR_MAX * TR_FAST_NV_MAX * 16];
    for (int64_t it = begin; it < end; it++) {
        const int32_t oy = (int32_t)(it % d->oh);
        int64_t rest = it / d->oh;
        const int32_t jp = (int32_t)(rest % j->panels);
        rest /= j->panels;
        const int32_t g = (int32_t)(rest % d->groups), n = (int32_t)(rest / d->groups);
        const int32_t o0 = g * cog + jp * nr, ncols = tr_fast_min(nr, cog - jp * nr);
        const float *b = j->packed + ((int64_t)g * j->panels + jp) * k_len * nr;
        tr_fast_ep e = {.ep = &d->ep};
        e.bias = a->bias ? a->bias + o0 : NULL;
        e.oscale = a->out_scale ? a->out_scale + (int64_t)n * d->c_out + o0 : NULL;
        if (a->add) {
            e.add_rs = d->add_shape[2] == 1 ? 0 : d->add_shape[3];
            e.add_cs = d->add_shape[3] == 1 ? 0 : 1;
        }
        for (int32_t ox0 = 0; ox0 < d->ow; ox0 += isa->mr) {
            const int32_t mr = tr_fast_min(isa->mr, d->ow - ox0);
            int32_t kc;
            const int32_t n_seg = tile_pointers(j, n, g, oy, ox0, mr, ptr, &kc);
            tr_ukr u = {ptr, b, acc, n_seg, kc, nr, nr};
            if (!ro) {
                isa->gemm[nv - 1][mr](&u);
            } else {
                for (int32_t v = 0; v < nv; v++) {
                    u.b = b + v * vl;
                    u.acc = acc + v * vl;
                    isa->gemm_ro[mr](&u);
                }
            }
            const int64_t yoff = (((int64_t)n * d->oh + oy) * d->ow + ox0) * d->c_out + o0;
            if (a->add) e.add = a->add + tr_fast_bcast(d->add_shape, n, oy, ox0, o0);
            tr_fast_store s = {
                acc, nr, mr, ncols, a->y + yoff, d->c_out, a->residual ? a->residual + yoff : NULL};
            isa->store(&s, &e);
        }
    }
}

/* TR_FAST_DOT: tiles of up to TR_FAST_DOT_MR pixels, all output channels. */
static void dot_items(void *arg, int64_t begin, int64_t end) {
    const gemm_job *j = arg;
    const tr_conv2d_args *a = j->a;
    const tr_conv2d_desc *d = &a->d;
    const tr_fast_isa *isa = j->f->isa;
    const float *ptr[TR_FAST_MAX_TAPS * TR_FAST_A_LD];
    float acc[TR_FAST_DOT_MR * TR_FAST_DOT_CO];
    tr_fast_ep e = {.ep = &d->ep, .bias = a->bias};
    if (a->add) {
        e.add_rs = d->add_shape[2] == 1 ? 0 : d->add_shape[3];
        e.add_cs = d->add_shape[3] == 1 ? 0 : 1;
    }
    for (int64_t row = begin; row < end; row++) {
        const int32_t n = (int32_t)(row / d->oh), oy = (int32_t)(row % d->oh);
        e.oscale = a->out_scale ? a->out_scale + (int64_t)n * d->c_out : NULL;
        for (int32_t ox0 = 0; ox0 < d->ow; ox0 += TR_FAST_DOT_MR) {
            const int32_t mr = tr_fast_min(TR_FAST_DOT_MR, d->ow - ox0);
            int32_t kc;
            const int32_t n_seg = tile_pointers(j, n, 0, oy, ox0, mr, ptr, &kc);
            tr_fast_dot u = {ptr, a->w, (int64_t)d->kh * d->kw * d->c_in, acc, n_seg, kc};
            isa->dot[mr][d->c_out](&u);
            const int64_t yoff = (row * d->ow + ox0) * d->c_out;
            if (a->add) e.add = a->add + tr_fast_bcast(d->add_shape, n, oy, ox0, 0);
            tr_fast_store s = {acc,
                               d->c_out,
                               mr,
                               d->c_out,
                               a->y + yoff,
                               d->c_out,
                               a->residual ? a->residual + yoff : NULL};
            isa->store(&s, &e);
        }
    }
}

static void gemm_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                     const float *packed, void *ws) {
    const tr_conv2d_desc *d = &a->d;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    float *zeros = ws;
    memset(zeros, 0, (size_t)d->kw * cig * sizeof *zeros);
    float *xbuf = (float *)((uint8_t *)ws + tr_fast_align((int64_t)d->kw * cig * 4));
    if (f->algo == TR_FAST_DOT) {
        gemm_job j = {f, a, tr_fast_scaled_input(pool, a, xbuf), NULL, zeros, 1};
        tr_pool_for(pool, (int64_t)d->n * d->oh, 1, dot_items, &j);
        return;
    }
    gemm_job j = {f,      a,     tr_fast_scaled_input(pool, a, xbuf),
                  packed, zeros, tr_fast_ceil_div(cog, f->nv * f->isa->vl)};
    int64_t items = (int64_t)d->n * d->groups * j.panels * d->oh;
    tr_pool_for(pool, items, 1, gemm_items, &j);
}

void tr_fast_dw_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                    const float *packed, void *ws);
void tr_fast_wino_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                      const float *packed, void *ws);

void tr_fast_conv2d_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                        const float *packed, void *ws) {
    switch (f->algo) {
    case TR_FAST_GEMM:
    case TR_FAST_DOT: gemm_run(f, pool, a, packed, ws); break;
    case TR_FAST_DEPTHWISE: tr_fast_dw_run(f, pool, a, packed, ws); break;
    case TR_FAST_WINOGRAD: tr_fast_wino_run(f, pool, a, packed, ws); break;
    default: TR_ASSERT(!"tr_fast_conv2d_run without a fast algorithm");
    }
}

/* ---- linear: a 1x1 convolution over N pixels -------------------------------- */

void tr_fast_linear_desc(const tr_linear_desc *l, tr_conv2d_desc *d) {
    memset(d, 0, sizeof *d);
    d->n = 1, d->h = 1, d->w = l->n, d->c_in = l->k;
    d->oh = 1, d->ow = l->n, d->c_out = l->m;
    d->kh = d->kw = 1;
    d->stride_h = d->stride_w = d->dil_h = d->dil_w = d->groups = 1;
    d->pad_mode = TR_PAD_ZEROS;
    d->ep = l->ep;
    d->accum = TR_CONV_ACCUM_F32;
}

void tr_fast_linear_plan(const tr_fast_isa *isa, const tr_linear_desc *l, int32_t n_threads,
                         tr_fast_conv *out) {
    tr_conv2d_desc d;
    tr_fast_linear_desc(l, &d);
    tr_fast_conv2d_plan_algo(isa, &d, 0, TR_FAST_GEMM, n_threads, out);
}

void tr_fast_linear_pack(const tr_fast_conv *f, const tr_linear_desc *l, const float *w,
                         float *packed) {
    tr_conv2d_desc d;
    tr_fast_linear_desc(l, &d);
    tr_fast_conv2d_pack(f, &d, w, packed);
}

void tr_fast_linear_run(const tr_fast_conv *f, tr_pool *pool, const tr_linear_args *l,
                        const float *packed, void *ws) {
    tr_conv2d_args a;
    memset(&a, 0, sizeof a);
    tr_fast_linear_desc(&l->d, &a.d);
    a.x = l->x, a.w = l->w, a.bias = l->bias, a.y = l->y;
    gemm_run(f, pool, &a, packed, ws);
}
