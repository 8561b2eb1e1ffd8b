/* graph_weights.c — weights from a safetensors file as graph tensors. */
#include "graph.h"
#include "weights.h"

int32_t tr_graph_weight(tr_graph *g, const tryon_weights *w, const char *name, int32_t ndim,
                        const int64_t *shape) {
    if (g->status != TRYON_OK) return -1;
    const tr_wtensor *t;
    tryon_status st = tr_weights_require(g->ctx, w, name, ndim, shape, &t);
    if (st != TRYON_OK) return tr_graph_error(g, st, __FILE__, __LINE__, "%s", g->ctx->err);
    int64_t one = 1;
    int32_t nd = ndim ? ndim : 1;
    const int64_t *sh = ndim ? shape : &one;
    if (t->dtype == TRYON_DTYPE_F32)
        return tr_graph_extern(g, name, TRYON_DTYPE_F32, nd, sh, t->data);
    if (t->dtype != TRYON_DTYPE_F16 && t->dtype != TRYON_DTYPE_BF16)
        return TR_GRAPH_FAIL(g, TRYON_ERR_FORMAT,
                             "weights: tensor '%s' has dtype %s, expected a float", name,
                             tryon_dtype_name(t->dtype));
    void *dst;
    int32_t id = tr_graph_const_alloc(g, name, TRYON_DTYPE_F32, nd, sh, &dst);
    if (id >= 0) tr_wtensor_to_f32(t, dst);
    return id;
}
