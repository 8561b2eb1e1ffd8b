/* test_threads.c — determinism and concurrency, through the public API only
 * (so the tests cover whatever kernels TRYON_KERNELS_OWN selects).
 *
 * Determinism: every net family (PoseNet with image input and the multi-pose
 * decoder, CycleGAN ResnetGenerator, TransformerNet, StyleGAN2 with seeded
 * random noise and truncation) gives bitwise-identical outputs on repeated
 * runs and with 1, 2, 3 and 4 threads, for the OWN and REFERENCE kernel
 * selections. The CPU kernels get this by construction: each output element
 * is computed by one thread in a fixed order, whatever the chunking (pool.h).
 *
 * Concurrency: one tryon_weights per family, opened once and shared
 * read-only, while several threads each build their own context and model
 * from it and run it repeatedly; every output must equal, bit for bit, the
 * single-threaded reference computed first. The context that opened the
 * weights is freed before the threads start. `make test SAN=thread` runs this
 * under ThreadSanitizer.
 *
 * Weights: the synthetic ones of tests/fuzz/make_files.sh, found through
 * $TRYON_TEST_FILES (the Makefile passes build/fuzz-files); without it the
 * tests print SKIP. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tu_nets.h"
#include "util.h"

/* Larger nets (more channels and rows than the fuzz files) for determinism. */
static const tu_net_case DET_CASES[] = {
    {"nets/posenet.safetensors", TU_NET_POSENET},
    {"nets/cyclegan.safetensors", TU_NET_CYCLEGAN},
    {"nets/transformernet.safetensors", TU_NET_CYCLEGAN},
    {"nets/stylegan2.safetensors", TU_NET_STYLEGAN2},
};
#define N_DET (int)(sizeof DET_CASES / sizeof DET_CASES[0])

/* Tiny nets for the concurrency test (ThreadSanitizer makes runs slow). */
static const tu_net_case CONC_CASES[] = {
    {"cli/pn.safetensors", TU_NET_POSENET},
    {"cli/cg.safetensors", TU_NET_CYCLEGAN},
    {"cli/tn.safetensors", TU_NET_CYCLEGAN},
    {"cli/sgc.safetensors", TU_NET_STYLEGAN2},
};
#define N_CONC (int)(sizeof CONC_CASES / sizeof CONC_CASES[0])

static tryon_ctx *ctx_with(int32_t threads, tryon_kernels kernels) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = threads;
    p.kernels = kernels;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    return ctx;
}

/* ---- determinism ------------------------------------------------------------ */

START_TEST(outputs_are_bitwise_equal_across_runs_and_thread_counts) {
    const tu_net_case *c = &DET_CASES[_i];
    char path[1024];
    if (!tu_net_path(c, path, sizeof path)) {
        tu_skip("threads", "no synthetic weights ($TRYON_TEST_FILES, make fuzz-files)");
        return;
    }
    static const tryon_kernels sel[2] = {TRYON_KERNELS_OWN, TRYON_KERNELS_REFERENCE};
    for (int k = 0; k < 2; k++) {
        uint8_t *ref = NULL;
        size_t ref_bytes = 0;
        for (int32_t threads = 1; threads <= 4; threads++) {
            tryon_ctx *ctx = ctx_with(threads, sel[k]);
            ck_assert_int_eq(tryon_ctx_n_threads(ctx), threads);
            tryon_weights *w;
            ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s",
                          tryon_ctx_last_error(ctx));
            tryon_model *m;
            ck_assert_msg(tu_net_build(ctx, w, c->kind, &m) == TRYON_OK, "%s: %s", c->file,
                          tryon_ctx_last_error(ctx));
            uint8_t *out[2];
            size_t bytes[2];
            for (int run = 0; run < 2; run++) {
                /* The inputs are set again: a run must not depend on the last one. */
                ck_assert_int_eq(tu_net_fill(m, 1234), TRYON_OK);
                ck_assert_msg(tryon_model_run(m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
                out[run] = tu_net_snapshot(m, &bytes[run]);
                ck_assert_ptr_nonnull(out[run]);
            }
            ck_assert_msg(tu_first_diff(out[0], out[1], bytes[0]) < 0,
                          "%s, kernels %d, %d threads: a second run differs at byte %ld", c->file,
                          (int)sel[k], threads, tu_first_diff(out[0], out[1], bytes[0]));
            if (!ref) {
                ref = out[0], ref_bytes = bytes[0];
                /* A check that cannot fail on all-zero outputs is no check. */
                long nonzero = 0;
                for (size_t i = 0; i < ref_bytes; i++) nonzero += ref[i] != 0;
                ck_assert_msg(nonzero > (long)(ref_bytes / 4), "%s: outputs mostly zero", c->file);
            } else {
                ck_assert_int_eq(bytes[0], ref_bytes);
                long d = tu_first_diff(ref, out[0], ref_bytes);
                ck_assert_msg(d < 0, "%s, kernels %d: %d threads differ from 1 thread at byte %ld",
                              c->file, (int)sel[k], threads, d);
                free(out[0]);
            }
            free(out[1]);
            tryon_model_free(m);
            tryon_weights_close(w);
            tryon_ctx_free(ctx);
        }
        free(ref);
    }
}
END_TEST

/* ---- concurrency -------------------------------------------------------------- */

enum { N_WORKERS = 6, RUNS_PER_WORKER = 3 };

typedef struct worker {
    const tryon_weights *w; /* shared, read-only */
    int kind;
    int32_t threads;    /* of the worker's own context */
    const uint8_t *ref; /* single-thread outputs */
    size_t ref_bytes;
    /* results, read after join */
    tryon_status st;
    char err[256];
    int mismatches;
} worker;

static void *worker_main(void *arg) {
    worker *wk = arg;
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = wk->threads;
    tryon_ctx *ctx = NULL;
    wk->st = tryon_ctx_init(&p, &ctx, wk->err, sizeof wk->err);
    if (wk->st != TRYON_OK) return NULL;
    tryon_model *m = NULL;
    wk->st = tu_net_build(ctx, wk->w, wk->kind, &m);
    for (int run = 0; wk->st == TRYON_OK && run < RUNS_PER_WORKER; run++) {
        wk->st = tu_net_fill(m, 99);
        if (wk->st == TRYON_OK) wk->st = tryon_model_run(m);
        size_t bytes = 0;
        uint8_t *out = wk->st == TRYON_OK ? tu_net_snapshot(m, &bytes) : NULL;
        if (wk->st == TRYON_OK && !out) wk->st = TRYON_ERR_NOMEM;
        if (out && (bytes != wk->ref_bytes || tu_first_diff(out, wk->ref, bytes) >= 0))
            wk->mismatches++;
        free(out);
    }
    if (wk->st != TRYON_OK) snprintf(wk->err, sizeof wk->err, "%s", tryon_ctx_last_error(ctx));
    tryon_model_free(m);
    tryon_ctx_free(ctx);
    return NULL;
}

START_TEST(threads_share_weights_and_match_one_thread) {
    char path[1024];
    tryon_weights *w[N_CONC];
    uint8_t *ref[N_CONC];
    size_t ref_bytes[N_CONC];
    tryon_ctx *ctx = tu_ctx(1);
    for (int i = 0; i < N_CONC; i++) {
        if (!tu_net_path(&CONC_CASES[i], path, sizeof path)) {
            tu_skip("threads", "no synthetic weights ($TRYON_TEST_FILES, make fuzz-files)");
            for (int k = 0; k < i; k++) tryon_weights_close(w[k]), free(ref[k]);
            tryon_ctx_free(ctx);
            return;
        }
        ck_assert_msg(tryon_weights_open(ctx, path, &w[i]) == TRYON_OK, "%s",
                      tryon_ctx_last_error(ctx));
        tryon_model *m;
        ck_assert_msg(tu_net_build(ctx, w[i], CONC_CASES[i].kind, &m) == TRYON_OK, "%s",
                      tryon_ctx_last_error(ctx));
        ck_assert_int_eq(tu_net_fill(m, 99), TRYON_OK);
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        ref[i] = tu_net_snapshot(m, &ref_bytes[i]);
        ck_assert_ptr_nonnull(ref[i]);
        tryon_model_free(m);
    }
    /* The weights do not need the context that opened them. */
    tryon_ctx_free(ctx);

    worker wk[N_WORKERS];
    pthread_t tid[N_WORKERS];
    memset(wk, 0, sizeof wk);
    for (int i = 0; i < N_WORKERS; i++) {
        int c = i % N_CONC;
        wk[i].w = w[c];
        wk[i].kind = CONC_CASES[c].kind;
        wk[i].threads = 1 + i % 3; /* pools with 0, 1 and 2 workers run at once */
        wk[i].ref = ref[c];
        wk[i].ref_bytes = ref_bytes[c];
        ck_assert_int_eq(pthread_create(&tid[i], NULL, worker_main, &wk[i]), 0);
    }
    for (int i = 0; i < N_WORKERS; i++) ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < N_WORKERS; i++) {
        ck_assert_msg(wk[i].st == TRYON_OK, "worker %d (%s): %s: %s", i,
                      CONC_CASES[i % N_CONC].file, tryon_status_str(wk[i].st), wk[i].err);
        ck_assert_msg(wk[i].mismatches == 0, "worker %d (%s): %d of %d runs differ from one thread",
                      i, CONC_CASES[i % N_CONC].file, wk[i].mismatches, RUNS_PER_WORKER);
    }
    for (int i = 0; i < N_CONC; i++) {
        tryon_weights_close(w[i]);
        free(ref[i]);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("threads");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 900); /* sanitizer builds run the larger nets slowly */
    tcase_add_loop_test(tc, outputs_are_bitwise_equal_across_runs_and_thread_counts, 0, N_DET);
    suite_add_tcase(s, tc);
    tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, threads_share_weights_and_match_one_thread);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
