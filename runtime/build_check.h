/* build_check.h — operand checks shared by every graph builder
 * (runtime/build*.c). Each records its error on the graph (sticky, see
 * graph.h) and returns 0 when the check fails, 1 when it passes. */
#ifndef TR_BUILD_CHECK_H
#define TR_BUILD_CHECK_H

#include "graph.h"

#define TR_ANY_DTYPE (-1)

/* t is a tensor of the given dtype (TR_ANY_DTYPE: any) and rank (ndim <= 0:
 * any), or -1 when optional. */
int tr_check_operand(tr_graph *g, const char *op, const char *what, int32_t t, int optional,
                     int dtype, int32_t ndim);
/* t has exactly this shape (ndim dims); t == -1 passes (absent operand). */
int tr_check_shape(tr_graph *g, const char *op, const char *what, int32_t t, int32_t ndim,
                   const int64_t *shape);
/* A valid activation and a clamp >= 0. */
int tr_check_epilogue(tr_graph *g, const char *op, const tr_epilogue *ep);
/* Every dimension fits the int32 fields of the kernel descriptors. */
int tr_check_fits_i32(tr_graph *g, const char *op, int32_t ndim, const int64_t *shape);

#endif /* TR_BUILD_CHECK_H */
