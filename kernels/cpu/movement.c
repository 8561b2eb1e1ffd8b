/* movement.c — dtype-agnostic data movement: concat and 4-D permute.
 * Tests: tests/test_kernels_movement.c. */
#include <string.h>

#include "kernels.h"
#include "pool.h"

typedef struct concat_job {
    int32_t n_inputs;
    const void *const *inputs;
    const int64_t *len;
    int64_t inner, total;
    size_t es;
    void *y;
} concat_job;

static void concat_rows(void *arg, int64_t begin, int64_t end) {
    const concat_job *j = arg;
    for (int64_t o = begin; o < end; o++) {
        uint8_t *dst = (uint8_t *)j->y + (size_t)(o * j->total * j->inner) * j->es;
        for (int32_t i = 0; i < j->n_inputs; i++) {
            size_t bytes = (size_t)(j->len[i] * j->inner) * j->es;
            memcpy(dst, (const uint8_t *)j->inputs[i] + (size_t)o * bytes, bytes);
            dst += bytes;
        }
    }
}

void tr_cpu_concat(tr_pool *pool, int32_t n_inputs, const void *const *inputs, const int64_t *len,
                   int64_t outer, int64_t inner, size_t elem_size, void *y) {
    concat_job j = {n_inputs, inputs, len, inner, 0, elem_size, y};
    for (int32_t i = 0; i < n_inputs; i++) j.total += len[i];
    tr_pool_for(pool, outer, 16, concat_rows, &j);
}

typedef struct permute_job {
    const uint8_t *x;
    uint8_t *y;
    int64_t ys[4], st[4]; /* output shape; input strides (elements) per output dim */
    size_t es;
} permute_job;

static void permute_rows(void *arg, int64_t begin, int64_t end) {
    const permute_job *j = arg;
    for (int64_t r = begin; r < end; r++) {
        int64_t i2 = r % j->ys[2], i1 = r / j->ys[2] % j->ys[1], i0 = r / j->ys[2] / j->ys[1];
        int64_t base = i0 * j->st[0] + i1 * j->st[1] + i2 * j->st[2];
        uint8_t *dst = j->y + (size_t)(r * j->ys[3]) * j->es;
        for (int64_t k = 0; k < j->ys[3]; k++)
            memcpy(dst + (size_t)k * j->es, j->x + (size_t)(base + k * j->st[3]) * j->es, j->es);
    }
}

void tr_cpu_permute(tr_pool *pool, const void *x, const int64_t x_shape[4], const int32_t perm[4],
                    size_t elem_size, void *y) {
    permute_job j = {.x = x, .y = y, .es = elem_size};
    int64_t xst[4], acc = 1;
    for (int i = 3; i >= 0; i--) xst[i] = acc, acc *= x_shape[i];
    for (int i = 0; i < 4; i++) j.ys[i] = x_shape[perm[i]], j.st[i] = xst[perm[i]];
    tr_pool_for(pool, j.ys[0] * j.ys[1] * j.ys[2], 16, permute_rows, &j);
}
