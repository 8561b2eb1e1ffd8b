/* garment_mask.cu — bg_mask, morph and mask_clean on CUDA (device code and
 * its equivalence with the CPU in garment_mask.cuh). v0 only:
 *   bg_mask     ALPHA: one thread per pixel. BORDER: one block of 256 threads
 *               per image ranks the border samples for the three channel
 *               medians and the noise median (O(border^2) comparisons: ~13M
 *               for a 384x512 texture, once per garment) and writes
 *               (bg, threshold) to the scratch; then one thread per pixel
 *               classifies.
 *   morph       two passes, one thread per output element; any storage
 *               (a FOLLOW op: min/max select, they do not round).
 *   mask_clean  per image, ten grid-wide passes over the pixels (union-find
 *               labelling of the foreground, sizes, the largest, union-find of
 *               the background, the border's roots, the output); the best key
 *               lives in the scratch.
 * Runs once per garment (tryon_garment_prepare), inside the preparation
 * graph: nothing returns to the host between the stages.
 * Tested: tests/emu_garment.cu (host), tests/gpu_fit.c. */
#include "garment_mask.cuh"
#include "ops.cuh"

#define BG_THREADS 256

template <typename P> __global__ void gm_elem(P p, int64_t count) {
    TR_GRID_LOOP(i, count) p.run(i);
}

static tryon_status only_v0(const tr_exec *ex, const tr_node *n) {
    int32_t v = tr_cuda_forced(ex, n);
    if (v > 0) return tr_cuda_bad_variant(ex, n, v);
    tr_cuda_note_variant(ex, n, 0);
    return TRYON_OK;
}

/* ---- bg_mask ------------------------------------------------------------------------- */

int64_t tr_cuda_bg_mask_scratch(const tr_bg_mask_desc *d) {
    return d->mode == TR_BG_MASK_BORDER ? (int64_t)d->n * 4 * (int64_t)sizeof(float) : 0;
}

/* Block n: the medians of image n's border, then (bg, threshold) to stats. */
__global__ void __launch_bounds__(BG_THREADS)
    bg_stats(tr_bg_mask_desc d, const float *x, float *stats) {
    __shared__ float med[4];
    const int32_t tid = threadIdx.x, nt = blockDim.x;
    tr_bg_sample s;
    s.d = d;
    s.x = x + (int64_t)blockIdx.x * d.h * d.w * d.c;
    for (s.c = 0; s.c < 3; s.c++) tr_bg_median_step(s, tid, nt, &med[s.c]);
    __syncthreads();
    s.c = -1;
    for (int c = 0; c < 3; c++) s.bg[c] = med[c];
    tr_bg_median_step(s, tid, nt, &med[3]);
    __syncthreads();
    if (tid == 0) {
        float *st = stats + (int64_t)blockIdx.x * 4;
        st[0] = med[0], st[1] = med[1], st[2] = med[2];
        st[3] = tr_bg_threshold(d, med[3]);
    }
}

TR_CUDA_OP_DECL(bg_mask) {
    TR_TRY(only_v0(ex, n));
    const tr_bg_mask_desc &d = n->p.bg_mask;
    cudaStream_t s = tr_cuda_stream(ex);
    tr_bg_classify_p p = {d, tr_cuda_in<float>(ex, n->src[0]), (const float *)tr_cuda_scratch(ex),
                          tr_cuda_out<float>(ex, n->dst)};
    if (d.mode == TR_BG_MASK_BORDER) {
        bg_stats<<<(unsigned)d.n, BG_THREADS, 0, s>>>(d, p.x, (float *)tr_cuda_scratch(ex));
        TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    }
    const int64_t count = (int64_t)d.n * d.h * d.w;
    gm_elem<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

/* ---- morph ----------------------------------------------------------------------------- */

template <typename T> static tryon_status morph_t(const tr_exec *ex, const tr_node *n) {
    const tr_morph_desc &d = n->p.morph;
    const int64_t count = (int64_t)d.n * d.h * d.w * d.c;
    T *mid = (T *)tr_exec_ws(ex, n); /* planned as N*H*W*C floats: T fits */
    tr_morph_p<T> h = {d, tr_cuda_in<T>(ex, n->src[0]), mid, 0};
    tr_morph_p<T> v = {d, mid, tr_cuda_out<T>(ex, n->dst), 1};
    cudaStream_t s = tr_cuda_stream(ex);
    gm_elem<<<tr_blocks(count, 256), 256, 0, s>>>(h, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    gm_elem<<<tr_blocks(count, 256), 256, 0, s>>>(v, count);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

TR_CUDA_OP_DECL(morph) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return morph_t<T>(ex, n));
    return TRYON_OK;
}

/* ---- mask_clean -------------------------------------------------------------------------- */

int64_t tr_cuda_mask_clean_scratch(const tr_mask_clean_desc *d) {
    (void)d;
    return (int64_t)sizeof(unsigned long long); /* the best key of the image in progress */
}

__global__ void mc_step(tr_mc_p c, int32_t step, int64_t hw) {
    TR_GRID_LOOP(p, hw) tr_mc_step(c, step, p);
}

TR_CUDA_OP_DECL(mask_clean) {
    TR_TRY(only_v0(ex, n));
    const tr_mask_clean_desc &d = n->p.mask_clean;
    const int64_t hw = (int64_t)d.h * d.w;
    cudaStream_t s = tr_cuda_stream(ex);
    tr_mc_p c;
    c.d = d;
    c.a = (int32_t *)tr_exec_ws(ex, n);
    c.b = c.a + hw;
    c.best = (unsigned long long *)tr_cuda_scratch(ex);
    /* One image at a time: they share the planned workspace, as on the CPU. */
    for (int32_t img = 0; img < d.n; img++) {
        c.m = tr_cuda_in<float>(ex, n->src[0]) + img * hw;
        c.y = tr_cuda_out<float>(ex, n->dst) + img * hw;
        for (int32_t step = 0; step < TR_MC_STEPS; step++) {
            mc_step<<<tr_blocks(hw, 256), 256, 0, s>>>(c, step, hw);
            TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
        }
    }
    return TRYON_OK;
}
