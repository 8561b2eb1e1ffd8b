/* bench.c — `tryon-bench`: times every case (or those matching --filter) and
 * prints a table plus one JSON line per case (--json FILE). Each case runs
 * --warmup times untimed, then --runs times; we report median, p90 and min
 * wall-clock milliseconds, GFLOP/s at the median and the planned arena size.
 * With --device cuda a timed run is the model's run plus the wait for the
 * GPU to finish it (the first warm-up run captures the CUDA graph); the
 * cuDNN/cuBLAS baselines are --kernels vendor. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "model.h"

void *bench_input_host(tryon_model *m, int32_t i, tryon_tensor *t) {
    tryon_model_input(m, i, t);
    if (t->data) return t->data;
    size_t bytes = tryon_dtype_size(t->dtype);
    for (int32_t k = 0; k < t->ndim; k++) bytes *= (size_t)t->shape[k];
    return calloc(bytes, 1);
}

tryon_status bench_input_commit(tryon_model *m, int32_t i, const tryon_tensor *t, void *host) {
    if (!host) return TRYON_ERR_NOMEM;
    if (t->data) return TRYON_OK;
    size_t bytes = tryon_dtype_size(t->dtype);
    for (int32_t k = 0; k < t->ndim; k++) bytes *= (size_t)t->shape[k];
    tryon_status st = tryon_model_set_input(m, i, host, bytes);
    free(host);
    return st;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(FILE *out) {
    fprintf(out, "usage: tryon-bench [--filter SUBSTR] [--runs N] [--warmup N] [--threads N]\n"
                 "                   [--batch N] [--weights DIR] [--json FILE]\n"
                 "                   [--device cpu|cuda] [--kernels own|vendor|reference]\n"
                 "                   [--precision f32|f16|bf16]\n");
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"filter", required_argument, NULL, 'f'},    {"runs", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'},    {"threads", required_argument, NULL, 't'},
        {"batch", required_argument, NULL, 'b'},     {"weights", required_argument, NULL, 'W'},
        {"json", required_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
        {"device", required_argument, NULL, 'd'},    {"kernels", required_argument, NULL, 'k'},
        {"precision", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
    tryon_ctx_params p = tryon_ctx_params_default();
    const char *filter = NULL, *json_path = NULL;
    int runs = 10, warmup = 2, threads = 0;
    bench_opts bo = {"build/bench-weights", 1};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': filter = optarg; break;
        case 'r': runs = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'b': bo.batch = atoi(optarg); break;
        case 'W': bo.weights_dir = optarg; break;
        case 'j': json_path = optarg; break;
        case 'd':
            if (!strcmp(optarg, "cpu") || !strcmp(optarg, "cuda"))
                p.device = strcmp(optarg, "cpu") ? TRYON_DEVICE_CUDA : TRYON_DEVICE_CPU;
            else
                return usage(stderr), 2;
            break;
        case 'k':
            if (!strcmp(optarg, "own"))
                p.kernels = TRYON_KERNELS_OWN;
            else if (!strcmp(optarg, "vendor"))
                p.kernels = TRYON_KERNELS_VENDOR;
            else if (!strcmp(optarg, "reference"))
                p.kernels = TRYON_KERNELS_REFERENCE;
            else
                return usage(stderr), 2;
            break;
        case 'p':
            if (!strcmp(optarg, "f32"))
                p.cuda_precision = TRYON_DTYPE_F32;
            else if (!strcmp(optarg, "f16"))
                p.cuda_precision = TRYON_DTYPE_F16;
            else if (!strcmp(optarg, "bf16"))
                p.cuda_precision = TRYON_DTYPE_BF16;
            else
                return usage(stderr), 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (runs < 1 || warmup < 0 || bo.batch < 1) {
        usage(stderr);
        return 2;
    }
    p.n_threads = threads;
    tryon_ctx *ctx;
    char why[256];
    if (tryon_ctx_init(&p, &ctx, why, sizeof why) != TRYON_OK) {
        fprintf(stderr, "tryon-bench: %s\n", why);
        return 1;
    }
    FILE *json = json_path ? fopen(json_path, "w") : NULL;
    if (json_path && !json) {
        fprintf(stderr, "tryon-bench: cannot write %s\n", json_path);
        tryon_ctx_free(ctx);
        return 1;
    }
    const char *dev = p.device == TRYON_DEVICE_CUDA ? "cuda" : "cpu";
    const char *kern = p.kernels == TRYON_KERNELS_VENDOR      ? "vendor"
                       : p.kernels == TRYON_KERNELS_REFERENCE ? "reference"
                                                              : "own";
    const char *prec = tryon_dtype_name(p.cuda_precision);
    printf("tryon %s, %s (%s kernels%s%s), %d threads, %d warm-up + %d runs\n", tryon_version(),
           dev, kern, p.device == TRYON_DEVICE_CUDA ? ", storage " : "",
           p.device == TRYON_DEVICE_CUDA ? prec : "", tryon_ctx_n_threads(ctx), warmup, runs);
    printf("%-28s %10s %10s %10s %9s %10s  %s\n", "case", "median ms", "p90 ms", "min ms",
           "GFLOP/s", "arena MB", "detail");
    double *t = calloc((size_t)runs, sizeof *t);
    int failed = 0;
    for (int c = 0; c < bench_n_cases; c++) {
        const bench_case *bc = bench_cases[c];
        if (!bc || (filter && !strstr(bc->name, filter))) continue;
        tryon_model *m = NULL;
        bench_info info = {0, ""};
        tryon_status st = bc->setup(ctx, &bo, &m, &info);
        if (st != TRYON_OK) {
            printf("%-28s NOT_RUN: %s\n", bc->name, tryon_ctx_last_error(ctx));
            if (json)
                fprintf(json, "{\"case\":\"%s\",\"status\":\"NOT_RUN\"}\n", bc->name);
            failed |= st != TRYON_ERR_IO;
            continue;
        }
        for (int i = 0; i < warmup && st == TRYON_OK; i++) {
            st = tryon_model_run(m);
            if (st == TRYON_OK) st = tr_model_wait(m);
        }
        for (int i = 0; i < runs && st == TRYON_OK; i++) {
            double t0 = now_ms();
            st = tryon_model_run(m);
            if (st == TRYON_OK) st = tr_model_wait(m); /* the GPU's work, not just the launch */
            t[i] = now_ms() - t0;
        }
        if (st != TRYON_OK) {
            printf("%-28s FAILED: %s\n", bc->name, tryon_ctx_last_error(ctx));
            failed = 1;
            tryon_model_free(m);
            continue;
        }
        qsort(t, (size_t)runs, sizeof *t, cmp_double);
        double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
        double p90 = t[(int)((runs - 1) * 0.9 + 0.5)], mn = t[0];
        double gflops = info.flops > 0 ? info.flops / (med * 1e6) : 0;
        double arena = (double)tryon_model_arena_bytes(m) / (1 << 20);
        printf("%-28s %10.3f %10.3f %10.3f %9.2f %10.2f  %s\n", bc->name, med, p90, mn, gflops,
               arena, info.detail);
        if (json)
            fprintf(json,
                    "{\"case\":\"%s\",\"family\":\"%s\",\"status\":\"OK\",\"device\":\"%s\","
                    "\"kernels\":\"%s\",\"precision\":\"%s\",\"threads\":%d,"
                    "\"batch\":%d,\"runs\":%d,\"median_ms\":%.4f,\"p90_ms\":%.4f,"
                    "\"min_ms\":%.4f,\"gflops\":%.3f,\"flops\":%.0f,\"arena_bytes\":%lld}\n",
                    bc->name, bc->family, dev, kern, prec, tryon_ctx_n_threads(ctx), bo.batch, runs,
                    med, p90, mn, gflops, info.flops, (long long)tryon_model_arena_bytes(m));
        tryon_model_free(m);
    }
    free(t);
    if (json) fclose(json);
    tryon_ctx_free(ctx);
    return failed;
}
