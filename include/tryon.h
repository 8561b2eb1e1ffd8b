/* tryon.h — the public C API of tryon, an inference engine for virtual try-on.
 *
 * This header is the documentation: anything not declared here is internal.
 *
 * Shape of the API (after sqlite):
 *   - opaque handles with init/free pairs; every free accepts NULL;
 *   - every call that can fail returns a tryon_status, with a human-readable
 *     message kept per context (tryon_ctx_last_error), never in a global;
 *   - out-parameters come last and are set to NULL/0 on failure;
 *   - the library never prints, exits or aborts on user error.
 *
 * Threading: a tryon_ctx (and everything created from it) is used by one
 * thread at a time. A tryon_weights handle is immutable once opened and may be
 * shared read-only by models built in several contexts on several threads.
 *
 * Layout conventions: activations are NHWC, shapes are listed outermost
 * first, data is contiguous row-major.
 */
#ifndef TRYON_H
#define TRYON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRYON_VERSION_MAJOR 0
#define TRYON_VERSION_MINOR 1
#define TRYON_VERSION_PATCH 0

/* "0.1.0" plus build details ("cpu" or "cpu+cuda"). Static storage. */
const char *tryon_version(void);

/* ------------------------------------------------------------------------ */
/* Status                                                                    */

typedef enum tryon_status {
    TRYON_OK = 0,
    TRYON_ERR_INVALID_ARG,  /* bad argument, shape or option */
    TRYON_ERR_NOMEM,        /* an allocation failed */
    TRYON_ERR_IO,           /* a file could not be opened, read or written */
    TRYON_ERR_FORMAT,       /* a file is malformed (weights, PNG, .npy) */
    TRYON_ERR_UNSUPPORTED,  /* valid but not supported (dtype, op on a device) */
    TRYON_ERR_LIMIT,        /* exceeds a configured limit (pixels, bytes) */
    TRYON_ERR_NO_DEVICE,    /* CUDA requested but no usable device */
    TRYON_ERR_CUDA,         /* a CUDA call failed */
    TRYON_ERR_DEVICE_LOST,  /* a sticky device error poisoned the context */
    TRYON_STATUS_COUNT
} tryon_status;

/* Short fixed name of a status ("invalid argument"). Static storage. */
const char *tryon_status_str(tryon_status s);

/* ------------------------------------------------------------------------ */
/* Context                                                                   */

typedef enum tryon_device {
    TRYON_DEVICE_CPU = 0,
    TRYON_DEVICE_CUDA,
    TRYON_DEVICE_COUNT
} tryon_device;

typedef struct tryon_ctx_params {
    tryon_device device;
    int32_t n_threads;            /* CPU worker threads; <= 0: one per online core */
    int64_t max_image_pixels;     /* PNG reader limit (width*height); default 1<<26 */
    int64_t max_tensor_bytes;     /* any single tensor or file read; default 1<<32 */
    int32_t profile;              /* 1: time every graph node (tryon_model_profile) */
    int32_t cuda_sync_after_launch; /* 1: synchronize after each kernel (debug) */
} tryon_ctx_params;

typedef struct tryon_ctx tryon_ctx;

/* Defaults for every field; start from this so new fields stay compatible. */
tryon_ctx_params tryon_ctx_params_default(void);

/* Creates a context: thread pool, limits, device selection.
 * Errors: TRYON_ERR_INVALID_ARG, TRYON_ERR_NOMEM, TRYON_ERR_NO_DEVICE (CUDA asked,
 * none usable; *out is still NULL). Since there is no context yet on failure,
 * the reason is written to errbuf (if not NULL, up to errbuf_size bytes). */
tryon_status tryon_ctx_init(const tryon_ctx_params *params, tryon_ctx **out,
                            char *errbuf, size_t errbuf_size);
void tryon_ctx_free(tryon_ctx *ctx);

/* Message of the last failure on this context, "" if none. Valid until the next
 * failing call on the context. */
const char *tryon_ctx_last_error(const tryon_ctx *ctx);
/* Source location ("runtime/png.c:123") of the last failure, "" if none. */
const char *tryon_ctx_last_error_where(const tryon_ctx *ctx);
/* Threads used by the context's pool (the caller counts as one). */
int32_t tryon_ctx_n_threads(const tryon_ctx *ctx);

/* Number of usable CUDA devices (0 in a CPU-only build, without a driver or
 * with a driver older than the runtime). Never fails. */
int32_t tryon_cuda_device_count(void);

/* ------------------------------------------------------------------------ */
/* Tensors (views into model or file memory)                                 */

typedef enum tryon_dtype {
    TRYON_DTYPE_F32 = 0,
    TRYON_DTYPE_F16,
    TRYON_DTYPE_BF16,
    TRYON_DTYPE_I32,
    TRYON_DTYPE_U8,
    TRYON_DTYPE_COUNT
} tryon_dtype;

#define TRYON_MAX_DIMS 4

typedef struct tryon_tensor {
    const char *name;             /* owned by the object the view came from */
    tryon_dtype dtype;
    int32_t ndim;
    int64_t shape[TRYON_MAX_DIMS]; /* outermost first; unused dims are 1 */
    void *data;                   /* host pointer, or NULL when not host-visible */
} tryon_tensor;

const char *tryon_dtype_name(tryon_dtype t); /* "F32", ... */
size_t tryon_dtype_size(tryon_dtype t);      /* bytes per element, 0 if invalid */

/* ------------------------------------------------------------------------ */
/* Weights: safetensors files, memory-mapped, validated before use           */

typedef struct tryon_weights tryon_weights;

/* Maps and validates a safetensors file (header length, JSON, dtypes F32/F16/
 * BF16/I32/U8, shapes, offsets inside the file, no overlap or holes, element
 * alignment). The handle does not keep a pointer to ctx: it may be shared
 * read-only across contexts and threads after this returns.
 * Errors: TRYON_ERR_IO, TRYON_ERR_FORMAT, TRYON_ERR_LIMIT, TRYON_ERR_NOMEM. */
tryon_status tryon_weights_open(tryon_ctx *ctx, const char *path, tryon_weights **out);
void tryon_weights_close(tryon_weights *w);

int32_t tryon_weights_n_tensors(const tryon_weights *w);
/* i-th tensor in file order (ascending data offset). NULL data never happens. */
tryon_status tryon_weights_tensor_at(const tryon_weights *w, int32_t i, tryon_tensor *out);
/* By name; TRYON_ERR_INVALID_ARG if absent. */
tryon_status tryon_weights_find(const tryon_weights *w, const char *name, tryon_tensor *out);
int32_t tryon_weights_n_metadata(const tryon_weights *w);
/* i-th __metadata__ entry; pointers live as long as w. */
tryon_status tryon_weights_metadata_at(const tryon_weights *w, int32_t i, const char **key,
                                       const char **value);
/* Value of a __metadata__ key or NULL. */
const char *tryon_weights_metadata(const tryon_weights *w, const char *key);

/* ------------------------------------------------------------------------ */
/* Images (8-bit, interleaved) and .npy arrays                               */

typedef struct tryon_image {
    int32_t width, height;
    int32_t channels;     /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    uint8_t *data;        /* height*width*channels bytes, rows top to bottom */
} tryon_image;

/* Reads a PNG of any kind (gray, gray+alpha, RGB, RGBA, palette, 1-16 bits,
 * interlaced). 16-bit samples are reduced to 8 bits; palette becomes RGB or
 * RGBA (with tRNS). want_channels = 0 keeps the file's channel count,
 * 1..4 converts (gray<->RGB by BT.601 luma, alpha added opaque or dropped).
 * Errors: TRYON_ERR_IO, TRYON_ERR_FORMAT, TRYON_ERR_LIMIT, TRYON_ERR_NOMEM. */
tryon_status tryon_image_read_png(tryon_ctx *ctx, const char *path, int32_t want_channels,
                                  tryon_image *out);
tryon_status tryon_image_write_png(tryon_ctx *ctx, const char *path, const tryon_image *img);
/* Allocates a zeroed image. */
tryon_status tryon_image_alloc(tryon_ctx *ctx, int32_t width, int32_t height, int32_t channels,
                               tryon_image *out);
void tryon_image_free(tryon_image *img); /* frees data, zeroes the struct; NULL-safe */

typedef struct tryon_array {
    int32_t ndim;
    int64_t shape[TRYON_MAX_DIMS];
    float *data;          /* product(shape) floats */
} tryon_array;

/* Reads a .npy (format 1.0/2.0/3.0) holding little-endian float32 ('<f4') in C
 * order with 0..4 dimensions; anything else is TRYON_ERR_FORMAT or
 * TRYON_ERR_UNSUPPORTED with the reason. */
tryon_status tryon_npy_read(tryon_ctx *ctx, const char *path, tryon_array *out);
tryon_status tryon_npy_write(tryon_ctx *ctx, const char *path, const tryon_array *a);
tryon_status tryon_array_alloc(tryon_ctx *ctx, int32_t ndim, const int64_t *shape,
                               tryon_array *out);
void tryon_array_free(tryon_array *a);
int64_t tryon_array_numel(const tryon_array *a);

/* ------------------------------------------------------------------------ */
/* Models: a network's graph, built and planned once, then run many times    */

typedef struct tryon_model tryon_model;

/* Runs every node. Performs no allocation and, on the CPU, no system call
 * other than waking the worker threads. */
tryon_status tryon_model_run(tryon_model *m);
void tryon_model_free(tryon_model *m);

int32_t tryon_model_n_inputs(const tryon_model *m);
int32_t tryon_model_n_outputs(const tryon_model *m);
/* Views of inputs/outputs. data is a host pointer on the CPU backend, NULL on
 * CUDA (use the copy calls below). Valid until tryon_model_free. */
tryon_status tryon_model_input(const tryon_model *m, int32_t i, tryon_tensor *out);
tryon_status tryon_model_output(const tryon_model *m, int32_t i, tryon_tensor *out);
/* Copy into an input / out of an output, on any device. bytes must equal the
 * tensor's size exactly. */
tryon_status tryon_model_set_input(tryon_model *m, int32_t i, const void *src, size_t bytes);
tryon_status tryon_model_get_output(tryon_model *m, int32_t i, void *dst, size_t bytes);

/* Bytes of the planned activation arena (all intermediate tensors, inputs,
 * outputs and per-op workspace). */
int64_t tryon_model_arena_bytes(const tryon_model *m);

/* Per-node timings of the last run when the context was made with
 * profile = 1: fills up to cap entries, returns the number of nodes. */
typedef struct tryon_node_time {
    const char *op;       /* op name, static storage */
    const char *name;     /* node name, owned by the model */
    double ms;
} tryon_node_time;
int32_t tryon_model_profile(const tryon_model *m, tryon_node_time *out, int32_t cap);


/* ------------------------------------------------------------------------ */
/* CycleGAN-style generators (garment rendering)                             */
/*
 * Two ResNet image-to-image families, computed as their official PyTorch code
 * does (specs: NETS.md section 2; tools/convert.py cyclegan makes the weights):
 *   - TRYON_CYCLEGAN_RESNET: pytorch-CycleGAN-and-pix2pix ResnetGenerator
 *     (norm='instance', any ngf and n_blocks); input and output in [-1, 1];
 *     weights with tryon.family = "cyclegan".
 *   - TRYON_CYCLEGAN_TRANSFORMERNET: pytorch/examples fast_neural_style
 *     TransformerNet; input and output RGB in 0..255 (the output is not
 *     clamped: that is post-processing); tryon.family = "transformernet".
 * Instance norm always uses per-image statistics (eps 1e-5, biased variance).
 * Both nets halve the size twice and double it twice, so an H x W input gives
 * an output of 4*ceil(H/4) x 4*ceil(W/4) (equal to the input when H and W are
 * multiples of 4, as in PyTorch). The smallest input is 5x5 (4x4 for a
 * ResnetGenerator without residual blocks): reflection padding needs it.
 *
 * The model has one input and one output, both f32 NHWC (the library's
 * layout, not PyTorch's NCHW): input 0 "image" (batch, height, width,
 * in_channels), output 0 "image" (batch, out_height, out_width, out_channels).
 * The model reads the weights in place: keep w open until the model is freed.
 */

typedef enum tryon_cyclegan_family {
    TRYON_CYCLEGAN_RESNET = 0,
    TRYON_CYCLEGAN_TRANSFORMERNET,
    TRYON_CYCLEGAN_FAMILY_COUNT
} tryon_cyclegan_family;

typedef struct tryon_cyclegan_params {
    int32_t batch;          /* images per run, >= 1 */
    int32_t height, width;  /* input size in pixels */
} tryon_cyclegan_params;

/* batch 1, 256 x 256. */
tryon_cyclegan_params tryon_cyclegan_params_default(void);

typedef struct tryon_cyclegan_info {
    tryon_cyclegan_family family;
    const char *family_name;          /* "cyclegan" or "transformernet", static */
    int32_t in_channels, out_channels;
    int32_t out_height, out_width;    /* for the params given */
    float range_lo, range_hi;         /* nominal input/output range: -1..1 or 0..255 */
    int32_t ngf, n_blocks;            /* ResnetGenerator width and residual blocks */
} tryon_cyclegan_info;

/* Reads the family and hyper-parameters from w's metadata and checks params
 * (no graph is built). Errors: TRYON_ERR_FORMAT for weights of another family
 * (the message names both) or bad metadata, TRYON_ERR_INVALID_ARG for a batch
 * below 1 or an input too small for the reflection padding. */
tryon_status tryon_cyclegan_inspect(tryon_ctx *ctx, const tryon_weights *w,
                                    const tryon_cyclegan_params *p, tryon_cyclegan_info *out);

/* Builds and plans the generator for p. Errors: those of tryon_cyclegan_inspect,
 * TRYON_ERR_FORMAT for a missing or misshapen tensor (named), TRYON_ERR_LIMIT
 * when an activation exceeds max_tensor_bytes, TRYON_ERR_NOMEM. */
tryon_status tryon_cyclegan_load(tryon_ctx *ctx, const tryon_weights *w,
                                 const tryon_cyclegan_params *p, tryon_model **out);

#ifdef __cplusplus
}
#endif
#endif /* TRYON_H */
