/* cyclegan.c — the CycleGAN ResnetGenerator and fast-neural-style
 * TransformerNet graphs (NETS.md section 2; official code: junyanz/
 * pytorch-CycleGAN-and-pix2pix models/networks.py, pytorch/examples
 * fast_neural_style/neural_style/transformer_net.py).
 *
 * ResnetGenerator (norm='instance', padding_type='reflect'), NHWC:
 *   reflect-pad 3, conv 7x7 in_c->ngf            + IN + ReLU
 *   conv 3x3 s2 p1 (zeros) ngf->2ngf, 2ngf->4ngf  + IN + ReLU each
 *   n_blocks x [reflect 1, conv 3x3, IN, ReLU, reflect 1, conv 3x3, IN] + x
 *   2 x ConvTranspose2d(k3, s2, p1, output_padding 1) + IN + ReLU (4ngf->2ngf->ngf)
 *   reflect-pad 3, conv 7x7 ngf->out_c, tanh
 * TransformerNet (every conv is reflect-pad k/2 then Conv2d, i.e. ConvLayer):
 *   conv 9x9 3->c1, conv 3x3 s2 c1->c2, conv 3x3 s2 c2->c3, each + IN(affine) + ReLU
 *   n_res x [conv 3x3, IN, ReLU, conv 3x3, IN] + x
 *   2 x [nearest x2, conv 3x3] + IN + ReLU (c3->c2->c1)   (UpsampleConvLayer)
 *   conv 9x9 c1->3 (no activation; the output is not clamped)
 * Every conv has a bias (use_bias is true with InstanceNorm). Instance norm
 * is per (image, channel) over H x W, biased variance, eps 1e-5, with no
 * running statistics.
 *
 * Fusion: each conv node applies its bias (and tanh for the last conv);
 * reflection and zero padding are index arithmetic inside the conv (no padded
 * copy); each instance-norm node applies its affine parameters, the ReLU and,
 * for a residual block's second norm, the skip connection (y = IN(v) + x).
 * Instance norm cannot be fused into the conv itself since its statistics
 * need the whole conv output first.
 *
 * Winograd: the 3x3 stride-1 convs allow the fast CPU kernels' Winograd
 * F(4x4, 3x3) (tr_conv_opts.winograd; error bound in kernels/fast/
 * winograd.c). Measured against PyTorch on full-size random nets at 256x256,
 * the outputs stay within 2e-5 (ResNet-9 ngf 64, tanh outputs; the bar is
 * 1e-4) and 7e-4 (TransformerNet, 0..255; the bar is 2e-2), about 3x the
 * direct convolution's difference, because instance norm renormalises every
 * layer instead of letting the errors compound.
 *
 * Tests: tests/test_cyclegan.c (PyTorch parity with tests/ref/torch_cyclegan.py).
 * Bench: bench/net_cyclegan.c. */
#include <stdlib.h>
#include <string.h>

#include "cyclegan.h"
#include "model.h"
#include "weights.h"

#define IN_EPS     1e-5f
#define MAX_WIDTH  65536 /* sanity bound on channel counts from metadata */
#define MAX_BLOCKS 1024

/* ---- metadata -------------------------------------------------------------- */

static tryon_status meta_int(tryon_ctx *ctx, const tryon_weights *w, const char *key, int32_t lo,
                             int32_t hi, int32_t *out) {
    const char *v = tryon_weights_metadata(w, key);
    if (!v) return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: metadata '%s' is missing", key);
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < lo || n > hi)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: metadata '%s' is '%s', expected an integer in %d..%d", key, v, lo,
                       hi);
    *out = (int32_t)n;
    return TRYON_OK;
}

tryon_status tr_cyclegan_arch_read(tryon_ctx *ctx, const tryon_weights *w, tr_cyclegan_arch *a) {
    memset(a, 0, sizeof *a);
    const char *fam = tryon_weights_metadata(w, "tryon.family");
    if (!fam)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: no 'tryon.family' metadata; expected family 'cyclegan' or "
                       "'transformernet' (convert with tools/convert.py cyclegan)");
    if (strcmp(fam, "cyclegan") && strcmp(fam, "transformernet"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights are for the '%s' family, expected 'cyclegan' or 'transformernet'",
                       fam);
    const char *fmt = tryon_weights_metadata(w, "tryon.format");
    if (!fmt || strcmp(fmt, "1"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: '%s' tensor format '%s' is not supported (expected 1)", fam,
                       fmt ? fmt : "(missing)");
    if (!strcmp(fam, "cyclegan")) {
        int32_t dropout;
        a->family = TRYON_CYCLEGAN_RESNET;
        TR_TRY(meta_int(ctx, w, "cyclegan.ngf", 1, MAX_WIDTH / 4, &a->ngf));
        TR_TRY(meta_int(ctx, w, "cyclegan.n_blocks", 0, MAX_BLOCKS, &a->n_blocks));
        TR_TRY(meta_int(ctx, w, "cyclegan.input_nc", 1, MAX_WIDTH, &a->in_c));
        TR_TRY(meta_int(ctx, w, "cyclegan.output_nc", 1, MAX_WIDTH, &a->out_c));
        TR_TRY(meta_int(ctx, w, "cyclegan.dropout", 0, 1, &dropout));
        a->block_conv2 = dropout ? 6 : 5;
    } else {
        a->family = TRYON_CYCLEGAN_TRANSFORMERNET;
        a->in_c = a->out_c = 3;
        TR_TRY(meta_int(ctx, w, "transformernet.c1", 1, MAX_WIDTH, &a->c1));
        TR_TRY(meta_int(ctx, w, "transformernet.c2", 1, MAX_WIDTH, &a->c2));
        TR_TRY(meta_int(ctx, w, "transformernet.c3", 1, MAX_WIDTH, &a->c3));
        TR_TRY(meta_int(ctx, w, "transformernet.n_res", 0, MAX_BLOCKS, &a->n_res));
    }
    return TRYON_OK;
}

int32_t tr_cyclegan_min_size(const tr_cyclegan_arch *a) {
    /* The first 7x7 / 9x9 conv reflects 3 / 4 pixels (needs side > pad); the
     * residual blocks reflect 1 pixel at ceil(ceil(H/2)/2), which needs >= 2. */
    int32_t blocks = a->family == TRYON_CYCLEGAN_RESNET ? a->n_blocks : a->n_res;
    int32_t first = a->family == TRYON_CYCLEGAN_RESNET ? 4 : 5;
    return blocks > 0 && first < 5 ? 5 : first;
}

/* ---- layers ---------------------------------------------------------------- */

/* Names the next node after its weight: "model.4.weight" -> "model.4",
 * "conv1.conv2d.weight" -> "conv1". */
static void node_name(tr_graph *g, const char *wname) {
    size_t n = strlen(wname);
    const char *suffixes[2] = {".conv2d.weight", ".weight"};
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && !strcmp(wname + n - k, suffixes[i])) {
            n -= k;
            break;
        }
    }
    tr_graph_name(g, "%.*s", (int)n, wname);
}

/* conv k x k (OHWI weight `wname`, bias `bname`), padding p on every side. */
static int32_t conv(tr_graph *g, const tryon_weights *w, const char *wname, const char *bname,
                    int32_t x, int32_t c_out, int32_t k, int32_t stride, int32_t p,
                    tr_pad_mode mode, tr_act act) {
    if (g->status != TRYON_OK) return -1;
    int64_t c_in = g->tensors[x].shape[3];
    int64_t ws[4] = {c_out, k, k, c_in}, bs[1] = {c_out};
    tr_conv_opts o = tr_conv_opts_default();
    o.stride_h = o.stride_w = stride;
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = p;
    o.pad_mode = mode;
    o.ep = tr_epilogue_make(act);
    o.winograd = 1; /* 3x3 stride-1 layers may use Winograd: see the header comment */
    int32_t wt = tr_graph_weight(g, w, wname, 4, ws);
    o.bias = tr_graph_weight(g, w, bname, 1, bs);
    node_name(g, wname);
    return tr_conv2d(g, x, wt, &o);
}

/* Instance norm (optionally affine, optionally + residual) then act. */
static int32_t inorm(tr_graph *g, const tryon_weights *w, const char *name, int32_t affine,
                     int32_t x, int32_t residual, tr_act act) {
    if (g->status != TRYON_OK) return -1;
    int32_t gamma = -1, beta = -1;
    if (affine) {
        int64_t cs[1] = {g->tensors[x].shape[3]};
        char wn[96], bn[96];
        snprintf(wn, sizeof wn, "%s.weight", name);
        snprintf(bn, sizeof bn, "%s.bias", name);
        gamma = tr_graph_weight(g, w, wn, 1, cs);
        beta = tr_graph_weight(g, w, bn, 1, cs);
    }
    tr_graph_name(g, "%s", name);
    return tr_instance_norm(g, x, gamma, beta, residual, IN_EPS, tr_epilogue_make(act));
}

/* ---- ResnetGenerator ------------------------------------------------------- */

/* Conv of model.{i} followed by its instance norm (model.{i+1}) and ReLU. */
static int32_t resnet_conv_in_relu(tr_graph *g, const tryon_weights *w, int32_t i, int32_t x,
                                   int32_t c_out, int32_t k, int32_t stride, int32_t p,
                                   tr_pad_mode mode) {
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "model.%d.weight", i);
    snprintf(bn, sizeof bn, "model.%d.bias", i);
    int32_t y = conv(g, w, wn, bn, x, c_out, k, stride, p, mode, TR_ACT_NONE);
    char nn[64];
    snprintf(nn, sizeof nn, "model.%d", i + 1);
    return inorm(g, w, nn, 0, y, -1, TR_ACT_RELU);
}

static int32_t resnet_convt_in_relu(tr_graph *g, const tryon_weights *w, int32_t i, int32_t x,
                                    int32_t c_out) {
    if (g->status != TRYON_OK) return -1;
    char wn[64], bn[64], nn[64];
    snprintf(wn, sizeof wn, "model.%d.weight", i);
    snprintf(bn, sizeof bn, "model.%d.bias", i);
    snprintf(nn, sizeof nn, "model.%d", i + 1);
    int64_t ws[4] = {c_out, 3, 3, g->tensors[x].shape[3]}, bs[1] = {c_out};
    tr_convt_opts o = tr_convt_opts_default();
    o.stride_h = o.stride_w = 2;
    o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
    o.out_pad_h = o.out_pad_w = 1; /* extends the bottom/right edge: output exactly 2x */
    int32_t wt = tr_graph_weight(g, w, wn, 4, ws);
    o.bias = tr_graph_weight(g, w, bn, 1, bs);
    node_name(g, wn);
    int32_t y = tr_conv_transpose2d(g, x, wt, &o);
    return inorm(g, w, nn, 0, y, -1, TR_ACT_RELU);
}

static int32_t build_resnet(tr_graph *g, const tryon_weights *w, const tr_cyclegan_arch *a,
                            int32_t x) {
    const int32_t nb = a->n_blocks, c1 = a->ngf, c2 = 2 * a->ngf, c4 = 4 * a->ngf;
    int32_t y = resnet_conv_in_relu(g, w, 1, x, c1, 7, 1, 3, TR_PAD_REFLECT);
    y = resnet_conv_in_relu(g, w, 4, y, c2, 3, 2, 1, TR_PAD_ZEROS);
    y = resnet_conv_in_relu(g, w, 7, y, c4, 3, 2, 1, TR_PAD_ZEROS);
    for (int32_t b = 10; b < 10 + nb; b++) {
        char wn[64], bn[64], nn[64];
        snprintf(wn, sizeof wn, "model.%d.conv_block.1.weight", b);
        snprintf(bn, sizeof bn, "model.%d.conv_block.1.bias", b);
        snprintf(nn, sizeof nn, "model.%d.conv_block.2", b);
        int32_t t = conv(g, w, wn, bn, y, c4, 3, 1, 1, TR_PAD_REFLECT, TR_ACT_NONE);
        t = inorm(g, w, nn, 0, t, -1, TR_ACT_RELU);
        snprintf(wn, sizeof wn, "model.%d.conv_block.%d.weight", b, a->block_conv2);
        snprintf(bn, sizeof bn, "model.%d.conv_block.%d.bias", b, a->block_conv2);
        snprintf(nn, sizeof nn, "model.%d.conv_block.%d", b, a->block_conv2 + 1);
        t = conv(g, w, wn, bn, t, c4, 3, 1, 1, TR_PAD_REFLECT, TR_ACT_NONE);
        y = inorm(g, w, nn, 0, t, y, TR_ACT_NONE); /* x + conv_block(x), no ReLU after */
    }
    y = resnet_convt_in_relu(g, w, 10 + nb, y, c2);
    y = resnet_convt_in_relu(g, w, 13 + nb, y, c1);
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "model.%d.weight", 17 + nb);
    snprintf(bn, sizeof bn, "model.%d.bias", 17 + nb);
    return conv(g, w, wn, bn, y, a->out_c, 7, 1, 3, TR_PAD_REFLECT, TR_ACT_TANH);
}

/* ---- TransformerNet -------------------------------------------------------- */

/* ConvLayer `name` (reflect-pad k/2, conv) with its bias and no activation. */
static int32_t tn_conv(tr_graph *g, const tryon_weights *w, const char *name, int32_t x,
                       int32_t c_out, int32_t k, int32_t stride) {
    char wn[96], bn[96];
    snprintf(wn, sizeof wn, "%s.conv2d.weight", name);
    snprintf(bn, sizeof bn, "%s.conv2d.bias", name);
    return conv(g, w, wn, bn, x, c_out, k, stride, k / 2, TR_PAD_REFLECT, TR_ACT_NONE);
}

static int32_t build_transformernet(tr_graph *g, const tryon_weights *w, const tr_cyclegan_arch *a,
                                    int32_t x) {
    int32_t y = tn_conv(g, w, "conv1", x, a->c1, 9, 1);
    y = inorm(g, w, "in1", 1, y, -1, TR_ACT_RELU);
    y = tn_conv(g, w, "conv2", y, a->c2, 3, 2);
    y = inorm(g, w, "in2", 1, y, -1, TR_ACT_RELU);
    y = tn_conv(g, w, "conv3", y, a->c3, 3, 2);
    y = inorm(g, w, "in3", 1, y, -1, TR_ACT_RELU);
    for (int32_t r = 1; r <= a->n_res; r++) {
        char n[64];
        snprintf(n, sizeof n, "res%d.conv1", r);
        int32_t t = tn_conv(g, w, n, y, a->c3, 3, 1);
        snprintf(n, sizeof n, "res%d.in1", r);
        t = inorm(g, w, n, 1, t, -1, TR_ACT_RELU);
        snprintf(n, sizeof n, "res%d.conv2", r);
        t = tn_conv(g, w, n, t, a->c3, 3, 1);
        snprintf(n, sizeof n, "res%d.in2", r);
        y = inorm(g, w, n, 1, t, y, TR_ACT_NONE); /* out + residual, no ReLU after */
    }
    tr_graph_name(g, "deconv1.upsample");
    y = tr_upsample_nearest(g, y, 2, 2);
    y = tn_conv(g, w, "deconv1", y, a->c2, 3, 1);
    y = inorm(g, w, "in4", 1, y, -1, TR_ACT_RELU);
    tr_graph_name(g, "deconv2.upsample");
    y = tr_upsample_nearest(g, y, 2, 2);
    y = tn_conv(g, w, "deconv2", y, a->c1, 3, 1);
    y = inorm(g, w, "in5", 1, y, -1, TR_ACT_RELU);
    return tn_conv(g, w, "deconv3", y, 3, 9, 1);
}

int32_t tr_cyclegan_build(tr_graph *g, const tryon_weights *w, const tr_cyclegan_arch *a,
                          int32_t x) {
    if (g->status != TRYON_OK) return -1;
    const tr_tensor *t = &g->tensors[x];
    int32_t lo = tr_cyclegan_min_size(a);
    if (t->ndim != 4 || t->shape[3] != a->in_c)
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "cyclegan: input '%s' must be (N, H, W, %d)",
                             t->name, a->in_c);
    if (t->shape[1] < lo || t->shape[2] < lo)
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG,
                             "cyclegan: input %lldx%lld (WxH) is too small, the smallest is "
                             "%dx%d (reflection padding)",
                             (long long)t->shape[2], (long long)t->shape[1], lo, lo);
    return a->family == TRYON_CYCLEGAN_RESNET ? build_resnet(g, w, a, x)
                                              : build_transformernet(g, w, a, x);
}

/* ---- public API ------------------------------------------------------------ */

tryon_cyclegan_params tryon_cyclegan_params_default(void) {
    tryon_cyclegan_params p = {1, 256, 256};
    return p;
}

static int32_t out_side(int32_t in) { return (int32_t)(4 * (((int64_t)in + 3) / 4)); }

tryon_status tryon_cyclegan_inspect(tryon_ctx *ctx, const tryon_weights *w,
                                    const tryon_cyclegan_params *p, tryon_cyclegan_info *out) {
    memset(out, 0, sizeof *out);
    tr_cyclegan_arch a;
    TR_TRY(tr_cyclegan_arch_read(ctx, w, &a));
    int32_t lo = tr_cyclegan_min_size(&a);
    if (p->batch < 1) return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "cyclegan: batch must be >= 1");
    if (p->height < lo || p->width < lo || p->height > INT32_MAX - 3 || p->width > INT32_MAX - 3)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                       "cyclegan: input %dx%d (WxH) is invalid, the smallest is %dx%d "
                       "(reflection padding)",
                       p->width, p->height, lo, lo);
    int resnet = a.family == TRYON_CYCLEGAN_RESNET;
    out->family = a.family;
    out->family_name = resnet ? "cyclegan" : "transformernet";
    out->in_channels = a.in_c;
    out->out_channels = a.out_c;
    out->out_height = out_side(p->height);
    out->out_width = out_side(p->width);
    out->range_lo = resnet ? -1.0f : 0.0f;
    out->range_hi = resnet ? 1.0f : 255.0f;
    out->ngf = resnet ? a.ngf : a.c1;
    out->n_blocks = resnet ? a.n_blocks : a.n_res;
    return TRYON_OK;
}

tryon_status tryon_cyclegan_load(tryon_ctx *ctx, const tryon_weights *w,
                                 const tryon_cyclegan_params *p, tryon_model **out) {
    *out = NULL;
    tryon_cyclegan_info info;
    TR_TRY(tryon_cyclegan_inspect(ctx, w, p, &info));
    tr_cyclegan_arch a;
    TR_TRY(tr_cyclegan_arch_read(ctx, w, &a));
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    int64_t xs[4] = {p->batch, p->height, p->width, a.in_c};
    int32_t x = tr_graph_input(g, "image", TRYON_DTYPE_F32, 4, xs);
    int32_t y = tr_cyclegan_build(g, w, &a, x);
    tr_graph_output(g, y, "image");
    return tr_model_create(ctx, g, out); /* takes g, reports the first builder error */
}
