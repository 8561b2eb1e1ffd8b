/* resize_coord.h — bilinear resize's source coordinates, written once for
 * the reference (kernels/cpu/resample.c), fast (kernels/fast/misc.c) and CUDA
 * (kernels/cuda/resample.cuh) kernels: static inline C, or host-device code
 * under CUDA (TR_HD from kernels/cuda/common.cuh). */
#ifndef TR_RESIZE_COORD_H
#define TR_RESIZE_COORD_H

#include <math.h>
#include <stdint.h>

#include "kernels.h"

#ifndef TR_HD
#define TR_HD static inline
#endif

/* Source index pair and weight of output index d along one axis. */
TR_HD void tr_resize_coord(tr_resize_mode mode, int32_t in, int32_t out, int32_t d, int32_t *i0,
                           int32_t *i1, float *t) {
    double src;
    switch (mode) {
    case TR_RESIZE_ALIGN_CORNERS: src = out > 1 ? (double)d * (in - 1) / (out - 1) : 0.0; break;
    case TR_RESIZE_HALF_PIXEL:
        src = ((double)d + 0.5) * in / out - 0.5;
        if (src < 0) src = 0;
        break;
    default: src = (double)d * in / out; break;
    }
    int32_t f = (int32_t)floor(src);
    if (f > in - 1) f = in - 1;
    *i0 = f;
    *i1 = f + 1 < in ? f + 1 : in - 1;
    *t = (float)(src - f);
}

#endif /* TR_RESIZE_COORD_H */
