/* movement.cu — adapters of concat, permute, slice and reshape: thread per
 * output element over raw 1-, 2- or 4-byte elements (movement.cuh); reshape
 * is one device-to-device copy. v0 only: memory-bound.
 * Tested: tests/emu_ops.cu (host), tests/gpu_ops.c. */
#include <string.h>

#include "movement.cuh"
#include "ops.cuh"

template <typename P> __global__ void tr_move_kernel(P p, int64_t n) {
    TR_GRID_LOOP(i, n) p.run(i);
}

template <typename P>
static tryon_status run_move(const tr_exec *ex, const tr_node *n, const P &p, int64_t count) {
    cudaStream_t s = tr_cuda_stream(ex);
    tr_move_kernel<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

static tryon_status check_v0(const tr_exec *ex, const tr_node *n) {
    int32_t v = tr_cuda_forced(ex, n);
    return v > 0 ? tr_cuda_bad_variant(ex, n, v) : TRYON_OK;
}

/* Runs the statement with E bound to the raw element type of `size` bytes. */
#define TR_DISPATCH_ELEM(size, E, ...)                                                    \
    do {                                                                                  \
        switch (size) {                                                                   \
        case 1: { typedef uint8_t E; __VA_ARGS__; } break;                                \
        case 2: { typedef uint16_t E; __VA_ARGS__; } break;                               \
        default: { typedef uint32_t E; __VA_ARGS__; } break;                              \
        }                                                                                 \
    } while (0)

template <typename E> static tryon_status concat_t(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *y = &ex->g->tensors[n->dst];
    int32_t axis = n->p.concat.axis;
    tr_concat_p<E> p;
    memset(&p, 0, sizeof p);
    int64_t outer = 1;
    p.inner = 1;
    for (int32_t i = 0; i < axis; i++) outer *= y->shape[i];
    for (int32_t i = axis + 1; i < y->ndim; i++) p.inner *= y->shape[i];
    p.n_in = n->n_src;
    p.total = y->shape[axis];
    for (int32_t i = 0; i < n->n_src; i++) {
        p.in[i] = tr_cuda_in<E>(ex, n->src[i]);
        p.len[i] = ex->g->tensors[n->src[i]].shape[axis];
    }
    p.y = tr_cuda_out<E>(ex, n->dst);
    return run_move(ex, n, p, outer * p.total * p.inner);
}

TR_CUDA_OP_DECL(concat) {
    TR_TRY(check_v0(ex, n));
    TR_DISPATCH_ELEM(tr_cuda_elem_size(ex, n->dst), E, return concat_t<E>(ex, n));
    return TRYON_OK;
}

template <typename E> static tryon_status permute_t(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *x = &ex->g->tensors[n->src[0]];
    tr_permute_p<E> p;
    int64_t xst[4], acc = 1;
    for (int i = 3; i >= 0; i--) xst[i] = acc, acc *= x->shape[i];
    for (int i = 0; i < 4; i++) {
        p.ys[i] = x->shape[n->p.permute.perm[i]];
        p.st[i] = xst[n->p.permute.perm[i]];
    }
    p.x = tr_cuda_in<E>(ex, n->src[0]);
    p.y = tr_cuda_out<E>(ex, n->dst);
    return run_move(ex, n, p, p.ys[0] * p.ys[1] * p.ys[2] * p.ys[3]);
}

TR_CUDA_OP_DECL(permute) {
    TR_TRY(check_v0(ex, n));
    TR_DISPATCH_ELEM(tr_cuda_elem_size(ex, n->dst), E, return permute_t<E>(ex, n));
    return TRYON_OK;
}

template <typename E> static tryon_status slice_t(const tr_exec *ex, const tr_node *n) {
    const tr_tensor *x = &ex->g->tensors[n->src[0]];
    int32_t axis = n->p.slice.axis;
    tr_slice_p<E> p;
    int64_t outer = 1;
    p.inner = 1;
    for (int32_t i = 0; i < axis; i++) outer *= x->shape[i];
    for (int32_t i = axis + 1; i < x->ndim; i++) p.inner *= x->shape[i];
    p.len_in = x->shape[axis];
    p.len = n->p.slice.len;
    p.start = n->p.slice.start;
    p.x = tr_cuda_in<E>(ex, n->src[0]);
    p.y = tr_cuda_out<E>(ex, n->dst);
    return run_move(ex, n, p, outer * p.len * p.inner);
}

TR_CUDA_OP_DECL(slice) {
    TR_TRY(check_v0(ex, n));
    TR_DISPATCH_ELEM(tr_cuda_elem_size(ex, n->dst), E, return slice_t<E>(ex, n));
    return TRYON_OK;
}

TR_CUDA_OP_DECL(reshape) {
    TR_TRY(check_v0(ex, n));
    size_t bytes = (size_t)tr_tensor_numel(&ex->g->tensors[n->dst]) * tr_cuda_elem_size(ex, n->dst);
    cudaStream_t s = tr_cuda_stream(ex);
    TR_CUDA_TRY(ex->ctx, cudaMemcpyAsync(tr_cuda_ptr(ex, n->dst), tr_cuda_ptr(ex, n->src[0]), bytes,
                                         cudaMemcpyDeviceToDevice, s));
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}
