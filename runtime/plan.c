/* plan.c — the memory planner: liveness -> offsets in one activation arena.
 *
 * Walk the nodes in execution order. Inputs and outputs are placed first and
 * never freed, so they share memory with nothing. At node i the planner
 * places its output (its operands are still live, so the two never overlap),
 * then its workspace, frees the workspace, and frees every tensor whose last
 * reader is node i. Placement is best fit over a sorted free list with
 * coalescing, and the arena size is the high-water mark. Like ggml-alloc, the
 * plan is computed once; running the graph then allocates nothing. */
#include <string.h>

#include "graph.h"
#include "ops_fast.h"

typedef struct free_block {
    int64_t off, size;
} free_block;

typedef struct planner {
    tryon_ctx *ctx;
    free_block *free; /* sorted by offset, non-adjacent */
    int32_t n_free, cap_free;
    int64_t top; /* high-water mark */
} planner;

static int64_t block_size(int64_t bytes) {
    return tr_align_up(bytes > 0 ? bytes : 1, TR_HOST_ALIGN);
}

static int64_t plan_alloc(planner *pl, int64_t bytes) {
    int64_t size = block_size(bytes);
    int32_t best = -1;
    for (int32_t i = 0; i < pl->n_free; i++)
        if (pl->free[i].size >= size && (best < 0 || pl->free[i].size < pl->free[best].size))
            best = i;
    if (best >= 0) {
        int64_t off = pl->free[best].off;
        pl->free[best].off += size;
        pl->free[best].size -= size;
        if (pl->free[best].size == 0) {
            memmove(&pl->free[best], &pl->free[best + 1],
                    (size_t)(pl->n_free - best - 1) * sizeof *pl->free);
            pl->n_free--;
        }
        return off;
    }
    /* Grow the arena, reusing a free block that ends at the top. */
    if (pl->n_free > 0) {
        free_block *last = &pl->free[pl->n_free - 1];
        if (last->off + last->size == pl->top) {
            int64_t off = last->off;
            pl->top = off + size;
            pl->n_free--;
            return off;
        }
    }
    int64_t off = pl->top;
    pl->top += size;
    return off;
}

static tryon_status plan_release(planner *pl, int64_t off, int64_t bytes) {
    int64_t size = block_size(bytes);
    int32_t i = 0;
    while (i < pl->n_free && pl->free[i].off < off) i++;
    int merge_prev = i > 0 && pl->free[i - 1].off + pl->free[i - 1].size == off;
    int merge_next = i < pl->n_free && off + size == pl->free[i].off;
    if (merge_prev && merge_next) {
        pl->free[i - 1].size += size + pl->free[i].size;
        memmove(&pl->free[i], &pl->free[i + 1], (size_t)(pl->n_free - i - 1) * sizeof *pl->free);
        pl->n_free--;
    } else if (merge_prev) {
        pl->free[i - 1].size += size;
    } else if (merge_next) {
        pl->free[i].off = off;
        pl->free[i].size += size;
    } else {
        if (pl->n_free == pl->cap_free) {
            int32_t cap = pl->cap_free ? pl->cap_free * 2 : 32;
            free_block *f = tr_mem_realloc(pl->ctx, pl->free, (size_t)cap * sizeof *f);
            if (!f) return TRYON_ERR_NOMEM;
            pl->free = f;
            pl->cap_free = cap;
        }
        memmove(&pl->free[i + 1], &pl->free[i], (size_t)(pl->n_free - i) * sizeof *pl->free);
        pl->free[i].off = off;
        pl->free[i].size = size;
        pl->n_free++;
    }
    return TRYON_OK;
}

static int pinned(const tr_tensor *t) {
    return (t->flags & (TR_TENSOR_INPUT | TR_TENSOR_OUTPUT)) != 0;
}

/* Per-op workspace: instance norm keeps (mean, rstd) per (n, c); PoseNet's
 * multi-pose decoder its candidate heap and decoded keypoints; the try-on ops
 * their border samples, intermediate pass, flood-fill queue, cell table and
 * per-row sums. */
static int64_t workspace_bytes(const tr_graph *g, const tr_node *n) {
    /* The fast CPU kernels' (runtime/ops_fast.c) or the reference's, whichever is larger. */
    int64_t fast = tr_fast_ws_bytes(g, (int32_t)(n - g->nodes)), ref;
    switch (n->op) {
    case TR_OP_INSTANCE_NORM: ref = (int64_t)n->p.inorm.n * n->p.inorm.c * 2 * 8; break;
    case TR_OP_POSENET_DECODE: ref = tr_posenet_decode_ws_bytes(&n->p.pose); break;
    case TR_OP_BG_MASK: ref = tr_bg_mask_ws_bytes(&n->p.bg_mask); break;
    case TR_OP_MORPH:
        ref = (int64_t)n->p.morph.n * n->p.morph.h * n->p.morph.w * n->p.morph.c * 4;
        break;
    case TR_OP_MASK_CLEAN: ref = tr_mask_clean_ws_bytes(&n->p.mask_clean); break;
    case TR_OP_GARMENT_TRI: ref = (int64_t)n->p.gtri.gx * n->p.gtri.gy; break;
    case TR_OP_SHADE_COMPOSITE: ref = tr_shade_composite_ws_bytes(&n->p.comp); break;
    default: ref = 0;
    }
    return fast > ref ? fast : ref;
}

tryon_status tr_graph_plan(tr_graph *g) {
    if (g->status != TRYON_OK) return g->status;
    if (g->planned) return TRYON_OK;
    if (g->n_nodes == 0)
        return (void)TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "graph has no nodes"), g->status;
    if (g->n_outputs == 0)
        return (void)TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "graph has no outputs"), g->status;

    /* Liveness: the last node reading each tensor. */
    for (int32_t t = 0; t < g->n_tensors; t++) g->tensors[t].last_use = g->tensors[t].producer;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[i];
        for (int32_t s = 0; s < n->n_src; s++)
            if (n->src[s] >= 0) g->tensors[n->src[s]].last_use = i;
    }
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem == TR_MEM_ARENA && tt->producer < 0 && !(tt->flags & TR_TENSOR_INPUT))
            return (void)TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG,
                                       "tensor '%s' is read but never written", tt->name),
                   g->status;
    }

    /* Fast CPU kernels: algorithm per node, packed weights, workspace sizes. */
    tryon_status st = tr_fast_plan_make(g);
    if (st != TRYON_OK) return (void)TR_GRAPH_FAIL(g, st, "%s", g->ctx->err), g->status;
    planner pl = {.ctx = g->ctx};
    for (int32_t t = 0; t < g->n_tensors; t++) {
        tr_tensor *tt = &g->tensors[t];
        if (tt->mem == TR_MEM_ARENA && pinned(tt))
            tt->offset = plan_alloc(&pl, tr_tensor_bytes(tt));
    }
    for (int32_t i = 0; i < g->n_nodes && st == TRYON_OK; i++) {
        tr_node *n = &g->nodes[i];
        tr_tensor *d = &g->tensors[n->dst];
        if (!pinned(d)) d->offset = plan_alloc(&pl, tr_tensor_bytes(d));
        n->ws_bytes = workspace_bytes(g, n);
        n->ws_offset = 0;
        if (n->ws_bytes > 0) {
            n->ws_offset = plan_alloc(&pl, n->ws_bytes);
            st = plan_release(&pl, n->ws_offset, n->ws_bytes);
        }
        /* Free operands read for the last time here, and dead outputs. */
        for (int32_t s = 0; s < n->n_src && st == TRYON_OK; s++) {
            int32_t t = n->src[s];
            if (t < 0) continue;
            int dup = 0; /* the same tensor may be passed twice */
            for (int32_t k = 0; k < s; k++) dup |= n->src[k] == t;
            tr_tensor *tt = &g->tensors[t];
            if (!dup && tt->mem == TR_MEM_ARENA && !pinned(tt) && tt->last_use == i)
                st = plan_release(&pl, tt->offset, tr_tensor_bytes(tt));
        }
        if (st == TRYON_OK && !pinned(d) && d->last_use == i)
            st = plan_release(&pl, d->offset, tr_tensor_bytes(d));
    }
    tr_mem_free(pl.free);
    if (st != TRYON_OK)
        return (void)TR_GRAPH_FAIL(g, st, "out of memory while planning"), g->status;
    g->arena_bytes = pl.top;
    g->planned = 1;
    return TRYON_OK;
}
