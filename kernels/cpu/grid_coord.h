/* grid_coord.h — the base sampling coordinates shared by affine_grid and the
 * TPS grid (kernels/cpu/grid_sample.c, kernels/cpu/tps.c).
 *
 * Coordinate j of an axis of size S, as F.affine_grid defines it:
 *   align_corners = 1: -1 + 2j/(S-1)   (-1/+1 are the corner pixels' centres)
 *   align_corners = 0: (2j+1)/S - 1    (pixel centres; -1/+1 are the image edges)
 *   S == 1: 0 in both conventions (PyTorch >= 1.3).
 * Computed in double and rounded once to f32: PyTorch (torch.linspace in f32)
 * and CP-VTON (np.linspace in f64, then cast) both land within an ulp of it. */
#ifndef TR_GRID_COORD_H
#define TR_GRID_COORD_H

#include <stdint.h>

static inline float tr_grid_base_coord(int32_t j, int32_t size, int32_t align_corners) {
    if (size <= 1) return 0.0f;
    if (align_corners) return (float)(-1.0 + 2.0 * j / (size - 1));
    return (float)((2.0 * j + 1.0) / size - 1.0);
}

#endif /* TR_GRID_COORD_H */
