/* profile.c — `tryon-bench --profile N`: after a case's timed runs, the
 * context's per-node times (tryon_model_profile, last run) summed per op and
 * the N slowest nodes, each with the CPU kernel that ran it (the fast
 * kernels' algorithm, or "reference"). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "model.h"
#include "ops_fast.h"

typedef struct prof_row {
    int32_t node;
    double ms;
} prof_row;

static int cmp_row(const void *a, const void *b) {
    double x = ((const prof_row *)a)->ms, y = ((const prof_row *)b)->ms;
    return x < y ? 1 : x > y ? -1 : 0;
}

void bench_profile_print(const tryon_model *m, int top) {
    const tr_graph *g = m->g;
    tryon_node_time *t = calloc((size_t)g->n_nodes, sizeof *t);
    prof_row *rows = calloc((size_t)g->n_nodes, sizeof *rows);
    if (!t || !rows || tryon_model_profile(m, t, g->n_nodes) != g->n_nodes) {
        printf("  (no profile: the context was not created with profile = 1)\n");
        free(t), free(rows);
        return;
    }
    double total = 0, per_op[TR_OP_COUNT] = {0};
    int32_t count[TR_OP_COUNT] = {0};
    for (int32_t i = 0; i < g->n_nodes; i++) {
        rows[i].node = i, rows[i].ms = t[i].ms;
        total += t[i].ms;
        per_op[g->nodes[i].op] += t[i].ms;
        count[g->nodes[i].op]++;
    }
    printf("  profile of the last run: %.3f ms in %d nodes\n", total, g->n_nodes);
    for (int32_t op = 0; op < TR_OP_COUNT; op++)
        if (count[op])
            printf("    %-20s %4d nodes %10.3f ms %5.1f%%\n", tr_op_table[op].name, count[op],
                   per_op[op], total > 0 ? 100 * per_op[op] / total : 0);
    qsort(rows, (size_t)g->n_nodes, sizeof *rows, cmp_row);
    for (int32_t i = 0; i < top && i < g->n_nodes; i++) {
        const tr_node *n = &g->nodes[rows[i].node];
        double gf = tr_op_table[n->op].flops ? tr_op_table[n->op].flops(g, n) : 0;
        printf("    %-36s %-16s %-9s %9.3f ms %8.1f GFLOP/s\n", n->name, tr_op_table[n->op].name,
               tr_fast_node_algo(g, rows[i].node), rows[i].ms,
               gf > 0 && rows[i].ms > 0 ? gf / (rows[i].ms * 1e6) : 0);
    }
    free(t), free(rows);
}
