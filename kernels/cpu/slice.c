/* slice.c — contiguous slice along one axis, any dtype:
 * x (outer, len_in, inner) -> y (outer, len, inner) = x[:, start:start+len, :].
 * Tests: tests/test_kernels_stylegan2.c. */
#include <string.h>

#include "kernels.h"
#include "pool.h"

typedef struct slice_job {
    const uint8_t *x;
    uint8_t *y;
    size_t src_row, dst_row, offset;
} slice_job;

static void slice_rows(void *arg, int64_t begin, int64_t end) {
    const slice_job *j = arg;
    for (int64_t o = begin; o < end; o++)
        memcpy(j->y + (size_t)o * j->dst_row, j->x + (size_t)o * j->src_row + j->offset,
               j->dst_row);
}

void tr_cpu_slice(tr_pool *pool, const void *x, int64_t outer, int64_t len_in, int64_t inner,
                  int64_t start, int64_t len, size_t elem_size, void *y) {
    slice_job j = {x, y, (size_t)(len_in * inner) * elem_size, (size_t)(len * inner) * elem_size,
                   (size_t)(start * inner) * elem_size};
    tr_pool_for(pool, outer, 16, slice_rows, &j);
}
