/* fuzz_png.c — libFuzzer target: the PNG reader (runtime/png.c over libpng).
 *
 * An input is a whole file. An accepted image must respect the pixel limit
 * and have 1..4 channels; every pixel is read (ASan sees the buffer), the
 * image is converted to another channel count by a second read, and it is
 * written back with tryon_image_write_png and read again: the round trip
 * must give the same pixels bit for bit (8-bit PNG stores them exactly).
 *
 * Most mutations break a chunk's CRC, and libpng stops at the first bad CRC
 * of a critical chunk; libpng itself is Debian's build, not instrumented, so
 * coverage cannot guide mutations past it. An input whose CRCs are wrong is
 * therefore read twice: as is, then with every complete chunk's CRC fixed,
 * which lets mutated headers, palettes and image data reach the decoder and
 * tryon's conversions.
 * Seeds: the PNG files of tests/corpus (good and bad). */
#include "fuzz_common.h"

static uint32_t crc32_png(const uint8_t *p, size_t n) {
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Rewrites the CRC of every complete chunk; returns how many were wrong. */
static int fix_crcs(uint8_t *b, size_t n) {
    int fixed = 0;
    if (n < 8 || memcmp(b, "\x89PNG\r\n\x1a\n", 8)) return 0;
    for (size_t p = 8; p + 12 <= n;) {
        uint32_t len = be32(b + p);
        if (len > n - p - 12) break;
        uint32_t crc = crc32_png(b + p + 4, (size_t)len + 4);
        if (be32(b + p + 8 + len) != crc) {
            uint8_t *c = b + p + 8 + len;
            c[0] = (uint8_t)(crc >> 24), c[1] = (uint8_t)(crc >> 16);
            c[2] = (uint8_t)(crc >> 8), c[3] = (uint8_t)crc;
            fixed++;
        }
        p += (size_t)len + 12;
    }
    return fixed;
}

static void check_image(const tryon_image *img, int32_t want) {
    FUZZ_REQUIRE(img->width >= 1 && img->height >= 1 && img->data, "image %dx%d", img->width,
                 img->height);
    FUZZ_REQUIRE((int64_t)img->width * img->height <= ((int64_t)1 << 20), "%dx%d past the limit",
                 img->width, img->height);
    FUZZ_REQUIRE(img->channels >= 1 && img->channels <= 4, "%d channels", img->channels);
    FUZZ_REQUIRE(want == 0 || img->channels == want, "%d channels, %d wanted", img->channels, want);
    size_t n = (size_t)img->width * img->height * img->channels;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += img->data[i];
    (void)sum;
}

static void read_one(const uint8_t *data, size_t size) {
    tryon_ctx *ctx = fuzz_ctx();
    const char *path = fuzz_memfile(0, data, size);
    tryon_image img;
    memset(&img, 0xab, sizeof img); /* must come back zeroed on failure */
    fuzz_clear_error(ctx);
    tryon_status st = tryon_image_read_png(ctx, path, 0, &img);
    fuzz_check_status(ctx, st, "read_png");
    if (st != TRYON_OK) {
        FUZZ_REQUIRE(img.data == NULL && img.width == 0, "failed read left the image set");
        return;
    }
    check_image(&img, 0);

    /* Another channel count: the same decode, then the conversion. */
    int32_t want = 1 + (img.channels + img.width) % 4;
    tryon_image conv;
    fuzz_clear_error(ctx);
    st = tryon_image_read_png(ctx, path, want, &conv);
    fuzz_check_status(ctx, st, "read_png (converted)");
    FUZZ_REQUIRE(st == TRYON_OK, "a second read failed: %s", tryon_ctx_last_error(ctx));
    check_image(&conv, want);
    FUZZ_REQUIRE(conv.width == img.width && conv.height == img.height, "size changed");
    tryon_image_free(&conv);

    /* Round trip through the writer. */
    const char *out = fuzz_memfile(1, "", 0);
    fuzz_clear_error(ctx);
    st = tryon_image_write_png(ctx, out, &img);
    fuzz_check_status(ctx, st, "write_png");
    FUZZ_REQUIRE(st == TRYON_OK, "write failed: %s", tryon_ctx_last_error(ctx));
    tryon_image back;
    fuzz_clear_error(ctx);
    st = tryon_image_read_png(ctx, out, 0, &back);
    FUZZ_REQUIRE(st == TRYON_OK, "re-read failed: %s", tryon_ctx_last_error(ctx));
    FUZZ_REQUIRE(back.width == img.width && back.height == img.height &&
                     back.channels == img.channels,
                 "round trip changed %dx%dx%d into %dx%dx%d", img.width, img.height, img.channels,
                 back.width, back.height, back.channels);
    FUZZ_REQUIRE(!memcmp(back.data, img.data, (size_t)img.width * img.height * img.channels),
                 "round trip changed the pixels");
    tryon_image_free(&back);
    tryon_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_one(data, size);
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_REQUIRE(copy != NULL, "out of memory");
    memcpy(copy, data, size);
    if (fix_crcs(copy, size)) read_one(copy, size);
    free(copy);
    return 0;
}
