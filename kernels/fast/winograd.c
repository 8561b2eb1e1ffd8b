/* winograd.c — 3x3 stride-1 conv2d by Winograd F(4x4, 3x3) (Lavin & Gray,
 * interpolation points 0, +-1, +-2, infinity):
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A      per 4x4 output tile,
 * so 36 products per tile and channel pair instead of 144: a quarter of the
 * direct multiplies. Opt-in per layer (tr_conv_opts.winograd), because the
 * result is less accurate than a direct sum:
 *
 * Error bound. Expand the computed output into its terms coef * g * d; with
 * E = |A^T| [ sum_ci (|G| |g| |G^T|) (.) (|B^T| |d| |B|) ] |A| (all entries in
 * absolute value), every term passes through at most 8 roundings in the input
 * transform, 1 in the weight transform (done in double, rounded once), C_in in
 * the channel sum and 8 in the output transform, so (Higham, 3.1)
 *   |y_winograd - y| <= gamma_{C_in + 17} * E,   gamma_n = n u / (1 - n u),
 * before the epilogue. E is up to ~250x the direct sum's sum |x||w| for
 * these points (measured mean ~75x on random data), i.e. about two decimal
 * digits less than a direct convolution at worst, ~1e-5 relative in practice.
 * tests/test_kernels_fast_winograd.c checks the bound with E computed in
 * double. Nets enable it where their accuracy bar allows (README, nets/).
 *
 * Algorithm: tiles are processed in blocks of up to WINO_BLOCK_BYTES of
 * transformed data (a multiple of the GEMM tile rows), each by one thread
 * with its own scratch: (1) transform every tile's 6x6 input patch into
 * V[36][tile][C_in] (padding by index arithmetic: zero runs or mapped
 * indices), (2) 36 GEMMs M[a] = V[a] * U[a] on the packed micro-kernels
 * (U = G g G^T packed at plan time into panels like the direct GEMM's),
 * (3) transform each tile's M back and let the shared epilogue store write
 * the valid pixels. V and M of a block stay in L2; U streams through once
 * per block. Every output depends only on its own tile, in a fixed order:
 * bitwise deterministic across thread counts. */
#include <string.h>

#include "drv.h"

#define WINO_BLOCK_BYTES (2 << 20) /* V + M of one block, per thread */

static int32_t n_tiles(const tr_conv2d_desc *d) {
    return d->n * tr_fast_ceil_div(d->oh, 4) * tr_fast_ceil_div(d->ow, 4);
}

static int32_t nr_of(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    return d->c_out <= isa->vl ? isa->vl : 2 * isa->vl;
}

static int32_t cout_padded(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    int32_t nr = nr_of(isa, d);
    return tr_fast_ceil_div(d->c_out, nr) * nr;
}

/* Tiles per block: whole GEMM tiles, V and M within about WINO_BLOCK_BYTES,
 * and blocks of equal size (U streams through once per block, so a nearly
 * empty last block would cost as much as a full one). */
static int32_t block_tiles(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    int64_t per_tile = 36 * 4 * ((int64_t)d->c_in + cout_padded(isa, d));
    int64_t t = WINO_BLOCK_BYTES / per_tile / isa->mr * isa->mr;
    if (t < isa->mr) t = isa->mr;
    if (t > 8 * isa->mr) t = 8 * isa->mr;
    const int64_t total = n_tiles(d), blocks = (total + t - 1) / t;
    t = (total + blocks - 1) / blocks;
    return (int32_t)((t + isa->mr - 1) / isa->mr * isa->mr);
}

int tr_fast_wino_worth(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    return n_tiles(d) >= 4 * isa->mr;
}

/* Per thread: V (36, T, C_in), M (36, T, C_out padded), one tile's output
 * (16, C_out). */
static int64_t scratch_bytes(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    const int64_t t = block_tiles(isa, d);
    return tr_fast_align(36 * t * d->c_in * 4) + tr_fast_align(36 * t * cout_padded(isa, d) * 4) +
           tr_fast_align(16 * (int64_t)d->c_out * 4);
}

int64_t tr_fast_wino_packed(const tr_fast_isa *isa, const tr_conv2d_desc *d) {
    return 36 * (int64_t)d->c_in * cout_padded(isa, d);
}

/* zero run (C_in), the scaled input, then one V + M scratch per thread */
int64_t tr_fast_wino_ws_bytes(const tr_fast_isa *isa, const tr_conv2d_desc *d, int32_t in_scale,
                              int32_t n_threads) {
    int64_t ws = tr_fast_align((int64_t)d->c_in * 4);
    if (in_scale) ws += tr_fast_align((int64_t)d->n * d->h * d->w * d->c_in * 4);
    return ws + n_threads * scratch_bytes(isa, d);
}

/* U[a][b] = (G g G^T)[a][b] in double, rounded once to float, packed per
 * (a, b) like the GEMM: panels of NR output channels, (C_in, NR) row-major. */
void tr_fast_wino_pack(const tr_fast_conv *f, const tr_conv2d_desc *d, const float *w,
                       float *packed) {
    static const double G[6][3] = {{1.0 / 4, 0, 0},
                                   {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                   {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                   {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                   {0, 0, 1}};
    const int32_t nr = nr_of(f->isa, d), cop = cout_padded(f->isa, d), panels = cop / nr;
    memset(packed, 0, (size_t)tr_fast_wino_packed(f->isa, d) * sizeof *packed);
    for (int32_t o = 0; o < d->c_out; o++)
        for (int32_t i = 0; i < d->c_in; i++) {
            double g[3][3], t[6][3];
            for (int32_t ky = 0; ky < 3; ky++)
                for (int32_t kx = 0; kx < 3; kx++)
                    g[ky][kx] = w[(((int64_t)o * 3 + ky) * 3 + kx) * d->c_in + i];
            for (int32_t a = 0; a < 6; a++)
                for (int32_t kx = 0; kx < 3; kx++)
                    t[a][kx] = G[a][0] * g[0][kx] + G[a][1] * g[1][kx] + G[a][2] * g[2][kx];
            for (int32_t a = 0; a < 6; a++)
                for (int32_t b = 0; b < 6; b++) {
                    double u = t[a][0] * G[b][0] + t[a][1] * G[b][1] + t[a][2] * G[b][2];
                    int64_t plane = (int64_t)(a * 6 + b) * d->c_in * cop;
                    int32_t j = o / nr, c = o % nr;
                    packed[plane + ((int64_t)j * d->c_in + i) * nr + c] = (float)u;
                }
        }
    (void)panels;
}

typedef struct wino_job {
    const tr_fast_conv *f;
    const tr_conv2d_args *a;
    const float *x, *packed, *zeros;
    uint8_t *scratch; /* n_threads x scratch_bytes */
    int32_t tiles_y, tiles_x, cop, nr, block, total;
} wino_job;

static void tile_pos(const wino_job *j, int32_t t, int32_t *n, int32_t *ty, int32_t *tx) {
    const int32_t per_image = j->tiles_y * j->tiles_x;
    *n = t / per_image;
    *ty = t % per_image / j->tiles_x;
    *tx = t % j->tiles_x;
}

/* (1) V[a][k] for tiles t0 + k, k < nt. */
static void input_tiles(const wino_job *j, int32_t t0, int32_t nt, float *v) {
    const tr_conv2d_desc *d = &j->a->d;
    const float *ptr[36];
    for (int32_t k = 0; k < nt; k++) {
        int32_t n, ty, tx;
        tile_pos(j, t0 + k, &n, &ty, &tx);
        const float *xs = j->x + (int64_t)n * d->h * d->w * d->c_in;
        for (int32_t r = 0; r < 6; r++) {
            const int32_t iy = tr_fast_pad_index(ty * 4 + r - d->pad_top, d->h, d->pad_mode);
            for (int32_t c = 0; c < 6; c++) {
                const int32_t ix = tr_fast_pad_index(tx * 4 + c - d->pad_left, d->w, d->pad_mode);
                ptr[r * 6 + c] =
                    iy < 0 || ix < 0 ? j->zeros : xs + ((int64_t)iy * d->w + ix) * d->c_in;
            }
        }
        j->f->isa->wino_in(ptr, d->c_in, v + (int64_t)k * d->c_in, (int64_t)nt * d->c_in);
    }
}

/* (2) M[a] = V[a] * U[a] for the nt tiles of a block. */
static void block_gemm(const wino_job *j, int32_t nt, const float *v, float *m) {
    const tr_conv2d_desc *d = &j->a->d;
    const tr_fast_isa *isa = j->f->isa;
    const float *ptr[TR_FAST_A_LD];
    for (int32_t plane = 0; plane < 36; plane++)
        for (int32_t tb = 0; tb < nt; tb += isa->mr) {
            const int32_t mr = tr_fast_min(isa->mr, nt - tb);
            const float *vp = v + ((int64_t)plane * nt + tb) * d->c_in;
            for (int32_t r = 0; r < mr; r++) ptr[r] = vp + (int64_t)r * d->c_in;
            for (int32_t jp = 0; jp < j->cop / j->nr; jp++) {
                tr_ukr u = {ptr,
                            j->packed + ((int64_t)plane * j->cop + (int64_t)jp * j->nr) * d->c_in,
                            m + ((int64_t)plane * nt + tb) * j->cop + (int64_t)jp * j->nr,
                            1,
                            d->c_in,
                            j->nr,
                            j->cop};
                isa->gemm[j->nr / isa->vl - 1][mr](&u);
            }
        }
}

/* (3) Y of each tile through the epilogue store. */
static void output_tiles(const wino_job *j, int32_t t0, int32_t nt, const float *m, float *out) {
    const tr_conv2d_args *a = j->a;
    const tr_conv2d_desc *d = &a->d;
    const tr_fast_isa *isa = j->f->isa;
    for (int32_t k = 0; k < nt; k++) {
        int32_t n, ty, tx;
        tile_pos(j, t0 + k, &n, &ty, &tx);
        isa->wino_out(m + (int64_t)k * j->cop, (int64_t)nt * j->cop, d->c_out, out);
        const int32_t ox0 = tx * 4, cols = tr_fast_min(4, d->ow - ox0);
        tr_fast_ep e = {.ep = &d->ep, .bias = a->bias};
        e.oscale = a->out_scale ? a->out_scale + (int64_t)n * d->c_out : NULL;
        for (int32_t i = 0; i < 4 && ty * 4 + i < d->oh; i++) {
            const int32_t oy = ty * 4 + i;
            const int64_t yoff = (((int64_t)n * d->oh + oy) * d->ow + ox0) * d->c_out;
            if (a->add) {
                e.add = a->add + tr_fast_bcast(d->add_shape, n, oy, ox0, 0);
                e.add_rs = d->add_shape[2] == 1 ? 0 : d->add_shape[3];
                e.add_cs = d->add_shape[3] == 1 ? 0 : 1;
            }
            tr_fast_store s = {out + (int64_t)i * 4 * d->c_out,
                               d->c_out,
                               cols,
                               d->c_out,
                               a->y + yoff,
                               d->c_out,
                               a->residual ? a->residual + yoff : NULL};
            isa->store(&s, &e);
        }
    }
}

static void wino_blocks(void *arg, int64_t begin, int64_t end, int32_t tid) {
    const wino_job *j = arg;
    const tr_conv2d_desc *d = &j->a->d;
    uint8_t *scratch = j->scratch + (int64_t)tid * scratch_bytes(j->f->isa, d);
    float *v = (float *)scratch;
    float *m = (float *)(scratch + tr_fast_align(36 * (int64_t)j->block * d->c_in * 4));
    float *out = (float *)((uint8_t *)m + tr_fast_align(36 * (int64_t)j->block * j->cop * 4));
    for (int64_t b = begin; b < end; b++) {
        const int32_t t0 = (int32_t)b * j->block, nt = tr_fast_min(j->block, j->total - t0);
        input_tiles(j, t0, nt, v);
        block_gemm(j, nt, v, m);
        output_tiles(j, t0, nt, m, out);
    }
}

const float *tr_fast_scaled_input(tr_pool *pool, const tr_conv2d_args *a, float *buf);

void tr_fast_wino_run(const tr_fast_conv *f, tr_pool *pool, const tr_conv2d_args *a,
                      const float *packed, void *ws) {
    const tr_conv2d_desc *d = &a->d;
    TR_ASSERT(tr_pool_n_threads(pool) <= f->n_threads);
    uint8_t *p = ws;
    float *zeros = (float *)p;
    p += tr_fast_align((int64_t)d->c_in * 4);
    memset(zeros, 0, (size_t)d->c_in * sizeof *zeros);
    const float *x = a->x;
    if (a->in_scale) {
        x = tr_fast_scaled_input(pool, a, (float *)p);
        p += tr_fast_align((int64_t)d->n * d->h * d->w * d->c_in * 4);
    }
    wino_job j = {f,
                  a,
                  x,
                  packed,
                  zeros,
                  p,
                  tr_fast_ceil_div(d->oh, 4),
                  tr_fast_ceil_div(d->ow, 4),
                  cout_padded(f->isa, d),
                  nr_of(f->isa, d),
                  block_tiles(f->isa, d),
                  n_tiles(d)};
    tr_pool_for_tid(pool, tr_fast_ceil_div(j.total, j.block), 1, wino_blocks, &j);
}
