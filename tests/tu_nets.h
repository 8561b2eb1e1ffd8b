/* tu_nets.h — whole nets for the determinism and concurrency suites
 * (test_threads.c, gpu_determinism.c): build a model of each family from the
 * synthetic weights of tests/fuzz/make_files.sh ($TRYON_TEST_FILES), fill
 * its inputs from a seed, and snapshot all its outputs.
 *
 * Header-only (static inline) like tu_files.h, so that the Makefile's test
 * rule stays untouched. No Check assertions: the helpers also run on worker
 * threads, and return a status instead. */
#ifndef TRYON_TU_NETS_H
#define TRYON_TU_NETS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { TU_NET_POSENET, TU_NET_CYCLEGAN, TU_NET_STYLEGAN2 };

typedef struct tu_net_case {
    const char *file; /* under $TRYON_TEST_FILES */
    int kind;
} tu_net_case;

/* "$TRYON_TEST_FILES/file" into buf if it exists, else NULL. */
static inline const char *tu_net_path(const tu_net_case *c, char *buf, size_t size) {
    const char *dir = getenv("TRYON_TEST_FILES");
    if (!dir || !*dir) return NULL;
    snprintf(buf, size, "%s/%s", dir, c->file);
    FILE *f = fopen(buf, "rb");
    if (!f) return NULL;
    fclose(f);
    return buf;
}

/* Builds the case's model: PoseNet from a 97x81 image at 129x129 with the
 * multi-pose decoder, a batch of two 22x29 images for the CycleGAN family,
 * a batch of two z for StyleGAN2 with seeded random noise and truncation. */
static inline tryon_status tu_net_build(tryon_ctx *ctx, const tryon_weights *w, int kind,
                                        tryon_model **m) {
    tryon_status st;
    switch (kind) {
    case TU_NET_POSENET: {
        tryon_posenet_params p = tryon_posenet_params_default();
        p.input = TRYON_POSENET_INPUT_IMAGE;
        p.image_width = 97, p.image_height = 81; /* padded to the net's aspect, resized */
        p.input_width = p.input_height = 129;
        p.multi = 1, p.max_poses = 5, p.score_threshold = 0.0f;
        return tryon_posenet_load(ctx, w, &p, m);
    }
    case TU_NET_CYCLEGAN: {
        tryon_cyclegan_params p = tryon_cyclegan_params_default();
        p.batch = 2, p.height = 22, p.width = 29;
        return tryon_cyclegan_load(ctx, w, &p, m);
    }
    case TU_NET_STYLEGAN2:
        st = tryon_stylegan2_build(ctx, w, 2, TRYON_STYLEGAN2_INPUT_Z, m);
        if (st == TRYON_OK) st = tryon_stylegan2_set_noise(*m, TRYON_STYLEGAN2_NOISE_RANDOM, 9);
        if (st == TRYON_OK) st = tryon_stylegan2_set_truncation(*m, 0.7f, -1);
        return st;
    }
    return TRYON_ERR_INVALID_ARG;
}

/* Fills every input from a fixed seed: F32 uniform in [-1, 1) (a one-hot
 * label is not needed for determinism), U8 random bytes. StyleGAN2's "psi"
 * and "noise" controls keep the values set through the API. */
static inline tryon_status tu_net_fill(tryon_model *m, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
        tryon_tensor t;
        tryon_status st = tryon_model_input(m, i, &t);
        if (st != TRYON_OK) return st;
        if (!strcmp(t.name, "psi") || !strcmp(t.name, "noise")) continue;
        int64_t n = 1;
        for (int32_t d = 0; d < t.ndim; d++) n *= t.shape[d];
        if (t.dtype == TRYON_DTYPE_F32) {
            float *x = malloc((size_t)n * sizeof *x);
            if (!x) return TRYON_ERR_NOMEM;
            tu_fill_uniform(x, n, &r, -1.0f, 1.0f);
            st = tryon_model_set_input(m, i, x, (size_t)n * sizeof *x);
            free(x);
        } else if (t.dtype == TRYON_DTYPE_U8) {
            uint8_t *x = malloc((size_t)n);
            if (!x) return TRYON_ERR_NOMEM;
            for (int64_t k = 0; k < n; k++) x[k] = (uint8_t)tu_rng_u64(&r);
            st = tryon_model_set_input(m, i, x, (size_t)n);
            free(x);
        }
        if (st != TRYON_OK) return st;
    }
    return TRYON_OK;
}

/* All outputs, concatenated (malloc'd; *bytes set). */
static inline uint8_t *tu_net_snapshot(tryon_model *m, size_t *bytes) {
    size_t total = 0;
    for (int32_t i = 0; i < tryon_model_n_outputs(m); i++) {
        tryon_tensor t;
        if (tryon_model_output(m, i, &t) != TRYON_OK) return NULL;
        int64_t n = 1;
        for (int32_t d = 0; d < t.ndim; d++) n *= t.shape[d];
        total += (size_t)n * tryon_dtype_size(t.dtype);
    }
    uint8_t *buf = malloc(total ? total : 1), *p = buf;
    if (!buf) return NULL;
    for (int32_t i = 0; i < tryon_model_n_outputs(m); i++) {
        tryon_tensor t;
        tryon_model_output(m, i, &t);
        int64_t n = 1;
        for (int32_t d = 0; d < t.ndim; d++) n *= t.shape[d];
        size_t b = (size_t)n * tryon_dtype_size(t.dtype);
        if (tryon_model_get_output(m, i, p, b) != TRYON_OK) {
            free(buf);
            return NULL;
        }
        p += b;
    }
    *bytes = total;
    return buf;
}

/* First differing byte or -1. */
static inline long tu_first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (long)i;
    return -1;
}

#endif /* TRYON_TU_NETS_H */
