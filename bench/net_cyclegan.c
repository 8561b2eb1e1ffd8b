/* net_cyclegan.c — benchmark cases for the CycleGAN-style generators:
 * fast-neural-style TransformerNet (official widths 32/64/128, 5 blocks) and
 * the CycleGAN ResNet-9 generator (ngf 64), at 256x256 and 512x512, batch
 * from --batch. Weights are random (`tools/convert.py cyclegan --synth`,
 * made by `make bench` in the bench weights folder): speed does not depend
 * on the values. FLOPs are summed from the op table over the planned graph. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "model.h"

/* The models read their weights in place, and the harness only frees the
 * model, so each weights file is opened once and kept for the process (the
 * handle is immutable and not tied to a context). */
typedef struct weights_slot {
    const char *file;
    tryon_weights *w;
} weights_slot;

static weights_slot slots[] = {{"transformernet.safetensors", NULL},
                               {"cyclegan-resnet9.safetensors", NULL}};

static tryon_status open_weights(tryon_ctx *ctx, const bench_opts *o, int which,
                                 tryon_weights **out) {
    weights_slot *s = &slots[which];
    if (!s->w) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", o->weights_dir, s->file);
        tryon_status st = tryon_weights_open(ctx, path, &s->w);
        if (st != TRYON_OK) return st; /* TRYON_ERR_IO when missing: NOT_RUN */
    }
    *out = s->w;
    return TRYON_OK;
}

static double model_flops(const tryon_model *m) {
    double f = 0;
    for (int32_t i = 0; i < m->g->n_nodes; i++) {
        const tr_node *n = &m->g->nodes[i];
        if (tr_op_table[n->op].flops) f += tr_op_table[n->op].flops(m->g, n);
    }
    return f;
}

static tryon_status setup(tryon_ctx *ctx, const bench_opts *o, int which, int32_t size,
                          tryon_model **model, bench_info *info) {
    tryon_weights *w;
    tryon_status st = open_weights(ctx, o, which, &w);
    if (st != TRYON_OK) return st;
    tryon_cyclegan_params p = {o->batch, size, size};
    st = tryon_cyclegan_load(ctx, w, &p, model);
    if (st != TRYON_OK) return st;
    info->flops = model_flops(*model);
    snprintf(info->detail, sizeof info->detail, "%s %dx%d batch %d (%s)",
             which ? "resnet9 ngf64" : "transformernet 32/64/128", size, size, o->batch,
             slots[which].file);
    return TRYON_OK;
}

static tryon_status tn256(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 0, 256, m, i);
}
static tryon_status tn512(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 0, 512, m, i);
}
static tryon_status r9_256(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 1, 256, m, i);
}
static tryon_status r9_512(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 1, 512, m, i);
}

const bench_case bench_transformernet_256 = {"transformernet-256", "cyclegan", tn256};
const bench_case bench_transformernet_512 = {"transformernet-512", "cyclegan", tn512};
const bench_case bench_cyclegan_r9_256 = {"cyclegan-resnet9-256", "cyclegan", r9_256};
const bench_case bench_cyclegan_r9_512 = {"cyclegan-resnet9-512", "cyclegan", r9_512};
