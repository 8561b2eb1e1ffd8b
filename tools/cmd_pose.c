/* cmd_pose.c — `tryon pose`: body keypoints with PoseNet on a PNG (or a
 * preprocessed input .npy), as JSON, an overlay PNG and/or .npy dumps of the
 * network input and every head. The graph does all the work (tryon.h,
 * PoseNet section); this file parses options, converts layouts for the
 * NCHW .npy files and draws the skeleton. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "posenet.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: tryon pose -w WEIGHTS -i INPUT [options]\n\n"
            "Finds body keypoints (the 17 COCO parts) with PoseNet (MobileNetV1) as\n"
            "tfjs-models' posenet 2.x does: the image is zero-padded to the network's\n"
            "aspect ratio, resized bilinearly (TF legacy mapping) to the input size\n"
            "recorded in the weights, scaled to x/127.5 - 1, run through the network, and\n"
            "decoded; keypoints are reported in pixels of the input image.\n\n"
            "  -w, --weights FILE   PoseNet weights (.safetensors from `make weights` or\n"
            "                       tools/convert.py posenet-tfjs)\n"
            "  -i, --input FILE     a PNG of any size (gray, RGB or RGBA; alpha is ignored),\n"
            "                       or a preprocessed network input .npy, float32 NCHW\n"
            "                       (1, 3, H, W) in [-1, 1] such as --dump writes; keypoints\n"
            "                       are then in pixels of that tensor\n"
            "      --multi          decode several poses (decodeMultiplePoses) instead of\n"
            "                       one (decodeSinglePose)\n"
            "      --max-poses N    with --multi: at most N poses (default 5)\n"
            "      --min-score S    with --multi: minimum score of a pose's root part\n"
            "                       (default 0.5); the overlay leaves out keypoints and\n"
            "                       bones scoring below S in either mode\n"
            "      --nms-radius R   with --multi: parts of two poses closer than R pixels\n"
            "                       of the network input are the same (default 20)\n"
            "      --exact          accumulate the convolutions exactly as TF.js's CPU\n"
            "                       backend does (its heads bit for bit; about 6x slower\n"
            "                       on the CPU); the default float multiply-adds agree with\n"
            "                       it to float rounding\n"
            "      --json FILE      write the poses as JSON to FILE (default: stdout):\n"
            "                       {\"image\": {width, height}, \"input\": {width, height},\n"
            "                       \"output_stride\", \"mode\", \"poses\": [{\"score\",\n"
            "                       \"keypoints\": [{\"name\", \"x\", \"y\", \"score\"} x 17]}]}\n"
            "      --overlay FILE   write the image as a PNG with the poses drawn on it\n"
            "      --dump DIR       write input.npy (the preprocessed network input),\n"
            "                       heatmap.npy (logits), heatmap_scores.npy (sigmoid),\n"
            "                       offsets.npy, displacement_fwd.npy and\n"
            "                       displacement_bwd.npy, float32 NCHW, into DIR (created\n"
            "                       if missing)\n\n" CLI_COMMON_HELP);
}

enum {
    OPT_MULTI = CLI_OPT_FIRST_CMD,
    OPT_MAX_POSES,
    OPT_MIN_SCORE,
    OPT_NMS,
    OPT_JSON,
    OPT_OVERLAY,
    OPT_DUMP,
    OPT_EXACT
};

typedef struct pose_opts {
    const char *weights, *input, *json, *overlay, *dump;
    tryon_posenet_params p;
} pose_opts;

/* ---- layouts --------------------------------------------------------------- */

/* A host copy of output i (the model may live on a GPU): t gets its shape and
 * t->data the copy, which the caller frees. */
static tryon_status output_copy(tryon_model *m, int32_t i, tryon_tensor *t) {
    tryon_status st = tryon_model_output(m, i, t);
    if (st != TRYON_OK) return st;
    size_t bytes = tryon_dtype_size(t->dtype);
    for (int32_t k = 0; k < t->ndim; k++) bytes *= (size_t)t->shape[k];
    t->data = malloc(bytes);
    if (!t->data) return TRYON_ERR_NOMEM;
    st = tryon_model_get_output(m, i, t->data, bytes);
    if (st != TRYON_OK) {
        free(t->data);
        t->data = NULL;
    }
    return st;
}

/* (1, H, W, C) NHWC -> (1, C, H, W) .npy. */
static tryon_status write_nchw(tryon_ctx *ctx, const char *dir, const char *name,
                               const tryon_tensor *t) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    int64_t h = t->shape[1], w = t->shape[2], c = t->shape[3];
    int64_t shape[4] = {1, c, h, w};
    tryon_array a;
    tryon_status st = tryon_array_alloc(ctx, 4, shape, &a);
    if (st != TRYON_OK) return st;
    const float *src = t->data;
    for (int64_t y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++)
            for (int64_t k = 0; k < c; k++) a.data[(k * h + y) * w + x] = src[(y * w + x) * c + k];
    st = tryon_npy_write(ctx, path, &a);
    tryon_array_free(&a);
    return st;
}

/* ---- JSON --------------------------------------------------------------------- */

static int write_json(FILE *f, const pose_opts *o, int32_t iw, int32_t ih, int32_t rw, int32_t rh,
                      int32_t stride, const tryon_pose *poses, int32_t n) {
    fprintf(f, "{\n  \"image\": {\"width\": %d, \"height\": %d},\n", iw, ih);
    fprintf(f, "  \"input\": {\"width\": %d, \"height\": %d},\n", rw, rh);
    fprintf(f, "  \"output_stride\": %d,\n  \"mode\": \"%s\",\n  \"poses\": [", stride,
            o->p.multi ? "multi" : "single");
    for (int32_t p = 0; p < n; p++) {
        fprintf(f, "%s\n    {\"score\": %.9g, \"keypoints\": [", p ? "," : "", poses[p].score);
        for (int32_t k = 0; k < TRYON_POSENET_KEYPOINTS; k++) {
            const tryon_keypoint *kp = &poses[p].keypoints[k];
            fprintf(f, "%s\n      {\"name\": \"%s\", \"x\": %.9g, \"y\": %.9g, \"score\": %.9g}",
                    k ? "," : "", tryon_posenet_keypoint_name(k), kp->x, kp->y, kp->score);
        }
        fprintf(f, "\n    ]}");
    }
    fprintf(f, "%s]\n}\n", n ? "\n  " : "");
    return ferror(f) ? -1 : 0;
}

/* ---- main --------------------------------------------------------------------- */

static int parse(int argc, char **argv, pose_opts *o, cli_common *common) {
    static const struct option opts[] = {{"weights", required_argument, NULL, 'w'},
                                         {"input", required_argument, NULL, 'i'},
                                         {"multi", no_argument, NULL, OPT_MULTI},
                                         {"max-poses", required_argument, NULL, OPT_MAX_POSES},
                                         {"min-score", required_argument, NULL, OPT_MIN_SCORE},
                                         {"nms-radius", required_argument, NULL, OPT_NMS},
                                         {"json", required_argument, NULL, OPT_JSON},
                                         {"overlay", required_argument, NULL, OPT_OVERLAY},
                                         {"dump", required_argument, NULL, OPT_DUMP},
                                         {"exact", no_argument, NULL, OPT_EXACT},
                                         CLI_COMMON_OPTIONS};
    int opt;
    long v;
    double d;
    optind = 0; /* a full getopt reset (cli.h, cli_main) */
    while ((opt = getopt_long(argc, argv, "w:i:h", opts, NULL)) != -1) {
        int r = cli_common_option(common, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r) continue;
        switch (opt) {
        case 'w': o->weights = optarg; break;
        case 'i': o->input = optarg; break;
        case OPT_MULTI: o->p.multi = 1; break;
        case OPT_MAX_POSES:
            if (!cli_parse_int(optarg, 1, 1000, &v))
                return cli_usage("pose", "--max-poses must be an integer in 1..1000, not '%s'",
                                 optarg);
            o->p.max_poses = (int32_t)v;
            break;
        case OPT_MIN_SCORE:
            if (!cli_parse_float(optarg, &d) || !isfinite(d))
                return cli_usage("pose", "--min-score must be a number, not '%s'", optarg);
            o->p.score_threshold = (float)d;
            break;
        case OPT_NMS:
            if (!cli_parse_float(optarg, &d) || !(d >= 0) || !isfinite(d))
                return cli_usage("pose", "--nms-radius must be a number >= 0, not '%s'", optarg);
            o->p.nms_radius = (float)d;
            break;
        case OPT_JSON: o->json = optarg; break;
        case OPT_OVERLAY: o->overlay = optarg; break;
        case OPT_DUMP: o->dump = optarg; break;
        case OPT_EXACT: o->p.exact = 1; break;
        case 'h': help(stdout); return -1;
        default: return cli_usage("pose", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("pose", "unexpected argument '%s'", argv[optind]);
    if (!o->weights) return cli_usage("pose", "no weights given (-w FILE)");
    if (!o->input) return cli_usage("pose", "no input given (-i FILE)");
    if (o->overlay && cli_output_kind(o->overlay) != CLI_FILE_PNG)
        return cli_usage("pose", "--overlay must name a .png file");
    return 0;
}

static int run(int argc, char **argv) {
    pose_opts o;
    memset(&o, 0, sizeof o);
    o.p = tryon_posenet_params_default();
    cli_common common;
    cli_common_init(&common);
    int r = parse(argc, argv, &o, &common);
    if (r) return r < 0 ? CLI_EXIT_OK : r;
    int code;
    tryon_ctx *ctx = cli_ctx(&common, &code);
    if (!ctx) return code;
    cli_timer tm;
    cli_timer_start(&tm, common.time);
    tryon_weights *w = NULL;
    tryon_model *m = NULL;
    tryon_image img = {0, 0, 0, NULL};
    tryon_array in = {0, {0}, NULL};
    tryon_pose *poses = NULL;
    float *nhwc = NULL; /* the .npy input as NHWC */
    tryon_status st;
    int npy = cli_file_kind_of(o.input) == CLI_FILE_NPY;
    if (npy) {
        st = tryon_npy_read(ctx, o.input, &in);
        /* H or W = 0 would read as "the size in the weights" to tryon_posenet_load. */
        if (st == TRYON_OK && (in.ndim != 4 || in.shape[0] != 1 || in.shape[1] != 3 ||
                               in.shape[2] < 1 || in.shape[3] < 1)) {
            fprintf(stderr, "tryon: error: %s: expected a (1, 3, H, W) NCHW input tensor\n",
                    o.input);
            code = CLI_EXIT_UNSUPPORTED;
            goto out;
        }
        if (st == TRYON_OK && (code = cli_check_finite(o.input, &in)) != 0) goto out;
        if (st == TRYON_OK && (in.shape[2] > 16384 || in.shape[3] > 16384)) {
            fprintf(stderr, "tryon: error: %s: input larger than 16384 pixels\n", o.input);
            code = CLI_EXIT_LIMIT;
            goto out;
        }
        o.p.input = TRYON_POSENET_INPUT_TENSOR;
        if (st == TRYON_OK)
            o.p.input_height = (int32_t)in.shape[2], o.p.input_width = (int32_t)in.shape[3];
    } else {
        st = tryon_image_read_png(ctx, o.input, 3, &img);
        o.p.image_width = img.width, o.p.image_height = img.height;
    }
    if (st != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "read input");
    if ((st = tryon_weights_open(ctx, o.weights, &w)) != TRYON_OK) goto fail;
    if ((st = tryon_posenet_load(ctx, w, &o.p, &m)) != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "build model");
    tryon_tensor t;
    tryon_model_input(m, 0, &t);
    if (npy) { /* NCHW -> NHWC, kept for the overlay and the dump */
        int64_t h = in.shape[2], wd = in.shape[3];
        nhwc = malloc((size_t)(h * wd * 3) * sizeof *nhwc);
        if (!nhwc) {
            fprintf(stderr, "tryon: error: out of memory\n");
            code = CLI_EXIT_ERROR;
            goto out;
        }
        for (int64_t c = 0; c < 3; c++)
            for (int64_t i = 0; i < h * wd; i++) nhwc[i * 3 + c] = in.data[c * h * wd + i];
        st = tryon_model_set_input(m, 0, nhwc, (size_t)(h * wd * 3) * sizeof *nhwc);
    } else {
        st = tryon_model_set_input(m, 0, img.data, (size_t)img.width * img.height * 3);
    }
    if (st != TRYON_OK) goto fail;
    t.data = nhwc;
    if ((st = tryon_model_run(m)) != TRYON_OK) goto fail;
    cli_timer_mark(&tm, "run");
    int32_t n = 0, cap = o.p.multi ? o.p.max_poses : 1;
    poses = calloc((size_t)cap, sizeof *poses);
    if (!poses) {
        fprintf(stderr, "tryon: error: out of memory\n");
        code = CLI_EXIT_ERROR;
        goto out;
    }
    if ((st = tryon_posenet_poses(m, poses, cap, &n)) != TRYON_OK) goto fail;
    tryon_tensor tin;
    int32_t rh = npy ? (int32_t)in.shape[2] : 0, rw = npy ? (int32_t)in.shape[3] : 0;
    if (!npy) {
        tryon_model_output(m, TRYON_POSENET_OUT_INPUT, &tin);
        rh = (int32_t)tin.shape[1], rw = (int32_t)tin.shape[2];
    }
    const char *os_meta = tryon_weights_metadata(w, "posenet.output_stride");
    int32_t stride = os_meta ? atoi(os_meta) : 0; /* validated by tryon_posenet_load */
    if (o.dump) {
        static const char *names[5] = {"heatmap", "heatmap_scores", "offsets", "displacement_fwd",
                                       "displacement_bwd"};
        if (cli_make_dir(o.dump)) {
            code = CLI_EXIT_IO;
            goto out;
        }
        tryon_tensor pre = t;
        if (!npy && (st = output_copy(m, TRYON_POSENET_OUT_INPUT, &pre)) != TRYON_OK) goto fail;
        st = write_nchw(ctx, o.dump, "input", &pre);
        if (!npy) free(pre.data);
        if (st != TRYON_OK) goto fail;
        for (int32_t i = 0; i < 5; i++) {
            tryon_tensor h;
            if ((st = output_copy(m, i, &h)) != TRYON_OK) goto fail;
            st = write_nchw(ctx, o.dump, names[i], &h);
            free(h.data);
            if (st != TRYON_OK) goto fail;
        }
    }
    if (o.overlay) {
        tryon_image canvas = img;
        tryon_image back = {0, 0, 0, NULL};
        if (npy) { /* the network input, back to pixels */
            if ((st = tryon_image_alloc(ctx, rw, rh, 3, &back)) != TRYON_OK) goto fail;
            const float *src = t.data;
            for (int64_t i = 0; i < (int64_t)rw * rh * 3; i++) {
                float v = (src[i] + 1.0f) * 127.5f + 0.5f;
                back.data[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            canvas = back;
        }
        cli_draw_poses(&canvas, poses, n, o.p.score_threshold);
        st = tryon_image_write_png(ctx, o.overlay, &canvas);
        tryon_image_free(&back);
        if (st != TRYON_OK) goto fail;
    }
    int32_t iw = npy ? rw : img.width, ih = npy ? rh : img.height;
    if (o.json && strcmp(o.json, "-")) {
        FILE *f = fopen(o.json, "w");
        if (!f || write_json(f, &o, iw, ih, rw, rh, stride, poses, n) | (fclose(f) != 0)) {
            fprintf(stderr, "tryon: error: cannot write %s\n", o.json);
            code = CLI_EXIT_IO;
            goto out;
        }
    } else {
        write_json(stdout, &o, iw, ih, rw, rh, stride, poses, n);
    }
    cli_timer_mark(&tm, "write outputs");
    cli_timer_total(&tm);
    code = CLI_EXIT_OK;
    goto out;
fail:
    code = cli_fail(ctx, st);
out:
    free(nhwc);
    free(poses);
    tryon_model_free(m);
    tryon_weights_close(w);
    tryon_image_free(&img);
    tryon_array_free(&in);
    tryon_ctx_free(ctx);
    return code;
}

const cli_cmd cli_cmd_pose = {"pose", "body keypoints with PoseNet (JSON, overlay, head dumps)",
                              run, help};
