/* ops.c — op rows: every distinct (op, operand shapes, params) of a case's
 * graph as its own one-node graph, verified and timed like a net row.
 *
 * One child per case builds the case on the reference context and steps
 * through its graph node by node (the internal executor, one node at a time,
 * which is exactly a whole run). Before the first node of each distinct key
 * runs, its arena operands hold the values the net really feeds it; the child
 * copies them into the inputs of a one-node graph built on the timed context
 * (weights and constants are shared in place), and after the reference node
 * has run, the reference output is its result on the same inputs. So every op
 * is measured on real activations, shapes and weights, and data-dependent ops
 * (rasterizer, decoder, noise) see realistic data.
 *
 * The key ignores numeric constants that do not change the work (eps, gains,
 * clamp and slope values, noise strengths and layer streams); it keeps
 * everything that selects a code path or a shape. */
#include <stdarg.h>
#include <string.h>

#include "bench.h"
#include "graph_warp.h"
#include "model.h"

/* Appends to buf at k (snprintf-style, never past size); returns the new k. */
static int put(char *buf, size_t size, int k, const char *fmt, ...) TR_PRINTF(4, 5);
static int put(char *buf, size_t size, int k, const char *fmt, ...) {
    if (k < 0 || (size_t)k >= size) return k;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf + k, size - (size_t)k, fmt, ap);
    va_end(ap);
    return r < 0 ? k : k + r;
}

static int put_shape(char *buf, size_t size, int k, const tr_tensor *t) {
    k = put(buf, size, k, "%s[", t->dtype == TRYON_DTYPE_F32 ? "" : tryon_dtype_name(t->dtype));
    for (int32_t i = 0; i < t->ndim; i++)
        k = put(buf, size, k, i ? ",%lld" : "%lld", (long long)t->shape[i]);
    return put(buf, size, k, "]");
}

static int put_ep(char *buf, size_t size, int k, const tr_epilogue *ep) {
    if (ep->act != TR_ACT_NONE) k = put(buf, size, k, " %s", tr_act_name(ep->act));
    if (ep->gain != 1.0f) k = put(buf, size, k, " gain");
    if (ep->clamp > 0) k = put(buf, size, k, " clamp");
    return k;
}

static const char *pad_name(tr_pad_mode m) {
    return m == TR_PAD_REFLECT ? "reflect" : m == TR_PAD_REPLICATE ? "replicate" : "zeros";
}

/* The structural description of node n: operands (w: weight or constant, a:
 * activation), result, and the params that select the work. It is the key. */
static void describe(const tr_graph *g, const tr_node *n, char *buf, size_t size) {
    int k = 0;
    buf[0] = 0;
    int32_t n_src = n->n_src; /* absent trailing optional operands are not printed */
    while (n_src > 0 && n->src[n_src - 1] < 0) n_src--;
    for (int32_t s = 0; s < n_src; s++) {
        if (s) k = put(buf, size, k, " ");
        if (n->src[s] < 0) {
            k = put(buf, size, k, "-");
            continue;
        }
        const tr_tensor *t = &g->tensors[n->src[s]];
        k = put(buf, size, k, "%c", t->mem == TR_MEM_ARENA ? 'a' : 'w');
        k = put_shape(buf, size, k, t);
    }
    k = put(buf, size, k, " -> ");
    k = put_shape(buf, size, k, &g->tensors[n->dst]);
    const tr_params *p = &n->p;
    switch (n->op) {
    case TR_OP_CONV2D:
        k = put(buf, size, k, " k%dx%d s%d,%d d%d,%d pad%d,%d %s g%d%s", p->conv.kh, p->conv.kw,
                p->conv.stride_h, p->conv.stride_w, p->conv.dil_h, p->conv.dil_w, p->conv.pad_top,
                p->conv.pad_left, pad_name(p->conv.pad_mode), p->conv.groups,
                p->conv.accum == TR_CONV_ACCUM_ROUND_ONCE ? " round-once" : "");
        k = put_ep(buf, size, k, &p->conv.ep);
        break;
    case TR_OP_CONV_TRANSPOSE2D:
        k = put(buf, size, k, " k%dx%d s%d,%d d%d,%d pad%d,%d g%d", p->convt.kh, p->convt.kw,
                p->convt.stride_h, p->convt.stride_w, p->convt.dil_h, p->convt.dil_w,
                p->convt.pad_top, p->convt.pad_left, p->convt.groups);
        k = put_ep(buf, size, k, &p->convt.ep);
        break;
    case TR_OP_LINEAR: k = put_ep(buf, size, k, &p->linear.ep); break;
    case TR_OP_INSTANCE_NORM: k = put_ep(buf, size, k, &p->inorm.ep); break;
    case TR_OP_BINARY:
        k = put(buf, size, k, " %s",
                p->binary == TR_BINARY_ADD   ? "add"
                : p->binary == TR_BINARY_SUB ? "sub"
                                             : "mul");
        break;
    case TR_OP_ACT: k = put_ep(buf, size, k, &p->act); break;
    case TR_OP_UPSAMPLE_NEAREST:
        k = put(buf, size, k, " x%d,%d", p->upsample.fy, p->upsample.fx);
        break;
    case TR_OP_RESIZE_BILINEAR: k = put(buf, size, k, " mode%d", (int)p->resize.mode); break;
    case TR_OP_UPFIRDN2D:
        k = put(buf, size, k, " up%d,%d down%d,%d pad%d,%d,%d,%d taps%dx%d%s%s", p->upfirdn.up_x,
                p->upfirdn.up_y, p->upfirdn.down_x, p->upfirdn.down_y, p->upfirdn.pad_x0,
                p->upfirdn.pad_x1, p->upfirdn.pad_y0, p->upfirdn.pad_y1, p->upfirdn.fh,
                p->upfirdn.fw, p->upfirdn.separable ? " sep" : "", p->upfirdn.flip ? " flip" : "");
        break;
    case TR_OP_CONCAT: k = put(buf, size, k, " axis%d", p->concat.axis); break;
    case TR_OP_PERMUTE:
        k = put(buf, size, k, " perm%d%d%d%d", p->permute.perm[0], p->permute.perm[1],
                p->permute.perm[2], p->permute.perm[3]);
        break;
    case TR_OP_SLICE:
        k = put(buf, size, k, " axis%d %d+%d", p->slice.axis, p->slice.start, p->slice.len);
        break;
    case TR_OP_SCALE_CHANNELS: k = put_ep(buf, size, k, &p->schan.ep); break;
    case TR_OP_POSENET_DECODE:
        k = put(buf, size, k, " os%d %s poses%d", p->pose.output_stride,
                p->pose.multi ? "multi" : "single", p->pose.max_poses);
        break;
    case TR_OP_GRID_SAMPLE:
        k = put(buf, size, k, " mode%d pad%d align%d", (int)p->gsample.mode, (int)p->gsample.pad,
                p->gsample.align_corners);
        break;
    case TR_OP_AFFINE_GRID: k = put(buf, size, k, " align%d", p->agrid.align_corners); break;
    case TR_OP_TPS_FIT:
        if (p->tps_fit.has_mask) k = put(buf, size, k, " mask");
        if (p->tps_fit.lambda > 0) k = put(buf, size, k, " smooth");
        break;
    case TR_OP_TPS_GRID:
    case TR_OP_TPS_TRANSFORM: k = put(buf, size, k, " align%d", p->tps_eval.align_corners); break;
    case TR_OP_RASTER_COVERAGE:
        k = put(buf, size, k, " samples%d tris%d+%d", p->raster.samples, p->raster.first,
                p->raster.count);
        break;
    case TR_OP_TEXTURE:
        k = put(buf, size, k, " filter%d boundary%d", (int)p->tex.filter, (int)p->tex.boundary);
        break;
    default: break; /* the shapes say it all (scale, cast, lerp, reshape, demod, noise, ...) */
    }
    (void)k;
}

/* ---- the child ---------------------------------------------------------------- */

typedef struct op_key {
    char desc[256];
    int32_t first; /* first node with this key */
    int32_t count;
    int32_t index; /* k of "<case>:<op>:<k>", per op, from 1 */
    int selected;
} op_key;

typedef struct ops_job {
    const bench_env *e;
    const bench_case *c;
} ops_job;

static void row_name(const bench_case *c, const tr_graph *g, const op_key *key, char *buf,
                     size_t size) {
    snprintf(buf, size, "%s:%s:%d", c->name, tr_op_table[g->nodes[key->first].op].name, key->index);
}

/* Builds the one-node graph of node ni of g on ctx: arena operands become
 * inputs (in operand order, duplicates once), the rest point at g's data. */
static tryon_status one_node_model(tryon_ctx *ctx, const tr_graph *g, int32_t ni, tryon_model **out,
                                   int32_t *in_src, int32_t *n_in) {
    const tr_node *n = &g->nodes[ni];
    tr_graph *g1;
    TR_TRY(tr_graph_init(ctx, &g1));
    int32_t src[TR_MAX_SRC];
    *n_in = 0;
    for (int32_t s = 0; s < n->n_src; s++) {
        src[s] = -1;
        if (n->src[s] < 0) continue;
        int dup = -1;
        for (int32_t q = 0; q < s; q++)
            if (n->src[q] == n->src[s]) dup = q;
        if (dup >= 0) {
            src[s] = src[dup];
            continue;
        }
        const tr_tensor *t = &g->tensors[n->src[s]];
        if (t->mem == TR_MEM_ARENA) {
            src[s] = tr_graph_input(g1, t->name, t->dtype, t->ndim, t->shape);
            in_src[(*n_in)++] = n->src[s];
        } else {
            src[s] = tr_graph_extern(g1, t->name, t->dtype, t->ndim, t->shape,
                                     tr_graph_const_data(g, n->src[s]));
        }
    }
    const tr_tensor *d = &g->tensors[n->dst];
    tr_graph_name(g1, "%s", n->name);
    int32_t y = tr_graph_add_node(g1, n->op, src, n->n_src, d->dtype, d->ndim, d->shape, &n->p);
    tr_graph_output(g1, y, "y");
    return tr_model_create(ctx, g1, out); /* frees g1 on failure; reports a builder error */
}

static void op_row(const bench_env *e, const bench_case *c, const tryon_model *ref,
                   const op_key *key, bench_row *row) {
    const tr_graph *g = ref->g;
    const tr_node *n = &g->nodes[key->first];
    memset(row, 0, sizeof *row);
    row_name(c, g, key, row->name, sizeof row->name);
    snprintf(row->kind, sizeof row->kind, "op");
    snprintf(row->case_name, sizeof row->case_name, "%s", c->name);
    snprintf(row->family, sizeof row->family, "%s", c->family);
    snprintf(row->op, sizeof row->op, "%s", tr_op_table[n->op].name);
    snprintf(row->node, sizeof row->node, "%s", n->name);
    snprintf(row->desc, sizeof row->desc, "%s", key->desc);
    row->count = key->count;
    row->rss_bytes = -1;
    row->flops = tr_op_table[n->op].flops ? tr_op_table[n->op].flops(g, n) : 0;
    double bytes = (double)tr_tensor_bytes(&g->tensors[n->dst]);
    for (int32_t s = 0; s < n->n_src; s++) {
        int dup = 0;
        for (int32_t q = 0; q < s; q++) dup |= n->src[q] == n->src[s];
        if (n->src[s] >= 0 && !dup) bytes += (double)tr_tensor_bytes(&g->tensors[n->src[s]]);
    }
    row->bytes = bytes;
}

static void send_status(int fd, bench_row *row, bench_status st, const char *why) {
    row->status = st;
    snprintf(row->reason, sizeof row->reason, "%s", why);
    bench_child_send(fd, row);
}

static void ops_child(void *arg, int fd) {
    const ops_job *j = arg;
    const bench_env *e = j->e;
    const bench_case *c = j->c;
    bench_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.name, sizeof row.name, "%s:ops", c->name);
    snprintf(row.kind, sizeof row.kind, "op");
    snprintf(row.case_name, sizeof row.case_name, "%s", c->name);
    snprintf(row.family, sizeof row.family, "%s", c->family);
    row.rss_bytes = -1;
    tryon_ctx *rctx = NULL, *tctx = NULL;
    tryon_model *ref = NULL;
    op_key *keys = NULL;
    int32_t *key_of = NULL;
    char why[256];
    bench_info info = {""};
    if (tryon_ctx_init(&e->ref, &rctx, why, sizeof why) != TRYON_OK ||
        tryon_ctx_init(&e->timed, &tctx, why, sizeof why) != TRYON_OK) {
        row.last = 1;
        send_status(fd, &row, BENCH_FAILED, why);
        goto out;
    }
    tryon_status st = c->setup(rctx, &e->o, &ref, &info);
    if (st != TRYON_OK) {
        row.last = 1;
        send_status(fd, &row, st == TRYON_ERR_IO ? BENCH_NOT_RUN : BENCH_FAILED,
                    tryon_ctx_last_error(rctx));
        goto out;
    }
    const tr_graph *g = ref->g;
    keys = calloc((size_t)g->n_nodes, sizeof *keys);
    key_of = calloc((size_t)g->n_nodes, sizeof *key_of);
    if (!keys || !key_of) {
        row.last = 1;
        send_status(fd, &row, BENCH_FAILED, "out of memory");
        goto out;
    }
    int32_t n_keys = 0, n_selected = 0, last_selected = -1;
    for (int32_t i = 0; i < g->n_nodes; i++) {
        char d[256];
        describe(g, &g->nodes[i], d, sizeof d);
        int32_t k = 0;
        while (k < n_keys &&
               !(g->nodes[keys[k].first].op == g->nodes[i].op && strcmp(keys[k].desc, d) == 0))
            k++;
        if (k == n_keys) {
            snprintf(keys[k].desc, sizeof keys[k].desc, "%s", d);
            keys[k].first = i;
            for (int32_t q = 0; q < n_keys; q++)
                keys[k].index += g->nodes[keys[q].first].op == g->nodes[i].op;
            keys[k].index++;
            n_keys++;
        }
        keys[k].count++;
        key_of[i] = k;
    }
    for (int32_t k = 0; k < n_keys; k++) {
        char name[96];
        row_name(c, g, &keys[k], name, sizeof name);
        keys[k].selected = bench_filter_match(e->filter, name);
        if (keys[k].selected) n_selected++, last_selected = keys[k].first;
    }
    int32_t sent = 0;
    for (int32_t i = 0; i <= last_selected; i++) {
        const op_key *key = &keys[key_of[i]];
        int want = key->selected && key->first == i;
        tryon_model *m = NULL;
        int32_t in_src[TR_MAX_SRC], n_in = 0;
        if (want) {
            op_row(e, c, ref, key, &row);
            st = one_node_model(tctx, g, i, &m, in_src, &n_in);
            if (st != TRYON_OK) {
                row.status = st == TRYON_ERR_UNSUPPORTED ? BENCH_NOT_SUPPORTED : BENCH_FAILED;
                snprintf(row.reason, sizeof row.reason, "%s", tryon_ctx_last_error(tctx));
            }
            for (int32_t q = 0; q < n_in && row.status == BENCH_OK; q++) {
                const tr_tensor *t = &g->tensors[in_src[q]];
                if (tryon_model_set_input(m, q, ref->arena + t->offset,
                                          (size_t)tr_tensor_bytes(t)) != TRYON_OK) {
                    row.status = BENCH_FAILED;
                    snprintf(row.reason, sizeof row.reason, "%s", tryon_ctx_last_error(tctx));
                }
            }
            if (row.status == BENCH_OK) row.arena_bytes = tryon_model_arena_bytes(m);
        }
        st = tr_graph_run_cpu(rctx, g, ref->arena, i, i + 1, NULL);
        if (st != TRYON_OK) {
            tryon_model_free(m);
            row.last = 1;
            snprintf(row.name, sizeof row.name, "%s:ops", c->name);
            send_status(fd, &row, BENCH_FAILED, tryon_ctx_last_error(rctx));
            goto out;
        }
        if (!want) continue;
        if (row.status == BENCH_OK) {
            if (tryon_model_run(m) != TRYON_OK) {
                row.status = BENCH_FAILED;
                snprintf(row.reason, sizeof row.reason, "run: %s", tryon_ctx_last_error(tctx));
            } else {
                const void *want_y = ref->arena + g->tensors[g->nodes[i].dst].offset;
                if (bench_verify_output(e, m, 0, want_y, 0, &row)) bench_time_model(e, m, &row);
            }
        }
        tryon_model_free(m);
        row.last = ++sent == n_selected;
        bench_child_send(fd, &row);
    }
    if (sent == 0) { /* nothing matched the filter: an empty last row */
        memset(&row, 0, sizeof row);
        row.last = 1;
        bench_child_send(fd, &row);
    }
out:
    free(keys);
    free(key_of);
    tryon_model_free(ref);
    tryon_ctx_free(tctx);
    tryon_ctx_free(rctx);
}

typedef struct forward {
    bench_emit_fn emit;
    void *user;
} forward;

/* Passes rows on, except the empty last row of a child that matched nothing. */
static void forward_row(const bench_row *r, void *user) {
    const forward *f = user;
    if (r->name[0]) f->emit(r, f->user);
}

void bench_run_ops(const bench_env *e, const bench_case *c, bench_emit_fn emit, void *user) {
    ops_job j = {e, c};
    char fail[96];
    snprintf(fail, sizeof fail, "%s:ops", c->name);
    forward f = {emit, user};
    bench_child_rows(ops_child, &j, fail, forward_row, &f);
}
