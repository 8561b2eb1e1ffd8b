/* ops_fit.c — CPU adapters of the try-on ops (graph_fit.h): each unpacks a
 * node into its kernel call (kernels_fit.h). */
#include "graph_fit.h"

static tr_pool *pool_of(const tr_exec *ex) { return ex->ctx->pool; }

tryon_status tr_cpu_op_bg_mask(const tr_exec *ex, const tr_node *n) {
    tr_cpu_bg_mask_f32(pool_of(ex), &n->p.bg_mask, tr_exec_f32(ex, n->src[0]), tr_exec_ws(ex, n),
                       tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_morph(const tr_exec *ex, const tr_node *n) {
    tr_cpu_morph_f32(pool_of(ex), &n->p.morph, tr_exec_f32(ex, n->src[0]), tr_exec_ws(ex, n),
                     tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_mask_clean(const tr_exec *ex, const tr_node *n) {
    tr_cpu_mask_clean_f32(pool_of(ex), &n->p.mask_clean, tr_exec_f32(ex, n->src[0]),
                          tr_exec_ws(ex, n), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_garment_anchors(const tr_exec *ex, const tr_node *n) {
    tr_cpu_garment_anchors_f32(pool_of(ex), &n->p.anchors, tr_exec_f32(ex, n->src[0]),
                               tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_sleeve_weight(const tr_exec *ex, const tr_node *n) {
    tr_cpu_sleeve_weight_f32(pool_of(ex), &n->p.sleeve, tr_exec_f32(ex, n->src[0]),
                             tr_exec_f32(ex, n->src[1]), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_garment_tri(const tr_exec *ex, const tr_node *n) {
    tr_cpu_garment_tri(pool_of(ex), &n->p.gtri, tr_exec_f32(ex, n->src[0]), tr_exec_ws(ex, n),
                       tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_fit_controls(const tr_exec *ex, const tr_node *n) {
    tr_cpu_fit_controls_f32(pool_of(ex), &n->p.fit, tr_exec_f32(ex, n->src[0]),
                            tr_exec_f32(ex, n->src[1]), tr_exec_f32(ex, n->src[2]),
                            tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_body_proxy(const tr_exec *ex, const tr_node *n) {
    tr_cpu_body_proxy_f32(pool_of(ex), &n->p.proxy, tr_exec_f32(ex, n->src[0]),
                          tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}

tryon_status tr_cpu_op_shade_composite(const tr_exec *ex, const tr_node *n) {
    tr_cpu_shade_composite_f32(pool_of(ex), &n->p.comp, tr_exec_f32(ex, n->src[0]),
                               tr_exec_f32(ex, n->src[1]), tr_exec_f32(ex, n->src[2]),
                               tr_exec_ws(ex, n), tr_exec_ptr(ex, n->dst));
    return TRYON_OK;
}
