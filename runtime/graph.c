/* graph.c — graph storage: tensors, constants, names, sticky errors. */
#include <stdarg.h>
#include <string.h>

#include "graph.h"
#include "ops_fast.h"

tryon_status tr_graph_init(tryon_ctx *ctx, tr_graph **out) {
    *out = NULL;
    tr_graph *g = tr_mem_calloc(ctx, 1, sizeof *g);
    if (!g) return TRYON_ERR_NOMEM;
    g->ctx = ctx;
    *out = g;
    return TRYON_OK;
}

void tr_graph_free(tr_graph *g) {
    if (!g) return;
    tr_mem_free(g->tensors);
    tr_mem_free(g->nodes);
    tr_mem_free(g->consts);
    tr_mem_free(g->inputs);
    tr_mem_free(g->outputs);
    tr_fast_plan_free(g->fast);
    tr_mem_free(g);
}

int32_t tr_graph_error(tr_graph *g, tryon_status s, const char *file, int line, const char *fmt,
                       ...) {
    if (g->status != TRYON_OK) return -1; /* keep the first error */
    char msg[sizeof g->ctx->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g->status = s;
    tr_fail(g->ctx, s, file, line, "%s", msg);
    return -1;
}

void tr_graph_name(tr_graph *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->next_name, sizeof g->next_name, fmt, ap);
    va_end(ap);
}

void tr_graph_keep_f32(tr_graph *g, int on) { g->keep_f32 = on != 0; }

int64_t tr_tensor_numel(const tr_tensor *t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

int64_t tr_tensor_bytes(const tr_tensor *t) {
    return tr_tensor_numel(t) * (int64_t)tryon_dtype_size(t->dtype);
}

/* Appends a tensor after validating dtype and shape (sizes overflow-checked
 * against the context's tensor byte limit). */
static int32_t add_tensor(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                          const int64_t *shape_in, tr_mem mem) {
    if (g->status != TRYON_OK) return -1;
    /* Builders often pass another tensor's shape, which the realloc below may move. */
    int64_t shape[TRYON_MAX_DIMS] = {1, 1, 1, 1};
    for (int32_t i = 0; i < ndim && i < TRYON_MAX_DIMS; i++) shape[i] = shape_in[i];
    if (g->planned) return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "graph already planned");
    if (dtype < 0 || dtype >= TRYON_DTYPE_COUNT)
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "invalid dtype %d", (int)dtype);
    if (ndim < 1 || ndim > TRYON_MAX_DIMS)
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "tensor rank %d outside 1..4", ndim);
    int64_t bytes = (int64_t)tryon_dtype_size(dtype);
    for (int32_t i = 0; i < ndim; i++) {
        if (shape[i] < 1 || !tr_mul_i64(bytes, shape[i], &bytes))
            return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "%s: invalid dimension %lld",
                                 name && *name ? name : "tensor", (long long)shape[i]);
    }
    if (bytes > g->ctx->params.max_tensor_bytes) {
        /* An unnamed activation is named after the node being built, if any. */
        char sh[96];
        return TR_GRAPH_FAIL(g, TRYON_ERR_LIMIT, "%s %s: %lld bytes exceed the tensor limit %lld",
                             name && *name     ? name
                             : g->next_name[0] ? g->next_name
                                               : "activation",
                             tr_shape_str(ndim, shape, sh, sizeof sh), (long long)bytes,
                             (long long)g->ctx->params.max_tensor_bytes);
    }
    if (g->n_tensors == g->cap_tensors) {
        int32_t cap = g->cap_tensors ? g->cap_tensors * 2 : 64;
        tr_tensor *t = tr_mem_realloc(g->ctx, g->tensors, (size_t)cap * sizeof *t);
        if (!t) return TR_GRAPH_FAIL(g, TRYON_ERR_NOMEM, "out of memory (graph tensors)");
        g->tensors = t;
        g->cap_tensors = cap;
    }
    int32_t id = g->n_tensors++;
    tr_tensor *t = &g->tensors[id];
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int32_t i = 0; i < TRYON_MAX_DIMS; i++) t->shape[i] = i < ndim ? shape[i] : 1;
    t->mem = mem;
    t->producer = -1;
    t->last_use = -1;
    if (name && *name)
        snprintf(t->name, sizeof t->name, "%s", name);
    else
        snprintf(t->name, sizeof t->name, "t%d", id);
    return id;
}

int32_t tr_graph_tensor(tr_graph *g, tryon_dtype dtype, int32_t ndim, const int64_t *shape) {
    return add_tensor(g, NULL, dtype, ndim, shape, TR_MEM_ARENA);
}

static int32_t push_id(tr_graph *g, int32_t **arr, int32_t *n, int32_t id) {
    int32_t *a = tr_mem_realloc(g->ctx, *arr, (size_t)(*n + 1) * sizeof **arr);
    if (!a) return TR_GRAPH_FAIL(g, TRYON_ERR_NOMEM, "out of memory (graph io)");
    a[(*n)++] = id;
    *arr = a;
    return id;
}

int32_t tr_graph_input(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                       const int64_t *shape) {
    int32_t id = add_tensor(g, name, dtype, ndim, shape, TR_MEM_ARENA);
    if (id < 0) return -1;
    g->tensors[id].flags |= TR_TENSOR_INPUT;
    return push_id(g, &g->inputs, &g->n_inputs, id);
}

int32_t tr_graph_output(tr_graph *g, int32_t t, const char *name) {
    if (g->status != TRYON_OK) return -1;
    if (t < 0 || t >= g->n_tensors)
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "output: invalid tensor id %d", t);
    tr_tensor *tt = &g->tensors[t];
    if (tt->mem != TR_MEM_ARENA || (tt->flags & TR_TENSOR_OUTPUT))
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG,
                             "output '%s': must be a computed tensor, marked once", name);
    tt->flags |= TR_TENSOR_OUTPUT;
    if (name && *name) snprintf(tt->name, sizeof tt->name, "%s", name);
    return push_id(g, &g->outputs, &g->n_outputs, t);
}

int32_t tr_graph_const_alloc(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                             const int64_t *shape, void **data) {
    *data = NULL;
    int32_t id = add_tensor(g, name, dtype, ndim, shape, TR_MEM_CONST);
    if (id < 0) return -1;
    int64_t bytes = tr_tensor_bytes(&g->tensors[id]);
    int64_t off = tr_align_up(g->consts_bytes, TR_HOST_ALIGN);
    int64_t need = off + bytes;
    if (need > g->consts_cap) {
        int64_t cap = g->consts_cap ? g->consts_cap : 4096;
        while (cap < need) cap *= 2;
        uint8_t *c = tr_mem_aligned(g->ctx, TR_HOST_ALIGN, (size_t)cap);
        if (!c) {
            g->n_tensors--;
            return TR_GRAPH_FAIL(g, TRYON_ERR_NOMEM, "out of memory (%lld bytes of constants)",
                                 (long long)cap);
        }
        if (g->consts_bytes) memcpy(c, g->consts, (size_t)g->consts_bytes);
        tr_mem_free(g->consts);
        g->consts = c;
        g->consts_cap = cap;
    }
    memset(g->consts + g->consts_bytes, 0, (size_t)(need - g->consts_bytes));
    g->consts_bytes = need;
    g->tensors[id].offset = off;
    *data = g->consts + off;
    return id;
}

int32_t tr_graph_const(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                       const int64_t *shape, const void *data) {
    void *dst;
    int32_t id = tr_graph_const_alloc(g, name, dtype, ndim, shape, &dst);
    if (id < 0) return -1;
    memcpy(dst, data, (size_t)tr_tensor_bytes(&g->tensors[id]));
    return id;
}

int32_t tr_graph_extern(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                        const int64_t *shape, const void *data) {
    if (!data) return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "%s: NULL data", name);
    if ((uintptr_t)data % tryon_dtype_size(dtype))
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "%s: data not aligned to its dtype", name);
    int32_t id = add_tensor(g, name, dtype, ndim, shape, TR_MEM_EXTERN);
    if (id < 0) return -1;
    g->tensors[id].ext = data;
    return id;
}

const void *tr_graph_const_data(const tr_graph *g, int32_t t) {
    const tr_tensor *tt = &g->tensors[t];
    if (tt->mem == TR_MEM_CONST) return g->consts + tt->offset;
    if (tt->mem == TR_MEM_EXTERN) return tt->ext;
    return NULL;
}
