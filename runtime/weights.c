/* weights.c — safetensors reader: map the file, validate everything, then
 * give typed access by name.
 *
 * Format (huggingface/safetensors): u64 little-endian header length N, N
 * bytes of UTF-8 JSON, then the data region. The JSON maps tensor names to
 * {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
 * data region) plus an optional "__metadata__" map of strings. Validation
 * follows the reference implementation: the data region must be covered
 * exactly (no overlap, no holes, no trailing bytes), and we also require each
 * non-empty tensor to be aligned to its element size inside the mapping and every
 * float to be finite. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "file.h"
#include "half.h"
#include "json.h"
#include "weights.h"

/* The reference implementation's header limit. */
#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000)

typedef struct loader {
    tryon_ctx *ctx;
    const char *path;
    tryon_weights *w;
    char *str_top; /* next free byte in w->strings */
} loader;

/* Every message starts with the file's path; fmt must take at least one argument. */
#define LFAIL(s, fmt, ...) TR_FAIL(l->ctx, (s), "%s: " fmt, l->path, __VA_ARGS__)

static const char *keep(loader *l, const char *s) {
    size_t n = strlen(s) + 1;
    char *d = l->str_top;
    memcpy(d, s, n);
    l->str_top += n;
    return d;
}

static int parse_dtype(const char *s, tryon_dtype *out, int *known) {
    static const struct {
        const char *name;
        tryon_dtype t;
    } ok[] = {{"F32", TRYON_DTYPE_F32},
              {"F16", TRYON_DTYPE_F16},
              {"BF16", TRYON_DTYPE_BF16},
              {"I32", TRYON_DTYPE_I32},
              {"U8", TRYON_DTYPE_U8}};
    static const char *valid_other[] = {"F64", "I64", "U64",  "I16",     "U16",
                                        "U32", "I8",  "BOOL", "F8_E4M3", "F8_E5M2"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(s, ok[i].name)) {
            *out = ok[i].t;
            *known = 1;
            return 1;
        }
    for (size_t i = 0; i < sizeof valid_other / sizeof valid_other[0]; i++)
        if (!strcmp(s, valid_other[i])) {
            *known = 1;
            return 0;
        }
    *known = 0;
    return 0;
}

static tryon_status parse_tensor(loader *l, const tr_json_doc *doc, const tr_json *e,
                                 uint64_t data_size, tr_wtensor *t) {
    const char *name = e->key;
    if (e->type != TR_JSON_OBJECT)
        return LFAIL(TRYON_ERR_FORMAT, "entry '%s' is not an object", name);
    const tr_json *dtype = NULL, *shape = NULL, *offs = NULL;
    for (const tr_json *m = tr_json_at(doc, e->first); m; m = tr_json_at(doc, m->next)) {
        if (!strcmp(m->key, "dtype") && !dtype)
            dtype = m;
        else if (!strcmp(m->key, "shape") && !shape)
            shape = m;
        else if (!strcmp(m->key, "data_offsets") && !offs)
            offs = m;
        else
            return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': unexpected or repeated field", name);
    }
    if (!dtype || !shape || !offs)
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': needs dtype, shape and data_offsets", name);
    if (dtype->type != TR_JSON_STRING)
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': dtype is not a string", name);
    int known;
    if (!parse_dtype(dtype->str, &t->dtype, &known)) {
        char msg[160];
        snprintf(msg, sizeof msg, "tensor '%.60s': %s dtype '%.20s'", name,
                 known ? "unsupported" : "unknown", dtype->str);
        return LFAIL(known ? TRYON_ERR_UNSUPPORTED : TRYON_ERR_FORMAT,
                     "%s (tryon reads F32, F16, BF16, I32, U8)", msg);
    }
    if (shape->type != TR_JSON_ARRAY)
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': shape is not an array", name);
    if (shape->n_children > TRYON_MAX_DIMS)
        return LFAIL(TRYON_ERR_UNSUPPORTED, "tensor '%s': rank %d (tryon supports at most %d)",
                     name, shape->n_children, TRYON_MAX_DIMS);
    t->name = name;
    t->ndim = shape->n_children;
    t->numel = 1;
    for (int32_t i = 0; i < TRYON_MAX_DIMS; i++) t->shape[i] = 1;
    int32_t k = 0;
    int overflow = 0;
    for (const tr_json *d = tr_json_at(doc, shape->first); d; d = tr_json_at(doc, d->next), k++) {
        if (d->type != TR_JSON_NUMBER || !d->is_int || d->i < 0)
            return LFAIL(TRYON_ERR_FORMAT,
                         "tensor '%s': dimension %d is not a non-negative integer", name, k);
        t->shape[k] = d->i;
        if (!tr_mul_i64(t->numel, d->i, &t->numel)) overflow = 1;
    }
    int64_t nbytes = 0;
    if (overflow || !tr_mul_i64(t->numel, (int64_t)tryon_dtype_size(t->dtype), &nbytes))
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': shape overflows 64 bits", name);
    if (nbytes > l->ctx->params.max_tensor_bytes)
        return LFAIL(TRYON_ERR_LIMIT, "tensor '%s': %lld bytes exceed the tensor limit %lld", name,
                     (long long)nbytes, (long long)l->ctx->params.max_tensor_bytes);
    if (offs->type != TR_JSON_ARRAY || offs->n_children != 2)
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': data_offsets must be [begin, end]", name);
    const tr_json *b = tr_json_at(doc, offs->first), *en = tr_json_at(doc, b->next);
    if (b->type != TR_JSON_NUMBER || !b->is_int || b->i < 0 || en->type != TR_JSON_NUMBER ||
        !en->is_int || en->i < b->i)
        return LFAIL(TRYON_ERR_FORMAT,
                     "tensor '%s': data_offsets must be integers 0 <= begin <= end", name);
    t->begin = (uint64_t)b->i;
    t->end = (uint64_t)en->i;
    if (t->end > data_size)
        return LFAIL(TRYON_ERR_FORMAT,
                     "tensor '%s': data ends at %llu, past the data region (%llu bytes)", name,
                     (unsigned long long)t->end, (unsigned long long)data_size);
    if (t->end - t->begin != (uint64_t)nbytes)
        return LFAIL(TRYON_ERR_FORMAT, "tensor '%s': holds %llu bytes, its shape needs %lld", name,
                     (unsigned long long)(t->end - t->begin), (long long)nbytes);
    return TRYON_OK;
}

static int cmp_offset(const void *a, const void *b) {
    const tr_wtensor *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* qsort has no context argument: sort (name pointer, index) pairs instead. */
typedef struct name_idx {
    const char *name;
    int32_t idx;
} name_idx;

static int cmp_name(const void *a, const void *b) {
    return strcmp(((const name_idx *)a)->name, ((const name_idx *)b)->name);
}

/* Finite check of float data; returns the first bad index or -1. */
static int64_t first_nonfinite(const tr_wtensor *t) {
    if (t->dtype == TRYON_DTYPE_F32) {
        const float *p = t->data;
        for (int64_t i = 0; i < t->numel; i++)
            if (!isfinite(p[i])) return i;
    } else if (t->dtype == TRYON_DTYPE_F16 || t->dtype == TRYON_DTYPE_BF16) {
        const uint16_t *p = t->data;
        uint16_t mask = t->dtype == TRYON_DTYPE_F16 ? 0x7c00 : 0x7f80;
        for (int64_t i = 0; i < t->numel; i++)
            if ((p[i] & mask) == mask) return i;
    }
    return -1;
}

static tryon_status parse_header(loader *l, const char *hdr, uint64_t n, uint64_t data_offset) {
    tryon_weights *w = l->w;
    uint64_t data_size = w->map_size - data_offset;
    tr_json_doc *doc = NULL;
    name_idx *names = NULL;
    tryon_status st;
    if (n == 0 || hdr[0] != '{')
        return LFAIL(TRYON_ERR_FORMAT, "%s", "header is not a JSON object");
    st = tr_json_parse(l->ctx, hdr, (size_t)n, &doc);
    if (st != TRYON_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", l->ctx->err);
        return LFAIL(st, "header: %s", msg);
    }
    const tr_json *root = &doc->nodes[0];
    /* Names, keys and values are copied: the mapping's header is not NUL-terminated. */
    w->strings = tr_mem_alloc(l->ctx, doc->strings_len + 1);
    w->tensors = tr_mem_calloc(l->ctx, (size_t)root->n_children + 1, sizeof *w->tensors);
    w->meta = NULL;
    if (!w->strings || !w->tensors) {
        st = TRYON_ERR_NOMEM;
        goto done;
    }
    l->str_top = w->strings;
    for (const tr_json *e = tr_json_at(doc, root->first); e; e = tr_json_at(doc, e->next)) {
        if (!strcmp(e->key, "__metadata__")) {
            if (e->type != TR_JSON_OBJECT || w->meta) {
                st = LFAIL(TRYON_ERR_FORMAT, "%s", "__metadata__ must be one object of strings");
                goto done;
            }
            w->meta = tr_mem_calloc(l->ctx, (size_t)e->n_children + 1, sizeof *w->meta);
            if (!w->meta) {
                st = TRYON_ERR_NOMEM;
                goto done;
            }
            for (const tr_json *m = tr_json_at(doc, e->first); m; m = tr_json_at(doc, m->next)) {
                if (m->type != TR_JSON_STRING) {
                    st = LFAIL(TRYON_ERR_FORMAT, "__metadata__ value of '%s' is not a string",
                               m->key);
                    goto done;
                }
                w->meta[w->n_meta].key = keep(l, m->key);
                w->meta[w->n_meta].value = keep(l, m->str);
                w->n_meta++;
            }
            continue;
        }
        if (!e->key[0]) {
            st = LFAIL(TRYON_ERR_FORMAT, "%s", "tensor with an empty name");
            goto done;
        }
        tr_wtensor *t = &w->tensors[w->n_tensors];
        st = parse_tensor(l, doc, e, data_size, t);
        if (st != TRYON_OK) goto done;
        t->name = keep(l, e->key);
        t->data = (const uint8_t *)w->map + data_offset + t->begin;
        /* An empty tensor has no data to read in place, wherever it sits (the
         * reference writer may put one between tensors of a smaller dtype). */
        if (t->begin != t->end && (data_offset + t->begin) % tryon_dtype_size(t->dtype)) {
            st =
                LFAIL(TRYON_ERR_FORMAT, "tensor '%s': data offset %llu is not aligned to its dtype",
                      t->name, (unsigned long long)t->begin);
            goto done;
        }
        w->n_tensors++;
    }
    /* Coverage: sorted by offset, each non-empty tensor starts where the last ended. */
    qsort(w->tensors, (size_t)w->n_tensors, sizeof *w->tensors, cmp_offset);
    uint64_t covered = 0;
    for (int32_t i = 0; i < w->n_tensors; i++) {
        const tr_wtensor *t = &w->tensors[i];
        if (t->begin == t->end) continue;
        if (t->begin < covered) {
            st =
                LFAIL(TRYON_ERR_FORMAT, "tensor '%s' overlaps the previous tensor (begins at %llu)",
                      t->name, (unsigned long long)t->begin);
            goto done;
        }
        if (t->begin > covered) {
            st = LFAIL(TRYON_ERR_FORMAT,
                       "bytes %llu..%llu of the data region belong to no tensor (hole before '%s')",
                       (unsigned long long)covered, (unsigned long long)t->begin, t->name);
            goto done;
        }
        covered = t->end;
    }
    if (covered != data_size) {
        st = LFAIL(TRYON_ERR_FORMAT, "%llu bytes after the last tensor belong to no tensor",
                   (unsigned long long)(data_size - covered));
        goto done;
    }
    names = tr_mem_alloc(l->ctx, (size_t)(w->n_tensors + 1) * sizeof *names);
    w->by_name = tr_mem_alloc(l->ctx, (size_t)(w->n_tensors + 1) * sizeof *w->by_name);
    if (!names || !w->by_name) {
        st = TRYON_ERR_NOMEM;
        goto done;
    }
    for (int32_t i = 0; i < w->n_tensors; i++) names[i].name = w->tensors[i].name, names[i].idx = i;
    qsort(names, (size_t)w->n_tensors, sizeof *names, cmp_name);
    for (int32_t i = 0; i < w->n_tensors; i++) {
        if (i > 0 && !strcmp(names[i].name, names[i - 1].name)) {
            st = LFAIL(TRYON_ERR_FORMAT, "tensor '%s' appears twice", names[i].name);
            goto done;
        }
        w->by_name[i] = names[i].idx;
    }
    for (int32_t i = 0; i < w->n_tensors; i++) {
        int64_t bad = first_nonfinite(&w->tensors[i]);
        if (bad >= 0) {
            st = LFAIL(TRYON_ERR_FORMAT, "tensor '%s' holds NaN or Inf (element %lld)",
                       w->tensors[i].name, (long long)bad);
            goto done;
        }
    }
    st = TRYON_OK;
done:
    tr_mem_free(names);
    tr_json_free(doc);
    return st;
}

tryon_status tryon_weights_open(tryon_ctx *ctx, const char *path, tryon_weights **out) {
    *out = NULL;
    loader ld = {.ctx = ctx, .path = path}, *l = &ld;
    int fd;
    int64_t file_size;
    TR_TRY(tr_open_regular(ctx, path, &fd, &file_size));
    uint64_t size = (uint64_t)file_size;
    if (size < 8) {
        close(fd);
        return LFAIL(TRYON_ERR_FORMAT, "%llu bytes is too small for a safetensors header",
                     (unsigned long long)size);
    }
    tryon_weights *w = tr_mem_calloc(ctx, 1, sizeof *w);
    if (!w) {
        close(fd);
        return TRYON_ERR_NOMEM;
    }
    l->w = w;
    w->map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (w->map == MAP_FAILED) {
        w->map = NULL;
        tryon_weights_close(w);
        return TR_FAIL(ctx, TRYON_ERR_IO, "%s: cannot map (%s)", path, strerror(map_errno));
    }
    w->map_size = (size_t)size;
    const uint8_t *b = w->map;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | b[i];
    tryon_status st;
    if (n > ST_MAX_HEADER)
        st = LFAIL(TRYON_ERR_FORMAT, "header length %llu exceeds the 100 MB limit",
                   (unsigned long long)n);
    else if (n > size - 8)
        st = LFAIL(TRYON_ERR_FORMAT, "header length %llu exceeds the file (%llu bytes)",
                   (unsigned long long)n, (unsigned long long)size);
    else
        st = parse_header(l, (const char *)b + 8, n, 8 + n);
    if (st != TRYON_OK) {
        tryon_weights_close(w);
        return st;
    }
    *out = w;
    return TRYON_OK;
}

void tryon_weights_close(tryon_weights *w) {
    if (!w) return;
    if (w->map) munmap(w->map, w->map_size);
    tr_mem_free(w->tensors);
    tr_mem_free(w->by_name);
    tr_mem_free(w->meta);
    tr_mem_free(w->strings);
    tr_mem_free(w);
}

int32_t tryon_weights_n_tensors(const tryon_weights *w) { return w->n_tensors; }

static void to_view(const tr_wtensor *t, tryon_tensor *out) {
    out->name = t->name;
    out->dtype = t->dtype;
    out->ndim = t->ndim;
    memcpy(out->shape, t->shape, sizeof out->shape);
    out->data = (void *)(uintptr_t)t->data;
}

tryon_status tryon_weights_tensor_at(const tryon_weights *w, int32_t i, tryon_tensor *out) {
    memset(out, 0, sizeof *out);
    if (i < 0 || i >= w->n_tensors) return TRYON_ERR_INVALID_ARG;
    to_view(&w->tensors[i], out);
    return TRYON_OK;
}

const tr_wtensor *tr_weights_get(const tryon_weights *w, const char *name) {
    int32_t lo = 0, hi = w->n_tensors - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        const tr_wtensor *t = &w->tensors[w->by_name[mid]];
        int c = strcmp(name, t->name);
        if (c == 0) return t;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

tryon_status tryon_weights_find(const tryon_weights *w, const char *name, tryon_tensor *out) {
    memset(out, 0, sizeof *out);
    const tr_wtensor *t = tr_weights_get(w, name);
    if (!t) return TRYON_ERR_INVALID_ARG;
    to_view(t, out);
    return TRYON_OK;
}

int32_t tryon_weights_n_metadata(const tryon_weights *w) { return w->n_meta; }

tryon_status tryon_weights_metadata_at(const tryon_weights *w, int32_t i, const char **key,
                                       const char **value) {
    *key = *value = NULL;
    if (i < 0 || i >= w->n_meta) return TRYON_ERR_INVALID_ARG;
    *key = w->meta[i].key;
    *value = w->meta[i].value;
    return TRYON_OK;
}

const char *tryon_weights_metadata(const tryon_weights *w, const char *key) {
    for (int32_t i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta[i].key, key)) return w->meta[i].value;
    return NULL;
}

tryon_status tr_weights_require(tryon_ctx *ctx, const tryon_weights *w, const char *name,
                                int32_t ndim, const int64_t *shape, const tr_wtensor **out) {
    *out = NULL;
    const tr_wtensor *t = tr_weights_get(w, name);
    if (!t) return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: tensor '%s' is missing", name);
    int ok = t->ndim == ndim;
    for (int32_t i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char got[96], want[96];
        int64_t one = 1;
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: tensor '%s' has shape %s, expected %s",
                       name, tr_shape_str(t->ndim, t->ndim ? t->shape : &one, got, sizeof got),
                       tr_shape_str(ndim, ndim ? shape : &one, want, sizeof want));
    }
    *out = t;
    return TRYON_OK;
}

void tr_wtensor_to_f32(const tr_wtensor *t, float *dst) {
    switch (t->dtype) {
    case TRYON_DTYPE_F32: memcpy(dst, t->data, (size_t)t->numel * 4); break;
    case TRYON_DTYPE_F16:
        for (int64_t i = 0; i < t->numel; i++)
            dst[i] = tr_f16_to_f32(((const uint16_t *)t->data)[i]);
        break;
    case TRYON_DTYPE_BF16:
        for (int64_t i = 0; i < t->numel; i++)
            dst[i] = tr_bf16_to_f32(((const uint16_t *)t->data)[i]);
        break;
    case TRYON_DTYPE_I32:
        for (int64_t i = 0; i < t->numel; i++) dst[i] = (float)((const int32_t *)t->data)[i];
        break;
    case TRYON_DTYPE_U8:
        for (int64_t i = 0; i < t->numel; i++) dst[i] = ((const uint8_t *)t->data)[i];
        break;
    case TRYON_DTYPE_COUNT: TR_ASSERT(!"dtype"); break;
    }
}
