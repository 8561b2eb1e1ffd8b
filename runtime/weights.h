/* weights.h — internal view of a validated safetensors file. */
#ifndef TR_WEIGHTS_H
#define TR_WEIGHTS_H

#include "internal.h"

typedef struct tr_wtensor {
    const char *name;
    tryon_dtype dtype;
    int32_t ndim;                  /* 0..4 (0 = scalar) */
    int64_t shape[TRYON_MAX_DIMS]; /* unused dims are 1 */
    int64_t numel;
    uint64_t begin, end; /* byte range inside the data region */
    const void *data;    /* into the mapping, aligned to the dtype */
} tr_wtensor;

typedef struct tr_kv {
    const char *key, *value;
} tr_kv;

struct tryon_weights {
    void *map; /* the whole file, read-only */
    size_t map_size;
    int32_t n_tensors;
    tr_wtensor *tensors; /* (n_tensors), ascending offset */
    int32_t *by_name;    /* (n_tensors) indices sorted by name */
    int32_t n_meta;
    tr_kv *meta;   /* (n_meta) */
    char *strings; /* owned copies of names, keys and values */
};

/* Tensor by name or NULL. */
const tr_wtensor *tr_weights_get(const tryon_weights *w, const char *name);

/* Tensor by name with an exact shape (ndim dims; ndim 0 = scalar).
 * Errors name the tensor: missing, or shape mismatch (TRYON_ERR_FORMAT). */
tryon_status tr_weights_require(tryon_ctx *ctx, const tryon_weights *w, const char *name,
                                int32_t ndim, const int64_t *shape, const tr_wtensor **out);

/* Copies a tensor into dst as f32 (F32/F16/BF16/I32/U8 sources). */
void tr_wtensor_to_f32(const tr_wtensor *t, float *dst);

#endif /* TR_WEIGHTS_H */
