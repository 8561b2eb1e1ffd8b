/* cmd_translate.c — `tryon translate`: run a CycleGAN-style generator
 * (CycleGAN ResnetGenerator or fast-neural-style TransformerNet) on a PNG or
 * a .npy tensor.
 *
 * PNG input and output follow the official pre- and post-processing in f32,
 * operation by operation, so that 8-bit outputs match the official scripts:
 *   cyclegan (test.py, util.tensor2im): x = v/255 normalised with mean and std
 *     0.5, which equals v/127.5 - 1 bit for bit (both round 2v/255 - 1 once);
 *     a 1-channel net gets PIL's convert('L') of the RGB image (pil_luma);
 *     out = trunc((y + 1) / 2 * 255); a 1-channel output is written as gray RGB.
 *   transformernet (neural_style.py stylize, utils.save_image):
 *     x = v / 255 * 255 (ToTensor then mul(255), not always exactly v in f32);
 *     out = trunc(clamp(y, 0, 255)).
 * A .npy is the network tensor itself (NCHW, the net's range) and is written
 * unchanged. The library works in NHWC; this file transposes at the edges.
 * Tests: tests/test_cyclegan.c (CLI cases), tests/cli_errors.sh. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(FILE *out) {
    fprintf(
        out,
        "usage: tryon translate -w WEIGHTS -i IN -o OUT [--size WxH] [options]\n\n"
        "Runs a CycleGAN-style generator: weights converted by `tools/convert.py cyclegan`\n"
        "of family 'cyclegan' (CycleGAN ResnetGenerator, values in [-1, 1]) or\n"
        "'transformernet' (fast-neural-style TransformerNet, values 0..255).\n\n"
        "  -w, --weights FILE  .safetensors weights\n"
        "  -i, --input FILE    PNG or .npy (recognised by content)\n"
        "  -o, --output FILE   .png or .npy (by extension)\n"
        "  --size WxH          resize the input to W x H first: bilinear with half-pixel\n"
        "                      centres (PyTorch interpolate align_corners=False, no\n"
        "                      antialiasing); a PNG is rounded back to 8 bits (ties to\n"
        "                      even), a .npy stays float\n\n"
        ".npy: the network tensor itself, float32 NCHW (N, C, H, W) or (C, H, W),\n"
        "      already in the net's range; N images run as one batch; the output is\n"
        "      the raw network output in the same layout (no clamping).\n"
        "PNG:  one image with the official pre- and post-processing:\n"
        "      cyclegan        x = v/127.5 - 1, out = trunc((y + 1) / 2 * 255)\n"
        "      transformernet  x = v/255*255,   out = trunc(clamp(y, 0, 255))\n"
        "      The PNG is converted to the net's input channels (1 = gray as PIL's\n"
        "      convert('L'), 3 = RGB; alpha dropped). A 1-channel output is written as RGB.\n"
        "The output is 4*ceil(H/4) x 4*ceil(W/4): the input size when H and W are\n"
        "multiples of 4. Weights of another family fail with exit status 4.\n\n" CLI_COMMON_HELP);
}

/* ---- layout and resizing ---------------------------------------------------- */

/* (N, C, H, W) -> (N, H, W, C) or back (to_nchw = 1). */
static void transpose_nc(const float *src, float *dst, int64_t n, int64_t c, int64_t h, int64_t w,
                         int to_nchw) {
    for (int64_t b = 0; b < n; b++)
        for (int64_t k = 0; k < c; k++)
            for (int64_t p = 0; p < h * w; p++) {
                int64_t nchw = (b * c + k) * h * w + p, nhwc = (b * h * w + p) * c + k;
                if (to_nchw)
                    dst[nchw] = src[nhwc];
                else
                    dst[nhwc] = src[nchw];
            }
}

/* One axis of a half-pixel bilinear resize (PyTorch align_corners=False). */
static void bilinear_coord(int64_t d, int64_t in, int64_t out, int64_t *i0, int64_t *i1,
                           double *t) {
    double s = ((double)d + 0.5) * (double)in / (double)out - 0.5;
    if (s < 0) s = 0;
    int64_t f = (int64_t)s;
    if (f > in - 1) f = in - 1;
    *i0 = f;
    *i1 = f + 1 < in ? f + 1 : in - 1;
    *t = s - (double)f;
}

/* NHWC float resize of n images, (h, w) -> (oh, ow). */
static void resize_nhwc(const float *x, float *y, int64_t n, int64_t h, int64_t w, int64_t c,
                        int64_t oh, int64_t ow) {
    for (int64_t b = 0; b < n; b++)
        for (int64_t oy = 0; oy < oh; oy++) {
            int64_t y0, y1;
            double ty;
            bilinear_coord(oy, h, oh, &y0, &y1, &ty);
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t x0, x1;
                double tx;
                bilinear_coord(ox, w, ow, &x0, &x1, &tx);
                const float *r0 = x + (b * h + y0) * w * c, *r1 = x + (b * h + y1) * w * c;
                float *o = y + ((b * oh + oy) * ow + ox) * c;
                for (int64_t k = 0; k < c; k++) {
                    double top = r0[x0 * c + k] * (1 - tx) + r0[x1 * c + k] * tx;
                    double bot = r1[x0 * c + k] * (1 - tx) + r1[x1 * c + k] * tx;
                    o[k] = (float)(top * (1 - ty) + bot * ty);
                }
            }
        }
}

/* RGB -> gray in place as PIL's convert('L') does (what the official pipeline's
 * torchvision Grayscale calls): ITU-R 601-2 luma in 16-bit fixed point,
 * (19595 R + 38470 G + 7471 B + 2^15) >> 16. The exact decimal weights
 * (tryon_image_read_png's conversion) differ by one level on 9040 of the 2^24
 * colours. Gray read as RGB has R = G = B and stays itself. */
static void pil_luma(tryon_image *img) {
    const int64_t n = (int64_t)img->width * img->height;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *s = img->data + i * 3;
        img->data[i] = (uint8_t)((19595u * s[0] + 38470u * s[1] + 7471u * s[2] + 0x8000u) >> 16);
    }
    img->channels = 1;
}

/* ---- the command ------------------------------------------------------------- */

typedef struct job {
    const char *weights, *input, *output;
    long size_w, size_h; /* 0: no resize */
} job;

typedef struct tensor4 { /* NHWC float images */
    float *data;
    int64_t n, h, w, c;
    int ndim; /* of the .npy input (3 or 4); 4 for PNG */
} tensor4;

/* Reads IN as NHWC floats in the net's range (PNG: official preprocessing). */
static int read_input(tryon_ctx *ctx, const job *j, const tryon_cyclegan_info *info, tensor4 *t) {
    memset(t, 0, sizeof *t);
    cli_file_kind kind = cli_file_kind_of(j->input);
    if (kind == CLI_FILE_PNG) {
        if (info->in_channels != 1 && info->in_channels != 3) {
            fprintf(stderr,
                    "tryon: error: the net takes %d channels; PNG input needs 1 or 3 "
                    "(use .npy)\n",
                    info->in_channels);
            return CLI_EXIT_UNSUPPORTED;
        }
        tryon_image img;
        tryon_status st = tryon_image_read_png(ctx, j->input, 3, &img);
        if (st != TRYON_OK) return cli_fail(ctx, st);
        if (info->in_channels == 1) pil_luma(&img);
        int64_t h = img.height, w = img.width, c = img.channels;
        uint8_t *px = img.data;
        uint8_t *resized = NULL;
        if (j->size_w) {
            /* Resize in float, then round back to 8 bits like a resized image file. */
            float *f = malloc((size_t)(h * w * c) * sizeof *f);
            float *g = malloc((size_t)(j->size_h * j->size_w * c) * sizeof *g);
            resized = malloc((size_t)(j->size_h * j->size_w * c));
            if (!f || !g || !resized) {
                free(f), free(g), free(resized), tryon_image_free(&img);
                fprintf(stderr, "tryon: error: out of memory\n");
                return CLI_EXIT_ERROR;
            }
            for (int64_t i = 0; i < h * w * c; i++) f[i] = px[i];
            resize_nhwc(f, g, 1, h, w, c, j->size_h, j->size_w);
            for (int64_t i = 0; i < j->size_h * j->size_w * c; i++) {
                float v = rintf(g[i]); /* nearest, ties to even, like torch.round */
                resized[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
            free(f), free(g);
            h = j->size_h, w = j->size_w, px = resized;
        }
        t->data = malloc((size_t)(h * w * c) * sizeof *t->data);
        if (!t->data) {
            free(resized), tryon_image_free(&img);
            fprintf(stderr, "tryon: error: out of memory\n");
            return CLI_EXIT_ERROR;
        }
        for (int64_t i = 0; i < h * w * c; i++) {
            float v = (float)px[i];
            t->data[i] =
                info->family == TRYON_CYCLEGAN_RESNET ? v / 127.5f - 1.0f : v / 255.0f * 255.0f;
        }
        free(resized);
        tryon_image_free(&img);
        t->n = 1, t->h = h, t->w = w, t->c = c, t->ndim = 4;
        return CLI_EXIT_OK;
    }
    if (kind != CLI_FILE_NPY) {
        fprintf(stderr, "tryon: error: %s: neither a PNG nor a .npy file\n", j->input);
        return CLI_EXIT_FORMAT;
    }
    tryon_array a;
    tryon_status st = tryon_npy_read(ctx, j->input, &a);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    int bad = cli_check_finite(j->input, &a);
    if (bad) {
        tryon_array_free(&a);
        return bad;
    }
    int64_t s4[4] = {1, 0, 0, 0};
    if (a.ndim == 4)
        memcpy(s4, a.shape, sizeof s4);
    else if (a.ndim == 3)
        s4[1] = a.shape[0], s4[2] = a.shape[1], s4[3] = a.shape[2];
    if ((a.ndim != 3 && a.ndim != 4) || s4[0] < 1 || s4[1] != info->in_channels) {
        fprintf(stderr, "tryon translate: %s has %d dimensions (", j->input, a.ndim);
        for (int32_t i = 0; i < a.ndim; i++)
            fprintf(stderr, "%s%lld", i ? ", " : "", (long long)a.shape[i]);
        fprintf(stderr, "), expected (N, %d, H, W) or (%d, H, W)\n", info->in_channels,
                info->in_channels);
        tryon_array_free(&a);
        return CLI_EXIT_USAGE;
    }
    if (s4[0] > INT32_MAX || s4[2] > INT32_MAX || s4[3] > INT32_MAX) {
        fprintf(stderr, "tryon: error: %s: too large\n", j->input);
        tryon_array_free(&a);
        return CLI_EXIT_LIMIT;
    }
    int64_t n = s4[0], c = s4[1], h = s4[2], w = s4[3];
    int ndim = a.ndim;
    int64_t oh = j->size_w ? j->size_h : h, ow = j->size_w ? j->size_w : w;
    float *nhwc = malloc((size_t)(n * h * w * c) * sizeof *nhwc);
    float *out = j->size_w ? malloc((size_t)(n * oh * ow * c) * sizeof *out) : nhwc;
    if (!nhwc || !out) {
        free(nhwc);
        if (out != nhwc) free(out);
        tryon_array_free(&a);
        fprintf(stderr, "tryon: error: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    transpose_nc(a.data, nhwc, n, c, h, w, 0);
    tryon_array_free(&a);
    if (j->size_w) {
        resize_nhwc(nhwc, out, n, h, w, c, oh, ow);
        free(nhwc);
    }
    t->data = out, t->n = n, t->h = oh, t->w = ow, t->c = c, t->ndim = ndim;
    return CLI_EXIT_OK;
}

/* Writes the NHWC output y (n, oh, ow, oc) to OUT. */
static int write_output(tryon_ctx *ctx, const job *j, const tryon_cyclegan_info *info,
                        const float *y, int64_t n, int64_t oh, int64_t ow, int64_t oc,
                        int in_ndim) {
    tryon_status st;
    if (cli_output_kind(j->output) == CLI_FILE_NPY) {
        tryon_array a;
        int64_t shape[4] = {n, oc, oh, ow};
        int nd = in_ndim == 3 ? 3 : 4;
        st = tryon_array_alloc(ctx, nd, nd == 3 ? shape + 1 : shape, &a);
        if (st != TRYON_OK) return cli_fail(ctx, st);
        transpose_nc(y, a.data, n, oc, oh, ow, 1);
        st = tryon_npy_write(ctx, j->output, &a);
        tryon_array_free(&a);
        return st == TRYON_OK ? CLI_EXIT_OK : cli_fail(ctx, st);
    }
    if (n != 1) {
        fprintf(stderr,
                "tryon translate: PNG output takes one image, the input holds %lld "
                "(write .npy instead)\n",
                (long long)n);
        return CLI_EXIT_USAGE;
    }
    if (oc != 1 && oc != 3) {
        fprintf(stderr,
                "tryon: error: the net makes %lld channels; PNG output needs 1 or 3 "
                "(write .npy instead)\n",
                (long long)oc);
        return CLI_EXIT_UNSUPPORTED;
    }
    tryon_image img;
    st = tryon_image_alloc(ctx, (int32_t)ow, (int32_t)oh, 3, &img);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    for (int64_t p = 0; p < oh * ow; p++)
        for (int64_t k = 0; k < 3; k++) {
            float v = y[p * oc + (oc == 1 ? 0 : k)];
            if (info->family == TRYON_CYCLEGAN_RESNET) v = (v + 1.0f) / 2.0f * 255.0f;
            /* Truncation toward zero as numpy astype(uint8); the clamp is the
             * official one for TransformerNet and a no-op for tanh outputs. */
            v = v > 0.0f ? (v < 255.0f ? v : 255.0f) : 0.0f; /* NaN -> 0 */
            img.data[p * 3 + k] = (uint8_t)v;
        }
    st = tryon_image_write_png(ctx, j->output, &img);
    tryon_image_free(&img);
    return st == TRYON_OK ? CLI_EXIT_OK : cli_fail(ctx, st);
}

static int translate(tryon_ctx *ctx, const job *j, int time) {
    cli_timer tm;
    cli_timer_start(&tm, time);
    tryon_weights *w = NULL;
    tryon_model *m = NULL;
    tensor4 in = {0};
    float *out = NULL;
    int code = CLI_EXIT_OK;
    tryon_status st = tryon_weights_open(ctx, j->weights, &w);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    /* Family check before reading the input: wrong weights are the likelier mistake. */
    tryon_cyclegan_info info;
    tryon_cyclegan_params p = tryon_cyclegan_params_default();
    p.height = p.width = 256;
    st = tryon_cyclegan_inspect(ctx, w, &p, &info);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    cli_timer_mark(&tm, "open weights");
    code = read_input(ctx, j, &info, &in);
    if (code != CLI_EXIT_OK) goto done;
    cli_timer_mark(&tm, "read input");
    p.batch = (int32_t)in.n, p.height = (int32_t)in.h, p.width = (int32_t)in.w;
    st = tryon_cyclegan_load(ctx, w, &p, &m);
    if (st == TRYON_OK) st = tryon_cyclegan_inspect(ctx, w, &p, &info);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    cli_timer_mark(&tm, "build model");
    size_t in_bytes = (size_t)(in.n * in.h * in.w * in.c) * sizeof(float);
    int64_t oh = info.out_height, ow = info.out_width, oc = info.out_channels;
    size_t out_bytes = (size_t)(in.n * oh * ow * oc) * sizeof(float);
    out = malloc(out_bytes);
    if (!out) {
        fprintf(stderr, "tryon: error: out of memory\n");
        code = CLI_EXIT_ERROR;
        goto done;
    }
    st = tryon_model_set_input(m, 0, in.data, in_bytes);
    if (st == TRYON_OK) st = tryon_model_run(m);
    if (st == TRYON_OK) st = tryon_model_get_output(m, 0, out, out_bytes);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    cli_timer_mark(&tm, "run");
    code = write_output(ctx, j, &info, out, in.n, oh, ow, oc, in.ndim);
    cli_timer_mark(&tm, "write output");
    cli_timer_total(&tm);
done:
    free(out);
    free(in.data);
    tryon_model_free(m);
    tryon_weights_close(w);
    return code;
}

static int parse_size(const char *s, long *w, long *h) {
    const char *x = strchr(s, 'x');
    if (!x) return 0;
    char wbuf[32];
    size_t n = (size_t)(x - s);
    if (n == 0 || n >= sizeof wbuf) return 0;
    memcpy(wbuf, s, n);
    wbuf[n] = 0;
    return cli_parse_int(wbuf, 1, 1L << 16, w) && cli_parse_int(x + 1, 1, 1L << 16, h);
}

static int run(int argc, char **argv) {
    enum { OPT_SIZE = CLI_OPT_FIRST_CMD };
    static const struct option opts[] = {{"weights", required_argument, NULL, 'w'},
                                         {"input", required_argument, NULL, 'i'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"size", required_argument, NULL, OPT_SIZE},
                                         CLI_COMMON_OPTIONS};
    cli_common common;
    cli_common_init(&common);
    job j = {0};
    int opt;
    optind = 0; /* a full getopt reset (cli.h, cli_main) */
    while ((opt = getopt_long(argc, argv, "w:i:o:h", opts, NULL)) != -1) {
        int r = cli_common_option(&common, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r) continue;
        switch (opt) {
        case 'w': j.weights = optarg; break;
        case 'i': j.input = optarg; break;
        case 'o': j.output = optarg; break;
        case OPT_SIZE:
            if (!parse_size(optarg, &j.size_w, &j.size_h))
                return cli_usage("translate", "--size must be WxH with 1..65536 each, not '%s'",
                                 optarg);
            break;
        case 'h': help(stdout); return CLI_EXIT_OK;
        default: return cli_usage("translate", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("translate", "unexpected argument '%s'", argv[optind]);
    if (!j.weights || !j.input || !j.output)
        return cli_usage("translate", "-w WEIGHTS, -i IN and -o OUT are required");
    if (cli_output_kind(j.output) == CLI_FILE_UNKNOWN)
        return cli_usage("translate", "output '%s' must end in .png or .npy", j.output);
    if (j.size_w && (int64_t)j.size_w * j.size_h > common.params.max_image_pixels) {
        fprintf(stderr, "tryon: error: --size %ldx%ld exceeds the image limit of %lld pixels\n",
                j.size_w, j.size_h, (long long)common.params.max_image_pixels);
        return CLI_EXIT_LIMIT;
    }
    int code;
    tryon_ctx *ctx = cli_ctx(&common, &code);
    if (!ctx) return code;
    code = translate(ctx, &j, common.time);
    tryon_ctx_free(ctx);
    return code;
}

const cli_cmd cli_cmd_translate = {
    "translate", "CycleGAN / TransformerNet image-to-image generator on a PNG or .npy", run, help};
