/* model.c — the public model API over a planned graph. */
#include <string.h>

#include "model.h"

tryon_status tr_model_create(tryon_ctx *ctx, tr_graph *g, tryon_model **out) {
    *out = NULL;
    tryon_status st = tr_graph_plan(g);
    if (st != TRYON_OK) {
        tr_graph_free(g);
        return st;
    }
    tryon_model *m = tr_mem_calloc(ctx, 1, sizeof *m);
    if (!m) {
        tr_graph_free(g);
        return TRYON_ERR_NOMEM;
    }
    m->ctx = ctx;
    m->g = g;
    if (ctx->params.device == TRYON_DEVICE_CUDA) {
        st = tr_cuda_model_create(ctx, g, &m->cuda);
        if (st != TRYON_OK) {
            tryon_model_free(m);
            return st;
        }
        *out = m;
        return TRYON_OK;
    }
    /* Zeroed once so that a never-written input reads as zeros, not garbage. */
    m->arena = tr_mem_aligned(ctx, TR_HOST_ALIGN, (size_t)g->arena_bytes);
    if (!m->arena) goto nomem;
    memset(m->arena, 0, (size_t)g->arena_bytes);
    if (ctx->params.profile) {
        m->node_ms = tr_mem_calloc(ctx, (size_t)g->n_nodes, sizeof *m->node_ms);
        if (!m->node_ms) goto nomem;
    }
    *out = m;
    return TRYON_OK;
nomem:
    tryon_model_free(m);
    return TRYON_ERR_NOMEM;
}

void tryon_model_free(tryon_model *m) {
    if (!m) return;
    tr_cuda_model_free(m->cuda);
    tr_graph_free(m->g);
    tr_mem_free(m->arena);
    tr_mem_free(m->node_ms);
    tr_mem_free(m);
}

tryon_status tryon_model_run(tryon_model *m) {
    if (m->cuda) return tr_cuda_model_run(m->cuda);
    return tr_graph_run_cpu(m->ctx, m->g, m->arena, 0, m->g->n_nodes, m->node_ms);
}

int32_t tryon_model_n_inputs(const tryon_model *m) { return m->g->n_inputs; }
int32_t tryon_model_n_outputs(const tryon_model *m) { return m->g->n_outputs; }

int32_t tr_model_input_id(const tryon_model *m, int32_t i) {
    return i >= 0 && i < m->g->n_inputs ? m->g->inputs[i] : -1;
}

int32_t tr_model_output_id(const tryon_model *m, int32_t i) {
    return i >= 0 && i < m->g->n_outputs ? m->g->outputs[i] : -1;
}

static tryon_status view(const tryon_model *m, int32_t id, const char *what, int32_t i,
                         tryon_tensor *out) {
    memset(out, 0, sizeof *out);
    if (id < 0) return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "no %s %d", what, i);
    const tr_tensor *t = &m->g->tensors[id];
    out->name = t->name;
    out->dtype = t->dtype;
    out->ndim = t->ndim;
    memcpy(out->shape, t->shape, sizeof out->shape);
    out->data = m->arena ? m->arena + t->offset : NULL;
    return TRYON_OK;
}

tryon_status tryon_model_input(const tryon_model *m, int32_t i, tryon_tensor *out) {
    return view(m, tr_model_input_id(m, i), "input", i, out);
}

tryon_status tryon_model_output(const tryon_model *m, int32_t i, tryon_tensor *out) {
    return view(m, tr_model_output_id(m, i), "output", i, out);
}

int32_t tryon_model_input_index(const tryon_model *m, const char *name) {
    if (!m || !name) return -1;
    for (int32_t i = 0; i < m->g->n_inputs; i++)
        if (!strcmp(m->g->tensors[m->g->inputs[i]].name, name)) return i;
    return -1;
}

static tryon_status copy_check(tryon_model *m, int32_t id, const char *what, int32_t i,
                               size_t bytes) {
    if (id < 0) return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "no %s %d", what, i);
    const tr_tensor *t = &m->g->tensors[id];
    if ((int64_t)bytes != tr_tensor_bytes(t))
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "%s '%s' holds %lld bytes, got %zu", what,
                       t->name, (long long)tr_tensor_bytes(t), bytes);
    return TRYON_OK;
}

tryon_status tryon_model_set_input(tryon_model *m, int32_t i, const void *src, size_t bytes) {
    int32_t id = tr_model_input_id(m, i);
    TR_TRY(copy_check(m, id, "input", i, bytes));
    if (m->cuda) return tr_cuda_model_write(m->cuda, id, src, bytes);
    memcpy(m->arena + m->g->tensors[id].offset, src, bytes);
    return TRYON_OK;
}

tryon_status tryon_model_get_output(tryon_model *m, int32_t i, void *dst, size_t bytes) {
    int32_t id = tr_model_output_id(m, i);
    TR_TRY(copy_check(m, id, "output", i, bytes));
    if (m->cuda) return tr_cuda_model_read(m->cuda, id, 0, dst, bytes);
    memcpy(dst, m->arena + m->g->tensors[id].offset, bytes);
    return TRYON_OK;
}

tryon_status tr_model_read(tryon_model *m, int32_t t, int64_t offset, void *dst, size_t bytes) {
    const tr_tensor *tt = &m->g->tensors[t];
    TR_ASSERT(tt->mem == TR_MEM_ARENA && offset >= 0 &&
              offset + (int64_t)bytes <= tr_tensor_bytes(tt));
    if (m->cuda) return tr_cuda_model_read(m->cuda, t, offset, dst, bytes);
    memcpy(dst, m->arena + tt->offset + offset, bytes);
    return TRYON_OK;
}

tryon_status tr_model_write(tryon_model *m, int32_t t, const void *src, size_t bytes) {
    const tr_tensor *tt = &m->g->tensors[t];
    TR_ASSERT((tt->flags & TR_TENSOR_INPUT) && (int64_t)bytes == tr_tensor_bytes(tt));
    if (m->cuda) return tr_cuda_model_write(m->cuda, t, src, bytes);
    memcpy(m->arena + tt->offset, src, bytes);
    return TRYON_OK;
}

tryon_status tr_model_wait(tryon_model *m) {
    return m->cuda ? tr_cuda_model_sync(m->cuda) : TRYON_OK;
}

int64_t tryon_model_arena_bytes(const tryon_model *m) { return m->g->arena_bytes; }

int32_t tryon_model_profile(const tryon_model *m, tryon_node_time *out, int32_t cap) {
    if (!m->node_ms) return 0;
    for (int32_t i = 0; i < m->g->n_nodes && i < cap; i++) {
        out[i].op = tr_op_table[m->g->nodes[i].op].name;
        out[i].name = m->g->nodes[i].name;
        out[i].ms = m->node_ms[i];
    }
    return m->g->n_nodes;
}
