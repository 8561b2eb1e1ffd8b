/* test_npy.c — .npy reading and writing (runtime/npy.c).
 *
 * Files come from three writers: tryon_npy_write (round trips, ranks 0..4),
 * hand-built bytes following numpy's format description (NEP 1 /
 * numpy.lib.format: "\x93NUMPY", major, minor, u16 or u32 little-endian
 * header length, a Python dict literal padded with spaces and '\n' so the data
 * starts at a multiple of 64), and numpy itself (np.save and
 * np.lib.format.write_array for versions 1.0, 2.0 and 3.0) when python3 with
 * numpy is available. Every rejection path is a case of npy_rejects_bad_file
 * asserting the status and the whole message. Values are compared bit for bit
 * (data is copied, never computed). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tu_files.h"
#include "util.h"

static char g_dir[256];

static void setup(void) { tu_mkdtemp(g_dir, sizeof g_dir); }
static void teardown(void) { tu_rmtree(g_dir); }

/* Builds a .npy in buf: prelude for version major.minor, dict padded as numpy
 * pads it (unless raw_header), hlen overriding the length field when >= 0,
 * then n_data bytes of data. Returns the file size. */
static size_t npy_bytes(uint8_t *buf, int major, int minor, const char *dict, int raw_header,
                        long long hlen, const void *data, size_t n_data) {
    size_t pre = major == 1 ? 10 : 12, k = strlen(dict);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (uint8_t)major, buf[7] = (uint8_t)minor;
    memcpy(buf + pre, dict, k);
    if (!raw_header) {
        while ((pre + k + 1) % 64) buf[pre + k++] = ' ';
        buf[pre + k++] = '\n';
    }
    uint64_t len = hlen >= 0 ? (uint64_t)hlen : k;
    for (size_t i = 0; i < pre - 8; i++) buf[8 + i] = (uint8_t)(len >> (8 * i));
    if (n_data) memcpy(buf + pre + k, data, n_data);
    return pre + k + n_data;
}

static const char *write_npy(char *path, size_t size, const char *name, int major, int minor,
                             const char *dict, int raw_header, long long hlen, const void *data,
                             size_t n_data) {
    uint8_t *buf = malloc(200 + strlen(dict) + n_data);
    size_t n = npy_bytes(buf, major, minor, dict, raw_header, hlen, data, n_data);
    tu_write_file(tu_path(path, size, g_dir, name), buf, n);
    free(buf);
    return path;
}

static void assert_array(const tryon_array *a, int32_t ndim, const int64_t *shape,
                         const float *want, const char *what) {
    ck_assert_msg(a->ndim == ndim, "%s: rank %d, expected %d", what, a->ndim, ndim);
    int64_t n = 1;
    for (int32_t i = 0; i < TRYON_MAX_DIMS; i++) {
        int64_t s = i < ndim ? shape[i] : 1;
        ck_assert_msg(a->shape[i] == s, "%s: dim %d is %lld, expected %lld", what, i,
                      (long long)a->shape[i], (long long)s);
        n *= s;
    }
    ck_assert_int_eq(tryon_array_numel(a), n);
    for (int64_t i = 0; i < n; i++)
        ck_assert_msg(!memcmp(&a->data[i], &want[i], 4), "%s: element %lld is %a, expected %a",
                      what, (long long)i, a->data[i], want[i]);
}

/* ---- round trips and valid files ------------------------------------------------ */

START_TEST(npy_round_trips_ranks_0_to_4) {
    static const struct {
        int32_t ndim;
        int64_t shape[4];
        const char *dict; /* what numpy would write for this shape */
    } cases[] = {
        {0, {0}, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"},
        {1, {5}, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }"},
        {2, {3, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"},
        {3, {2, 3, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }"},
        {4, {2, 1, 3, 2}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3, 2), }"},
        {2, {0, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }"},
        {4, {1, 1, 1, 1}, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1), }"},
    };
    /* Special values survive bit for bit: NaN payload, infinities, -0, subnormals. */
    static const uint32_t special[] = {0x7fc00001u, 0x7f800000u, 0xff800000u, 0x80000000u,
                                       0x00000001u, 0x807fffffu, 0x3f800000u, 0xc0490fdbu};
    tryon_ctx *ctx = tu_ctx(1);
    tu_rng r;
    tu_rng_seed(&r, 21);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        tryon_array a, b;
        ck_assert_int_eq(tryon_array_alloc(ctx, cases[c].ndim, cases[c].shape, &a), TRYON_OK);
        int64_t n = tryon_array_numel(&a);
        for (int64_t i = 0; i < n; i++) {
            if (i < 8)
                memcpy(&a.data[i], &special[i], 4);
            else
                a.data[i] = tu_rng_uniform(&r, -100, 100);
        }
        char path[512], what[64];
        snprintf(what, sizeof what, "rank %d case %zu", cases[c].ndim, c);
        tu_path(path, sizeof path, g_dir, "rt.npy");
        ck_assert_msg(tryon_npy_write(ctx, path, &a) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
        /* The file is what numpy writes: version 1.0, the dict, spaces, '\n', data at 64k. */
        size_t len;
        uint8_t *f = tu_read_file(path, &len);
        size_t dl = strlen(cases[c].dict), hlen = (size_t)f[8] | (size_t)f[9] << 8;
        ck_assert_msg(!memcmp(f, "\x93NUMPY\x01\x00", 8), "%s: prelude", what);
        ck_assert_msg((10 + hlen) % 64 == 0, "%s: data starts at %zu", what, 10 + hlen);
        ck_assert_msg(hlen > dl && !memcmp(f + 10, cases[c].dict, dl), "%s: header '%.*s'", what,
                      (int)hlen, (const char *)f + 10);
        for (size_t i = 10 + dl; i < 9 + hlen; i++) ck_assert_int_eq(f[i], ' ');
        ck_assert_int_eq(f[9 + hlen], '\n');
        ck_assert_uint_eq(len, 10 + hlen + 4 * (size_t)n);
        ck_assert(n == 0 || !memcmp(f + 10 + hlen, a.data, 4 * (size_t)n));
        free(f);
        ck_assert_msg(tryon_npy_read(ctx, path, &b) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
        assert_array(&b, cases[c].ndim, cases[c].shape, a.data, what);
        tryon_array_free(&a);
        tryon_array_free(&b);
        ck_assert_ptr_null(b.data);
    }
    tryon_array_free(NULL);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_reads_versions_and_header_variants) {
    /* Hand-built files: versions 1.0, 2.0 (u32 length), 3.0 (UTF-8 header),
     * and dict spellings numpy's literal parser accepts. */
    static const struct {
        int major;
        const char *dict;
        int raw;
        int32_t ndim;
        int64_t shape[4];
    } ok[] = {
        {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 0, 2, {2, 3}},
        {2, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 0, 1, {6}},
        {3, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 6), }", 0, 2, {1, 6}},
        {1, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 2)}", 0, 2, {3, 2}},
        {1, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", 0, 2, {2, 3}},
        {1, "{'descr':'<f4','fortran_order':False,'shape':(6,)}", 1, 1, {6}},
        {1,
         "{ 'descr' : '=f4' ,\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }\n",
         1,
         2,
         {2, 3}},
        {1, "{'descr': 'f4', 'fortran_order': False, 'shape': (6L,), }", 0, 1, {6}},
        {2,
         "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1, 3), }",
         0,
         4,
         {1, 2, 1, 3}},
    };
    float data[6] = {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-30f};
    tryon_ctx *ctx = tu_ctx(1);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char path[512], name[32];
        snprintf(name, sizeof name, "ok%zu.npy", i);
        write_npy(path, sizeof path, name, ok[i].major, 0, ok[i].dict, ok[i].raw, -1, data,
                  sizeof data);
        tryon_array a;
        ck_assert_msg(tryon_npy_read(ctx, path, &a) == TRYON_OK, "case %zu (%s): %s", i, ok[i].dict,
                      tryon_ctx_last_error(ctx));
        assert_array(&a, ok[i].ndim, ok[i].shape, data, ok[i].dict);
        tryon_array_free(&a);
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_reads_files_written_by_numpy) {
    const char *py = tu_python_numpy();
    if (!py) {
        tu_skip("npy_reads_files_written_by_numpy", "python3 with numpy not found");
        return;
    }
    /* Array k has shape SHAPES[k] and values 0.5 i - 3 (exact in float32). */
    static const struct {
        const char *name, *shape, *how;
        int32_t ndim;
        int64_t dims[4];
    } files[] = {
        {"save_r0.npy", "()", "save", 0, {0}},
        {"save_r1.npy", "(7,)", "save", 1, {7}},
        {"save_r2.npy", "(3, 5)", "save", 2, {3, 5}},
        {"save_r3.npy", "(2, 3, 4)", "save", 3, {2, 3, 4}},
        {"save_r4.npy", "(2, 1, 3, 5)", "save", 4, {2, 1, 3, 5}},
        {"save_empty.npy", "(0, 4)", "save", 2, {0, 4}},
        {"v1.npy", "(4, 3)", "(1, 0)", 2, {4, 3}},
        {"v2.npy", "(4, 3)", "(2, 0)", 2, {4, 3}},
        {"v3.npy", "(4, 3)", "(3, 0)", 2, {4, 3}},
    };
    char script[4096];
    size_t k =
        (size_t)snprintf(script, sizeof script,
                         "import sys, numpy as np\nd = sys.argv[1]\n"
                         "def arr(s):\n    n = int(np.prod(s))\n"
                         "    return (np.arange(n, dtype=np.float32) * 0.5 - 3).reshape(s)\n");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!strcmp(files[i].how, "save"))
            k += (size_t)snprintf(script + k, sizeof script - k, "np.save(d + '/%s', arr(%s))\n",
                                  files[i].name, files[i].shape);
        else
            k += (size_t)snprintf(script + k, sizeof script - k,
                                  "with open(d + '/%s', 'wb') as f: "
                                  "np.lib.format.write_array(f, arr(%s), version=%s)\n",
                                  files[i].name, files[i].shape, files[i].how);
    }
    char spath[512], cmd[1024];
    tu_write_file(tu_path(spath, sizeof spath, g_dir, "w.py"), script, k);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", py, spath, g_dir);
    ck_assert_msg(system(cmd) == 0, "numpy writer failed: %s", cmd);
    tryon_ctx *ctx = tu_ctx(1);
    float want[64];
    for (int i = 0; i < 64; i++) want[i] = 0.5f * (float)i - 3.0f;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        tu_path(path, sizeof path, g_dir, files[i].name);
        tryon_array a;
        ck_assert_msg(tryon_npy_read(ctx, path, &a) == TRYON_OK, "%s: %s", files[i].name,
                      tryon_ctx_last_error(ctx));
        assert_array(&a, files[i].ndim, files[i].dims, want, files[i].name);
        tryon_array_free(&a);
    }
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- rejections -------------------------------------------------------------------- */

#define DICT(descr, order, shape)                                                                  \
    "{'descr': '" descr "', 'fortran_order': " order ", 'shape': " shape ", }"

typedef struct bad_npy {
    const char *what;
    const char *raw; /* whole file (raw_len bytes) or NULL */
    size_t raw_len;
    int major, minor;
    const char *dict;
    int raw_header; /* dict used as is, without numpy's padding */
    long long hlen; /* length field override, -1 = actual */
    size_t n_data;  /* bytes of data after the header */
    tryon_status status;
    const char *msg; /* after "<path>: " */
} bad_npy;

static const bad_npy BAD[] = {
    {"empty file", "", 0, 0, 0, NULL, 0, -1, 0, TRYON_ERR_FORMAT, "not a .npy file (bad magic)"},
    {"short file", "\x93NUM", 4, 0, 0, NULL, 0, -1, 0, TRYON_ERR_FORMAT,
     "not a .npy file (bad magic)"},
    {"bad magic", "\x93NUMPX\x01\x00\x10\x00{}", 12, 0, 0, NULL, 0, -1, 0, TRYON_ERR_FORMAT,
     "not a .npy file (bad magic)"},
    {"no header length", "\x93NUMPY\x01\x00\x10", 9, 0, 0, NULL, 0, -1, 0, TRYON_ERR_FORMAT,
     "truncated .npy header"},
    {"version 0.0", NULL, 0, 0, 0, DICT("<f4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     ".npy format version 0.0"},
    {"version 4.0", NULL, 0, 4, 0, DICT("<f4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     ".npy format version 4.0"},
    {"version 1.1", NULL, 0, 1, 1, DICT("<f4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     ".npy format version 1.1"},
    {"version 2.5", NULL, 0, 2, 5, DICT("<f4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     ".npy format version 2.5"},
    {"header length 0", NULL, 0, 1, 0, DICT("<f4", "False", "(6,)"), 0, 0, 24, TRYON_ERR_FORMAT,
     "header length 0 out of range"},
    {"header length 0 (v2)", NULL, 0, 2, 0, DICT("<f4", "False", "(6,)"), 0, 0, 24,
     TRYON_ERR_FORMAT, "header length 0 out of range"},
    {"header too long", NULL, 0, 2, 0, DICT("<f4", "False", "(6,)"), 0, 65537, 24, TRYON_ERR_FORMAT,
     "header length 65537 out of range"},
    {"header length past the end", NULL, 0, 1, 0, DICT("<f4", "False", "(6,)"), 0, 60000, 24,
     TRYON_ERR_FORMAT, "truncated .npy header"},
    {"descr <f8", NULL, 0, 1, 0, DICT("<f8", "False", "(3,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     "dtype '<f8' is not supported (tryon reads little-endian float32 '<f4' only)"},
    {"descr >f4", NULL, 0, 1, 0, DICT(">f4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     "dtype '>f4' is not supported (tryon reads little-endian float32 '<f4' only)"},
    {"descr <i4", NULL, 0, 1, 0, DICT("<i4", "False", "(6,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     "dtype '<i4' is not supported (tryon reads little-endian float32 '<f4' only)"},
    {"descr |u1", NULL, 0, 1, 0, DICT("|u1", "False", "(24,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     "dtype '|u1' is not supported (tryon reads little-endian float32 '<f4' only)"},
    {"descr <f2", NULL, 0, 1, 0, DICT("<f2", "False", "(12,)"), 0, -1, 24, TRYON_ERR_UNSUPPORTED,
     "dtype '<f2' is not supported (tryon reads little-endian float32 '<f4' only)"},
    {"structured descr", NULL, 0, 1, 0,
     "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,), }", 0, -1, 24,
     TRYON_ERR_UNSUPPORTED,
     "structured dtypes are not supported (tryon reads little-endian float32 '<f4' only)"},
    {"fortran_order True", NULL, 0, 1, 0, DICT("<f4", "True", "(2, 3)"), 0, -1, 24,
     TRYON_ERR_UNSUPPORTED, "Fortran-order arrays are not supported (save C order)"},
    {"rank 5", NULL, 0, 1, 0, DICT("<f4", "False", "(1, 2, 1, 3, 1)"), 0, -1, 24,
     TRYON_ERR_UNSUPPORTED, "more than 4 dimensions"},
    {"dimension overflows int64", NULL, 0, 1, 0, DICT("<f4", "False", "(9223372036854775808,)"), 0,
     -1, 24, TRYON_ERR_FORMAT, "dimension overflows"},
    {"shape product overflows", NULL, 0, 1, 0, DICT("<f4", "False", "(4294967296, 4294967296)"), 0,
     -1, 24, TRYON_ERR_FORMAT, "shape overflows 64 bits"},
    {"shape bytes overflow", NULL, 0, 1, 0, DICT("<f4", "False", "(2305843009213693952, 2)"), 0, -1,
     24, TRYON_ERR_FORMAT, "shape overflows 64 bits"},
    {"data shorter than the shape", NULL, 0, 1, 0, DICT("<f4", "False", "(7,)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "shape needs 28 data bytes, file has 24"},
    {"data longer than the shape", NULL, 0, 1, 0, DICT("<f4", "False", "(5,)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "shape needs 20 data bytes, file has 24"},
    {"huge shape, no data", NULL, 0, 1, 0, DICT("<f4", "False", "(100000, 100000)"), 0, -1, 0,
     TRYON_ERR_FORMAT, "shape needs 40000000000 data bytes, file has 0"},
    {"unknown key", NULL, 0, 1, 0,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'extra': 1, }", 0, -1, 24,
     TRYON_ERR_FORMAT, "unknown header key 'extra'"},
    {"missing shape", NULL, 0, 1, 0, "{'descr': '<f4', 'fortran_order': False, }", 0, -1, 24,
     TRYON_ERR_FORMAT, "header lacks descr, fortran_order or shape"},
    {"missing descr", NULL, 0, 1, 0, "{'fortran_order': False, 'shape': (6,), }", 0, -1, 24,
     TRYON_ERR_FORMAT, "header lacks descr, fortran_order or shape"},
    {"empty dict", NULL, 0, 1, 0, "{}", 0, -1, 24, TRYON_ERR_FORMAT,
     "header lacks descr, fortran_order or shape"},
    {"syntax: not a dict", NULL, 0, 1, 0, "('<f4', False, (6,))", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 0"},
    {"syntax: unquoted key", NULL, 0, 1, 0, "{descr: '<f4'}", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 1"},
    {"syntax: missing colon", NULL, 0, 1, 0, "{'descr' '<f4'}", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 9"},
    {"syntax: unterminated string", NULL, 0, 1, 0, "{'descr': '<f4", 1, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 14"},
    {"syntax: unclosed dict", NULL, 0, 1, 0,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 118"}, /* at the end */
    {"syntax: shape (6) is not a tuple", NULL, 0, 1, 0, DICT("<f4", "False", "(6)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "malformed .npy header near byte 52"},
    {"syntax: shape is a list", NULL, 0, 1, 0, DICT("<f4", "False", "[6]"), 0, -1, 24,
     TRYON_ERR_FORMAT, "malformed .npy header near byte 50"},
    {"syntax: negative dimension", NULL, 0, 1, 0, DICT("<f4", "False", "(2, -3)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "malformed .npy header near byte 54"},
    {"syntax: double comma in shape", NULL, 0, 1, 0, DICT("<f4", "False", "(6,,)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "malformed .npy header near byte 53"},
    {"syntax: fortran_order 0", NULL, 0, 1, 0, DICT("<f4", "0", "(6,)"), 0, -1, 24,
     TRYON_ERR_FORMAT, "malformed .npy header near byte 34"},
    {"syntax: text after the dict", NULL, 0, 1, 0,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), } x", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 58"},
    {"syntax: a second dict", NULL, 0, 1, 0,
     "{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}{}", 0, -1, 24, TRYON_ERR_FORMAT,
     "malformed .npy header near byte 55"},
};
#define N_BAD ((int)(sizeof BAD / sizeof BAD[0]))

static void expect_read_error(tryon_ctx *ctx, const char *path, tryon_status status,
                              const char *msg, const char *what) {
    tryon_array a = {3, {1, 2, 3, 4}, (float *)1};
    tryon_status st = tryon_npy_read(ctx, path, &a);
    ck_assert_msg(st == status, "%s: status '%s', expected '%s' (%s)", what, tryon_status_str(st),
                  tryon_status_str(status), tryon_ctx_last_error(ctx));
    char want[1024];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    ck_assert_msg(!strcmp(tryon_ctx_last_error(ctx), want), "%s: message\n  '%s', expected\n  '%s'",
                  what, tryon_ctx_last_error(ctx), want);
    ck_assert_msg(a.data == NULL && a.ndim == 0, "%s: output not cleared", what);
}

START_TEST(npy_rejects_bad_file) {
    const bad_npy *c = &BAD[_i];
    char path[512];
    uint8_t zeros[64] = {0};
    if (c->raw)
        tu_write_file(tu_path(path, sizeof path, g_dir, "bad.npy"), c->raw, c->raw_len);
    else
        write_npy(path, sizeof path, "bad.npy", c->major, c->minor, c->dict, c->raw_header, c->hlen,
                  zeros, c->n_data);
    tryon_ctx *ctx = tu_ctx(1);
    expect_read_error(ctx, path, c->status, c->msg, c->what);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_rejects_missing_files_and_folders) {
    tryon_ctx *ctx = tu_ctx(1);
    char path[512];
    tu_path(path, sizeof path, g_dir, "absent.npy");
    expect_read_error(ctx, path, TRYON_ERR_IO, "cannot open (No such file or directory)",
                      "missing");
    expect_read_error(ctx, g_dir, TRYON_ERR_IO, "not a regular file", "folder");
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_respects_the_tensor_limit) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = 1;
    p.max_tensor_bytes = 16;
    tryon_ctx *ctx;
    char why[256], path[512];
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_OK);
    float data[5] = {1, 2, 3, 4, 5};
    write_npy(path, sizeof path, "four.npy", 1, 0, DICT("<f4", "False", "(2, 2)"), 0, -1, data, 16);
    tryon_array a;
    ck_assert_int_eq(tryon_npy_read(ctx, path, &a), TRYON_OK);
    tryon_array_free(&a);
    write_npy(path, sizeof path, "five.npy", 1, 0, DICT("<f4", "False", "(5,)"), 0, -1, data, 20);
    expect_read_error(ctx, path, TRYON_ERR_LIMIT, "array of 20 bytes exceeds the tensor limit 16",
                      "limit 16");
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_write_rejects_bad_arrays_and_paths) {
    tryon_ctx *ctx = tu_ctx(1);
    char path[512];
    tu_path(path, sizeof path, g_dir, "w.npy");
    float x[4] = {0};
    static const struct {
        tryon_array a;
        const char *msg;
    } bad[] = {
        {{5, {1, 1, 1, 1}, NULL}, "invalid array"},
        {{-1, {1, 1, 1, 1}, NULL}, "invalid array"},
        {{2, {2, -3, 1, 1}, NULL}, "invalid array dimension -3"},
        {{2, {INT64_MAX, 2, 1, 1}, NULL}, "invalid array dimension 9223372036854775807"},
        {{1, {4, 1, 1, 1}, NULL}, "array without data"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tryon_array a = bad[i].a;
        if (i == 2 || i == 3) a.data = x; /* with data: the shape alone is wrong */
        ck_assert_int_eq(tryon_npy_write(ctx, path, &a), TRYON_ERR_INVALID_ARG);
        char want[640];
        snprintf(want, sizeof want, "%s: %s", path, bad[i].msg);
        ck_assert_str_eq(tryon_ctx_last_error(ctx), want);
    }
    ck_assert_int_eq(tryon_npy_write(ctx, path, NULL), TRYON_ERR_INVALID_ARG);
    /* An empty array needs no data pointer. */
    tryon_array empty = {2, {0, 3, 1, 1}, NULL}, back;
    ck_assert_int_eq(tryon_npy_write(ctx, path, &empty), TRYON_OK);
    ck_assert_int_eq(tryon_npy_read(ctx, path, &back), TRYON_OK);
    ck_assert_int_eq(tryon_array_numel(&back), 0);
    tryon_array_free(&back);
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/missing/w.npy", g_dir);
    tryon_array ok = {1, {4, 1, 1, 1}, x};
    ck_assert_int_eq(tryon_npy_write(ctx, nodir, &ok), TRYON_ERR_IO);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "cannot create"));
    /* tryon_array_alloc validates the same way. */
    tryon_array a;
    int64_t s5[5] = {1, 1, 1, 1, 1}, neg[1] = {-1};
    ck_assert_int_eq(tryon_array_alloc(ctx, 5, s5, &a), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_array_alloc(ctx, 1, neg, &a), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(a.data);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(npy_read_fails_cleanly_at_every_allocation) {
    float data[6] = {1, 2, 3, 4, 5, 6};
    char path[512];
    write_npy(path, sizeof path, "oom.npy", 2, 0, DICT("<f4", "False", "(2, 3)"), 0, -1, data, 24);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_array a;
    int64_t before = tr_ctx_n_allocs(ctx);
    ck_assert_int_eq(tryon_npy_read(ctx, path, &a), TRYON_OK);
    int64_t n_allocs = tr_ctx_n_allocs(ctx) - before;
    tryon_array_free(&a);
    ck_assert_int_ge(n_allocs, 2); /* header text, array data */
    for (int64_t nth = 1; nth <= n_allocs; nth++) {
        tr_ctx_set_fail_alloc(ctx, nth);
        tryon_status st = tryon_npy_read(ctx, path, &a);
        tr_ctx_set_fail_alloc(ctx, 0);
        ck_assert_msg(st == TRYON_ERR_NOMEM, "allocation %lld: %s", (long long)nth,
                      tryon_ctx_last_error(ctx));
        ck_assert_ptr_null(a.data);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("npy");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, npy_round_trips_ranks_0_to_4);
    tcase_add_test(tc, npy_reads_versions_and_header_variants);
    tcase_add_test(tc, npy_reads_files_written_by_numpy);
    tcase_add_loop_test(tc, npy_rejects_bad_file, 0, N_BAD);
    tcase_add_test(tc, npy_rejects_missing_files_and_folders);
    tcase_add_test(tc, npy_respects_the_tensor_limit);
    tcase_add_test(tc, npy_write_rejects_bad_arrays_and_paths);
    tcase_add_test(tc, npy_read_fails_cleanly_at_every_allocation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
