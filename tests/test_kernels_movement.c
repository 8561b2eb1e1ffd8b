/* test_kernels_movement.c — dtype-agnostic data movement
 * (kernels/cpu/movement.c): concat along every axis of ranks 1..4 and all 24
 * 4-D permutations, for 1-, 4- and 8-byte elements, through direct kernel
 * calls with guard bands and through the builders in planned models, plus
 * the builders' error paths. Movement copies bits: every comparison is
 * bitwise against an oracle that computes each source index directly. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model.h"
#include "pool.h"
#include "util.h"

static tryon_model *make_model(tryon_ctx *ctx, tr_graph *g) {
    tryon_model *m = NULL;
    tryon_status st = tr_model_create(ctx, g, &m);
    ck_assert_msg(st == TRYON_OK, "tr_model_create: %s", tryon_ctx_last_error(ctx));
    return m;
}

static tr_graph *new_graph(tryon_ctx *ctx) {
    tr_graph *g = NULL;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    return g;
}

static void *model_out(tryon_model *m, int32_t i) {
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_output(m, i, &t), TRYON_OK);
    return t.data;
}

static void *model_in(tryon_model *m, int32_t i) {
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_input(m, i, &t), TRYON_OK);
    return t.data;
}

static int64_t prod(int32_t nd, const int64_t *s) {
    int64_t p = 1;
    for (int32_t i = 0; i < nd; i++) p *= s[i];
    return p;
}

/* Asserts that the builder failed and that the message names the problem. */
static void expect_fail(tryon_ctx *ctx, int32_t id, const char *msg, const char *what) {
    ck_assert_msg(id == -1, "%s: builder accepted it (id %d)", what, id);
    ck_assert_msg(strstr(tryon_ctx_last_error(ctx), msg), "%s: expected '%s' in '%s'", what, msg,
                  tryon_ctx_last_error(ctx));
}

/* u8 buffers with a guard band of canary bytes. */
#define U8_CANARY 0xA5
static uint8_t *guarded_u8(int64_t n) {
    uint8_t *p = malloc((size_t)n + TU_GUARD);
    ck_assert_ptr_nonnull(p);
    memset(p, 0, (size_t)n);
    memset(p + n, U8_CANARY, TU_GUARD);
    return p;
}
static int guard_u8_ok(const uint8_t *p, int64_t n) {
    for (int64_t i = 0; i < TU_GUARD; i++)
        if (p[n + i] != U8_CANARY) return 0;
    return 1;
}

/* ---- concat -------------------------------------------------------------------- */

/* Oracle: output element (o, k, i) of the (outer, total, inner) view comes
 * from the input whose slice along the axis holds k. */
static void concat_oracle(int32_t n_in, const uint8_t *const *in, const int64_t *len, int64_t outer,
                          int64_t inner, size_t es, uint8_t *y) {
    int64_t total = 0;
    for (int32_t i = 0; i < n_in; i++) total += len[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < total; k++) {
            int32_t src = 0;
            int64_t kk = k;
            while (kk >= len[src]) kk -= len[src++];
            for (int64_t i = 0; i < inner; i++)
                memcpy(y + ((o * total + k) * inner + i) * es,
                       in[src] + ((o * len[src] + kk) * inner + i) * es, es);
        }
}

/* Every axis of ranks 1..4, 1..3 inputs of lengths 1, 3, 2 along the axis,
 * f32 and u8, through the builder and a planned model; bitwise. */
START_TEST(concat_every_axis_f32_and_u8_through_the_model) {
    static const int64_t base[4] = {3, 2, 4, 5}, lens[3] = {1, 3, 2};
    tryon_ctx *ctx = tu_ctx(2);
    tu_rng r;
    tu_rng_seed(&r, 23);
    for (int dt = 0; dt < 2; dt++) {
        tryon_dtype dtype = dt ? TRYON_DTYPE_U8 : TRYON_DTYPE_F32;
        size_t es = dt ? 1 : 4;
        for (int32_t rank = 1; rank <= 4; rank++)
            for (int32_t axis = 0; axis < rank; axis++)
                for (int32_t n_in = 1; n_in <= 3; n_in++) {
                    tr_graph *g = new_graph(ctx);
                    int32_t ids[3];
                    int64_t shapes[3][4], outer = 1, inner = 1, total = 0;
                    for (int32_t i = 0; i < n_in; i++) {
                        for (int32_t k = 0; k < rank; k++) shapes[i][k] = base[4 - rank + k];
                        shapes[i][axis] = lens[i];
                        total += lens[i];
                        ids[i] = tr_graph_input(g, "x", dtype, rank, shapes[i]);
                    }
                    for (int32_t k = 0; k < axis; k++) outer *= shapes[0][k];
                    for (int32_t k = axis + 1; k < rank; k++) inner *= shapes[0][k];
                    /* a negative axis counts from the end */
                    int32_t y = tr_concat(g, n_in, ids, (axis + rank) % 2 ? axis - rank : axis);
                    ck_assert_int_ge(y, 0);
                    const tr_tensor *ty = &g->tensors[y];
                    ck_assert_int_eq(ty->ndim, rank);
                    ck_assert_int_eq(ty->dtype, dtype);
                    for (int32_t k = 0; k < rank; k++)
                        ck_assert_int_eq(ty->shape[k], k == axis ? total : shapes[0][k]);
                    tr_graph_output(g, y, "y");
                    tryon_model *m = make_model(ctx, g);
                    const uint8_t *in[3];
                    for (int32_t i = 0; i < n_in; i++) {
                        uint8_t *p = model_in(m, i);
                        int64_t cnt = outer * lens[i] * inner;
                        if (dt)
                            for (int64_t e = 0; e < cnt; e++) p[e] = (uint8_t)tu_rng_u64(&r);
                        else
                            tu_fill_uniform((float *)p, cnt, &r, -1, 1);
                        in[i] = p;
                    }
                    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
                    size_t bytes = (size_t)(outer * total * inner) * es;
                    uint8_t *ref = malloc(bytes);
                    concat_oracle(n_in, in, lens, outer, inner, es, ref);
                    ck_assert_msg(memcmp(model_out(m, 0), ref, bytes) == 0,
                                  "concat dtype %d rank %d axis %d inputs %d differs", dt, rank,
                                  axis, n_in);
                    free(ref);
                    tryon_model_free(m);
                }
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(concat_direct_keeps_guard_bands) {
    tryon_ctx *ctx = tu_ctx(3);
    tu_rng r;
    tu_rng_seed(&r, 29);
    /* 8 inputs (the maximum), lengths with primes and 1; many outer rows */
    const int64_t len[8] = {1, 2, 3, 5, 7, 11, 1, 13}, outer = 37, inner = 3;
    int64_t total = 0;
    for (int i = 0; i < 8; i++) total += len[i];
    for (int dt = 0; dt < 2; dt++) {
        size_t es = dt ? 1 : 4;
        uint8_t *in[8];
        for (int i = 0; i < 8; i++) {
            size_t b = (size_t)(outer * len[i] * inner) * es;
            in[i] = malloc(b);
            for (size_t k = 0; k < b; k++) in[i][k] = (uint8_t)tu_rng_u64(&r);
        }
        int64_t n = outer * total * inner;
        uint8_t *ref = malloc((size_t)n * es);
        concat_oracle(8, (const uint8_t *const *)in, len, outer, inner, es, ref);
        if (dt) {
            uint8_t *y = guarded_u8(n);
            tr_cpu_concat(ctx->pool, 8, (const void *const *)in, len, outer, inner, 1, y);
            ck_assert(guard_u8_ok(y, n));
            ck_assert(memcmp(y, ref, (size_t)n) == 0);
            free(y);
        } else {
            float *y = tu_guarded_alloc(n);
            tr_cpu_concat(ctx->pool, 8, (const void *const *)in, len, outer, inner, 4, y);
            ck_assert(tu_guard_ok(y, n));
            ck_assert(memcmp(y, ref, (size_t)n * 4) == 0);
            tu_guarded_free(y);
        }
        for (int i = 0; i < 8; i++) free(in[i]);
        free(ref);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(concat_builder_rejects_bad_inputs) {
    tryon_ctx *ctx = tu_ctx(1);
    struct {
        const char *msg;
    } cases[] = {{"1..8 inputs, got 0"},       {"1..8 inputs, got 9"},
                 {"axis out of range"},        {"axis out of range"},
                 {"differs in dtype or rank"}, {"differs in dtype or rank"},
                 {"differs in dimension 0"},   {"not a tensor"}};
    for (int c = 0; c < (int)(sizeof cases / sizeof cases[0]); c++) {
        tr_graph *g = new_graph(ctx);
        int64_t s[3] = {2, 3, 4}, s2[3] = {5, 3, 4}, s4[4] = {2, 3, 4, 1};
        int32_t a = tr_graph_input(g, "a", TRYON_DTYPE_F32, 3, s);
        int32_t b = tr_graph_input(g, "b", TRYON_DTYPE_F32, 3, s2);
        int32_t q = tr_graph_input(g, "q", TRYON_DTYPE_U8, 3, s);
        int32_t d = tr_graph_input(g, "d", TRYON_DTYPE_F32, 4, s4);
        int32_t nine[9] = {a, a, a, a, a, a, a, a, a}, r = 0;
        switch (c) {
        case 0: r = tr_concat(g, 0, nine, 0); break;
        case 1: r = tr_concat(g, 9, nine, 0); break;
        case 2: r = tr_concat(g, 2, nine, 3); break;
        case 3: r = tr_concat(g, 2, nine, -4); break;
        case 4: {
            int32_t x[2] = {a, q};
            r = tr_concat(g, 2, x, 0);
            break;
        }
        case 5: {
            int32_t x[2] = {a, d};
            r = tr_concat(g, 2, x, 0);
            break;
        }
        case 6: {
            int32_t x[2] = {a, b};
            r = tr_concat(g, 2, x, 1);
            break;
        }
        case 7: {
            int32_t x[2] = {a, -1};
            r = tr_concat(g, 2, x, 0);
            break;
        }
        }
        expect_fail(ctx, r, cases[c].msg, "concat");
        tr_graph_free(g);
    }
    /* the same shapes concatenated along the axis where they differ are fine */
    tr_graph *g = new_graph(ctx);
    int64_t s[3] = {2, 3, 4}, s2[3] = {5, 3, 4};
    int32_t x[2] = {tr_graph_input(g, "a", TRYON_DTYPE_F32, 3, s),
                    tr_graph_input(g, "b", TRYON_DTYPE_F32, 3, s2)};
    int32_t y = tr_concat(g, 2, x, 0);
    ck_assert_int_ge(y, 0);
    ck_assert_int_eq(g->tensors[y].shape[0], 7);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- permute --------------------------------------------------------------------- */

static int32_t all_perms(int32_t perms[24][4]) {
    int32_t n = 0;
    for (int32_t a = 0; a < 4; a++)
        for (int32_t b = 0; b < 4; b++)
            for (int32_t c = 0; c < 4; c++)
                for (int32_t d = 0; d < 4; d++)
                    if (a != b && a != c && a != d && b != c && b != d && c != d) {
                        perms[n][0] = a, perms[n][1] = b, perms[n][2] = c, perms[n][3] = d;
                        n++;
                    }
    return n;
}

/* Oracle: y[i0,i1,i2,i3] = x[j] with j[perm[k]] = i_k. */
static void permute_oracle(const uint8_t *x, const int64_t xs[4], const int32_t perm[4], size_t es,
                           uint8_t *y) {
    int64_t ys[4], i[4], j[4];
    for (int k = 0; k < 4; k++) ys[k] = xs[perm[k]];
    int64_t o = 0;
    for (i[0] = 0; i[0] < ys[0]; i[0]++)
        for (i[1] = 0; i[1] < ys[1]; i[1]++)
            for (i[2] = 0; i[2] < ys[2]; i[2]++)
                for (i[3] = 0; i[3] < ys[3]; i[3]++, o++) {
                    for (int k = 0; k < 4; k++) j[perm[k]] = i[k];
                    int64_t src = ((j[0] * xs[1] + j[1]) * xs[2] + j[2]) * xs[3] + j[3];
                    memcpy(y + o * es, x + src * es, es);
                }
}

START_TEST(permute_all_24_through_the_model) {
    tryon_ctx *ctx = tu_ctx(2);
    int32_t perms[24][4];
    ck_assert_int_eq(all_perms(perms), 24);
    const int64_t xs[4] = {2, 3, 5, 7};
    const int64_t n = 210;
    for (int p = 0; p < 24; p++) {
        tr_graph *g = new_graph(ctx);
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        int32_t y = tr_permute(g, x, perms[p]);
        ck_assert_int_ge(y, 0);
        for (int k = 0; k < 4; k++) ck_assert_int_eq(g->tensors[y].shape[k], xs[perms[p][k]]);
        tr_graph_output(g, y, "y");
        tryon_model *m = make_model(ctx, g);
        float *in = model_in(m, 0);
        for (int i = 0; i < n; i++) in[i] = (float)i; /* every element distinct */
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        float ref[210];
        permute_oracle((const uint8_t *)in, xs, perms[p], 4, (uint8_t *)ref);
        tu_cmp c = tu_compare_exact(model_out(m, 0), ref, n);
        int64_t ys[4] = {xs[perms[p][0]], xs[perms[p][1]], xs[perms[p][2]], xs[perms[p][3]]};
        char what[64];
        snprintf(what, sizeof what, "perm (%d,%d,%d,%d)", perms[p][0], perms[p][1], perms[p][2],
                 perms[p][3]);
        TU_ASSERT_CMP(c, 4, ys, what);
        tryon_model_free(m);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* u8 and 8-byte elements, shapes with 1s and primes, guard bands. */
START_TEST(permute_direct_other_element_sizes_keep_guard_bands) {
    tryon_ctx *ctx = tu_ctx(3);
    int32_t perms[24][4];
    all_perms(perms);
    static const int64_t shapes[][4] = {{1, 1, 1, 1}, {1, 7, 1, 3}, {3, 1, 11, 2}, {2, 13, 5, 17}};
    tu_rng r;
    tu_rng_seed(&r, 31);
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        const int64_t *xs = shapes[si];
        int64_t n = prod(4, xs);
        for (int p = 0; p < 24; p++) {
            uint8_t *xu = malloc((size_t)n), *refu = malloc((size_t)n), *yu = guarded_u8(n);
            for (int64_t i = 0; i < n; i++) xu[i] = (uint8_t)tu_rng_u64(&r);
            tr_cpu_permute(ctx->pool, xu, xs, perms[p], 1, yu);
            permute_oracle(xu, xs, perms[p], 1, refu);
            ck_assert_msg(guard_u8_ok(yu, n), "u8 permute wrote past the output");
            ck_assert_msg(memcmp(yu, refu, (size_t)n) == 0, "u8 shape %zu perm %d", si, p);
            /* 8-byte elements, with a guard band of 8 NaN doubles */
            double *xd = malloc((size_t)n * 8), *refd = malloc((size_t)n * 8);
            double *yd = malloc((size_t)(n + 8) * 8);
            for (int64_t i = 0; i < n; i++) xd[i] = (double)tu_rng_u64(&r);
            for (int i = 0; i < 8; i++) yd[n + i] = NAN;
            tr_cpu_permute(ctx->pool, xd, xs, perms[p], 8, yd);
            permute_oracle((const uint8_t *)xd, xs, perms[p], 8, (uint8_t *)refd);
            for (int i = 0; i < 8; i++) ck_assert(isnan(yd[n + i]));
            ck_assert_msg(memcmp(yd, refd, (size_t)n * 8) == 0, "f64 shape %zu perm %d", si, p);
            free(xu), free(refu), free(yu), free(xd), free(refd), free(yd);
        }
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(permute_builder_rejects_non_permutations) {
    tryon_ctx *ctx = tu_ctx(1);
    static const int32_t bad[][4] = {{0, 1, 1, 2}, {0, 1, 2, 4}, {-1, 0, 1, 2}, {3, 3, 3, 3}};
    int64_t s[4] = {1, 2, 3, 4};
    for (size_t c = 0; c < sizeof bad / sizeof bad[0]; c++) {
        tr_graph *g = new_graph(ctx);
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, s);
        expect_fail(ctx, tr_permute(g, x, bad[c]), "is not a permutation", "permute");
        tr_graph_free(g);
    }
    tr_graph *g = new_graph(ctx);
    int32_t id[4] = {0, 1, 2, 3};
    expect_fail(ctx, tr_permute(g, 5, id), "not a tensor", "permute bad id");
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_movement");
    TCase *tc = tcase_create("movement");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, concat_every_axis_f32_and_u8_through_the_model);
    tcase_add_test(tc, concat_direct_keeps_guard_bands);
    tcase_add_test(tc, concat_builder_rejects_bad_inputs);
    tcase_add_test(tc, permute_all_24_through_the_model);
    tcase_add_test(tc, permute_direct_other_element_sizes_keep_guard_bands);
    tcase_add_test(tc, permute_builder_rejects_non_permutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
