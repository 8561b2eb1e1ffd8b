/* test_runtime.c — context, graph builders, planner, executor, thread pool,
 * half-precision conversions, JSON parser. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "half.h"
#include "json.h"
#include "model.h"
#include "pool.h"
#include "util.h"

START_TEST(status_names_cover_every_status) {
    for (int s = 0; s < TRYON_STATUS_COUNT; s++)
        ck_assert_str_ne(tryon_status_str((tryon_status)s), "unknown status");
    ck_assert_str_eq(tryon_status_str(TRYON_STATUS_COUNT), "unknown status");
}
END_TEST

START_TEST(ctx_rejects_bad_params) {
    tryon_ctx_params p = tryon_ctx_params_default();
    tryon_ctx *ctx = (tryon_ctx *)1;
    char why[256];
    p.max_image_pixels = 0;
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(ctx);
    ck_assert_str_eq(why, "limits must be positive");
    p = tryon_ctx_params_default();
    p.n_threads = 5000;
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(why, "1..1024"));
    tryon_ctx_free(NULL); /* NULL-safe */
}
END_TEST

START_TEST(ctx_cuda_without_device_reports_no_device) {
    if (tryon_cuda_device_count() > 0) {
        tu_skip("ctx_cuda_without_device_reports_no_device", "a CUDA device is present");
        return;
    }
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_ERR_NO_DEVICE);
    ck_assert_ptr_null(ctx);
    ck_assert_ptr_nonnull(strstr(why, "no usable CUDA device"));
}
END_TEST

START_TEST(ctx_default_threads_positive) {
    tryon_ctx *ctx = tu_ctx(0);
    ck_assert_int_ge(tryon_ctx_n_threads(ctx), 1);
    ck_assert_str_eq(tryon_ctx_last_error(ctx), "");
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- pool ---------------------------------------------------------------- */

typedef struct cover_job {
    int *hits;
} cover_job;

static void cover_range(void *arg, int64_t b, int64_t e) {
    cover_job *j = arg;
    for (int64_t i = b; i < e; i++) __atomic_fetch_add(&j->hits[i], 1, __ATOMIC_RELAXED);
}

START_TEST(pool_for_visits_each_index_once) {
    static const int64_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, 4097};
    for (int32_t threads = 1; threads <= 5; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        tr_pool *pool = ctx->pool;
        ck_assert_int_eq(tr_pool_n_threads(pool), threads);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int64_t grain = 1; grain <= 64; grain *= 4) {
                int64_t n = sizes[s];
                int *hits = calloc((size_t)n + 1, sizeof *hits);
                cover_job j = {hits};
                for (int rep = 0; rep < 3; rep++) tr_pool_for(pool, n, grain, cover_range, &j);
                for (int64_t i = 0; i < n; i++)
                    ck_assert_msg(hits[i] == 3, "threads %d n %lld grain %lld: index %lld hit %d",
                                  threads, (long long)n, (long long)grain, (long long)i, hits[i]);
                free(hits);
            }
        tryon_ctx_free(ctx);
    }
}
END_TEST

/* ---- half precision ------------------------------------------------------- */

START_TEST(f16_roundtrips_every_value) {
    for (uint32_t h = 0; h < 65536; h++) {
        float f = tr_f16_to_f32((uint16_t)h);
        uint16_t back = tr_f32_to_f16(f);
        if (isnan(f)) {
            ck_assert_msg((back & 0x7c00) == 0x7c00 && (back & 0x3ff), "NaN %04x -> %04x", h, back);
        } else {
            ck_assert_msg(back == h, "f16 %04x -> %g -> %04x", h, f, back);
        }
    }
}
END_TEST

/* Reference rounding: nearest representable f16 by exhaustive neighbour search. */
static double f16_value(uint16_t h) { return tr_f16_to_f32(h); }

START_TEST(f32_to_f16_rounds_to_nearest_even) {
    tu_rng r;
    tu_rng_seed(&r, 7);
    for (int i = 0; i < 200000; i++) {
        /* Log-uniform magnitudes from deep subnormal to past the f16 range. */
        float f = (float)(exp2(tu_rng_uniform(&r, -27.0f, 17.0f)) * (tu_rng_u64(&r) & 1 ? -1 : 1));
        uint16_t h = tr_f32_to_f16(f);
        double v = f16_value(h), err = fabs(v - f);
        if (isinf(v)) {
            ck_assert_msg(fabs(f) >= 65520.0, "%.9g overflowed to inf", f);
            continue;
        }
        uint16_t up = (uint16_t)(h + 1), down = (uint16_t)(h - 1);
        if ((h & 0x7fff) != 0x7bff) {
            double e = fabs(f16_value(up) - f);
            ck_assert_msg(err < e || (err == e && !(h & 1)), "%.9g -> %04x not nearest", f, h);
        }
        if ((h & 0x7fff) != 0) {
            double e = fabs(f16_value(down) - f);
            ck_assert_msg(err < e || (err == e && !(h & 1)), "%.9g -> %04x not nearest", f, h);
        }
    }
}
END_TEST

START_TEST(bf16_rounds_to_nearest_even) {
    ck_assert_uint_eq(tr_f32_to_bf16(1.0f), 0x3f80);
    ck_assert(tr_bf16_to_f32(0x3f80) == 1.0f);
    /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1.0). */
    ck_assert_uint_eq(tr_f32_to_bf16(1.0f + 0x1p-8f), 0x3f80);
    ck_assert_uint_eq(tr_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
    ck_assert(isnan(tr_bf16_to_f32(tr_f32_to_bf16(NAN))));
}
END_TEST

/* ---- JSON ------------------------------------------------------------------ */

static tryon_status parse(tryon_ctx *ctx, const char *s, tr_json_doc **d) {
    return tr_json_parse(ctx, s, strlen(s), d);
}

START_TEST(json_parses_valid_documents) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_json_doc *d;
    ck_assert_int_eq(parse(ctx,
                           " {\"a\": [1, -2, 3.5e2, true, false, null], \"b\\u00e9\": "
                           "\"x\\ty\\ud83d\\ude00\"} ",
                           &d),
                     TRYON_OK);
    const tr_json *root = &d->nodes[0];
    ck_assert_int_eq(root->type, TR_JSON_OBJECT);
    ck_assert_int_eq(root->n_children, 2);
    const tr_json *a = tr_json_at(d, root->first);
    ck_assert_str_eq(a->key, "a");
    const tr_json *e = tr_json_at(d, a->first);
    ck_assert(e->is_int && e->i == 1);
    e = tr_json_at(d, e->next);
    ck_assert(e->is_int && e->i == -2);
    e = tr_json_at(d, e->next);
    ck_assert(!e->is_int && e->num == 350.0);
    ck_assert_int_eq(tr_json_at(d, e->next)->type, TR_JSON_TRUE);
    const tr_json *b = tr_json_at(d, a->next);
    ck_assert_str_eq(b->key, "b\xc3\xa9");
    ck_assert_str_eq(b->str, "x\ty\xf0\x9f\x98\x80");
    tr_json_free(d);
    ck_assert_int_eq(parse(ctx, "18446744073709551615", &d), TRYON_OK); /* > INT64_MAX */
    ck_assert(!d->nodes[0].is_int);
    tr_json_free(d);
    ck_assert_int_eq(parse(ctx, "-9223372036854775808", &d), TRYON_OK);
    ck_assert(d->nodes[0].is_int && d->nodes[0].i == INT64_MIN);
    tr_json_free(d);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(json_rejects_malformed_documents) {
    static const char *bad[] = {
        "",
        "{",
        "[1,]",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "01",
        "1.",
        "-",
        "1e",
        "tru",
        "nul",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00x\"",
        "\"a\x01\"",
        "\"\xc3\x28\"",
        "\"\xed\xa0\x80\"",
        "{} x",
        "[1] [2]",
        "\"\\u0000\"",
        "{1:2}",
    };
    tryon_ctx *ctx = tu_ctx(1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tr_json_doc *d = (tr_json_doc *)1;
        ck_assert_msg(parse(ctx, bad[i], &d) == TRYON_ERR_FORMAT, "accepted '%s'", bad[i]);
        ck_assert_ptr_null(d);
        ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "JSON: "));
    }
    /* Nesting is bounded: 1000 '[' must fail cleanly, not overflow the stack. */
    char deep[1001];
    memset(deep, '[', 1000);
    deep[1000] = 0;
    tr_json_doc *d;
    ck_assert_int_eq(parse(ctx, deep, &d), TRYON_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "too deep"));
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- graph builders and planner ------------------------------------------- */

START_TEST(builder_errors_are_sticky_and_named) {
    tryon_ctx *ctx = tu_ctx(1);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t xs[4] = {1, 8, 8, 3}, ws[4] = {4, 3, 3, 5};
    int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    float wdata[4 * 3 * 3 * 5] = {0};
    int32_t w = tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, ws, wdata);
    tr_conv_opts o = tr_conv_opts_default();
    ck_assert_int_eq(tr_conv2d(g, x, w, &o), -1);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "5 input channels per group"));
    char first[512];
    snprintf(first, sizeof first, "%s", tryon_ctx_last_error(ctx));
    /* Later builders fail at once and keep the first message. */
    ck_assert_int_eq(tr_scale(g, x, 2.0f, 0.0f), -1);
    ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_INVALID_ARG);
    ck_assert_str_eq(tryon_ctx_last_error(ctx), first);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(builders_check_shapes) {
    tryon_ctx *ctx = tu_ctx(1);
    struct {
        const char *expect;
        int which;
    } cases[] = {
        {"does not fit", 0},         {"reflect padding", 1},   {"do not broadcast", 2},
        {"expects 7 inputs", 3},     {"not a permutation", 4}, {"groups 2 must divide", 5},
        {"differs in dimension", 6}, {"output_padding", 7},    {"tensor rank 5", 8},
        {"invalid dimension", 9},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tr_graph *g;
        ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
        int64_t xs[4] = {1, 4, 4, 3};
        int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
        float zeros[256] = {0};
        int64_t big[4] = {2, 5, 5, 3}, k3[4] = {2, 3, 3, 3}, odd[4] = {3, 1, 1, 3};
        tr_conv_opts o = tr_conv_opts_default();
        int32_t r = 0;
        switch (cases[c].which) {
        case 0:
            r = tr_conv2d(g, x, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, big, zeros), &o);
            break;
        case 1:
            o.pad_mode = TR_PAD_REFLECT;
            o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 4;
            r = tr_conv2d(g, x, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, k3, zeros), &o);
            break;
        case 2: {
            int64_t ys[2] = {5, 3};
            r = tr_binary(g, TR_BINARY_ADD, x,
                          tr_graph_const(g, "b", TRYON_DTYPE_F32, 2, ys, zeros));
            break;
        }
        case 3: {
            int64_t s1[2] = {2, 6}, s2[2] = {4, 7};
            int32_t a = tr_graph_const(g, "a", TRYON_DTYPE_F32, 2, s1, zeros);
            r = tr_linear(g, a, tr_graph_const(g, "w", TRYON_DTYPE_F32, 2, s2, zeros), -1,
                          tr_epilogue_make(TR_ACT_NONE));
            break;
        }
        case 4: {
            int32_t perm[4] = {0, 1, 1, 2};
            r = tr_permute(g, x, perm);
            break;
        }
        case 5:
            o.groups = 2;
            r = tr_conv2d(g, x, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, odd, zeros), &o);
            break;
        case 6: {
            int64_t s[4] = {1, 5, 4, 3};
            int32_t ins[2] = {x, tr_graph_const(g, "y", TRYON_DTYPE_F32, 4, s, zeros)};
            r = tr_concat(g, 2, ins, 3);
            break;
        }
        case 7: {
            tr_convt_opts t = tr_convt_opts_default();
            t.stride_h = t.stride_w = 2;
            t.out_pad_h = 2;
            r = tr_conv_transpose2d(g, x, tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, k3, zeros),
                                    &t);
            break;
        }
        case 8: {
            int64_t s[5] = {1, 1, 1, 1, 1};
            r = tr_graph_input(g, "five", TRYON_DTYPE_F32, 5, s);
            break;
        }
        case 9: {
            int64_t s[4] = {1, INT64_MAX / 2, 4, 4};
            r = tr_graph_input(g, "huge", TRYON_DTYPE_F32, 4, s);
            break;
        }
        }
        ck_assert_int_eq(r, -1);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), cases[c].expect),
                      "case %zu: expected '%s' in '%s'", c, cases[c].expect,
                      tryon_ctx_last_error(ctx));
        tr_graph_free(g);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* A diamond-and-chain graph; the plan must never let two live tensors share memory. */
static tr_graph *make_chain_graph(tryon_ctx *ctx, int32_t *in, int32_t *out) {
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t xs[4] = {2, 9, 7, 4};
    *in = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
    int64_t ws[4] = {4, 3, 3, 4};
    float w[4 * 3 * 3 * 4];
    tu_rng r;
    tu_rng_seed(&r, 3);
    tu_fill_uniform(w, 144, &r, -0.3f, 0.3f);
    int32_t wt = tr_graph_const(g, "w", TRYON_DTYPE_F32, 4, ws, w);
    tr_conv_opts o = tr_conv_opts_default();
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    o.pad_mode = TR_PAD_REFLECT;
    int32_t a = tr_conv2d(g, *in, wt, &o);
    int32_t b = tr_instance_norm(g, a, -1, -1, -1, 1e-5f, tr_epilogue_make(TR_ACT_RELU));
    int32_t c = tr_conv2d(g, b, wt, &o);
    int32_t d = tr_binary(g, TR_BINARY_ADD, c, a); /* a stays live across b, c */
    int32_t e = tr_scale(g, d, 0.5f, 1.0f);
    int32_t f = tr_upsample_nearest(g, e, 2, 2);
    *out = tr_graph_output(g, tr_activation(g, f, tr_epilogue_make(TR_ACT_TANH)), "y");
    ck_assert_int_ge(*out, 0);
    return g;
}

START_TEST(plan_never_overlaps_live_tensors) {
    tryon_ctx *ctx = tu_ctx(1);
    int32_t in, out;
    tr_graph *g = make_chain_graph(ctx, &in, &out);
    ck_assert_int_eq(tr_graph_plan(g), TRYON_OK);
    int64_t sum = 0;
    for (int32_t i = 0; i < g->n_tensors; i++) {
        const tr_tensor *a = &g->tensors[i];
        if (a->mem != TR_MEM_ARENA) continue;
        sum += tr_tensor_bytes(a);
        ck_assert_int_eq(a->offset % TR_HOST_ALIGN, 0);
        ck_assert_int_le(a->offset + tr_tensor_bytes(a), g->arena_bytes);
        int pin_a = a->flags != 0;
        int32_t a0 = pin_a ? -1 : a->producer, a1 = pin_a ? g->n_nodes : a->last_use;
        for (int32_t j = i + 1; j < g->n_tensors; j++) {
            const tr_tensor *b = &g->tensors[j];
            if (b->mem != TR_MEM_ARENA) continue;
            int pin_b = b->flags != 0;
            int32_t b0 = pin_b ? -1 : b->producer, b1 = pin_b ? g->n_nodes : b->last_use;
            int live_together = a0 <= b1 && b0 <= a1;
            int overlap = a->offset < b->offset + tr_tensor_bytes(b) &&
                          b->offset < a->offset + tr_tensor_bytes(a);
            ck_assert_msg(!(live_together && overlap), "'%s' and '%s' overlap while live", a->name,
                          b->name);
        }
    }
    /* Reuse must happen: the arena is smaller than all tensors side by side. */
    ck_assert_int_lt(g->arena_bytes, sum);
    tr_graph_free(g);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(run_matches_direct_kernel_calls) {
    /* The reference kernels, which this compares with called one by one
     * (the fast kernels' graph runs: tests/test_fast_runtime.c). */
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = 3;
    p.kernels = TRYON_KERNELS_REFERENCE;
    tryon_ctx *ctx;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    int32_t in, out;
    tr_graph *g = make_chain_graph(ctx, &in, &out);
    /* Expected result: the same ops called one by one on separate buffers. */
    tr_graph *g2 = make_chain_graph(ctx, &in, &out);
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    tryon_tensor ti, to;
    ck_assert_int_eq(tryon_model_input(m, 0, &ti), TRYON_OK);
    ck_assert_int_eq(tryon_model_output(m, 0, &to), TRYON_OK);
    ck_assert_str_eq(to.name, "y");
    tu_rng r;
    tu_rng_seed(&r, 11);
    tu_fill_uniform(ti.data, 2 * 9 * 7 * 4, &r, -1, 1);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);

    /* Unplanned reference: every tensor its own buffer. */
    float **buf = calloc((size_t)g2->n_tensors, sizeof *buf);
    for (int32_t t = 0; t < g2->n_tensors; t++)
        buf[t] = g2->tensors[t].mem == TR_MEM_ARENA
                     ? calloc((size_t)tr_tensor_numel(&g2->tensors[t]) + 16, 4)
                     : (float *)tr_graph_const_data(g2, t);
    memcpy(buf[in], ti.data, (size_t)tr_tensor_bytes(&g2->tensors[in]));
    for (int32_t i = 0; i < g2->n_nodes; i++) {
        const tr_node *n = &g2->nodes[i];
        switch (n->op) {
        case TR_OP_CONV2D: {
            tr_conv2d_args a = {
                .d = n->p.conv, .x = buf[n->src[0]], .w = buf[n->src[1]], .y = buf[n->dst]};
            tr_cpu_conv2d_f32(NULL, &a);
            break;
        }
        case TR_OP_INSTANCE_NORM: {
            double st[2 * 2 * 4];
            tr_instance_norm_args a = {
                .d = n->p.inorm, .x = buf[n->src[0]], .stats = st, .y = buf[n->dst]};
            tr_cpu_instance_norm_f32(NULL, &a);
            break;
        }
        case TR_OP_BINARY: {
            int64_t s[4] = {2, 9, 7, 4};
            tr_cpu_binary_f32(NULL, n->p.binary, buf[n->src[0]], s, buf[n->src[1]], s, buf[n->dst],
                              s);
            break;
        }
        case TR_OP_SCALE:
            tr_cpu_scale_f32(NULL, buf[n->src[0]], 2 * 9 * 7 * 4, n->p.scale.scale, n->p.scale.bias,
                             buf[n->dst]);
            break;
        case TR_OP_UPSAMPLE_NEAREST:
            tr_cpu_upsample_nearest_f32(NULL, 2, 9, 7, 4, 2, 2, buf[n->src[0]], buf[n->dst]);
            break;
        case TR_OP_ACT:
            tr_cpu_act_f32(NULL, buf[n->src[0]], 2 * 18 * 14 * 4, &n->p.act, buf[n->dst]);
            break;
        default: ck_abort_msg("unexpected op");
        }
    }
    int64_t no = tr_tensor_numel(&g2->tensors[out]);
    tu_cmp c = tu_compare_exact(to.data, buf[out], no);
    TU_ASSERT_CMP(c, 4, g2->tensors[out].shape, "planned vs unplanned");
    for (int32_t t = 0; t < g2->n_tensors; t++)
        if (g2->tensors[t].mem == TR_MEM_ARENA) free(buf[t]);
    free(buf);
    tr_graph_free(g2);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(run_allocates_nothing_after_planning) {
    tryon_ctx *ctx = tu_ctx(2);
    int32_t in, out;
    tr_graph *g = make_chain_graph(ctx, &in, &out);
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    int64_t before = tr_ctx_n_allocs(ctx);
    for (int i = 0; i < 3; i++) ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    ck_assert_int_eq(tr_ctx_n_allocs(ctx), before);
    tryon_model_free(m);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(results_identical_across_thread_counts) {
    float *ref = NULL;
    int64_t n = 0;
    for (int32_t threads = 1; threads <= 4; threads++) {
        tryon_ctx *ctx = tu_ctx(threads);
        int32_t in, out;
        tr_graph *g = make_chain_graph(ctx, &in, &out);
        tryon_model *m;
        ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
        tryon_tensor ti, to;
        tryon_model_input(m, 0, &ti);
        tryon_model_output(m, 0, &to);
        tu_rng r;
        tu_rng_seed(&r, 5);
        tu_fill_uniform(ti.data, 2 * 9 * 7 * 4, &r, -1, 1);
        ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
        n = 2 * 18 * 14 * 4;
        if (!ref) {
            ref = malloc((size_t)n * 4);
            memcpy(ref, to.data, (size_t)n * 4);
        } else {
            ck_assert_msg(memcmp(ref, to.data, (size_t)n * 4) == 0, "%d threads differ", threads);
        }
        tryon_model_free(m);
        tryon_ctx_free(ctx);
    }
    free(ref);
}
END_TEST

START_TEST(model_io_copies_check_sizes) {
    tryon_ctx *ctx = tu_ctx(1);
    int32_t in, out;
    tr_graph *g = make_chain_graph(ctx, &in, &out);
    tryon_model *m;
    ck_assert_int_eq(tr_model_create(ctx, g, &m), TRYON_OK);
    float x[2 * 9 * 7 * 4] = {0};
    ck_assert_int_eq(tryon_model_set_input(m, 0, x, sizeof x - 4), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "holds 2016 bytes"));
    ck_assert_int_eq(tryon_model_set_input(m, 0, x, sizeof x), TRYON_OK);
    ck_assert_int_eq(tryon_model_set_input(m, 1, x, sizeof x), TRYON_ERR_INVALID_ARG);
    tryon_tensor t;
    ck_assert_int_eq(tryon_model_output(m, 3, &t), TRYON_ERR_INVALID_ARG);
    ck_assert_int_gt(tryon_model_arena_bytes(m), 0);
    tryon_model_free(m);
    tryon_model_free(NULL);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(alloc_failure_injection_fails_cleanly) {
    /* Every allocation of graph building, planning and model creation fails
     * in turn; each must return NOMEM without leaking (ASan checks leaks). */
    for (int64_t nth = 1; nth < 200; nth++) {
        tryon_ctx *ctx = tu_ctx(1);
        tr_ctx_set_fail_alloc(ctx, nth);
        tr_graph *g = NULL;
        tryon_status st = tr_graph_init(ctx, &g);
        if (st == TRYON_OK) {
            int64_t xs[4] = {1, 5, 5, 2};
            int32_t x = tr_graph_input(g, "x", TRYON_DTYPE_F32, 4, xs);
            int32_t y = tr_scale(g, x, 2, 0);
            for (int i = 0; i < 80; i++) y = tr_activation(g, y, tr_epilogue_make(TR_ACT_RELU));
            tr_graph_output(g, y, "y");
            tryon_model *m = NULL;
            st = tr_model_create(ctx, g, &m);
            if (st == TRYON_OK) {
                ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
                tryon_model_free(m);
                tryon_ctx_free(ctx);
                return; /* nth is past the last allocation: all earlier ones were covered */
            }
        }
        ck_assert_int_eq(st, TRYON_ERR_NOMEM);
        tryon_ctx_free(ctx);
    }
    ck_abort_msg("graph needed more than 200 allocations");
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("runtime");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, status_names_cover_every_status);
    tcase_add_test(tc, ctx_rejects_bad_params);
    tcase_add_test(tc, ctx_cuda_without_device_reports_no_device);
    tcase_add_test(tc, ctx_default_threads_positive);
    tcase_add_test(tc, pool_for_visits_each_index_once);
    tcase_add_test(tc, f16_roundtrips_every_value);
    tcase_add_test(tc, f32_to_f16_rounds_to_nearest_even);
    tcase_add_test(tc, bf16_rounds_to_nearest_even);
    tcase_add_test(tc, json_parses_valid_documents);
    tcase_add_test(tc, json_rejects_malformed_documents);
    tcase_add_test(tc, builder_errors_are_sticky_and_named);
    tcase_add_test(tc, builders_check_shapes);
    tcase_add_test(tc, plan_never_overlaps_live_tensors);
    tcase_add_test(tc, run_matches_direct_kernel_calls);
    tcase_add_test(tc, run_allocates_nothing_after_planning);
    tcase_add_test(tc, results_identical_across_thread_counts);
    tcase_add_test(tc, model_io_copies_check_sizes);
    tcase_add_test(tc, alloc_failure_injection_fails_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
