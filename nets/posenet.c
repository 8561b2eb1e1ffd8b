/* posenet.c — the PoseNet graph: tfjs-models preprocessing, MobileNetV1
 * backbone and heads as recorded by tools/convert_posenet.py, sigmoid, and the
 * decoder node; plus the public pose readers (include/tryon.h).
 *
 * Preprocessing (tfjs-models posenet 2.x util.ts padAndResizeTo, then
 * mobilenet.ts preprocessInput):
 *   aspect a = W/H, target t = R_w/R_h;
 *   a < t: pad left = right = round(0.5*(t*H - W)), else top = bottom =
 *          round(0.5*(W/t - H)) (JS Math.round, half up), zeros in raw pixels;
 *   bilinear resize to R_h x R_w with TF's legacy mapping src = dst*in/out;
 *   x/127.5 - 1 (as one multiply-add here: within an ulp of TF.js's divide).
 * Poses come back to image pixels with scale = padded size / R and offset =
 * -pad (scaleAndFlipPoses). Padding is done by concatenating zero constants,
 * so the whole path is graph ops that a device backend keeps on the device.
 *
 * Backbone and heads follow the layer table in the weights' __metadata__
 * (posenet.layers, posenet.heads: kind conv|depthwise, kernel, stride,
 * dilation, SAME|VALID padding, relu6|relu|none), so every multiplier and
 * output stride that the converter accepts builds here.
 * Tests: tests/test_posenet.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "posenet.h"

#define MAX_LAYERS 64

typedef struct pn_layer {
    char name[TR_NAME_LEN];
    char weight[TR_NAME_LEN], bias[TR_NAME_LEN];
    int32_t depthwise, kh, kw, sh, sw, dh, dw, same, in, out;
    tr_act act;
} pn_layer;

typedef struct pn_arch {
    int32_t output_stride, input_h, input_w;
    int32_t n_layers;
    pn_layer layers[MAX_LAYERS];
    pn_layer heads[4]; /* heatmap, offsets, displacement_fwd, displacement_bwd */
} pn_arch;

static const char *const head_keys[4] = {"heatmap", "offsets", "displacement_fwd",
                                         "displacement_bwd"};

tryon_posenet_params tryon_posenet_params_default(void) {
    tryon_posenet_params p;
    memset(&p, 0, sizeof p);
    p.input = TRYON_POSENET_INPUT_IMAGE;
    p.max_poses = 5;
    p.score_threshold = 0.5f;
    p.nms_radius = 20.0f;
    return p;
}

const char *tryon_posenet_keypoint_name(int32_t k) {
    static const char *const names[TRYON_POSENET_KEYPOINTS] = {
        "nose",           "left_eye",   "right_eye",   "left_ear",   "right_ear",   "left_shoulder",
        "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
        "right_hip",      "left_knee",  "right_knee",  "left_ankle", "right_ankle"};
    return k >= 0 && k < TRYON_POSENET_KEYPOINTS ? names[k] : NULL;
}

/* ---- metadata --------------------------------------------------------------- */

static int meta_int(const tryon_weights *w, const char *key, int64_t lo, int64_t hi, int32_t *out) {
    const char *v = tryon_weights_metadata(w, key);
    if (!v || !*v) return 0;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < lo || x > hi) return 0;
    *out = (int32_t)x;
    return 1;
}

static const tr_json *member(const tr_json_doc *d, const tr_json *obj, const char *key) {
    for (const tr_json *m = tr_json_at(d, obj->first); m; m = tr_json_at(d, m->next))
        if (!strcmp(m->key, key)) return m;
    return NULL;
}

/* Reads an int member, or a pair [a, b] into a and b. */
static int get_ints(const tr_json_doc *d, const tr_json *obj, const char *key, int32_t lo,
                    int32_t hi, int32_t *a, int32_t *b) {
    const tr_json *m = member(d, obj, key);
    if (!m) return 0;
    const tr_json *e[2] = {m, m};
    if (m->type == TR_JSON_ARRAY) {
        if (m->n_children != (b ? 2 : 1)) return 0;
        e[0] = tr_json_at(d, m->first);
        e[1] = b ? tr_json_at(d, e[0]->next) : e[0];
    }
    for (int i = 0; i < (b ? 2 : 1); i++)
        if (e[i]->type != TR_JSON_NUMBER || !e[i]->is_int || e[i]->i < lo || e[i]->i > hi) return 0;
    *a = (int32_t)e[0]->i;
    if (b) *b = (int32_t)e[1]->i;
    return 1;
}

static int get_str(const tr_json_doc *d, const tr_json *obj, const char *key, char *buf,
                   size_t size) {
    const tr_json *m = member(d, obj, key);
    if (!m || m->type != TR_JSON_STRING || strlen(m->str) >= size) return 0;
    snprintf(buf, size, "%s", m->str);
    return 1;
}

static tryon_status parse_layer(tryon_ctx *ctx, const tr_json_doc *d, const tr_json *o,
                                const char *table, int32_t i, pn_layer *l) {
    char kind[16], pad[8], act[8];
    memset(l, 0, sizeof *l);
    if (o->type != TR_JSON_OBJECT || !get_str(d, o, "name", l->name, sizeof l->name) ||
        !get_str(d, o, "weight", l->weight, sizeof l->weight) ||
        !get_str(d, o, "bias", l->bias, sizeof l->bias) ||
        !get_str(d, o, "kind", kind, sizeof kind) || !get_str(d, o, "padding", pad, sizeof pad) ||
        !get_str(d, o, "act", act, sizeof act) ||
        !get_ints(d, o, "kernel", 1, 31, &l->kh, &l->kw) ||
        !get_ints(d, o, "stride", 1, 32, &l->sh, &l->sw) ||
        !get_ints(d, o, "dilation", 1, 256, &l->dh, &l->dw) ||
        !get_ints(d, o, "in", 1, 1 << 16, &l->in, NULL) ||
        !get_ints(d, o, "out", 1, 1 << 16, &l->out, NULL))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: posenet.%s entry %d lacks a valid name, weight, bias, kind, "
                       "kernel, stride, dilation, padding, act, in or out",
                       table, i);
    if (!strcmp(kind, "depthwise"))
        l->depthwise = 1;
    else if (strcmp(kind, "conv"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: layer '%s' has unknown kind '%s'", l->name,
                       kind);
    if (!strcmp(pad, "SAME"))
        l->same = 1;
    else if (strcmp(pad, "VALID"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: layer '%s' has unknown padding '%s'",
                       l->name, pad);
    if (!strcmp(act, "relu6"))
        l->act = TR_ACT_RELU6;
    else if (!strcmp(act, "relu"))
        l->act = TR_ACT_RELU;
    else if (!strcmp(act, "none"))
        l->act = TR_ACT_NONE;
    else
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: layer '%s' has unknown act '%s'", l->name,
                       act);
    if (l->depthwise && l->out != l->in)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: depthwise layer '%s' maps %d channels to %d", l->name, l->in,
                       l->out);
    return TRYON_OK;
}

static tryon_status parse_table(tryon_ctx *ctx, const tryon_weights *w, const char *key,
                                pn_layer *out, int32_t cap, int32_t *n) {
    char full[64];
    snprintf(full, sizeof full, "posenet.%s", key);
    const char *text = tryon_weights_metadata(w, full);
    if (!text) return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: __metadata__ lacks %s", full);
    tr_json_doc *d;
    if (tr_json_parse(ctx, text, strlen(text), &d) != TRYON_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", tryon_ctx_last_error(ctx));
        return TR_FAIL(ctx, ctx->last_status, "weights: metadata %s: %s", full, why);
    }
    tryon_status st = TRYON_OK;
    const tr_json *root = &d->nodes[0];
    if (root->type != TR_JSON_ARRAY || root->n_children < 1 || root->n_children > cap) {
        st = TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: %s must be an array of 1..%d layers", full,
                     cap);
    } else {
        int32_t i = 0;
        for (const tr_json *e = tr_json_at(d, root->first); e && st == TRYON_OK;
             e = tr_json_at(d, e->next), i++) {
            st = parse_layer(ctx, d, e, key, i, &out[i]);
            if (st == TRYON_OK && !strcmp(key, "heads")) {
                char head[24];
                if (!get_str(d, e, "head", head, sizeof head) || i >= 4 ||
                    strcmp(head, head_keys[i]))
                    st = TR_FAIL(ctx, TRYON_ERR_FORMAT,
                                 "weights: posenet.heads entry %d must be the '%s' head", i,
                                 i < 4 ? head_keys[i] : "?");
            }
        }
        *n = root->n_children;
    }
    tr_json_free(d);
    return st;
}

static tryon_status read_arch(tryon_ctx *ctx, const tryon_weights *w, pn_arch *a) {
    const char *fam = tryon_weights_metadata(w, "tryon.family");
    if (!fam || strcmp(fam, "posenet"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights are for the '%s' family, this command needs 'posenet' weights",
                       fam ? fam : "(none)");
    const char *fmt = tryon_weights_metadata(w, "tryon.format");
    if (!fmt || strcmp(fmt, "1"))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: posenet tryon.format '%s' is not supported (expected 1)",
                       fmt ? fmt : "(none)");
    memset(a, 0, sizeof *a);
    if (!meta_int(w, "posenet.output_stride", 1, 1024, &a->output_stride) ||
        !meta_int(w, "posenet.input_height", 0, 1 << 16, &a->input_h) ||
        !meta_int(w, "posenet.input_width", 0, 1 << 16, &a->input_w))
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: posenet.output_stride, input_height and input_width must be "
                       "integers");
    int32_t n_heads = 0;
    TR_TRY(parse_table(ctx, w, "layers", a->layers, MAX_LAYERS, &a->n_layers));
    TR_TRY(parse_table(ctx, w, "heads", a->heads, 4, &n_heads));
    if (n_heads != 4)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: posenet.heads has %d heads, expected 4",
                       n_heads);
    if (a->layers[0].in != 3)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT, "weights: layer '%s' reads %d channels, not RGB",
                       a->layers[0].name, a->layers[0].in);
    int64_t stride = 1;
    for (int32_t i = 0; i < a->n_layers; i++) {
        if (i > 0 && a->layers[i].in != a->layers[i - 1].out)
            return TR_FAIL(
                ctx, TRYON_ERR_FORMAT, "weights: layer '%s' reads %d channels, '%s' writes %d",
                a->layers[i].name, a->layers[i].in, a->layers[i - 1].name, a->layers[i - 1].out);
        stride *= a->layers[i].sh;
    }
    static const int32_t head_ch[4] = {TR_POSENET_KEYPOINTS, 2 * TR_POSENET_KEYPOINTS,
                                       2 * TR_POSENET_EDGES, 2 * TR_POSENET_EDGES};
    for (int32_t i = 0; i < 4; i++)
        if (a->heads[i].in != a->layers[a->n_layers - 1].out || a->heads[i].out != head_ch[i])
            return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                           "weights: head '%s' maps %d -> %d channels, expected %d -> %d",
                           a->heads[i].name, a->heads[i].in, a->heads[i].out,
                           a->layers[a->n_layers - 1].out, head_ch[i]);
    if (stride != a->output_stride)
        return TR_FAIL(ctx, TRYON_ERR_FORMAT,
                       "weights: the layers' strides multiply to %lld, posenet.output_stride "
                       "says %d",
                       (long long)stride, a->output_stride);
    return TRYON_OK;
}

/* ---- graph --------------------------------------------------------------------- */

static int32_t conv_layer(tr_graph *g, const tryon_weights *w, int32_t x, const pn_layer *l,
                          tr_conv_accum accum) {
    int32_t groups = l->depthwise ? l->in : 1;
    int64_t ws[4] = {l->out, l->kh, l->kw, l->in / groups}, bs[1] = {l->out};
    tr_conv_opts o = tr_conv_opts_default();
    o.stride_h = l->sh, o.stride_w = l->sw;
    o.dil_h = l->dh, o.dil_w = l->dw;
    o.tf_same = l->same;
    o.groups = groups;
    o.ep = tr_epilogue_make(l->act);
    o.accum = accum;
    o.bias = tr_graph_weight(g, w, l->bias, 1, bs);
    int32_t wt = tr_graph_weight(g, w, l->weight, 4, ws);
    tr_graph_name(g, "%s", l->name);
    return tr_conv2d(g, x, wt, &o);
}

/* JavaScript Math.round (half up) of a non-negative or negative double. */
static double js_round(double v) {
    double f = floor(v);
    return v - f >= 0.5 ? f + 1.0 : f;
}

/* x padded with `pad` zero rows (axis 1) or columns (axis 2) on both sides. */
static int32_t pad_zeros(tr_graph *g, int32_t x, int32_t axis, int64_t pad) {
    if (pad <= 0 || g->status != TRYON_OK) return x;
    int64_t s[4];
    memcpy(s, g->tensors[x].shape, sizeof s);
    s[axis] = pad;
    void *data;
    int32_t z = tr_graph_const_alloc(g, axis == 1 ? "pad_rows" : "pad_cols", g->tensors[x].dtype, 4,
                                     s, &data); /* zero-filled */
    int32_t parts[3] = {z, x, z};
    tr_graph_name(g, "pad_%s", axis == 1 ? "rows" : "cols");
    return tr_concat(g, 3, parts, axis);
}

static int32_t valid_resolution(int32_t r, int32_t os) {
    return (r - 1) % os == 0 ? r : r / os * os + 1;
}

/* Checks p against the architecture and resolves the network resolution. */
static tryon_status resolve(tryon_ctx *ctx, const pn_arch *a, const tryon_posenet_params *p,
                            int32_t *rh_out, int32_t *rw_out) {
    const int32_t os = a->output_stride;
    int32_t rh = p->input_height > 0 ? p->input_height : a->input_h > 0 ? a->input_h : 257;
    int32_t rw = p->input_width > 0 ? p->input_width : a->input_w > 0 ? a->input_w : 257;
    if (p->input_height < 0 || p->input_width < 0 || rh > 16384 || rw > 16384)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "posenet: input size %dx%d outside 1..16384",
                       p->input_width, p->input_height);
    if (p->input != TRYON_POSENET_INPUT_IMAGE && p->input != TRYON_POSENET_INPUT_TENSOR)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "posenet: unknown input kind %d", (int)p->input);
    if (p->input == TRYON_POSENET_INPUT_IMAGE) {
        if (p->image_width < 1 || p->image_height < 1)
            return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "posenet: image size %dx%d is invalid",
                           p->image_width, p->image_height);
        rh = valid_resolution(rh, os), rw = valid_resolution(rw, os);
        if (rh < 1 || rw < 1)
            return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                           "posenet: input size below the output stride %d", os);
    }
    if (!(p->nms_radius >= 0 && isfinite(p->nms_radius) && isfinite(p->score_threshold)))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                       "posenet: score threshold and NMS radius must be finite, radius >= 0");
    if (p->multi && (p->max_poses < 1 || p->max_poses > 1000))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "posenet: max_poses %d outside 1..1000",
                       p->max_poses);
    *rh_out = rh, *rw_out = rw;
    return TRYON_OK;
}

/* Appends the network to g on x: an image (1, H, W, 3), U8 or F32 in 0..255,
 * when image is set, else the preprocessed (1, rh, rw, 3) tensor. out gets
 * the ids of heatmap, heatmap_scores, offsets, displacement_fwd,
 * displacement_bwd, poses and (images only, else -1) the preprocessed input. */
static void build(tr_graph *g, const tryon_weights *w, const pn_arch *a,
                  const tryon_posenet_params *p, int32_t x, int image, int32_t rh, int32_t rw,
                  tr_conv_accum accum, int32_t out[7]) {
    /* Like every builder, nothing on a graph that has already failed (its
     * tensor ids, x included, may be -1). */
    if (g->status != TRYON_OK) {
        for (int32_t i = 0; i < 7; i++) out[i] = -1;
        return;
    }
    tr_posenet_decode_desc dd;
    memset(&dd, 0, sizeof dd);
    dd.scale_y = dd.scale_x = 1.0;
    int32_t pre = -1;
    if (image) {
        const int64_t H = g->tensors[x].shape[1], W = g->tensors[x].shape[2];
        double target = (double)rw / rh, aspect = (double)W / H;
        int64_t pad_t = 0, pad_l = 0;
        if (aspect < target)
            pad_l = (int64_t)js_round(0.5 * (target * H - W));
        else
            pad_t = (int64_t)js_round(0.5 * ((1.0 / target) * W - H));
        x = pad_zeros(g, x, 1, pad_t);
        x = pad_zeros(g, x, 2, pad_l);
        tr_graph_name(g, "resize");
        x = tr_resize_bilinear(g, x, rh, rw, TR_RESIZE_TF_LEGACY);
        tr_graph_name(g, "normalize");
        x = pre = tr_scale(g, x, (float)(1.0 / 127.5), -1.0f);
        dd.scale_y = (double)(H + 2 * pad_t) / rh, dd.scale_x = (double)(W + 2 * pad_l) / rw;
        dd.offset_y = (double)-pad_t, dd.offset_x = (double)-pad_l;
    }
    for (int32_t i = 0; i < a->n_layers; i++) x = conv_layer(g, w, x, &a->layers[i], accum);
    int32_t head[4];
    for (int32_t i = 0; i < 4; i++) head[i] = conv_layer(g, w, x, &a->heads[i], accum);
    tr_graph_name(g, "heatmap_scores");
    int32_t scores = tr_activation(g, head[0], tr_epilogue_make(TR_ACT_SIGMOID));
    dd.output_stride = a->output_stride;
    dd.multi = p->multi ? 1 : 0;
    dd.max_poses = p->multi ? p->max_poses : 1;
    dd.local_max_radius = 1;
    dd.refine_steps = 2;
    dd.score_threshold = p->score_threshold;
    dd.nms_radius = p->nms_radius;
    tr_graph_name(g, "decode");
    int32_t poses = tr_posenet_decode(g, scores, head[1], head[2], head[3], &dd);
    out[0] = head[0], out[1] = scores, out[2] = head[1], out[3] = head[2], out[4] = head[3];
    out[5] = poses, out[6] = pre;
}

int32_t tr_posenet_append(tr_graph *g, const tryon_weights *w, const tryon_posenet_params *p,
                          int32_t image) {
    if (g->status != TRYON_OK) return -1;
    const tr_tensor *t = &g->tensors[image];
    if (t->ndim != 4 || t->shape[0] != 1 || t->shape[3] != 3 ||
        (t->dtype != TRYON_DTYPE_U8 && t->dtype != TRYON_DTYPE_F32))
        return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG,
                             "posenet: the image must be (1, H, W, 3) U8 or F32");
    pn_arch *a = tr_mem_alloc(g->ctx, sizeof *a);
    if (!a) return TR_GRAPH_FAIL(g, TRYON_ERR_NOMEM, "posenet: out of memory");
    tryon_posenet_params q = *p;
    q.input = TRYON_POSENET_INPUT_IMAGE;
    q.image_height = (int32_t)t->shape[1], q.image_width = (int32_t)t->shape[2];
    int32_t rh, rw, out[7] = {-1, -1, -1, -1, -1, -1, -1};
    tryon_status st = read_arch(g->ctx, w, a);
    if (st == TRYON_OK) st = resolve(g->ctx, a, &q, &rh, &rw);
    tr_conv_accum accum = p->exact ? TR_CONV_ACCUM_ROUND_ONCE : TR_CONV_ACCUM_F32;
    if (st == TRYON_OK) build(g, w, a, &q, image, 1, rh, rw, accum, out);
    tr_mem_free(a);
    if (st != TRYON_OK) {
        char why[sizeof g->ctx->err]; /* the message is formatted back into ctx->err */
        snprintf(why, sizeof why, "%s", tryon_ctx_last_error(g->ctx));
        return TR_GRAPH_FAIL(g, st, "%s", why);
    }
    return out[5];
}

tryon_status tryon_posenet_load(tryon_ctx *ctx, const tryon_weights *w,
                                const tryon_posenet_params *p, tryon_model **out) {
    *out = NULL;
    if (!w || !p) return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "posenet: NULL weights or params");
    pn_arch *a = tr_mem_alloc(ctx, sizeof *a);
    if (!a) return TRYON_ERR_NOMEM;
    tr_graph *g = NULL;
    int32_t rh, rw;
    tryon_status st = read_arch(ctx, w, a);
    if (st == TRYON_OK) st = resolve(ctx, a, p, &rh, &rw);
    if (st == TRYON_OK) st = tr_graph_init(ctx, &g);
    if (st != TRYON_OK) goto done;
    int image = p->input == TRYON_POSENET_INPUT_IMAGE;
    int32_t x, ids[7];
    if (image) {
        int64_t is[4] = {1, p->image_height, p->image_width, 3};
        x = tr_graph_input(g, "image", TRYON_DTYPE_U8, 4, is);
    } else {
        int64_t is[4] = {1, rh, rw, 3};
        x = tr_graph_input(g, "input", TRYON_DTYPE_F32, 4, is);
    }
    /* exact: TF.js's CPU backend rounds each tap once, reproduced bit for bit.
     * Otherwise float accumulation in the same (ky, kx, ci) order: a fused
     * multiply-add rounds acc + x*w once, to the same float as TF.js's double
     * sum except where that double lands on a float tie, so on FMA hardware
     * the heads match TF.js's bits in practice, ~6x faster. */
    build(g, w, a, p, x, image, rh, rw, p->exact ? TR_CONV_ACCUM_ROUND_ONCE : TR_CONV_ACCUM_F32,
          ids);
    static const char *const names[7] = {
        "heatmap",          "heatmap_scores", "offsets", "displacement_fwd",
        "displacement_bwd", "poses",          "input"};
    for (int32_t i = 0; i < 7; i++)
        if (i < 6 || ids[i] >= 0) tr_graph_output(g, ids[i], names[i]);
    st = tr_model_create(ctx, g, out); /* takes g, even on failure */
    g = NULL;
done:
    tr_graph_free(g);
    tr_mem_free(a);
    return st;
}

tryon_status tryon_posenet_poses(tryon_model *m, tryon_pose *out, int32_t cap, int32_t *n_poses) {
    *n_poses = 0;
    int32_t id = tr_model_output_id(m, TRYON_POSENET_OUT_POSES);
    const tr_tensor *t = id >= 0 ? &m->g->tensors[id] : NULL;
    if (!t || strcmp(t->name, "poses") || t->ndim != 4 ||
        t->shape[2] != TRYON_POSENET_KEYPOINTS + 1 || t->shape[3] != 3)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "not a PoseNet model (no poses output)");
    /* Pose by pose through the model (it may live on a GPU): no allocation. */
    float pose[(TRYON_POSENET_KEYPOINTS + 1) * 3];
    int32_t n = 0;
    for (int64_t i = 0; i < t->shape[1]; i++) {
        tryon_status st = tr_model_read(m, id, i * (int64_t)sizeof pose, pose, sizeof pose);
        if (st != TRYON_OK) return st;
        if (pose[TRYON_POSENET_KEYPOINTS * 3 + 1] != 1.0f) break;
        if (n < cap && out) {
            out[n].score = pose[TRYON_POSENET_KEYPOINTS * 3];
            for (int32_t k = 0; k < TRYON_POSENET_KEYPOINTS; k++) {
                out[n].keypoints[k].x = pose[k * 3 + 0];
                out[n].keypoints[k].y = pose[k * 3 + 1];
                out[n].keypoints[k].score = pose[k * 3 + 2];
            }
        }
        n++;
    }
    *n_poses = n;
    return TRYON_OK;
}
