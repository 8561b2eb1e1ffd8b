/* build_check.c — operand checks shared by the graph builders. */
#include "build_check.h"

#define FAIL(...) TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, __VA_ARGS__)

int tr_check_operand(tr_graph *g, const char *op, const char *what, int32_t t, int optional,
                     int dtype, int32_t ndim) {
    if (g->status != TRYON_OK) return 0;
    if (t == -1 && optional) return 1;
    if (t < 0 || t >= g->n_tensors) {
        FAIL("%s: %s is not a tensor (id %d)", op, what, t);
        return 0;
    }
    const tr_tensor *tt = &g->tensors[t];
    if (dtype != TR_ANY_DTYPE && tt->dtype != (tryon_dtype)dtype) {
        FAIL("%s: %s '%s' has dtype %s, expected %s", op, what, tt->name,
             tryon_dtype_name(tt->dtype), tryon_dtype_name((tryon_dtype)dtype));
        return 0;
    }
    if (ndim > 0 && tt->ndim != ndim) {
        FAIL("%s: %s '%s' has rank %d, expected %d", op, what, tt->name, tt->ndim, ndim);
        return 0;
    }
    return 1;
}

int tr_check_shape(tr_graph *g, const char *op, const char *what, int32_t t, int32_t ndim,
                   const int64_t *shape) {
    if (t == -1) return 1;
    const tr_tensor *tt = &g->tensors[t];
    int same = tt->ndim == ndim;
    for (int32_t i = 0; same && i < ndim; i++) same = tt->shape[i] == shape[i];
    if (same) return 1;
    char got[96], want[96];
    FAIL("%s: %s '%s' has shape %s, expected %s", op, what, tt->name,
         tr_shape_str(tt->ndim, tt->shape, got, sizeof got),
         tr_shape_str(ndim, shape, want, sizeof want));
    return 0;
}

int tr_check_epilogue(tr_graph *g, const char *op, const tr_epilogue *ep) {
    if (ep->act < 0 || ep->act >= TR_ACT_COUNT) {
        FAIL("%s: invalid activation %d", op, (int)ep->act);
        return 0;
    }
    if (!(ep->clamp >= 0)) {
        FAIL("%s: clamp must be >= 0 (0 = none)", op);
        return 0;
    }
    return 1;
}

int tr_check_fits_i32(tr_graph *g, const char *op, int32_t ndim, const int64_t *shape) {
    for (int32_t i = 0; i < ndim; i++)
        if (shape[i] > INT32_MAX) {
            FAIL("%s: dimension %lld too large", op, (long long)shape[i]);
            return 0;
        }
    return 1;
}
