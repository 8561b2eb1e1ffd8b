/* bench.h — tryon-bench: net rows (a whole planned model) and op rows (a
 * one-node graph for every distinct (op, shapes, params) of a net), each
 * verified against the reference kernels before it is timed, printed as a
 * table and written as JSON lines (schema: bench/README.md).
 *
 * Net families add cases in bench/net_<family>.c and list them in
 * bench/cases.c. Every row runs in a child process (bench/child.c) so that
 * its peak RSS is its own and a crash is reported instead of ending the run. */
#ifndef TRYON_BENCH_H
#define TRYON_BENCH_H

#include <stdio.h>

#include "harness.h"
#include "tryon.h"

typedef struct bench_opts {
    const char *weights_dir; /* folder with the weights files the cases need */
    int32_t batch;
} bench_opts;

typedef struct bench_info {
    char detail[128]; /* shape, weights used, ... (FLOPs come from the op table) */
} bench_info;

typedef struct bench_case {
    const char *name;   /* "posenet-385" */
    const char *family; /* "posenet" */
    /* Builds and plans the model in ctx and, when its inputs are host memory
     * (CPU), fills them with the case's deterministic inputs. Returns
     * TRYON_ERR_IO when a weights file is missing (NOT_RUN with the reason). The
     * harness builds the case twice, on the reference context and on the timed
     * one, and copies the reference model's inputs into the timed model. */
    tryon_status (*setup)(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                          bench_info *info);
    /* Non-NULL: the case cannot run in this build (say why); setup is not called. */
    const char *not_run;
} bench_case;

extern const bench_case *const bench_cases[];
extern const int bench_n_cases;

/* Sum of the op table's FLOP counts over the model's nodes. */
double bench_model_flops(const tryon_model *m);

/* ---- rows ----------------------------------------------------------------- */

typedef enum bench_status {
    BENCH_OK = 0,
    BENCH_INCORRECT,     /* output differs from the reference: not timed */
    BENCH_NOT_RUN,       /* missing weights or API: the reason says which */
    BENCH_NOT_SUPPORTED, /* the device or kernels selection lacks an op */
    BENCH_FAILED,        /* an error or a crash */
    BENCH_STATUS_COUNT
} bench_status;

const char *bench_status_name(bench_status s);

/* One result line. Plain data, so a child process can send it through a pipe. */
typedef struct bench_row {
    char name[96]; /* "posenet-385" or "posenet-385:conv2d:3" */
    char kind[8];  /* "net" or "op" */
    char case_name[48];
    char family[24];
    char op[32];    /* op rows: op table name */
    char node[64];  /* op rows: first node with this key */
    char desc[256]; /* op rows: shapes and params; net rows: the case detail */
    int32_t count;  /* op rows: nodes of the net with this key */
    int32_t last;   /* set on the last row a child sends */
    bench_status status;
    char reason[600];
    bench_stats st;
    int32_t runs_done;
    double flops, bytes; /* per run; bytes: op rows' operands + result */
    int64_t arena_bytes;
    int64_t rss_bytes; /* peak RSS of the timing process, -1 when not measured */
    int32_t verified;  /* 1 when the comparison ran */
    bench_cmp cmp;     /* the worst output's comparison */
    bench_tol tol;
    char worst_output[64];
} bench_row;

/* ---- what every row shares --------------------------------------------------- */

typedef struct bench_env {
    tryon_ctx_params timed; /* device, kernels, precision, threads of the timed runs */
    tryon_ctx_params ref;   /* the CPU reference kernels, same threads */
    bench_opts o;
    int32_t runs, warmup;
    double max_seconds; /* > 0: stop timing a row after this much run time */
    const char *filter; /* comma-separated substrings of row names, NULL = all */
    int rows_net, rows_op;
    const char *save_io; /* folder for the net rows' inputs and outputs (.npy), or NULL */
    const char *tmp_dir; /* per-process scratch folder (inputs for the timing child) */
    double peak_gflops;  /* fp32 peak for the timed thread count, 0 if unknown */
    int32_t n_threads;   /* threads the contexts actually use */
    float perturb;       /* tests only: added to the timed output before comparing */
    int32_t profile_top; /* --profile N: > 0 prints a profiled run's per-op totals */
} bench_env;

bench_prec bench_env_prec(const bench_env *e);
int bench_filter_match(const char *filter, const char *name);

/* Net row: verification child, then (when the output matches) timing child. */
void bench_run_net(const bench_env *e, const bench_case *c, bench_row *row);
/* Op rows of a case, one child; calls emit for each row as it arrives. */
typedef void (*bench_emit_fn)(const bench_row *row, void *user);
void bench_run_ops(const bench_env *e, const bench_case *c, bench_emit_fn emit, void *user);

/* In-process pieces the children use (and tests/test_bench.c calls directly). */
/* Verifies timed against ref (same inputs copied first) and fills row. Returns
 * 1 when the outputs match. */
int bench_verify_models(const bench_env *e, tryon_model *ref, tryon_model *timed, int whole_net,
                        bench_row *row);
/* Compares output i of timed (run already) with want (host data of the same
 * dtype and size); keeps the worst output's comparison in row (row->verified
 * is 0 before the first call). Returns 1 when it is within tolerance. */
int bench_verify_output(const bench_env *e, tryon_model *timed, int32_t i, const void *want,
                        int whole_net, bench_row *row);
/* Warm-up and timed runs of m; fills row->st, runs_done; status FAILED on error. */
void bench_time_model(const bench_env *e, tryon_model *m, bench_row *row);

/* --profile N: per-op totals and the N slowest nodes of m's last run; m's
 * context was created with profile = 1 (bench/profile.c). */
void bench_profile_print(const tryon_model *m, int top);

/* CUDA: waits for the device (cudaDeviceSynchronize); 0 on the CPU build. */
int bench_device_sync(char *why, size_t size);
/* One line describing the CUDA device, or "" when none. */
void bench_device_describe(char *buf, size_t size);

/* ---- child processes (child.c) ----------------------------------------------- */

/* Runs fn(arg, fd) in a forked child which writes bench_rows to fd; calls
 * emit for each row read. When the child dies without sending its last row,
 * emits a FAILED row named fail_name with the signal or exit status. */
void bench_child_rows(void (*fn)(void *arg, int fd), void *arg, const char *fail_name,
                      bench_emit_fn emit, void *user);
/* Sends one row (blocking, whole). */
void bench_child_send(int fd, const bench_row *row);
/* Peak resident set of this process in bytes (getrusage). */
int64_t bench_peak_rss(void);

/* ---- machine (machine.c) ---------------------------------------------------- */

typedef struct bench_machine {
    char cpu[128];      /* /proc/cpuinfo model name */
    int32_t cores;      /* online logical CPUs */
    char isa[128];      /* "avx512f avx2 fma sse4.2" as found by cpuid */
    char peak_isa[16];  /* ISA of the FMA loop that measured the peak */
    double peak_gflops; /* measured: FMA loop on peak_threads threads */
    int32_t peak_threads;
    double clock_mhz;       /* nominal clock (cpuid leaf 0x16 or /proc/cpuinfo) */
    double computed_gflops; /* threads x clock x FLOP/cycle(ISA, 2 FMA units); 0 if unknown */
    char commit[64];
    char date[32];
    char device[160]; /* CUDA device line, when --device cuda */
    double loadavg;   /* 1-minute load average at the start, -1 if unknown */
} bench_machine;

/* Fills everything but device; measures the peak with n_threads threads
 * (best of a few ~0.1 s trials). */
void bench_machine_probe(bench_machine *m, int32_t n_threads);

/* ---- output (report.c) ------------------------------------------------------ */

void bench_print_header(FILE *f, const bench_machine *m, const bench_env *e);
void bench_print_row(FILE *f, const bench_row *r, double peak_gflops);
void bench_json_machine(FILE *f, const bench_machine *m, const bench_env *e);
void bench_json_row(FILE *f, const bench_row *r, const bench_env *e);

#endif /* TRYON_BENCH_H */
