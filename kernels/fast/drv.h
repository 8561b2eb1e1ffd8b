/* drv.h — helpers shared by the fast kernels' drivers (conv.c, convt.c,
 * depthwise.c, winograd.c, misc.c; not the ISA files): padding index
 * arithmetic, broadcast indexing, sizes and alignment. */
#ifndef TR_FAST_DRV_H
#define TR_FAST_DRV_H

#include <stdint.h>

#include "fast.h"
#include "pool.h"

/* Maps a possibly out-of-range coordinate into [0, n), or -1 for zeros:
 * kernels/cpu/conv2d.c's rule (reflect without repeating the edge,
 * replicate the edge); builders guarantee pad < n for reflect. */
static inline int32_t tr_fast_pad_index(int32_t i, int32_t n, tr_pad_mode mode) {
    if (i >= 0 && i < n) return i;
    switch (mode) {
    case TR_PAD_REFLECT:
        if (n == 1) return 0;
        return i < 0 ? -i : 2 * n - 2 - i;
    case TR_PAD_REPLICATE: return i < 0 ? 0 : n - 1;
    default: return -1;
    }
}

/* Element index of (n, y, x, c) in a tensor broadcast to 4-D shape s. */
static inline int64_t tr_fast_bcast(const int64_t s[4], int64_t n, int64_t y, int64_t x,
                                    int64_t c) {
    int64_t in = s[0] == 1 ? 0 : n, iy = s[1] == 1 ? 0 : y, ix = s[2] == 1 ? 0 : x;
    int64_t ic = s[3] == 1 ? 0 : c;
    return ((in * s[1] + iy) * s[2] + ix) * s[3] + ic;
}

static inline int64_t tr_fast_align(int64_t bytes) { return (bytes + 63) / 64 * 64; }

static inline int32_t tr_fast_min(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tr_fast_ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

/* Largest tap count a pointer table holds (kh * kw), keeping it on the stack. */
#define TR_FAST_MAX_TAPS 128

#endif /* TR_FAST_DRV_H */
