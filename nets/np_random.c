/* np_random.c — NumPy's legacy RandomState, bit for bit, for StyleGAN2's
 * `generate.py --seeds`: z = np.random.RandomState(seed).randn(1, z_dim).
 *
 *   seeding   RandomState(int) calls init_genrand (Knuth's multiplier
 *             1812433253), not init_by_array (that is Python's random.seed);
 *             the next draw regenerates the 624-word state;
 *   doubles   random_sample: (a >> 5) * 2^26 + (b >> 6), over 2^53, from two
 *             consecutive tempered 32-bit outputs a, b;
 *   gauss     legacy_gauss: polar Box-Muller; draw x1, x2 = 2u - 1 until
 *             0 < r2 = x1^2 + x2^2 < 1, f = sqrt(-2 ln r2 / r2), return f*x2 and
 *             keep f*x1 for the next call.
 * sqrt is correctly rounded and log comes from the same C library NumPy
 * uses, and this file is compiled without FP contraction (-std=c11), so the
 * doubles match NumPy's exactly. Tests: tests/test_stylegan2.c (against
 * NumPy at test time). */
#include <math.h>

#include "stylegan2.h"

#define MT_N 624
#define MT_M 397

void tr_np_random_seed(tr_np_random *r, uint32_t seed) {
    r->mt[0] = seed;
    for (int32_t i = 1; i < MT_N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->mti = MT_N;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

static void regenerate(tr_np_random *r) {
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = r->mt, y;
    int32_t k = 0;
    for (; k < MT_N - MT_M; k++) {
        y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + MT_M] ^ (y >> 1) ^ mag01[y & 1u];
    }
    for (; k < MT_N - 1; k++) {
        y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
        mt[k] = mt[k + (MT_M - MT_N)] ^ (y >> 1) ^ mag01[y & 1u];
    }
    y = (mt[MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ mag01[y & 1u];
    r->mti = 0;
}

uint32_t tr_np_random_u32(tr_np_random *r) {
    if (r->mti >= MT_N) regenerate(r);
    uint32_t y = r->mt[r->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double tr_np_random_double(tr_np_random *r) {
    uint32_t a = tr_np_random_u32(r) >> 5, b = tr_np_random_u32(r) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

double tr_np_random_gauss(tr_np_random *r) {
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * tr_np_random_double(r) - 1.0;
        x2 = 2.0 * tr_np_random_double(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

void tryon_stylegan2_seed_z(uint32_t seed, int32_t z_dim, double *out) {
    tr_np_random r;
    tr_np_random_seed(&r, seed);
    for (int32_t i = 0; i < z_dim; i++) out[i] = tr_np_random_gauss(&r);
}
