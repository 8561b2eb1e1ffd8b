/* ops_fast.c — plan-time choice and weight packing for the fast CPU
 * kernels, and the adapters runtime/ops.c calls before the reference
 * kernels. See ops_fast.h. */
#include <string.h>

#include "fast/fast.h"
#include "ops_fast.h"
#include "pool.h"

typedef struct tr_fast_node {
    tr_fast_conv conv;  /* algo TR_FAST_NONE: the reference kernel runs */
    int64_t packed_off; /* floats into plan->packed; -1: packed by each run */
    int64_t ws_bytes;   /* the kernel's workspace plus run-time packing */
} tr_fast_node;

struct tr_fast_plan {
    const tr_fast_isa *isa;
    tr_fast_node *nodes; /* (n_nodes) */
    float *packed;       /* every constant weight packed, one allocation */
    int64_t packed_floats;
};

void tr_fast_plan_free(struct tr_fast_plan *p) {
    if (!p) return;
    tr_mem_free(p->nodes);
    tr_mem_free(p->packed);
    tr_mem_free(p);
}

static const tr_fast_node *fast_node(const tr_exec *ex, const tr_node *n) {
    const struct tr_fast_plan *p = ex->g->fast;
    if (!p || ex->ctx->params.kernels == TRYON_KERNELS_REFERENCE) return NULL;
    const tr_fast_node *f = &p->nodes[n - ex->g->nodes];
    return f->conv.algo != TR_FAST_NONE ? f : NULL;
}

/* Chooses the node's algorithm and sizes its workspace; packed_off is set
 * later. */
static void choose(const tr_graph *g, const tr_fast_isa *isa, int32_t threads, const tr_node *n,
                   tr_fast_node *f) {
    memset(f, 0, sizeof *f);
    f->packed_off = -1;
    switch (n->op) {
    case TR_OP_CONV2D:
        tr_fast_conv2d_plan(isa, &n->p.conv, n->src[3] >= 0, n->p.conv.winograd, threads, &f->conv);
        break;
    case TR_OP_CONV_TRANSPOSE2D: tr_fast_convt_plan(isa, &n->p.convt, threads, &f->conv); break;
    case TR_OP_LINEAR: tr_fast_linear_plan(isa, &n->p.linear, threads, &f->conv); break;
    default: return;
    }
    f->ws_bytes = tr_align_up(f->conv.ws_bytes, TR_HOST_ALIGN);
    const tr_tensor *w = &g->tensors[n->src[1]];
    if (f->conv.algo != TR_FAST_NONE && w->mem == TR_MEM_ARENA) /* packed by each run */
        f->ws_bytes += tr_align_up(f->conv.packed_floats * 4, TR_HOST_ALIGN);
}

static void pack(const tr_node *n, const tr_fast_node *f, const float *w, float *dst) {
    switch (n->op) {
    case TR_OP_CONV2D: tr_fast_conv2d_pack(&f->conv, &n->p.conv, w, dst); break;
    case TR_OP_CONV_TRANSPOSE2D: tr_fast_convt_pack(&f->conv, &n->p.convt, w, dst); break;
    case TR_OP_LINEAR: tr_fast_linear_pack(&f->conv, &n->p.linear, w, dst); break;
    default: break;
    }
}

tryon_status tr_fast_plan_make(tr_graph *g) {
    tryon_ctx *ctx = g->ctx;
    if (g->fast || ctx->params.device != TRYON_DEVICE_CPU ||
        ctx->params.kernels == TRYON_KERNELS_REFERENCE)
        return TRYON_OK;
    const tr_fast_isa *isa = tr_fast_isa_table((tr_isa)ctx->cpu_isa);
    if (!isa) return TRYON_OK;
    struct tr_fast_plan *p = tr_mem_calloc(ctx, 1, sizeof *p);
    if (!p) return TRYON_ERR_NOMEM;
    p->isa = isa;
    p->nodes = tr_mem_calloc(ctx, (size_t)g->n_nodes, sizeof *p->nodes);
    if (!p->nodes) goto nomem;
    const int32_t threads = tr_pool_n_threads(ctx->pool);
    for (int32_t i = 0; i < g->n_nodes; i++) {
        tr_fast_node *f = &p->nodes[i];
        choose(g, isa, threads, &g->nodes[i], f);
        /* Nothing to pack (TR_FAST_DOT reads the weights as they are): no offset. */
        if (f->conv.algo == TR_FAST_NONE || f->conv.packed_floats == 0 ||
            g->tensors[g->nodes[i].src[1]].mem == TR_MEM_ARENA)
            continue;
        f->packed_off = p->packed_floats;
        p->packed_floats += tr_align_up(f->conv.packed_floats, TR_HOST_ALIGN / 4);
    }
    if (p->packed_floats > 0) {
        p->packed = tr_mem_aligned(ctx, TR_HOST_ALIGN, (size_t)p->packed_floats * 4);
        if (!p->packed) goto nomem;
        for (int32_t i = 0; i < g->n_nodes; i++) {
            const tr_fast_node *f = &p->nodes[i];
            if (f->packed_off < 0) continue;
            const float *w = tr_graph_const_data(g, g->nodes[i].src[1]);
            pack(&g->nodes[i], f, w, p->packed + f->packed_off);
        }
    }
    g->fast = p;
    return TRYON_OK;
nomem:
    tr_fast_plan_free(p);
    return TR_FAIL(ctx, TRYON_ERR_NOMEM, "out of memory (packed weights of the fast kernels)");
}

int64_t tr_fast_ws_bytes(const tr_graph *g, int32_t i) {
    return g->fast ? g->fast->nodes[i].ws_bytes : 0;
}

const char *tr_fast_node_algo(const tr_graph *g, int32_t i) {
    if (!g->fast) return tr_fast_algo_name(TR_FAST_NONE);
    return tr_fast_algo_name(g->fast->nodes[i].conv.algo);
}

/* The packed weights and the kernel's workspace of a node; packs run-time
 * weights into the workspace first. */
static const float *prepare(const tr_exec *ex, const tr_node *n, const tr_fast_node *f, void **ws) {
    uint8_t *base = tr_exec_ws(ex, n);
    *ws = base;
    if (f->conv.packed_floats == 0) return NULL; /* the kernel packs nothing, reads nothing */
    if (f->packed_off >= 0) return ex->g->fast->packed + f->packed_off;
    float *dst = (float *)(base + tr_align_up(f->conv.ws_bytes, TR_HOST_ALIGN));
    pack(n, f, tr_exec_f32(ex, n->src[1]), dst);
    return dst;
}

int tr_fast_run_conv2d(const tr_exec *ex, const tr_node *n, const tr_conv2d_args *a) {
    const tr_fast_node *f = fast_node(ex, n);
    if (!f) return 0;
    void *ws;
    const float *packed = prepare(ex, n, f, &ws);
    tr_fast_conv2d_run(&f->conv, ex->ctx->pool, a, packed, ws);
    return 1;
}

int tr_fast_run_convt(const tr_exec *ex, const tr_node *n, const tr_conv_transpose2d_args *a) {
    const tr_fast_node *f = fast_node(ex, n);
    if (!f) return 0;
    void *ws;
    const float *packed = prepare(ex, n, f, &ws);
    tr_fast_convt_run(&f->conv, ex->ctx->pool, a, packed, ws);
    return 1;
}

int tr_fast_run_linear(const tr_exec *ex, const tr_node *n, const tr_linear_args *a) {
    const tr_fast_node *f = fast_node(ex, n);
    if (!f) return 0;
    void *ws;
    const float *packed = prepare(ex, n, f, &ws);
    tr_fast_linear_run(&f->conv, ex->ctx->pool, a, packed, ws);
    return 1;
}

/* Instance norm and upfirdn2d need no plan: the ISA is enough. */
static const tr_fast_isa *plain_isa(const tr_exec *ex) {
    const struct tr_fast_plan *p = ex->g->fast;
    return p && ex->ctx->params.kernels != TRYON_KERNELS_REFERENCE ? p->isa : NULL;
}

int tr_fast_run_inorm(const tr_exec *ex, const tr_node *n, const tr_instance_norm_args *a) {
    (void)n;
    const tr_fast_isa *isa = plain_isa(ex);
    if (!isa) return 0;
    tr_fast_instance_norm(isa, ex->ctx->pool, a);
    return 1;
}

int tr_fast_run_upfirdn(const tr_exec *ex, const tr_node *n, const tr_upfirdn2d_args *a) {
    (void)n;
    const tr_fast_isa *isa = plain_isa(ex);
    if (!isa || !tr_fast_upfirdn2d_applies(&a->d)) return 0;
    tr_fast_upfirdn2d(isa, ex->ctx->pool, a);
    return 1;
}

int tr_fast_run_schan(const tr_exec *ex, const tr_node *n, const tr_scale_channels_args *a) {
    (void)n;
    const tr_fast_isa *isa = plain_isa(ex);
    if (!isa) return 0;
    tr_fast_scale_channels(isa, ex->ctx->pool, a);
    return 1;
}

int tr_fast_run_upsample(const tr_exec *ex, const int64_t *s, int32_t fy, int32_t fx,
                         const float *x, float *y) {
    if (!plain_isa(ex)) return 0;
    tr_fast_upsample_nearest(ex->ctx->pool, (int32_t)s[0], (int32_t)s[1], (int32_t)s[2],
                             (int32_t)s[3], fy, fx, x, y);
    return 1;
}

int tr_fast_run_resize(const tr_exec *ex, const tr_node *n) {
    if (!plain_isa(ex)) return 0;
    const int u8 = ex->g->tensors[n->src[0]].dtype == TRYON_DTYPE_U8;
    const void *x = tr_exec_ptr(ex, n->src[0]);
    tr_fast_resize_bilinear(ex->ctx->pool, &n->p.resize, u8 ? NULL : x, u8 ? x : NULL,
                            tr_exec_ptr(ex, n->dst));
    return 1;
}
