/* stylegan2_config.c — reads a converted StyleGAN2 weights file into a
 * tr_sg2_config: family check, mapping depth and widths, blocks, channels,
 * kernel size, architecture, noise layers, and the metadata-only values
 * (conv_clamp, mapping lr multiplier, activations), cross-checking every
 * metadata dimension against the tensors.
 * Tests: tests/test_stylegan2.c. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "stylegan2.h"
#include "weights.h"

#define BAD(...) TR_FAIL(ctx, TRYON_ERR_FORMAT, __VA_ARGS__)

const char *tr_sg2_arch_name(tr_sg2_arch a) {
    switch (a) {
    case TR_SG2_ORIG: return "orig";
    case TR_SG2_SKIP: return "skip";
    case TR_SG2_RESNET: return "resnet";
    }
    return "?";
}

static const tr_wtensor *get(const tryon_weights *w, const char *fmt, ...) TR_PRINTF(2, 3);
static const tr_wtensor *get(const tryon_weights *w, const char *fmt, ...) {
    char name[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    return tr_weights_get(w, name);
}

/* An integer metadata value, if present, must equal the inferred one. */
static tryon_status check_meta_int(tryon_ctx *ctx, const tryon_weights *w, const char *key,
                                   int64_t inferred) {
    const char *v = tryon_weights_metadata(w, key);
    if (!v) return TRYON_OK;
    char *end;
    long long m = strtoll(v, &end, 10);
    if (end == v || *end || m != inferred)
        return BAD("weights: metadata %s = '%s' disagrees with the tensors (%lld)", key, v,
                   (long long)inferred);
    return TRYON_OK;
}

static tryon_status parse_act(tryon_ctx *ctx, const tryon_weights *w, const char *key,
                              tr_act *out) {
    const char *v = tryon_weights_metadata(w, key);
    if (!v || !strcmp(v, "lrelu"))
        *out = TR_ACT_LRELU;
    else if (!strcmp(v, "relu"))
        *out = TR_ACT_RELU;
    else if (!strcmp(v, "linear"))
        *out = TR_ACT_NONE;
    else
        return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                       "weights: %s '%s' is not supported "
                       "(linear, relu, lrelu)",
                       key, v);
    return TRYON_OK;
}

static tryon_status read_family(tryon_ctx *ctx, const tryon_weights *w) {
    const char *fam = tryon_weights_metadata(w, "tryon.family");
    if (!fam)
        return BAD("weights have no 'tryon.family' metadata; expected family 'stylegan2' "
                   "(convert with tools/convert.py stylegan2)");
    if (strcmp(fam, "stylegan2"))
        return BAD("weights are for family '%s', but StyleGAN2 generation needs family "
                   "'stylegan2'",
                   fam);
    const char *fmt = tryon_weights_metadata(w, "tryon.format");
    if (!fmt || strcmp(fmt, "1"))
        return TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                       "weights: stylegan2 tryon.format '%s' is "
                       "not supported (this build reads format 1)",
                       fmt ? fmt : "(missing)");
    return TRYON_OK;
}

static tryon_status read_mapping(tryon_ctx *ctx, const tryon_weights *w, tr_sg2_config *c) {
    const tr_wtensor *e = get(w, "mapping.embed.weight");
    if (e) {
        if (e->ndim != 2) return BAD("weights: mapping.embed.weight must be 2-D");
        c->embed_features = (int32_t)e->shape[0];
        c->c_dim = (int32_t)e->shape[1];
    }
    int32_t L = 0;
    for (;; L++) {
        const tr_wtensor *fc = get(w, "mapping.fc%d.weight", L);
        if (!fc) break;
        if (L == TR_SG2_MAX_MAPPING) return BAD("weights: more than %d mapping layers", L);
        if (fc->ndim != 2) return BAD("weights: mapping.fc%d.weight must be 2-D", L);
        if (L == 0)
            c->mapping_width[0] = (int32_t)fc->shape[1];
        else if (fc->shape[1] != c->mapping_width[L])
            return BAD("weights: mapping.fc%d.weight takes %lld inputs, fc%d gives %d", L,
                       (long long)fc->shape[1], L - 1, c->mapping_width[L]);
        c->mapping_width[L + 1] = (int32_t)fc->shape[0];
    }
    if (L == 0) return BAD("weights: mapping.fc0.weight is missing: not a StyleGAN2 generator");
    c->mapping_layers = L;
    c->z_dim = c->mapping_width[0] - c->embed_features;
    c->w_dim = c->mapping_width[L];
    if (c->z_dim < 0 || (c->z_dim == 0 && c->c_dim == 0))
        return BAD("weights: mapping.fc0 takes %d inputs, fewer than the %d label features",
                   c->mapping_width[0], c->embed_features);
    const tr_wtensor *avg = get(w, "mapping.w_avg");
    if (avg && (avg->ndim != 1 || avg->shape[0] != c->w_dim))
        return BAD("weights: mapping.w_avg must have shape [%d]", c->w_dim);
    c->has_w_avg = avg != NULL;
    return TRYON_OK;
}

/* Output channels of a 4-D OHWI conv weight, checking its kernel and input width. */
static tryon_status conv_shape(tryon_ctx *ctx, const tr_wtensor *t, const char *name, int32_t k,
                               int32_t c_in, int32_t *c_out) {
    if (!t) return BAD("weights: tensor '%s' is missing", name);
    if (t->ndim != 4 || t->shape[1] != k || t->shape[2] != k || (c_in > 0 && t->shape[3] != c_in))
        return BAD("weights: '%s' must be (C_out, %d, %d, %d) (OHWI)", name, k, k, c_in);
    *c_out = (int32_t)t->shape[0];
    return TRYON_OK;
}

static tryon_status read_blocks(tryon_ctx *ctx, const tryon_weights *w, tr_sg2_config *c) {
    const tr_wtensor *c1 = get(w, "synthesis.b4.conv1.weight");
    if (!c1 || c1->ndim != 4)
        return BAD("weights: synthesis.b4.conv1.weight is missing: not a StyleGAN2 generator");
    c->kernel = (int32_t)c1->shape[1];
    if (c->kernel < 1 || c->kernel % 2 == 0 || c1->shape[2] != c->kernel)
        return BAD("weights: synthesis kernels must be square and odd, got %lldx%lld",
                   (long long)c1->shape[1], (long long)c1->shape[2]);
    int32_t prev = 0, any_skip = 0, torgb_blocks = 0;
    char name[160];
    for (int32_t res = 4; get(w, "synthesis.b%d.conv1.weight", res); res *= 2) {
        if (c->n_blocks == TR_SG2_MAX_BLOCKS)
            return BAD("weights: resolution above %d", 4 << (TR_SG2_MAX_BLOCKS - 1));
        tr_sg2_block *b = &c->blocks[c->n_blocks++];
        b->res = res;
        b->c_in = prev;
        int32_t co0 = 0;
        if (prev) {
            snprintf(name, sizeof name, "synthesis.b%d.conv0.weight", res);
            TR_TRY(conv_shape(ctx, tr_weights_get(w, name), name, c->kernel, prev, &co0));
        }
        snprintf(name, sizeof name, "synthesis.b%d.conv1.weight", res);
        TR_TRY(conv_shape(ctx, tr_weights_get(w, name), name, c->kernel, 0, &b->c_out));
        if ((prev && co0 != b->c_out) ||
            get(w, "synthesis.b%d.conv1.weight", res)->shape[3] != b->c_out)
            return BAD("weights: block b%d: conv0/conv1 channel counts disagree", res);
        for (int32_t l = prev ? 0 : 1; l < 2; l++) {
            int has_c = get(w, "synthesis.b%d.conv%d.noise_const", res, l) != NULL;
            int has_s = get(w, "synthesis.b%d.conv%d.noise_strength", res, l) != NULL;
            if (has_c != has_s)
                return BAD("weights: synthesis.b%d.conv%d has only one of noise_const and "
                           "noise_strength",
                           res, l);
            b->noise[l] = has_c;
        }
        b->has_torgb = get(w, "synthesis.b%d.torgb.weight", res) != NULL;
        b->has_skip = get(w, "synthesis.b%d.skip.weight", res) != NULL;
        if (b->has_skip && !prev) return BAD("weights: synthesis.b4 cannot have a skip layer");
        torgb_blocks += b->has_torgb;
        any_skip |= b->has_skip;
        prev = b->c_out;
    }
    tr_sg2_block *last = &c->blocks[c->n_blocks - 1];
    c->resolution = last->res;
    if (get(w, "synthesis.b%d.conv1.weight", 2 * c->resolution) ||
        get(w, "synthesis.b%d.conv0.weight", 2 * c->resolution))
        return BAD("weights: synthesis blocks are not contiguous after b%d", c->resolution);
    if (!last->has_torgb)
        return BAD("weights: synthesis.b%d.torgb.weight (last block) is missing", c->resolution);
    const tr_wtensor *rgb = get(w, "synthesis.b%d.torgb.weight", c->resolution);
    if (rgb->ndim != 4 || rgb->shape[1] != 1 || rgb->shape[2] != 1 || rgb->shape[3] != last->c_out)
        return BAD("weights: synthesis.b%d.torgb.weight must be (C, 1, 1, %d)", c->resolution,
                   last->c_out);
    c->img_channels = (int32_t)rgb->shape[0];
    for (int32_t i = 0; i < c->n_blocks; i++) {
        const tr_sg2_block *b = &c->blocks[i];
        if (i > 0 && any_skip && !b->has_skip)
            return BAD("weights: resnet architecture but synthesis.b%d.skip.weight is missing",
                       b->res);
    }
    c->num_ws = 2 * c->n_blocks; /* b4: 1 conv, others 2, plus the last ToRGB */
    /* Architecture from the tensors; at 4x4 the three are the same network. */
    const char *meta = tryon_weights_metadata(w, "stylegan2.architecture");
    if (any_skip)
        c->arch = TR_SG2_RESNET;
    else if (c->n_blocks == 1 && meta && !strcmp(meta, "orig"))
        c->arch = TR_SG2_ORIG;
    else if (torgb_blocks == c->n_blocks)
        c->arch = TR_SG2_SKIP;
    else if (torgb_blocks == 1)
        c->arch = TR_SG2_ORIG;
    else
        return BAD("weights: %d of %d blocks have ToRGB layers: neither 'skip' nor 'orig'",
                   torgb_blocks, c->n_blocks);
    if (any_skip && torgb_blocks != 1)
        return BAD("weights: resnet architecture with ToRGB layers in %d blocks", torgb_blocks);
    if (meta && strcmp(meta, tr_sg2_arch_name(c->arch)) && c->n_blocks > 1)
        return BAD("weights: metadata architecture '%s' disagrees with the tensors ('%s')", meta,
                   tr_sg2_arch_name(c->arch));
    return TRYON_OK;
}

tryon_status tr_sg2_config_read(tryon_ctx *ctx, const tryon_weights *w, tr_sg2_config *c) {
    memset(c, 0, sizeof *c);
    TR_TRY(read_family(ctx, w));
    TR_TRY(read_mapping(ctx, w, c));
    TR_TRY(read_blocks(ctx, w, c));

    const char *clamp = tryon_weights_metadata(w, "stylegan2.conv_clamp");
    if (!clamp) return BAD("weights: metadata stylegan2.conv_clamp is missing");
    if (strcmp(clamp, "none")) {
        char *end;
        double v = strtod(clamp, &end);
        if (end == clamp || *end || !(v > 0) || v > 3e38)
            return BAD("weights: stylegan2.conv_clamp '%s' must be 'none' or a positive number",
                       clamp);
        c->conv_clamp = (float)v;
    }
    c->mapping_lrmul = 0.01;
    const char *lr = tryon_weights_metadata(w, "stylegan2.mapping_lr_multiplier");
    if (lr) {
        char *end;
        c->mapping_lrmul = strtod(lr, &end);
        if (end == lr || *end || !(c->mapping_lrmul > 0) || c->mapping_lrmul > 1e6)
            return BAD("weights: stylegan2.mapping_lr_multiplier '%s' is invalid", lr);
    }
    TR_TRY(parse_act(ctx, w, "stylegan2.mapping_activation", &c->mapping_act));
    TR_TRY(parse_act(ctx, w, "stylegan2.synthesis_activation", &c->synthesis_act));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.z_dim", c->z_dim));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.c_dim", c->c_dim));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.w_dim", c->w_dim));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.num_ws", c->num_ws));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.img_resolution", c->resolution));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.img_channels", c->img_channels));
    TR_TRY(check_meta_int(ctx, w, "stylegan2.mapping_layers", c->mapping_layers));
    return TRYON_OK;
}

int32_t tr_sg2_scaled_weight_as(tr_graph *g, const tryon_weights *w, const char *name, int32_t ndim,
                                const int64_t *shape, int32_t out_ndim, const int64_t *out_shape,
                                double scale) {
    if (g->status != TRYON_OK) return -1;
    const tr_wtensor *t;
    tryon_status st = tr_weights_require(g->ctx, w, name, ndim, shape, &t);
    if (st != TRYON_OK) return tr_graph_error(g, st, __FILE__, __LINE__, "%s", g->ctx->err);
    void *dst;
    int32_t id = tr_graph_const_alloc(g, name, TRYON_DTYPE_F32, out_ndim, out_shape, &dst);
    if (id < 0) return -1;
    TR_ASSERT(tr_tensor_numel(&g->tensors[id]) == t->numel);
    float *f = dst;
    tr_wtensor_to_f32(t, f);
    /* In float, like PyTorch's `weight * weight_gain` with a Python scalar. */
    const float s = (float)scale;
    for (int64_t i = 0; i < t->numel; i++) f[i] *= s;
    return id;
}

int32_t tr_sg2_scaled_weight(tr_graph *g, const tryon_weights *w, const char *name, int32_t ndim,
                             const int64_t *shape, double scale) {
    int64_t one = 1;
    return tr_sg2_scaled_weight_as(g, w, name, ndim, shape, ndim ? ndim : 1, ndim ? shape : &one,
                                   scale);
}
