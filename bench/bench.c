/* bench.c — `tryon-bench`: options, the header, and the loop over cases.
 * For every case (bench/cases.c) that --filter selects it runs the net row
 * and then the case's op rows (runner.c, ops.c), prints each row as it
 * finishes and appends it to --json FILE as one JSON line. Exit status: 0
 * when every row that ran is OK (NOT_RUN and NOT_SUPPORTED rows included),
 * 1 when a row is INCORRECT or FAILED, 2 for a usage error, 7 when --device
 * cuda finds no usable device. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: tryon-bench [options]\n"
            "  --device cpu|cuda       where the timed rows run (default cpu)\n"
            "  --kernels own|vendor|reference  which kernels (default own; cudnn = vendor)\n"
            "  --precision f32|f16|bf16  CUDA storage precision (default f32)\n"
            "  --threads N             CPU threads, 1..1024 (default: one per online core)\n"
            "  --rows all|nets|ops     net rows, op rows or both (default all)\n"
            "  --filter A,B,...        only rows whose name contains one of these\n"
            "  --runs N                timed runs per row (default 10)\n"
            "  --warmup N              untimed runs first (default 2)\n"
            "  --max-seconds S         stop timing a row after S seconds of runs (>= 1 run)\n"
            "  --batch N               images per run (default 1)\n"
            "  --weights DIR           bench weights folder (default build/bench-weights)\n"
            "  --json FILE             write the machine line and one JSON line per row\n"
            "  --save-io DIR           write each net row's inputs and outputs as .npy\n"
            "  --list                  print the case names and exit\n"
            "  --profile N             after a net row's timed runs, one profiled run: time per\n"
            "                          op and the N slowest nodes with the kernel that ran them\n"
            "Rows are verified against the CPU reference kernels before they are timed;\n"
            "a mismatch is INCORRECT and not timed. Schema and tolerances: bench/README.md.\n");
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int parse_seconds(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 1e6) return 0;
    *out = v;
    return 1;
}

/* ---- output of rows as they arrive --------------------------------------------- */

typedef struct out_state {
    const bench_env *e;
    FILE *json;
    int failed;
    double net_ms; /* median of the current case's net row, 0 if none */
} out_state;

static void emit(const bench_row *r, void *user) {
    out_state *s = user;
    bench_row shown = *r;
    /* An op row's share of its net's time, for the table. */
    if (!strcmp(r->kind, "op") && r->status == BENCH_OK && s->net_ms > 0) {
        int k = snprintf(shown.desc, sizeof shown.desc, "(%.0f%% of net) ",
                         100 * r->count * r->st.median / s->net_ms);
        bench_strcpy(shown.desc + k, sizeof shown.desc - (size_t)k, r->desc);
    }
    bench_print_row(stdout, &shown, s->e->peak_gflops);
    fflush(stdout);
    if (s->json) {
        bench_json_row(s->json, r, s->e);
        fflush(s->json);
    }
    if (r->status == BENCH_FAILED || r->status == BENCH_INCORRECT) s->failed = 1;
}

/* ---- CUDA device check in a child (the parent must not create a CUDA context) --- */

static void device_child(void *arg, int fd) {
    const bench_env *e = arg;
    bench_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.name, sizeof row.name, "device");
    row.last = 1;
    tryon_ctx *ctx;
    char why[256];
    if (tryon_ctx_init(&e->timed, &ctx, why, sizeof why) != TRYON_OK) {
        row.status = BENCH_NOT_SUPPORTED;
        snprintf(row.reason, sizeof row.reason, "%s", why);
    } else {
        bench_device_describe(row.desc, sizeof row.desc);
        tryon_ctx_free(ctx);
    }
    bench_child_send(fd, &row);
}

static void keep(const bench_row *r, void *user) { *(bench_row *)user = *r; }

static void remove_tmp(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char path[1200];
        while ((de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                unlink(path);
            }
        closedir(d);
    }
    rmdir(dir);
}

enum {
    OPT_DEVICE = 256,
    OPT_KERNELS,
    OPT_PRECISION,
    OPT_ROWS,
    OPT_MAX_SECONDS,
    OPT_SAVE_IO,
    OPT_LIST,
    OPT_PROFILE
};

int main(int argc, char **argv) {
    static const struct option opts[] = {{"filter", required_argument, NULL, 'f'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {"warmup", required_argument, NULL, 'w'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"weights", required_argument, NULL, 'W'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"device", required_argument, NULL, OPT_DEVICE},
                                         {"kernels", required_argument, NULL, OPT_KERNELS},
                                         {"precision", required_argument, NULL, OPT_PRECISION},
                                         {"rows", required_argument, NULL, OPT_ROWS},
                                         {"max-seconds", required_argument, NULL, OPT_MAX_SECONDS},
                                         {"save-io", required_argument, NULL, OPT_SAVE_IO},
                                         {"list", no_argument, NULL, OPT_LIST},
                                         {"profile", required_argument, NULL, OPT_PROFILE},
                                         {NULL, 0, NULL, 0}};
    bench_env e;
    memset(&e, 0, sizeof e);
    e.timed = tryon_ctx_params_default();
    e.o.weights_dir = "build/bench-weights";
    e.o.batch = 1;
    e.runs = 10;
    e.warmup = 2;
    e.rows_net = e.rows_op = 1;
    const char *json_path = NULL;
    int list = 0, opt;
    long v;
#define BAD(...)                                                                                   \
    do {                                                                                           \
        fprintf(stderr, "tryon-bench: " __VA_ARGS__);                                              \
        fputc('\n', stderr);                                                                       \
        return 2;                                                                                  \
    } while (0)
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': e.filter = optarg; break;
        case 'r':
            if (!parse_int(optarg, 1, 1000000, &v))
                BAD("--runs must be an integer >= 1, not '%s'", optarg);
            e.runs = (int32_t)v;
            break;
        case 'w':
            if (!parse_int(optarg, 0, 1000000, &v))
                BAD("--warmup must be an integer >= 0, not '%s'", optarg);
            e.warmup = (int32_t)v;
            break;
        case 't':
            if (!parse_int(optarg, 1, 1024, &v))
                BAD("--threads must be an integer in 1..1024, not '%s'", optarg);
            e.timed.n_threads = (int32_t)v;
            break;
        case 'b':
            if (!parse_int(optarg, 1, 65536, &v))
                BAD("--batch must be an integer in 1..65536, not '%s'", optarg);
            e.o.batch = (int32_t)v;
            break;
        case 'W': e.o.weights_dir = optarg; break;
        case 'j': json_path = optarg; break;
        case OPT_DEVICE:
            if (!strcmp(optarg, "cpu"))
                e.timed.device = TRYON_DEVICE_CPU;
            else if (!strcmp(optarg, "cuda"))
                e.timed.device = TRYON_DEVICE_CUDA;
            else
                BAD("--device must be cpu or cuda, not '%s'", optarg);
            break;
        case OPT_KERNELS:
            if (!strcmp(optarg, "own"))
                e.timed.kernels = TRYON_KERNELS_OWN;
            else if (!strcmp(optarg, "vendor") || !strcmp(optarg, "cudnn"))
                e.timed.kernels = TRYON_KERNELS_VENDOR;
            else if (!strcmp(optarg, "reference"))
                e.timed.kernels = TRYON_KERNELS_REFERENCE;
            else
                BAD("--kernels must be own, vendor or reference, not '%s'", optarg);
            break;
        case OPT_PRECISION:
            if (!strcmp(optarg, "f32"))
                e.timed.cuda_precision = TRYON_DTYPE_F32;
            else if (!strcmp(optarg, "f16"))
                e.timed.cuda_precision = TRYON_DTYPE_F16;
            else if (!strcmp(optarg, "bf16"))
                e.timed.cuda_precision = TRYON_DTYPE_BF16;
            else
                BAD("--precision must be f32, f16 or bf16, not '%s'", optarg);
            break;
        case OPT_ROWS:
            if (!strcmp(optarg, "all"))
                e.rows_net = e.rows_op = 1;
            else if (!strcmp(optarg, "nets"))
                e.rows_net = 1, e.rows_op = 0;
            else if (!strcmp(optarg, "ops"))
                e.rows_net = 0, e.rows_op = 1;
            else
                BAD("--rows must be all, nets or ops, not '%s'", optarg);
            break;
        case OPT_MAX_SECONDS:
            if (!parse_seconds(optarg, &e.max_seconds))
                BAD("--max-seconds must be a positive number, not '%s'", optarg);
            break;
        case OPT_SAVE_IO: e.save_io = optarg; break;
        case OPT_LIST: list = 1; break;
        case OPT_PROFILE:
            if (!parse_int(optarg, 1, 100000, &v))
                BAD("--profile must be an integer >= 1, not '%s'", optarg);
            e.profile_top = (int32_t)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) BAD("unexpected argument '%s' (see --help)", argv[optind]);
#undef BAD
    if (list) {
        for (int c = 0; c < bench_n_cases; c++)
            printf("%-28s %s%s%s\n", bench_cases[c]->name, bench_cases[c]->family,
                   bench_cases[c]->not_run ? "  NOT_RUN: " : "",
                   bench_cases[c]->not_run ? bench_cases[c]->not_run : "");
        return 0;
    }
    if (e.timed.n_threads <= 0) { /* what tryon_ctx_init picks: one per online core */
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        e.timed.n_threads = n > 0 ? (int32_t)(n > 256 ? 256 : n) : 1;
    }
    e.n_threads = e.timed.n_threads;
    e.ref = tryon_ctx_params_default();
    e.ref.n_threads = e.n_threads;
    e.ref.kernels = TRYON_KERNELS_REFERENCE;

    bench_machine m;
    if (e.timed.device == TRYON_DEVICE_CUDA) {
        bench_row dev;
        bench_child_rows(device_child, &e, "device", keep, &dev);
        if (dev.status != BENCH_OK) {
            fprintf(stderr, "tryon-bench: --device cuda: %s\n", dev.reason);
            return 7;
        }
        bench_machine_probe(&m, e.n_threads);
        bench_strcpy(m.device, sizeof m.device, dev.desc);
    } else {
        bench_machine_probe(&m, e.n_threads);
    }
    e.peak_gflops = m.peak_gflops;

    char tmp[] = "/tmp/tryon-bench-XXXXXX";
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "tryon-bench: cannot create a folder in /tmp: %s\n", strerror(errno));
        return 1;
    }
    e.tmp_dir = tmp;
    if (e.save_io && mkdir(e.save_io, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tryon-bench: cannot create %s: %s\n", e.save_io, strerror(errno));
        remove_tmp(tmp);
        return 1;
    }
    FILE *json = NULL;
    if (json_path && !(json = fopen(json_path, "w"))) {
        fprintf(stderr, "tryon-bench: cannot write %s: %s\n", json_path, strerror(errno));
        remove_tmp(tmp);
        return 1;
    }
    bench_print_header(stdout, &m, &e);
    if (json) bench_json_machine(json, &m, &e);
    fflush(NULL);

    out_state s = {&e, json, 0, 0};
    for (int c = 0; c < bench_n_cases; c++) {
        const bench_case *bc = bench_cases[c];
        s.net_ms = 0;
        int net_selected = e.rows_net && bench_filter_match(e.filter, bc->name);
        if (bc->not_run) {
            if (!net_selected) continue;
            bench_row r;
            memset(&r, 0, sizeof r);
            snprintf(r.name, sizeof r.name, "%s", bc->name);
            snprintf(r.kind, sizeof r.kind, "net");
            snprintf(r.case_name, sizeof r.case_name, "%s", bc->name);
            snprintf(r.family, sizeof r.family, "%s", bc->family);
            r.status = BENCH_NOT_RUN;
            r.rss_bytes = -1;
            snprintf(r.reason, sizeof r.reason, "%s", bc->not_run);
            emit(&r, &s);
            continue;
        }
        int missing = 0;
        if (net_selected) {
            bench_row r;
            bench_run_net(&e, bc, &r);
            emit(&r, &s);
            if (r.status == BENCH_OK) s.net_ms = r.st.median;
            missing = r.status == BENCH_NOT_RUN; /* the op rows would say it again */
        }
        if (e.rows_op && !missing) bench_run_ops(&e, bc, emit, &s);
    }
    if (json) fclose(json);
    remove_tmp(tmp);
    return s.failed;
}
