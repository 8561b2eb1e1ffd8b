/* binary.c — elementwise add/sub/mul with NumPy broadcasting over 4-D
 * shapes (right-aligned by the caller; each input dim is 1 or the output's).
 * Tests: tests/test_kernels_eltwise.c. */
#include "kernels.h"
#include "pool.h"

typedef struct binary_job {
    tr_binary_op op;
    const float *a, *b;
    float *y;
    const int64_t *as, *bs, *ys;
} binary_job;

/* Element strides of a broadcast input: 0 along broadcast dims. */
static void bstrides(const int64_t s[4], const int64_t ys[4], int64_t st[4]) {
    int64_t acc = 1;
    for (int i = 3; i >= 0; i--) {
        st[i] = s[i] == 1 && ys[i] != 1 ? 0 : acc;
        acc *= s[i];
    }
}

static void binary_rows(void *arg, int64_t begin, int64_t end) {
    const binary_job *j = arg;
    int64_t sa[4], sb[4];
    bstrides(j->as, j->ys, sa);
    bstrides(j->bs, j->ys, sb);
    const int64_t inner = j->ys[3];
    for (int64_t r = begin; r < end; r++) {
        int64_t i2 = r % j->ys[2], i1 = r / j->ys[2] % j->ys[1], i0 = r / j->ys[2] / j->ys[1];
        const float *pa = j->a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
        const float *pb = j->b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
        float *py = j->y + r * inner;
        switch (j->op) {
        case TR_BINARY_ADD:
            for (int64_t k = 0; k < inner; k++) py[k] = pa[k * sa[3]] + pb[k * sb[3]];
            break;
        case TR_BINARY_SUB:
            for (int64_t k = 0; k < inner; k++) py[k] = pa[k * sa[3]] - pb[k * sb[3]];
            break;
        case TR_BINARY_MUL:
            for (int64_t k = 0; k < inner; k++) py[k] = pa[k * sa[3]] * pb[k * sb[3]];
            break;
        case TR_BINARY_COUNT: break;
        }
    }
}

void tr_cpu_binary_f32(tr_pool *pool, tr_binary_op op, const float *a, const int64_t a_shape[4],
                       const float *b, const int64_t b_shape[4], float *y,
                       const int64_t y_shape[4]) {
    binary_job j = {op, a, b, y, a_shape, b_shape, y_shape};
    int64_t rows = y_shape[0] * y_shape[1] * y_shape[2];
    tr_pool_for(pool, rows, 64, binary_rows, &j);
}
