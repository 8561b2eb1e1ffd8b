/* runner.c — net rows. A verification child builds the case on the reference
 * context (CPU, TRYON_KERNELS_REFERENCE, same threads) and on the timed one,
 * gives both the same inputs, runs each once and compares every output
 * (harness.h tolerances). Only when they match does a second, fresh child
 * build the timed model alone, warm it up, time it and report its peak RSS.
 * Nothing here knows which kernels run: the comparison goes through the
 * public model API, so it holds for any device and kernels selection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "model.h"

const char *bench_status_name(bench_status s) {
    static const char *const names[BENCH_STATUS_COUNT] = {"OK", "INCORRECT", "NOT_RUN",
                                                          "NOT_SUPPORTED", "FAILED"};
    return s >= 0 && s < BENCH_STATUS_COUNT ? names[s] : "?";
}

bench_prec bench_env_prec(const bench_env *e) {
    if (e->timed.device != TRYON_DEVICE_CUDA) return BENCH_PREC_F32;
    if (e->timed.cuda_precision == TRYON_DTYPE_F16) return BENCH_PREC_F16;
    if (e->timed.cuda_precision == TRYON_DTYPE_BF16) return BENCH_PREC_BF16;
    return BENCH_PREC_F32;
}

int bench_filter_match(const char *filter, const char *name) {
    if (!filter || !*filter) return 1;
    const char *p = filter;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            for (const char *s = name; *s; s++)
                if (strncmp(s, p, len) == 0) return 1;
        }
        if (!end) break;
        p = end + 1;
    }
    return 0;
}

double bench_model_flops(const tryon_model *m) {
    double f = 0;
    for (int32_t i = 0; i < m->g->n_nodes; i++) {
        const tr_node *n = &m->g->nodes[i];
        if (tr_op_table[n->op].flops) f += tr_op_table[n->op].flops(m->g, n);
    }
    return f;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static size_t tensor_bytes(const tryon_tensor *t) {
    size_t b = tryon_dtype_size(t->dtype);
    for (int32_t k = 0; k < t->ndim; k++) b *= (size_t)t->shape[k];
    return b;
}

/* ---- verification ------------------------------------------------------------ */

int bench_verify_output(const bench_env *e, tryon_model *timed, int32_t i, const void *want,
                        int whole_net, bench_row *row) {
    tryon_tensor t;
    tryon_ctx *ctx = timed->ctx;
    if (tryon_model_output(timed, i, &t) != TRYON_OK) return 0;
    size_t bytes = tensor_bytes(&t);
    int64_t n = (int64_t)(bytes / tryon_dtype_size(t.dtype));
    void *got = malloc(bytes ? bytes : 1);
    if (!got || tryon_model_get_output(timed, i, got, bytes) != TRYON_OK) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "reading output %d: %s", i,
                 got ? tryon_ctx_last_error(ctx) : "out of memory");
        free(got);
        return 0;
    }
    bench_cmp c;
    bench_cmp_init(&c);
    bench_tol tol = bench_tol_for(bench_env_prec(e), whole_net);
    if (t.dtype == TRYON_DTYPE_F32) {
        if (e->perturb != 0 && n > 0) ((float *)got)[0] += e->perturb;
        bench_cmp_f32(&c, got, want, n);
    } else {
        bench_cmp_exact(&c, got, want, n, tryon_dtype_size(t.dtype));
    }
    free(got);
    char why[400];
    int ok = bench_cmp_ok(&c, &tol, why, sizeof why);
    /* Report the (first) failing output, else the one with the largest NMSE. */
    int row_failed = row->status == BENCH_INCORRECT;
    int worse = !row->verified || (!ok && !row_failed) ||
                (ok == !row_failed && bench_cmp_nmse(&c) > bench_cmp_nmse(&row->cmp));
    if (worse) {
        row->cmp = c;
        row->tol = tol;
        snprintf(row->worst_output, sizeof row->worst_output, "%d %s", i, t.name);
        snprintf(row->reason, sizeof row->reason, "output %d '%s': %s", i, t.name, why);
    }
    row->verified = 1;
    if (!ok) row->status = BENCH_INCORRECT;
    return ok;
}

int bench_verify_models(const bench_env *e, tryon_model *ref, tryon_model *timed, int whole_net,
                        bench_row *row) {
    tryon_ctx *rctx = ref->ctx, *tctx = timed->ctx;
    if (tryon_model_n_inputs(ref) != tryon_model_n_inputs(timed) ||
        tryon_model_n_outputs(ref) != tryon_model_n_outputs(timed)) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "the two builds differ in inputs or outputs");
        return 0;
    }
    for (int32_t i = 0; i < tryon_model_n_inputs(ref); i++) {
        tryon_tensor t;
        tryon_model_input(ref, i, &t);
        if (tryon_model_set_input(timed, i, t.data, tensor_bytes(&t)) != TRYON_OK) {
            row->status = BENCH_FAILED;
            snprintf(row->reason, sizeof row->reason, "input %d: %s", i,
                     tryon_ctx_last_error(tctx));
            return 0;
        }
    }
    if (tryon_model_run(ref) != TRYON_OK) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "reference run: %s", tryon_ctx_last_error(rctx));
        return 0;
    }
    if (tryon_model_run(timed) != TRYON_OK) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "run: %s", tryon_ctx_last_error(tctx));
        return 0;
    }
    int ok = 1;
    for (int32_t i = 0; i < tryon_model_n_outputs(ref) && row->status != BENCH_FAILED; i++) {
        tryon_tensor t;
        tryon_model_output(ref, i, &t);
        ok &= bench_verify_output(e, timed, i, t.data, whole_net, row);
    }
    return ok && row->status == BENCH_OK;
}

/* ---- timing ------------------------------------------------------------------ */

static int run_once(const bench_env *e, tryon_model *m, bench_row *row) {
    if (tryon_model_run(m) != TRYON_OK) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "run: %s", tryon_ctx_last_error(m->ctx));
        return 0;
    }
    /* A CUDA run only launches its graph: wait for it, so each run is timed whole. */
    char why[256];
    if (e->timed.device == TRYON_DEVICE_CUDA && bench_device_sync(why, sizeof why) != 0) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "device: %s", why);
        return 0;
    }
    return 1;
}

void bench_time_model(const bench_env *e, tryon_model *m, bench_row *row) {
    double *t = calloc((size_t)e->runs, sizeof *t);
    if (!t) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "out of memory");
        return;
    }
    for (int32_t i = 0; i < e->warmup; i++)
        if (!run_once(e, m, row)) goto done;
    double total = 0;
    int32_t n = 0;
    while (n < e->runs) {
        double t0 = now_ms();
        if (!run_once(e, m, row)) goto done;
        t[n] = now_ms() - t0;
        total += t[n++];
        if (e->max_seconds > 0 && total >= 1e3 * e->max_seconds) break;
    }
    bench_stats_compute(t, n, &row->st);
    row->runs_done = n;
done:
    free(t);
}

/* ---- the two children of a net row --------------------------------------------- */

typedef struct net_job {
    const bench_env *e;
    const bench_case *c;
} net_job;

static tryon_status make_ctx(const tryon_ctx_params *p, tryon_ctx **ctx, bench_row *row) {
    char why[256];
    tryon_status st = tryon_ctx_init(p, ctx, why, sizeof why);
    if (st != TRYON_OK) {
        row->status = st == TRYON_ERR_NO_DEVICE ? BENCH_NOT_SUPPORTED : BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "context: %s", why);
    }
    return st;
}

/* Status of a failed setup: a missing file is NOT_RUN, an op the device or
 * kernels selection lacks is NOT_SUPPORTED. */
static void setup_failed(bench_row *row, tryon_ctx *ctx, tryon_status st, const char *what) {
    row->status = st == TRYON_ERR_IO            ? BENCH_NOT_RUN
                  : st == TRYON_ERR_UNSUPPORTED ? BENCH_NOT_SUPPORTED
                                                : BENCH_FAILED;
    snprintf(row->reason, sizeof row->reason, "%s%s", what, tryon_ctx_last_error(ctx));
}

static void input_path(const bench_env *e, const bench_case *c, int32_t i, char *buf, size_t size) {
    snprintf(buf, size, "%s/%s.in%d", e->tmp_dir, c->name, i);
}

/* Writes the model's inputs as raw files for the timing child. */
static int save_inputs(const bench_env *e, const bench_case *c, tryon_model *ref, bench_row *row) {
    for (int32_t i = 0; i < tryon_model_n_inputs(ref); i++) {
        tryon_tensor t;
        char path[512];
        tryon_model_input(ref, i, &t);
        input_path(e, c, i, path, sizeof path);
        FILE *f = fopen(path, "wb");
        size_t bytes = tensor_bytes(&t);
        int ok = f && fwrite(t.data, 1, bytes, f) == bytes;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) {
            row->status = BENCH_FAILED;
            snprintf(row->reason, sizeof row->reason, "cannot write %s", path);
            return 0;
        }
    }
    return 1;
}

static int load_inputs(const bench_env *e, const bench_case *c, tryon_model *m, bench_row *row) {
    for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
        tryon_tensor t;
        char path[512];
        tryon_model_input(m, i, &t);
        input_path(e, c, i, path, sizeof path);
        size_t bytes = tensor_bytes(&t);
        void *buf = malloc(bytes ? bytes : 1);
        FILE *f = fopen(path, "rb");
        int ok = buf && f && fread(buf, 1, bytes, f) == bytes;
        if (f) fclose(f);
        ok = ok && tryon_model_set_input(m, i, buf, bytes) == TRYON_OK;
        free(buf);
        if (!ok) {
            row->status = BENCH_FAILED;
            snprintf(row->reason, sizeof row->reason, "cannot load input %d from %s", i, path);
            return 0;
        }
    }
    return 1;
}

/* tryon-bench --save-io DIR: DIR/<case>/input-<i>-<name>.npy (the reference
 * model's inputs, which both builds ran on) and output-<i>-<name>.npy (the
 * timed model's outputs), float32 whatever the dtype, for the peers. */
static void save_io(const bench_env *e, const bench_case *c, tryon_model *ref, tryon_model *timed,
                    bench_row *row) {
    char dir[400];
    snprintf(dir, sizeof dir, "%s/%s", e->save_io, c->name);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        row->status = BENCH_FAILED;
        snprintf(row->reason, sizeof row->reason, "cannot create %s", dir);
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        tryon_model *m = pass ? timed : ref;
        int32_t n = pass ? tryon_model_n_outputs(m) : tryon_model_n_inputs(m);
        for (int32_t i = 0; i < n; i++) {
            tryon_tensor t;
            if (pass)
                tryon_model_output(m, i, &t);
            else
                tryon_model_input(m, i, &t);
            size_t bytes = tensor_bytes(&t);
            size_t count = bytes / tryon_dtype_size(t.dtype);
            void *raw = malloc(bytes ? bytes : 1);
            tryon_array a = {0};
            tryon_status st = raw ? (pass ? tryon_model_get_output(m, i, raw, bytes) : TRYON_OK)
                                  : TRYON_ERR_NOMEM;
            if (!pass && raw) memcpy(raw, t.data, bytes);
            if (st == TRYON_OK) st = tryon_array_alloc(m->ctx, t.ndim, t.shape, &a);
            if (st == TRYON_OK) {
                for (size_t k = 0; k < count; k++)
                    a.data[k] = t.dtype == TRYON_DTYPE_F32   ? ((float *)raw)[k]
                                : t.dtype == TRYON_DTYPE_I32 ? (float)((int32_t *)raw)[k]
                                : t.dtype == TRYON_DTYPE_U8  ? (float)((uint8_t *)raw)[k]
                                                             : 0.0f;
                char path[1400];
                snprintf(path, sizeof path, "%s/%s-%d-%s.npy", dir, pass ? "output" : "input", i,
                         t.name);
                st = tryon_npy_write(m->ctx, path, &a);
            }
            tryon_array_free(&a);
            free(raw);
            if (st != TRYON_OK) {
                row->status = BENCH_FAILED;
                snprintf(row->reason, sizeof row->reason, "--save-io: %s",
                         tryon_ctx_last_error(m->ctx));
                return;
            }
        }
    }
}

static void init_row(bench_row *row, const bench_case *c) {
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", c->name);
    snprintf(row->kind, sizeof row->kind, "net");
    snprintf(row->case_name, sizeof row->case_name, "%s", c->name);
    snprintf(row->family, sizeof row->family, "%s", c->family);
    row->rss_bytes = -1;
    row->last = 1;
}

static void verify_child(void *arg, int fd) {
    const net_job *j = arg;
    const bench_env *e = j->e;
    bench_row row;
    init_row(&row, j->c);
    tryon_ctx *rctx = NULL, *tctx = NULL;
    tryon_model *ref = NULL, *timed = NULL;
    bench_info info = {""};
    tryon_status st;
    if (make_ctx(&e->ref, &rctx, &row) != TRYON_OK || make_ctx(&e->timed, &tctx, &row) != TRYON_OK)
        goto out;
    if ((st = j->c->setup(rctx, &e->o, &ref, &info)) != TRYON_OK) {
        setup_failed(&row, rctx, st, "");
        goto out;
    }
    bench_info tinfo = {""};
    if ((st = j->c->setup(tctx, &e->o, &timed, &tinfo)) != TRYON_OK) {
        setup_failed(&row, tctx, st, "");
        goto out;
    }
    row.flops = bench_model_flops(ref);
    row.arena_bytes = tryon_model_arena_bytes(timed);
    snprintf(row.desc, sizeof row.desc, "%s", info.detail);
    if (bench_verify_models(e, ref, timed, 1, &row) && save_inputs(e, j->c, ref, &row) &&
        e->save_io)
        save_io(e, j->c, ref, timed, &row);
out:
    tryon_model_free(timed);
    tryon_model_free(ref);
    tryon_ctx_free(tctx);
    tryon_ctx_free(rctx);
    bench_child_send(fd, &row);
}

/* --profile: timing every node costs a clock read (and, on CUDA, an event)
 * per node, so the profile comes from one more run on its own context after
 * the timed runs, never from them. */
static void profile_case(const bench_env *e, const bench_case *c) {
    tryon_ctx_params p = e->timed;
    p.profile = 1;
    tryon_ctx *ctx = NULL;
    tryon_model *m = NULL;
    bench_info info = {""};
    bench_row scratch;
    init_row(&scratch, c);
    printf("%s: a profiled run (separate from the timed runs)\n", c->name);
    if (make_ctx(&p, &ctx, &scratch) != TRYON_OK || c->setup(ctx, &e->o, &m, &info) != TRYON_OK ||
        !load_inputs(e, c, m, &scratch) || !run_once(e, m, &scratch) || !run_once(e, m, &scratch))
        printf("  (no profile: %s)\n",
               scratch.reason[0] ? scratch.reason : tryon_ctx_last_error(ctx));
    else
        bench_profile_print(m, e->profile_top);
    fflush(stdout);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}

static void time_child(void *arg, int fd) {
    const net_job *j = arg;
    const bench_env *e = j->e;
    bench_row row;
    init_row(&row, j->c);
    tryon_ctx *tctx = NULL;
    tryon_model *m = NULL;
    bench_info info = {""};
    tryon_status st;
    if (make_ctx(&e->timed, &tctx, &row) != TRYON_OK) goto out;
    if ((st = j->c->setup(tctx, &e->o, &m, &info)) != TRYON_OK) {
        setup_failed(&row, tctx, st, "");
        goto out;
    }
    if (load_inputs(e, j->c, m, &row)) bench_time_model(e, m, &row);
    row.arena_bytes = tryon_model_arena_bytes(m);
    row.rss_bytes = bench_peak_rss();
    if (e->profile_top > 0 && row.status == BENCH_OK) profile_case(e, j->c);
out:
    tryon_model_free(m);
    tryon_ctx_free(tctx);
    bench_child_send(fd, &row);
}

static void keep_row(const bench_row *r, void *user) { *(bench_row *)user = *r; }

void bench_run_net(const bench_env *e, const bench_case *c, bench_row *row) {
    net_job j = {e, c};
    bench_child_rows(verify_child, &j, c->name, keep_row, row);
    snprintf(row->kind, sizeof row->kind, "net");
    snprintf(row->case_name, sizeof row->case_name, "%s", c->name);
    snprintf(row->family, sizeof row->family, "%s", c->family);
    if (row->status != BENCH_OK) return;
    bench_row t;
    bench_child_rows(time_child, &j, c->name, keep_row, &t);
    row->status = t.status;
    row->st = t.st;
    row->runs_done = t.runs_done;
    row->rss_bytes = t.rss_bytes;
    row->arena_bytes = t.arena_bytes;
    if (t.status != BENCH_OK) snprintf(row->reason, sizeof row->reason, "%s", t.reason);
}
