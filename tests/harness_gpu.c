/* harness_gpu.c — GPU harness (see harness_gpu.h). */
#include "harness_gpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "model.h"

gu_opts gu_opts_default(void) {
    gu_opts o;
    memset(&o, 0, sizeof o);
    o.atol = o.rtol = 1e-5;
    o.seed = 1;
    o.lo = -1.0f, o.hi = 1.0f;
    o.runs = 2;
    o.int_lo = -3, o.int_hi = 3;
    o.precision = TRYON_DTYPE_F32;
    o.kernels = TRYON_KERNELS_OWN;
    o.force_op = -1, o.force_variant = -1, o.expect_variant = -1;
    o.guard = 1;
    o.rel_ulps = 2, o.abs_ulps = 2;
    return o;
}

void gu_set_tol(gu_opts *o, double f32_abs, double f32_rel, double rel_ulps, double abs_ulps) {
    o->atol = f32_abs, o->rtol = f32_rel, o->rel_ulps = rel_ulps, o->abs_ulps = abs_ulps;
}

double gu_unit(tryon_dtype dt) {
    return dt == TRYON_DTYPE_F16 ? 0x1p-11 : dt == TRYON_DTYPE_BF16 ? 0x1p-8 : 0x1p-24;
}

int gu_quick(void) {
    const char *q = getenv("TRYON_GPU_QUICK");
    return q && *q && strcmp(q, "0");
}

static int is_guard(const char *name) { return !strncmp(name, "guard", 5); }

static void add_guard(tr_graph *g) {
    int64_t s[1] = {GU_GUARD};
    char name[32];
    snprintf(name, sizeof name, "guard%d", g->n_tensors);
    tr_graph_input(g, name, TRYON_DTYPE_F32, 1, s);
}

int32_t gu_input(tr_graph *g, const char *name, tryon_dtype dtype, int32_t ndim,
                 const int64_t *shape) {
    add_guard(g);
    return tr_graph_input(g, name, dtype, ndim, shape);
}

int32_t gu_output(tr_graph *g, int32_t t, const char *name) {
    int32_t id = tr_graph_output(g, t, name);
    add_guard(g);
    return id;
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

static float round_to(float v, tryon_dtype dt) {
    if (dt == TRYON_DTYPE_F16) return tr_f16_to_f32(tr_f32_to_f16(v));
    if (dt == TRYON_DTYPE_BF16) return tr_bf16_to_f32(tr_f32_to_bf16(v));
    return v;
}

static void fill_input(const tryon_tensor *t, int32_t i, tu_rng *r, const gu_opts *o, void *buf) {
    int64_t n = 1;
    for (int32_t k = 0; k < t->ndim; k++) n *= t->shape[k];
    if (o->fill && o->fill(t, i, buf, o->fill_arg)) {
        if (t->dtype == TRYON_DTYPE_F32)
            for (int64_t k = 0; k < n; k++)
                ((float *)buf)[k] = round_to(((float *)buf)[k], o->precision);
        return;
    }
    switch (t->dtype) {
    case TRYON_DTYPE_F32: {
        float *f = buf;
        if (o->exact)
            tu_fill_int(f, n, r, o->int_lo, o->int_hi);
        else
            tu_fill_uniform(f, n, r, o->lo, o->hi);
        if (o->nan_inputs && n >= 3) f[0] = NAN, f[n / 2] = INFINITY, f[n - 1] = -INFINITY;
        for (int64_t k = 0; k < n; k++) f[k] = round_to(f[k], o->precision);
        break;
    }
    case TRYON_DTYPE_U8:
        for (int64_t k = 0; k < n; k++) ((uint8_t *)buf)[k] = (uint8_t)tu_rng_int(r, 0, 255);
        break;
    case TRYON_DTYPE_I32:
        for (int64_t k = 0; k < n; k++) ((int32_t *)buf)[k] = tu_rng_int(r, 0, (int32_t)o->hi);
        break;
    default: ck_abort_msg("unsupported input dtype");
    }
}

static size_t tensor_bytes(const tryon_tensor *t) {
    size_t n = tryon_dtype_size(t->dtype);
    for (int32_t i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

/* Every arena byte outside the tensors' device storage and the workspaces
 * must still hold the 0xff canary. */
static void check_guards(const char *what, tryon_model *mg) {
    const tr_graph *g = mg->g;
    const int64_t bytes = g->arena_bytes;
    uint8_t *raw = malloc((size_t)bytes), *used = calloc((size_t)bytes, 1);
    ck_assert(raw && used);
    ck_assert_int_eq(tr_cuda_model_read_arena(mg->cuda, 0, raw, (size_t)bytes), TRYON_OK);
    for (int32_t t = 0; t < g->n_tensors; t++) {
        const tr_tensor *tt = &g->tensors[t];
        if (tt->mem != TR_MEM_ARENA || is_guard(tt->name)) continue;
        int64_t size =
            tr_tensor_numel(tt) * (int64_t)tryon_dtype_size(tr_cuda_model_storage(mg->cuda, t));
        memset(used + tt->offset, 1, (size_t)size);
    }
    for (int32_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].ws_bytes > 0)
            memset(used + g->nodes[i].ws_offset, 1, (size_t)g->nodes[i].ws_bytes);
    for (int64_t b = 0; b < bytes; b++) {
        if (used[b] || raw[b] == 0xff) continue;
        const char *near = "?";
        int64_t best = -1;
        for (int32_t t = 0; t < g->n_tensors; t++) {
            const tr_tensor *tt = &g->tensors[t];
            if (tt->mem == TR_MEM_ARENA && tt->offset <= b && tt->offset > best)
                best = tt->offset, near = tt->name;
        }
        free(raw), free(used);
        ck_abort_msg("%s: arena byte %lld outside every tensor was overwritten (after '%s')", what,
                     (long long)b, near);
    }
    free(raw), free(used);
}

static void compare_output(const char *what, tryon_model *mc, tryon_model *mg, int32_t i,
                           const gu_opts *o) {
    tryon_tensor t;
    tryon_model_output(mc, i, &t);
    if (is_guard(t.name)) return;
    size_t bytes = tensor_bytes(&t);
    void *got = malloc(bytes);
    ck_assert_ptr_nonnull(got);
    ck_assert_int_eq(tryon_model_get_output(mg, i, got, bytes), TRYON_OK);
    char label[200];
    snprintf(label, sizeof label, "%s: output '%s' (%s storage)", what, t.name,
             tryon_dtype_name(tr_cuda_model_storage(mg->cuda, tr_model_output_id(mg, i))));
    if (t.dtype != TRYON_DTYPE_F32) {
        ck_assert_msg(memcmp(got, t.data, bytes) == 0, "%s differs", label);
        free(got);
        return;
    }
    const int64_t n = (int64_t)(bytes / 4);
    const tryon_dtype st = tr_cuda_model_storage(mg->cuda, tr_model_output_id(mg, i));
    float *ref = malloc(bytes);
    ck_assert_ptr_nonnull(ref);
    double mx = 0;
    for (int64_t k = 0; k < n; k++) {
        ref[k] = round_to(((const float *)t.data)[k], st);
        if (isfinite(ref[k]) && fabs(ref[k]) > mx) mx = fabs(ref[k]);
    }
    tu_cmp c;
    if (o->exact || o->bitwise)
        c = tu_compare_exact(got, ref, n);
    else if (st == TRYON_DTYPE_F32)
        c = tu_compare(got, ref, n, o->atol * mx, o->rtol);
    else
        c = tu_compare(got, ref, n, o->abs_ulps * gu_unit(st) * mx, o->rel_ulps * gu_unit(st));
    TU_ASSERT_CMP(c, t.ndim, t.shape, label);
    free(ref);
    free(got);
}

void gu_compare_backends(const char *what, gu_build_fn build, void *arg, const gu_opts *o) {
    tryon_ctx *cpu = tu_ctx(0);
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    /* TRYON_CUDA_SYNC=1: every case eagerly, synchronised after each launch,
     * so that a faulting kernel is named by the error (debugging). */
    const char *env_sync = getenv("TRYON_CUDA_SYNC");
    const int sync_each = o->sync_each || (env_sync && *env_sync && strcmp(env_sync, "0"));
    p.cuda_sync_after_launch = sync_each;
    p.cuda_precision = o->precision;
    p.kernels = o->kernels;
    tryon_ctx *gpu = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &gpu, why, sizeof why) == TRYON_OK, "%s", why);
    if (o->force_op >= 0) tr_cuda_force_variant(gpu, o->force_op, o->force_variant);
    tryon_model *mc = make_model(cpu, build, arg), *mg = make_model(gpu, build, arg);
    tr_cuda_stats s0, s1, s2;
    tr_cuda_model_stats(mg->cuda, &s0);
    ck_assert_int_eq(tryon_model_n_inputs(mc), tryon_model_n_inputs(mg));
    if (o->guard) ck_assert_int_eq(tr_cuda_model_fill_arena(mg->cuda, 0xff), TRYON_OK);
    tu_rng r;
    tu_rng_seed(&r, o->seed);
    for (int32_t i = 0; i < tryon_model_n_inputs(mc); i++) {
        tryon_tensor t;
        tryon_model_input(mc, i, &t);
        if (is_guard(t.name)) continue;
        fill_input(&t, i, &r, o, t.data);
        ck_assert_int_eq(tryon_model_set_input(mg, i, t.data, tensor_bytes(&t)), TRYON_OK);
    }
    ck_assert_int_eq(tryon_model_run(mc), TRYON_OK);
    const int32_t runs = o->runs > 0 ? o->runs : 1;
    int64_t host_allocs = 0;
    for (int32_t k = 0; k < runs; k++) {
        tryon_status st = tryon_model_run(mg);
        ck_assert_msg(st == TRYON_OK, "%s: CUDA run: %s", what, tryon_ctx_last_error(gpu));
        if (k == 0) {
            host_allocs = tr_ctx_n_allocs(gpu);
            tr_cuda_model_stats(mg->cuda, &s1);
        }
    }
    tr_cuda_model_stats(mg->cuda, &s2);
    /* Steady state: one graph launch per run, nothing allocated after the first. */
    ck_assert_msg(tr_ctx_n_allocs(gpu) == host_allocs, "%s: runs allocated host memory", what);
    ck_assert_msg(s2.device_allocs == s0.device_allocs, "%s: runs allocated device memory", what);
    if (!sync_each) {
        ck_assert_int_eq(s2.captures, 1);
        ck_assert_int_eq(s2.graph_launches, runs);
        ck_assert_int_eq(s2.graph_launches - s1.graph_launches, runs - 1);
    }
    for (int32_t i = 0; i < tryon_model_n_outputs(mc); i++) compare_output(what, mc, mg, i, o);
    if (o->guard) check_guards(what, mg);
    if (o->force_op >= 0 || o->expect_variant >= 0) {
        int32_t want = o->expect_variant >= 0 ? o->expect_variant : o->force_variant;
        for (int32_t i = 0; i < mg->g->n_nodes; i++)
            if ((int32_t)mg->g->nodes[i].op == o->force_op) {
                int32_t v = tr_cuda_model_variant(mg->cuda, i);
                ck_assert_msg(v == want, "%s: node '%s' ran variant %d, not %d", what,
                              mg->g->nodes[i].name, v, want);
            }
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
