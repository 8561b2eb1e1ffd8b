/* cyclegan.h — internal interface of the CycleGAN-style generators
 * (nets/cyclegan.c): the architecture read from a weight file's metadata and
 * a builder that appends the generator to any graph, so that larger graphs
 * (the try-on pipeline) can embed it. The public entry points are
 * tryon_cyclegan_inspect / tryon_cyclegan_load in tryon.h. */
#ifndef TR_NETS_CYCLEGAN_H
#define TR_NETS_CYCLEGAN_H

#include "graph.h"

typedef struct tr_cyclegan_arch {
    tryon_cyclegan_family family;
    int32_t in_c, out_c; /* image channels in and out */
    /* ResnetGenerator */
    int32_t ngf;         /* width of the first conv; the trunk has 4*ngf */
    int32_t n_blocks;    /* residual blocks */
    int32_t block_conv2; /* index of a block's second conv: 5, or 6 with dropout */
    /* TransformerNet */
    int32_t c1, c2, c3; /* widths at full, 1/2 and 1/4 resolution (32, 64, 128) */
    int32_t n_res;      /* residual blocks (5) */
} tr_cyclegan_arch;

/* Reads and validates the family and hyper-parameters from w's metadata.
 * TRYON_ERR_FORMAT for another family (naming both) or bad values. */
tryon_status tr_cyclegan_arch_read(tryon_ctx *ctx, const tryon_weights *w, tr_cyclegan_arch *a);

/* Smallest input side the architecture accepts (reflection padding). */
int32_t tr_cyclegan_min_size(const tr_cyclegan_arch *a);

/* Appends the generator to g. x: (N, H, W, in_c) f32 in the family's range;
 * returns the output (N, 4*ceil(H/4), 4*ceil(W/4), out_c), or -1 with the
 * error recorded on g. */
int32_t tr_cyclegan_build(tr_graph *g, const tryon_weights *w, const tr_cyclegan_arch *a,
                          int32_t x);

#endif /* TR_NETS_CYCLEGAN_H */
