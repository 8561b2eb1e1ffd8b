/* cmd_info.c — `tryon info FILE...`: describe a safetensors weight file
 * (metadata, tensor table, parameter count), a PNG or a .npy array. Every
 * file is fully validated by the same readers the nets use. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(FILE *out) {
    fprintf(out, "usage: tryon info [options] FILE...\n\n"
                 "Validates and describes each FILE by its content:\n"
                 "  .safetensors  metadata, one row per tensor (name, dtype, shape, bytes),\n"
                 "                parameter count\n"
                 "  PNG           size and channels\n"
                 "  .npy          shape and value range\n\n"
                 "  -q, --quiet   only validate (no tensor table)\n\n" CLI_COMMON_HELP);
}

static void shape_str(const tryon_tensor *t, char *buf, size_t size) {
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int32_t i = 0; i < t->ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "", (long long)t->shape[i]);
    if (k < size) snprintf(buf + k, size - k, "]");
}

static tryon_status info_weights(tryon_ctx *ctx, const char *path, int quiet) {
    tryon_weights *w;
    tryon_status st = tryon_weights_open(ctx, path, &w);
    if (st != TRYON_OK) return st;
    printf("%s: safetensors, %d tensors\n", path, tryon_weights_n_tensors(w));
    for (int32_t i = 0; i < tryon_weights_n_metadata(w); i++) {
        const char *k, *v;
        tryon_weights_metadata_at(w, i, &k, &v);
        printf("  meta  %-24s %s\n", k, v);
    }
    long long params = 0, bytes = 0;
    for (int32_t i = 0; i < tryon_weights_n_tensors(w); i++) {
        tryon_tensor t;
        tryon_weights_tensor_at(w, i, &t);
        long long n = 1;
        for (int32_t d = 0; d < t.ndim; d++) n *= t.shape[d];
        long long b = n * (long long)tryon_dtype_size(t.dtype);
        params += n;
        bytes += b;
        if (!quiet) {
            char s[96];
            shape_str(&t, s, sizeof s);
            printf("  %-48s %-5s %-22s %12lld\n", t.name, tryon_dtype_name(t.dtype), s, b);
        }
    }
    printf("  parameters: %lld (%lld bytes)\n", params, bytes);
    tryon_weights_close(w);
    return TRYON_OK;
}

static tryon_status info_png(tryon_ctx *ctx, const char *path) {
    tryon_image img;
    tryon_status st = tryon_image_read_png(ctx, path, 0, &img);
    if (st != TRYON_OK) return st;
    static const char *kinds[5] = {"", "gray", "gray+alpha", "RGB", "RGBA"};
    printf("%s: PNG %dx%d, %d channel%s (%s, 8-bit after decoding)\n", path, img.width, img.height,
           img.channels, img.channels > 1 ? "s" : "", kinds[img.channels]);
    tryon_image_free(&img);
    return TRYON_OK;
}

static tryon_status info_npy(tryon_ctx *ctx, const char *path) {
    tryon_array a;
    tryon_status st = tryon_npy_read(ctx, path, &a);
    if (st != TRYON_OK) return st;
    int64_t n = tryon_array_numel(&a), nonfinite = 0;
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = a.data[i];
        if (!isfinite(v)) {
            nonfinite++;
            continue;
        }
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        sum += v;
    }
    printf("%s: npy float32 (", path);
    for (int32_t i = 0; i < a.ndim; i++) printf("%s%lld", i ? ", " : "", (long long)a.shape[i]);
    printf(")");
    if (n > nonfinite)
        printf(" min %.6g max %.6g mean %.6g", lo, hi, sum / (double)(n - nonfinite));
    if (nonfinite) printf(" non-finite %lld", (long long)nonfinite);
    printf("\n");
    tryon_array_free(&a);
    return TRYON_OK;
}

static int run(int argc, char **argv) {
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'}, CLI_COMMON_OPTIONS};
    cli_common common;
    cli_common_init(&common);
    int quiet = 0, opt;
    optind = 0; /* a full getopt reset (cli.h, cli_main) */
    opterr = 0; /* report bad options ourselves, naming them */
    while ((opt = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        int r = cli_common_option(&common, opt, optarg);
        if (r < 0) return CLI_EXIT_USAGE;
        if (r) continue;
        if (opt == 'q')
            quiet = 1;
        else if (opt == 'h') {
            help(stdout);
            return CLI_EXIT_OK;
        } else if (opt == ':')
            return cli_usage("info", "option '%s' needs a value", argv[optind - 1]);
        else
            return cli_usage("info", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc) return cli_usage("info", "no FILE given");
    int code;
    tryon_ctx *ctx = cli_ctx(&common, &code);
    if (!ctx) return code;
    int worst = CLI_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        tryon_status st;
        switch (cli_file_kind_of(argv[i])) {
        case CLI_FILE_PNG: st = info_png(ctx, argv[i]); break;
        case CLI_FILE_NPY: st = info_npy(ctx, argv[i]); break;
        default: st = info_weights(ctx, argv[i], quiet); break;
        }
        if (st != TRYON_OK) worst = cli_fail(ctx, st);
    }
    tryon_ctx_free(ctx);
    return worst;
}

const cli_cmd cli_cmd_info = {
    "info", "validate and describe weights (.safetensors), PNG or .npy files", run, help};
