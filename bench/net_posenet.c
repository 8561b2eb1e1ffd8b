/* net_posenet.c — PoseNet bench cases: "posenet-385", the whole graph of
 * `tryon pose` on a 385x385 RGB image (preprocessing, MobileNetV1 x0.75 at
 * output stride 16 with the default float accumulation, heads, sigmoid and the
 * single-pose decoder) with the real weights; "posenet-385-exact" the same
 * with TF.js's exact accumulation (tryon_posenet_params.exact: what it costs). Looks for
 * posenet.safetensors in --weights DIR, then weights/posenet.safetensors (`make weights`); NOT_RUN
 * with that reason when neither exists. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "internal.h" /* TR_FAIL */

/* Models use the mapped weights in place, and the harness builds the case
 * twice in one process (reference and timed), so the file is opened once per
 * process and stays open until exit. */
static tryon_weights *weights;

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
    if (!weights) {
        tryon_status st = tryon_weights_open(ctx, path, &weights);
        if (st != TRYON_OK) return st;
    }
    tryon_posenet_params p = tryon_posenet_params_default();
    p.image_width = p.image_height = 385;
    p.exact = exact;
    tryon_status st = tryon_posenet_load(ctx, weights, &p, model);
    if (st != TRYON_OK) return st;
    tryon_tensor t;
    tryon_model_input(*model, 0, &t);
    uint8_t *px = t.data; /* NULL on CUDA: the harness copies the reference's inputs */
    for (int64_t i = 0; px && i < 385 * 385 * 3; i++) px[i] = (uint8_t)((i * 2654435761u) >> 24);
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

const bench_case bench_posenet_385 = {"posenet-385", "posenet", fast, NULL};
const bench_case bench_posenet_385_exact = {"posenet-385-exact", "posenet", exact, NULL};
