/* eltwise.cu — adapters of the elementwise ops (binary, scale, act, cast_u8,
 * lerp, scale_channels, demod_coefs, noise): each fills the op's parameter
 * struct (eltwise.cuh) and runs it with one thread per output element in a
 * grid-stride loop. v0 only: memory-bound, see eltwise.cuh.
 * Tested: tests/emu_ops.cu (host, against the CPU kernels), tests/gpu_ops.c. */
#include "eltwise.cuh"
#include "ops.cuh"

template <typename P> __global__ void tr_elem_kernel(P p, int64_t n) {
    TR_GRID_LOOP(i, n) p.run(i);
}

/* Launches p over n elements on the node's stream. */
template <typename P>
static tryon_status run_elem(const tr_exec *ex, const tr_node *n, const P &p, int64_t count) {
    cudaStream_t s = tr_cuda_stream(ex);
    tr_elem_kernel<<<tr_blocks(count, 256), 256, 0, s>>>(p, count);
    tr_cuda_note_variant(ex, n, 0);
    TR_CUDA_CHECK_LAUNCH(ex->ctx, s);
    return TRYON_OK;
}

/* Only v0 exists for these ops: a forced other variant is an error. */
static tryon_status only_v0(const tr_exec *ex, const tr_node *n) {
    int32_t v = tr_cuda_forced(ex, n);
    return v > 0 ? tr_cuda_bad_variant(ex, n, v) : TRYON_OK;
}

static void shape4(const tr_tensor *t, int64_t s[4]) {
    for (int32_t i = 0; i < 4; i++) s[i] = 1;
    for (int32_t i = 0; i < t->ndim; i++) s[4 - t->ndim + i] = t->shape[i];
}

static int64_t numel_of(const tr_exec *ex, int32_t t) { return tr_tensor_numel(&ex->g->tensors[t]); }

template <typename T> static tryon_status binary_t(const tr_exec *ex, const tr_node *n) {
    tr_binary_p<T> p;
    int64_t as[4], bs[4];
    shape4(&ex->g->tensors[n->src[0]], as);
    shape4(&ex->g->tensors[n->src[1]], bs);
    shape4(&ex->g->tensors[n->dst], p.ys);
    tr_bstrides(as, p.ys, p.sa);
    tr_bstrides(bs, p.ys, p.sb);
    p.op = n->p.binary;
    p.a = tr_cuda_in<T>(ex, n->src[0]);
    p.b = tr_cuda_in<T>(ex, n->src[1]);
    p.y = tr_cuda_out<T>(ex, n->dst);
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(binary) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return binary_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status scale_t(const tr_exec *ex, const tr_node *n) {
    tr_scale_p<T> p = {tr_cuda_in<T>(ex, n->src[0]), tr_cuda_out<T>(ex, n->dst), n->p.scale.scale,
                       n->p.scale.bias};
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(scale) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return scale_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status act_t(const tr_exec *ex, const tr_node *n) {
    tr_act_p<T> p = {tr_cuda_in<T>(ex, n->src[0]), tr_cuda_out<T>(ex, n->dst), n->p.act};
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(act) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return act_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status cast_u8_t(const tr_exec *ex, const tr_node *n) {
    tr_cast_u8_p<T> p = {(const uint8_t *)tr_cuda_ptr(ex, n->src[0]), tr_cuda_out<T>(ex, n->dst),
                         n->p.scale.scale, n->p.scale.bias};
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(cast_u8) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return cast_u8_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status lerp_t(const tr_exec *ex, const tr_node *n) {
    tr_lerp_p<T> p;
    int64_t as[4], bs[4], ts[4];
    shape4(&ex->g->tensors[n->src[0]], as);
    shape4(&ex->g->tensors[n->src[1]], bs);
    shape4(&ex->g->tensors[n->src[2]], ts);
    shape4(&ex->g->tensors[n->dst], p.ys);
    tr_bstrides(as, p.ys, p.sa);
    tr_bstrides(bs, p.ys, p.sb);
    tr_bstrides(ts, p.ys, p.st);
    p.a = tr_cuda_in<T>(ex, n->src[0]);
    p.b = tr_cuda_in<T>(ex, n->src[1]);
    p.t = tr_cuda_in<T>(ex, n->src[2]);
    p.y = tr_cuda_out<T>(ex, n->dst);
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(lerp) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return lerp_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status schan_t(const tr_exec *ex, const tr_node *n) {
    tr_schan_p<T> p;
    p.d = n->p.schan;
    p.x = tr_cuda_in<T>(ex, n->src[0]);
    p.scale = tr_cuda_in<T>(ex, n->src[1]);
    p.add = tr_cuda_in<T>(ex, n->src[2]);
    p.bias = tr_cuda_in<T>(ex, n->src[3]);
    p.y = tr_cuda_out<T>(ex, n->dst);
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(scale_channels) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return schan_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status demod_t(const tr_exec *ex, const tr_node *n) {
    tr_demod_p<T> p = {n->p.demod, tr_cuda_in<T>(ex, n->src[0]), tr_cuda_in<T>(ex, n->src[1]),
                       tr_cuda_out<T>(ex, n->dst)};
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(demod) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return demod_t<T>(ex, n));
    return TRYON_OK;
}

template <typename T> static tryon_status noise_t(const tr_exec *ex, const tr_node *n) {
    tr_noise_p<T> p = {n->p.noise, (const int32_t *)tr_cuda_ptr(ex, n->src[0]),
                       tr_cuda_in<T>(ex, n->src[1]), tr_cuda_out<T>(ex, n->dst)};
    return run_elem(ex, n, p, numel_of(ex, n->dst));
}

TR_CUDA_OP_DECL(noise) {
    TR_TRY(only_v0(ex, n));
    TR_DISPATCH_STORAGE(ex->act_dtype, T, return noise_t<T>(ex, n));
    return TRYON_OK;
}
