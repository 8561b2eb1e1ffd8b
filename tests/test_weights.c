/* test_weights.c — the safetensors reader (runtime/weights.c, runtime/json.c)
 * and weights as graph tensors (runtime/graph_weights.c).
 *
 * Files are written by the test itself into a private mkdtemp folder, byte by
 * byte from the format description (u64 LE header length, JSON, data), and
 * once by tools/safetensors.py so that the Python writer and the C reader are
 * checked against each other. Every rule of weights/README.md ("What the
 * reader checks") has a case in weights_rejects_rule asserting the status and
 * the message. F16/BF16 -> f32 conversion is compared bit for bit against an
 * oracle that decodes sign, exponent and mantissa with ldexp in double: the
 * conversion is exact, so no tolerance applies. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph.h"
#include "json.h"
#include "tu_files.h"
#include "util.h"
#include "weights.h"

static char g_dir[256]; /* per-test scratch folder (fork mode: one per test) */

static void setup(void) { tu_mkdtemp(g_dir, sizeof g_dir); }
static void teardown(void) { tu_rmtree(g_dir); }

/* Writes a safetensors file: header padded with spaces to a multiple of 8
 * (as the reference writer does) unless pad is 0, then n data bytes. */
static const char *st_write(char *path, size_t size, const char *name, const char *header, int pad,
                            const void *data, size_t n) {
    size_t h = strlen(header), padded = pad ? (h + 7) / 8 * 8 : h;
    unsigned char *buf = malloc(8 + padded + n + 1);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, header, h);
    memset(buf + 8 + h, ' ', padded - h);
    if (n) memcpy(buf + 8 + padded, data, n);
    tu_path(path, size, g_dir, name);
    tu_write_file(path, buf, 8 + padded + n);
    free(buf);
    return path;
}

static const float F32_DATA[6] = {0.5f, -1.0f, 2.25f, 3.0f, -4.5f, 1e-3f};

/* ---- valid files ------------------------------------------------------------ */

START_TEST(weights_reads_tensors_and_metadata) {
    /* JSON order differs from data order on purpose; names use escapes. */
    const char *hdr = "{\"__metadata__\":{\"tryon.family\":\"test\",\"quote\":\"a\\\"b\\\\c\"},"
                      "\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[28,36]},"
                      "\"conv.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                      "\"caf\\u00e9\":{\"dtype\":\"U8\",\"shape\":[1,3],\"data_offsets\":[36,39]},"
                      "\"scale\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]}}";
    unsigned char data[39];
    memcpy(data, F32_DATA, 24);
    float scale = 7.0f;
    memcpy(data + 24, &scale, 4);
    int32_t ids[2] = {-3, 1 << 30};
    memcpy(data + 28, ids, 8);
    data[36] = 0, data[37] = 128, data[38] = 255;
    char path[512];
    st_write(path, sizeof path, "w.safetensors", hdr, 1, data, sizeof data);

    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_weights_n_tensors(w), 4);

    /* tensor_at follows the data offsets: conv.weight, scale, ids, café. */
    static const char *order[4] = {"conv.weight", "scale", "ids", "caf\xc3\xa9"};
    static const tryon_dtype dtypes[4] = {TRYON_DTYPE_F32, TRYON_DTYPE_F32, TRYON_DTYPE_I32,
                                          TRYON_DTYPE_U8};
    static const int32_t ndims[4] = {2, 0, 1, 2};
    static const int64_t shapes[4][4] = {{2, 3, 1, 1}, {1, 1, 1, 1}, {2, 1, 1, 1}, {1, 3, 1, 1}};
    for (int32_t i = 0; i < 4; i++) {
        tryon_tensor t, f;
        ck_assert_int_eq(tryon_weights_tensor_at(w, i, &t), TRYON_OK);
        ck_assert_str_eq(t.name, order[i]);
        ck_assert_int_eq(t.dtype, dtypes[i]);
        ck_assert_int_eq(t.ndim, ndims[i]);
        for (int d = 0; d < 4; d++) ck_assert_int_eq(t.shape[d], shapes[i][d]);
        ck_assert_ptr_nonnull(t.data);
        ck_assert_uint_eq((uintptr_t)t.data % tryon_dtype_size(t.dtype), 0);
        ck_assert_int_eq(tryon_weights_find(w, order[i], &f), TRYON_OK);
        ck_assert_ptr_eq(f.data, t.data);
        ck_assert_str_eq(f.name, t.name);
    }
    tryon_tensor t;
    ck_assert_int_eq(tryon_weights_find(w, "conv.weight", &t), TRYON_OK);
    ck_assert_mem_eq(t.data, F32_DATA, 24);
    ck_assert_int_eq(tryon_weights_find(w, "scale", &t), TRYON_OK);
    ck_assert(*(const float *)t.data == 7.0f);
    ck_assert_int_eq(tryon_weights_find(w, "ids", &t), TRYON_OK);
    ck_assert_int_eq(((const int32_t *)t.data)[0], -3);
    ck_assert_int_eq(((const int32_t *)t.data)[1], 1 << 30);
    ck_assert_int_eq(tryon_weights_find(w, "caf\xc3\xa9", &t), TRYON_OK);
    ck_assert_uint_eq(((const uint8_t *)t.data)[1], 128);

    /* Absent names and indices: INVALID_ARG with a zeroed view. */
    ck_assert_int_eq(tryon_weights_find(w, "conv", &t), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(t.data);
    ck_assert_ptr_null(t.name);
    ck_assert_int_eq(tryon_weights_find(w, "", &t), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_weights_tensor_at(w, 4, &t), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_weights_tensor_at(w, -1, &t), TRYON_ERR_INVALID_ARG);

    /* Metadata in file order, escapes decoded. */
    ck_assert_int_eq(tryon_weights_n_metadata(w), 2);
    const char *k, *v;
    ck_assert_int_eq(tryon_weights_metadata_at(w, 0, &k, &v), TRYON_OK);
    ck_assert_str_eq(k, "tryon.family");
    ck_assert_str_eq(v, "test");
    ck_assert_int_eq(tryon_weights_metadata_at(w, 1, &k, &v), TRYON_OK);
    ck_assert_str_eq(k, "quote");
    ck_assert_str_eq(v, "a\"b\\c");
    ck_assert_int_eq(tryon_weights_metadata_at(w, 2, &k, &v), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(k);
    ck_assert_ptr_null(v);
    ck_assert_str_eq(tryon_weights_metadata(w, "tryon.family"), "test");
    ck_assert_ptr_null(tryon_weights_metadata(w, "tryon.format"));
    tryon_weights_close(w);
    tryon_weights_close(NULL); /* NULL-safe */
    ck_assert(!tu_is_mapped(path));
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_lookup_and_order_with_many_tensors) {
    /* 40 one-element F32 tensors whose names share prefixes ("n3", "n3.a",
     * "n3.a.b", "n3x"), listed in the JSON in a scrambled order; tensor i
     * holds i + 0.25 at data offset 4i. */
    enum { N = 40 };
    char hdr[8192], name[N][16], path[512];
    float data[N];
    for (int i = 0; i < N; i++) {
        static const char *fmt[4] = {"n%d", "n%d.a", "n%d.a.b", "n%dx"};
        snprintf(name[i], sizeof name[i], fmt[i % 4], i / 4);
        data[i] = (float)i + 0.25f;
    }
    size_t k = (size_t)snprintf(hdr, sizeof hdr, "{");
    for (int j = 0; j < N; j++) {
        int i = (j * 17 + 5) % N; /* 17 is coprime with 40: a permutation */
        k += (size_t)snprintf(hdr + k, sizeof hdr - k,
                              "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}",
                              j ? "," : "", name[i], 4 * i, 4 * i + 4);
    }
    snprintf(hdr + k, sizeof hdr - k, "}");
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    st_write(path, sizeof path, "many.safetensors", hdr, 1, data, sizeof data);
    ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_weights_n_tensors(w), N);
    for (int i = 0; i < N; i++) {
        tryon_tensor t;
        ck_assert_int_eq(tryon_weights_tensor_at(w, i, &t), TRYON_OK);
        ck_assert_str_eq(t.name, name[i]);
        ck_assert(*(const float *)t.data == data[i]);
        ck_assert_int_eq(tryon_weights_find(w, name[i], &t), TRYON_OK);
        ck_assert(*(const float *)t.data == data[i]);
        ck_assert_ptr_eq(tr_weights_get(w, name[i]), &w->tensors[i]);
    }
    ck_assert_ptr_null(tr_weights_get(w, "n"));
    ck_assert_ptr_null(tr_weights_get(w, "n0.a.b.c"));
    ck_assert_ptr_null(tr_weights_get(w, "zzz"));
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_outlive_their_context) {
    /* The handle keeps no pointer to ctx: it stays usable after the context
     * that opened it is freed (ASan would flag a use after free). */
    char path[512];
    st_write(path, sizeof path, "a.safetensors",
             "{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[6],"
             "\"data_offsets\":[0,24]}}",
             1, F32_DATA, 24);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(ctx, path, &w), TRYON_OK);
    tryon_ctx_free(ctx);
    tryon_tensor t;
    ck_assert_int_eq(tryon_weights_find(w, "w", &t), TRYON_OK);
    ck_assert_mem_eq(t.data, F32_DATA, 24);
    ck_assert_str_eq(tryon_weights_metadata(w, "k"), "v");
    tryon_weights_close(w);
}
END_TEST

START_TEST(weights_accept_edge_cases) {
    static const struct {
        const char *what, *header;
        int pad;
        const char *data;
        size_t n_data;
        int32_t n_tensors;
    } ok[] = {
        {"empty header", "{}", 1, "", 0, 0},
        {"unpadded header", "{}", 0, "", 0, 0},
        {"header padded with whitespace", "{ }\n\t\r ", 1, "", 0, 0},
        {"empty metadata", "{\"__metadata__\":{}}", 1, "", 0, 0},
        {"zero-size tensors anywhere, even at offsets not aligned to their dtype",
         "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
         "\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[1,1]},"
         "\"y\":{\"dtype\":\"BF16\",\"shape\":[3,0],\"data_offsets\":[0,0]}}",
         1, "\7", 1, 3},
        {"each dtype at an offset aligned to its own size",
         "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
         "\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[2,4]},"
         "\"w\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
         1, "\1\2\0\x3c\1\0\0\0", 8, 3},
        {"rank 4 and scalar",
         "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
         "\"r\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1],\"data_offsets\":[4,8]}}",
         1, "\0\0\x80\x3f\0\0\0\xc0", 8, 2},
        {"I32 with a NaN bit pattern is not a float",
         "{\"i\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 1, "\0\0\xc0\x7f", 4,
         1},
        {"largest F16 and BF16 values are finite",
         "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
         "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}",
         1, "\xff\x7b\xff\xfb\x7f\x7f\x7f\xff", 8, 2},
        {"huge dimension times zero",
         "{\"z\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,0],\"data_offsets\":[0,0]}}", 1,
         "", 0, 1},
    };
    tryon_ctx *ctx = tu_ctx(1);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char path[512], name[32];
        snprintf(name, sizeof name, "ok%zu.safetensors", i);
        st_write(path, sizeof path, name, ok[i].header, ok[i].pad, ok[i].data, ok[i].n_data);
        tryon_weights *w;
        tryon_status st = tryon_weights_open(ctx, path, &w);
        ck_assert_msg(st == TRYON_OK, "%s: %s", ok[i].what, tryon_ctx_last_error(ctx));
        ck_assert_int_eq(tryon_weights_n_tensors(w), ok[i].n_tensors);
        tryon_weights_close(w);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_written_by_python_read_back) {
    /* tools/safetensors.py (the converters' writer) and the C reader agree:
     * values are small integers and halves, exact in every dtype. */
    const char *py = tu_python_numpy();
    if (!py) {
        tu_skip("weights_written_by_python_read_back", "python3 with numpy not found");
        return;
    }
    if (access("tools/safetensors.py", R_OK) != 0) {
        tu_skip("weights_written_by_python_read_back", "run from the project root");
        return;
    }
    char path[512], cmd[2048];
    tu_path(path, sizeof path, g_dir, "py.safetensors");
    snprintf(cmd, sizeof cmd,
             "'%s' -c 'import sys; sys.path.insert(0, \"tools\"); import safetensors as s, "
             "numpy as np; s.write(sys.argv[1], {\"b.f32\": np.arange(12, dtype=np.float32)"
             ".reshape(3, 4) / 2, \"a.f16\": (np.arange(5) - 2).astype(np.float16), "
             "\"c.i32\": np.array([-7, 0, 70000], np.int32), \"d.u8\": np.arange(250, 256, "
             "dtype=np.uint8).reshape(1, 2, 3)}, {\"tryon.family\": \"test\", \"n\": 3})' '%s'",
             py, path);
    ck_assert_msg(system(cmd) == 0, "python writer failed: %s", cmd);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tryon_weights_n_tensors(w), 4);
    ck_assert_str_eq(tryon_weights_metadata(w, "tryon.family"), "test");
    ck_assert_str_eq(tryon_weights_metadata(w, "n"), "3");
    const tr_wtensor *t;
    int64_t s34[2] = {3, 4}, s5[1] = {5}, s3[1] = {3}, s123[3] = {1, 2, 3};
    ck_assert_int_eq(tr_weights_require(ctx, w, "b.f32", 2, s34, &t), TRYON_OK);
    for (int i = 0; i < 12; i++) ck_assert(((const float *)t->data)[i] == i * 0.5f);
    ck_assert_int_eq(tr_weights_require(ctx, w, "a.f16", 1, s5, &t), TRYON_OK);
    ck_assert_int_eq(t->dtype, TRYON_DTYPE_F16);
    float f[12];
    tr_wtensor_to_f32(t, f);
    for (int i = 0; i < 5; i++) ck_assert(f[i] == (float)(i - 2));
    ck_assert_int_eq(tr_weights_require(ctx, w, "c.i32", 1, s3, &t), TRYON_OK);
    ck_assert_int_eq(((const int32_t *)t->data)[2], 70000);
    ck_assert_int_eq(tr_weights_require(ctx, w, "d.u8", 3, s123, &t), TRYON_OK);
    ck_assert_uint_eq(((const uint8_t *)t->data)[5], 255);
    /* The writer orders by element size, then name: f32, i32, f16, u8. */
    static const char *order[4] = {"b.f32", "c.i32", "a.f16", "d.u8"};
    for (int32_t i = 0; i < 4; i++) {
        tryon_tensor v;
        tryon_weights_tensor_at(w, i, &v);
        ck_assert_str_eq(v.name, order[i]);
    }
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- typed access: tr_weights_require, tr_graph_weight ---------------------- */

START_TEST(weights_require_reports_missing_and_wrong_shapes) {
    char path[512];
    unsigned char data[28];
    memcpy(data, F32_DATA, 24);
    memcpy(data + 24, (float[]){2.0f}, 4);
    st_write(path, sizeof path, "r.safetensors",
             "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
             "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]}}",
             1, data, sizeof data);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(ctx, path, &w), TRYON_OK);
    const tr_wtensor *t = (const tr_wtensor *)1;
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s6[1] = {6}, s1[1] = {1};
    static const struct {
        const char *name;
        int32_t ndim;
        const int64_t *shape;
        const char *msg;
    } bad[] = {
        {"x", 2, NULL, "weights: tensor 'x' is missing"},
        {"W", 2, NULL, "weights: tensor 'W' is missing"},
        {"w", 2, NULL, "weights: tensor 'w' has shape [2, 3], expected [3, 2]"},
        {"w", 1, NULL, "weights: tensor 'w' has shape [2, 3], expected [6]"},
        {"s", 1, NULL, "weights: tensor 's' has shape [], expected [1]"},
        {"w", 0, NULL, "weights: tensor 'w' has shape [2, 3], expected []"},
    };
    const int64_t *shapes[] = {s23, s23, s32, s6, s1, NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = (const tr_wtensor *)1;
        tryon_status st = tr_weights_require(ctx, w, bad[i].name, bad[i].ndim, shapes[i], &t);
        ck_assert_int_eq(st, TRYON_ERR_FORMAT);
        ck_assert_ptr_null(t);
        ck_assert_str_eq(tryon_ctx_last_error(ctx), bad[i].msg);
    }
    ck_assert_int_eq(tr_weights_require(ctx, w, "w", 2, s23, &t), TRYON_OK);
    ck_assert_str_eq(t->name, "w");
    ck_assert_int_eq(t->numel, 6);
    ck_assert_int_eq(tr_weights_require(ctx, w, "s", 0, NULL, &t), TRYON_OK);
    ck_assert_int_eq(t->numel, 1);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

/* Independent decoders: sign, exponent, mantissa, scaled with ldexp. */
static float f16_oracle(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e ? ldexp(1024 + m, e - 25) : ldexp(m, -24);
    return (float)(h & 0x8000 ? -v : v);
}

static float bf16_oracle(uint16_t h) {
    int e = (h >> 7) & 255, m = h & 127;
    double v = e ? ldexp(128 + m, e - 134) : ldexp(m, -133);
    return (float)(h & 0x8000 ? -v : v);
}

/* Bitwise comparison (so that -0 and +0 differ) with the first mismatch named. */
static void assert_bits_equal(const float *got, const float *want, int64_t n, const char *what,
                              const uint16_t *src) {
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(memcmp(&got[i], &want[i], 4) == 0, "%s: element %lld (0x%04x) got %a want %a",
                      what, (long long)i, src[i], got[i], want[i]);
}

/* Writes every finite 16-bit pattern of the format as one tensor and checks
 * tr_graph_weight's f32 constant against the oracle. */
static void check_half_conversion(const char *dtype, uint16_t exp_mask, float (*oracle)(uint16_t)) {
    uint16_t *h = malloc(65536 * sizeof *h);
    float *want = malloc(65536 * sizeof *want);
    int64_t n = 0;
    for (uint32_t b = 0; b < 65536; b++)
        if ((b & exp_mask) != exp_mask) h[n] = (uint16_t)b, want[n] = oracle((uint16_t)b), n++;
    char hdr[256], path[512];
    snprintf(hdr, sizeof hdr,
             "{\"__metadata__\":{\"k\":\"v\"},\"h\":{\"dtype\":\"%s\",\"shape\":[%lld],"
             "\"data_offsets\":[0,%lld]}}",
             dtype, (long long)n, (long long)(2 * n));
    st_write(path, sizeof path, "half.safetensors", hdr, 1, h, (size_t)(2 * n));
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int32_t id = tr_graph_weight(g, w, "h", 1, &n);
    ck_assert_msg(id >= 0, "%s", tryon_ctx_last_error(ctx));
    ck_assert_int_eq(tr_graph_t(g, id)->mem, TR_MEM_CONST); /* converted copy, not the file */
    ck_assert_int_eq(tr_graph_t(g, id)->dtype, TRYON_DTYPE_F32);
    const float *got = tr_graph_const_data(g, id);
    assert_bits_equal(got, want, n, dtype, h);
    /* The plain copy used elsewhere agrees too. */
    float *copy = malloc((size_t)n * sizeof *copy);
    tr_wtensor_to_f32(tr_weights_get(w, "h"), copy);
    assert_bits_equal(copy, want, n, dtype, h);
    free(copy);
    tr_graph_free(g);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
    free(h);
    free(want);
}

START_TEST(graph_weight_converts_every_f16_value) {
    check_half_conversion("F16", 0x7c00, f16_oracle);
}
END_TEST

START_TEST(graph_weight_converts_every_bf16_value) {
    check_half_conversion("BF16", 0x7f80, bf16_oracle);
}
END_TEST

START_TEST(graph_weight_uses_f32_in_place_and_checks_shapes) {
    char path[512];
    unsigned char data[36];
    memcpy(data, F32_DATA, 24);
    memcpy(data + 24, (float[]){2.0f}, 4);
    memcpy(data + 28, (int32_t[]){5, 6}, 8);
    st_write(path, sizeof path, "g.safetensors",
             "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
             "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[24,28]},"
             "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[28,36]}}",
             1, data, sizeof data);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(ctx, path, &w), TRYON_OK);
    tr_graph *g;
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    int64_t s23[2] = {2, 3}, s2[1] = {2};
    int32_t a = tr_graph_weight(g, w, "w", 2, s23);
    ck_assert_int_ge(a, 0);
    tryon_tensor v;
    tryon_weights_find(w, "w", &v);
    ck_assert_int_eq(tr_graph_t(g, a)->mem, TR_MEM_EXTERN);
    ck_assert_ptr_eq(tr_graph_const_data(g, a), v.data); /* in place, no copy */
    int32_t s = tr_graph_weight(g, w, "s", 0, NULL);
    ck_assert_int_ge(s, 0);
    ck_assert_int_eq(tr_graph_t(g, s)->ndim, 1); /* a scalar becomes shape [1] */
    ck_assert_int_eq(tr_graph_t(g, s)->shape[0], 1);
    ck_assert(*(const float *)tr_graph_const_data(g, s) == 2.0f);
    /* An integer tensor cannot be a float weight. */
    ck_assert_int_eq(tr_graph_weight(g, w, "i", 1, s2), -1);
    ck_assert_int_eq(g->status, TRYON_ERR_FORMAT);
    ck_assert_str_eq(tryon_ctx_last_error(ctx),
                     "weights: tensor 'i' has dtype I32, expected a float");
    tr_graph_free(g);

    /* Missing tensor and wrong shape: FORMAT naming the tensor, and sticky. */
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    ck_assert_int_eq(tr_graph_weight(g, w, "w", 1, s2), -1);
    ck_assert_str_eq(tryon_ctx_last_error(ctx),
                     "weights: tensor 'w' has shape [2, 3], expected [2]");
    ck_assert_int_eq(tr_graph_weight(g, w, "s", 0, NULL), -1); /* sticky */
    ck_assert_int_eq(tr_graph_plan(g), TRYON_ERR_FORMAT);
    tr_graph_free(g);
    ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
    ck_assert_int_eq(tr_graph_weight(g, w, "nope", 1, s2), -1);
    ck_assert_int_eq(g->status, TRYON_ERR_FORMAT);
    ck_assert_str_eq(tryon_ctx_last_error(ctx), "weights: tensor 'nope' is missing");
    tr_graph_free(g);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- validation: one case per rule of weights/README.md --------------------- */

#define F32x2 "\x00\x00\xc0\x3f\x00\x00\x00\xc0" /* 1.5, -2 */
#define T(n, dt, sh, b, e)                                                                         \
    "\"" n "\":{\"dtype\":\"" dt "\",\"shape\":" sh ",\"data_offsets\":[" #b "," #e "]}"

typedef struct bad_case {
    const char *rule; /* the README line it checks */
    const char *raw;  /* whole file (raw_len bytes), or NULL: header + data */
    size_t raw_len;
    const char *header;
    int pad;
    const char *data;
    size_t n_data;
    tryon_status status;
    const char *msg; /* expected after "<path>: " */
} bad_case;

static const bad_case BAD[] = {
    {"file shorter than 8 bytes", "\x05\0\0", 3, NULL, 0, NULL, 0, TRYON_ERR_FORMAT,
     "3 bytes is too small for a safetensors header"},
    {"header length over 100 MB", "\x01\xe1\xf5\x05\0\0\0\0{}", 10, NULL, 0, NULL, 0,
     TRYON_ERR_FORMAT, "header length 100000001 exceeds the 100 MB limit"},
    {"header length past the end of the file", "\x03\0\0\0\0\0\0\0{}", 10, NULL, 0, NULL, 0,
     TRYON_ERR_FORMAT, "header length 3 exceeds the file (10 bytes)"},
    {"header not a JSON object", NULL, 0, "[{}]", 1, NULL, 0, TRYON_ERR_FORMAT,
     "header is not a JSON object"},
    {"header with trailing characters", NULL, 0, "{}{}", 0, NULL, 0, TRYON_ERR_FORMAT,
     "header: JSON: trailing characters at byte 2"},
    {"header not UTF-8", NULL, 0, "{\"\xff\":{}}", 1, NULL, 0, TRYON_ERR_FORMAT,
     "header: JSON: invalid UTF-8 in string at byte 2"},
    {"header not strict JSON (trailing comma)", NULL, 0, "{\"a\":[1,]}", 1, NULL, 0,
     TRYON_ERR_FORMAT, "header: JSON: unexpected character at byte 8"},
    {"entry not an object", NULL, 0, "{\"w\":[1]}", 1, NULL, 0, TRYON_ERR_FORMAT,
     "entry 'w' is not an object"},
    {"entry without data_offsets", NULL, 0, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 1, F32x2,
     8, TRYON_ERR_FORMAT, "tensor 'w': needs dtype, shape and data_offsets"},
    {"entry with an extra field", NULL, 0,
     "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"name\":\"w\"}}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': unexpected or repeated field"},
    {"entry with a repeated field", NULL, 0,
     "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 1, F32x2,
     8, TRYON_ERR_FORMAT, "tensor 'w': unexpected or repeated field"},
    {"dtype not a string", NULL, 0, "{\"w\":{\"dtype\":null,\"shape\":[2],\"data_offsets\":[0,8]}}",
     1, F32x2, 8, TRYON_ERR_FORMAT, "tensor 'w': dtype is not a string"},
    {"unknown dtype", NULL, 0, "{" T("w", "F31", "[2]", 0, 8) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "tensor 'w': unknown dtype 'F31' (tryon reads F32, F16, BF16, I32, U8)"},
    {"other valid safetensors dtype", NULL, 0, "{" T("w", "F64", "[1]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_UNSUPPORTED,
     "tensor 'w': unsupported dtype 'F64' (tryon reads F32, F16, BF16, I32, U8)"},
    {"other valid safetensors dtype (F8)", NULL, 0, "{" T("w", "F8_E4M3", "[8]", 0, 8) "}", 1,
     F32x2, 8, TRYON_ERR_UNSUPPORTED,
     "tensor 'w': unsupported dtype 'F8_E4M3' (tryon reads F32, F16, BF16, I32, U8)"},
    {"rank above 4", NULL, 0, "{" T("w", "F32", "[1,1,2,1,1]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_UNSUPPORTED, "tensor 'w': rank 5 (tryon supports at most 4)"},
    {"shape not an array", NULL, 0, "{" T("w", "F32", "{}", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': shape is not an array"},
    {"negative dimension", NULL, 0, "{" T("w", "F32", "[-2]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': dimension 0 is not a non-negative integer"},
    {"non-integer dimension", NULL, 0, "{" T("w", "F32", "[1,2e0]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': dimension 1 is not a non-negative integer"},
    {"dimension as a string", NULL, 0, "{" T("w", "F32", "[\"2\"]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': dimension 0 is not a non-negative integer"},
    {"element count overflows 64 bits", NULL, 0,
     "{" T("w", "U8", "[4294967296,4294967296]", 0, 8) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "tensor 'w': shape overflows 64 bits"},
    {"byte size overflows 64 bits", NULL, 0, "{" T("w", "F32", "[4611686018427387904]", 0, 8) "}",
     1, F32x2, 8, TRYON_ERR_FORMAT, "tensor 'w': shape overflows 64 bits"},
    {"byte size exceeds the tensor limit", NULL, 0, "{" T("w", "F32", "[1073741825]", 0, 8) "}", 1,
     F32x2, 8, TRYON_ERR_LIMIT, "tensor 'w': 4294967300 bytes exceed the tensor limit 4294967296"},
    {"data_offsets not a pair", NULL, 0,
     "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': data_offsets must be [begin, end]"},
    {"data_offsets not integers", NULL, 0, "{" T("w", "F32", "[2]", 0.0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': data_offsets must be integers 0 <= begin <= end"},
    {"begin > end", NULL, 0, "{" T("w", "F32", "[0]", 8, 4) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "tensor 'w': data_offsets must be integers 0 <= begin <= end"},
    {"negative begin", NULL, 0, "{" T("w", "F32", "[1]", -4, 0) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "tensor 'w': data_offsets must be integers 0 <= begin <= end"},
    {"end past the data size", NULL, 0, "{" T("w", "F32", "[3]", 0, 12) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': data ends at 12, past the data region (8 bytes)"},
    {"length does not match the shape", NULL, 0, "{" T("w", "F32", "[1]", 0, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "tensor 'w': holds 8 bytes, its shape needs 4"},
    {"overlapping tensors", NULL, 0,
     "{" T("b", "U8", "[4]", 2, 6) "," T("a", "F32", "[1]", 0, 4) "," T("c", "U8", "[2]", 6, 8) "}",
     1, F32x2, 8, TRYON_ERR_FORMAT, "tensor 'b' overlaps the previous tensor (begins at 2)"},
    {"hole in the data region", NULL, 0,
     "{" T("a", "U8", "[2]", 0, 2) "," T("b", "U8", "[4]", 4, 8) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "bytes 2..4 of the data region belong to no tensor (hole before 'b')"},
    {"hole at the start", NULL, 0, "{" T("a", "F32", "[1]", 4, 8) "}", 1, F32x2, 8,
     TRYON_ERR_FORMAT, "bytes 0..4 of the data region belong to no tensor (hole before 'a')"},
    {"trailing bytes after the last tensor", NULL, 0, "{" T("a", "U8", "[5]", 0, 5) "}", 1, F32x2,
     8, TRYON_ERR_FORMAT, "3 bytes after the last tensor belong to no tensor"},
    {"data not aligned to the element size", NULL, 0,
     "{" T("a", "U8", "[2]", 0, 2) "," T("w", "F32", "[1]", 2, 6) "," T("b", "U8", "[2]", 6, 8) "}",
     1, F32x2, 8, TRYON_ERR_FORMAT, "tensor 'w': data offset 2 is not aligned to its dtype"},
    {"duplicate names", NULL, 0, "{" T("a", "F32", "[1]", 0, 4) "," T("a", "F32", "[1]", 4, 8) "}",
     1, F32x2, 8, TRYON_ERR_FORMAT, "tensor 'a' appears twice"},
    {"empty name", NULL, 0, "{" T("", "F32", "[2]", 0, 8) "}", 1, F32x2, 8, TRYON_ERR_FORMAT,
     "tensor with an empty name"},
    {"__metadata__ not an object", NULL, 0, "{\"__metadata__\":[\"a\"]}", 1, NULL, 0,
     TRYON_ERR_FORMAT, "__metadata__ must be one object of strings"},
    {"__metadata__ twice", NULL, 0, "{\"__metadata__\":{},\"__metadata__\":{\"a\":\"b\"}}", 1, NULL,
     0, TRYON_ERR_FORMAT, "__metadata__ must be one object of strings"},
    {"__metadata__ value not a string", NULL, 0, "{\"__metadata__\":{\"a\":\"b\",\"n\":{}}}", 1,
     NULL, 0, TRYON_ERR_FORMAT, "__metadata__ value of 'n' is not a string"},
    {"NaN in an F32 tensor", NULL, 0, "{" T("w", "F32", "[2]", 0, 8) "}", 1,
     "\0\0\x80\x3f\1\0\xc0\xff", 8, TRYON_ERR_FORMAT, "tensor 'w' holds NaN or Inf (element 1)"},
    {"infinity in an F32 tensor", NULL, 0, "{" T("w", "F32", "[2]", 0, 8) "}", 1,
     "\0\0\x80\x7f\0\0\0\0", 8, TRYON_ERR_FORMAT, "tensor 'w' holds NaN or Inf (element 0)"},
    {"infinity in an F16 tensor", NULL, 0, "{" T("w", "F16", "[4]", 0, 8) "}", 1,
     "\0\x3c\0\0\0\0\0\xfc", 8, TRYON_ERR_FORMAT, "tensor 'w' holds NaN or Inf (element 3)"},
    {"NaN in a BF16 tensor", NULL, 0, "{" T("w", "BF16", "[4]", 0, 8) "}", 1,
     "\x80\x3f\x81\x7f\0\0\0\0", 8, TRYON_ERR_FORMAT, "tensor 'w' holds NaN or Inf (element 1)"},
};

#define N_BAD ((int)(sizeof BAD / sizeof BAD[0]))

/* Opens path expecting failure: status, "<path>: msg" exactly, NULL handle,
 * and the file no longer mapped. */
static void expect_open_error(tryon_ctx *ctx, const char *path, tryon_status status,
                              const char *msg, const char *what) {
    tryon_weights *w = (tryon_weights *)1;
    tryon_status st = tryon_weights_open(ctx, path, &w);
    ck_assert_msg(st == status, "%s: status '%s', expected '%s' (%s)", what, tryon_status_str(st),
                  tryon_status_str(status), tryon_ctx_last_error(ctx));
    ck_assert_ptr_null(w);
    char want[1024];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    ck_assert_msg(!strcmp(tryon_ctx_last_error(ctx), want), "%s: message\n  '%s', expected\n  '%s'",
                  what, tryon_ctx_last_error(ctx), want);
    ck_assert_msg(!tu_is_mapped(path), "%s: the file is still mapped", what);
}

START_TEST(weights_rejects_rule) {
    const bad_case *c = &BAD[_i];
    char path[512], name[32];
    snprintf(name, sizeof name, "bad%d.safetensors", _i);
    if (c->raw)
        tu_write_file(tu_path(path, sizeof path, g_dir, name), c->raw, c->raw_len);
    else
        st_write(path, sizeof path, name, c->header, c->pad, c->data, c->n_data);
    tryon_ctx *ctx = tu_ctx(1);
    expect_open_error(ctx, path, c->status, c->msg, c->rule);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_reject_missing_files_and_folders) {
    tryon_ctx *ctx = tu_ctx(1);
    char path[512];
    tu_path(path, sizeof path, g_dir, "absent.safetensors");
    expect_open_error(ctx, path, TRYON_ERR_IO, "cannot open (No such file or directory)",
                      "missing file");
    expect_open_error(ctx, g_dir, TRYON_ERR_IO, "not a regular file", "folder");
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_header_nesting_is_bounded_at_64) {
    /* The README promises "nesting at most 64 deep": 64 nested arrays parse,
     * 65 do not (and a 10000-deep header fails without exhausting the stack). */
    static char doc[20002];
    tryon_ctx *ctx = tu_ctx(1);
    for (int depth = 63; depth <= 65; depth++) {
        memset(doc, '[', (size_t)depth);
        doc[depth] = '1';
        memset(doc + depth + 1, ']', (size_t)depth);
        tr_json_doc *d;
        tryon_status st = tr_json_parse(ctx, doc, 2 * (size_t)depth + 1, &d);
        if (depth <= 64) {
            ck_assert_msg(st == TRYON_OK, "depth %d: %s", depth, tryon_ctx_last_error(ctx));
            tr_json_free(d);
        } else {
            ck_assert_int_eq(st, TRYON_ERR_FORMAT);
            ck_assert_str_eq(tryon_ctx_last_error(ctx), "JSON: nesting too deep at byte 64");
        }
    }
    /* In a weight file the root object is one level, so 64 more arrays fail:
     * "{\"__metadata__\":" is 16 bytes, the 64th "[" is byte 16 + 63. */
    char hdr[256], path[512];
    size_t k = (size_t)snprintf(hdr, sizeof hdr, "{\"__metadata__\":");
    memset(hdr + k, '[', 64), k += 64;
    memset(hdr + k, ']', 64), k += 64;
    snprintf(hdr + k, sizeof hdr - k, "}");
    st_write(path, sizeof path, "deep.safetensors", hdr, 1, NULL, 0);
    expect_open_error(ctx, path, TRYON_ERR_FORMAT, "header: JSON: nesting too deep at byte 79",
                      "65 levels");
    memset(doc, '[', 10000);
    memset(doc + 10000, ']', 10000);
    tr_json_doc *d;
    ck_assert_int_eq(tr_json_parse(ctx, doc, 20000, &d), TRYON_ERR_FORMAT);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_respect_a_custom_tensor_limit) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = 1;
    p.max_tensor_bytes = 8;
    tryon_ctx *ctx;
    char why[256], path[512];
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_OK);
    st_write(path, sizeof path, "fits.safetensors",
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[8,16]}}",
             1, F32x2 F32x2, 16);
    tryon_weights *w;
    ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    tryon_weights_close(w);
    st_write(path, sizeof path, "over.safetensors",
             "{\"a\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[0,10]}}", 1, F32x2 "\0\0",
             10);
    expect_open_error(ctx, path, TRYON_ERR_LIMIT, "tensor 'a': 10 bytes exceed the tensor limit 8",
                      "limit 8");
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(weights_open_fails_cleanly_at_every_allocation) {
    /* Metadata and 30 tensors: enough JSON nodes (about 250) that the node
     * array grows several times. First count the allocations of a normal open,
     * then make each of them fail in turn: every failure must be NOMEM with a
     * NULL handle, nothing mapped, nothing leaked (LSan checks at exit). */
    enum { N = 30 };
    char hdr[8192], path[512];
    float data[N * 2];
    size_t k = (size_t)snprintf(hdr, sizeof hdr,
                                "{\"__metadata__\":{\"a\":\"1\",\"bb\":\"22\",\"ccc\":\"333\"}");
    for (int i = 0; i < N; i++) {
        k += (size_t)snprintf(hdr + k, sizeof hdr - k,
                              ",\"layer%d.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],"
                              "\"data_offsets\":[%d,%d]}",
                              i, 8 * i, 8 * i + 8);
        data[2 * i] = (float)i, data[2 * i + 1] = -(float)i;
    }
    snprintf(hdr + k, sizeof hdr - k, "}");
    st_write(path, sizeof path, "oom.safetensors", hdr, 1, data, sizeof data);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_weights *w;
    int64_t before = tr_ctx_n_allocs(ctx);
    ck_assert_int_eq(tryon_weights_open(ctx, path, &w), TRYON_OK);
    int64_t n_allocs = tr_ctx_n_allocs(ctx) - before;
    tryon_weights_close(w);
    ck_assert_int_ge(n_allocs, 10); /* handle, JSON doc, its strings, node growth, tables... */
    for (int64_t nth = 1; nth <= n_allocs + 1; nth++) {
        w = (tryon_weights *)1;
        tr_ctx_set_fail_alloc(ctx, nth);
        tryon_status st = tryon_weights_open(ctx, path, &w);
        tr_ctx_set_fail_alloc(ctx, 0);
        if (nth == n_allocs + 1) { /* past the last allocation: succeeds */
            ck_assert_msg(st == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
            ck_assert_int_eq(tryon_weights_n_tensors(w), N);
            ck_assert_str_eq(tryon_weights_metadata(w, "ccc"), "333");
            tryon_weights_close(w);
            break;
        }
        ck_assert_msg(st == TRYON_ERR_NOMEM, "allocation %lld of %lld: %s (%s)", (long long)nth,
                      (long long)n_allocs, tryon_status_str(st), tryon_ctx_last_error(ctx));
        ck_assert_ptr_null(w);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), "out of memory"), "%s",
                      tryon_ctx_last_error(ctx));
        ck_assert(!tu_is_mapped(path));
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("weights");
    TCase *tc = tcase_create("safetensors");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, weights_reads_tensors_and_metadata);
    tcase_add_test(tc, weights_lookup_and_order_with_many_tensors);
    tcase_add_test(tc, weights_outlive_their_context);
    tcase_add_test(tc, weights_accept_edge_cases);
    tcase_add_test(tc, weights_written_by_python_read_back);
    tcase_add_test(tc, weights_require_reports_missing_and_wrong_shapes);
    tcase_add_test(tc, graph_weight_converts_every_f16_value);
    tcase_add_test(tc, graph_weight_converts_every_bf16_value);
    tcase_add_test(tc, graph_weight_uses_f32_in_place_and_checks_shapes);
    tcase_add_loop_test(tc, weights_rejects_rule, 0, N_BAD);
    tcase_add_test(tc, weights_reject_missing_files_and_folders);
    tcase_add_test(tc, weights_header_nesting_is_bounded_at_64);
    tcase_add_test(tc, weights_respect_a_custom_tensor_limit);
    tcase_add_test(tc, weights_open_fails_cleanly_at_every_allocation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
