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
    TRYON_ERR_INVALID_ARG, /* bad argument, shape or option */
    TRYON_ERR_NOMEM,       /* an allocation failed */
    TRYON_ERR_IO,          /* a file could not be opened, read or written */
    TRYON_ERR_FORMAT,      /* a file is malformed (weights, PNG, .npy) */
    TRYON_ERR_UNSUPPORTED, /* valid but not supported (dtype, op on a device) */
    TRYON_ERR_LIMIT,       /* exceeds a configured limit (pixels, bytes) */
    TRYON_ERR_NO_DEVICE,   /* CUDA requested but no usable device */
    TRYON_ERR_CUDA,        /* a CUDA call failed */
    TRYON_ERR_DEVICE_LOST, /* a sticky device error poisoned the context */
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
    int32_t n_threads;              /* CPU worker threads; <= 0: one per online core */
    int64_t max_image_pixels;       /* width*height of a PNG read (checked from its header)
                                       or of tryon_image_alloc; default 1<<26 */
    int64_t max_tensor_bytes;       /* bytes of one weight tensor, .npy array or model graph
                                       tensor (activation, workspace); default 1<<32 */
    int32_t profile;                /* 1: time every graph node (tryon_model_profile) */
    int32_t cuda_sync_after_launch; /* 1: synchronize after each kernel (debug) */
    int32_t cuda_precision;         /* storage of activations and weights on CUDA:
                                       TRYON_DTYPE_F32 (default), TRYON_DTYPE_F16 or
                                       TRYON_DTYPE_BF16; arithmetic is always fp32, and
                                       model inputs and outputs stay F32 (so do the
                                       warping, rasterization and PoseNet decoding ops,
                                       whose coordinates need it) */
    int32_t kernels;                /* tryon_kernels: which implementations run */
} tryon_ctx_params;

/* Which implementation of an op runs. OWN picks tryon's fastest hand-written
 * kernel for the machine (CPU: by the ISA found at run time, AVX-512, AVX2 or
 * portable C). VENDOR uses the vendor libraries where a baseline exists
 * (convolution and GEMM on CUDA: cuDNN, cuBLAS) and OWN elsewhere. REFERENCE
 * runs the plain reference kernels (kernels/cpu/, the oracle every faster path
 * is tested against) on the CPU; on CUDA it means OWN. */
typedef enum tryon_kernels {
    TRYON_KERNELS_OWN = 0,   /* tryon's fastest hand-written kernels (default) */
    TRYON_KERNELS_VENDOR,    /* cuDNN / cuBLAS where available (benchmarks, tests) */
    TRYON_KERNELS_REFERENCE, /* the CPU reference kernels (oracle, benchmarks) */
    TRYON_KERNELS_COUNT
} tryon_kernels;

typedef struct tryon_ctx tryon_ctx;

/* Defaults for every field; start from this so new fields stay compatible. */
tryon_ctx_params tryon_ctx_params_default(void);

/* Creates a context: thread pool, limits, device selection.
 * Errors: TRYON_ERR_INVALID_ARG, TRYON_ERR_NOMEM, TRYON_ERR_NO_DEVICE (CUDA asked,
 * none usable; *out is still NULL). Since there is no context yet on failure,
 * the reason is written to errbuf (if not NULL, up to errbuf_size bytes). */
tryon_status tryon_ctx_init(const tryon_ctx_params *params, tryon_ctx **out, char *errbuf,
                            size_t errbuf_size);
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
    const char *name; /* owned by the object the view came from */
    tryon_dtype dtype;
    int32_t ndim;
    int64_t shape[TRYON_MAX_DIMS]; /* outermost first; unused dims are 1 */
    void *data;                    /* host pointer, or NULL when not host-visible */
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
    int32_t channels; /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
    uint8_t *data;    /* height*width*channels bytes, rows top to bottom */
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
    float *data; /* product(shape) floats */
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
/* Index of the input named name (the names tryon_model_input reports), or -1. */
int32_t tryon_model_input_index(const tryon_model *m, const char *name);
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
    const char *op;   /* op name, static storage */
    const char *name; /* node name, owned by the model */
    double ms;
} tryon_node_time;
int32_t tryon_model_profile(const tryon_model *m, tryon_node_time *out, int32_t cap);

/* ------------------------------------------------------------------------ */
/* StyleGAN2 generator (NVlabs stylegan2-ada-pytorch G_ema)                  */
/*                                                                           */
/* Weights: tools/convert.py stylegan2 (official .pkl or G_ema state_dict).  */
/* The numerics follow the official generator with force_fp32=True (float32  */
/* everywhere, conv_clamp applied); see weights/README.md, section StyleGAN2. */
/* A model is built once per (weights, batch, input kind) and run many times; */
/* truncation, labels, noise mode and noise seed are run-time inputs.        */

typedef enum tryon_stylegan2_input {
    TRYON_STYLEGAN2_INPUT_Z = 0, /* mapping + synthesis: z (and c) -> image */
    TRYON_STYLEGAN2_INPUT_W      /* synthesis only: ws -> image (projections) */
} tryon_stylegan2_input;

typedef enum tryon_stylegan2_noise {
    TRYON_STYLEGAN2_NOISE_CONST = 0, /* noise_const * noise_strength (generate.py default) */
    TRYON_STYLEGAN2_NOISE_NONE,      /* no noise */
    TRYON_STYLEGAN2_NOISE_RANDOM     /* seeded Gaussian noise * noise_strength (below) */
} tryon_stylegan2_noise;
/* Random noise is not torch.randn: value j = (n*res + y)*res + x of layer l
 * (layers numbered from 0 in synthesis order: b4.conv1, b8.conv0, b8.conv1, ...)
 * is computed in double from a counter-based generator, with
 * mix(v) = splitmix64's finalizer (v ^= v>>30; v *= 0xBF58476D1CE4E5B9;
 * v ^= v>>27; v *= 0x94D049BB133111EB; v ^= v>>31) and wrapping uint64 math:
 *   key = mix(seed + 0x9E3779B97F4A7C15 * (l + 1)), p = j / 2,
 *   u1 = ((mix(key + 2p) >> 11) + 1) * 2^-53, u2 = (mix(key + 2p + 1) >> 11) * 2^-53,
 *   g = sqrt(-2 ln u1) * (j even ? cos(2 pi u2) : sin(2 pi u2)),
 * then rounded to float and multiplied by the layer's noise_strength. */

typedef struct tryon_stylegan2_info {
    int32_t z_dim, c_dim, w_dim; /* z_dim may be 0 for label-only generators */
    int32_t num_ws;              /* w vectors per image: 2*log2(resolution) - 2 */
    int32_t resolution;          /* output height = width */
    int32_t img_channels;
    int32_t mapping_layers;
    int32_t has_w_avg;        /* 0: truncation is unavailable */
    float conv_clamp;         /* 0 = none */
    const char *architecture; /* "orig", "skip" or "resnet"; static storage */
} tryon_stylegan2_info;

/* Reads and validates the generator's configuration. Weights of another
 * family are TRYON_ERR_FORMAT with a message naming both families. */
tryon_status tryon_stylegan2_get_info(tryon_ctx *ctx, const tryon_weights *w,
                                      tryon_stylegan2_info *out);

/* Builds and plans the generator for `batch` images (>= 1).
 * Inputs, in this order (names in quotes; see tryon_model_input):
 *   INPUT_Z: "z" (batch, z_dim) f32 when z_dim > 0; "c" (batch, c_dim) f32
 *            one-hot labels when c_dim > 0; "psi" (num_ws, 1) f32 truncation
 *            per w (initialised to 1: none); "noise" (4) i32 noise control;
 *   INPUT_W: "ws" (batch, num_ws, w_dim) f32; "noise" (4) i32.
 * Outputs: 0 "img" (batch, img_channels, R, R) f32, NCHW like the reference,
 * nominal range [-1, 1], not clamped; INPUT_Z also 1 "ws" (batch, num_ws, w_dim).
 * The noise control starts as TRYON_STYLEGAN2_NOISE_CONST. */
tryon_status tryon_stylegan2_build(tryon_ctx *ctx, const tryon_weights *w, int32_t batch,
                                   tryon_stylegan2_input input, tryon_model **out);

/* Truncation of an INPUT_Z model: ws[:, k] = lerp(w_avg, w, psi) for
 * k < cutoff (every k when cutoff < 0), as G(z, c, truncation_psi=psi,
 * truncation_cutoff=cutoff). psi = 1 disables it. TRYON_ERR_INVALID_ARG for a
 * non-finite psi, a model without "psi", or psi != 1 without w_avg. */
tryon_status tryon_stylegan2_set_truncation(tryon_model *m, float psi, int32_t cutoff);

/* Noise mode and seed (used by TRYON_STYLEGAN2_NOISE_RANDOM) for later runs. */
tryon_status tryon_stylegan2_set_noise(tryon_model *m, tryon_stylegan2_noise mode, uint64_t seed);

/* z = numpy.random.RandomState(seed).randn(z_dim), bit for bit (MT19937
 * seeded like RandomState(int), NumPy's legacy polar Gaussian): the latent of
 * generate.py --seeds=seed. out holds z_dim doubles; convert to float for "z". */
void tryon_stylegan2_seed_z(uint32_t seed, int32_t z_dim, double *out);

/* ------------------------------------------------------------------------ */
/* PoseNet: body keypoints (MobileNetV1 PoseNet, tfjs-models posenet 2.x)    */
/*                                                                           */
/* The model's graph holds everything from the 8-bit RGB image to the poses:
 * tfjs-models' padAndResizeTo (zero-pad the image to the network's aspect
 * ratio, equal amounts on both sides, then bilinear resize with TF's legacy
 * mapping, align_corners = half_pixel_centers = false), x/127.5 - 1, the
 * MobileNetV1 backbone with TF 'SAME' padding, the four heads, sigmoid of the
 * heatmap, and the decoder (decodeSinglePose or decodeMultiplePoses), with
 * keypoints mapped back to image pixels as scaleAndFlipPoses does (no flip).
 * Weights: `tools/convert.py posenet-tfjs` or `make weights`
 * (weights/README.md, PoseNet section). */

#define TRYON_POSENET_KEYPOINTS 17

typedef enum tryon_posenet_input {
    TRYON_POSENET_INPUT_IMAGE = 0, /* U8 (1, image_height, image_width, 3) RGB */
    TRYON_POSENET_INPUT_TENSOR,    /* F32 (1, input_height, input_width, 3), already x/127.5-1;
                                      poses are then in pixels of this tensor */
} tryon_posenet_input;

typedef struct tryon_posenet_params {
    tryon_posenet_input input;
    int32_t image_width, image_height; /* IMAGE: the image size the model is built for */
    /* Network resolution. 0 = the size recorded in the weights (posenet.input_height/
     * width), or 257 (tfjs-models' default) when the graph accepts any size. With IMAGE
     * input a size is rounded down to a valid one, k*output_stride + 1, as tfjs-models'
     * toValidInputResolution does; a TENSOR input is used at exactly this size. */
    int32_t input_width, input_height;
    int32_t multi;         /* 0: single pose (argmax), 1: multiple poses */
    int32_t max_poses;     /* multi: maximum number of poses (default 5) */
    float score_threshold; /* multi: minimum root part score (default 0.5) */
    float nms_radius;      /* multi: NMS radius in network pixels (default 20) */
    int32_t exact;         /* 1: every convolution accumulates as TF.js's CPU backend
                              does (each tap added in double, rounded once to float):
                              its heads bit for bit, about 6x slower on the CPU.
                              0 (default): float multiply-adds in the same tap order;
                              with FMA (AVX2, AVX-512) a tap differs from TF.js's only
                              where the double sum rounds to a float tie (~2^-29 per
                              tap), otherwise within float rounding (README). */
} tryon_posenet_params;

/* Single pose, IMAGE input of size 0x0 (set it), defaults as in tfjs-models. */
tryon_posenet_params tryon_posenet_params_default(void);

/* Model outputs, in this order (NHWC F32 heads at the network's stride):
 *   0 heatmap          (1, H, W, 17)  part logits (the TF graph's heatmap_2 output)
 *   1 heatmap_scores   (1, H, W, 17)  sigmoid(heatmap)
 *   2 offsets          (1, H, W, 34)  dy of the 17 parts, then dx, in network pixels
 *   3 displacement_fwd (1, H, W, 32)  dy then dx along the 16 pose-chain edges
 *   4 displacement_bwd (1, H, W, 32)
 *   5 poses            (1, P, 18, 3)  P = 1 or max_poses; rows 0..16 keypoint
 *                      (x, y, score) in image pixels, row 17 (pose score, 1, 0);
 *                      unused slots are zero (read them with tryon_posenet_poses)
 *   6 input            (1, R_h, R_w, 3) the preprocessed network input (IMAGE only) */
enum {
    TRYON_POSENET_OUT_HEATMAP = 0,
    TRYON_POSENET_OUT_HEATMAP_SCORES,
    TRYON_POSENET_OUT_OFFSETS,
    TRYON_POSENET_OUT_DISPLACEMENT_FWD,
    TRYON_POSENET_OUT_DISPLACEMENT_BWD,
    TRYON_POSENET_OUT_POSES,
    TRYON_POSENET_OUT_INPUT,
};

/* Builds the model. The weights must be a posenet file (tryon.family); another
 * family is TRYON_ERR_FORMAT with a message naming both. w must outlive the model.
 * Errors: TRYON_ERR_INVALID_ARG (params), TRYON_ERR_FORMAT (weights), TRYON_ERR_LIMIT,
 * TRYON_ERR_NOMEM, TRYON_ERR_UNSUPPORTED. */
tryon_status tryon_posenet_load(tryon_ctx *ctx, const tryon_weights *w,
                                const tryon_posenet_params *params, tryon_model **out);

typedef struct tryon_keypoint {
    float x, y;  /* image pixels */
    float score; /* part score (sigmoid of the heatmap) */
} tryon_keypoint;

typedef struct tryon_pose {
    float score; /* pose score as tfjs-models computes it */
    tryon_keypoint keypoints[TRYON_POSENET_KEYPOINTS];
} tryon_pose;

/* Copies up to cap poses of the last run into out (in decoding order) and sets
 * *n_poses to how many were found. Errors: TRYON_ERR_INVALID_ARG when m is not
 * a PoseNet model. */
tryon_status tryon_posenet_poses(tryon_model *m, tryon_pose *out, int32_t cap, int32_t *n_poses);

/* COCO name of keypoint k ("nose", "left_eye", ... "right_ankle"), NULL if out
 * of range. Static storage. */
const char *tryon_posenet_keypoint_name(int32_t k);

/* ------------------------------------------------------------------------ */

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
    int32_t batch;         /* images per run, >= 1 */
    int32_t height, width; /* input size in pixels */
} tryon_cyclegan_params;

/* batch 1, 256 x 256. */
tryon_cyclegan_params tryon_cyclegan_params_default(void);

typedef struct tryon_cyclegan_info {
    tryon_cyclegan_family family;
    const char *family_name; /* "cyclegan" or "transformernet", static */
    int32_t in_channels, out_channels;
    int32_t out_height, out_width; /* for the params given */
    float range_lo, range_hi;      /* nominal input/output range: -1..1 or 0..255 */
    int32_t ngf, n_blocks;         /* ResnetGenerator width and residual blocks */
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

/* ------------------------------------------------------------------------ */
/* Try-on: garment preparation and the fitting graph                         */
/*
 * A garment is prepared once (its own small graph): a product photo on a
 * plain background (the background colour is taken from the image border)
 * or an RGBA image (alpha is the mask) becomes a premultiplied RGBA texture,
 * a mask, anchor points (neck, shoulders, armpits, waist, hem corners, and
 * the sleeves' edges for long sleeves hanging apart from the torso) and a
 * grid mesh over the texture. Optionally a CycleGAN-style net restyles the
 * texture first (the mask comes from the original photo).
 *
 * The fitting graph is built and planned once per person image size and run
 * for every frame; it allocates nothing. Per frame: PoseNet keypoints ->
 * control points between the garment's anchors and the body (shoulder line,
 * torso frame, sleeves along the arms) -> thin-plate spline fitted inside
 * the graph -> the deformed garment mesh rasterized with its texture, with
 * the arms (a proxy from the keypoints) in front of the garment's torso ->
 * shading transfer (the person's smoothed luminance under the garment,
 * relative to its mean there, modulates the garment) -> feathered alpha
 * composite. Upper-body garments seen from the front only: trousers, skirts,
 * dresses and garments photographed at an angle are not supported, and the
 * person's own clothes stay visible wherever the new garment does not cover
 * them.
 */

#define TRYON_GARMENT_ANCHORS 17

typedef struct tryon_garment tryon_garment;

typedef struct tryon_garment_params {
    int32_t texture_width, texture_height; /* texture size (default 384 x 512) */
    int32_t grid_x, grid_y;                /* mesh cells (default 32 x 40) */
    float background_threshold;            /* 0..255, largest channel difference from
                                              the border colour (default 12) */
    int32_t close_radius;                  /* mask closing radius in texels, 0 = auto */
} tryon_garment_params;

tryon_garment_params tryon_garment_params_default(void);

/* Prepares a garment from img (3 or 4 channels; any size, resized to the
 * texture size). style, if not NULL, is a CycleGAN or TransformerNet weights
 * file applied to the texture's colours (texture sides must then be
 * multiples of 4). Errors: TRYON_ERR_INVALID_ARG (params, channels),
 * TRYON_ERR_UNSUPPORTED (no garment found in the image: no shoulders),
 * TRYON_ERR_FORMAT (style weights), TRYON_ERR_NOMEM. */
tryon_status tryon_garment_prepare(tryon_ctx *ctx, const tryon_image *img,
                                   const tryon_garment_params *p, const tryon_weights *style,
                                   tryon_garment **out);
void tryon_garment_free(tryon_garment *g);

typedef struct tryon_garment_info {
    int32_t texture_width, texture_height;
    int32_t has_sleeves, has_straps;
    /* anchors in texture pixels: (x, y, present); names: tryon_garment_anchor_name */
    float anchors[TRYON_GARMENT_ANCHORS][3];
} tryon_garment_info;

void tryon_garment_get_info(const tryon_garment *g, tryon_garment_info *out);
/* "neck", "shoulder_l", ... (l/r: the image's left and right). Static storage. */
const char *tryon_garment_anchor_name(int32_t k);
/* The premultiplied RGBA texture as an 8-bit RGBA image (un-premultiplied),
 * for inspection; the caller frees it with tryon_image_free. */
tryon_status tryon_garment_texture(tryon_ctx *ctx, const tryon_garment *g, tryon_image *out);

typedef struct tryon_fit_params {
    int32_t width, height;                 /* person image size; ignored with a generator */
    int32_t texture_width, texture_height; /* of the garments it will wear (default 384 x 512) */
    int32_t grid_x, grid_y;                /* their mesh (default 32 x 40) */
    float min_keypoint_score;              /* keypoints below are ignored (default 0.2) */
    float shading;                         /* shading transfer strength 0..2 (default 0.7) */
    float feather;                         /* edge softening, pixels (default 1) */
    /* A StyleGAN2 generator (tryon_stylegan2_build's weights) or NULL. With one
     * the person is generated inside the graph from inputs "z" (1, z_dim) [and
     * "c" (1, c_dim)], "psi" and "noise", as tryon_stylegan2_build's INPUT_Z
     * model takes them, instead of read from input "person". */
    const tryon_weights *person_generator;
    /* 1: the keypoints come from the caller (another pose estimator, a
     * tracker) through input "poses" (1, 1, 18, 3) f32, laid out as PoseNet's
     * output (rows keypoint x, y, score in image pixels, pixel centres at
     * integers; row 17 pose score, 1, 0), and no PoseNet runs; the posenet
     * weights may then be NULL. */
    int32_t external_pose;
} tryon_fit_params;

tryon_fit_params tryon_fit_params_default(void);

/* Builds and plans the fitting graph. posenet: PoseNet weights (make weights),
 * or NULL with external_pose.
 * Inputs, by name (tryon_model_input): "person" (1, H, W, 3) U8 (or the
 * generator's inputs), "garment_texture", "garment_anchors", "garment_tri",
 * "garment_sleeve" (set them with tryon_fit_set_garment), "placement" (4)
 * (tryon_fit_set_placement; starts at scale 1, no rotation, no offset).
 * Outputs: 0 "image" (1, H, W, 3) U8, 1 "poses" (1, 1, 18, 3) (as PoseNet's),
 * 2 "garment_layer" (1, H, W, 4) F32 premultiplied RGBA of the warped garment,
 * 3 "controls" (1, 18, 5) (garment point, body point, used; last row: valid,
 * shoulder width), 4 "person" (1, H, W, 3) F32 when generated.
 * The weights must stay open while the model lives. */
tryon_status tryon_fit_load(tryon_ctx *ctx, const tryon_weights *posenet, const tryon_fit_params *p,
                            tryon_model **out);
/* Copies a prepared garment into the model's inputs (texture size and mesh
 * must match the model's). */
tryon_status tryon_fit_set_garment(tryon_model *m, const tryon_garment *g);
/* Placement on the body: scale (> 0) and rotation (degrees, clockwise on
 * screen) about the garment's centre, then a shift in pixels. */
tryon_status tryon_fit_set_placement(tryon_model *m, float scale, float rotate_deg, float dx,
                                     float dy);
/* Whether the last run found a body to dress (both shoulders seen) and the
 * pose it used. */
tryon_status tryon_fit_result(tryon_model *m, int32_t *dressed, tryon_pose *pose);

#ifdef __cplusplus
}
#endif
#endif /* TRYON_H */
