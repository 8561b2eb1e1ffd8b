/* garment_geom.cu — garment_anchors, sleeve_weight and garment_tri on CUDA
 * (device code and its equivalence with the CPU in garment_geom.cuh). v0
 * only:
 *   anchors  one thread per mask row writes its runs to the scratch, then one
 *            thread per image runs the sequential anchor scan over them;
 *   sleeve   one thread per point;
 *   tri      the cell table cleared, marked by one thread per pixel, then one
 *            thread per cell writes its triangles.
 * Tested: tests/emu_garment.cu (host), tests/gpu_fit.c. */
#include "garment_geom.cuh"
#include "ops.cuh"

template <typename P> __global__ void gg_elem(P p, int64_t count) {
    TR_GRID_LOOP(i, count) p.run(i);
}

static tryon_status only_v0(const tr_exec *ex, const tr_node *n) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    tr_cuda_note_variant(ex, n, 0);
    return TRYON_OK;
}

/* ---- anchors ------------------------------------------------------------------------- */

int64_t tr_cuda_anchors_scratch(const tr_garment_anchors_desc *d) {
    return (int64_t)d->n * d->h * TR_RUN_STRIDE * (int64_t)sizeof(tr_run);
}

/* Row r of N*H (the mask is (N*H, W) row-major). */
__global__ void anchor_runs(const float *mask, int32_t w, int64_t rows, tr_run *tab) {
    TR_GRID_LOOP(r, rows) tr_row_runs(mask + r * w, w, tab + r * TR_RUN_STRIDE);
}

__global__ void anchor_scan(tr_garment_anchors_desc d, const float *mask, const tr_run *tab,
                            float *anchors) {
    TR_GRID_LOOP(n, d.n) {
        tr_mask_runs v;
        v.m = mask + n * d.h * d.w;
        v.tab = tab + n * d.h * TR_RUN_STRIDE;
        v.h = d.h, v.w = d.w;
        tr_anchors_one(v, anchors + n * TR_ANCHOR_ROWS * 3);
    }
}

TR_CUDA_OP_DECL(garment_anchors) {
    TR_TRY(only_v0(ex, n));
    const tr_garment_anchors_desc &d = n->p.anchors;
    const float *mask = tr_cuda_in<float>(ex, n->src[0]);
    tr_run *tab = (tr_run *)tr_cuda_scratch(ex);
    cudaStream_t s = tr_cuda_stream(ex);
    const int64_t rows = (int64_t)d.n * d.h;
    anchor_runs<<<tr_blocks(rows, 128), 128, 0, s>>>(mask, d.w, rows, tab);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    anchor_scan<<<tr_blocks(d.n, 32), 32, 0, s>>>(d, mask, tab, tr_cuda_out<float>(ex, n->dst));
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

/* ---- sleeve weights --------------------------------------------------------------------- */

TR_CUDA_OP_DECL(sleeve_weight) {
    TR_TRY(only_v0(ex, n));
    const tr_sleeve_weight_desc &d = n->p.sleeve;
    tr_sleeve_p p = {d, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_in<float>(ex, n->src[1]),
                     tr_cuda_out<float>(ex, n->dst)};
    const int64_t count = (int64_t)d.n * d.v;
    cudaStream_t s = tr_cuda_stream(ex);
    gg_elem<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

/* ---- mesh triangles ----------------------------------------------------------------------- */

__global__ void tri_clear(uint8_t *cell, int64_t count) { TR_GRID_LOOP(i, count) cell[i] = 0; }
__global__ void tri_mark(tr_tri_p p, int64_t count) { TR_GRID_LOOP(i, count) p.mark(i); }
__global__ void tri_write(tr_tri_p p, int64_t count) { TR_GRID_LOOP(i, count) p.write(i); }

TR_CUDA_OP_DECL(garment_tri) {
    TR_TRY(only_v0(ex, n));
    const tr_garment_tri_desc &d = n->p.gtri;
    tr_tri_p p = {d, tr_cuda_in<float>(ex, n->src[0]), (uint8_t *)tr_exec_ws(ex, n),
                  (int32_t *)tr_cuda_ptr(ex, n->dst)};
    const int64_t cells = (int64_t)d.gx * d.gy, pixels = (int64_t)d.h * d.w;
    cudaStream_t s = tr_cuda_stream(ex);
    tri_clear<<<tr_blocks(cells, 256), 256, 0, s>>>(p.cell, cells);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    tri_mark<<<tr_blocks(pixels, 256), 256, 0, s>>>(p, pixels);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    tri_write<<<tr_blocks(cells, 256), 256, 0, s>>>(p, cells);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}
