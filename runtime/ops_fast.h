/* ops_fast.h — the fast CPU kernels (kernels/fast) behind the op table.
 *
 * At plan time (tr_graph_plan, CPU contexts whose kernels selection is not
 * TRYON_KERNELS_REFERENCE) tr_fast_plan_make picks an algorithm for every
 * conv2d, conv_transpose2d and linear node, packs constant weights once into
 * one buffer owned by the graph, and sizes each node's workspace (planned in
 * the arena like any other). Weights produced at run time are packed into
 * the workspace by each run instead. The op adapters in runtime/ops.c call
 * tr_fast_run_* first; those return 0 when no fast kernel applies (or the
 * context asks for the reference kernels), and the reference runs. Running
 * allocates nothing. */
#ifndef TR_OPS_FAST_H
#define TR_OPS_FAST_H

#include "graph.h"

struct tr_fast_plan;

tryon_status tr_fast_plan_make(tr_graph *g);
void tr_fast_plan_free(struct tr_fast_plan *p);
/* Workspace of node i that the fast kernels need (0 when none). */
int64_t tr_fast_ws_bytes(const tr_graph *g, int32_t i);
/* The algorithm chosen for node i ("reference" when none), for profiles. */
const char *tr_fast_node_algo(const tr_graph *g, int32_t i);

int tr_fast_run_conv2d(const tr_exec *ex, const tr_node *n, const tr_conv2d_args *a);
int tr_fast_run_convt(const tr_exec *ex, const tr_node *n, const tr_conv_transpose2d_args *a);
int tr_fast_run_linear(const tr_exec *ex, const tr_node *n, const tr_linear_args *a);
int tr_fast_run_inorm(const tr_exec *ex, const tr_node *n, const tr_instance_norm_args *a);
int tr_fast_run_upfirdn(const tr_exec *ex, const tr_node *n, const tr_upfirdn2d_args *a);
int tr_fast_run_schan(const tr_exec *ex, const tr_node *n, const tr_scale_channels_args *a);
int tr_fast_run_resize(const tr_exec *ex, const tr_node *n);
/* upsample_nearest: x (N,H,W,C) -> y (N,H*fy,W*fx,C). */
int tr_fast_run_upsample(const tr_exec *ex, const int64_t *x_shape, int32_t fy, int32_t fx,
                         const float *x, float *y);

#endif /* TR_OPS_FAST_H */
