/* epilogue.c — epilogue constructors and the standalone activation ops.
 * Tests: tests/test_kernels_conv.c. */
#include "epilogue.h"

#include "pool.h"

tr_epilogue tr_epilogue_make(tr_act act) {
    tr_epilogue e = {act, 0.2f, 1.0f, 0.0f};
    return e;
}

const char *tr_act_name(tr_act a) {
    static const char *names[TR_ACT_COUNT] = {"none", "relu", "relu6", "lrelu", "tanh", "sigmoid"};
    return a >= 0 && a < TR_ACT_COUNT ? names[a] : "?";
}

typedef struct act_job {
    const float *x;
    float *y;
    const tr_epilogue *ep;
    float scale, bias;
    const uint8_t *xu8;
} act_job;

static void act_range(void *arg, int64_t b, int64_t e) {
    const act_job *j = arg;
    for (int64_t i = b; i < e; i++) j->y[i] = tr_epilogue_apply(j->ep, j->x[i]);
}

void tr_cpu_act_f32(tr_pool *pool, const float *x, int64_t n, const tr_epilogue *ep, float *y) {
    act_job j = {.x = x, .y = y, .ep = ep};
    tr_pool_for(pool, n, 1 << 14, act_range, &j);
}

static void scale_range(void *arg, int64_t b, int64_t e) {
    const act_job *j = arg;
    for (int64_t i = b; i < e; i++) j->y[i] = j->x[i] * j->scale + j->bias;
}

void tr_cpu_scale_f32(tr_pool *pool, const float *x, int64_t n, float scale, float bias, float *y) {
    act_job j = {.x = x, .y = y, .scale = scale, .bias = bias};
    tr_pool_for(pool, n, 1 << 14, scale_range, &j);
}

static void u8_range(void *arg, int64_t b, int64_t e) {
    const act_job *j = arg;
    for (int64_t i = b; i < e; i++) j->y[i] = (float)j->xu8[i] * j->scale + j->bias;
}

void tr_cpu_u8_to_f32(tr_pool *pool, const uint8_t *x, int64_t n, float scale, float bias,
                      float *y) {
    act_job j = {.xu8 = x, .y = y, .scale = scale, .bias = bias};
    tr_pool_for(pool, n, 1 << 14, u8_range, &j);
}
