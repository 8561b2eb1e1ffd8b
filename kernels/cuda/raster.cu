/* raster.cu — rasterize, raster_coverage, interpolate and texture on CUDA
 * (raster.cuh).
 *   rasterize / coverage v0     thread per pixel, every triangle set up in
 *                               every thread (the reference)
 *   rasterize / coverage tiled  one thread per triangle sets it up once into
 *                               the scratch; a block per 16x16 tile takes the
 *                               triangles 256 at a time, keeps those whose box
 *                               meets the tile (ordered compaction by warp
 *                               ballots), and each pixel thread walks that
 *                               list in index order (the default; v0 when the
 *                               setups would need over 256 MiB)
 *   interpolate, texture        thread per output element
 * Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include "ops.cuh"
#include "raster.cuh"

#define TILE 16
#define TILE_THREADS (TILE * TILE)
#define MAX_SETUP_BYTES ((int64_t)256 << 20)

int64_t tr_cuda_raster_scratch(const tr_raster_desc *d) {
    int64_t bytes = (int64_t)d->n * d->t * (int64_t)sizeof(tr_tri);
    return bytes <= MAX_SETUP_BYTES ? bytes : 0;
}

__global__ void raster_v0(tr_raster_desc d, const float *pos, const int32_t *tri, float *out,
                          int coverage) {
    TR_GRID_LOOP(item, (int64_t)d.n * d.h * d.w) {
        if (coverage)
            tr_coverage_v0(d, pos, tri, out, item);
        else
            tr_raster_v0(d, pos, tri, out, item);
    }
}

/* Setups of triangles [t0, t0 + tc) of every image: out[n * tc + t - t0]. */
__global__ void raster_setup(tr_raster_desc d, const float *pos, const int32_t *tri, int64_t t0,
                             int64_t tc, tr_tri *out) {
    TR_GRID_LOOP(i, (int64_t)d.n * tc) {
        int64_t n = i / tc;
        tr_tri_setup(d, pos + n * d.v * d.p, tri, t0 + i % tc, &out[i]);
    }
}

/* Block = one 16x16 tile of one image, thread = one pixel. */
__global__ void __launch_bounds__(TILE_THREADS)
    raster_tiled(tr_raster_desc d, const tr_tri *setups, int64_t t0, int64_t tc, int coverage,
                 float *out) {
    __shared__ int32_t list[TILE_THREADS];
    __shared__ int32_t warp_count[TILE_THREADS / 32];
    const int32_t tiles_x = (d.w + TILE - 1) / TILE, tiles_y = (d.h + TILE - 1) / TILE;
    const int64_t n = blockIdx.x / ((int64_t)tiles_x * tiles_y);
    const int32_t tile = (int32_t)(blockIdx.x % ((int64_t)tiles_x * tiles_y));
    const int32_t x0 = tile % tiles_x * TILE, y0 = tile / tiles_x * TILE;
    const int32_t x1 = x0 + TILE < d.w ? x0 + TILE : d.w, y1 = y0 + TILE < d.h ? y0 + TILE : d.h;
    const int32_t tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const int64_t j = x0 + tid % TILE, i = y0 + tid / TILE;
    const int in_image = j < x1 && i < y1;
    const tr_tri *sn = setups + n * tc;
    float px[4];
    tr_raster_px_init(px);
    uint32_t mask = 0;
    for (int64_t c0 = 0; c0 < tc; c0 += TILE_THREADS) {
        const int64_t t = c0 + tid;
        const int keep = t < tc && tr_tri_meets(sn[t], x0, x1, y0, y1);
        const unsigned ballot = __ballot_sync(0xffffffffu, keep);
        if (lane == 0) warp_count[warp] = __popc(ballot);
        __syncthreads();
        int32_t base = 0, total = 0;
        for (int32_t w = 0; w < TILE_THREADS / 32; w++) {
            if (w < warp) base += warp_count[w];
            total += warp_count[w];
        }
        if (keep) list[base + __popc(ballot & ((1u << lane) - 1u))] = (int32_t)(t - c0);
        __syncthreads();
        if (in_image) {
            for (int32_t q = 0; q < total; q++) {
                const int64_t tt = c0 + list[q];
                if (coverage)
                    mask |= tr_cov_mask(sn[tt], d.samples, j, i);
                else
                    tr_raster_step(sn[tt], t0 + tt, j, i, px);
            }
        }
        __syncthreads(); /* the list is rewritten by the next batch */
    }
    if (!in_image) return;
    const int64_t item = (n * d.h + i) * d.w + j;
    if (coverage)
        out[item] = tr_cov_value(mask, d.samples);
    else
        tr_raster_px_write(px, out + item * 4);
}

static tryon_status raster_common(const tr_exec *ex, const tr_node *n, int coverage) {
    const tr_raster_desc &d = n->p.raster;
    const float *pos = tr_cuda_in<float>(ex, n->src[0]);
    const int32_t *tri = (const int32_t *)tr_cuda_ptr(ex, n->src[1]);
    float *out = tr_cuda_out<float>(ex, n->dst);
    const int tiled_ok = tr_cuda_raster_scratch(&d) > 0;
    int32_t v = tr_cuda_forced(ex, n);
    if (v < 0) v = tiled_ok ? TR_RASTER_TILED : TR_RASTER_V0;
    if (v > TR_RASTER_TILED || (v == TR_RASTER_TILED && !tiled_ok))
        return tr_cuda_bad_variant(ex, n, v);
    tr_cuda_note_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    if (v == TR_RASTER_V0) {
        raster_v0<<<tr_blocks((int64_t)d.n * d.h * d.w, 128), 128, 0, s>>>(d, pos, tri, out,
                                                                           coverage);
        TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
        return TRYON_OK;
    }
    const int64_t t0 = coverage ? d.first : 0, tc = coverage ? d.count : d.t;
    tr_tri *setups = (tr_tri *)tr_cuda_scratch(ex);
    raster_setup<<<tr_blocks((int64_t)d.n * tc, 128), 128, 0, s>>>(d, pos, tri, t0, tc, setups);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    const int64_t tiles = (int64_t)d.n * ((d.w + TILE - 1) / TILE) * ((d.h + TILE - 1) / TILE);
    raster_tiled<<<(unsigned)tiles, TILE_THREADS, 0, s>>>(d, setups, t0, tc, coverage, out);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(rasterize) { return raster_common(ex, n, 0); }
TR_CUDA_OP_DECL(raster_coverage) { return raster_common(ex, n, 1); }

template <typename P> __global__ void raster_elem(P p, int64_t count) {
    TR_GRID_LOOP(i, count) p.run(i);
}

template <typename P>
static tryon_status run_elem(const tr_exec *ex, const tr_node *n, const P &p, int64_t count) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    cudaStream_t s = tr_cuda_stream(ex);
    raster_elem<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(interpolate) {
    tr_interp_p p = {n->p.interp, tr_cuda_in<float>(ex, n->src[0]),
                     tr_cuda_in<float>(ex, n->src[1]),
                     (const int32_t *)tr_cuda_ptr(ex, n->src[2]), tr_cuda_out<float>(ex, n->dst)};
    return run_elem(ex, n, p, tr_tensor_numel(&ex->g->tensors[n->dst]));
}

TR_CUDA_OP_DECL(texture) {
    tr_tex_p p = {n->p.tex, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_in<float>(ex, n->src[1]),
                  tr_cuda_out<float>(ex, n->dst)};
    return run_elem(ex, n, p, tr_tensor_numel(&ex->g->tensors[n->dst]));
}
