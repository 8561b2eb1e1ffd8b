/* cmd_generate.c — `tryon generate`: images from a StyleGAN2 generator, like
 * stylegan2-ada-pytorch's generate.py (force_fp32): latents from --seed
 * (NumPy's RandomState, bit for bit), a z .npy or a w .npy, truncation,
 * class labels, noise mode; PNG (one image, or a grid for --batch > 1) or
 * the raw NCHW float32 output as .npy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(FILE *out) {
    fprintf(out,
            "usage: tryon generate -w WEIGHTS (--seed S | --z Z.npy | --w W.npy) -o OUT\n"
            "                      [--batch B] [--trunc PSI] [--trunc-cutoff N] [--class C]\n"
            "                      [--noise const|none|random] [--noise-seed N]\n\n"
            "Generates images with a StyleGAN2 generator (stylegan2-ada-pytorch G_ema,\n"
            "converted with tools/convert.py stylegan2), computing what the official\n"
            "generate.py computes with force_fp32=True.\n\n"
            "latents (exactly one):\n"
            "  --seed S            z = numpy.random.RandomState(S).randn(1, z_dim), bit for\n"
            "                      bit; with --batch B the seeds are S, S+1, ..., S+B-1\n"
            "                      (0 <= S and S+B-1 <= 4294967295)\n"
            "  --z FILE.npy        float32 z, shape (B, z_dim) or (z_dim)\n"
            "  --w FILE.npy        float32 w for the synthesis network alone (projector\n"
            "                      output), shape (B, num_ws, w_dim) or (num_ws, w_dim);\n"
            "                      no mapping, no truncation\n\n"
            "options:\n"
            "  -w, --weights FILE  StyleGAN2 weights (.safetensors); other families fail\n"
            "                      with exit status 4\n"
            "  -o, --output OUT    .png: uint8 = trunc(clamp(x*127.5 + 128, 0, 255)) as\n"
            "                      generate.py does; gray, RGB or RGBA by image channels;\n"
            "                      with B > 1 one grid of ceil(sqrt(B)) columns, images in\n"
            "                      seed (row) order left to right, top to bottom, unused\n"
            "                      cells black.\n"
            "                      .npy: the raw output, (B, C, R, R) float32 NCHW\n"
            "  --batch B           images generated in one run (default 1; with --z/--w the\n"
            "                      file's row count, which B must then equal)\n"
            "  --trunc PSI         truncation psi: w = lerp(w_avg, w, PSI) (default 1: none)\n"
            "  --trunc-cutoff N    truncate only the first N of the num_ws w vectors\n"
            "                      (N >= 0; default: all)\n"
            "  --class C           class label 0..c_dim-1 of a conditional generator, the\n"
            "                      same for every image (required for those; ignored with a\n"
            "                      warning for unconditional ones)\n"
            "  --noise MODE        const (default, generate.py's), none, or random: seeded\n"
            "                      Gaussian noise * noise_strength from tryon's counter-based\n"
            "                      generator (documented in tryon.h; not torch.randn)\n"
            "  --noise-seed N      seed of --noise random (default: --seed S, else "
            "0)\n\n" CLI_COMMON_HELP);
}

enum {
    OPT_SEED = CLI_OPT_FIRST_CMD,
    OPT_Z,
    OPT_W,
    OPT_BATCH,
    OPT_TRUNC,
    OPT_CUTOFF,
    OPT_CLASS,
    OPT_NOISE,
    OPT_NOISE_SEED
};

typedef struct gen_args {
    const char *weights, *output, *z_path, *w_path;
    int has_seed, has_batch, has_trunc, has_noise_seed;
    long long seed, noise_seed;
    long batch, cutoff, cls;
    double psi;
    tryon_stylegan2_noise noise;
} gen_args;

static int parse(int argc, char **argv, cli_common *common, gen_args *a) {
    static const struct option opts[] = {{"weights", required_argument, NULL, 'w'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"seed", required_argument, NULL, OPT_SEED},
                                         {"z", required_argument, NULL, OPT_Z},
                                         {"w", required_argument, NULL, OPT_W},
                                         {"batch", required_argument, NULL, OPT_BATCH},
                                         {"trunc", required_argument, NULL, OPT_TRUNC},
                                         {"trunc-cutoff", required_argument, NULL, OPT_CUTOFF},
                                         {"class", required_argument, NULL, OPT_CLASS},
                                         {"noise", required_argument, NULL, OPT_NOISE},
                                         {"noise-seed", required_argument, NULL, OPT_NOISE_SEED},
                                         CLI_COMMON_OPTIONS};
    memset(a, 0, sizeof *a);
    a->batch = 1, a->cutoff = -1, a->cls = -1, a->psi = 1.0;
    a->noise = TRYON_STYLEGAN2_NOISE_CONST;
    int opt;
    optind = 0; /* a full getopt reset (cli.h, cli_main) */
    while ((opt = getopt_long(argc, argv, "w:o:h", opts, NULL)) != -1) {
        int r = cli_common_option(common, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r) continue;
        long v;
        char *end;
        switch (opt) {
        case 'w': a->weights = optarg; break;
        case 'o': a->output = optarg; break;
        case OPT_SEED:
        case OPT_NOISE_SEED: {
            long long s = strtoll(optarg, &end, 10);
            if (end == optarg || *end || s < 0 || s > 4294967295LL)
                return cli_usage("generate", "%s must be an integer in 0..4294967295, not '%s'",
                                 opt == OPT_SEED ? "--seed" : "--noise-seed", optarg);
            if (opt == OPT_SEED)
                a->seed = s, a->has_seed = 1;
            else
                a->noise_seed = s, a->has_noise_seed = 1;
            break;
        }
        case OPT_Z: a->z_path = optarg; break;
        case OPT_W: a->w_path = optarg; break;
        case OPT_BATCH:
            if (!cli_parse_int(optarg, 1, 4096, &v))
                return cli_usage("generate", "--batch must be an integer in 1..4096, not '%s'",
                                 optarg);
            a->batch = v, a->has_batch = 1;
            break;
        case OPT_TRUNC:
            if (!cli_parse_float(optarg, &a->psi) || !isfinite(a->psi))
                return cli_usage("generate", "--trunc must be a number, not '%s'", optarg);
            a->has_trunc = 1;
            break;
        case OPT_CUTOFF:
            if (!cli_parse_int(optarg, 0, 1 << 20, &v))
                return cli_usage("generate", "--trunc-cutoff must be an integer >= 0, not '%s'",
                                 optarg);
            a->cutoff = v, a->has_trunc = 1;
            break;
        case OPT_CLASS:
            if (!cli_parse_int(optarg, 0, 1 << 30, &v))
                return cli_usage("generate", "--class must be an integer >= 0, not '%s'", optarg);
            a->cls = v;
            break;
        case OPT_NOISE:
            if (!strcmp(optarg, "const"))
                a->noise = TRYON_STYLEGAN2_NOISE_CONST;
            else if (!strcmp(optarg, "none"))
                a->noise = TRYON_STYLEGAN2_NOISE_NONE;
            else if (!strcmp(optarg, "random"))
                a->noise = TRYON_STYLEGAN2_NOISE_RANDOM;
            else
                return cli_usage("generate", "--noise must be const, none or random, not '%s'",
                                 optarg);
            break;
        case 'h': help(stdout); return -1;
        default: return cli_usage("generate", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("generate", "unexpected argument '%s'", argv[optind]);
    if (!a->weights) return cli_usage("generate", "no weights given (-w FILE)");
    if (!a->output) return cli_usage("generate", "no output given (-o OUT.png or OUT.npy)");
    if (cli_output_kind(a->output) == CLI_FILE_UNKNOWN)
        return cli_usage("generate", "output '%s' must end in .png or .npy", a->output);
    if (a->has_seed + !!a->z_path + !!a->w_path != 1)
        return cli_usage("generate", "give exactly one of --seed, --z and --w");
    if (a->w_path && a->has_trunc)
        return cli_usage("generate", "--trunc/--trunc-cutoff apply to z latents, not to --w");
    if (a->has_seed && a->seed + a->batch - 1 > 4294967295LL)
        return cli_usage("generate", "seeds %lld..%lld exceed 4294967295", a->seed,
                         a->seed + a->batch - 1);
    if (!a->has_noise_seed) a->noise_seed = a->has_seed ? a->seed : 0;
    return 0;
}

/* Reads a latent .npy of shape (rows, inner...) into out (rows * per_row floats). */
static int read_latents(tryon_ctx *ctx, const char *path, const char *what, int32_t ndim_row,
                        const int64_t *row_shape, gen_args *a, tryon_array *out) {
    tryon_status st = tryon_npy_read(ctx, path, out);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    int bad = cli_check_finite(path, out);
    if (bad) return bad;
    int ok = 0;
    int64_t rows = 1;
    if (out->ndim == ndim_row) {
        ok = 1;
        for (int32_t i = 0; i < ndim_row; i++) ok &= out->shape[i] == row_shape[i];
    } else if (out->ndim == ndim_row + 1) {
        ok = out->shape[0] >= 1;
        rows = out->shape[0];
        for (int32_t i = 0; i < ndim_row; i++) ok &= out->shape[i + 1] == row_shape[i];
    }
    if (!ok) {
        char row[64];
        if (ndim_row == 1)
            snprintf(row, sizeof row, "%lld", (long long)row_shape[0]);
        else
            snprintf(row, sizeof row, "%lld, %lld", (long long)row_shape[0],
                     (long long)row_shape[1]);
        fprintf(stderr, "tryon: error: %s: %s must have shape (B, %s) or (%s)\n", path, what, row,
                row);
        return CLI_EXIT_FORMAT;
    }
    if (a->has_batch && rows != a->batch) {
        fprintf(stderr, "tryon generate: --batch %ld but %s holds %lld rows\n", a->batch, path,
                (long long)rows);
        return CLI_EXIT_USAGE;
    }
    if (rows > 4096) {
        fprintf(stderr, "tryon: error: %s: %lld rows exceed the batch limit 4096\n", path,
                (long long)rows);
        return CLI_EXIT_LIMIT;
    }
    a->batch = (long)rows;
    return 0;
}

/* One uint8 sample as generate.py converts it: trunc(clamp(x*127.5 + 128, 0, 255)). */
static uint8_t to_u8(float x) {
    float v = x * 127.5f;
    v = v + 128.0f;
    if (!(v > 0.0f)) return 0; /* also NaN */
    if (v >= 255.0f) return 255;
    return (uint8_t)v;
}

static int write_png(tryon_ctx *ctx, const char *path, const float *img, int32_t batch, int32_t ch,
                     int32_t res) {
    int32_t cols = (int32_t)ceil(sqrt((double)batch));
    while (cols * cols < batch) cols++; /* guard sqrt rounding */
    int32_t rows = (batch + cols - 1) / cols;
    if (batch == 1) cols = rows = 1;
    tryon_image out;
    int32_t out_ch = ch == 2 || ch == 4 ? ch : (ch == 1 ? 1 : 3);
    tryon_status st = tryon_image_alloc(ctx, cols * res, rows * res, out_ch, &out);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    for (int32_t n = 0; n < batch; n++) {
        int32_t ox = (n % cols) * res, oy = (n / cols) * res;
        for (int32_t c = 0; c < out_ch; c++) {
            const float *plane = img + ((int64_t)n * ch + c) * res * res;
            for (int32_t y = 0; y < res; y++)
                for (int32_t x = 0; x < res; x++)
                    out.data[((int64_t)(oy + y) * out.width + ox + x) * out_ch + c] =
                        to_u8(plane[(int64_t)y * res + x]);
        }
    }
    st = tryon_image_write_png(ctx, path, &out);
    tryon_image_free(&out);
    return st == TRYON_OK ? CLI_EXIT_OK : cli_fail(ctx, st);
}

static int generate(tryon_ctx *ctx, gen_args *a, cli_timer *tm) {
    int code = CLI_EXIT_OK;
    tryon_weights *w = NULL;
    tryon_model *m = NULL;
    tryon_array lat = {0}, out = {0};
    float *zc = NULL;
    tryon_status st = tryon_weights_open(ctx, a->weights, &w);
    if (st != TRYON_OK) return cli_fail(ctx, st);
    tryon_stylegan2_info info;
    st = tryon_stylegan2_get_info(ctx, w, &info);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    cli_timer_mark(tm, "load weights");
    if (a->z_path) {
        int64_t rs[1] = {info.z_dim};
        if ((code = read_latents(ctx, a->z_path, "z", 1, rs, a, &lat))) goto done;
    } else if (a->w_path) {
        int64_t rs[2] = {info.num_ws, info.w_dim};
        if ((code = read_latents(ctx, a->w_path, "w", 2, rs, a, &lat))) goto done;
    }
    int conditional = info.c_dim > 0 && !a->w_path;
    if (conditional && a->cls < 0) {
        code = cli_usage("generate", "this generator is conditional (c_dim %d): give --class C",
                         info.c_dim);
        goto done;
    }
    if (conditional && a->cls >= info.c_dim) {
        code = cli_usage("generate", "--class %ld outside 0..%d", a->cls, info.c_dim - 1);
        goto done;
    }
    if (!conditional && a->cls >= 0)
        fprintf(stderr, "tryon generate: warning: --class ignored (%s)\n",
                a->w_path ? "w latents already include the label" : "unconditional generator");
    if (a->has_trunc && a->psi != 1.0 && !info.has_w_avg) {
        code = cli_usage("generate", "this generator has no w_avg: --trunc is unavailable");
        goto done;
    }
    const int32_t B = (int32_t)a->batch;
    st = tryon_stylegan2_build(ctx, w, B,
                               a->w_path ? TRYON_STYLEGAN2_INPUT_W : TRYON_STYLEGAN2_INPUT_Z, &m);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    cli_timer_mark(tm, "build");
    int32_t input = 0;
    if (a->w_path) {
        st = tryon_model_set_input(m, input++, lat.data, (size_t)tryon_array_numel(&lat) * 4);
    } else {
        if (info.z_dim > 0) {
            size_t n = (size_t)B * info.z_dim;
            zc = malloc((n + (size_t)B * info.c_dim + 1) * sizeof *zc);
            double *zd = malloc((size_t)(info.z_dim > 0 ? info.z_dim : 1) * sizeof *zd);
            if (!zc || !zd) {
                free(zd);
                fprintf(stderr, "tryon: error: out of memory\n");
                code = CLI_EXIT_ERROR;
                goto done;
            }
            for (int32_t b = 0; b < B; b++) {
                if (a->has_seed) {
                    tryon_stylegan2_seed_z((uint32_t)(a->seed + b), info.z_dim, zd);
                    for (int32_t i = 0; i < info.z_dim; i++) /* generate.py: float64 -> float32 */
                        zc[(size_t)b * info.z_dim + i] = (float)zd[i];
                } else {
                    memcpy(zc + (size_t)b * info.z_dim, lat.data + (size_t)b * info.z_dim,
                           (size_t)info.z_dim * sizeof *zc);
                }
            }
            free(zd);
            st = tryon_model_set_input(m, input++, zc, n * sizeof *zc);
        }
        if (st == TRYON_OK && info.c_dim > 0) {
            float *c = calloc((size_t)B * info.c_dim, sizeof *c);
            if (!c) {
                fprintf(stderr, "tryon: error: out of memory\n");
                code = CLI_EXIT_ERROR;
                goto done;
            }
            for (int32_t b = 0; b < B; b++) c[(size_t)b * info.c_dim + a->cls] = 1.0f;
            st = tryon_model_set_input(m, input++, c, (size_t)B * info.c_dim * sizeof *c);
            free(c);
        }
        if (st == TRYON_OK)
            st = tryon_stylegan2_set_truncation(m, (float)a->psi, (int32_t)a->cutoff);
    }
    if (st == TRYON_OK) st = tryon_stylegan2_set_noise(m, a->noise, (uint64_t)a->noise_seed);
    if (st == TRYON_OK) {
        cli_timer_mark(tm, "inputs");
        st = tryon_model_run(m);
        cli_timer_mark(tm, "run");
    }
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    int64_t shape[4] = {B, info.img_channels, info.resolution, info.resolution};
    st = tryon_array_alloc(ctx, 4, shape, &out);
    if (st == TRYON_OK)
        st = tryon_model_get_output(m, 0, out.data, (size_t)tryon_array_numel(&out) * 4);
    if (st != TRYON_OK) {
        code = cli_fail(ctx, st);
        goto done;
    }
    if (cli_output_kind(a->output) == CLI_FILE_NPY) {
        st = tryon_npy_write(ctx, a->output, &out);
        if (st != TRYON_OK) code = cli_fail(ctx, st);
    } else {
        code = write_png(ctx, a->output, out.data, B, info.img_channels, info.resolution);
    }
    cli_timer_mark(tm, "write");
done:
    free(zc);
    tryon_array_free(&lat);
    tryon_array_free(&out);
    tryon_model_free(m);
    tryon_weights_close(w);
    return code;
}

static int run(int argc, char **argv) {
    cli_common common;
    cli_common_init(&common);
    gen_args a;
    int r = parse(argc, argv, &common, &a);
    if (r < 0) return CLI_EXIT_OK; /* --help */
    if (r) return r;
    int code;
    tryon_ctx *ctx = cli_ctx(&common, &code);
    if (!ctx) return code;
    cli_timer tm;
    cli_timer_start(&tm, common.time);
    code = generate(ctx, &a, &tm);
    cli_timer_total(&tm);
    tryon_ctx_free(ctx);
    return code;
}

const cli_cmd cli_cmd_generate = {
    "generate", "generate images with a StyleGAN2 generator (seeds, z or w)", run, help};
