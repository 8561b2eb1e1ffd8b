/* fit.cuh — device code of fit_controls, body_proxy and shade_composite:
 * the math is kernels/fit_math.h, the same source the CPU compiles; this
 * file adds the launch decomposition. Launches in fit.cu;
 * tests/emu_fit.cu runs these functions on the host against the CPU.
 *
 *   fit_controls  one thread per pose: a few hundred flops on 17 anchors and
 *                 8 keypoints. Bitwise the CPU's except through cos/sin of a
 *                 non-zero placement angle (CUDA's double cos/sin are within 2
 *                 ulp, glibc's within 1: a target moves by ~1e-13 px, which
 *                 changes its float only next to a rounding boundary).
 *   body_proxy    one thread per pose.
 *   shade_composite  the mean in the CPU's order: one thread per row sums
 *                 its pixels left to right in double (the CPU's per-row
 *                 partials), one thread per image adds its rows top to bottom
 *                 (the CPU's second loop), then one thread per pixel. The
 *                 shading factor uses CUDA's pow (within 2 ulp of double):
 *                 an output byte can differ only where the composite lands
 *                 within ~1e-13 of a rounding half. */
#ifndef TR_CUDA_FIT_CUH
#define TR_CUDA_FIT_CUH

#include "common.cuh"

#include "fit_math.h"

/* ---- shading and composite -------------------------------------------------------------- */

typedef struct tr_comp_p {
    tr_shade_composite_desc d;
    const float *person, *layer, *lum;
    double *partial; /* (N, H, 2): per-row sum(lum * a), sum(a); then the means */
    uint8_t *y;

    TR_HD void row_sums(int64_t r) const { tr_comp_row_sums(&d, layer, lum, partial, r); }
    TR_HD void mean(int64_t n) const { tr_comp_mean(&d, partial, n); }
    TR_HD void pixel(int64_t p) const {
        tr_comp_pixel(&d, person, layer, lum, tr_comp_image_mean(&d, partial, p / d.w), y, p);
    }
} tr_comp_p;

#endif /* TR_CUDA_FIT_CUH */
