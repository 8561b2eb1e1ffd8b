/* net_stylegan2.c — StyleGAN2 generator benchmark: the whole G (mapping +
 * synthesis, z -> NCHW image, noise const) at 256x256 with config-f widths
 * (channel_base 16384, channel_max 512, 8 mapping layers, z = w = 512) on
 * random weights from `tools/convert.py stylegan2 --synth f256`, which
 * `make bench` writes to build/bench-weights/stylegan2-f256.safetensors. */
#include <stdio.h>

#include "bench.h"

/* The mapped file must outlive every model built on it: opened once per
 * process (the harness frees models, not weights). */
static tryon_weights *f256_weights;

static tryon_status setup_f256(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                               bench_info *info) {
    char path[1024];
    snprintf(path, sizeof path, "%s/stylegan2-f256.safetensors", o->weights_dir);
    if (!f256_weights) {
        tryon_status st = tryon_weights_open(ctx, path, &f256_weights); /* IO: NOT_RUN */
        if (st != TRYON_OK) return st;
    }
    tryon_stylegan2_info gi;
    tryon_status st = tryon_stylegan2_get_info(ctx, f256_weights, &gi);
    if (st == TRYON_OK)
        st = tryon_stylegan2_build(ctx, f256_weights, o->batch, TRYON_STYLEGAN2_INPUT_Z, model);
    if (st != TRYON_OK) return st;
    /* z of generate.py --seeds=0,1,...: one seed per image. NULL data on CUDA:
     * the harness copies the reference model's inputs. */
    tryon_tensor t;
    tryon_model_input(*model, 0, &t);
    double z[4096];
    for (int32_t b = 0; t.data && b < o->batch && gi.z_dim <= 4096; b++) {
        tryon_stylegan2_seed_z((uint32_t)b, gi.z_dim, z);
        for (int32_t i = 0; i < gi.z_dim; i++)
            ((float *)t.data)[(int64_t)b * gi.z_dim + i] = (float)z[i];
    }
    snprintf(info->detail, sizeof info->detail, "z->img %dx%d %s, %d ws, synth weights",
             gi.resolution, gi.resolution, gi.architecture, gi.num_ws);
    return TRYON_OK;
}

const bench_case bench_stylegan2_f256 = {"stylegan2-f256", "stylegan2", setup_f256, NULL};
