/* warp_util.h — running a small graph from test data, for the warping and
 * rasterization suites (test_warp.c, test_raster.c, test_torch_warp.c).
 * Inputs are graph inputs (arena tensors), as the fitting graph feeds these
 * ops; header-only so that each suite stays one binary. */
#ifndef TRYON_TEST_WARP_UTIL_H
#define TRYON_TEST_WARP_UTIL_H

#include <string.h>

#include "graph_warp.h"
#include "model.h"
#include "util.h"

#define WU_MAX_IO 16

typedef struct wu_run {
    tryon_ctx *ctx;
    tr_graph *g;
    tryon_model *m;
    const void *in_data[WU_MAX_IO];
    int32_t n_in;
} wu_run;

/* A graph on a context with n_threads threads (0: default). */
static inline void wu_begin(wu_run *r, int32_t n_threads) {
    memset(r, 0, sizeof *r);
    r->ctx = tu_ctx(n_threads);
    ck_assert_int_eq(tr_graph_init(r->ctx, &r->g), TRYON_OK);
}

/* A graph input that wu_exec fills from data (which must outlive wu_exec). */
static inline int32_t wu_input(wu_run *r, const char *name, tryon_dtype dtype, int32_t ndim,
                               const int64_t *shape, const void *data) {
    ck_assert_int_lt(r->n_in, WU_MAX_IO);
    r->in_data[r->n_in++] = data;
    return tr_graph_input(r->g, name, dtype, ndim, shape);
}

static inline int32_t wu_input_arr(wu_run *r, const char *name, const tryon_array *a) {
    return wu_input(r, name, TRYON_DTYPE_F32, a->ndim, a->shape, a->data);
}

/* Plans, fills the inputs and runs once; fails the test on any error. */
static inline void wu_exec(wu_run *r) {
    tr_graph *g = r->g;
    r->g = NULL; /* owned by the model from here on */
    tryon_status st = tr_model_create(r->ctx, g, &r->m);
    ck_assert_msg(st == TRYON_OK, "model: %s", tryon_ctx_last_error(r->ctx));
    for (int32_t i = 0; i < r->n_in; i++) {
        tryon_tensor t;
        ck_assert_int_eq(tryon_model_input(r->m, i, &t), TRYON_OK);
        size_t bytes = tryon_dtype_size(t.dtype);
        for (int32_t k = 0; k < t.ndim; k++) bytes *= (size_t)t.shape[k];
        ck_assert_int_eq(tryon_model_set_input(r->m, i, r->in_data[i], bytes), TRYON_OK);
    }
    st = tryon_model_run(r->m);
    ck_assert_msg(st == TRYON_OK, "run: %s", tryon_ctx_last_error(r->ctx));
}

/* Host view of output i (CPU backend). */
static inline const float *wu_out(const wu_run *r, int32_t i, tryon_tensor *view) {
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_output(r->m, i, &t), TRYON_OK);
    if (view) *view = t;
    return t.data;
}

static inline int64_t wu_numel(const tryon_tensor *t) {
    int64_t n = 1;
    for (int32_t k = 0; k < t->ndim; k++) n *= t->shape[k];
    return n;
}

static inline void wu_end(wu_run *r) {
    tryon_model_free(r->m);
    tr_graph_free(r->g);
    tryon_ctx_free(r->ctx);
    memset(r, 0, sizeof *r);
}

#endif /* TRYON_TEST_WARP_UTIL_H */
