/* backend.cu — the CUDA executor behind tryon_model on a CUDA context.
 *
 * Storage precision. With cuda_precision F16 or BF16, every F32 tensor is
 * stored in that type unless the ops around it need F32. Each op belongs to a
 * storage class:
 *   HALF    runs in the context's precision (convolutions, norms, elementwise);
 *   F32     always works in F32: the warping, TPS, rasterization and PoseNet
 *           decoding ops, whose coordinates, triangle ids and keypoint positions
 *           would lose whole pixels in 16 bits;
 *   FOLLOW  data movement (concat, permute, slice, reshape) and morphology
 *           (min/max: a selection, exact in any type) copy their first float
 *           operand's storage.
 * The try-on ops other than morphology are F32 too: masks and their
 * statistics (the border median, the noise threshold), anchors, sleeve
 * weights, triangle ids, control points, body proxy vertices and the
 * composite's mean and shading factor are coordinates or decide them. A
 * node built under tr_graph_keep_f32 (graph.h) is F32 whatever its op: the
 * try-on graphs (nets/garment.c, nets/fit.c) keep their geometry and the
 * composite's inputs in F32 that way, since a half-precision mesh vertex at
 * x = 1000 is off by up to 0.25 px in F16 and 2 px in BF16.
 * A node's domain is the storage its float operands are read and written in.
 * A tensor's primary storage is its producer's domain (inputs and weights:
 * the context's precision if a HALF node reads them, else F32). Where a
 * node reads a tensor of the other domain, or the host reads or writes a model
 * input or output whose primary storage is not F32, the tensor also has a copy
 * in the other type (xbuf, one slot each, no reuse): converted right after its
 * producer runs, at the start of the run for inputs (the host writes the F32
 * copy), and at upload for weights. The host plan's arena offsets and sizes
 * are kept (a half tensor uses the first half of its slot), so the device
 * arena has exactly the host plan's layout. With F32 precision there are no
 * copies at all.
 *
 * Memory: a model makes two device allocations, at creation: one buffer for
 * every parameter (each CONST/EXTERN tensor in its storage types, 256-byte
 * aligned) and one holding the activation arena, the copies and the scratch
 * (the largest per-node need: rasterizer triangle setups, cuDNN workspace).
 *
 * Run: the first run captures every node's adapter launch (and the storage
 * conversions) on the context's stream into a CUDA graph and instantiates it;
 * every run then is a single cudaGraphLaunch — no allocation, no host
 * synchronisation. Copies out (tryon_model_get_output) wait for the stream.
 * With cuda_sync_after_launch (debugging) nodes run eagerly with a
 * synchronisation after each launch instead, so an asynchronous fault is
 * blamed on its kernel.
 *
 * Errors: a sticky device error (illegal address, launch failure...) poisons
 * the context: every later call returns TRYON_ERR_DEVICE_LOST.
 * Tested: tests/gpu_*.c (SKIP without a device). */
#include <string.h>

#include "ops.cuh"

extern "C" {
#include "half.h"
}

/* Sticky errors leave the context unusable (CUDA's own rule); say so once. */
static tryon_status check_sticky(tryon_ctx *ctx, cudaError_t e, const char *what) {
    if (e == cudaSuccess) return TRYON_OK;
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    int sticky = e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure ||
                 e == cudaErrorIllegalInstruction || e == cudaErrorMisalignedAddress ||
                 e == cudaErrorHardwareStackError || e == cudaErrorAssert;
    (void)cudaGetLastError();
    if (sticky && st) st->poisoned = 1;
    return TR_FAIL(ctx, sticky ? TRYON_ERR_DEVICE_LOST : TRYON_ERR_CUDA, "%s: %s", what,
                   cudaGetErrorString(e));
}

static tryon_status check_alive(tryon_ctx *ctx) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    if (!st) return TR_FAIL(ctx, TRYON_ERR_NO_DEVICE, "context has no CUDA device");
    if (st->poisoned)
        return TR_FAIL(ctx, TRYON_ERR_DEVICE_LOST,
                       "an earlier device error poisoned this context; create a new one");
    return TRYON_OK;
}

extern "C" tryon_status tr_cuda_ctx_init(tryon_ctx *ctx) {
    tr_cuda_state *st = (tr_cuda_state *)tr_mem_calloc(ctx, 1, sizeof *st);
    if (!st) return TRYON_ERR_NOMEM;
    memset(st->force, -1, sizeof st->force);
    cudaError_t e = cudaGetDevice(&st->device);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
        tr_mem_free(st);
        (void)cudaGetLastError();
        return TR_FAIL(ctx, TRYON_ERR_CUDA, "cannot create a CUDA stream: %s",
                       cudaGetErrorString(e));
    }
    ctx->cuda = st;
    return TRYON_OK;
}

extern "C" void tr_cuda_ctx_free(tryon_ctx *ctx) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    if (!st) return;
    tr_cuda_vendor_ctx_free(st);
    cudaStreamDestroy(st->stream);
    tr_mem_free(st);
    ctx->cuda = NULL;
}

extern "C" void tr_cuda_force_variant(tryon_ctx *ctx, int32_t op, int32_t v) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    if (st && op >= 0 && op < TR_OP_COUNT) st->force[op] = (int8_t)(v < 0 ? -1 : v);
}

/* ---- storage domains -------------------------------------------------------- */

enum { CLASS_HALF, CLASS_F32, CLASS_FOLLOW };

static int op_class(tr_op op) {
    switch (op) {
    case TR_OP_POSENET_DECODE:
    case TR_OP_GRID_SAMPLE:
    case TR_OP_AFFINE_GRID:
    case TR_OP_TPS_FIT:
    case TR_OP_TPS_GRID:
    case TR_OP_TPS_TRANSFORM:
    case TR_OP_RASTERIZE:
    case TR_OP_RASTER_COVERAGE:
    case TR_OP_INTERPOLATE:
    case TR_OP_TEXTURE:
    /* Try-on (see the file comment): masks, anchors, weights, triangle ids,
     * control points, proxy vertices, the composite. */
    case TR_OP_BG_MASK:
    case TR_OP_MASK_CLEAN:
    case TR_OP_GARMENT_ANCHORS:
    case TR_OP_SLEEVE_WEIGHT:
    case TR_OP_GARMENT_TRI:
    case TR_OP_FIT_CONTROLS:
    case TR_OP_BODY_PROXY:
    case TR_OP_SHADE_COMPOSITE: return CLASS_F32;
    case TR_OP_CONCAT:
    case TR_OP_PERMUTE:
    case TR_OP_SLICE:
    case TR_OP_RESHAPE:
    case TR_OP_MORPH: return CLASS_FOLLOW;
    default: return CLASS_HALF;
    }
}

/* A node's class: its op's, or F32 when it was built under tr_graph_keep_f32. */
static int node_class(const tr_node *n) { return n->keep_f32 ? CLASS_F32 : op_class(n->op); }

static int is_f32(const tr_graph *g, int32_t t) { return g->tensors[t].dtype == TRYON_DTYPE_F32; }

/* The storage plan (see the file comment): store (n_tensors) primary storage
 * dtypes, domain (n_nodes) storage of each node's float operands, xoff
 * (n_tensors) offsets of the copies in the other type (-1: none), *xbytes
 * their total. Host only: tests/emu_backend.cu runs it without a GPU. */
extern "C" void tr_cuda_plan_storage(const tr_graph *g, tryon_dtype act, uint8_t *store,
                                     uint8_t *domain, int64_t *xoff, int64_t *xbytes) {
    for (int32_t t = 0; t < g->n_tensors; t++) {
        store[t] = (uint8_t)g->tensors[t].dtype;
        xoff[t] = -1;
    }
    *xbytes = 0;
    if (act == TRYON_DTYPE_F32) {
        for (int32_t i = 0; i < g->n_nodes; i++) domain[i] = TRYON_DTYPE_F32;
        return;
    }
    /* Tensors nobody computes: reduced storage if a HALF node reads them. */
    for (int32_t t = 0; t < g->n_tensors; t++)
        if (is_f32(g, t) && g->tensors[t].producer < 0) store[t] = TRYON_DTYPE_F32;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[i];
        if (node_class(n) != CLASS_HALF) continue;
        for (int32_t s = 0; s < n->n_src; s++)
            if (n->src[s] >= 0 && is_f32(g, n->src[s]) && g->tensors[n->src[s]].producer < 0)
                store[n->src[s]] = (uint8_t)act;
    }
    /* Nodes in execution order: every operand's primary storage is known. */
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[i];
        int c = node_class(n);
        tryon_dtype d = c == CLASS_F32 ? TRYON_DTYPE_F32 : act;
        if (c == CLASS_FOLLOW)
            for (int32_t s = 0; s < n->n_src; s++)
                if (n->src[s] >= 0 && is_f32(g, n->src[s])) {
                    d = (tryon_dtype)store[n->src[s]];
                    break;
                }
        domain[i] = (uint8_t)d;
        if (is_f32(g, n->dst)) store[n->dst] = (uint8_t)d;
    }
    /* Copies: operands of the other domain, and host-visible tensors not in F32. */
    int64_t off = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        if (!is_f32(g, t)) continue;
        const tr_tensor *tt = &g->tensors[t];
        int need = (tt->flags & (TR_TENSOR_INPUT | TR_TENSOR_OUTPUT)) && store[t] != TRYON_DTYPE_F32;
        for (int32_t i = 0; i < g->n_nodes && !need; i++)
            for (int32_t s = 0; s < g->nodes[i].n_src; s++)
                if (g->nodes[i].src[s] == t && domain[i] != store[t]) need = 1;
        if (!need) continue;
        tryon_dtype other = store[t] == TRYON_DTYPE_F32 ? act : TRYON_DTYPE_F32;
        xoff[t] = off;
        off = tr_align_up(off + tr_tensor_numel(tt) * (int64_t)tryon_dtype_size(other), 256);
    }
    *xbytes = off;
}

static tryon_dtype other_of(const tr_cuda_model *m, int32_t t) {
    return m->store[t] == TRYON_DTYPE_F32 ? m->act : TRYON_DTYPE_F32;
}

/* ---- creation ---------------------------------------------------------------- */

static int64_t node_scratch(const tr_graph *g, const tr_node *n) {
    (void)g;
    switch (n->op) {
    case TR_OP_RASTERIZE:
    case TR_OP_RASTER_COVERAGE: return tr_cuda_raster_scratch(&n->p.raster);
    case TR_OP_INSTANCE_NORM: return tr_cuda_inorm_scratch(&n->p.inorm);
    case TR_OP_TPS_FIT: return tr_cuda_tps_fit_scratch(&n->p.tps_fit);
    case TR_OP_BG_MASK: return tr_cuda_bg_mask_scratch(&n->p.bg_mask);
    case TR_OP_MASK_CLEAN: return tr_cuda_mask_clean_scratch(&n->p.mask_clean);
    case TR_OP_GARMENT_ANCHORS: return tr_cuda_anchors_scratch(&n->p.anchors);
    default: return 0;
    }
}

static tryon_status device_alloc(tryon_ctx *ctx, void **p, int64_t bytes, const char *what) {
    tr_cuda_state *st = (tr_cuda_state *)ctx->cuda;
    cudaError_t e = cudaMalloc(p, (size_t)(bytes > 0 ? bytes : 256));
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        *p = NULL;
        return TR_FAIL(ctx, TRYON_ERR_NOMEM, "device allocation of %lld bytes (%s) failed: %s",
                       (long long)bytes, what, cudaGetErrorString(e));
    }
    st->n_device_allocs++;
    return TRYON_OK;
}

/* Host f32 -> storage type dt (round to nearest even), into tmp. */
static const void *to_storage(const float *src, int64_t n, tryon_dtype dt, uint16_t *tmp) {
    if (dt == TRYON_DTYPE_F32) return src;
    for (int64_t i = 0; i < n; i++)
        tmp[i] = dt == TRYON_DTYPE_F16 ? tr_f32_to_f16(src[i]) : tr_f32_to_bf16(src[i]);
    return tmp;
}

/* Lays out and uploads every CONST/EXTERN tensor in its primary storage, and
 * its copy when a node of the other domain reads it. */
static tryon_status upload_params(tr_cuda_model *m) {
    const tr_graph *g = m->g;
    tryon_ctx *ctx = m->ctx;
    int64_t size = 0, max_numel = 0;
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem == TR_MEM_ARENA) continue;
        m->param_off[t] = size;
        size = tr_align_up(size + tr_tensor_numel(tt) * (int64_t)tryon_dtype_size(
                                      (tryon_dtype)m->store[t]), 256);
        if (is_f32(g, t) && tr_tensor_numel(tt) > max_numel) max_numel = tr_tensor_numel(tt);
    }
    m->params_bytes = size;
    TR_TRY(device_alloc(ctx, (void **)&m->params, size, "parameters"));
    uint16_t *tmp = NULL;
    if (m->act != TRYON_DTYPE_F32 && max_numel > 0) {
        tmp = (uint16_t *)tr_mem_alloc(ctx, (size_t)max_numel * sizeof *tmp);
        if (!tmp) return TRYON_ERR_NOMEM;
    }
    tryon_status st = TRYON_OK;
    for (int32_t t = 0; t < g->n_tensors && st == TRYON_OK; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem == TR_MEM_ARENA) continue;
        const void *src = tr_graph_const_data(g, t);
        int64_t numel = tr_tensor_numel(tt);
        if (!is_f32(g, t)) {
            st = check_sticky(ctx, cudaMemcpy(m->params + m->param_off[t], src,
                                              (size_t)tr_tensor_bytes(tt), cudaMemcpyHostToDevice),
                              "upload weights");
            continue;
        }
        tryon_dtype pd = (tryon_dtype)m->store[t];
        const void *p = to_storage((const float *)src, numel, pd, tmp);
        st = check_sticky(ctx, cudaMemcpy(m->params + m->param_off[t], p,
                                          (size_t)numel * tryon_dtype_size(pd),
                                          cudaMemcpyHostToDevice),
                          "upload weights");
        if (st != TRYON_OK || m->xoff[t] < 0) continue;
        tryon_dtype od = other_of(m, t);
        p = to_storage((const float *)src, numel, od, tmp);
        st = check_sticky(ctx, cudaMemcpy(m->xbuf + m->xoff[t], p,
                                          (size_t)numel * tryon_dtype_size(od),
                                          cudaMemcpyHostToDevice),
                          "upload weight copies");
    }
    tr_mem_free(tmp);
    return st;
}

extern "C" void tr_cuda_model_free(tr_cuda_model *m) {
    if (!m) return;
    /* A run may still be in flight: its buffers must outlive it. */
    if (m->ctx->cuda) (void)cudaStreamSynchronize(((tr_cuda_state *)m->ctx->cuda)->stream);
    (void)cudaGetLastError();
    if (m->exec) cudaGraphExecDestroy(m->exec);
    if (m->graph) cudaGraphDestroy(m->graph);
    tr_cuda_vendor_release(m);
    cudaFree(m->params);
    cudaFree(m->arena); /* the arena, xbuf and scratch are one allocation */
    tr_mem_free(m->param_off);
    tr_mem_free(m->xoff);
    tr_mem_free(m->store);
    tr_mem_free(m->domain);
    tr_mem_free(m->variant);
    tr_mem_free(m->vnode);
    tr_mem_free(m);
}

extern "C" tryon_status tr_cuda_model_create(tryon_ctx *ctx, const tr_graph *g,
                                             tr_cuda_model **out) {
    *out = NULL;
    TR_TRY(check_alive(ctx));
    TR_ASSERT(g->planned);
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (!tr_op_table[g->nodes[i].op].cuda)
            return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "op %s (node '%s') has no CUDA kernel yet",
                           tr_op_table[g->nodes[i].op].name, g->nodes[i].name);
    tryon_status st = TRYON_OK;
    tr_cuda_model *m = (tr_cuda_model *)tr_mem_calloc(ctx, 1, sizeof *m);
    if (!m) return TRYON_ERR_NOMEM;
    m->ctx = ctx;
    m->g = g;
    m->act = (tryon_dtype)ctx->params.cuda_precision;
    size_t nt = (size_t)g->n_tensors + 1, nn = (size_t)g->n_nodes + 1;
    m->param_off = (int64_t *)tr_mem_calloc(ctx, nt, sizeof *m->param_off);
    m->xoff = (int64_t *)tr_mem_calloc(ctx, nt, sizeof *m->xoff);
    m->store = (uint8_t *)tr_mem_calloc(ctx, nt, 1);
    m->domain = (uint8_t *)tr_mem_calloc(ctx, nn, 1);
    m->variant = (int8_t *)tr_mem_calloc(ctx, nn, 1);
    m->vnode = (void **)tr_mem_calloc(ctx, nn, sizeof *m->vnode);
    if (!m->param_off || !m->xoff || !m->store || !m->domain || !m->variant || !m->vnode) {
        tr_cuda_model_free(m);
        return TRYON_ERR_NOMEM;
    }
    memset(m->variant, -1, nn);
    tr_cuda_plan_storage(g, m->act, m->store, m->domain, m->xoff, &m->xbuf_bytes);

    int64_t scratch = 0, vendor_ws = 0;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        int64_t s = node_scratch(g, &g->nodes[i]);
        if (s > scratch) scratch = s;
    }
    if (ctx->params.kernels == TRYON_KERNELS_VENDOR) {
        TR_CHECK(tr_cuda_vendor_prepare(m, &vendor_ws));
        if (vendor_ws > scratch) scratch = vendor_ws;
    }
    m->scratch_bytes = scratch;
    {
        /* One allocation: arena | copies | scratch, each 256-aligned. */
        int64_t arena = tr_align_up(g->arena_bytes, 256);
        int64_t xbuf = tr_align_up(m->xbuf_bytes, 256);
        TR_CHECK(device_alloc(ctx, (void **)&m->arena, arena + xbuf + scratch, "activations"));
        m->xbuf = m->arena + arena;
        m->scratch = scratch > 0 ? m->xbuf + xbuf : NULL;
        /* Zeroed once so that a never-written input reads as zeros, as on the host. */
        TR_CHECK(check_sticky(ctx, cudaMemset(m->arena, 0, (size_t)(arena + xbuf)),
                              "clear arena"));
    }
    TR_CHECK(upload_params(m));
    *out = m;
    return TRYON_OK;
fail:
    tr_cuda_model_free(m);
    return st;
}

/* ---- run ---------------------------------------------------------------------- */

static tryon_status convert_copy(tr_cuda_model *m, int32_t t, int to_copy, cudaStream_t s) {
    const tr_graph *g = m->g;
    tr_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.g = g;
    ex.arena = m->arena;
    ex.params = m->params;
    ex.param_off = m->param_off;
    uint8_t *home = (uint8_t *)tr_exec_ptr(&ex, t), *copy = m->xbuf + m->xoff[t];
    tryon_dtype hd = (tryon_dtype)m->store[t], cd = other_of(m, t);
    int64_t n = tr_tensor_numel(&g->tensors[t]);
    cudaError_t e = to_copy ? tr_cuda_convert(s, home, hd, copy, cd, n)
                            : tr_cuda_convert(s, copy, cd, home, hd, n);
    if (e != cudaSuccess) return check_sticky(m->ctx, e, "storage conversion");
    return TRYON_OK;
}

/* Launches every node on the stream (inside a capture, or eagerly). */
static tryon_status launch_all(tr_cuda_model *m, int sync_each) {
    tr_cuda_state *cs = (tr_cuda_state *)m->ctx->cuda;
    const tr_graph *g = m->g;
    tr_cuda_exec cx;
    memset(&cx, 0, sizeof cx);
    cx.ex.ctx = m->ctx;
    cx.ex.g = g;
    cx.ex.arena = m->arena;
    cx.ex.params = m->params;
    cx.ex.param_off = m->param_off;
    cx.ex.stream = cs->stream;
    cx.m = m;
    /* Inputs: the host wrote the F32 copy of a reduced input, or the F32
     * home of an input that HALF nodes read in reduced precision. */
    for (int32_t i = 0; i < g->n_inputs; i++) {
        int32_t t = g->inputs[i];
        if (m->xoff[t] >= 0)
            TR_TRY(convert_copy(m, t, m->store[t] == TRYON_DTYPE_F32, cs->stream));
    }
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[i];
        cx.ex.act_dtype = (tryon_dtype)m->domain[i];
        TR_TRY(tr_op_table[n->op].cuda(&cx.ex, n));
        if (m->xoff[n->dst] >= 0) TR_TRY(convert_copy(m, n->dst, 1, cs->stream));
        if (sync_each) {
            tryon_status st = check_sticky(m->ctx, cudaStreamSynchronize(cs->stream), n->name);
            if (st != TRYON_OK) return st;
        }
    }
    return TRYON_OK;
}

extern "C" tryon_status tr_cuda_model_run(tr_cuda_model *m) {
    TR_TRY(check_alive(m->ctx));
    tr_cuda_state *cs = (tr_cuda_state *)m->ctx->cuda;
    if (m->ctx->params.cuda_sync_after_launch) {
        TR_TRY(launch_all(m, 1));
        m->n_runs++;
        return TRYON_OK;
    }
    if (!m->exec) {
        TR_TRY(check_sticky(m->ctx, cudaStreamBeginCapture(cs->stream, cudaStreamCaptureModeThreadLocal),
                            "begin graph capture"));
        tryon_status st = launch_all(m, 0);
        cudaGraph_t graph = NULL;
        cudaError_t e = cudaStreamEndCapture(cs->stream, &graph);
        m->n_captures++;
        if (st != TRYON_OK) {
            if (graph) cudaGraphDestroy(graph);
            (void)cudaGetLastError();
            return st;
        }
        TR_TRY(check_sticky(m->ctx, e, "end graph capture"));
        m->graph = graph;
        TR_TRY(check_sticky(m->ctx, cudaGraphInstantiate(&m->exec, graph, 0), "instantiate graph"));
    }
    TR_TRY(check_sticky(m->ctx, cudaGraphLaunch(m->exec, cs->stream), "graph launch"));
    m->n_graph_launches++;
    m->n_runs++;
    return TRYON_OK;
}

/* Where the host reads or writes tensor t: its F32 copy when its primary
 * storage is reduced, else its home. */
static uint8_t *host_view(tr_cuda_model *m, int32_t t) {
    if (is_f32(m->g, t) && m->store[t] != TRYON_DTYPE_F32) return m->xbuf + m->xoff[t];
    tr_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.g = m->g;
    ex.arena = m->arena;
    ex.params = m->params;
    ex.param_off = m->param_off;
    return (uint8_t *)tr_exec_ptr(&ex, t);
}

extern "C" tryon_status tr_cuda_model_write(tr_cuda_model *m, int32_t t, const void *src,
                                            size_t bytes) {
    TR_TRY(check_alive(m->ctx));
    /* Pageable source: the copy is staged before the call returns, so the
     * caller may reuse src at once. */
    return check_sticky(m->ctx,
                        cudaMemcpyAsync(host_view(m, t), src, bytes, cudaMemcpyHostToDevice,
                                        ((tr_cuda_state *)m->ctx->cuda)->stream),
                        "copy input to device");
}

extern "C" tryon_status tr_cuda_model_read(tr_cuda_model *m, int32_t t, int64_t offset, void *dst,
                                           size_t bytes) {
    TR_TRY(check_alive(m->ctx));
    cudaStream_t s = ((tr_cuda_state *)m->ctx->cuda)->stream;
    TR_TRY(check_sticky(m->ctx, cudaMemcpyAsync(dst, host_view(m, t) + offset, bytes,
                                                cudaMemcpyDeviceToHost, s),
                        "copy output to host"));
    return check_sticky(m->ctx, cudaStreamSynchronize(s), "wait for the run");
}

extern "C" tryon_status tr_cuda_model_sync(tr_cuda_model *m) {
    TR_TRY(check_alive(m->ctx));
    return check_sticky(m->ctx, cudaStreamSynchronize(((tr_cuda_state *)m->ctx->cuda)->stream),
                        "wait for the run");
}

/* ---- test and bench hooks ------------------------------------------------------ */

extern "C" int32_t tr_cuda_model_variant(const tr_cuda_model *m, int32_t node) {
    return node >= 0 && node < m->g->n_nodes ? m->variant[node] : -1;
}

extern "C" tryon_dtype tr_cuda_model_storage(const tr_cuda_model *m, int32_t t) {
    return (tryon_dtype)m->store[t];
}

extern "C" void tr_cuda_model_stats(const tr_cuda_model *m, tr_cuda_stats *out) {
    memset(out, 0, sizeof *out);
    out->runs = m->n_runs;
    out->graph_launches = m->n_graph_launches;
    out->captures = m->n_captures;
    out->device_allocs = ((const tr_cuda_state *)m->ctx->cuda)->n_device_allocs;
    out->params_bytes = m->params_bytes;
    out->arena_bytes = m->g->arena_bytes;
    out->xbuf_bytes = m->xbuf_bytes;
    out->scratch_bytes = m->scratch_bytes;
}

extern "C" tryon_status tr_cuda_model_fill_arena(tr_cuda_model *m, int byte) {
    TR_TRY(check_alive(m->ctx));
    cudaStream_t s = ((tr_cuda_state *)m->ctx->cuda)->stream;
    TR_TRY(check_sticky(m->ctx, cudaMemsetAsync(m->arena, byte, (size_t)m->g->arena_bytes, s),
                        "fill arena"));
    return check_sticky(m->ctx, cudaStreamSynchronize(s), "fill arena");
}

extern "C" tryon_status tr_cuda_model_read_arena(tr_cuda_model *m, int64_t offset, void *dst,
                                                 size_t bytes) {
    TR_TRY(check_alive(m->ctx));
    if (offset < 0 || offset + (int64_t)bytes > m->g->arena_bytes)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "arena read outside the arena");
    cudaStream_t s = ((tr_cuda_state *)m->ctx->cuda)->stream;
    TR_TRY(check_sticky(m->ctx, cudaMemcpyAsync(dst, m->arena + offset, bytes,
                                                cudaMemcpyDeviceToHost, s),
                        "read arena"));
    return check_sticky(m->ctx, cudaStreamSynchronize(s), "read arena");
}

/* ---- storage conversion ------------------------------------------------------- */

template <typename S, typename D>
__global__ void convert_kernel(const S *__restrict__ src, D *__restrict__ dst, int64_t n) {
    TR_GRID_LOOP(i, n) tr_st(dst, i, tr_ld(src, i));
}

template <typename S>
static cudaError_t convert_from(cudaStream_t s, const S *src, void *dst, tryon_dtype ddt,
                                int64_t n) {
    unsigned b = tr_blocks(n, 256);
    switch (ddt) {
    case TRYON_DTYPE_F16: convert_kernel<<<b, 256, 0, s>>>(src, (__half *)dst, n); break;
    case TRYON_DTYPE_BF16: convert_kernel<<<b, 256, 0, s>>>(src, (__nv_bfloat16 *)dst, n); break;
    default: convert_kernel<<<b, 256, 0, s>>>(src, (float *)dst, n); break;
    }
    return cudaGetLastError();
}

cudaError_t tr_cuda_convert(cudaStream_t s, const void *src, tryon_dtype sdt, void *dst,
                            tryon_dtype ddt, int64_t n) {
    if (n <= 0) return cudaSuccess;
    switch (sdt) {
    case TRYON_DTYPE_F16: return convert_from(s, (const __half *)src, dst, ddt, n);
    case TRYON_DTYPE_BF16: return convert_from(s, (const __nv_bfloat16 *)src, dst, ddt, n);
    default: return convert_from(s, (const float *)src, dst, ddt, n);
    }
}
