/* gpu_determinism.c — what the README promises about CUDA determinism,
 * checked on a device (no fork: CUDA must not be used between fork and exec;
 * without a usable device gu_main prints SKIP and exits 0).
 *
 * For every net family (tu_nets.h; synthetic weights of $TRYON_TEST_FILES),
 * every storage precision (f32, f16, bf16) and the OWN and VENDOR kernels:
 *   - rerunning a model gives bitwise-equal outputs (the CUDA graph replays
 *     the same kernels with the same launch shapes);
 *   - with OWN kernels, a second context (and a context driven from another
 *     host thread while the first runs) gives bitwise-equal outputs too;
 *     VENDOR (cuDNN/cuBLAS) results across contexts are reported, not
 *     asserted: a library may pick another algorithm in another context.
 * A family whose ops have no CUDA kernel yet (TRYON_ERR_UNSUPPORTED) prints
 * SKIP with the missing op. */
#include <pthread.h>

#include "harness_gpu.h"
#include "tu_nets.h"

static const tu_net_case CASES[] = {
    {"nets/posenet.safetensors", TU_NET_POSENET},
    {"nets/cyclegan.safetensors", TU_NET_CYCLEGAN},
    {"nets/transformernet.safetensors", TU_NET_CYCLEGAN},
    {"nets/stylegan2.safetensors", TU_NET_STYLEGAN2},
};
#define N_CASES (int)(sizeof CASES / sizeof CASES[0])

static const int32_t PRECISIONS[3] = {TRYON_DTYPE_F32, TRYON_DTYPE_F16, TRYON_DTYPE_BF16};

typedef struct gpu_run {
    const char *path;
    int kind;
    int32_t precision;
    tryon_kernels kernels;
    /* results */
    tryon_status st;
    char err[512];
    uint8_t *out[2]; /* two runs of one model */
    size_t bytes;
} gpu_run;

/* Opens, builds and runs twice in a fresh CUDA context; no Check asserts
 * (also runs on a second host thread). */
static void *gpu_run_main(void *arg) {
    gpu_run *r = arg;
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    p.cuda_precision = r->precision;
    p.kernels = r->kernels;
    tryon_ctx *ctx = NULL;
    r->st = tryon_ctx_init(&p, &ctx, r->err, sizeof r->err);
    if (r->st != TRYON_OK) return NULL;
    tryon_weights *w = NULL;
    tryon_model *m = NULL;
    r->st = tryon_weights_open(ctx, r->path, &w);
    if (r->st == TRYON_OK) r->st = tu_net_build(ctx, w, r->kind, &m);
    for (int i = 0; i < 2 && r->st == TRYON_OK; i++) {
        r->st = tu_net_fill(m, 4321);
        if (r->st == TRYON_OK) r->st = tryon_model_run(m);
        if (r->st == TRYON_OK) r->out[i] = tu_net_snapshot(m, &r->bytes);
        if (r->st == TRYON_OK && !r->out[i]) r->st = TRYON_ERR_CUDA;
    }
    if (r->st != TRYON_OK) snprintf(r->err, sizeof r->err, "%s", tryon_ctx_last_error(ctx));
    tryon_model_free(m);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
    return NULL;
}

static void gpu_run_free(gpu_run *r) {
    free(r->out[0]);
    free(r->out[1]);
}

START_TEST(cuda_outputs_are_bitwise_reproducible) {
    const tu_net_case *c = &CASES[_i];
    char path[1024];
    if (!tu_net_path(c, path, sizeof path)) {
        tu_skip("gpu_determinism", "no synthetic weights ($TRYON_TEST_FILES, make fuzz-files)");
        return;
    }
    static const tryon_kernels sel[2] = {TRYON_KERNELS_OWN, TRYON_KERNELS_VENDOR};
    for (int pi = 0; pi < 3; pi++)
        for (int k = 0; k < 2; k++) {
            gpu_run a = {path, c->kind, PRECISIONS[pi], sel[k], TRYON_OK, "", {NULL, NULL}, 0};
            gpu_run b = a;
            /* a on this thread while b runs on another: two contexts at once. */
            pthread_t tid;
            ck_assert_int_eq(pthread_create(&tid, NULL, gpu_run_main, &b), 0);
            gpu_run_main(&a);
            ck_assert_int_eq(pthread_join(tid, NULL), 0);
            if (a.st == TRYON_ERR_UNSUPPORTED) {
                char why[640];
                snprintf(why, sizeof why, "%s, precision %d, kernels %d: %s", c->file,
                         (int)PRECISIONS[pi], (int)sel[k], a.err);
                tu_skip("gpu_determinism", why);
                gpu_run_free(&a), gpu_run_free(&b);
                continue;
            }
            ck_assert_msg(a.st == TRYON_OK && b.st == TRYON_OK, "%s: %s / %s", c->file, a.err,
                          b.err);
            long d = tu_first_diff(a.out[0], a.out[1], a.bytes);
            ck_assert_msg(d < 0, "%s, precision %d, kernels %d: a rerun differs at byte %ld",
                          c->file, (int)PRECISIONS[pi], (int)sel[k], d);
            d = tu_first_diff(a.out[0], b.out[0], a.bytes);
            if (sel[k] == TRYON_KERNELS_OWN)
                ck_assert_msg(d < 0,
                              "%s, precision %d: two contexts differ at byte %ld (OWN kernels)",
                              c->file, (int)PRECISIONS[pi], d);
            else if (d >= 0)
                fprintf(stderr,
                        "gpu_determinism: %s, precision %d, VENDOR: contexts differ "
                        "at byte %ld (reported, not asserted)\n",
                        c->file, (int)PRECISIONS[pi], d);
            gpu_run_free(&a), gpu_run_free(&b);
        }
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_determinism");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, cuda_outputs_are_bitwise_reproducible, 0, N_CASES);
    suite_add_tcase(s, tc);
    return gu_main("gpu_determinism", s);
}
