/* depthwise.c — depthwise conv2d (groups == C_in == C_out), direct: channels
 * in vectors, taps in (ky, kx) order with out-of-image taps skipped, any
 * stride, dilation and padding (PoseNet's 3x3 stride 1 and 2 with TF-SAME's
 * asymmetric padding; reflect and replicate map the index). Weights are packed
 * once to (KH, KW, C) so that a tap's channels are contiguous, as doubles for
 * ROUND_ONCE. Work items are chunks of DW_CHUNK output pixels of one row;
 * each chunk's sums go through a stack buffer to the shared epilogue store.
 * Tests: tests/test_kernels_fast_conv.c. */
#include <string.h>

#include "drv.h"

/* Stack use stays small (callers may run on threads with small stacks):
 * one chunk's sums (16 KB) and its tap columns (4 KB). */
#define DW_ACC_FLOATS 4096
#define DW_MAX_PIXELS 64
#define DW_MAX_KW     16

static int32_t dw_chunk(const tr_conv2d_desc *d) {
    int32_t p = DW_ACC_FLOATS / d->c_out;
    return p < 1 ? 1 : p > DW_MAX_PIXELS ? DW_MAX_PIXELS : p;
}

int tr_fast_dw_applies(const tr_conv2d_desc *d) {
    return d->c_out <= DW_ACC_FLOATS && d->kw <= DW_MAX_KW;
}

int64_t tr_fast_dw_packed(const tr_conv2d_desc *d) {
    int64_t n = (int64_t)d->kh * d->kw * d->c_out;
    return d->accum == TR_CONV_ACCUM_ROUND_ONCE ? 2 * n : n;
}

int64_t tr_fast_dw_ws_bytes(const tr_conv2d_desc *d, int32_t in_scale) {
    return in_scale ? tr_fast_align((int64_t)d->n * d->h * d->w * d->c_in * 4) : 0;
}

void tr_fast_dw_pack(const tr_conv2d_desc *d, const float *w, float *packed) {
    const int64_t taps = (int64_t)d->kh * d->kw;
    double *pd = (double *)packed;
    for (int64_t t = 0; t < taps; t++)
        for (int32_t c = 0; c < d->c_out; c++) {
            if (d->accum == TR_CONV_ACCUM_ROUND_ONCE)
                pd[t * d->c_out + c] = w[(int64_t)c * taps + t];
            else
                packed[t * d->c_out + c] = w[(int64_t)c * taps + t];
        }
}

typedef struct dw_job {
    const tr_fast_conv *f;
    const tr_conv2d_args *a;
    const float *x, *packed;
    int32_t chunk, n_chunks; /* pixels per item, items per output row */
} dw_job;

const float *tr_fast_scaled_input(tr_pool *pool, const tr_conv2d_args *a, float *buf);

static void dw_items(void *arg, int64_t begin, int64_t end) {
    const dw_job *j = arg;
    const tr_conv2d_args *a = j->a;
    const tr_conv2d_desc *d = &a->d;
    const tr_fast_isa *isa = j->f->isa;
    const int ro = d->accum == TR_CONV_ACCUM_ROUND_ONCE;
    _Alignas(64) float acc[DW_ACC_FLOATS];
    int32_t ix[DW_MAX_PIXELS * DW_MAX_KW];
    const float *rows[TR_FAST_MAX_TAPS];
    for (int64_t it = begin; it < end; it++) {
        const int64_t row = it / j->n_chunks;
        const int32_t ox0 = (int32_t)(it % j->n_chunks) * j->chunk;
        const int32_t np = tr_fast_min(j->chunk, d->ow - ox0);
        const int32_t n = (int32_t)(row / d->oh), oy = (int32_t)(row % d->oh);
        const float *xs = j->x + (int64_t)n * d->h * d->w * d->c_in;
        for (int32_t ky = 0; ky < d->kh; ky++) {
            int32_t iy =
                tr_fast_pad_index(oy * d->stride_h + ky * d->dil_h - d->pad_top, d->h, d->pad_mode);
            rows[ky] = iy < 0 ? NULL : xs + (int64_t)iy * d->w * d->c_in;
        }
        for (int32_t p = 0; p < np; p++)
            for (int32_t kx = 0; kx < d->kw; kx++)
                ix[p * d->kw + kx] = tr_fast_pad_index(
                    (ox0 + p) * d->stride_w + kx * d->dil_w - d->pad_left, d->w, d->pad_mode);
        tr_fast_dw_row r = {rows, j->packed, ix, np, d->kw, d->kh, d->c_out, acc};
        if (ro)
            isa->dw_row_ro(&r);
        else
            isa->dw_row(&r);
        const int64_t yoff = (row * d->ow + ox0) * d->c_out;
        tr_fast_ep e = {.ep = &d->ep, .bias = a->bias};
        e.oscale = a->out_scale ? a->out_scale + (int64_t)n * d->c_out : NULL;
        if (a->add) {
            e.add = a->add + tr_fast_bcast(d->add_shape, n, oy, ox0, 0);
            e.add_rs = d->add_shape[2] == 1 ? 0 : d->add_shape[3];
            e.add_cs = d->add_shape[3] == 1 ? 0 : 1;
        }
        tr_fast_store s = {acc,
                           d->c_out,
                           np,
                           d->c_out,
                           a->y + yoff,
                           d->c_out,
                           a->residual ? a->residual + yoff : NULL};
        isa->store(&s, &e);
    }
}

void tr_fast_dw_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                    const float *packed, void *ws) {
    const tr_conv2d_desc *d = &a->d;
    dw_job j = {f, a, tr_fast_scaled_input(pool, a, ws), packed, dw_chunk(d), 0};
    j.n_chunks = tr_fast_ceil_div(d->ow, j.chunk);
    tr_pool_for(pool, (int64_t)d->n * d->oh * j.n_chunks, 1, dw_items, &j);
}
