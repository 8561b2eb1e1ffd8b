/* net_posenet.c — PoseNet bench case: "posenet-385", the whole graph of
 * `tryon pose` on a 385x385 RGB image (preprocessing, MobileNetV1 x0.75 at
 * output stride 16 with the default float accumulation, heads, sigmoid and the
 * single-pose decoder) with the real weights; "posenet-385-exact" the same
 * with TF.js's exact accumulation (tryon_posenet_params.exact, what it
 * costs). Looks for posenet.safetensors
 * in --weights DIR, then weights/posenet.safetensors (`make weights`); NOT_RUN
 * with that reason when neither exists. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "model.h"

/* The model uses the mapped weights in place, so they must stay open while it
 * lives; the harness has no teardown hook, so the last handle stays open until
 * exit (one per process) and is replaced on the next setup. */
static tryon_weights *open_weights;

static tryon_status setup(tryon_ctx *ctx, const bench_opts *o, int32_t exact, tryon_model **model,
                          bench_info *info) {
    char path[1024];
    struct stat sb;
    snprintf(path, sizeof path, "%s/posenet.safetensors", o->weights_dir);
    if (stat(path, &sb) != 0) snprintf(path, sizeof path, "weights/posenet.safetensors");
    if (stat(path, &sb) != 0)
        return TR_FAIL(ctx, TRYON_ERR_IO,
                       "weights/posenet.safetensors not found (run `make weights`)");
    if (o->batch != 1)
        return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "posenet-385 runs one image (batch 1)");
    tryon_weights_close(open_weights);
    open_weights = NULL;
    TR_TRY(tryon_weights_open(ctx, path, &open_weights));
    tryon_posenet_params p = tryon_posenet_params_default();
    p.image_width = p.image_height = 385;
    p.exact = exact;
    TR_TRY(tryon_posenet_load(ctx, open_weights, &p, model));
    tryon_tensor t;
    uint8_t *px = bench_input_host(*model, 0, &t);
    for (int64_t i = 0; px && i < 385 * 385 * 3; i++) px[i] = (uint8_t)((i * 2654435761u) >> 24);
    TR_TRY(bench_input_commit(*model, 0, &t, px));
    const tr_graph *g = (*model)->g;
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (tr_op_table[g->nodes[i].op].flops)
            info->flops += tr_op_table[g->nodes[i].op].flops(g, &g->nodes[i]);
    snprintf(info->detail, sizeof info->detail, "%.80s, 385x385 u8 image, single pose%s", path,
             exact ? ", exact" : "");
    return TRYON_OK;
}

static tryon_status fast(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 0, m, i);
}
static tryon_status exact(tryon_ctx *c, const bench_opts *o, tryon_model **m, bench_info *i) {
    return setup(c, o, 1, m, i);
}

const bench_case bench_posenet_385 = {"posenet-385", "posenet", fast};
const bench_case bench_posenet_385_exact = {"posenet-385-exact", "posenet", exact};
