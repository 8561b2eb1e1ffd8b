/* epilogue.h — the fused bias/activation epilogue, inlined into kernels.
 * y = clamp(act(v) * gain, -clamp, clamp); see tr_epilogue in kernels.h.
 * NaN propagates through every activation and the clamp, as in PyTorch
 * (torch.relu(nan) = nan): the comparisons are written so that a NaN input
 * takes the pass-through branch. Tests: tests/test_kernels_eltwise.c,
 * tests/test_kernels_linear.c. */
#ifndef TR_EPILOGUE_H
#define TR_EPILOGUE_H

#include <math.h>

#include "kernels.h"

static inline float tr_epilogue_apply(const tr_epilogue *e, float v) {
    switch (e->act) {
    case TR_ACT_NONE: break;
    case TR_ACT_RELU: v = v < 0.0f ? 0.0f : v; break;
    case TR_ACT_RELU6: v = v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); break;
    case TR_ACT_LRELU: v = v < 0.0f ? v * e->alpha : v; break;
    case TR_ACT_TANH: v = tanhf(v); break;
    /* 1/(1+exp(-v)) overflows gracefully: exp(-v) = inf gives 0. In double,
     * rounded once: within half an ulp, and TF.js's value bit for bit. */
    case TR_ACT_SIGMOID: v = (float)(1.0 / (1.0 + exp(-(double)v))); break;
    case TR_ACT_COUNT: break;
    }
    v *= e->gain;
    if (e->clamp > 0.0f) v = v < -e->clamp ? -e->clamp : (v > e->clamp ? e->clamp : v);
    return v;
}

#endif /* TR_EPILOGUE_H */
