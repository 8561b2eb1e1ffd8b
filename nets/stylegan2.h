/* stylegan2.h — internal pieces of the StyleGAN2 generator (NVlabs
 * stylegan2-ada-pytorch G_ema): the configuration read from a converted
 * weights file, and the mapping / synthesis graph builders.
 *
 * Everything the graph needs is inferred from the tensors (dimensions,
 * blocks, channels, kernel size, architecture, which layers have noise);
 * the metadata supplies what tensors cannot say (conv_clamp, the mapping
 * learning-rate multiplier, activations) and is cross-checked against them.
 * Layout of the file: weights/README.md, section StyleGAN2.
 * Tests: tests/test_stylegan2.c. */
#ifndef TR_NETS_STYLEGAN2_H
#define TR_NETS_STYLEGAN2_H

#include "graph.h"

#define TR_SG2_MAX_BLOCKS  12 /* resolutions 4 .. 8192 */
#define TR_SG2_MAX_MAPPING 64

typedef enum tr_sg2_arch { TR_SG2_ORIG = 0, TR_SG2_SKIP, TR_SG2_RESNET } tr_sg2_arch;

typedef struct tr_sg2_block {
    int32_t res;         /* 4, 8, ... */
    int32_t c_in, c_out; /* c_in = 0 for b4 (const input) */
    int32_t has_torgb;   /* skip architecture: every block; else the last */
    int32_t has_skip;    /* resnet: 1x1 up-sampling skip connection */
    int32_t noise[2];    /* conv0 / conv1 have noise_const + noise_strength */
} tr_sg2_block;

typedef struct tr_sg2_config {
    int32_t z_dim, c_dim, w_dim;
    int32_t embed_features; /* embed output width (0 when c_dim == 0) */
    int32_t mapping_layers;
    int32_t mapping_width[TR_SG2_MAX_MAPPING + 1]; /* in of fc0, out of fc0..fc{L-1} */
    int32_t num_ws;
    int32_t resolution, img_channels, kernel;
    int32_t n_blocks;
    tr_sg2_block blocks[TR_SG2_MAX_BLOCKS];
    tr_sg2_arch arch;
    float conv_clamp;     /* 0: none */
    double mapping_lrmul; /* FC lr multiplier of fc0..fc{L-1} (0.01 by default) */
    tr_act mapping_act, synthesis_act;
    int32_t has_w_avg;
} tr_sg2_config;

/* Reads and validates the configuration; a file of another family, or one
 * whose tensors are inconsistent, is TRYON_ERR_FORMAT naming the problem. */
tryon_status tr_sg2_config_read(tryon_ctx *ctx, const tryon_weights *w, tr_sg2_config *cfg);

const char *tr_sg2_arch_name(tr_sg2_arch a);

/* Adds the mapping network: inputs "z" (N, z_dim) when z_dim > 0, "c"
 * (N, c_dim) when c_dim > 0, "psi" (num_ws, 1); returns ws (N, num_ws, w_dim). */
int32_t tr_sg2_build_mapping(tr_graph *g, const tryon_weights *w, const tr_sg2_config *cfg,
                             int32_t batch);

/* Adds the synthesis network on ws (N, num_ws, w_dim) with the noise control
 * input ctl (I32 (4)); returns the image (N, R, R, img_channels), NHWC. */
int32_t tr_sg2_build_synthesis(tr_graph *g, const tryon_weights *w, const tr_sg2_config *cfg,
                               int32_t ws, int32_t ctl, int32_t batch);

/* A float copy of weight `name` (ndim dims, exact shape) multiplied by scale
 * in float, as a graph constant: the weight gains folded at build time. */
int32_t tr_sg2_scaled_weight(tr_graph *g, const tryon_weights *w, const char *name, int32_t ndim,
                             const int64_t *shape, double scale);
/* The same, stored with another shape of the same element count. */
int32_t tr_sg2_scaled_weight_as(tr_graph *g, const tryon_weights *w, const char *name, int32_t ndim,
                                const int64_t *shape, int32_t out_ndim, const int64_t *out_shape,
                                double scale);

/* NumPy legacy RandomState: MT19937 seeded like RandomState(int) (init_genrand)
 * and legacy_gauss (polar Box-Muller, second value cached). */
typedef struct tr_np_random {
    uint32_t mt[624];
    int32_t mti;
    int32_t has_gauss;
    double gauss;
} tr_np_random;

void tr_np_random_seed(tr_np_random *r, uint32_t seed);
uint32_t tr_np_random_u32(tr_np_random *r);
double tr_np_random_double(tr_np_random *r); /* random_sample: 53 bits in [0, 1) */
double tr_np_random_gauss(tr_np_random *r);  /* legacy_gauss */

#endif /* TR_NETS_STYLEGAN2_H */
