/* lerp.c — torch.lerp(a, b, t) with NumPy broadcasting over 4-D shapes.
 * ATen's formula, evaluated in float:
 *   y = |t| < 0.5 ? a + t * (b - a) : b - (b - a) * (1 - t)
 * (exact at both ends: t == 0 gives a, t == 1 gives b). StyleGAN2 uses it for
 * truncation, w' = lerp(w_avg, w, psi). Parallel over rows of the last axis.
 * Tests: tests/test_kernels_stylegan2.c. */
#include <math.h>

#include "kernels.h"
#include "pool.h"

typedef struct lerp_job {
    const float *a, *b, *t;
    float *y;
    const int64_t *as, *bs, *ts, *ys;
} lerp_job;

/* Element strides of a broadcast operand: 0 along broadcast dims. */
static void bstrides(const int64_t s[4], const int64_t ys[4], int64_t st[4]) {
    int64_t acc = 1;
    for (int i = 3; i >= 0; i--) {
        st[i] = s[i] == 1 && ys[i] != 1 ? 0 : acc;
        acc *= s[i];
    }
}

static void lerp_rows(void *arg, int64_t begin, int64_t end) {
    const lerp_job *j = arg;
    int64_t sa[4], sb[4], st[4];
    bstrides(j->as, j->ys, sa);
    bstrides(j->bs, j->ys, sb);
    bstrides(j->ts, j->ys, st);
    const int64_t inner = j->ys[3];
    for (int64_t r = begin; r < end; r++) {
        int64_t i2 = r % j->ys[2], i1 = r / j->ys[2] % j->ys[1], i0 = r / j->ys[2] / j->ys[1];
        const float *pa = j->a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *pb = j->b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        const float *pt = j->t + i0 * st[0] + i1 * st[1] + i2 * st[2];
        float *py = j->y + r * inner;
        for (int64_t k = 0; k < inner; k++) {
            float a = pa[k * sa[3]], b = pb[k * sb[3]], t = pt[k * st[3]];
            float diff = b - a;
            py[k] = fabsf(t) < 0.5f ? a + t * diff : b - diff * (1.0f - t);
        }
    }
}

void tr_cpu_lerp_f32(tr_pool *pool, const float *a, const int64_t a_shape[4], const float *b,
                     const int64_t b_shape[4], const float *t, const int64_t t_shape[4], float *y,
                     const int64_t y_shape[4]) {
    lerp_job j = {a, b, t, y, a_shape, b_shape, t_shape, y_shape};
    tr_pool_for(pool, y_shape[0] * y_shape[1] * y_shape[2], 64, lerp_rows, &j);
}
