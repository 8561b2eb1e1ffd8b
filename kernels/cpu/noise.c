/* noise.c — the per-layer noise input of StyleGAN2, mode chosen at run time
 * (const / none / random; see tr_noise_desc in kernels.h). Random noise comes
 * from a counter-based generator: every value depends only on (seed, stream,
 * index), so results are identical for any thread count and any batch split.
 * Box-Muller on two splitmix64-hashed 53-bit uniforms, in double.
 * Tests: tests/test_kernels_stylegan2.c. */
#include <math.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

double tr_noise_gauss(uint64_t seed, int32_t stream, int64_t j) {
    const double two_pi = 6.283185307179586476925286766559;
    uint64_t key = mix64(seed + 0x9E3779B97F4A7C15ull * (uint64_t)((int64_t)stream + 1));
    uint64_t p = (uint64_t)j >> 1;
    uint64_t a = mix64(key + 2 * p), b = mix64(key + 2 * p + 1);
    double u1 = (double)((a >> 11) + 1) * 0x1p-53, u2 = (double)(b >> 11) * 0x1p-53;
    double r = sqrt(-2.0 * log(u1));
    return (j & 1) ? r * sin(two_pi * u2) : r * cos(two_pi * u2);
}

typedef struct noise_job {
    const tr_noise_desc *d;
    tr_noise_mode mode;
    uint64_t seed;
    const float *nconst;
    float *y;
} noise_job;

static void noise_rows(void *arg, int64_t begin, int64_t end) {
    const noise_job *j = arg;
    const tr_noise_desc *d = j->d;
    for (int64_t row = begin; row < end; row++) {
        float *yr = j->y + row * d->w;
        if (j->mode == TR_NOISE_RANDOM) {
            for (int64_t x = 0; x < d->w; x++)
                yr[x] = (float)tr_noise_gauss(j->seed, d->stream, row * d->w + x) * d->strength;
        } else if (j->mode == TR_NOISE_CONST && j->nconst) {
            memcpy(yr, j->nconst + (row % d->h) * d->w, (size_t)d->w * sizeof *yr);
        } else {
            memset(yr, 0, (size_t)d->w * sizeof *yr);
        }
    }
}

void tr_cpu_noise_f32(tr_pool *pool, const tr_noise_desc *d, tr_noise_mode mode, uint64_t seed,
                      const float *nconst, float *y) {
    noise_job j = {d, mode, seed, nconst, y};
    tr_pool_for(pool, (int64_t)d->n * d->h, 4, noise_rows, &j);
}
