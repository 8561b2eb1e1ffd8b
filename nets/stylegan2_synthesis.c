/* stylegan2_synthesis.c — the synthesis network ws -> image (SynthesisNetwork,
 * SynthesisBlock, SynthesisLayer, ToRGBLayer of stylegan2-ada-pytorch
 * training/networks.py), with force_fp32 semantics (everything float32,
 * conv_clamp still applied).
 *
 * One modulated 3x3 convolution (SynthesisLayer), for the whole batch with
 * one shared weight W (C_out, k, k, C_in):
 *   s = w_k @ (A / sqrt(w_dim))^T + b_A                        styles (N, C_in)
 *   d = rsqrt(sum_i s[n,i]^2 * sum_ab W[o,a,b,i]^2 + 1e-8)      demodulation (N, C_out)
 *   up = 1: y = act(conv(x * s, W) * d + noise + b) * gain, clamped    one conv2d node
 *   up = 2: t = conv_transpose2d(x * s, W, stride 2) (no kernel flip, the
 *           reference's flip_weight=False), u = upfirdn2d(t, f, gain 4) with
 *           conv2d_resample's padding, y = act(u * d + noise + b) * gain, clamped
 * which is the reference's modulated_conv2d (the fused per-sample weight
 * W * s * d is the same linear map). gain = sqrt(2) * g, clamp = conv_clamp * g,
 * g = sqrt(0.5) for conv1 of resnet blocks, else 1.
 * ToRGB: s = (affine(w)) / sqrt(C), no demodulation, 1x1 conv, linear with
 * clamp = conv_clamp; the skip architecture adds it to upsample2d(img).
 * resnet: y = upfirdn2d(conv1x1(x, W_skip / sqrt(C_in)), up 2) * sqrt(0.5) is
 * added to conv1's output. Gains are folded into constants at build time.
 * Noise (N, r, r, 1) comes from a run-time noise node per layer (const,
 * none or random; see tr_noise).
 * Tests: tests/test_stylegan2.c. */
#include <math.h>
#include <string.h>

#include "stylegan2.h"
#include "weights.h"

typedef struct synth {
    tr_graph *g;
    const tryon_weights *w;
    const tr_sg2_config *cfg;
    int32_t batch;
    int32_t ws;                              /* (N, num_ws, w_dim) */
    int32_t ctl;                             /* noise control (I32 4) */
    int32_t w_slices[2 * TR_SG2_MAX_BLOCKS]; /* ws[:, k, :] as (N, w_dim), built on first use */
    int32_t stream;                          /* next noise stream (layer index) */
} synth;

/* ws[:, k, :] as an (N, w_dim) tensor, shared by the layers that use index k. */
static int32_t w_at(synth *s, int32_t k) {
    if (s->w_slices[k] >= 0) return s->w_slices[k];
    int64_t shape[2] = {s->batch, s->cfg->w_dim};
    tr_graph_name(s->g, "ws[%d]", k);
    int32_t sl = tr_slice(s->g, s->ws, 1, k, 1);
    s->w_slices[k] = tr_reshape(s->g, sl, 2, shape);
    return s->w_slices[k];
}

/* styles = w_k @ (A * gain)^T + b * bias_scale: the affine FC (lr multiplier
 * 1, weight gain 1/sqrt(w_dim)), times an extra gain (ToRGB's 1/sqrt(C)). */
static int32_t styles(synth *s, const char *layer, int32_t k, int32_t c_in, double extra) {
    char name[96];
    int64_t as[2] = {c_in, s->cfg->w_dim}, bs[1] = {c_in};
    snprintf(name, sizeof name, "%s.affine.weight", layer);
    int32_t a =
        tr_sg2_scaled_weight(s->g, s->w, name, 2, as, 1.0 / sqrt((double)s->cfg->w_dim) * extra);
    snprintf(name, sizeof name, "%s.affine.bias", layer);
    int32_t b = extra != 1.0 ? tr_sg2_scaled_weight(s->g, s->w, name, 1, bs, extra)
                             : tr_graph_weight(s->g, s->w, name, 1, bs);
    tr_graph_name(s->g, "%s.affine", layer);
    return tr_linear(s->g, w_at(s, k), a, b, tr_epilogue_make(TR_ACT_NONE));
}

/* wsq[o, i] = sum_{a,b} W[o,a,b,i]^2 (double sums, one float rounding). */
static int32_t weight_sq(synth *s, const char *name, int32_t c_out, int32_t c_in) {
    if (s->g->status != TRYON_OK) return -1;
    const int32_t k = s->cfg->kernel;
    int64_t shape[4] = {c_out, k, k, c_in}, qs[2] = {c_out, c_in};
    const tr_wtensor *t;
    tryon_status st = tr_weights_require(s->g->ctx, s->w, name, 4, shape, &t);
    if (st != TRYON_OK) return tr_graph_error(s->g, st, __FILE__, __LINE__, "%s", s->g->ctx->err);
    /* Row sums in double, walking W in memory order (OHWI: i fastest). */
    double *acc = tr_mem_alloc(s->g->ctx, (size_t)c_in * sizeof *acc);
    float *tmp = NULL;
    if (acc && t->dtype != TRYON_DTYPE_F32) /* F16/BF16 files: convert once */
        tmp = tr_mem_alloc(s->g->ctx, (size_t)t->numel * sizeof *tmp);
    if (!acc || (t->dtype != TRYON_DTYPE_F32 && !tmp)) {
        tr_mem_free(acc);
        return TR_GRAPH_FAIL(s->g, TRYON_ERR_NOMEM, "out of memory (%s)", name);
    }
    const float *src = t->data;
    if (tmp) {
        tr_wtensor_to_f32(t, tmp);
        src = tmp;
    }
    char qname[TR_NAME_LEN];
    snprintf(qname, sizeof qname, "%.60s^2", name);
    void *dst;
    int32_t id = tr_graph_const_alloc(s->g, qname, TRYON_DTYPE_F32, 2, qs, &dst);
    if (id >= 0) {
        float *q = dst;
        for (int32_t o = 0; o < c_out; o++) {
            const float *wo = src + (int64_t)o * k * k * c_in;
            for (int32_t i = 0; i < c_in; i++) acc[i] = 0.0;
            for (int64_t ab = 0; ab < (int64_t)k * k; ab++)
                for (int32_t i = 0; i < c_in; i++) {
                    double v = wo[ab * c_in + i];
                    acc[i] += v * v;
                }
            for (int32_t i = 0; i < c_in; i++) q[(int64_t)o * c_in + i] = (float)acc[i];
        }
    }
    tr_mem_free(tmp);
    tr_mem_free(acc);
    return id;
}

/* The noise node of a layer, or -1 when the layer has no noise. */
static int32_t noise(synth *s, const char *layer, int32_t res, int has_noise) {
    int32_t stream = s->stream++;
    if (!has_noise || s->g->status != TRYON_OK) return -1;
    char name[96];
    int64_t ns[2] = {res, res};
    snprintf(name, sizeof name, "%s.noise_strength", layer);
    const tr_wtensor *t;
    tryon_status st = tr_weights_require(s->g->ctx, s->w, name, 0, ns, &t);
    if (st != TRYON_OK) return tr_graph_error(s->g, st, __FILE__, __LINE__, "%s", s->g->ctx->err);
    float strength;
    tr_wtensor_to_f32(t, &strength);
    /* noise_const * noise_strength in float, as the reference computes it. */
    snprintf(name, sizeof name, "%s.noise_const", layer);
    int64_t n4[4] = {1, res, res, 1};
    int32_t nc = tr_sg2_scaled_weight_as(s->g, s->w, name, 2, ns, 4, n4, strength);
    tr_graph_name(s->g, "%s.noise", layer);
    return tr_noise(s->g, s->ctl, nc, s->batch, res, res, stream, strength);
}

static tr_epilogue layer_epilogue(const tr_sg2_config *cfg, double g) {
    tr_epilogue ep = tr_epilogue_make(cfg->synthesis_act);
    ep.gain = (float)((cfg->synthesis_act == TR_ACT_NONE ? 1.0 : sqrt(2.0)) * g);
    ep.clamp = cfg->conv_clamp > 0 ? (float)((double)cfg->conv_clamp * g) : 0.0f;
    return ep;
}

/* Padding of conv2d_resample's up=2 path for kernel k and filter width fw:
 * conv_transpose2d padding pt, then upfirdn2d pads p0, p1 (per axis). */
static void up_pads(int32_t k, int32_t fw, int32_t *pt, int32_t *p0, int32_t *p1) {
    int32_t pad = k / 2;
    int32_t a = pad + (fw + 1) / 2 - (k - 1), b = pad + (fw - 2) / 2 - (k - 2);
    int32_t t = -a < -b ? -a : -b;
    *pt = t > 0 ? t : 0;
    *p0 = a + *pt;
    *p1 = b + *pt;
}

/* The resample filter of `prefix` (2-D (fh, fw) or separable (fw)) and its width. */
static int32_t filter(synth *s, const char *prefix, int32_t *fw, int32_t *fh) {
    char name[96];
    snprintf(name, sizeof name, "%s.resample_filter", prefix);
    const tr_wtensor *t = tr_weights_get(s->w, name);
    if (!t || t->ndim < 1 || t->ndim > 2)
        return TR_GRAPH_FAIL(s->g, TRYON_ERR_FORMAT,
                             "weights: '%s' is missing or not a 1-D/2-D filter", name);
    *fw = (int32_t)t->shape[t->ndim - 1];
    *fh = t->ndim == 2 ? (int32_t)t->shape[0] : *fw;
    return tr_graph_weight(s->g, s->w, name, t->ndim, t->shape);
}

/* One SynthesisLayer; residual (or -1) is added after the epilogue. */
static int32_t synthesis_layer(synth *s, const tr_sg2_block *b, int32_t conv, int32_t x, int32_t k,
                               double gain, int32_t residual) {
    const int32_t c_in = conv == 0 ? b->c_in : b->c_out, c_out = b->c_out, kk = s->cfg->kernel;
    char layer[64], name[96];
    snprintf(layer, sizeof layer, "synthesis.b%d.conv%d", b->res, conv);
    int32_t st = styles(s, layer, k, c_in, 1.0);
    snprintf(name, sizeof name, "%s.weight", layer);
    int32_t wsq = weight_sq(s, name, c_out, c_in);
    tr_graph_name(s->g, "%s.demod", layer);
    int32_t d = tr_demod_coefs(s->g, st, wsq, 1e-8f);
    int64_t wshape[4] = {c_out, kk, kk, c_in}, bs[1] = {c_out};
    int32_t wt = tr_graph_weight(s->g, s->w, name, 4, wshape);
    snprintf(name, sizeof name, "%s.bias", layer);
    int32_t bias = tr_graph_weight(s->g, s->w, name, 1, bs);
    int32_t nz = noise(s, layer, b->res, b->noise[conv]);
    tr_epilogue ep = layer_epilogue(s->cfg, gain);
    if (conv == 1) {
        tr_conv_opts o = tr_conv_opts_default();
        o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = kk / 2;
        o.in_scale = st, o.out_scale = d, o.add = nz, o.bias = bias, o.residual = residual;
        o.ep = ep;
        tr_graph_name(s->g, "%s", layer);
        return tr_conv2d(s->g, x, wt, &o);
    }
    int32_t fw, fh;
    int32_t f = filter(s, layer, &fw, &fh);
    int32_t ptx, px0, px1, pty, py0, py1;
    up_pads(kk, fw, &ptx, &px0, &px1);
    up_pads(kk, fh, &pty, &py0, &py1);
    tr_graph_name(s->g, "%s.modulate", layer);
    int32_t xs = tr_scale_channels(s->g, x, st, -1, -1, tr_epilogue_make(TR_ACT_NONE));
    tr_convt_opts co = tr_convt_opts_default();
    co.stride_h = co.stride_w = 2;
    co.pad_top = co.pad_bottom = pty;
    co.pad_left = co.pad_right = ptx;
    tr_graph_name(s->g, "%s.convt", layer);
    int32_t t = tr_conv_transpose2d(s->g, xs, wt, &co);
    tr_upfirdn_opts uo = {1, 1, 1, 1, px0, px1, py0, py1, 0, 4.0f};
    tr_graph_name(s->g, "%s.fir", layer);
    int32_t u = tr_upfirdn2d(s->g, t, f, &uo);
    tr_graph_name(s->g, "%s.demodulate", layer);
    TR_ASSERT(residual < 0); /* the resnet sum is carried by conv1 only */
    return tr_scale_channels(s->g, u, d, nz, bias, ep);
}

/* upsample2d(x, f): upfirdn2d(up 2, pad [(fw+1)/2, (fw-2)/2], gain 4 * extra). */
static int32_t upsample2d(synth *s, const char *prefix, int32_t x, float extra) {
    int32_t fw, fh;
    int32_t f = filter(s, prefix, &fw, &fh);
    tr_upfirdn_opts uo = {
        2, 2, 1, 1, (fw + 1) / 2, (fw - 2) / 2, (fh + 1) / 2, (fh - 2) / 2, 0, 4.0f * extra};
    tr_graph_name(s->g, "%s.upsample", prefix);
    return tr_upfirdn2d(s->g, x, f, &uo);
}

static int32_t torgb(synth *s, const tr_sg2_block *b, int32_t x, int32_t k, int32_t img_up) {
    char layer[64], name[96];
    snprintf(layer, sizeof layer, "synthesis.b%d.torgb", b->res);
    int32_t st = styles(s, layer, k, b->c_out, 1.0 / sqrt((double)b->c_out));
    int64_t ws[4] = {s->cfg->img_channels, 1, 1, b->c_out}, bs[1] = {s->cfg->img_channels};
    snprintf(name, sizeof name, "%s.weight", layer);
    int32_t wt = tr_graph_weight(s->g, s->w, name, 4, ws);
    snprintf(name, sizeof name, "%s.bias", layer);
    int32_t bias = tr_graph_weight(s->g, s->w, name, 1, bs);
    tr_conv_opts o = tr_conv_opts_default();
    o.in_scale = st, o.bias = bias, o.residual = img_up;
    o.ep.clamp = s->cfg->conv_clamp;
    tr_graph_name(s->g, "%s", layer);
    return tr_conv2d(s->g, x, wt, &o);
}

/* The b4 const (4, 4, C) repeated over the batch, as a graph constant. */
static int32_t const_input(synth *s, const tr_sg2_block *b) {
    if (s->g->status != TRYON_OK) return -1;
    int64_t cs[3] = {4, 4, b->c_out}, xs[4] = {s->batch, 4, 4, b->c_out};
    const tr_wtensor *t;
    tryon_status st = tr_weights_require(s->g->ctx, s->w, "synthesis.b4.const", 3, cs, &t);
    if (st != TRYON_OK) return tr_graph_error(s->g, st, __FILE__, __LINE__, "%s", s->g->ctx->err);
    void *dst;
    int32_t id = tr_graph_const_alloc(s->g, "synthesis.b4.const", TRYON_DTYPE_F32, 4, xs, &dst);
    if (id < 0) return -1;
    float *f = dst;
    tr_wtensor_to_f32(t, f);
    for (int32_t n = 1; n < s->batch; n++) memcpy(f + n * t->numel, f, (size_t)t->numel * 4);
    return id;
}

int32_t tr_sg2_build_synthesis(tr_graph *g, const tryon_weights *w, const tr_sg2_config *cfg,
                               int32_t ws, int32_t ctl, int32_t batch) {
    synth s = {.g = g, .w = w, .cfg = cfg, .batch = batch, .ws = ws, .ctl = ctl};
    for (int32_t i = 0; i < 2 * TR_SG2_MAX_BLOCKS; i++) s.w_slices[i] = -1;
    const double half = sqrt(0.5);
    int32_t x = -1, img = -1, w_idx = 0;
    for (int32_t i = 0; i < cfg->n_blocks && g->status == TRYON_OK; i++) {
        const tr_sg2_block *b = &cfg->blocks[i];
        char prefix[32];
        snprintf(prefix, sizeof prefix, "synthesis.b%d", b->res);
        int32_t k = w_idx;
        if (b->c_in == 0) {
            x = synthesis_layer(&s, b, 1, const_input(&s, b), k, 1.0, -1);
            k += 1;
        } else if (b->has_skip) {
            char name[96];
            int64_t sk[4] = {b->c_out, 1, 1, b->c_in};
            snprintf(name, sizeof name, "%s.skip.weight", prefix);
            int32_t sw = tr_sg2_scaled_weight(g, w, name, 4, sk, 1.0 / sqrt((double)b->c_in));
            tr_conv_opts o = tr_conv_opts_default();
            tr_graph_name(g, "%s.skip", prefix);
            int32_t y = tr_conv2d(g, x, sw, &o);
            char skip[48];
            snprintf(skip, sizeof skip, "%s.skip", prefix);
            y = upsample2d(&s, skip, y, (float)half);
            x = synthesis_layer(&s, b, 0, x, k, 1.0, -1);
            x = synthesis_layer(&s, b, 1, x, k + 1, half, y);
            k += 2;
        } else {
            x = synthesis_layer(&s, b, 0, x, k, 1.0, -1);
            x = synthesis_layer(&s, b, 1, x, k + 1, 1.0, -1);
            k += 2;
        }
        int32_t img_up = img >= 0 ? upsample2d(&s, prefix, img, 1.0f) : -1;
        if (b->has_torgb)
            img = torgb(&s, b, x, k, img_up);
        else
            img = img_up;
        w_idx += b->c_in == 0 ? 1 : 2;
    }
    return g->status == TRYON_OK ? img : -1;
}
