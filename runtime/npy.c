/* npy.c — NumPy .npy read/write for float32 arrays.
 *
 * Format (numpy.lib.format): "\x93NUMPY", major, minor, header length (u16 in
 * 1.0, u32 in 2.0/3.0), then a Python dict literal
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and a newline, then the raw data. Only little-endian
 * float32 in C order is accepted ('<f4'; '=f4' and 'f4' are native, which is
 * little-endian on every machine tryon runs on); everything else is a clear
 * error, and the data length must match the shape exactly. */
#include <errno.h>
#include <string.h>

#include "file.h"
#include "internal.h"

#define NPY_MAX_HEADER 65536

void tryon_array_free(tryon_array *a) {
    if (!a) return;
    tr_mem_free(a->data);
    memset(a, 0, sizeof *a);
}

int64_t tryon_array_numel(const tryon_array *a) {
    int64_t n = 1;
    for (int32_t i = 0; i < a->ndim; i++) n *= a->shape[i];
    return n;
}

tryon_status tryon_array_alloc(tryon_ctx *ctx, int32_t ndim, const int64_t *shape,
                               tryon_array *out) {
    memset(out, 0, sizeof *out);
    if (ndim < 0 || ndim > TRYON_MAX_DIMS)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "array rank %d outside 0..4", ndim);
    int64_t bytes = 4;
    for (int32_t i = 0; i < ndim; i++)
        if (shape[i] < 0 || !tr_mul_i64(bytes, shape[i], &bytes))
            return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "invalid array dimension %lld",
                           (long long)shape[i]);
    if (bytes > ctx->params.max_tensor_bytes)
        return TR_FAIL(ctx, TRYON_ERR_LIMIT, "array of %lld bytes exceeds the tensor limit %lld",
                       (long long)bytes, (long long)ctx->params.max_tensor_bytes);
    out->data = tr_mem_calloc(ctx, (size_t)bytes / 4 + 1, 4);
    if (!out->data) return TRYON_ERR_NOMEM;
    out->ndim = ndim;
    for (int32_t i = 0; i < TRYON_MAX_DIMS; i++) out->shape[i] = i < ndim ? shape[i] : 1;
    return TRYON_OK;
}

/* A tiny scanner over the header dict: whitespace, quoted strings, tuples. */
typedef struct scan {
    const char *s;
    size_t n, i;
} scan;

static void sk_ws(scan *c) {
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n')) c->i++;
}

static int sk_char(scan *c, char ch) {
    sk_ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

/* Reads 'text' or "text" into buf (at most size-1 chars). */
static int sk_string(scan *c, char *buf, size_t size) {
    sk_ws(c);
    if (c->i >= c->n || (c->s[c->i] != '\'' && c->s[c->i] != '"')) return 0;
    char q = c->s[c->i++];
    size_t k = 0;
    while (c->i < c->n && c->s[c->i] != q) {
        if (k + 1 >= size) return 0;
        buf[k++] = c->s[c->i++];
    }
    if (c->i >= c->n) return 0;
    c->i++;
    buf[k] = 0;
    return 1;
}

static int sk_word(scan *c, const char *w) {
    sk_ws(c);
    size_t n = strlen(w);
    if (c->n - c->i < n || memcmp(c->s + c->i, w, n)) return 0;
    c->i += n;
    return 1;
}

/* Reads a shape tuple "(a, b, )" of at most 4 non-negative ints. Returns the
 * rank, -1 on syntax error, -2 if the rank exceeds 4, -3 on overflow. */
static int sk_shape(scan *c, int64_t *shape) {
    if (!sk_char(c, '(')) return -1;
    int nd = 0;
    for (;;) {
        if (sk_char(c, ')')) return nd;
        sk_ws(c);
        if (c->i >= c->n || c->s[c->i] < '0' || c->s[c->i] > '9') return -1;
        int64_t v = 0;
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
            if (v > (INT64_MAX - 9) / 10) return -3;
            v = v * 10 + (c->s[c->i++] - '0');
        }
        if (c->i < c->n && c->s[c->i] == 'L') c->i++; /* Python 2 long */
        if (nd == TRYON_MAX_DIMS) return -2;
        shape[nd++] = v;
        if (sk_char(c, ',')) continue;
        /* "(5)" is the integer 5 in Python, not a tuple: numpy rejects it. */
        if (nd > 1 && sk_char(c, ')')) return nd;
        return -1;
    }
}

static tryon_status parse_header(tryon_ctx *ctx, const char *path, const char *h, size_t n,
                                 int32_t *ndim, int64_t *shape) {
    scan c = {h, n, 0};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!sk_char(&c, '{')) goto syntax;
    for (;;) {
        char key[32], val[32];
        if (sk_char(&c, '}')) break;
        if (!sk_string(&c, key, sizeof key) || !sk_char(&c, ':')) goto syntax;
        if (!strcmp(key, "descr")) {
            sk_ws(&c);
            if (c.i < c.n && c.s[c.i] == '[')
                return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                               "%s: structured dtypes are not supported (tryon reads "
                               "little-endian float32 '<f4' only)",
                               path);
            if (!sk_string(&c, val, sizeof val)) goto syntax;
            if (strcmp(val, "<f4") && strcmp(val, "=f4") && strcmp(val, "f4"))
                return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                               "%s: dtype '%s' is not supported (tryon reads little-endian "
                               "float32 '<f4' only)",
                               path, val);
            have_descr = 1;
        } else if (!strcmp(key, "fortran_order")) {
            if (sk_word(&c, "True"))
                return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                               "%s: Fortran-order arrays are not supported (save C order)", path);
            if (!sk_word(&c, "False")) goto syntax;
            have_order = 1;
        } else if (!strcmp(key, "shape")) {
            int r = sk_shape(&c, shape);
            if (r == -2)
                return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "%s: more than 4 dimensions", path);
            if (r == -3) return TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: dimension overflows", path);
            if (r < 0) goto syntax;
            *ndim = r;
            have_shape = 1;
        } else {
            return TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: unknown header key '%s'", path, key);
        }
        if (!sk_char(&c, ',')) {
            if (sk_char(&c, '}')) break;
            goto syntax;
        }
    }
    /* After the dict only the padding (spaces, newline) may follow. */
    sk_ws(&c);
    if (c.i != c.n) goto syntax;
    if (!have_descr || !have_order || !have_shape)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: header lacks descr, fortran_order or shape",
                       path);
    return TRYON_OK;
syntax:
    return TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: malformed .npy header near byte %zu", path, c.i);
}

tryon_status tryon_npy_read(tryon_ctx *ctx, const char *path, tryon_array *out) {
    memset(out, 0, sizeof *out);
    FILE *f;
    int64_t file_size;
    TR_TRY(tr_fopen_regular(ctx, path, &f, &file_size));
    tryon_status st = TRYON_OK;
    char *hdr = NULL;
    unsigned char pre[12];
    size_t hlen, pre_len;
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6)) {
        st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
        goto done;
    }
    /* numpy itself reads exactly 1.0, 2.0 and 3.0. */
    if (pre[7] != 0 || pre[6] < 1 || pre[6] > 3) {
        st = TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "%s: .npy format version %d.%d", path, pre[6],
                     pre[7]);
        goto done;
    }
    if (pre[6] == 1) {
        if (fread(pre + 8, 1, 2, f) != 2) goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
        pre_len = 10;
    } else {
        if (fread(pre + 8, 1, 4, f) != 4) goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
        pre_len = 12;
    }
    if (hlen == 0 || hlen > NPY_MAX_HEADER) {
        st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: header length %zu out of range", path, hlen);
        goto done;
    }
    hdr = tr_mem_alloc(ctx, hlen);
    if (!hdr) {
        st = TRYON_ERR_NOMEM;
        goto done;
    }
    if (fread(hdr, 1, hlen, f) != hlen) goto truncated;
    int32_t ndim = 0;
    int64_t shape[TRYON_MAX_DIMS];
    st = parse_header(ctx, path, hdr, hlen, &ndim, shape);
    if (st != TRYON_OK) goto done;
    /* Check the data length against the file before allocating anything. */
    int64_t need = 4;
    for (int32_t i = 0; i < ndim; i++)
        if (!tr_mul_i64(need, shape[i], &need)) {
            st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: shape overflows 64 bits", path);
            goto done;
        }
    int64_t have = file_size - (int64_t)(pre_len + hlen);
    if (have != need) {
        st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: shape needs %lld data bytes, file has %lld", path,
                     (long long)need, (long long)have);
        goto done;
    }
    /* Checked here too (tryon_array_alloc does) so that the message names the file. */
    if (need > ctx->params.max_tensor_bytes) {
        st = TR_FAIL(ctx, TRYON_ERR_LIMIT, "%s: array of %lld bytes exceeds the tensor limit %lld",
                     path, (long long)need, (long long)ctx->params.max_tensor_bytes);
        goto done;
    }
    st = tryon_array_alloc(ctx, ndim, shape, out);
    if (st != TRYON_OK) goto done;
    int64_t numel = tryon_array_numel(out);
    if (fread(out->data, 4, (size_t)numel, f) != (size_t)numel) {
        st = TR_FAIL(ctx, TRYON_ERR_IO, "%s: read failed", path);
        goto done;
    }
    goto done;
truncated:
    st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "%s: truncated .npy header", path);
done:
    fclose(f);
    tr_mem_free(hdr);
    if (st != TRYON_OK) tryon_array_free(out);
    return st;
}

tryon_status tryon_npy_write(tryon_ctx *ctx, const char *path, const tryon_array *a) {
    if (!a || a->ndim < 0 || a->ndim > TRYON_MAX_DIMS)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "%s: invalid array", path);
    /* A negative or overflowing shape would make the fwrite below read far
     * past the caller's buffer. */
    int64_t bytes = 4;
    for (int32_t i = 0; i < a->ndim; i++)
        if (a->shape[i] < 0 || !tr_mul_i64(bytes, a->shape[i], &bytes))
            return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "%s: invalid array dimension %lld", path,
                           (long long)a->shape[i]);
    if (!a->data && bytes)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "%s: array without data", path);
    char dict[160], shape[120] = "";
    size_t k = 0;
    for (int32_t i = 0; i < a->ndim; i++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)a->shape[i],
                              i + 1 < a->ndim ? " " : "");
    if (a->ndim > 1) shape[k - 1] = 0; /* "(2, 3)" but "(5,)" for rank 1 */
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                     shape);
    /* Pad so that magic + version + length + header is a multiple of 64. */
    size_t total = tr_align_up(10 + n + 1, 64), hlen = total - 10;
    unsigned char pre[10] = {0x93,
                             'N',
                             'U',
                             'M',
                             'P',
                             'Y',
                             1,
                             0,
                             (unsigned char)(hlen & 0xff),
                             (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (!f) return TR_FAIL(ctx, TRYON_ERR_IO, "%s: cannot create (%s)", path, strerror(errno));
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = (size_t)n; ok && i + 1 < hlen; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    int64_t numel = tryon_array_numel(a);
    /* An empty array may come without data: fwrite must not see NULL. */
    ok = ok && (numel == 0 || fwrite(a->data, 4, (size_t)numel, f) == (size_t)numel);
    ok = (fclose(f) == 0) && ok;
    if (!ok) return TR_FAIL(ctx, TRYON_ERR_IO, "%s: write failed (%s)", path, strerror(errno));
    return TRYON_OK;
}
