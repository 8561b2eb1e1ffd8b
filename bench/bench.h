/* bench.h — the benchmark harness: a table of cases, each a planned model
 * timed with warm-up and N runs (median, p90, min), printed as a readable
 * table and as JSON lines. Net families add cases in bench/net_<family>.c
 * and list them in bench/cases.c. */
#ifndef TRYON_BENCH_H
#define TRYON_BENCH_H

#include <stdio.h>

#include "tryon.h"

typedef struct bench_opts {
    const char *weights_dir;  /* folder with the weights files the cases need */
    int32_t batch;
} bench_opts;

typedef struct bench_info {
    double flops;             /* per run; 0 if not counted */
    char detail[128];         /* shape, weights used, ... */
} bench_info;

typedef struct bench_case {
    const char *name;         /* "posenet-385" */
    const char *family;       /* "posenet" */
    /* Builds and plans the model; returns TRYON_ERR_IO when its weights file is
     * missing (the case is then reported as NOT_RUN with the reason). */
    tryon_status (*setup)(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                          bench_info *info);
} bench_case;

/* --profile N: per-op totals and the N slowest nodes of m's last run
 * (bench/profile.c). */
struct tryon_model;
void bench_profile_print(const struct tryon_model *m, int top);

extern const bench_case *const bench_cases[];
extern const int bench_n_cases;

/* Writing inputs on any device: bench_input_host returns a host buffer for
 * input i (the model's own on the CPU; a zeroed copy when the model lives on
 * a GPU) and fills *t; bench_input_commit uploads it (CUDA) and frees it. */
void *bench_input_host(tryon_model *m, int32_t i, tryon_tensor *t);
tryon_status bench_input_commit(tryon_model *m, int32_t i, const tryon_tensor *t, void *host);

#endif /* TRYON_BENCH_H */
