/* test_image.c — PNG reading and writing (runtime/png.c).
 *
 * Every PNG kind is generated here with libpng's writer from sample values
 * the test chooses (gray 1/2/4/8/16 bits, gray+alpha 8/16, RGB 8/16, RGBA
 * 8/16, palette 1/2/4/8 bits with and without tRNS, tRNS on gray and RGB),
 * plain and Adam7-interlaced, and the decoded 8-bit pixels are compared
 * exactly with values computed from those samples by the PNG rules:
 *   - gray below 8 bits scales by 255 / (2^d - 1) (an exact integer factor);
 *   - 16-bit samples go to round(V * 255 / 65535) = floor((2V + 257) / 514):
 *     libpng's png_set_scale_16 is exact for all 65536 inputs (pngrtran.c,
 *     png_do_scale_16_to_8), which scale_16_rounds_every_value checks;
 *   - palette indices become the palette's RGB, tRNS gives alpha (255 past
 *     the tRNS entries); tRNS on gray/RGB gives alpha 0 where the sample
 *     equals the key (compared at the file's bit depth), else 255;
 *   - want_channels: gray -> RGB replicates, RGB -> gray is BT.601 luma
 *     round(0.299 R + 0.587 G + 0.114 B), alpha is dropped or added as 255.
 * All of this is integer arithmetic: comparisons are exact.
 *
 * Corrupt files (bad signature, truncation inside IDAT, bad CRC, zero or huge
 * IHDR sizes) are made by editing a valid file, re-computing the chunk CRC
 * with the CRC-32 written below. Real photos (../shared/data/images) are
 * compared with tests/ref/png_decode.py, a decoder built on Python's zlib. */
#include <png.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tu_files.h"
#include "util.h"

static char g_dir[256];

static void setup(void) { tu_mkdtemp(g_dir, sizeof g_dir); }
static void teardown(void) { tu_rmtree(g_dir); }

/* ---- writing test PNGs with libpng ---------------------------------------- */

typedef struct png_spec {
    int width, height;
    int color_type; /* PNG_COLOR_TYPE_* */
    int bit_depth;
    int interlace;            /* PNG_INTERLACE_NONE / ADAM7 */
    const uint16_t *samples;  /* height*width*channels(file) values at bit_depth */
    const png_color *palette; /* palette images */
    int n_palette;
    const uint8_t *trans; /* palette alpha entries */
    int n_trans;
    int has_key;     /* tRNS key for gray/RGB */
    uint16_t key[3]; /* gray, or R G B, at bit_depth */
} png_spec;

static int file_channels(int color_type) {
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1; /* palette: one index */
    }
}

static void write_error(png_structp png, png_const_charp msg) {
    (void)png;
    ck_abort_msg("libpng writer: %s", msg);
}

static void write_png(const char *path, const png_spec *s) {
    int ch = file_channels(s->color_type), d = s->bit_depth;
    size_t rowbytes = ((size_t)s->width * ch * d + 7) / 8;
    png_bytep data = calloc((size_t)s->height, rowbytes);
    png_bytep *rows = malloc((size_t)s->height * sizeof *rows);
    /* Pack samples big-endian, most significant bits first (PNG order). */
    for (int y = 0; y < s->height; y++) {
        rows[y] = data + (size_t)y * rowbytes;
        for (int i = 0; i < s->width * ch; i++) {
            uint16_t v = s->samples[(size_t)y * s->width * ch + i];
            if (d == 16) {
                rows[y][2 * i] = (png_byte)(v >> 8);
                rows[y][2 * i + 1] = (png_byte)v;
            } else {
                int bit = i * d;
                rows[y][bit / 8] |= (png_byte)(v << (8 - d - bit % 8));
            }
        }
    }
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, write_error, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->width, (png_uint_32)s->height, d, s->color_type,
                 s->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette) png_set_PLTE(png, info, s->palette, s->n_palette);
    if (s->trans) png_set_tRNS(png, info, s->trans, s->n_trans, NULL);
    if (s->has_key) {
        png_color_16 c = {0, s->key[0], s->key[1], s->key[2], s->key[0]};
        png_set_tRNS(png, info, NULL, 0, &c);
    }
    png_write_info(png, info);
    png_write_image(png, rows); /* does the Adam7 passes when interlaced */
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    ck_assert_int_eq(fclose(f), 0);
    free(rows);
    free(data);
}

/* ---- the expected decoding ---------------------------------------------------- */

static uint8_t to8(uint16_t v, int depth) {
    if (depth == 16) return (uint8_t)((2u * v + 257u) / 514u); /* round(v / 257), no ties */
    return (uint8_t)(v * (255u / ((1u << depth) - 1u)));
}

/* Decoded image as the reader should produce it with want_channels = 0. */
static uint8_t *expected_pixels(const png_spec *s, int *channels) {
    int ch = file_channels(s->color_type), d = s->bit_depth;
    int out_ch = ch;
    if (s->color_type == PNG_COLOR_TYPE_PALETTE)
        out_ch = s->trans ? 4 : 3;
    else if (s->has_key)
        out_ch = ch + 1;
    size_t n = (size_t)s->width * s->height;
    uint8_t *e = malloc(n * out_ch);
    for (size_t p = 0; p < n; p++) {
        const uint16_t *v = s->samples + p * ch;
        uint8_t *o = e + p * out_ch;
        if (s->color_type == PNG_COLOR_TYPE_PALETTE) {
            png_color c = s->palette[v[0]];
            o[0] = c.red, o[1] = c.green, o[2] = c.blue;
            if (s->trans) o[3] = v[0] < s->n_trans ? s->trans[v[0]] : 255;
            continue;
        }
        for (int c = 0; c < ch; c++) o[c] = to8(v[c], d);
        if (s->has_key) {
            int match = 1;
            for (int c = 0; c < ch; c++) match &= v[c] == s->key[c];
            o[ch] = match ? 0 : 255;
        }
    }
    *channels = out_ch;
    return e;
}

/* want_channels conversion of an interleaved 8-bit image, from first principles. */
static uint8_t *convert(const uint8_t *src, size_t n, int cin, int want) {
    uint8_t *out = malloc(n * want);
    for (size_t p = 0; p < n; p++) {
        const uint8_t *s = src + p * cin;
        uint8_t *o = out + p * want;
        int has_alpha = cin == 2 || cin == 4;
        int r = s[0], g = cin >= 3 ? s[1] : s[0], b = cin >= 3 ? s[2] : s[0];
        int a = has_alpha ? s[cin - 1] : 255;
        if (want >= 3) {
            o[0] = (uint8_t)r, o[1] = (uint8_t)g, o[2] = (uint8_t)b;
            if (want == 4) o[3] = (uint8_t)a;
        } else {
            /* BT.601 luma, rounded half up; (integer sum)/1000 + 0.5 is exact at ties. */
            double y = cin >= 3 ? (299.0 * r + 587.0 * g + 114.0 * b) / 1000.0 : r;
            o[0] = (uint8_t)(y + 0.5);
            if (want == 2) o[1] = (uint8_t)a;
        }
    }
    return out;
}

static void assert_image(const tryon_image *img, const uint8_t *want, int w, int h, int ch,
                         const char *what) {
    ck_assert_msg(img->width == w && img->height == h && img->channels == ch,
                  "%s: decoded %dx%dx%d, expected %dx%dx%d", what, img->width, img->height,
                  img->channels, w, h, ch);
    for (size_t i = 0; i < (size_t)w * h * ch; i++)
        ck_assert_msg(img->data[i] == want[i], "%s: pixel (%zu, %zu) channel %zu: got %d want %d",
                      what, i / ch % w, i / ch / w, i % ch, img->data[i], want[i]);
}

/* ---- every PNG kind ------------------------------------------------------------ */

typedef struct kind {
    const char *name;
    int color_type, bit_depth;
    int palette; /* number of palette entries (palette kinds) */
    int n_trans; /* palette tRNS entries, 0 = none */
    int key;     /* 1: tRNS key on gray/RGB */
} kind;

static const kind KINDS[] = {
    {"gray1", PNG_COLOR_TYPE_GRAY, 1, 0, 0, 0},
    {"gray2", PNG_COLOR_TYPE_GRAY, 2, 0, 0, 0},
    {"gray4", PNG_COLOR_TYPE_GRAY, 4, 0, 0, 0},
    {"gray8", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 0},
    {"gray16", PNG_COLOR_TYPE_GRAY, 16, 0, 0, 0},
    {"gray+alpha8", PNG_COLOR_TYPE_GRAY_ALPHA, 8, 0, 0, 0},
    {"gray+alpha16", PNG_COLOR_TYPE_GRAY_ALPHA, 16, 0, 0, 0},
    {"rgb8", PNG_COLOR_TYPE_RGB, 8, 0, 0, 0},
    {"rgb16", PNG_COLOR_TYPE_RGB, 16, 0, 0, 0},
    {"rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, 0, 0},
    {"rgba16", PNG_COLOR_TYPE_RGB_ALPHA, 16, 0, 0, 0},
    {"palette1", PNG_COLOR_TYPE_PALETTE, 1, 2, 0, 0},
    {"palette2", PNG_COLOR_TYPE_PALETTE, 2, 3, 0, 0},
    {"palette4", PNG_COLOR_TYPE_PALETTE, 4, 16, 0, 0},
    {"palette8", PNG_COLOR_TYPE_PALETTE, 8, 256, 0, 0},
    {"palette2+tRNS", PNG_COLOR_TYPE_PALETTE, 2, 4, 2, 0},
    {"palette8+tRNS", PNG_COLOR_TYPE_PALETTE, 8, 200, 150, 0},
    {"gray2+tRNS", PNG_COLOR_TYPE_GRAY, 2, 0, 0, 1},
    {"gray8+tRNS", PNG_COLOR_TYPE_GRAY, 8, 0, 0, 1},
    {"gray16+tRNS", PNG_COLOR_TYPE_GRAY, 16, 0, 0, 1},
    {"rgb8+tRNS", PNG_COLOR_TYPE_RGB, 8, 0, 0, 1},
    {"rgb16+tRNS", PNG_COLOR_TYPE_RGB, 16, 0, 0, 1},
};
#define N_KINDS ((int)(sizeof KINDS / sizeof KINDS[0]))

/* Sizes: odd widths leave partial bytes at low depths and partial Adam7
 * blocks; 1x1 and 1-wide/1-tall images leave most Adam7 passes empty. */
static const int SIZES[][2] = {{13, 7}, {1, 1}, {1, 9}, {10, 1}, {16, 16}};
#define N_SIZES ((int)(sizeof SIZES / sizeof SIZES[0]))

/* Builds a spec with random samples; the caller frees spec->samples etc. */
static void make_spec(png_spec *s, const kind *k, int w, int h, int interlace, uint64_t seed) {
    memset(s, 0, sizeof *s);
    s->width = w, s->height = h;
    s->color_type = k->color_type, s->bit_depth = k->bit_depth, s->interlace = interlace;
    tu_rng r;
    tu_rng_seed(&r, seed);
    int ch = file_channels(k->color_type);
    int32_t max = k->palette ? k->palette - 1 : (1 << k->bit_depth) - 1;
    uint16_t *v = malloc((size_t)w * h * ch * sizeof *v);
    for (size_t i = 0; i < (size_t)w * h * ch; i++) v[i] = (uint16_t)tu_rng_int(&r, 0, max);
    if (k->palette) {
        png_color *pal = malloc((size_t)k->palette * sizeof *pal);
        for (int i = 0; i < k->palette; i++)
            pal[i].red = (png_byte)tu_rng_int(&r, 0, 255),
            pal[i].green = (png_byte)tu_rng_int(&r, 0, 255),
            pal[i].blue = (png_byte)tu_rng_int(&r, 0, 255);
        s->palette = pal, s->n_palette = k->palette;
        if (k->n_trans) {
            uint8_t *t = malloc((size_t)k->n_trans);
            for (int i = 0; i < k->n_trans; i++) t[i] = (uint8_t)tu_rng_int(&r, 0, 255);
            s->trans = t, s->n_trans = k->n_trans;
        }
    }
    if (k->key) {
        /* Key = the first pixel, so at least one pixel is transparent; a
         * second pixel differs from it in one channel only (when there is
         * one) to check that every channel takes part in the match. */
        s->has_key = 1;
        for (int c = 0; c < ch; c++) s->key[c] = v[c];
        if ((size_t)w * h > 1) {
            for (int c = 0; c < ch; c++) v[ch + c] = v[c];
            v[ch + ch - 1] = (uint16_t)(v[ch + ch - 1] ^ 1);
        }
    }
    s->samples = v;
}

static void free_spec(png_spec *s) {
    free((void *)s->samples);
    free((void *)s->palette);
    free((void *)s->trans);
}

START_TEST(png_decodes_every_kind) {
    /* _i = kind x size x interlace */
    const kind *k = &KINDS[_i / (2 * N_SIZES)];
    int size = _i / 2 % N_SIZES, interlace = _i % 2 ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE;
    int w = SIZES[size][0], h = SIZES[size][1];
    png_spec s;
    make_spec(&s, k, w, h, interlace, 1000 + (uint64_t)_i);
    char path[512], what[96];
    snprintf(what, sizeof what, "%s %dx%d%s", k->name, w, h, interlace ? " interlaced" : "");
    tu_path(path, sizeof path, g_dir, "k.png");
    write_png(path, &s);
    int ch;
    uint8_t *want = expected_pixels(&s, &ch);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_image img;
    ck_assert_msg(tryon_image_read_png(ctx, path, 0, &img) == TRYON_OK, "%s: %s", what,
                  tryon_ctx_last_error(ctx));
    assert_image(&img, want, w, h, ch, what);
    tryon_image_free(&img);
    /* Every want_channels conversion of the same file. */
    for (int wc = 1; wc <= 4; wc++) {
        char what2[128];
        snprintf(what2, sizeof what2, "%s as %d channels", what, wc);
        uint8_t *conv = convert(want, (size_t)w * h, ch, wc);
        ck_assert_msg(tryon_image_read_png(ctx, path, wc, &img) == TRYON_OK, "%s: %s", what2,
                      tryon_ctx_last_error(ctx));
        assert_image(&img, conv, w, h, wc, what2);
        tryon_image_free(&img);
        free(conv);
    }
    free(want);
    free_spec(&s);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(scale_16_rounds_every_value) {
    /* A 256x256 16-bit gray image holding every value once (V = 256 y + x):
     * the 8-bit result is round(V / 257); V >> 8 (libpng's strip_16) would
     * differ for 32640 of them, e.g. V = 255 -> 1, V = 65280 -> 254. */
    uint16_t *v = malloc(65536 * sizeof *v);
    for (uint32_t i = 0; i < 65536; i++) v[i] = (uint16_t)i;
    png_spec s = {.width = 256,
                  .height = 256,
                  .color_type = PNG_COLOR_TYPE_GRAY,
                  .bit_depth = 16,
                  .samples = v};
    char path[512];
    write_png(tu_path(path, sizeof path, g_dir, "all16.png"), &s);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_image img;
    ck_assert_int_eq(tryon_image_read_png(ctx, path, 0, &img), TRYON_OK);
    ck_assert_int_eq(img.channels, 1);
    int differs_from_shift = 0;
    for (uint32_t i = 0; i < 65536; i++) {
        double exact = i * 255.0 / 65535.0; /* never exactly halfway: 2i + 257 is odd */
        int want = (int)(exact + 0.5);
        ck_assert_msg(img.data[i] == want, "V = %u: got %d, round(V*255/65535) = %d", i,
                      img.data[i], want);
        differs_from_shift += want != (int)(i >> 8);
    }
    ck_assert_int_eq(img.data[255], 1);
    ck_assert_int_eq(img.data[65280], 254);
    ck_assert_int_gt(differs_from_shift, 0);
    tryon_image_free(&img);
    tryon_ctx_free(ctx);
    free(v);
}
END_TEST

START_TEST(png_write_read_round_trip) {
    tu_rng r;
    tu_rng_seed(&r, 77);
    tryon_ctx *ctx = tu_ctx(1);
    for (int32_t c = 1; c <= 4; c++)
        for (int rep = 0; rep < 3; rep++) {
            int32_t w = rep == 0 ? 1 : tu_rng_int(&r, 1, 70),
                    h = rep == 0 ? 1 : tu_rng_int(&r, 1, 40);
            tryon_image a, b;
            ck_assert_int_eq(tryon_image_alloc(ctx, w, h, c, &a), TRYON_OK);
            for (int64_t i = 0; i < (int64_t)w * h * c; i++)
                a.data[i] = (uint8_t)tu_rng_int(&r, 0, 255);
            char path[512];
            tu_path(path, sizeof path, g_dir, "rt.png");
            ck_assert_msg(tryon_image_write_png(ctx, path, &a) == TRYON_OK, "%s",
                          tryon_ctx_last_error(ctx));
            ck_assert_int_eq(tryon_image_read_png(ctx, path, 0, &b), TRYON_OK);
            char what[64];
            snprintf(what, sizeof what, "round trip %dx%dx%d", w, h, c);
            assert_image(&b, a.data, w, h, c, what);
            tryon_image_free(&a);
            tryon_image_free(&b);
            ck_assert_ptr_null(b.data); /* free zeroes the struct */
        }
    tryon_image_free(NULL);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(png_write_rejects_bad_images_and_paths) {
    tryon_ctx *ctx = tu_ctx(1);
    char path[512];
    tu_path(path, sizeof path, g_dir, "w.png");
    uint8_t px[4] = {0};
    tryon_image bad[] = {
        {0, 1, 3, px}, {1, 0, 3, px}, {1, 1, 0, px}, {1, 1, 5, px}, {1, 1, 3, NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(tryon_image_write_png(ctx, path, &bad[i]), TRYON_ERR_INVALID_ARG);
        ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "invalid image"));
    }
    tryon_image ok = {1, 1, 4, px};
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/missing/w.png", g_dir);
    ck_assert_int_eq(tryon_image_write_png(ctx, nodir, &ok), TRYON_ERR_IO);
    ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "cannot create"));
    tryon_image img;
    ck_assert_int_eq(tryon_image_alloc(ctx, 0, 5, 3, &img), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_image_alloc(ctx, 3, 3, 5, &img), TRYON_ERR_INVALID_ARG);
    ck_assert_int_eq(tryon_image_alloc(ctx, 1 << 20, 1 << 20, 1, &img), TRYON_ERR_LIMIT);
    ck_assert_ptr_null(img.data);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- corrupt files ------------------------------------------------------------ */

/* CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320), bitwise. */
static uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

/* Offset of the first chunk of this type (its length field). */
static size_t chunk_at(const uint8_t *d, size_t n, const char *type) {
    for (size_t pos = 8; pos + 8 <= n; pos += 12 + be32(d + pos))
        if (!memcmp(d + pos + 4, type, 4)) return pos;
    ck_abort_msg("no %s chunk", type);
    return 0;
}

/* Recomputes the CRC of the chunk at pos after its data was edited. */
static void fix_crc(uint8_t *d, size_t pos) {
    uint32_t len = be32(d + pos);
    put_be32(d + pos + 8 + len, crc32_of(d + pos + 4, 4 + len));
}

/* A valid 8x6 RGB PNG written by libpng, as bytes (free them). */
static uint8_t *valid_png(size_t *n) {
    png_spec s;
    make_spec(&s, &KINDS[7], 8, 6, PNG_INTERLACE_NONE, 5);
    char path[512];
    write_png(tu_path(path, sizeof path, g_dir, "valid.png"), &s);
    free_spec(&s);
    return tu_read_file(path, n);
}

static void expect_read_error(tryon_ctx *ctx, const char *path, tryon_status status,
                              const char *msg, const char *what) {
    tryon_image img = {7, 7, 7, (uint8_t *)1};
    tryon_status st = tryon_image_read_png(ctx, path, 0, &img);
    ck_assert_msg(st == status, "%s: status '%s', expected '%s' (%s)", what, tryon_status_str(st),
                  tryon_status_str(status), tryon_ctx_last_error(ctx));
    char want[1024];
    snprintf(want, sizeof want, "%s: %s", path, msg);
    ck_assert_msg(!strcmp(tryon_ctx_last_error(ctx), want), "%s: message\n  '%s', expected\n  '%s'",
                  what, tryon_ctx_last_error(ctx), want);
    ck_assert_msg(img.data == NULL && img.width == 0 && img.height == 0 && img.channels == 0,
                  "%s: output not cleared", what);
}

START_TEST(png_rejects_corrupt_files) {
    size_t n;
    uint8_t *ok = valid_png(&n);
    uint8_t *b = malloc(n + 64);
    size_t idat = chunk_at(ok, n, "IDAT"), idat_len = be32(ok + idat),
           iend = chunk_at(ok, n, "IEND");
    tryon_ctx *ctx = tu_ctx(1);
    char path[512];
    tu_path(path, sizeof path, g_dir, "bad.png");
    struct {
        const char *what, *msg;
        size_t len; /* bytes of b to write */
    } c;
#define CASE(w, l, m)                                                                              \
    do {                                                                                           \
        c.what = (w), c.len = (l), c.msg = (m);                                                    \
        tu_write_file(path, b, c.len);                                                             \
        expect_read_error(ctx, path, TRYON_ERR_FORMAT, c.msg, c.what);                             \
        memcpy(b, ok, n);                                                                          \
    } while (0)
    memcpy(b, ok, n);
    CASE("empty file", 0, "not a PNG file (bad signature)");
    CASE("7 bytes", 7, "not a PNG file (bad signature)");
    b[1] = 'Q';
    CASE("bad signature", n, "not a PNG file (bad signature)");
    CASE("signature only", 8, "corrupt PNG (Read Error)");
    CASE("truncated inside IHDR", 8 + 8 + 6, "corrupt PNG (Read Error)");
    CASE("truncated inside IDAT", idat + 8 + idat_len / 2, "corrupt PNG (Read Error)");
    CASE("truncated before IEND", iend, "corrupt PNG (Read Error)");
    b[idat + 8 + idat_len] ^= 0x01;
    CASE("bad IDAT CRC", n, "corrupt PNG (IDAT: CRC error)");
    b[8 + 8 + 2] ^= 0x10;
    CASE("bad IHDR CRC", n, "corrupt PNG (IHDR: CRC error)");
    put_be32(b + 16, 0), fix_crc(b, 8);
    CASE("zero width", n, "corrupt PNG (Invalid IHDR data)");
    put_be32(b + 20, 0), fix_crc(b, 8);
    CASE("zero height", n, "corrupt PNG (Invalid IHDR data)");
    b[8 + 8 + 8] = 3, fix_crc(b, 8); /* bit depth 3 */
    CASE("bit depth 3", n, "corrupt PNG (Invalid IHDR data)");
    b[8 + 8 + 9] = 1, fix_crc(b, 8); /* color type 1 */
    CASE("color type 1", n, "corrupt PNG (Invalid IHDR data)");
    b[idat + 9] ^= 0x01, fix_crc(b, idat); /* zlib FLG: the header checksum fails */
    CASE("IDAT not zlib", n, "corrupt PNG (IDAT: incorrect header check)");
#undef CASE
    free(b);
    free(ok);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(png_huge_ihdr_is_a_limit_error_before_allocating) {
    /* A valid file whose IHDR claims huge sizes (CRC fixed): refused from the
     * header alone with TRYON_ERR_LIMIT, before the reader allocates pixels:
     * the only allocations are libpng's own structures (through the context's
     * hooks), as many whatever the size claimed, and the claimed 40 GB would
     * not fit anyway. */
    size_t n;
    uint8_t *b = valid_png(&n);
    static const uint32_t dims[][2] = {
        {100000, 100000}, {0x7fffffff, 0x7fffffff}, {0x7fffffff, 1}, {1, 0x7fffffff}, {8193, 8192}};
    tryon_ctx *ctx = tu_ctx(1);
    char path[512], msg[128];
    int64_t libpng_allocs = 0;
    tu_path(path, sizeof path, g_dir, "huge.png");
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        put_be32(b + 16, dims[i][0]);
        put_be32(b + 20, dims[i][1]);
        fix_crc(b, 8);
        tu_write_file(path, b, n);
        int64_t before = tr_ctx_n_allocs(ctx);
        snprintf(msg, sizeof msg, "%ux%u pixels exceed the limit of 67108864", dims[i][0],
                 dims[i][1]);
        expect_read_error(ctx, path, TRYON_ERR_LIMIT, msg, msg);
        int64_t n_allocs = tr_ctx_n_allocs(ctx) - before;
        if (i == 0) libpng_allocs = n_allocs;
        ck_assert_int_le(n_allocs, 4); /* png_struct, info, chunk buffers */
        ck_assert_int_eq(n_allocs, libpng_allocs);
    }
    /* Past the PNG maximum of 2^31 - 1 the IHDR itself is invalid. */
    put_be32(b + 16, 0x80000000u);
    fix_crc(b, 8);
    tu_write_file(path, b, n);
    expect_read_error(ctx, path, TRYON_ERR_FORMAT,
                      "corrupt PNG (PNG unsigned integer out of range)", "width 2^31");
    free(b);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(png_respects_a_custom_pixel_limit) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = 1;
    p.max_image_pixels = 100;
    tryon_ctx *ctx;
    char why[256];
    ck_assert_int_eq(tryon_ctx_init(&p, &ctx, why, sizeof why), TRYON_OK);
    static const int sizes[][3] = {{10, 10, 1}, {100, 1, 1}, {1, 100, 1}, {11, 10, 0},
                                   {10, 11, 0}, {101, 1, 0}, {1, 101, 0}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        png_spec s;
        make_spec(&s, &KINDS[3], sizes[i][0], sizes[i][1], PNG_INTERLACE_NONE, i);
        char path[512], msg[96];
        write_png(tu_path(path, sizeof path, g_dir, "lim.png"), &s);
        free_spec(&s);
        tryon_image img;
        if (sizes[i][2]) {
            ck_assert_msg(tryon_image_read_png(ctx, path, 3, &img) == TRYON_OK, "%dx%d: %s",
                          sizes[i][0], sizes[i][1], tryon_ctx_last_error(ctx));
            tryon_image_free(&img);
        } else {
            snprintf(msg, sizeof msg, "%dx%d pixels exceed the limit of 100", sizes[i][0],
                     sizes[i][1]);
            expect_read_error(ctx, path, TRYON_ERR_LIMIT, msg, msg);
        }
    }
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(png_read_rejects_bad_arguments_and_paths) {
    tryon_ctx *ctx = tu_ctx(1);
    size_t n;
    uint8_t *b = valid_png(&n);
    free(b);
    char path[512];
    tu_path(path, sizeof path, g_dir, "valid.png");
    tryon_image img;
    ck_assert_int_eq(tryon_image_read_png(ctx, path, 5, &img), TRYON_ERR_INVALID_ARG);
    ck_assert_str_eq(tryon_ctx_last_error(ctx), "channels must be 0..4");
    ck_assert_int_eq(tryon_image_read_png(ctx, path, -1, &img), TRYON_ERR_INVALID_ARG);
    ck_assert_ptr_null(img.data);
    tu_path(path, sizeof path, g_dir, "absent.png");
    expect_read_error(ctx, path, TRYON_ERR_IO, "cannot open (No such file or directory)",
                      "missing");
    expect_read_error(ctx, g_dir, TRYON_ERR_IO, "not a regular file", "folder");
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(png_read_fails_cleanly_at_every_allocation) {
    /* Count the allocations of a read with a channel conversion, then fail
     * each in turn: NOMEM, a cleared image, nothing leaked (LSan). */
    png_spec s;
    make_spec(&s, &KINDS[16], 9, 5, PNG_INTERLACE_ADAM7, 3); /* palette8+tRNS -> RGBA -> gray */
    char path[512];
    write_png(tu_path(path, sizeof path, g_dir, "oom.png"), &s);
    free_spec(&s);
    tryon_ctx *ctx = tu_ctx(1);
    tryon_image img;
    int64_t before = tr_ctx_n_allocs(ctx);
    ck_assert_int_eq(tryon_image_read_png(ctx, path, 1, &img), TRYON_OK);
    int64_t n_allocs = tr_ctx_n_allocs(ctx) - before;
    tryon_image_free(&img);
    ck_assert_int_ge(n_allocs, 6); /* libpng's structures, pixels, rows, converted pixels */
    for (int64_t nth = 1; nth <= n_allocs; nth++) {
        tr_ctx_set_fail_alloc(ctx, nth);
        tryon_status st = tryon_image_read_png(ctx, path, 1, &img);
        tr_ctx_set_fail_alloc(ctx, 0);
        ck_assert_msg(st == TRYON_ERR_NOMEM, "allocation %lld: %s", (long long)nth,
                      tryon_ctx_last_error(ctx));
        ck_assert_ptr_null(img.data);
        ck_assert_ptr_nonnull(strstr(tryon_ctx_last_error(ctx), "out of memory"));
    }
    tr_ctx_set_fail_alloc(ctx, n_allocs + 1);
    ck_assert_int_eq(tryon_image_read_png(ctx, path, 1, &img), TRYON_OK);
    tr_ctx_set_fail_alloc(ctx, 0);
    tryon_image_free(&img);
    tryon_ctx_free(ctx);
}
END_TEST

/* ---- real photos ------------------------------------------------------------------ */

static const struct {
    const char *file;
    int width, height; /* from ../shared/data/README.md */
} PHOTOS[] = {
    {"images/astronaut.png", 512, 512},
    {"images/ai-body.png", 1200, 1200},
    {"images/ai-upper.png", 688, 720},
};

START_TEST(real_photos_match_an_independent_decoder) {
    char path[1024];
    if (!tu_data_file(PHOTOS[_i].file, path, sizeof path)) {
        tu_skip("real_photos_match_an_independent_decoder", "../shared/data/images not found");
        return;
    }
    tryon_ctx *ctx = tu_ctx(1);
    tryon_image img;
    ck_assert_msg(tryon_image_read_png(ctx, path, 0, &img) == TRYON_OK, "%s",
                  tryon_ctx_last_error(ctx));
    ck_assert_int_eq(img.width, PHOTOS[_i].width);
    ck_assert_int_eq(img.height, PHOTOS[_i].height);
    ck_assert_int_eq(img.channels, 3);
    const char *py = tu_python_numpy();
    if (!py || access("tests/ref/png_decode.py", R_OK) != 0) {
        tu_skip("real_photos_match_an_independent_decoder",
                "python3 with numpy or tests/ref/png_decode.py not found: sizes checked only");
    } else {
        char raw[512], cmd[2048];
        tu_path(raw, sizeof raw, g_dir, "photo.raw");
        snprintf(cmd, sizeof cmd, "'%s' tests/ref/png_decode.py '%s' '%s' >/dev/null", py, path,
                 raw);
        ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
        size_t n;
        uint8_t *want = tu_read_file(raw, &n);
        ck_assert_uint_eq(n, (size_t)img.width * img.height * 3);
        assert_image(&img, want, img.width, img.height, 3, PHOTOS[_i].file);
        free(want);
    }
    /* Gray conversion of a real photo, against the luma formula. */
    tryon_image gray;
    ck_assert_int_eq(tryon_image_read_png(ctx, path, 1, &gray), TRYON_OK);
    uint8_t *want = convert(img.data, (size_t)img.width * img.height, 3, 1);
    assert_image(&gray, want, img.width, img.height, 1, "gray");
    free(want);
    tryon_image_free(&gray);
    tryon_image_free(&img);
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("png");
    tcase_set_timeout(tc, 180);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, png_decodes_every_kind, 0, N_KINDS * N_SIZES * 2);
    tcase_add_test(tc, scale_16_rounds_every_value);
    tcase_add_test(tc, png_write_read_round_trip);
    tcase_add_test(tc, png_write_rejects_bad_images_and_paths);
    tcase_add_test(tc, png_rejects_corrupt_files);
    tcase_add_test(tc, png_huge_ihdr_is_a_limit_error_before_allocating);
    tcase_add_test(tc, png_respects_a_custom_pixel_limit);
    tcase_add_test(tc, png_read_rejects_bad_arguments_and_paths);
    tcase_add_test(tc, png_read_fails_cleanly_at_every_allocation);
    tcase_add_loop_test(tc, real_photos_match_an_independent_decoder, 0,
                        (int)(sizeof PHOTOS / sizeof PHOTOS[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
