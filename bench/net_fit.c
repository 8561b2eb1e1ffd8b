/* net_fit.c — bench cases of the try-on fitting graph (nets/fit.c), one frame
 * per run, the garment prepared once in the setup (on the bench's device):
 *   fit-frame-512    given keypoints (no PoseNet): control points, the two
 *                    thin-plate splines, a 32x40-cell garment mesh and the arm
 *                    proxy rasterized at 512x512, texture, feather, luminance
 *                    and the shading composite; no weights needed
 *   fit-posenet-512  the same with PoseNet (single pose) on the 512x512 frame;
 *                    posenet.safetensors from --weights DIR or weights/
 * The garment is a drawn long-sleeved top (384x512 texture, the defaults);
 * the person a synthetic gradient. Batch 1 only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "internal.h" /* TR_TRY, TR_FAIL */

enum { SIDE = 512 };

/* Models use the mapped weights in place, and the harness builds the case
 * twice in one process (reference and timed), so the file is opened once per
 * process and stays open until exit (as in net_posenet.c). */
static tryon_weights *open_weights;

/* A front view of a long-sleeved top on a light backdrop, 384x512. */
static tryon_status prepare_garment(tryon_ctx *ctx, tryon_garment **out) {
    const int32_t w = 384, h = 512;
    tryon_image img = {w, h, 3, malloc((size_t)w * h * 3)};
    if (!img.data) return TRYON_ERR_NOMEM;
    for (int32_t i = 0; i < h; i++)
        for (int32_t j = 0; j < w; j++) {
            int in = (i >= 90 && i < 140 && j >= 40 && j < 344) ||
                     (i >= 140 && i < 470 && j >= 115 && j < 269) ||
                     (i >= 140 && i < 380 && ((j >= 40 && j < 92) || (j >= 292 && j < 344)));
            for (int k = 0; k < 3; k++)
                img.data[((int64_t)i * w + j) * 3 + k] =
                    (uint8_t)(in ? (k == 2 ? 180 : 40 + (i / 16 % 2) * 60) : 240);
        }
    tryon_garment_params gp = tryon_garment_params_default();
    tryon_status st = tryon_garment_prepare(ctx, &img, &gp, NULL, out);
    free(img.data);
    return st;
}

static tryon_status setup_common(tryon_ctx *ctx, const bench_opts *o, int posenet,
                                 tryon_model **model, bench_info *info) {
    char path[1024] = "";
    if (o->batch != 1)
        return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "the fit runs one frame (batch 1)");
    if (posenet) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/posenet.safetensors", o->weights_dir);
        if (stat(path, &sb) != 0) snprintf(path, sizeof path, "weights/posenet.safetensors");
        if (stat(path, &sb) != 0)
            return TR_FAIL(ctx, TRYON_ERR_IO,
                           "weights/posenet.safetensors not found (run `make weights`)");
        if (!open_weights) TR_TRY(tryon_weights_open(ctx, path, &open_weights));
    }
    tryon_garment *gm;
    TR_TRY(prepare_garment(ctx, &gm));
    tryon_fit_params fp = tryon_fit_params_default();
    fp.width = fp.height = SIDE;
    fp.external_pose = !posenet;
    tryon_status st = tryon_fit_load(ctx, posenet ? open_weights : NULL, &fp, model);
    if (st == TRYON_OK) st = tryon_fit_set_garment(*model, gm);
    tryon_garment_free(gm);
    TR_TRY(st);
    /* Host inputs only (CPU); on CUDA the harness copies the reference's. */
    tryon_tensor t;
    tryon_model_input(*model, tryon_model_input_index(*model, "person"), &t);
    uint8_t *px = t.data;
    for (int64_t i = 0; px && i < (int64_t)SIDE * SIDE * 3; i++)
        px[i] = (uint8_t)(60 + (i / 3 / SIDE) % 120 + (i % 3) * 20);
    if (!posenet) { /* shoulders 200 px apart, arms down, hips seen */
        tryon_model_input(*model, tryon_model_input_index(*model, "poses"), &t);
        float *kp = t.data;
        if (kp) {
            memset(kp, 0, 54 * sizeof *kp);
            const float pts[8][3] = {{5, 356, 150}, {6, 156, 150},  {7, 366, 290},  {8, 146, 290},
                                     {9, 370, 420}, {10, 142, 420}, {11, 320, 470}, {12, 192, 470}};
            for (int k = 0; k < 8; k++) {
                int q = (int)pts[k][0];
                kp[q * 3] = pts[k][1], kp[q * 3 + 1] = pts[k][2], kp[q * 3 + 2] = 0.9f;
            }
        }
    }
    snprintf(info->detail, sizeof info->detail, "%dx%d frame, 384x512 garment, 32x40 mesh%s%.60s",
             SIDE, SIDE, posenet ? ", PoseNet " : ", given keypoints", path);
    return TRYON_OK;
}

static tryon_status setup_given(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                                bench_info *info) {
    return setup_common(ctx, o, 0, model, info);
}

static tryon_status setup_posenet(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                                  bench_info *info) {
    return setup_common(ctx, o, 1, model, info);
}

const bench_case bench_fit_frame = {"fit-frame-512", "fit", setup_given, NULL};
const bench_case bench_fit_posenet = {"fit-posenet-512", "fit", setup_posenet, NULL};
