/* backend.cu — the CUDA executor behind tryon_model on a CUDA context.
 *
 * Memory: a model makes exactly two device allocations, at creation: one
 * buffer for every parameter (the graph's constant buffer copied whole, then
 * each EXTERN weight at a 256-byte aligned offset) and one activation arena
 * laid out by the same plan as on the host (inputs, outputs and per-op
 * workspace included).
 *
 * Run: the first run captures every node's adapter launch on the context's
 * stream into a CUDA graph and instantiates it; every run then is a single
 * cudaGraphLaunch — no allocation, no host synchronisation. Copies out of the
 * arena (tryon_model_get_output) wait for the stream. With
 * cuda_sync_after_launch (debugging) nodes run eagerly with a synchronisation
 * after each launch instead, so an asynchronous fault is blamed on its kernel.
 *
 * Errors: a sticky device error (illegal address, launch failure...) poisons
 * the context: every later call returns TRYON_ERR_DEVICE_LOST.
 * Tested: tests/gpu_*.c (SKIP without a device). */
#include <string.h>

#include "common.cuh"

extern "C" {
#include "graph.h"
}

struct tr_cuda_state {
    cudaStream_t stream;
    int device;
    int poisoned;
};

struct tr_cuda_model {
    tryon_ctx *ctx;
    const tr_graph *g;
    uint8_t *params;          /* device: constants + weights */
    int64_t *param_off;       /* host (n_tensors): offsets into params */
    uint8_t *arena;           /* device activation arena */
    cudaGraph_t graph;
    cudaGraphExec_t exec;
};

static tr_cuda_state *state_of(tryon_ctx *ctx) { return (tr_cuda_state *)ctx->cuda; }

/* Sticky errors leave the context unusable (CUDA's own rule); say so once. */
static tryon_status check_sticky(tryon_ctx *ctx, cudaError_t e, const char *what) {
    if (e == cudaSuccess) return TRYON_OK;
    tr_cuda_state *st = state_of(ctx);
    int sticky = e == cudaErrorIllegalAddress || e == cudaErrorLaunchFailure ||
                 e == cudaErrorIllegalInstruction || e == cudaErrorMisalignedAddress ||
                 e == cudaErrorHardwareStackError || e == cudaErrorAssert;
    (void)cudaGetLastError();
    if (sticky && st) st->poisoned = 1;
    return TR_FAIL(ctx, sticky ? TRYON_ERR_DEVICE_LOST : TRYON_ERR_CUDA, "%s: %s", what,
                   cudaGetErrorString(e));
}

static tryon_status check_alive(tryon_ctx *ctx) {
    tr_cuda_state *st = state_of(ctx);
    if (!st) return TR_FAIL(ctx, TRYON_ERR_NO_DEVICE, "context has no CUDA device");
    if (st->poisoned)
        return TR_FAIL(ctx, TRYON_ERR_DEVICE_LOST,
                       "an earlier device error poisoned this context; create a new one");
    return TRYON_OK;
}

extern "C" tryon_status tr_cuda_ctx_init(tryon_ctx *ctx) {
    tr_cuda_state *st = (tr_cuda_state *)tr_mem_calloc(ctx, 1, sizeof *st);
    if (!st) return TRYON_ERR_NOMEM;
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
    tr_cuda_state *st = state_of(ctx);
    if (!st) return;
    cudaStreamDestroy(st->stream);
    tr_mem_free(st);
    ctx->cuda = NULL;
}

extern "C" void tr_cuda_model_free(tr_cuda_model *m) {
    if (!m) return;
    if (m->exec) cudaGraphExecDestroy(m->exec);
    if (m->graph) cudaGraphDestroy(m->graph);
    cudaFree(m->params);
    cudaFree(m->arena);
    tr_mem_free(m->param_off);
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
    tr_cuda_model *m = (tr_cuda_model *)tr_mem_calloc(ctx, 1, sizeof *m);
    if (!m) return TRYON_ERR_NOMEM;
    m->ctx = ctx;
    m->g = g;
    m->param_off = (int64_t *)tr_mem_calloc(ctx, (size_t)g->n_tensors + 1, sizeof *m->param_off);
    if (!m->param_off) {
        tr_cuda_model_free(m);
        return TRYON_ERR_NOMEM;
    }
    /* Layout: the constant buffer as is, then each extern weight, 256-aligned. */
    int64_t size = tr_align_up(g->consts_bytes, 256);
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem == TR_MEM_CONST) m->param_off[t] = tt->offset;
        if (tt->mem == TR_MEM_EXTERN) {
            m->param_off[t] = size;
            size = tr_align_up(size + tr_tensor_bytes(tt), 256);
        }
    }
    tryon_status st = TRYON_OK;
    cudaError_t e = cudaMalloc(&m->params, (size_t)(size > 0 ? size : 256));
    if (e == cudaSuccess) e = cudaMalloc(&m->arena, (size_t)(g->arena_bytes > 0 ? g->arena_bytes : 256));
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        st = TR_FAIL(ctx, TRYON_ERR_NOMEM, "device allocation of %lld + %lld bytes failed: %s",
                     (long long)size, (long long)g->arena_bytes, cudaGetErrorString(e));
        goto fail;
    }
    if (g->consts_bytes > 0) {
        st = check_sticky(ctx, cudaMemcpy(m->params, g->consts, (size_t)g->consts_bytes,
                                          cudaMemcpyHostToDevice), "upload constants");
        if (st != TRYON_OK) goto fail;
    }
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem != TR_MEM_EXTERN) continue;
        st = check_sticky(ctx, cudaMemcpy(m->params + m->param_off[t], tt->ext,
                                          (size_t)tr_tensor_bytes(tt), cudaMemcpyHostToDevice),
                          "upload weights");
        if (st != TRYON_OK) goto fail;
    }
    /* Zeroed once so that a never-written input reads as zeros, as on the host. */
    st = check_sticky(ctx, cudaMemset(m->arena, 0, (size_t)g->arena_bytes), "clear arena");
    if (st != TRYON_OK) goto fail;
    *out = m;
    return TRYON_OK;
fail:
    tr_cuda_model_free(m);
    return st;
}

/* Launches every node on the stream (inside a capture, or eagerly). */
static tryon_status launch_all(tr_cuda_model *m, int sync_each) {
    tr_cuda_state *cs = state_of(m->ctx);
    tr_exec ex;
    memset(&ex, 0, sizeof ex);
    ex.ctx = m->ctx;
    ex.g = m->g;
    ex.arena = m->arena;
    ex.params = m->params;
    ex.param_off = m->param_off;
    ex.stream = cs->stream;
    for (int32_t i = 0; i < m->g->n_nodes; i++) {
        const tr_node *n = &m->g->nodes[i];
        TR_TRY(tr_op_table[n->op].cuda(&ex, n));
        if (sync_each) {
            tryon_status st = check_sticky(m->ctx, cudaStreamSynchronize(cs->stream), n->name);
            if (st != TRYON_OK) return st;
        }
    }
    return TRYON_OK;
}

extern "C" tryon_status tr_cuda_model_run(tr_cuda_model *m) {
    TR_TRY(check_alive(m->ctx));
    tr_cuda_state *cs = state_of(m->ctx);
    if (m->ctx->params.cuda_sync_after_launch) return launch_all(m, 1);
    if (!m->exec) {
        TR_TRY(check_sticky(m->ctx, cudaStreamBeginCapture(cs->stream, cudaStreamCaptureModeThreadLocal),
                            "begin graph capture"));
        tryon_status st = launch_all(m, 0);
        cudaGraph_t graph = NULL;
        cudaError_t e = cudaStreamEndCapture(cs->stream, &graph);
        if (st != TRYON_OK) {
            if (graph) cudaGraphDestroy(graph);
            (void)cudaGetLastError();
            return st;
        }
        TR_TRY(check_sticky(m->ctx, e, "end graph capture"));
        m->graph = graph;
        TR_TRY(check_sticky(m->ctx, cudaGraphInstantiate(&m->exec, graph, 0), "instantiate graph"));
    }
    return check_sticky(m->ctx, cudaGraphLaunch(m->exec, cs->stream), "graph launch");
}

extern "C" tryon_status tr_cuda_model_write(tr_cuda_model *m, int64_t offset, const void *src,
                                            size_t bytes) {
    TR_TRY(check_alive(m->ctx));
    return check_sticky(m->ctx,
                        cudaMemcpyAsync(m->arena + offset, src, bytes, cudaMemcpyHostToDevice,
                                        state_of(m->ctx)->stream),
                        "copy input to device");
}

extern "C" tryon_status tr_cuda_model_read(tr_cuda_model *m, int64_t offset, void *dst,
                                           size_t bytes) {
    TR_TRY(check_alive(m->ctx));
    cudaStream_t s = state_of(m->ctx)->stream;
    TR_TRY(check_sticky(m->ctx, cudaMemcpyAsync(dst, m->arena + offset, bytes,
                                                cudaMemcpyDeviceToHost, s),
                        "copy output to host"));
    return check_sticky(m->ctx, cudaStreamSynchronize(s), "wait for the run");
}
