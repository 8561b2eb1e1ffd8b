/* test_oom.c — allocation-failure injection on the net load paths: the n-th
 * allocation of the call fails, for n = 1, 2, ... until the call succeeds.
 * Each failure must be TRYON_ERR_NOMEM with an "out of memory" message and a
 * NULL out-parameter, and leave nothing allocated: LeakSanitizer checks that
 * under `make test SAN=address,undefined` and valgrind under `make memcheck`
 * (glibc's own counters cannot: chunks freed into its per-thread cache still
 * count as in use). The call that finally succeeds must give a model that
 * runs.
 *
 * Covered here: tryon_weights_open on weights of every family (their large
 * metadata), tryon_posenet_load, tryon_cyclegan_load (ResnetGenerator and
 * TransformerNet), tryon_stylegan2_build (z and w inputs). The other load
 * paths have their own loops: small safetensors files (test_weights.c), PNG
 * with libpng's allocations (test_image.c), .npy (test_npy.c), graph building
 * and model creation (test_runtime.c), StyleGAN2 on the PyTorch fixtures
 * (test_stylegan2.c).
 *
 * Weights: the synthetic ones of tests/fuzz/make_files.sh ($TRYON_TEST_FILES). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "util.h"

static const char *files_path(const char *rel, char *buf, size_t size) {
    const char *dir = getenv("TRYON_TEST_FILES");
    if (!dir || !*dir) return NULL;
    snprintf(buf, size, "%s/%s", dir, rel);
    FILE *f = fopen(buf, "rb");
    if (!f) return NULL;
    fclose(f);
    return buf;
}

typedef enum load_kind {
    LOAD_WEIGHTS,
    LOAD_POSENET,
    LOAD_CYCLEGAN,
    LOAD_STYLEGAN2_Z,
    LOAD_STYLEGAN2_W,
} load_kind;

typedef struct oom_case {
    const char *file;
    load_kind kind;
} oom_case;

static const oom_case CASES[] = {
    {"cli/pn.safetensors", LOAD_WEIGHTS},      {"cli/sg.safetensors", LOAD_WEIGHTS},
    {"cli/cg.safetensors", LOAD_WEIGHTS},      {"cli/pn.safetensors", LOAD_POSENET},
    {"cli/cg.safetensors", LOAD_CYCLEGAN},     {"cli/tn.safetensors", LOAD_CYCLEGAN},
    {"cli/sgc.safetensors", LOAD_STYLEGAN2_Z}, {"cli/sg.safetensors", LOAD_STYLEGAN2_W},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

/* One attempt. For LOAD_WEIGHTS *wout is the result; otherwise w is used. */
static tryon_status attempt(tryon_ctx *ctx, const char *path, load_kind kind,
                            const tryon_weights *w, tryon_weights **wout, tryon_model **m) {
    switch (kind) {
    case LOAD_WEIGHTS: return tryon_weights_open(ctx, path, wout);
    case LOAD_POSENET: {
        tryon_posenet_params p = tryon_posenet_params_default();
        p.image_width = 40, p.image_height = 30;
        p.multi = 1;
        return tryon_posenet_load(ctx, w, &p, m);
    }
    case LOAD_CYCLEGAN: {
        tryon_cyclegan_params p = tryon_cyclegan_params_default();
        p.batch = 2, p.height = 9, p.width = 11;
        return tryon_cyclegan_load(ctx, w, &p, m);
    }
    case LOAD_STYLEGAN2_Z: return tryon_stylegan2_build(ctx, w, 2, TRYON_STYLEGAN2_INPUT_Z, m);
    case LOAD_STYLEGAN2_W: return tryon_stylegan2_build(ctx, w, 1, TRYON_STYLEGAN2_INPUT_W, m);
    }
    return TRYON_ERR_INVALID_ARG;
}

START_TEST(load_fails_cleanly_at_every_allocation) {
    const oom_case *c = &CASES[_i];
    char path[1024];
    if (!files_path(c->file, path, sizeof path)) {
        tu_skip("oom", "no synthetic weights ($TRYON_TEST_FILES, make fuzz-files)");
        return;
    }
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w = NULL;
    if (c->kind != LOAD_WEIGHTS)
        ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s",
                      tryon_ctx_last_error(ctx));
    /* A first success warms up whatever the C library allocates once. */
    tryon_weights *w2 = NULL;
    tryon_model *m = NULL;
    ck_assert_msg(attempt(ctx, path, c->kind, w, &w2, &m) == TRYON_OK, "%s",
                  tryon_ctx_last_error(ctx));
    tryon_model_free(m);
    tryon_weights_close(w2);
    int64_t nth;
    for (nth = 1; nth < 100000; nth++) {
        w2 = (tryon_weights *)1, m = (tryon_model *)1; /* must come back NULL on failure */
        if (c->kind == LOAD_WEIGHTS)
            m = NULL;
        else
            w2 = NULL;
        tr_ctx_set_fail_alloc(ctx, nth);
        tryon_status st = attempt(ctx, path, c->kind, w, &w2, &m);
        int64_t left = ctx->fail_alloc_at;
        tr_ctx_set_fail_alloc(ctx, 0);
        if (st == TRYON_OK) {
            /* Success only once the failure point lies past the last allocation. */
            ck_assert_msg(left > 0, "%s: allocation %lld failed, yet the call succeeded", c->file,
                          (long long)nth);
            if (m) {
                ck_assert_msg(tryon_model_run(m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
                tryon_model_free(m);
            }
            tryon_weights_close(w2);
            break;
        }
        ck_assert_msg(st == TRYON_ERR_NOMEM, "%s: allocation %lld: %s (%s)", c->file,
                      (long long)nth, tryon_status_str(st), tryon_ctx_last_error(ctx));
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), "out of memory"), "%s: %s", c->file,
                      tryon_ctx_last_error(ctx));
        ck_assert_ptr_null(c->kind == LOAD_WEIGHTS ? (void *)w2 : (void *)m);
    }
    ck_assert_msg(nth > 5, "%s: only %lld allocations", c->file, (long long)nth - 1);
    if (getenv("TRYON_TEST_VERBOSE"))
        fprintf(stderr, "oom %s kind %d: %lld allocations\n", c->file, (int)c->kind,
                (long long)nth - 1);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, load_fails_cleanly_at_every_allocation, 0, N_CASES);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
