/* test_bench.c — the benchmark harness's own logic (bench/harness.c,
 * bench/runner.c): timing statistics, the output comparison and its
 * tolerances, the JSON-lines writer, and the verify-before-time rule (a row
 * whose output is perturbed is INCORRECT and never timed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "graph.h"
#include "model.h"
#include "util.h"

/* ---- statistics ------------------------------------------------------------ */

START_TEST(stats_median_p90_min_of_ten) {
    double t[10] = {7, 3, 10, 1, 9, 2, 8, 4, 6, 5};
    bench_stats s;
    bench_stats_compute(t, 10, &s);
    ck_assert_int_eq(s.n, 10);
    ck_assert(s.median == 5.5); /* mean of the 5th and 6th smallest */
    ck_assert(s.p90 == 9);      /* nearest rank: ceil(0.9 * 10) = 9th smallest */
    ck_assert(s.min == 1 && s.max == 10 && s.mean == 5.5);
    for (int i = 1; i < 10; i++) ck_assert(t[i - 1] <= t[i]); /* sorted in place */
}
END_TEST

START_TEST(stats_small_counts) {
    double one[1] = {4.25};
    bench_stats s;
    bench_stats_compute(one, 1, &s);
    ck_assert(s.median == 4.25 && s.p90 == 4.25 && s.min == 4.25);
    double three[3] = {3, 1, 2};
    bench_stats_compute(three, 3, &s);
    ck_assert(s.median == 2 && s.p90 == 3 && s.min == 1); /* ceil(2.7) = 3rd */
    double eleven[11];
    for (int i = 0; i < 11; i++) eleven[i] = 10 - i; /* 0..10 reversed */
    bench_stats_compute(eleven, 11, &s);
    ck_assert(s.median == 5 && s.p90 == 9 && s.min == 0); /* ceil(9.9) = 10th */
    bench_stats_compute(eleven, 0, &s);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

/* ---- comparison --------------------------------------------------------------- */

static const bench_tol f32_op = {1e-7, 1e-3};

START_TEST(cmp_identical_and_close_pass) {
    enum { N = 4096 };
    float *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    tu_rng r;
    tu_rng_seed(&r, 1);
    for (int i = 0; i < N; i++) want[i] = got[i] = tu_rng_uniform(&r, -2, 2);
    bench_cmp c;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, got, want, N);
    ck_assert(bench_cmp_ok(&c, &f32_op, NULL, 0));
    ck_assert(bench_cmp_nmse(&c) == 0 && c.max_abs == 0 && c.n == N);
    /* Reordering-sized noise: a few ulp on every element passes. */
    for (int i = 0; i < N; i++) got[i] = nextafterf(nextafterf(want[i], 10), 10);
    bench_cmp_init(&c);
    bench_cmp_f32(&c, got, want, N);
    char why[400];
    ck_assert_msg(bench_cmp_ok(&c, &f32_op, why, sizeof why), "%s", why);
    ck_assert(c.max_abs > 0);
    free(want);
    free(got);
}
END_TEST

START_TEST(cmp_one_wrong_element_in_a_large_tensor_fails) {
    enum { N = 1 << 20 };
    float *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
    for (int i = 0; i < N; i++) want[i] = got[i] = (float)((i % 97) - 48) / 48.0f;
    got[12345] += 0.01f; /* 1% of max|ref|: NMSE ~3e-10 alone would pass */
    bench_cmp c;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, got, want, N);
    char why[400];
    ck_assert(bench_cmp_nmse(&c) < f32_op.nmse);
    ck_assert(!bench_cmp_ok(&c, &f32_op, why, sizeof why));
    ck_assert_int_eq(c.worst, 12345);
    ck_assert_ptr_nonnull(strstr(why, "worst at 12345"));
    free(want);
    free(got);
}
END_TEST

START_TEST(cmp_systematic_error_fails_on_nmse) {
    float want[256], got[256];
    for (int i = 0; i < 256; i++) want[i] = (float)i, got[i] = (float)i * 1.0005f;
    bench_cmp c;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, got, want, 256);
    ck_assert(bench_cmp_nmse(&c) > 1e-7);
    ck_assert(!bench_cmp_ok(&c, &f32_op, NULL, 0));
    bench_tol loose = bench_tol_for(BENCH_PREC_BF16, 0);
    ck_assert(bench_cmp_ok(&c, &loose, NULL, 0)); /* within bf16 storage error */
}
END_TEST

START_TEST(cmp_nonfinite_must_match_by_position_and_sign) {
    float want[4] = {NAN, INFINITY, -INFINITY, 1};
    float same[4] = {NAN, INFINITY, -INFINITY, 1};
    bench_cmp c;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, same, want, 4);
    ck_assert(bench_cmp_ok(&c, &f32_op, NULL, 0));
    float sign[4] = {NAN, -INFINITY, -INFINITY, 1};
    bench_cmp_init(&c);
    bench_cmp_f32(&c, sign, want, 4);
    ck_assert(!bench_cmp_ok(&c, &f32_op, NULL, 0));
    ck_assert_int_eq(c.n_nonfinite, 1);
    ck_assert_int_eq(c.worst, 1);
    float nan_for_value[4] = {NAN, INFINITY, -INFINITY, NAN};
    bench_cmp_init(&c);
    bench_cmp_f32(&c, nan_for_value, want, 4);
    ck_assert(!bench_cmp_ok(&c, &f32_op, NULL, 0));
    ck_assert_int_eq(c.worst, 3);
}
END_TEST

START_TEST(cmp_zero_reference_and_exact_ints) {
    float zero[8] = {0}, tiny[8] = {0};
    bench_cmp c;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, tiny, zero, 8);
    ck_assert(bench_cmp_ok(&c, &f32_op, NULL, 0));
    tiny[5] = 1e-30f;
    bench_cmp_init(&c);
    bench_cmp_f32(&c, tiny, zero, 8);
    ck_assert(isinf(bench_cmp_nmse(&c)));
    ck_assert(!bench_cmp_ok(&c, &f32_op, NULL, 0));
    int32_t a[5] = {1, 2, 3, 4, 5}, b[5] = {1, 2, 3, 4, 5};
    bench_cmp_init(&c);
    bench_cmp_exact(&c, a, b, 5, sizeof a[0]);
    ck_assert(bench_cmp_ok(&c, &f32_op, NULL, 0));
    b[2] = 7;
    bench_cmp_init(&c);
    bench_cmp_exact(&c, a, b, 5, sizeof a[0]);
    ck_assert(!bench_cmp_ok(&c, &f32_op, NULL, 0));
    ck_assert(c.worst == 2 && c.worst_got == 3 && c.worst_want == 7);
}
END_TEST

START_TEST(tolerances_are_ordered) {
    bench_prec p[3] = {BENCH_PREC_F32, BENCH_PREC_F16, BENCH_PREC_BF16};
    for (int i = 0; i < 3; i++) {
        bench_tol op = bench_tol_for(p[i], 0), net = bench_tol_for(p[i], 1);
        ck_assert(op.nmse <= net.nmse && op.max_abs_frac <= net.max_abs_frac);
        if (i) {
            bench_tol prev = bench_tol_for(p[i - 1], 0);
            ck_assert(prev.nmse < op.nmse && prev.max_abs_frac < op.max_abs_frac);
        }
    }
}
END_TEST

/* ---- JSON ------------------------------------------------------------------------ */

START_TEST(json_escapes_and_formats) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bench_json j, v;
    bench_json_begin(&j, f);
    bench_json_str(&j, "s", "a\"b\\c\nd\te\x01 \xc3\xa9");
    bench_json_num(&j, "x", 1.5);
    bench_json_num(&j, "nan", NAN);
    bench_json_num(&j, "inf", -INFINITY);
    bench_json_int(&j, "big", (int64_t)1 << 40);
    bench_json_str(&j, "none", NULL);
    bench_json_nested(&j, "v", &v);
    bench_json_num(&v, "nmse", 1e-9);
    bench_json_null(&v, "z");
    bench_json_end_nested(&v, &j);
    bench_json_end(&j);
    fclose(f);
    ck_assert_str_eq(buf, "{\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9\",\"x\":1.5,\"nan\":null,"
                          "\"inf\":null,\"big\":1099511627776,\"none\":null,"
                          "\"v\":{\"nmse\":1e-09,\"z\":null}}\n");
    free(buf);
}
END_TEST

START_TEST(filter_matches_any_listed_substring) {
    ck_assert(bench_filter_match(NULL, "posenet-385"));
    ck_assert(bench_filter_match("", "posenet-385"));
    ck_assert(bench_filter_match("pose", "posenet-385"));
    ck_assert(bench_filter_match("stylegan,385", "posenet-385"));
    ck_assert(!bench_filter_match("stylegan,512", "posenet-385"));
    ck_assert(bench_filter_match("conv2d", "posenet-385:conv2d:3"));
    ck_assert(!bench_filter_match(",", "posenet-385"));
}
END_TEST

/* ---- verify before time ----------------------------------------------------------- */

/* A small case: 3x3 conv (bias, relu) then instance norm, 1x9x7x5 input. */
static tryon_status tiny_setup(tryon_ctx *ctx, const bench_opts *o, tryon_model **model,
                               bench_info *info) {
    static float w[6 * 3 * 3 * 5], b[6];
    for (int i = 0; i < (int)(sizeof w / sizeof w[0]); i++) w[i] = (float)((i * 7) % 11 - 5) / 8;
    for (int i = 0; i < 6; i++) b[i] = 0.25f * i;
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    int64_t xs[4] = {o->batch, 9, 7, 5}, ws[4] = {6, 3, 3, 5}, bs[1] = {6};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    tr_conv_opts co = tr_conv_opts_default();
    co.pad_top = co.pad_bottom = co.pad_left = co.pad_right = 1;
    co.bias = tr_graph_extern(g, "b", TRYON_DTYPE_F32, 1, bs, b);
    co.ep = tr_epilogue_make(TR_ACT_RELU);
    int32_t y = tr_conv2d(g, x, tr_graph_extern(g, "w", TRYON_DTYPE_F32, 4, ws, w), &co);
    y = tr_instance_norm(g, y, -1, -1, -1, 1e-5f, tr_epilogue_make(TR_ACT_NONE));
    tr_graph_output(g, y, "y");
    TR_TRY(tr_model_create(ctx, g, model));
    tryon_tensor t;
    tryon_model_input(*model, 0, &t);
    for (int64_t i = 0; t.data && i < 9 * 7 * 5 * o->batch; i++)
        ((float *)t.data)[i] = (float)((i * 13) % 17) / 4 - 2;
    snprintf(info->detail, sizeof info->detail, "tiny");
    return TRYON_OK;
}

static const bench_case tiny_case = {"tiny", "test", tiny_setup, NULL};

static void tiny_env(bench_env *e, char *tmp) {
    memset(e, 0, sizeof *e);
    e->timed = tryon_ctx_params_default();
    e->timed.n_threads = 2;
    e->ref = e->timed;
    e->ref.kernels = TRYON_KERNELS_REFERENCE;
    e->n_threads = 2;
    e->o.weights_dir = ".";
    e->o.batch = 2;
    e->runs = 5;
    e->warmup = 1;
    e->rows_net = e->rows_op = 1;
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    e->tmp_dir = tmp;
}

static void remove_dir(const char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(net_row_matching_output_is_verified_then_timed) {
    char tmp[] = "/tmp/tryon-test-bench-XXXXXX";
    bench_env e;
    tiny_env(&e, tmp);
    bench_row row;
    bench_run_net(&e, &tiny_case, &row);
    ck_assert_msg(row.status == BENCH_OK, "%s", row.reason);
    ck_assert(row.verified && bench_cmp_nmse(&row.cmp) == 0);
    ck_assert_int_eq(row.runs_done, 5);
    ck_assert_int_eq(row.st.n, 5);
    ck_assert(row.st.min > 0 && row.st.min <= row.st.median && row.st.median <= row.st.p90);
    ck_assert(row.flops == 2.0 * 2 * 9 * 7 * 6 * 3 * 3 * 5); /* conv only: 2 N OH OW Co K K Ci */
    ck_assert(row.rss_bytes > 0 && row.arena_bytes > 0);
    remove_dir(tmp);
}
END_TEST

START_TEST(net_row_with_perturbed_output_is_incorrect_and_not_timed) {
    char tmp[] = "/tmp/tryon-test-bench-XXXXXX";
    bench_env e;
    tiny_env(&e, tmp);
    e.perturb = 0.05f; /* one element, a few % of the output range */
    bench_row row;
    bench_run_net(&e, &tiny_case, &row);
    ck_assert_int_eq(row.status, BENCH_INCORRECT);
    ck_assert(row.verified);
    ck_assert_int_eq(row.runs_done, 0);
    ck_assert_int_eq(row.st.n, 0);
    ck_assert_int_eq(row.cmp.worst, 0);
    ck_assert_ptr_nonnull(strstr(row.reason, "output 0 'y'"));
    /* The JSON line says so and carries no timings. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    bench_json_row(f, &row, &e);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "\"status\":\"INCORRECT\""));
    ck_assert_ptr_nonnull(strstr(buf, "\"median_ms\":null"));
    ck_assert_ptr_nonnull(strstr(buf, "\"runs\":0"));
    free(buf);
    remove_dir(tmp);
}
END_TEST

START_TEST(verify_models_copies_inputs_and_flags_a_perturbation) {
    char tmp[] = "/tmp/tryon-test-bench-XXXXXX";
    bench_env e;
    tiny_env(&e, tmp);
    tryon_ctx *rctx, *tctx;
    ck_assert_int_eq(tryon_ctx_init(&e.ref, &rctx, NULL, 0), TRYON_OK);
    ck_assert_int_eq(tryon_ctx_init(&e.timed, &tctx, NULL, 0), TRYON_OK);
    tryon_model *ref, *timed;
    bench_info info;
    ck_assert_int_eq(tiny_setup(rctx, &e.o, &ref, &info), TRYON_OK);
    ck_assert_int_eq(tiny_setup(tctx, &e.o, &timed, &info), TRYON_OK);
    /* Different inputs in the timed model are overwritten by the reference's. */
    tryon_tensor t;
    tryon_model_input(timed, 0, &t);
    memset(t.data, 0, 9 * 7 * 5 * 2 * sizeof(float));
    bench_row row;
    memset(&row, 0, sizeof row);
    ck_assert(bench_verify_models(&e, ref, timed, 0, &row));
    ck_assert_int_eq(row.status, BENCH_OK);
    e.perturb = 1e-2f; /* NMSE ~1e-7 passes, but |err| > 1e-3 max|ref| does not */
    memset(&row, 0, sizeof row);
    ck_assert(!bench_verify_models(&e, ref, timed, 0, &row));
    ck_assert_int_eq(row.status, BENCH_INCORRECT);
    tryon_model_free(timed);
    tryon_model_free(ref);
    tryon_ctx_free(tctx);
    tryon_ctx_free(rctx);
    remove_dir(tmp);
}
END_TEST

static void crash_child(void *arg, int fd) {
    (void)arg;
    (void)fd;
    abort();
}

static void keep(const bench_row *r, void *user) { *(bench_row *)user = *r; }

START_TEST(crashing_row_is_reported_failed) {
    bench_row row;
    memset(&row, 0, sizeof row);
    bench_child_rows(crash_child, NULL, "boom", keep, &row);
    ck_assert_int_eq(row.status, BENCH_FAILED);
    ck_assert_str_eq(row.name, "boom");
    ck_assert_ptr_nonnull(strstr(row.reason, "signal"));
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("harness");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, stats_median_p90_min_of_ten);
    tcase_add_test(tc, stats_small_counts);
    tcase_add_test(tc, cmp_identical_and_close_pass);
    tcase_add_test(tc, cmp_one_wrong_element_in_a_large_tensor_fails);
    tcase_add_test(tc, cmp_systematic_error_fails_on_nmse);
    tcase_add_test(tc, cmp_nonfinite_must_match_by_position_and_sign);
    tcase_add_test(tc, cmp_zero_reference_and_exact_ints);
    tcase_add_test(tc, tolerances_are_ordered);
    tcase_add_test(tc, json_escapes_and_formats);
    tcase_add_test(tc, filter_matches_any_listed_substring);
    tcase_add_test(tc, net_row_matching_output_is_verified_then_timed);
    tcase_add_test(tc, net_row_with_perturbed_output_is_incorrect_and_not_timed);
    tcase_add_test(tc, verify_models_copies_inputs_and_flags_a_perturbation);
    tcase_add_test(tc, crashing_row_is_reported_failed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
