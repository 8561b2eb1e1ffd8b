/* fit.cu — fit_controls, body_proxy and shade_composite on CUDA (device code
 * and its equivalence with the CPU in fit.cuh). v0 only:
 *   fit_controls, body_proxy  one thread per pose (a few hundred flops each);
 *   shade_composite           per-row partial sums (thread per row), the
 *                             means (thread per image, rows in order), then
 *                             one thread per pixel.
 * These run every frame inside the fitting graph, between PoseNet and the
 * rasterizer: no stage returns to the host.
 * Tested: tests/emu_fit.cu (host), tests/gpu_fit.c. */
#include "fit.cuh"
#include "ops.cuh"

static tryon_status only_v0(const tr_exec *ex, const tr_node *n) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    tr_cuda_note_variant(ex, n, 0);
    return TRYON_OK;
}

__global__ void controls_kernel(tr_fit_controls_desc d, const float *poses, const float *anchors,
                                const float *placement, float *y) {
    TR_GRID_LOOP(n, d.n)
    tr_controls_one(&d, poses + n * d.p * 18 * 3, anchors, placement, y + n * TR_ANCHOR_ROWS * 5);
}

TR_CUDA_OP_DECL(fit_controls) {
    TR_TRY(only_v0(ex, n));
    const tr_fit_controls_desc &d = n->p.fit;
    cudaStream_t s = tr_cuda_stream(ex);
    controls_kernel<<<tr_blocks(d.n, 32), 32, 0, s>>>(
        d, tr_cuda_in<float>(ex, n->src[0]), tr_cuda_in<float>(ex, n->src[1]),
        tr_cuda_in<float>(ex, n->src[2]), tr_cuda_out<float>(ex, n->dst));
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

__global__ void proxy_kernel(tr_body_proxy_desc d, const float *poses, float *y) {
    TR_GRID_LOOP(n, d.n) tr_proxy_one(&d, poses + n * d.p * 18 * 3, y + n * TR_PROXY_VERTICES * 3);
}

TR_CUDA_OP_DECL(body_proxy) {
    TR_TRY(only_v0(ex, n));
    const tr_body_proxy_desc &d = n->p.proxy;
    cudaStream_t s = tr_cuda_stream(ex);
    proxy_kernel<<<tr_blocks(d.n, 32), 32, 0, s>>>(d, tr_cuda_in<float>(ex, n->src[0]),
                                                   tr_cuda_out<float>(ex, n->dst));
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

__global__ void comp_rows(tr_comp_p p, int64_t rows) { TR_GRID_LOOP(r, rows) p.row_sums(r); }
__global__ void comp_means(tr_comp_p p) { TR_GRID_LOOP(n, p.d.n) p.mean(n); }
__global__ void comp_pixels(tr_comp_p p, int64_t count) { TR_GRID_LOOP(i, count) p.pixel(i); }

TR_CUDA_OP_DECL(shade_composite) {
    TR_TRY(only_v0(ex, n));
    const tr_shade_composite_desc &d = n->p.comp;
    tr_comp_p p = {d,
                   tr_cuda_in<float>(ex, n->src[0]),
                   tr_cuda_in<float>(ex, n->src[1]),
                   tr_cuda_in<float>(ex, n->src[2]),
                   (double *)tr_exec_ws(ex, n),
                   (uint8_t *)tr_cuda_ptr(ex, n->dst)};
    const int64_t rows = (int64_t)d.n * d.h, count = rows * d.w;
    cudaStream_t s = tr_cuda_stream(ex);
    comp_rows<<<tr_blocks(rows, 128), 128, 0, s>>>(p, rows);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    comp_means<<<tr_blocks(d.n, 32), 32, 0, s>>>(p);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    comp_pixels<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}
