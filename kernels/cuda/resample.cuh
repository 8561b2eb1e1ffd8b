/* resample.cuh — per-element device code of nearest upsampling, bilinear
 * resizing and upfirdn2d (kernels/cpu/resample.c, upfirdn2d.c), operation for
 * operation: source coordinates in double, the bilinear blend in float rows
 * then columns, upfirdn2d's taps in (a, b) order then the gain. Bitwise equal
 * to the CPU in F32 storage. */
#ifndef TR_CUDA_RESAMPLE_CUH
#define TR_CUDA_RESAMPLE_CUH

#include "common.cuh"
#include "resize_coord.h"

template <typename T> struct tr_upsample_p {
    const T *x;
    T *y;
    int32_t h, w, c, fy, fx;
    TR_HD void run(int64_t i) const {
        int64_t ow = (int64_t)w * fx, oh = (int64_t)h * fy;
        int64_t k = i % c, r = i / c;
        int64_t ox = r % ow, oy = r / ow % oh, n = r / ow / oh;
        tr_st(y, i, tr_ld(x, ((n * h + oy / fy) * w + ox / fx) * c + k));
    }
};

/* X is the input element type: T (float storage) or uint8_t. */
template <typename X> TR_HD float tr_resize_ld(const X *p, int64_t i) { return tr_ld(p, i); }
template <> TR_HD float tr_resize_ld<uint8_t>(const uint8_t *p, int64_t i) { return p[i]; }

template <typename X, typename T> struct tr_resize_p {
    tr_resize_desc d;
    const X *x;
    T *y;
    TR_HD void run(int64_t i) const {
        int64_t c = i % d.c, r = i / d.c;
        int32_t ox = (int32_t)(r % d.ow);
        r /= d.ow;
        int32_t oy = (int32_t)(r % d.oh), n = (int32_t)(r / d.oh);
        int32_t y0, y1, x0, x1;
        float ty, tx;
        tr_resize_coord(d.mode, d.h, d.oh, oy, &y0, &y1, &ty);
        tr_resize_coord(d.mode, d.w, d.ow, ox, &x0, &x1, &tx);
        int64_t r0 = ((int64_t)n * d.h + y0) * d.w * d.c, r1 = ((int64_t)n * d.h + y1) * d.w * d.c;
        float v00 = tr_resize_ld(x, r0 + (int64_t)x0 * d.c + c);
        float v01 = tr_resize_ld(x, r0 + (int64_t)x1 * d.c + c);
        float v10 = tr_resize_ld(x, r1 + (int64_t)x0 * d.c + c);
        float v11 = tr_resize_ld(x, r1 + (int64_t)x1 * d.c + c);
        float top = v00 + (v01 - v00) * tx, bot = v10 + (v11 - v10) * tx;
        tr_st(y, i, top + (bot - top) * ty);
    }
};

/* upfirdn2d: y[oy,ox] = gain * sum_{a,b} U[oy*dy + a - py0, ox*dx + b - px0] * K[a,b]. */
template <typename T> struct tr_upfirdn_p {
    tr_upfirdn2d_desc d;
    const T *f, *x;
    T *y;
    TR_HD float tap(int32_t ka, int32_t kb) const {
        int32_t fa = d.flip ? ka : d.fh - 1 - ka, fb = d.flip ? kb : d.fw - 1 - kb;
        if (d.separable) return tr_ld(f, fa) * tr_ld(f, fb);
        return tr_ld(f, (int64_t)fa * d.fw + fb);
    }
    TR_HD void run(int64_t i) const {
        int64_t c = i % d.c, r = i / d.c;
        int32_t ox = (int32_t)(r % d.ow);
        r /= d.ow;
        int32_t oy = (int32_t)(r % d.oh), n = (int32_t)(r / d.oh);
        const int64_t uh = (int64_t)d.h * d.up_y, uw = (int64_t)d.w * d.up_x;
        const int64_t base = (int64_t)n * d.h * d.w * d.c;
        float acc = 0.0f;
        for (int32_t ka = 0; ka < d.fh; ka++) {
            int64_t p = (int64_t)oy * d.down_y + ka - d.pad_y0;
            if (p < 0 || p >= uh || p % d.up_y) continue;
            int64_t iy = p / d.up_y;
            for (int32_t kb = 0; kb < d.fw; kb++) {
                int64_t q = (int64_t)ox * d.down_x + kb - d.pad_x0;
                if (q < 0 || q >= uw || q % d.up_x) continue;
                int64_t ix = q / d.up_x;
                acc += tr_ld(x, base + (iy * d.w + ix) * d.c + c) * tap(ka, kb);
            }
        }
        tr_st(y, i, acc * d.gain);
    }
};

#endif /* TR_CUDA_RESAMPLE_CUH */
