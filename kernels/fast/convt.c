/* convt.c — conv_transpose2d by sub-pixel decomposition on the GEMM
 * micro-kernels. In gather form (kernels/cpu/conv_transpose2d.c)
 *   y[oy, ox] = sum over taps (a, b) with oy + pt - a*dh = iy*sh and
 *               ox + pl - b*dw = ix*sw of x[iy, ix] * W[a, b],
 * and whether tap a contributes depends only on the phase oy mod sh. So the
 * sh*sw output phases are ordinary convolutions with their own tap subsets
 * (CycleGAN's k3 s2: 1, 2, 2 and 4 taps; every tap belongs to exactly one
 * phase per axis). Consecutive outputs of one phase in a row read
 * consecutive input pixels, so a tile of MR of them gets the same row-pointer
 * tables as conv.c (zero runs where the input index leaves the image, which
 * the reference skips: adding 0*w changes nothing for finite weights).
 * Weights are packed per (group, panel, phase) with the phase's taps in the
 * reference's (a, b) order, so each output sums its taps in that order.
 * Work items are (image, group, panel, output row); bitwise deterministic
 * across thread counts. Tests: tests/test_kernels_fast_convt.c. */
#include <string.h>

#include "drv.h"

/* Taps of axis phase r: a in [0, k) with (r + pad - a*dil) divisible by s. */
static int32_t phase_taps(int32_t r, int32_t pad, int32_t k, int32_t dil, int32_t s,
                          int32_t *taps) {
    int32_t n = 0;
    for (int32_t a = 0; a < k; a++) {
        int64_t t = (int64_t)r + pad - (int64_t)a * dil;
        if (((t % s) + s) % s == 0) taps[n++] = a;
    }
    return n;
}

void tr_fast_convt_plan(const tr_fast_isa *isa, const tr_conv_transpose2d_desc *d,
                        int32_t n_threads, tr_fast_conv *out) {
    memset(out, 0, sizeof *out);
    out->isa = isa;
    out->n_threads = n_threads < 1 ? 1 : n_threads;
    if (!isa || d->kh * d->kw > TR_FAST_MAX_TAPS || d->stride_h > 64 || d->stride_w > 64) return;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    out->algo = TR_FAST_GEMM;
    out->nv = cog <= isa->vl ? 1 : 2;
    const int64_t nr = (int64_t)out->nv * isa->vl;
    out->packed_floats =
        d->groups * tr_fast_ceil_div(cog, (int32_t)nr) * (int64_t)d->kh * d->kw * cig * nr;
    out->ws_bytes = tr_fast_align((int64_t)cig * 4); /* the zero run */
}

/* Offset (floats, inside one panel) of phase (ry, rx)'s taps. */
static int64_t phase_offset(const tr_conv_transpose2d_desc *d, int32_t ry, int32_t rx, int64_t nr) {
    int32_t ty[TR_FAST_MAX_TAPS], tx[TR_FAST_MAX_TAPS];
    int64_t off = 0;
    for (int32_t py = 0; py < d->stride_h; py++)
        for (int32_t px = 0; px < d->stride_w; px++) {
            if (py == ry && px == rx) return off;
            off += (int64_t)phase_taps(py, d->pad_top, d->kh, d->dil_h, d->stride_h, ty) *
                   phase_taps(px, d->pad_left, d->kw, d->dil_w, d->stride_w, tx) *
                   (d->c_in / d->groups) * nr;
        }
    return off;
}

void tr_fast_convt_pack(const tr_fast_conv *f, const tr_conv_transpose2d_desc *d, const float *w,
                        float *packed) {
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    const int32_t nr = f->nv * f->isa->vl, panels = tr_fast_ceil_div(cog, nr);
    const int64_t panel_floats = (int64_t)d->kh * d->kw * cig * nr;
    int32_t ty[TR_FAST_MAX_TAPS], tx[TR_FAST_MAX_TAPS];
    for (int32_t g = 0; g < d->groups; g++)
        for (int32_t j = 0; j < panels; j++) {
            float *p = packed + ((int64_t)g * panels + j) * panel_floats;
            for (int32_t ry = 0; ry < d->stride_h; ry++)
                for (int32_t rx = 0; rx < d->stride_w; rx++) {
                    int32_t nty = phase_taps(ry, d->pad_top, d->kh, d->dil_h, d->stride_h, ty);
                    int32_t ntx = phase_taps(rx, d->pad_left, d->kw, d->dil_w, d->stride_w, tx);
                    for (int32_t a = 0; a < nty; a++)
                        for (int32_t b = 0; b < ntx; b++)
                            for (int32_t i = 0; i < cig; i++, p += nr)
                                for (int32_t c = 0; c < nr; c++) {
                                    int32_t o = j * nr + c;
                                    p[c] =
                                        o < cog
                                            ? w[(((int64_t)(g * cog + o) * d->kh + ty[a]) * d->kw +
                                                 tx[b]) *
                                                    cig +
                                                i]
                                            : 0.0f;
                                }
                }
        }
}

typedef struct convt_job {
    const tr_fast_conv *f;
    const tr_conv_transpose2d_args *a;
    const float *packed, *zeros;
    int32_t panels;
} convt_job;

static void convt_items(void *arg, int64_t begin, int64_t end) {
    const convt_job *j = arg;
    const tr_conv_transpose2d_args *a = j->a;
    const tr_conv_transpose2d_desc *d = &a->d;
    const tr_fast_isa *isa = j->f->isa;
    const int32_t nv = j->f->nv, nr = nv * isa->vl;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    const int64_t panel_floats = (int64_t)d->kh * d->kw * cig * nr;
    const float *ptr[TR_FAST_MAX_TAPS * TR_FAST_A_LD];
    _Alignas(64) float acc[TR_FAST_MR_MAX * TR_FAST_NV_MAX * 16];
    int32_t ty[TR_FAST_MAX_TAPS], tx[TR_FAST_MAX_TAPS];
    for (int64_t it = begin; it < end; it++) {
        const int32_t oy = (int32_t)(it % d->oh);
        int64_t rest = it / d->oh;
        const int32_t jp = (int32_t)(rest % j->panels);
        rest /= j->panels;
        const int32_t g = (int32_t)(rest % d->groups), n = (int32_t)(rest / d->groups);
        const int32_t o0 = g * cog + jp * nr, ncols = tr_fast_min(nr, cog - jp * nr);
        const int32_t ry = oy % d->stride_h;
        const int32_t nty = phase_taps(ry, d->pad_top, d->kh, d->dil_h, d->stride_h, ty);
        const float *xs = a->x + (int64_t)n * d->h * d->w * d->c_in + (int64_t)g * cig;
        const float *rows[TR_FAST_MAX_TAPS];
        for (int32_t t = 0; t < nty; t++) {
            const int32_t num = oy + d->pad_top - ty[t] * d->dil_h; /* divisible by sh */
            const int32_t iy = num >= 0 ? num / d->stride_h : -1;
            rows[t] = iy >= 0 && iy < d->h ? xs + (int64_t)iy * d->w * d->c_in : NULL;
        }
        tr_fast_ep e = {.ep = &d->ep, .bias = a->bias ? a->bias + o0 : NULL, .bias_zero = 1};
        for (int32_t rx = 0; rx < d->stride_w && rx < d->ow; rx++) {
            const int32_t ntx = phase_taps(rx, d->pad_left, d->kw, d->dil_w, d->stride_w, tx);
            const float *b = j->packed + ((int64_t)g * j->panels + jp) * panel_floats +
                             phase_offset(d, ry, rx, nr);
            const int32_t n_out = (d->ow - rx + d->stride_w - 1) / d->stride_w;
            for (int32_t q0 = 0; q0 < n_out; q0 += isa->mr) {
                const int32_t mr = tr_fast_min(isa->mr, n_out - q0);
                const int32_t ox0 = rx + q0 * d->stride_w;
                int32_t n_seg = 0;
                for (int32_t t = 0; t < nty; t++)
                    for (int32_t s = 0; s < ntx; s++) {
                        const float **p = ptr + (int64_t)n_seg++ * TR_FAST_A_LD;
                        for (int32_t r = 0; r < mr; r++) {
                            const int32_t num =
                                ox0 + r * d->stride_w + d->pad_left - tx[s] * d->dil_w;
                            const int32_t ix = num >= 0 ? num / d->stride_w : -1;
                            p[r] = rows[t] && ix >= 0 && ix < d->w ? rows[t] + (int64_t)ix * d->c_in
                                                                   : j->zeros;
                        }
                    }
                if (n_seg == 0) { /* no tap reaches this phase: bias and epilogue of 0 */
                    for (int32_t r = 0; r < mr; r++) memset(acc + r * nr, 0, (size_t)nr * 4);
                } else {
                    tr_ukr u = {ptr, b, acc, n_seg, cig, nr, nr};
                    isa->gemm[nv - 1][mr](&u);
                }
                const int64_t yoff = (((int64_t)n * d->oh + oy) * d->ow + ox0) * d->c_out + o0;
                tr_fast_store s = {acc, nr, mr, ncols, a->y + yoff, (int64_t)d->stride_w * d->c_out,
                                   NULL};
                isa->store(&s, &e);
            }
        }
    }
}

void tr_fast_convt_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv_transpose2d_args *a,
                       const float *packed, void *ws) {
    const tr_conv_transpose2d_desc *d = &a->d;
    const int32_t cig = d->c_in / d->groups, cog = d->c_out / d->groups;
    float *zeros = ws;
    memset(zeros, 0, (size_t)cig * sizeof *zeros);
    convt_job j = {f, a, packed, zeros, tr_fast_ceil_div(cog, f->nv * f->isa->vl)};
    tr_pool_for(pool, (int64_t)d->n * d->groups * j.panels * d->oh, 1, convt_items, &j);
}
