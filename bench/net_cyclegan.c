/* net_cyclegan.c — benchmark cases for the CycleGAN-style generators:
 * fast-neural-style TransformerNet (official widths 32/64/128, 5 blocks) and
 * the CycleGAN ResNet-9 generator (ngf 64), at 256x256 and 512x512, batch
 * from --batch. Weights are random (`tools/convert.py cyclegan --synth`,
 * made by `make bench` in the bench weights folder): speed does not depend
 * on the values. The input is seeded noise over the net's nominal range
 * (-1..1 for CycleGAN, 0..255 for TransformerNet). */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* The models read their weights in place and the harness builds each case
 * twice per process, so each file is opened once and kept for the process
 * (the handle is immutable and not tied to a context). */
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

/* splitmix64 -> [lo, hi): the same input in every process. */
static void fill_uniform(float *x, int64_t n, float lo, float hi) {
    uint64_t s = 0x5eed;
    for (int64_t i = 0; i < n; i++) {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        x[i] = lo + (hi - lo) * (float)((z >> 40) * (1.0 / 16777216.0));
    }
}

static tryon_status setup(tryon_ctx *ctx, const bench_opts *o, int which, int32_t size,
                          tryon_model **model, bench_info *info) {
    tryon_weights *w;
    tryon_status st = open_weights(ctx, o, which, &w);
    if (st != TRYON_OK) return st;
    tryon_cyclegan_params p = {o->batch, size, size};
    tryon_cyclegan_info ci;
    st = tryon_cyclegan_inspect(ctx, w, &p, &ci);
    if (st == TRYON_OK) st = tryon_cyclegan_load(ctx, w, &p, model);
    if (st != TRYON_OK) return st;
    tryon_tensor t;
    tryon_model_input(*model, 0, &t);
    if (t.data) /* NULL on CUDA: the harness copies the reference model's inputs */
        fill_uniform(t.data, t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3], ci.range_lo,
                     ci.range_hi);
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

const bench_case bench_transformernet_256 = {"transformernet-256", "cyclegan", tn256, NULL};
const bench_case bench_transformernet_512 = {"transformernet-512", "cyclegan", tn512, NULL};
const bench_case bench_cyclegan_r9_256 = {"cyclegan-resnet9-256", "cyclegan", r9_256, NULL};
const bench_case bench_cyclegan_r9_512 = {"cyclegan-resnet9-512", "cyclegan", r9_512, NULL};
