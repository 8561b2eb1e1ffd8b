/* test_torch_conv.c — conv2d, conv_transpose2d and linear against PyTorch.
 *
 * tests/ref/torch_conv.py writes seeded cases (layer shapes of the nets plus
 * random ones) to $TRYON_REF_DIR/conv: inputs and weights in PyTorch layout,
 * the float32 PyTorch output y, the float64 one y64 and m = sum |x||w| + |b|
 * per output. This test converts layouts (NCHW -> NHWC, OIHW -> OHWI,
 * ConvTranspose IOHW -> OHWI), builds each op with the graph builder (so
 * TF 'SAME' goes through tr_conv2d's tf_same and must equal PyTorch's
 * explicit asymmetric F.pad), runs the CPU kernel on the descriptor and
 * compares with both outputs.
 *
 * Tolerance (f32 accumulation error model, see tests/kernel_ref.h): a sum of
 * K products plus the bias, computed in f32 in any order (the kernel's fixed
 * order, oneDNN's or BLAS's blocked FMA orders), is within
 *   E = gamma_{K+2} * m,    gamma_n = n u / (1 - n u), u = 2^-24,
 * of the exact value, K = KH*KW*C_in/groups (conv, an upper bound for the
 * transposed conv) or K (linear). The epilogue scales that by
 * |gain| * max(1, alpha) and adds its own roundings (tanh/sigmoid within
 * 4 u, gain and clamp 1 u): we allow 9 u |y|. Hence
 *   |ours - y64| <= |gain| L E + 11 u |y64| + tiny  (y64 itself rounded once),
 *   |ours - y|   <= 2 (|gain| L E) + 20 u |y| + tiny (both sides err).
 * A wrong index, tap, padding or group gives errors of order |x||w|, far
 * above gamma_K * m for any K here (K <= 2304: gamma ~ 1.4e-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "kernel_ref.h"
#include "pool.h"
#include "util.h"

#define MAX_CASES 128

typedef struct ref_case {
    char kind[32], name[64], params[1024];
} ref_case;

/* Reads the manifest or fails; returns the case count (0 and a skip note
 * when the PyTorch comparisons are turned off with TORCH=0). */
static int read_manifest(ref_case *cases, char *dir, size_t dir_size) {
    const char *ref = tu_ref_dir();
    if (!ref) {
        tu_skip("torch_conv", "TORCH=0, PyTorch comparisons off");
        return 0;
    }
    snprintf(dir, dir_size, "%s/conv", ref);
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f, "%s missing: run 'make ref' (tests/ref/torch_conv.py) first", path);
    int n = 0;
    char line[1200];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        ck_assert_int_lt(n, MAX_CASES);
        int used = 0;
        ck_assert_msg(sscanf(line, "%31s %63s %n", cases[n].kind, cases[n].name, &used) == 2,
                      "bad manifest line '%s'", line);
        snprintf(cases[n].params, sizeof cases[n].params, " %s", line + used);
        n++;
    }
    fclose(f);
    ck_assert_msg(n > 0, "%s: no cases", path);
    return n;
}

/* Value of " key=" in the case's parameters; a missing key fails the test. */
static const char *param(const ref_case *c, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *p = strstr(c->params, pat);
    ck_assert_msg(p, "%s: no '%s' in the manifest", c->name, key);
    return p + strlen(pat);
}
static int32_t pint(const ref_case *c, const char *key) { return (int32_t)atol(param(c, key)); }
static float pfloat(const ref_case *c, const char *key) { return strtof(param(c, key), NULL); }

static tr_epilogue case_epilogue(const ref_case *c) {
    const char *a = param(c, "act");
    tr_epilogue e = tr_epilogue_make(TR_ACT_NONE);
    int found = 0;
    for (int i = 0; i < TR_ACT_COUNT; i++) {
        size_t len = strlen(kr_act_names[i]);
        if (!strncmp(a, kr_act_names[i], len) && (a[len] == ' ' || a[len] == '\n' || !a[len])) {
            e.act = (tr_act)i, found = 1;
        }
    }
    ck_assert_msg(found, "%s: unknown act", c->name);
    e.alpha = pfloat(c, "alpha"), e.gain = pfloat(c, "gain"), e.clamp = pfloat(c, "clamp");
    return e;
}

/* Loads <dir>/<name>_<suffix>.npy and checks its shape. */
static void load(tryon_ctx *ctx, const char *dir, const ref_case *c, const char *suffix,
                 int32_t ndim, const int64_t *shape, tryon_array *out) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s_%s.npy", dir, c->name, suffix);
    tu_npy_load(ctx, path, out);
    ck_assert_msg(out->ndim == ndim, "%s: rank %d, want %d", path, out->ndim, ndim);
    for (int32_t i = 0; i < ndim; i++)
        ck_assert_msg(out->shape[i] == shape[i], "%s: dim %d is %lld, want %lld", path, i,
                      (long long)out->shape[i], (long long)shape[i]);
}

/* Copies into a guarded buffer (NaN canaries behind the operand). */
static float *guarded_copy(const float *src, int64_t n) {
    float *p = tu_guarded_alloc(n);
    memcpy(p, src, (size_t)n * sizeof *p);
    return p;
}

/* (N, C, H, W) -> (N, H, W, C); also used for OIHW -> OHWI (N = O, C = I). */
static float *to_channels_last(const float *src, int64_t n, int64_t c, int64_t h, int64_t w) {
    float *p = tu_guarded_alloc(n * c * h * w);
    for (int64_t a = 0; a < n; a++)
        for (int64_t ch = 0; ch < c; ch++)
            for (int64_t y = 0; y < h; y++)
                for (int64_t x = 0; x < w; x++)
                    p[((a * h + y) * w + x) * c + ch] = src[((a * c + ch) * h + y) * w + x];
    return p;
}

/* Compares the kernel output (channels last) with y, y64 and m from PyTorch
 * (as given: NCHW when nchw, else already (N, M)), with the bounds above. */
static void compare_with_torch(const ref_case *c, const float *got, int32_t ndim,
                               const int64_t *got_shape, const tryon_array *y,
                               const tryon_array *y64, const tryon_array *m, int64_t k,
                               const tr_epilogue *ep, int nchw) {
    int64_t ny = tryon_array_numel(y);
    float *y32 = nchw
                     ? to_channels_last(y->data, y->shape[0], y->shape[1], y->shape[2], y->shape[3])
                     : guarded_copy(y->data, ny);
    float *r64 = nchw ? to_channels_last(y64->data, y64->shape[0], y64->shape[1], y64->shape[2],
                                         y64->shape[3])
                      : guarded_copy(y64->data, ny);
    float *mag = nchw
                     ? to_channels_last(m->data, m->shape[0], m->shape[1], m->shape[2], m->shape[3])
                     : guarded_copy(m->data, ny);
    double *ref = malloc((size_t)ny * sizeof *ref), *tol = malloc((size_t)ny * sizeof *tol);
    const double lip = ep->act == TR_ACT_LRELU && fabs(ep->alpha) > 1 ? fabs(ep->alpha) : 1;
    const double scale = fabs((double)ep->gain) * lip * kr_gamma(k + 2);
    char what[160];
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t i = 0; i < ny; i++) {
            double e = scale * mag[i];
            ref[i] = pass ? y32[i] : r64[i];
            tol[i] = pass ? 2 * e + 20 * KR_U * fabs(ref[i]) + KR_TINY
                          : e + 11 * KR_U * fabs(ref[i]) + KR_TINY;
        }
        snprintf(what, sizeof what, "%s vs PyTorch %s (K %lld)", c->name,
                 pass ? "float32" : "float64", (long long)k);
        tu_cmp cmp = tu_compare_tol(got, ref, tol, ny);
        TU_ASSERT_CMP(cmp, ndim, got_shape, what);
    }
    /* The reference must not be trivial: a broken fixture of zeros would pass. */
    double energy = 0;
    for (int64_t i = 0; i < ny; i++) energy += (double)r64[i] * r64[i];
    ck_assert_msg(energy > 0, "%s: all-zero reference", c->name);
    free(ref), free(tol);
    tu_guarded_free(y32), tu_guarded_free(r64), tu_guarded_free(mag);
}

static int32_t input4(tr_graph *g, const char *name, int64_t a, int64_t b, int64_t c, int64_t d) {
    int64_t s[4] = {a, b, c, d};
    return tr_graph_input(g, name, TRYON_DTYPE_F32, 4, s);
}

static void run_conv2d(tryon_ctx *ctx, const char *dir, const ref_case *c) {
    const int32_t n = pint(c, "n"), h = pint(c, "h"), w = pint(c, "w"), cin = pint(c, "cin");
    const int32_t cout = pint(c, "cout"), kh = pint(c, "kh"), kw = pint(c, "kw");
    const int32_t groups = pint(c, "groups"), bias = pint(c, "bias");
    const char *mode = param(c, "mode");
    tr_conv_opts o = tr_conv_opts_default();
    o.stride_h = pint(c, "sh"), o.stride_w = pint(c, "sw");
    o.dil_h = pint(c, "dh"), o.dil_w = pint(c, "dw");
    o.pad_top = pint(c, "pt"), o.pad_bottom = pint(c, "pb");
    o.pad_left = pint(c, "pl"), o.pad_right = pint(c, "pr");
    o.tf_same = pint(c, "same");
    o.groups = groups;
    o.pad_mode = !strncmp(mode, "reflect", 7)     ? TR_PAD_REFLECT
                 : !strncmp(mode, "replicate", 9) ? TR_PAD_REPLICATE
                                                  : TR_PAD_ZEROS;
    o.ep = case_epilogue(c);

    tryon_array x, wt, b, y, y64, m;
    int64_t xs[4] = {n, cin, h, w}, ws[4] = {cout, cin / groups, kh, kw}, bs[1] = {cout};
    load(ctx, dir, c, "x", 4, xs, &x);
    load(ctx, dir, c, "w", 4, ws, &wt);
    if (bias) load(ctx, dir, c, "b", 1, bs, &b);
    char path[1400];
    snprintf(path, sizeof path, "%s/%s_y.npy", dir, c->name);
    tu_npy_load(ctx, path, &y);
    ck_assert_int_eq(y.ndim, 4);
    load(ctx, dir, c, "y64", 4, y.shape, &y64);
    load(ctx, dir, c, "m", 4, y.shape, &m);

    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t tx = input4(g, "x", n, h, w, cin), tw = input4(g, "w", cout, kh, kw, cin / groups);
    if (bias) o.bias = tr_graph_input(g, "b", TRYON_DTYPE_F32, 1, bs);
    int32_t ty = tr_conv2d(g, tx, tw, &o);
    ck_assert_msg(ty >= 0, "%s: %s", c->name, tryon_ctx_last_error(ctx));
    const tr_conv2d_desc *d = &g->nodes[g->n_nodes - 1].p.conv;
    /* The builder's output size (and, for tf_same, its padding) must be PyTorch's. */
    ck_assert_msg(d->oh == y.shape[2] && d->ow == y.shape[3] && cout == y.shape[1],
                  "%s: output %dx%d, PyTorch %lldx%lld", c->name, d->oh, d->ow,
                  (long long)y.shape[2], (long long)y.shape[3]);
    ck_assert_msg(d->pad_top == o.pad_top && d->pad_left == o.pad_left,
                  "%s: padding top %d left %d, PyTorch %d %d", c->name, d->pad_top, d->pad_left,
                  o.pad_top, o.pad_left);

    tr_conv2d_args a;
    memset(&a, 0, sizeof a);
    a.d = *d;
    a.x = to_channels_last(x.data, n, cin, h, w);
    a.w = to_channels_last(wt.data, cout, cin / groups, kh, kw);
    if (bias) a.bias = guarded_copy(b.data, cout);
    int64_t shape[4] = {n, d->oh, d->ow, cout}, ny = n * (int64_t)d->oh * d->ow * cout;
    a.y = kr_output(ny);
    tr_cpu_conv2d_f32(ctx->pool, &a);
    ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", c->name);
    compare_with_torch(c, a.y, 4, shape, &y, &y64, &m, (int64_t)kh * kw * (cin / groups), &o.ep, 1);

    kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
    tryon_array_free(&x), tryon_array_free(&wt), tryon_array_free(&y);
    tryon_array_free(&y64), tryon_array_free(&m);
    if (bias) tryon_array_free(&b);
    tr_graph_free(g);
}

/* PyTorch ConvTranspose2d weight (C_in, C_out/g, KH, KW) -> (C_out, KH, KW, C_in/g). */
static float *convt_weight(const float *src, int64_t cin, int64_t cout, int64_t groups, int64_t kh,
                           int64_t kw) {
    const int64_t cig = cin / groups, cog = cout / groups;
    float *p = tu_guarded_alloc(cout * kh * kw * cig);
    for (int64_t o = 0; o < cout; o++)
        for (int64_t a = 0; a < kh; a++)
            for (int64_t b = 0; b < kw; b++)
                for (int64_t i = 0; i < cig; i++) {
                    int64_t g = o / cog, ci = g * cig + i, oo = o % cog;
                    p[((o * kh + a) * kw + b) * cig + i] = src[((ci * cog + oo) * kh + a) * kw + b];
                }
    return p;
}

static void run_convt(tryon_ctx *ctx, const char *dir, const ref_case *c) {
    const int32_t n = pint(c, "n"), h = pint(c, "h"), w = pint(c, "w"), cin = pint(c, "cin");
    const int32_t cout = pint(c, "cout"), kh = pint(c, "kh"), kw = pint(c, "kw");
    const int32_t groups = pint(c, "groups"), bias = pint(c, "bias");
    tr_convt_opts o = tr_convt_opts_default();
    o.stride_h = pint(c, "sh"), o.stride_w = pint(c, "sw");
    o.dil_h = pint(c, "dh"), o.dil_w = pint(c, "dw");
    o.pad_top = o.pad_bottom = pint(c, "ph");
    o.pad_left = o.pad_right = pint(c, "pw");
    o.out_pad_h = pint(c, "oph"), o.out_pad_w = pint(c, "opw");
    o.groups = groups;
    o.ep = case_epilogue(c);

    tryon_array x, wt, b, y, y64, m;
    int64_t xs[4] = {n, cin, h, w}, ws[4] = {cin, cout / groups, kh, kw}, bs[1] = {cout};
    load(ctx, dir, c, "x", 4, xs, &x);
    load(ctx, dir, c, "w", 4, ws, &wt);
    if (bias) load(ctx, dir, c, "b", 1, bs, &b);
    char path[1400];
    snprintf(path, sizeof path, "%s/%s_y.npy", dir, c->name);
    tu_npy_load(ctx, path, &y);
    ck_assert_int_eq(y.ndim, 4);
    load(ctx, dir, c, "y64", 4, y.shape, &y64);
    load(ctx, dir, c, "m", 4, y.shape, &m);

    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t tx = input4(g, "x", n, h, w, cin), tw = input4(g, "w", cout, kh, kw, cin / groups);
    if (bias) o.bias = tr_graph_input(g, "b", TRYON_DTYPE_F32, 1, bs);
    int32_t ty = tr_conv_transpose2d(g, tx, tw, &o);
    ck_assert_msg(ty >= 0, "%s: %s", c->name, tryon_ctx_last_error(ctx));
    const tr_conv_transpose2d_desc *d = &g->nodes[g->n_nodes - 1].p.convt;
    ck_assert_msg(d->oh == y.shape[2] && d->ow == y.shape[3] && cout == y.shape[1],
                  "%s: output %dx%d, PyTorch %lldx%lld", c->name, d->oh, d->ow,
                  (long long)y.shape[2], (long long)y.shape[3]);

    tr_conv_transpose2d_args a;
    memset(&a, 0, sizeof a);
    a.d = *d;
    a.x = to_channels_last(x.data, n, cin, h, w);
    a.w = convt_weight(wt.data, cin, cout, groups, kh, kw);
    if (bias) a.bias = guarded_copy(b.data, cout);
    int64_t shape[4] = {n, d->oh, d->ow, cout}, ny = n * (int64_t)d->oh * d->ow * cout;
    a.y = kr_output(ny);
    tr_cpu_conv_transpose2d_f32(ctx->pool, &a);
    ck_assert_msg(kr_out_guard_ok(a.y, ny), "%s: wrote past the output", c->name);
    compare_with_torch(c, a.y, 4, shape, &y, &y64, &m, (int64_t)kh * kw * (cin / groups), &o.ep, 1);

    kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
    tryon_array_free(&x), tryon_array_free(&wt), tryon_array_free(&y);
    tryon_array_free(&y64), tryon_array_free(&m);
    if (bias) tryon_array_free(&b);
    tr_graph_free(g);
}

static void run_linear(tryon_ctx *ctx, const char *dir, const ref_case *c) {
    const int32_t n = pint(c, "n"), k = pint(c, "k"), mo = pint(c, "m"), bias = pint(c, "bias");
    tr_epilogue ep = case_epilogue(c);
    tryon_array x, wt, b, y, y64, m;
    int64_t xs[2] = {n, k}, ws[2] = {mo, k}, bs[1] = {mo}, ys[2] = {n, mo};
    load(ctx, dir, c, "x", 2, xs, &x);
    load(ctx, dir, c, "w", 2, ws, &wt);
    if (bias) load(ctx, dir, c, "b", 1, bs, &b);
    load(ctx, dir, c, "y", 2, ys, &y);
    load(ctx, dir, c, "y64", 2, ys, &y64);
    load(ctx, dir, c, "m", 2, ys, &m);

    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t tx = tr_graph_input(g, "x", TRYON_DTYPE_F32, 2, xs);
    int32_t tw = tr_graph_input(g, "w", TRYON_DTYPE_F32, 2, ws);
    int32_t tb = bias ? tr_graph_input(g, "b", TRYON_DTYPE_F32, 1, bs) : -1;
    ck_assert_msg(tr_linear(g, tx, tw, tb, ep) >= 0, "%s: %s", c->name, tryon_ctx_last_error(ctx));
    tr_linear_args a;
    memset(&a, 0, sizeof a);
    a.d = g->nodes[g->n_nodes - 1].p.linear;
    a.x = guarded_copy(x.data, (int64_t)n * k);
    a.w = guarded_copy(wt.data, (int64_t)mo * k);
    if (bias) a.bias = guarded_copy(b.data, mo);
    a.y = kr_output((int64_t)n * mo);
    tr_cpu_linear_f32(ctx->pool, &a);
    ck_assert_msg(kr_out_guard_ok(a.y, (int64_t)n * mo), "%s: wrote past the output", c->name);
    compare_with_torch(c, a.y, 2, ys, &y, &y64, &m, k, &ep, 0);

    kr_release(a.x), kr_release(a.w), kr_release(a.bias), kr_release(a.y);
    tryon_array_free(&x), tryon_array_free(&wt), tryon_array_free(&y);
    tryon_array_free(&y64), tryon_array_free(&m);
    if (bias) tryon_array_free(&b);
    tr_graph_free(g);
}

/* Runs every manifest case of one kind; at least min_cases must exist. */
static void run_kind(const char *kind, int min_cases) {
    static ref_case cases[MAX_CASES];
    char dir[1024];
    int n = read_manifest(cases, dir, sizeof dir);
    if (!n) return;
    tryon_ctx *ctx = tu_ctx(2);
    int ran = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(cases[i].kind, kind)) continue;
        if (!strcmp(kind, "conv2d")) run_conv2d(ctx, dir, &cases[i]);
        if (!strcmp(kind, "conv_transpose2d")) run_convt(ctx, dir, &cases[i]);
        if (!strcmp(kind, "linear")) run_linear(ctx, dir, &cases[i]);
        ran++;
    }
    ck_assert_msg(ran >= min_cases, "%s: %d cases in the manifest, expected >= %d", kind, ran,
                  min_cases);
    tryon_ctx_free(ctx);
}

START_TEST(torch_conv2d) { run_kind("conv2d", 20); }
END_TEST

START_TEST(torch_conv_transpose2d) { run_kind("conv_transpose2d", 8); }
END_TEST

START_TEST(torch_linear) { run_kind("linear", 3); }
END_TEST

START_TEST(manifest_has_the_net_layer_shapes) {
    /* The layer shapes the issue asks for must stay in the fixtures. */
    static const char *const required[] = {
        "cyclegan_c7_in",   "cyclegan_down",     "mobilenet_dw_s2_same", "mobilenet_pw",
        "cyclegan_up",      "transformer_c9_in", "transformer_c9_out",   "same_dw_odd_s2",
        "stylegan_mapping", "wide_k2304",
    };
    static ref_case cases[MAX_CASES];
    char dir[1024];
    int n = read_manifest(cases, dir, sizeof dir);
    if (!n) return;
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        int found = 0;
        for (int i = 0; i < n; i++) found |= !strcmp(cases[i].name, required[r]);
        ck_assert_msg(found, "manifest lacks '%s'", required[r]);
    }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("torch_conv");
    TCase *tc = tcase_create("pytorch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, manifest_has_the_net_layer_shapes);
    tcase_add_test(tc, torch_conv2d);
    tcase_add_test(tc, torch_conv_transpose2d);
    tcase_add_test(tc, torch_linear);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
