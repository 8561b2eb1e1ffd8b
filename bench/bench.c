/* bench.c — `tryon-bench`: times every case (or those matching --filter) and
 * prints a table plus one JSON line per case (--json FILE). Each case runs
 * --warmup times untimed, then --runs times; we report median, p90 and min
 * wall-clock milliseconds, GFLOP/s at the median and the planned arena size. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "fast/fast.h"
#include "internal.h"

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
                 "                   [--kernels own|vendor|reference] [--profile N]\n");
}

int main(int argc, char **argv) {
    static const struct option opts[] = {
        {"filter", required_argument, NULL, 'f'}, {"runs", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'}, {"threads", required_argument, NULL, 't'},
        {"batch", required_argument, NULL, 'b'},  {"weights", required_argument, NULL, 'W'},
        {"json", required_argument, NULL, 'j'},   {"help", no_argument, NULL, 'h'},
        {"kernels", required_argument, NULL, 'k'}, {"profile", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0}};
    const char *filter = NULL, *json_path = NULL;
    int runs = 10, warmup = 2, threads = 0, profile = 0;
    int kernels = TRYON_KERNELS_OWN;
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
        case 'k':
            kernels = !strcmp(optarg, "own")         ? TRYON_KERNELS_OWN
                      : !strcmp(optarg, "vendor")    ? TRYON_KERNELS_VENDOR
                      : !strcmp(optarg, "reference") ? TRYON_KERNELS_REFERENCE
                                                     : -1;
            break;
        case 'p': profile = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (runs < 1 || warmup < 0 || bo.batch < 1 || kernels < 0 || profile < 0) {
        usage(stderr);
        return 2;
    }
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = threads;
    p.kernels = kernels;
    p.profile = profile > 0;
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
    printf("tryon %s, %d threads, %d warm-up + %d runs, kernels %s (cpu isa %s)\n",
           tryon_version(), tryon_ctx_n_threads(ctx), warmup, runs,
           kernels == TRYON_KERNELS_REFERENCE ? "reference"
           : kernels == TRYON_KERNELS_VENDOR  ? "vendor"
                                              : "own",
           tr_isa_name((tr_isa)ctx->cpu_isa));
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
        for (int i = 0; i < warmup && st == TRYON_OK; i++) st = tryon_model_run(m);
        for (int i = 0; i < runs && st == TRYON_OK; i++) {
            double t0 = now_ms();
            st = tryon_model_run(m);
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
                    "{\"case\":\"%s\",\"family\":\"%s\",\"status\":\"OK\",\"threads\":%d,"
                    "\"batch\":%d,\"runs\":%d,\"median_ms\":%.4f,\"p90_ms\":%.4f,"
                    "\"min_ms\":%.4f,\"gflops\":%.3f,\"flops\":%.0f,\"arena_bytes\":%lld}\n",
                    bc->name, bc->family, tryon_ctx_n_threads(ctx), bo.batch, runs, med, p90, mn,
                    gflops, info.flops, (long long)tryon_model_arena_bytes(m));
        if (profile) bench_profile_print(m, profile);
        fflush(stdout);
        tryon_model_free(m);
    }
    free(t);
    if (json) fclose(json);
    tryon_ctx_free(ctx);
    return failed;
}
