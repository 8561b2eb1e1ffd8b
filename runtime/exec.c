/* exec.c — the executor: resolves tensor data and dispatches each node to
 * its backend's adapter. Nothing here allocates. */
#include <time.h>

#include "graph.h"

void *tr_exec_ptr(const tr_exec *ex, int32_t t) {
    if (t < 0) return NULL;
    const tr_tensor *tt = &ex->g->tensors[t];
    switch (tt->mem) {
    case TR_MEM_ARENA: return ex->arena + tt->offset;
    case TR_MEM_CONST:
        return ex->params ? ex->params + ex->param_off[t] : ex->g->consts + tt->offset;
    case TR_MEM_EXTERN: /* read-only by contract */
        return ex->params ? ex->params + ex->param_off[t] : (void *)(uintptr_t)tt->ext;
    case TR_MEM_COUNT: break;
    }
    TR_ASSERT(!"tensor memory kind");
    return NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

tryon_status tr_graph_run_cpu(tryon_ctx *ctx, const tr_graph *g, uint8_t *arena, int32_t begin,
                              int32_t end, double *ms_per_node) {
    TR_ASSERT(g->planned);
    tr_exec ex = {.ctx = ctx, .g = g, .arena = arena, .act_dtype = TRYON_DTYPE_F32};
    for (int32_t i = begin; i < end; i++) {
        const tr_node *n = &g->nodes[i];
        double t0 = ms_per_node ? now_ms() : 0;
        TR_TRY(tr_op_table[n->op].cpu(&ex, n));
        if (ms_per_node) ms_per_node[i] = now_ms() - t0;
    }
    return TRYON_OK;
}
