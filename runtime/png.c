/* png.c — PNG read/write through libpng.
 *
 * Reading normalises every PNG kind to 8-bit samples: palette -> RGB (RGBA
 * with tRNS), gray below 8 bits -> 8 bits, tRNS -> alpha, 16 bits -> 8 bits
 * (libpng's png_set_scale_16, i.e. rounded), interlaced passes merged. The
 * image size is checked against the context's pixel limit from the IHDR
 * before anything is allocated, and libpng's own user limits are set too;
 * ancillary chunks other than tRNS are skipped unread. libpng allocates
 * through the context's hooks (alloc.c).
 * libpng reports errors by longjmp: everything that must survive the jump is
 * volatile or owned by the jmp_buf's frame, and the error text is kept. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <string.h>

#include "file.h"
#include "internal.h"

typedef struct png_err {
    char msg[200];
    tryon_ctx *ctx;
    int oom; /* an allocation failed: the error is NOMEM, not FORMAT */
} png_err;

static void on_error(png_structp png, png_const_charp msg) {
    png_err *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* libpng allocates through the context too, so that the out-of-memory tests
 * (the n-th allocation fails) reach its allocations as well. */
static png_voidp on_malloc(png_structp png, png_alloc_size_t size) {
    png_err *e = png_get_mem_ptr(png);
    void *p = tr_mem_alloc(e->ctx, size);
    if (!p) e->oom = 1;
    return p;
}

static void on_free(png_structp png, png_voidp p) {
    (void)png;
    tr_mem_free(p);
}

static void on_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg; /* warnings (bad CRC in an ancillary chunk...) are not errors */
}

void tryon_image_free(tryon_image *img) {
    if (!img) return;
    tr_mem_free(img->data);
    memset(img, 0, sizeof *img);
}

tryon_status tryon_image_alloc(tryon_ctx *ctx, int32_t width, int32_t height, int32_t channels,
                               tryon_image *out) {
    memset(out, 0, sizeof *out);
    if (width < 1 || height < 1 || channels < 1 || channels > 4)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "invalid image size %dx%dx%d", width, height,
                       channels);
    if ((int64_t)width * height > ctx->params.max_image_pixels)
        return TR_FAIL(ctx, TRYON_ERR_LIMIT, "image %dx%d exceeds the limit of %lld pixels", width,
                       height, (long long)ctx->params.max_image_pixels);
    out->data = tr_mem_calloc(ctx, (size_t)width * height, (size_t)channels);
    if (!out->data) return TRYON_ERR_NOMEM;
    out->width = width, out->height = height, out->channels = channels;
    return TRYON_OK;
}

/* Converts between channel counts in a new buffer (gray <-> RGB by BT.601 luma). */
static tryon_status convert_channels(tryon_ctx *ctx, tryon_image *img, int32_t want) {
    if (want == 0 || want == img->channels) return TRYON_OK;
    tryon_image out;
    TR_TRY(tryon_image_alloc(ctx, img->width, img->height, want, &out));
    const int32_t cin = img->channels;
    const int64_t n = (int64_t)img->width * img->height;
    for (int64_t i = 0; i < n; i++) {
        const uint8_t *s = img->data + i * cin;
        uint8_t *d = out.data + i * want;
        int has_alpha = cin == 2 || cin == 4;
        uint8_t alpha = has_alpha ? s[cin - 1] : 255;
        uint8_t r, g, b;
        if (cin >= 3) {
            r = s[0], g = s[1], b = s[2];
        } else {
            r = g = b = s[0];
        }
        if (want >= 3) {
            d[0] = r, d[1] = g, d[2] = b;
            if (want == 4) d[3] = alpha;
        } else {
            d[0] = cin >= 3 ? (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000) : r;
            if (want == 2) d[1] = alpha;
        }
    }
    tryon_image_free(img);
    *img = out;
    return TRYON_OK;
}

tryon_status tryon_image_read_png(tryon_ctx *ctx, const char *path, int32_t want_channels,
                                  tryon_image *out) {
    memset(out, 0, sizeof *out);
    if (want_channels < 0 || want_channels > 4)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "channels must be 0..4");
    FILE *f;
    int64_t file_size;
    TR_TRY(tr_fopen_regular(ctx, path, &f, &file_size));
    uint8_t sig[8];
    if (fread(sig, 1, 8, f) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(f);
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: not a PNG file (bad signature)", path);
    }
    png_err err = {"", ctx, 0};
    png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &err, on_error, on_warning,
                                               &err, on_malloc, on_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        fclose(f);
        return TR_FAIL(ctx, TRYON_ERR_NOMEM, "%s: out of memory (libpng)", path);
    }
    /* Everything modified after setjmp and read after a longjmp is volatile. */
    uint8_t *volatile data = NULL;
    png_bytep *volatile rows = NULL;
    tryon_status volatile st = TRYON_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (err.oom)
            st = TR_FAIL(ctx, TRYON_ERR_NOMEM, "%s: out of memory (libpng: %s)", path, err.msg);
        else
            st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: corrupt PNG (%s)", path, err.msg);
        goto done;
    }
    png_init_io(png, f);
    png_set_sig_bytes(png, 8);
    /* libpng's own width/height limits are opened to the PNG maximum so that
     * any valid IHDR reaches the pixel-limit check below (TRYON_ERR_LIMIT)
     * instead of being reported as corrupt; its allocations for ancillary
     * chunks and decompression stay capped. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    /* Every chunk but IHDR, PLTE, tRNS, IDAT and IEND is skipped (num_chunks
     * -1): tryon uses no other, and libpng would decode text and ICC chunks,
     * allocating the length a chunk claims before finding the file too short
     * (a 100-byte file with a zTXt claiming 33 MB: tests/fuzz/regress/png).
     * Skipped chunks go through a small buffer. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_malloc_max(png, (png_alloc_size_t)8 << 20);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((int64_t)w * h > ctx->params.max_image_pixels) {
        st = TR_FAIL(ctx, TRYON_ERR_LIMIT, "%s: %ux%u pixels exceed the limit of %lld", path,
                     (unsigned)w, (unsigned)h, (long long)ctx->params.max_image_pixels);
        goto done;
    }
    int color = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (depth == 16) png_set_scale_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || rowbytes != (size_t)w * channels) {
        st = TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "%s: unexpected PNG layout", path);
        goto done;
    }
    data = tr_mem_alloc(ctx, (size_t)h * rowbytes);
    rows = tr_mem_alloc(ctx, (size_t)h * sizeof *rows);
    if (!data || !rows) {
        st = TRYON_ERR_NOMEM;
        goto done;
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = data + (size_t)y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    out->width = (int32_t)w, out->height = (int32_t)h, out->channels = channels;
    out->data = data;
    data = NULL;
done:
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    tr_mem_free(rows);
    tr_mem_free(data);
    if (st == TRYON_OK) st = convert_channels(ctx, out, want_channels);
    if (st != TRYON_OK) tryon_image_free(out);
    return st;
}

tryon_status tryon_image_write_png(tryon_ctx *ctx, const char *path, const tryon_image *img) {
    if (!img || !img->data || img->width < 1 || img->height < 1 || img->channels < 1 ||
        img->channels > 4)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "%s: invalid image", path);
    FILE *f = fopen(path, "wb");
    if (!f) return TR_FAIL(ctx, TRYON_ERR_IO, "%s: cannot create (%s)", path, strerror(errno));
    png_err err = {"", ctx, 0};
    png_structp png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &err, on_error, on_warning,
                                                &err, on_malloc, on_free);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        return TR_FAIL(ctx, TRYON_ERR_NOMEM, "%s: out of memory (libpng)", path);
    }
    tryon_status volatile st = TRYON_OK;
    if (setjmp(png_jmpbuf(png))) {
        st = TR_FAIL(ctx, err.oom ? TRYON_ERR_NOMEM : TRYON_ERR_IO, "%s: cannot write PNG (%s)",
                     path, err.msg);
        goto done;
    }
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 types[img->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int32_t y = 0; y < img->height; y++)
        png_write_row(png, img->data + (size_t)y * img->width * img->channels);
    png_write_end(png, NULL);
done:
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0 && st == TRYON_OK)
        st = TR_FAIL(ctx, TRYON_ERR_IO, "%s: write failed (%s)", path, strerror(errno));
    return st;
}
