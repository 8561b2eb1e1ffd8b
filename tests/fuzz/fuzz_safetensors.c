/* fuzz_safetensors.c — libFuzzer target: the safetensors reader and every
 * consumer of a weights file's metadata (the three net families).
 *
 * An input is a whole file. When tryon_weights_open accepts it, the target
 * checks every view against the input bytes themselves (each tensor's data
 * is exactly its data_offsets range of the file, its byte size is its shape's,
 * ranges do not overlap, name lookup finds the same tensor), then hands the
 * weights to each family's inspect/build calls and runs whatever model builds
 * (small inputs; the context's tensor limit keeps activations small).
 * Seeds: the tests/corpus safetensors files and tiny synthetic weights of
 * every family (tests/fuzz/make_files.sh). */
#include "fuzz_common.h"
#include "weights.h"

/* Little-endian u64 at p. */
static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void check_views(const tryon_weights *w, const uint8_t *data, size_t size) {
    FUZZ_REQUIRE(size >= 8, "accepted a %zu-byte file", size);
    uint64_t hlen = le64(data);
    FUZZ_REQUIRE(hlen <= size - 8, "header length %llu past the file", (unsigned long long)hlen);
    const uint8_t *region = data + 8 + hlen;
    uint64_t region_size = size - 8 - hlen, covered = 0;
    int32_t n = tryon_weights_n_tensors(w);
    FUZZ_REQUIRE(n >= 0, "%d tensors", n);
    for (int32_t i = 0; i < n; i++) {
        tryon_tensor t;
        FUZZ_REQUIRE(tryon_weights_tensor_at(w, i, &t) == TRYON_OK, "tensor_at %d", i);
        const tr_wtensor *wt = tr_weights_get(w, t.name);
        FUZZ_REQUIRE(wt && !strcmp(wt->name, t.name), "'%s' not found by name", t.name);
        FUZZ_REQUIRE(t.ndim >= 0 && t.ndim <= TRYON_MAX_DIMS, "rank %d", t.ndim);
        int64_t numel = 1;
        for (int32_t d = 0; d < t.ndim; d++) {
            FUZZ_REQUIRE(t.shape[d] >= 0, "negative dimension");
            numel *= t.shape[d]; /* bounded: the reader checked the product */
        }
        uint64_t bytes = (uint64_t)numel * tryon_dtype_size(t.dtype);
        FUZZ_REQUIRE(wt->end - wt->begin == bytes && wt->end <= region_size,
                     "'%s': range %llu..%llu for %llu bytes in a %llu-byte region", t.name,
                     (unsigned long long)wt->begin, (unsigned long long)wt->end,
                     (unsigned long long)bytes, (unsigned long long)region_size);
        if (bytes) {
            /* File order is ascending offset: ranges must not overlap. */
            FUZZ_REQUIRE(wt->begin >= covered, "'%s' overlaps its predecessor", t.name);
            covered = wt->end;
            FUZZ_REQUIRE(!memcmp(t.data, region + wt->begin, bytes),
                         "'%s': data differs from the file bytes", t.name);
        }
        tryon_tensor by_name;
        FUZZ_REQUIRE(tryon_weights_find(w, t.name, &by_name) == TRYON_OK && by_name.data == t.data,
                     "find('%s') disagrees with tensor_at", t.name);
    }
    FUZZ_REQUIRE(covered == region_size, "%llu of %llu data bytes covered",
                 (unsigned long long)covered, (unsigned long long)region_size);
    for (int32_t i = 0; i < tryon_weights_n_metadata(w); i++) {
        const char *k, *v;
        FUZZ_REQUIRE(tryon_weights_metadata_at(w, i, &k, &v) == TRYON_OK, "metadata_at");
        FUZZ_REQUIRE(tryon_weights_metadata(w, k) != NULL, "metadata('%s') is NULL", k);
        (void)strlen(v);
    }
}

/* Runs a model that built; its run may only fail with a message. */
static void run_model(tryon_ctx *ctx, tryon_model *m, const char *what) {
    for (int32_t i = 0; i < tryon_model_n_inputs(m); i++) {
        tryon_tensor t;
        FUZZ_REQUIRE(tryon_model_input(m, i, &t) == TRYON_OK, "%s: input %d", what, i);
    }
    fuzz_clear_error(ctx);
    fuzz_check_status(ctx, tryon_model_run(m), what);
    for (int32_t i = 0; i < tryon_model_n_outputs(m); i++) {
        tryon_tensor t;
        FUZZ_REQUIRE(tryon_model_output(m, i, &t) == TRYON_OK, "%s: output %d", what, i);
    }
    tryon_model_free(m);
}

static void try_families(tryon_ctx *ctx, const tryon_weights *w) {
    tryon_model *m = (tryon_model *)w; /* must come back NULL on failure */
    tryon_status st;

    tryon_stylegan2_info si;
    fuzz_clear_error(ctx);
    fuzz_check_status(ctx, tryon_stylegan2_get_info(ctx, w, &si), "stylegan2_get_info");
    fuzz_clear_error(ctx);
    st = tryon_stylegan2_build(ctx, w, 1, TRYON_STYLEGAN2_INPUT_Z, &m);
    fuzz_check_status(ctx, st, "stylegan2_build");
    FUZZ_REQUIRE((st == TRYON_OK) == (m != NULL), "stylegan2_build: model %p", (void *)m);
    if (m) {
        tryon_stylegan2_set_noise(m, TRYON_STYLEGAN2_NOISE_RANDOM, 7);
        run_model(ctx, m, "stylegan2");
    }

    tryon_cyclegan_params cp = tryon_cyclegan_params_default();
    cp.height = 9, cp.width = 7;
    tryon_cyclegan_info ci;
    fuzz_clear_error(ctx);
    fuzz_check_status(ctx, tryon_cyclegan_inspect(ctx, w, &cp, &ci), "cyclegan_inspect");
    m = (tryon_model *)w;
    fuzz_clear_error(ctx);
    st = tryon_cyclegan_load(ctx, w, &cp, &m);
    fuzz_check_status(ctx, st, "cyclegan_load");
    FUZZ_REQUIRE((st == TRYON_OK) == (m != NULL), "cyclegan_load: model %p", (void *)m);
    if (m) run_model(ctx, m, "cyclegan");

    tryon_posenet_params pp = tryon_posenet_params_default();
    pp.input = TRYON_POSENET_INPUT_TENSOR;
    pp.input_width = pp.input_height = 33;
    pp.multi = 1;
    m = (tryon_model *)w;
    fuzz_clear_error(ctx);
    st = tryon_posenet_load(ctx, w, &pp, &m);
    fuzz_check_status(ctx, st, "posenet_load");
    FUZZ_REQUIRE((st == TRYON_OK) == (m != NULL), "posenet_load: model %p", (void *)m);
    if (m) {
        tryon_pose poses[8];
        int32_t n = 0;
        fuzz_clear_error(ctx);
        st = tryon_model_run(m);
        fuzz_check_status(ctx, st, "posenet run");
        if (st == TRYON_OK) {
            FUZZ_REQUIRE(tryon_posenet_poses(m, poses, 8, &n) == TRYON_OK && n >= 0,
                         "posenet_poses");
        }
        tryon_model_free(m);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tryon_ctx *ctx = fuzz_ctx();
    const char *path = fuzz_memfile(0, data, size);
    tryon_weights *w = (tryon_weights *)path; /* must come back NULL on failure */
    fuzz_clear_error(ctx);
    tryon_status st = tryon_weights_open(ctx, path, &w);
    fuzz_check_status(ctx, st, "weights_open");
    if (st != TRYON_OK) {
        FUZZ_REQUIRE(w == NULL, "failed open left *out set");
        return 0;
    }
    check_views(w, data, size);
    try_families(ctx, w);
    tryon_weights_close(w);
    return 0;
}
