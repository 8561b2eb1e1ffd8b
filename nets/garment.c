/* garment.c — garment preparation (include/tryon.h): a graph of its own, run
 * once per garment, from the product photo to the texture, mask, anchors and
 * mesh that the fitting graph takes as inputs.
 *
 *   photo (1, H, W, C) U8 -> [box prefilter when shrinking more than 2x]
 *     -> bilinear resize to the texture size (half-pixel centres)
 *     -> mask: border colour (C = 3) or alpha (C = 4)
 *        -> closing (radius ~0.6% of the texture) -> opening (radius 1)
 *        -> largest component, holes filled
 *     -> anchors (kernels/cpu/garment_geom.c), sleeve weights of the mesh
 *        vertices, triangles of the mesh cells that touch the garment
 *     -> [style net on the colours] -> texture = (rgb/255 * mask, mask)
 * On CUDA everything but the style net computes in F32 whatever the storage
 * precision (tr_graph_keep_f32): 16-bit colours would move the mask's edge,
 * and with it the anchors, by a pixel.
 * Tests: tests/test_garment.c, tests/gpu_fit.c. */
#include <math.h>
#include <string.h>

#include "cyclegan.h"
#include "fit_common.h"
#include "model.h"

tryon_garment_params tryon_garment_params_default(void) {
    tryon_garment_params p;
    memset(&p, 0, sizeof p);
    p.texture_width = 384, p.texture_height = 512;
    p.grid_x = 32, p.grid_y = 40;
    p.background_threshold = 12.0f;
    return p;
}

const char *tryon_garment_anchor_name(int32_t k) {
    static const char *const names[TRYON_GARMENT_ANCHORS] = {
        "neck",       "shoulder_l",  "shoulder_r",   "armpit_l",    "armpit_r",     "waist_l",
        "waist_r",    "hem_l",       "hem_r",        "sleeve_in_l", "sleeve_out_l", "cuff_in_l",
        "cuff_out_l", "sleeve_in_r", "sleeve_out_r", "cuff_in_r",   "cuff_out_r"};
    return k >= 0 && k < TRYON_GARMENT_ANCHORS ? names[k] : NULL;
}

int32_t tr_fit_grid_points(tr_graph *g, const char *name, int32_t tex_w, int32_t tex_h, int32_t gx,
                           int32_t gy, int mode) {
    int64_t s[3] = {1, tr_fit_n_vertices(gx, gy), 2};
    void *data;
    int32_t t = tr_graph_const_alloc(g, name, TRYON_DTYPE_F32, 3, s, &data);
    if (t < 0) return t;
    float *p = data;
    for (int32_t r = 0; r <= gy; r++)
        for (int32_t c = 0; c <= gx; c++, p += 2) {
            double x = (double)c * tex_w / gx, y = (double)r * tex_h / gy;
            if (mode == TR_GRID_NORMALIZED) x = 2.0 * x / tex_w - 1.0, y = 2.0 * y / tex_h - 1.0;
            if (mode == TR_GRID_UV) x /= tex_w, y /= tex_h;
            p[0] = (float)x, p[1] = (float)y;
        }
    return t;
}

int32_t tr_fit_blur(tr_graph *g, int32_t x, float sigma, const char *name) {
    int32_t r = (int32_t)ceil(2.0 * sigma);
    r = r < 1 ? 1 : r;
    if (r > 256) return TR_GRAPH_FAIL(g, TRYON_ERR_INVALID_ARG, "blur sigma %g too large", sigma);
    float taps[2 * 256 + 1];
    double sum = 0, v[2 * 256 + 1];
    for (int32_t i = -r; i <= r; i++) sum += v[i + r] = exp(-0.5 * i * i / ((double)sigma * sigma));
    for (int32_t i = 0; i < 2 * r + 1; i++) taps[i] = (float)(v[i] / sum);
    int64_t rows[2] = {1, 2 * r + 1}, cols[2] = {2 * r + 1, 1};
    tr_upfirdn_opts o;
    memset(&o, 0, sizeof o);
    o.up_x = o.up_y = o.down_x = o.down_y = 1, o.gain = 1.0f;
    o.pad_x0 = o.pad_x1 = r;
    tr_graph_name(g, "%s.rows", name);
    x = tr_upfirdn2d(g, x, tr_graph_const(g, "gauss_row", TRYON_DTYPE_F32, 2, rows, taps), &o);
    o.pad_x0 = o.pad_x1 = 0, o.pad_y0 = o.pad_y1 = r;
    tr_graph_name(g, "%s.cols", name);
    return tr_upfirdn2d(g, x, tr_graph_const(g, "gauss_col", TRYON_DTYPE_F32, 2, cols, taps), &o);
}

int32_t tr_fit_clamp(tr_graph *g, int32_t x, float lo, float hi) {
    float mid = 0.5f * (lo + hi), half = 0.5f * (hi - lo);
    tr_epilogue ep = tr_epilogue_make(TR_ACT_NONE);
    ep.clamp = half;
    x = tr_scale(g, x, 1.0f, -mid);
    x = tr_activation(g, x, ep);
    return tr_scale(g, x, 1.0f, mid);
}

/* x (1, H, W, C) f32 shrunk by an integer factor k with a k x k box filter. */
static int32_t box_shrink(tr_graph *g, int32_t x, int32_t k) {
    int64_t s[1] = {k};
    void *data;
    int32_t f = tr_graph_const_alloc(g, "box", TRYON_DTYPE_F32, 1, s, &data);
    if (f < 0) return f;
    for (int32_t i = 0; i < k; i++) ((float *)data)[i] = 1.0f / (float)k;
    tr_upfirdn_opts o;
    memset(&o, 0, sizeof o);
    o.up_x = o.up_y = 1, o.down_x = o.down_y = k, o.gain = 1.0f;
    tr_graph_name(g, "prefilter");
    return tr_upfirdn2d(g, x, f, &o);
}

/* The style net on rgb (1, H, W, 3) in 0..255 -> 0..255. */
static int32_t restyle(tr_graph *g, const tryon_weights *w, int32_t rgb) {
    tr_cyclegan_arch a;
    tryon_status st = tr_cyclegan_arch_read(g->ctx, w, &a);
    if (st != TRYON_OK) {
        char why[sizeof g->ctx->err];
        snprintf(why, sizeof why, "style: %s", tryon_ctx_last_error(g->ctx));
        return TR_GRAPH_FAIL(g, st, "%s", why);
    }
    if (a.in_c != 3 || a.out_c != 3)
        return TR_GRAPH_FAIL(g, TRYON_ERR_UNSUPPORTED,
                             "style: the net maps %d to %d channels, "
                             "not RGB to RGB",
                             a.in_c, a.out_c);
    int resnet = a.family == TRYON_CYCLEGAN_RESNET;
    int32_t x = resnet ? tr_scale(g, rgb, 1.0f / 127.5f, -1.0f) : rgb;
    x = tr_cyclegan_build(g, w, &a, x);
    if (resnet) x = tr_scale(g, x, 127.5f, 127.5f);
    return tr_fit_clamp(g, x, 0.0f, 255.0f);
}

void tryon_garment_free(tryon_garment *gm) {
    if (!gm) return;
    tr_mem_free(gm->texture);
    tr_mem_free(gm->mask);
    tr_mem_free(gm->tri);
    tr_mem_free(gm->sleeve);
    tr_mem_free(gm);
}

static tryon_status check_params(tryon_ctx *ctx, const tryon_image *img,
                                 const tryon_garment_params *p, const tryon_weights *style) {
    if (!img || !p || !img->data)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: NULL image or params");
    if (img->channels != 3 && img->channels != 4)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                       "garment: the photo has %d channels, expected RGB or RGBA", img->channels);
    if (img->width < 8 || img->height < 8)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: a %dx%d photo is too small",
                       img->width, img->height);
    if (p->texture_width < 16 || p->texture_height < 16 || p->texture_width > 8192 ||
        p->texture_height > 8192)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: texture %dx%d outside 16..8192",
                       p->texture_width, p->texture_height);
    if (style && (p->texture_width % 4 || p->texture_height % 4))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                       "garment: with a style net the texture sides must be multiples of 4");
    if (p->grid_x < 1 || p->grid_y < 1 || p->grid_x > 512 || p->grid_y > 512)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: mesh grid %dx%d outside 1..512",
                       p->grid_x, p->grid_y);
    if (!(p->background_threshold >= 0 && p->background_threshold <= 255))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: background threshold outside 0..255");
    if (p->close_radius < 0 || p->close_radius > 256)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "garment: closing radius outside 0..256");
    return TRYON_OK;
}

/* The preparation graph; outputs texture, mask, anchors, tri, sleeve. */
static tryon_status build(tryon_ctx *ctx, const tryon_image *img, const tryon_garment_params *p,
                          const tryon_weights *style, tryon_model **out) {
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    tr_graph_keep_f32(g, 1);
    const int32_t TW = p->texture_width, TH = p->texture_height, C = img->channels;
    int64_t is[4] = {1, img->height, img->width, C};
    int32_t x = tr_graph_input(g, "garment", TRYON_DTYPE_U8, 4, is);
    int32_t k = img->height / TH < img->width / TW ? img->height / TH : img->width / TW;
    if (k > 2) x = box_shrink(g, tr_cast_u8(g, x, 1.0f, 0.0f), k);
    tr_graph_name(g, "resize");
    x = tr_resize_bilinear(g, x, TH, TW, TR_RESIZE_HALF_PIXEL);
    tr_graph_name(g, "mask");
    int32_t m = C == 4 ? tr_bg_mask(g, x, TR_BG_MASK_ALPHA, 127.5f)
                       : tr_bg_mask(g, x, TR_BG_MASK_BORDER, p->background_threshold);
    int32_t r =
        p->close_radius > 0 ? p->close_radius : (int32_t)lround(0.006 * (TW > TH ? TW : TH));
    r = r < 1 ? 1 : r;
    tr_graph_name(g, "close");
    m = tr_morph(g, tr_morph(g, m, TR_MORPH_DILATE, r), TR_MORPH_ERODE, r);
    tr_graph_name(g, "open");
    m = tr_morph(g, tr_morph(g, m, TR_MORPH_ERODE, 1), TR_MORPH_DILATE, 1);
    tr_graph_name(g, "clean");
    m = tr_mask_clean(g, m);
    tr_graph_name(g, "anchors");
    int32_t anchors = tr_garment_anchors(g, m);
    int32_t pts =
        tr_fit_grid_points(g, "mesh_points", TW, TH, p->grid_x, p->grid_y, TR_GRID_PIXELS);
    tr_graph_name(g, "sleeve");
    int32_t sleeve = tr_sleeve_weight(g, anchors, pts, 0.03f * (float)TW);
    tr_graph_name(g, "tri");
    int32_t tri = tr_garment_tri(g, m, p->grid_x, p->grid_y);
    int32_t rgb = C == 4 ? tr_slice(g, x, 3, 0, 3) : x;
    if (style) {
        tr_graph_keep_f32(g, 0); /* the style net runs in the context's precision */
        rgb = restyle(g, style, rgb);
        tr_graph_keep_f32(g, 1);
    }
    rgb = tr_scale(g, rgb, 1.0f / 255.0f, 0.0f);
    int32_t parts[2] = {tr_binary(g, TR_BINARY_MUL, rgb, m), m};
    tr_graph_name(g, "texture");
    int32_t tex = tr_concat(g, 2, parts, 3);
    tr_graph_output(g, tex, "texture");
    tr_graph_output(g, m, "mask");
    tr_graph_output(g, anchors, "anchors");
    tr_graph_output(g, tri, "tri");
    tr_graph_output(g, sleeve, "sleeve");
    return tr_model_create(ctx, g, out);
}

static void *copy_out(tryon_model *m, int32_t i, size_t bytes, tryon_status *st) {
    if (*st != TRYON_OK) return NULL;
    void *p = tr_mem_alloc(m->ctx, bytes);
    if (!p) {
        *st = TRYON_ERR_NOMEM;
        return NULL;
    }
    *st = tryon_model_get_output(m, i, p, bytes);
    return p;
}

tryon_status tryon_garment_prepare(tryon_ctx *ctx, const tryon_image *img,
                                   const tryon_garment_params *p, const tryon_weights *style,
                                   tryon_garment **out) {
    *out = NULL;
    TR_TRY(check_params(ctx, img, p, style));
    tryon_model *m;
    TR_TRY(build(ctx, img, p, style, &m));
    tryon_status st = tryon_model_set_input(
        m, 0, img->data, (size_t)img->width * img->height * (size_t)img->channels);
    if (st == TRYON_OK) st = tryon_model_run(m);
    tryon_garment *gm = NULL;
    if (st == TRYON_OK) {
        gm = tr_mem_calloc(ctx, 1, sizeof *gm);
        st = gm ? TRYON_OK : TRYON_ERR_NOMEM;
    }
    if (st == TRYON_OK) {
        const size_t texels = (size_t)p->texture_width * p->texture_height;
        const size_t n_tri = 2 * (size_t)p->grid_x * p->grid_y;
        gm->tex_w = p->texture_width, gm->tex_h = p->texture_height;
        gm->grid_x = p->grid_x, gm->grid_y = p->grid_y;
        gm->texture = copy_out(m, 0, texels * 4 * sizeof(float), &st);
        gm->mask = copy_out(m, 1, texels * sizeof(float), &st);
        if (st == TRYON_OK) st = tryon_model_get_output(m, 2, gm->anchors, sizeof gm->anchors);
        gm->tri = copy_out(m, 3, n_tri * 3 * sizeof(int32_t), &st);
        gm->sleeve =
            copy_out(m, 4, (size_t)tr_fit_n_vertices(p->grid_x, p->grid_y) * sizeof(float), &st);
    }
    tryon_model_free(m);
    if (st == TRYON_OK && !(gm->anchors[TR_ANCHOR_COUNT * 3] > 0))
        st = TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED,
                     "garment: no upper-body garment found (no shoulders in the mask; is the "
                     "background plain and the garment photographed from the front?)");
    if (st != TRYON_OK) {
        tryon_garment_free(gm);
        return st;
    }
    *out = gm;
    return TRYON_OK;
}

void tryon_garment_get_info(const tryon_garment *gm, tryon_garment_info *out) {
    memset(out, 0, sizeof *out);
    out->texture_width = gm->tex_w, out->texture_height = gm->tex_h;
    out->has_sleeves = gm->anchors[TR_ANCHOR_COUNT * 3 + 1] > 0;
    out->has_straps = gm->anchors[TR_ANCHOR_COUNT * 3 + 2] > 0;
    memcpy(out->anchors, gm->anchors, sizeof out->anchors);
}

tryon_status tryon_garment_texture(tryon_ctx *ctx, const tryon_garment *gm, tryon_image *out) {
    TR_TRY(tryon_image_alloc(ctx, gm->tex_w, gm->tex_h, 4, out));
    const int64_t n = (int64_t)gm->tex_w * gm->tex_h;
    for (int64_t i = 0; i < n; i++) {
        const float *t = gm->texture + i * 4;
        float a = t[3];
        for (int c = 0; c < 3; c++) {
            double v = a > 0 ? t[c] / a * 255.0 : 0.0;
            out->data[i * 4 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : floor(v + 0.5));
        }
        out->data[i * 4 + 3] = (uint8_t)floor(a * 255.0 + 0.5);
    }
    return TRYON_OK;
}
