/* harness_gpu.c — GPU harness (see harness_gpu.h). */
#include "harness_gpu.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

gu_opts gu_opts_default(void) {
    gu_opts o = {1e-5, 1e-5, 1, -1.0f, 1.0f, 0, 2};
    return o;
}

static tryon_model *make_model(tryon_ctx *ctx, gu_build_fn build, void *arg) {
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    build(g, arg);
    tryon_model *m = NULL;
    tryon_status st = tr_model_create(ctx, g, &m);
    ck_assert_msg(st == TRYON_OK, "model: %s", tryon_ctx_last_error(ctx));
    return m;
}

static void fill_input(const tryon_tensor *t, tu_rng *r, const gu_opts *o, void *buf) {
    int64_t n = 1;
    for (int32_t i = 0; i < t->ndim; i++) n *= t->shape[i];
    switch (t->dtype) {
    case TRYON_DTYPE_F32: tu_fill_uniform(buf, n, r, o->lo, o->hi); break;
    case TRYON_DTYPE_U8:
        for (int64_t i = 0; i < n; i++) ((uint8_t *)buf)[i] = (uint8_t)tu_rng_int(r, 0, 255);
        break;
    case TRYON_DTYPE_I32:
        for (int64_t i = 0; i < n; i++) ((int32_t *)buf)[i] = tu_rng_int(r, 0, (int32_t)o->hi);
        break;
    default: ck_abort_msg("unsupported input dtype");
    }
}

static size_t tensor_bytes(const tryon_tensor *t) {
    size_t n = tryon_dtype_size(t->dtype);
    for (int32_t i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

void gu_compare_backends(const char *what, gu_build_fn build, void *arg, const gu_opts *o) {
    tryon_ctx *cpu = tu_ctx(0);
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    p.cuda_sync_after_launch = o->sync_each;
    tryon_ctx *gpu = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &gpu, why, sizeof why) == TRYON_OK, "%s", why);
    tryon_model *mc = make_model(cpu, build, arg), *mg = make_model(gpu, build, arg);
    ck_assert_int_eq(tryon_model_n_inputs(mc), tryon_model_n_inputs(mg));
    tu_rng r;
    tu_rng_seed(&r, o->seed);
    for (int32_t i = 0; i < tryon_model_n_inputs(mc); i++) {
        tryon_tensor t;
        tryon_model_input(mc, i, &t);
        fill_input(&t, &r, o, t.data);
        ck_assert_int_eq(tryon_model_set_input(mg, i, t.data, tensor_bytes(&t)), TRYON_OK);
    }
    ck_assert_int_eq(tryon_model_run(mc), TRYON_OK);
    for (int32_t k = 0; k < (o->runs > 0 ? o->runs : 1); k++) {
        tryon_status st = tryon_model_run(mg);
        ck_assert_msg(st == TRYON_OK, "%s: CUDA run: %s", what, tryon_ctx_last_error(gpu));
    }
    for (int32_t i = 0; i < tryon_model_n_outputs(mc); i++) {
        tryon_tensor t;
        tryon_model_output(mc, i, &t);
        size_t bytes = tensor_bytes(&t);
        void *got = malloc(bytes);
        ck_assert_int_eq(tryon_model_get_output(mg, i, got, bytes), TRYON_OK);
        char label[160];
        snprintf(label, sizeof label, "%s: output '%s'", what, t.name);
        if (t.dtype == TRYON_DTYPE_F32) {
            tu_cmp c = tu_compare(got, t.data, (int64_t)(bytes / 4), o->atol, o->rtol);
            TU_ASSERT_CMP(c, t.ndim, t.shape, label);
        } else {
            ck_assert_msg(memcmp(got, t.data, bytes) == 0, "%s differs", label);
        }
        free(got);
    }
    tryon_model_free(mg);
    tryon_model_free(mc);
    tryon_ctx_free(gpu);
    tryon_ctx_free(cpu);
}

int gu_main(const char *name, Suite *s) {
    char why[256] = "";
    if (tr_cuda_device_count(why, sizeof why) <= 0) {
        printf("SKIP %s: no usable CUDA device (%s)\n", name, why);
        srunner_free(srunner_create(s)); /* frees the suite */
        return EXIT_SUCCESS;
    }
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
