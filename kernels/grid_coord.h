/* grid_coord.h — sampling coordinates of the warping ops, written once for
 * both backends: kernels/cpu/grid_sample.c and tps.c compile them as static
 * inline C, kernels/cuda/warp.cuh as host-device code (TR_HD from
 * kernels/cuda/common.cuh). Same f32 operations in the same order on both
 * (the CUDA build does not contract to FMA), so the coordinates are equal.
 *
 * Base coordinate j of an axis of size S, as F.affine_grid defines it:
 *   align_corners = 1: -1 + 2j/(S-1)   (-1/+1 are the corner pixels' centres)
 *   align_corners = 0: (2j+1)/S - 1    (pixel centres; -1/+1 are the image edges)
 *   S == 1: 0 in both conventions (PyTorch >= 1.3).
 * Computed in double and rounded once to f32: PyTorch (torch.linspace in f32)
 * and CP-VTON (np.linspace in f64, then cast) both land within an ulp of it. */
#ifndef TR_GRID_COORD_H
#define TR_GRID_COORD_H

#include <math.h>
#include <stdint.h>

#include "kernels.h"

#ifndef TR_HD
#define TR_HD static inline
#endif

TR_HD float tr_grid_base_coord(int32_t j, int32_t size, int32_t align_corners) {
    if (size <= 1) return 0.0f;
    if (align_corners) return (float)(-1.0 + 2.0 * j / (size - 1));
    return (float)((2.0 * j + 1.0) / size - 1.0);
}

/* grid_sample's mapping of one axis from [-1, 1] to source pixels. */
typedef struct tr_axis_map {
    int32_t size;
    float scale;     /* unnormalization factor */
    float shift;     /* 0 (align_corners) or 0.5 */
    float lo, span2; /* reflection bounds */
    tr_sample_pad pad;
    int32_t align_corners;
} tr_axis_map;

TR_HD tr_axis_map tr_make_axis(int32_t size, tr_sample_pad pad, int32_t align_corners) {
    tr_axis_map a;
    a.size = size;
    a.pad = pad;
    a.align_corners = align_corners;
    if (align_corners) {
        a.scale = (float)(size - 1) / 2;
        a.shift = 0.0f;
        a.lo = 0.0f;
        a.span2 = (float)(size - 1) * 2;
    } else {
        a.scale = (float)size / 2;
        a.shift = 0.5f;
        a.lo = -0.5f;
        a.span2 = (float)size * 2;
    }
    return a;
}

/* Clamp to [0, S-1]; NaN becomes 0 (the comparison is false). */
TR_HD float tr_gs_clip(float v, int32_t size) {
    float hi = (float)(size - 1);
    v = v > 0.0f ? v : 0.0f;
    return v < hi ? v : hi;
}

/* Source coordinate in pixels after unnormalization and padding. */
TR_HD float tr_gs_source(const tr_axis_map *a, float g) {
    float i = (g + 1.0f) * a->scale;
    if (!a->align_corners) i = i - a->shift;
    if (a->pad == TR_SAMPLE_PAD_BORDER) return tr_gs_clip(i, a->size);
    if (a->pad == TR_SAMPLE_PAD_REFLECTION) {
        if (a->align_corners && a->size <= 1) return 0.0f;
        float abs_in = fabsf(i - a->lo);
        float flips = truncf(abs_in / a->span2);
        float extra = abs_in - flips * a->span2;
        float other = a->span2 - extra;
        float r = (extra < other ? extra : other) + a->lo;
        return tr_gs_clip(r, a->size);
    }
    return i;
}

/* Zeros mode: coordinates beyond [-2, S+1] (and NaN) put every tap outside;
 * clamping them there keeps the int conversion defined. */
TR_HD int tr_gs_inside(float i, int32_t size) { return i > -2.0f && i < (float)size + 1.0f; }

/* Round half to even without relying on the FP environment's rounding mode
 * (PyTorch's kernel encodes the mode in the instruction). v - floor(v) is
 * exact in f32. */
TR_HD float tr_round_half_even(float v) {
    float f = floorf(v), r = v - f;
    if (r > 0.5f || (r == 0.5f && fmodf(f, 2.0f) != 0.0f)) f += 1.0f;
    return f;
}

#endif /* TR_GRID_COORD_H */
