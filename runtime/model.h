/* model.h — a planned graph plus its arena: the object behind tryon_model.
 * Net builders (nets/) make a graph and hand it to tr_model_create. */
#ifndef TR_MODEL_H
#define TR_MODEL_H

#include "graph.h"

struct tryon_model {
    tryon_ctx *ctx;
    tr_graph *g;         /* owned */
    uint8_t *arena;      /* (g->arena_bytes), host; NULL on CUDA */
    tr_cuda_model *cuda; /* CUDA backend state, NULL on the CPU */
    double *node_ms;     /* (g->n_nodes) when profiling, else NULL */
};

/* Plans g and allocates its arena; takes ownership of g even on failure. */
tryon_status tr_model_create(tryon_ctx *ctx, tr_graph *g, tryon_model **out);

/* Tensor id of the i-th input/output, or -1. */
int32_t tr_model_input_id(const tryon_model *m, int32_t i);
int32_t tr_model_output_id(const tryon_model *m, int32_t i);

/* On any device: bytes of arena tensor t from byte offset `offset` (waits for
 * the run), and all of input tensor t (its graph dtype; bytes must match). */
tryon_status tr_model_read(tryon_model *m, int32_t t, int64_t offset, void *dst, size_t bytes);
tryon_status tr_model_write(tryon_model *m, int32_t t, const void *src, size_t bytes);
/* Waits until the last run has finished (CUDA; a no-op on the CPU). */
tryon_status tr_model_wait(tryon_model *m);

#endif /* TR_MODEL_H */
