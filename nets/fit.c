/* fit.c — the try-on fitting graph (include/tryon.h, tryon_fit_load): one
 * planned graph from the person's pixels to the dressed image.
 *
 *   person (1, H, W, 3) U8 [or a StyleGAN2 generator: z -> image]
 *     -> PoseNet (nets/posenet.c, single pose)
 *     -> fit_controls: garment anchors <-> body points (kernels/cpu/fit.c)
 *     -> tps_fit in normalized garment coordinates -> tps_transform of the
 *        garment's grid mesh into image pixels
 *     -> rasterize the mesh together with the arm proxy (depth: arms 0.30,
 *        garment sleeves 0.28, garment torso 0.50; smaller is nearer, so an
 *        arm hides the torso of the garment but not its sleeve)
 *     -> interpolate (uv, garment flag) -> texture -> garment layer
 *        (premultiplied), feathered with a small Gaussian
 *     -> luminance of the person, blurred at quarter resolution
 *     -> shade_composite -> (1, H, W, 3) U8
 * Garment data are model inputs, set once per garment. Nothing here runs on
 * the host between stages; a run allocates nothing. On CUDA with F16/BF16
 * storage only PoseNet and the person generator run in 16 bits: every stage
 * after them is built under tr_graph_keep_f32, since mesh vertices in pixels
 * would move by up to 0.25 px (F16) or 2 px (BF16) at x = 1000, and the depths,
 * the garment layer and the luminance feed decisions and the final bytes.
 * Tests: tests/test_fit.c. */
#include <math.h>
#include <string.h>

#include "fit_common.h"
#include "graph_warp.h"
#include "model.h"
#include "posenet.h"
#include "stylegan2.h"

#define Z_TORSO  0.50f
#define Z_SLEEVE 0.28f
#define Z_ARM    0.30f
#define SHADE_LO 0.5f /* the shading factor's range: folds darken, highlights brighten */
#define SHADE_HI 1.6f

enum { OUT_IMAGE = 0, OUT_POSES, OUT_LAYER, OUT_CONTROLS, OUT_PERSON };

tryon_fit_params tryon_fit_params_default(void) {
    tryon_fit_params p;
    memset(&p, 0, sizeof p);
    p.texture_width = 384, p.texture_height = 512;
    p.grid_x = 32, p.grid_y = 40;
    p.min_keypoint_score = 0.2f;
    p.shading = 0.7f;
    p.feather = 1.0f;
    return p;
}

/* The generated person (1, R, R, 3) in 0..255 (generate.py's x*127.5 + 128,
 * clamped; kept in float). */
static int32_t generated_person(tr_graph *g, const tryon_weights *w) {
    tr_sg2_config cfg;
    tryon_status st = tr_sg2_config_read(g->ctx, w, &cfg);
    if (st != TRYON_OK) {
        char why[sizeof g->ctx->err];
        snprintf(why, sizeof why, "person generator: %s", tryon_ctx_last_error(g->ctx));
        return TR_GRAPH_FAIL(g, st, "%s", why);
    }
    if (cfg.img_channels != 3)
        return TR_GRAPH_FAIL(g, TRYON_ERR_UNSUPPORTED,
                             "person generator makes %d-channel images, not RGB", cfg.img_channels);
    int32_t ws = tr_sg2_build_mapping(g, w, &cfg, 1);
    int64_t cs[1] = {4};
    int32_t ctl = tr_graph_input(g, "noise", TRYON_DTYPE_I32, 1, cs);
    int32_t img = tr_sg2_build_synthesis(g, w, &cfg, ws, ctl, 1);
    tr_graph_name(g, "person");
    return tr_fit_clamp(g, tr_scale(g, img, 127.5f, 128.0f), 0.0f, 255.0f);
}

/* Smoothed luminance (1, H, W, 1) of person (1, H, W, 3) f32: BT.601 luma,
 * a 4x box shrink, a Gaussian of sigma 2 (8 px at full size) and a bilinear
 * resize back. Small images skip the shrink. */
static int32_t smooth_luminance(tr_graph *g, int32_t person, int32_t h, int32_t w) {
    int64_t ws[4] = {1, 1, 1, 3};
    static const float luma[3] = {0.299f, 0.587f, 0.114f};
    int32_t lw = tr_graph_const(g, "luma", TRYON_DTYPE_F32, 4, ws, luma);
    tr_graph_name(g, "luminance");
    tr_conv_opts co = tr_conv_opts_default();
    int32_t lum = tr_conv2d(g, person, lw, &co);
    tr_upfirdn_opts o;
    memset(&o, 0, sizeof o);
    o.up_x = o.up_y = o.down_x = o.down_y = 1, o.gain = 1.0f;
    int shrink = h >= 64 && w >= 64;
    if (shrink) {
        int64_t bs[1] = {4};
        static const float box[4] = {0.25f, 0.25f, 0.25f, 0.25f};
        int32_t f = tr_graph_const(g, "box4", TRYON_DTYPE_F32, 1, bs, box);
        o.down_x = o.down_y = 4;
        tr_graph_name(g, "luminance.shrink");
        lum = tr_upfirdn2d(g, lum, f, &o);
        o.down_x = o.down_y = 1;
    }
    lum = tr_fit_blur(g, lum, 2.0f, "luminance.blur");
    if (shrink) {
        tr_graph_name(g, "luminance.grow");
        lum = tr_resize_bilinear(g, lum, h, w, TR_RESIZE_HALF_PIXEL);
    }
    return lum;
}

static tryon_status check_params(tryon_ctx *ctx, const tryon_weights *posenet,
                                 const tryon_fit_params *p) {
    if (!p || (!posenet && !p->external_pose))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "fit: NULL PoseNet weights or params");
    if (!p->person_generator &&
        (p->width < 16 || p->height < 16 || p->width > 16384 || p->height > 16384))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "fit: person image %dx%d outside 16..16384",
                       p->width, p->height);
    if ((int64_t)p->width * p->height > ctx->params.max_image_pixels)
        return TR_FAIL(ctx, TRYON_ERR_LIMIT, "fit: a %dx%d image exceeds the %lld-pixel limit",
                       p->width, p->height, (long long)ctx->params.max_image_pixels);
    if (p->texture_width < 16 || p->texture_height < 16 || p->texture_width > 8192 ||
        p->texture_height > 8192 || p->grid_x < 1 || p->grid_y < 1 || p->grid_x > 512 ||
        p->grid_y > 512)
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG, "fit: texture or mesh size out of range");
    if (!(isfinite(p->min_keypoint_score) && p->shading >= 0 && p->shading <= 2 &&
          p->feather >= 0 && p->feather <= 64))
        return TR_FAIL(ctx, TRYON_ERR_INVALID_ARG,
                       "fit: need a finite keypoint score, shading in 0..2, feather in 0..64");
    return TRYON_OK;
}

tryon_status tryon_fit_load(tryon_ctx *ctx, const tryon_weights *posenet, const tryon_fit_params *p,
                            tryon_model **out) {
    *out = NULL;
    TR_TRY(check_params(ctx, posenet, p));
    tr_graph *g;
    TR_TRY(tr_graph_init(ctx, &g));
    const int32_t TW = p->texture_width, TH = p->texture_height;
    const int64_t V = tr_fit_n_vertices(p->grid_x, p->grid_y),
                  T = 2 * (int64_t)p->grid_x * p->grid_y;

    /* The person. */
    int32_t person_u8 = -1, person;
    if (p->person_generator) {
        person = generated_person(g, p->person_generator);
    } else {
        int64_t s[4] = {1, p->height, p->width, 3};
        person_u8 = tr_graph_input(g, "person", TRYON_DTYPE_U8, 4, s);
        tr_graph_name(g, "person");
        tr_graph_keep_f32(g, 1);
        person = tr_cast_u8(g, person_u8, 1.0f, 0.0f);
        tr_graph_keep_f32(g, 0);
    }
    const int32_t H = person >= 0 ? (int32_t)g->tensors[person].shape[1] : 1;
    const int32_t W = person >= 0 ? (int32_t)g->tensors[person].shape[2] : 1;

    /* The garment and the placement. */
    int64_t ts[4] = {1, TH, TW, 4}, as[3] = {1, TR_ANCHOR_ROWS, 3}, tris[2] = {T, 3};
    int64_t ss[3] = {1, V, 1}, ps[1] = {4};
    int32_t tex = tr_graph_input(g, "garment_texture", TRYON_DTYPE_F32, 4, ts);
    int32_t anchors = tr_graph_input(g, "garment_anchors", TRYON_DTYPE_F32, 3, as);
    int32_t tri_g = tr_graph_input(g, "garment_tri", TRYON_DTYPE_I32, 2, tris);
    int32_t sleeve = tr_graph_input(g, "garment_sleeve", TRYON_DTYPE_F32, 3, ss);
    int32_t placement = tr_graph_input(g, "placement", TRYON_DTYPE_F32, 1, ps);

    /* Pose -> control points -> thin-plate spline -> deformed mesh. */
    int32_t poses;
    if (p->external_pose) {
        int64_t kps[4] = {1, 1, 18, 3};
        poses = tr_graph_input(g, "poses", TRYON_DTYPE_F32, 4, kps);
    } else {
        tryon_posenet_params pp = tryon_posenet_params_default();
        poses = tr_posenet_append(g, posenet, &pp, person_u8 >= 0 ? person_u8 : person);
    }
    tr_graph_keep_f32(g, 1); /* the fitting stages: see the file comment */
    tr_graph_name(g, "controls");
    int32_t ctl = tr_fit_controls(g, poses, anchors, placement, TH, TW, p->min_keypoint_score);
    int32_t rows = tr_slice(g, ctl, 1, 0, TR_ANCHOR_COUNT);
    int32_t ctrl = tr_slice(g, rows, 2, 0, 2), vals = tr_slice(g, rows, 2, 2, 2);
    int64_t us[2] = {1, TR_ANCHOR_COUNT}, vs[4] = {1, 1, 1, 1};
    int32_t use = tr_reshape(g, tr_slice(g, rows, 2, 4, 1), 2, us);
    int32_t valid =
        tr_reshape(g, tr_slice(g, tr_slice(g, ctl, 1, TR_ANCHOR_COUNT, 1), 2, 0, 1), 4, vs);
    /* Two splines: one through the torso's anchors, one through the sleeves'
     * (with the shoulders and armpits they share), blended per vertex by its
     * sleeve weight. One spline through all of them would drag the torso's
     * hem along with cuffs that hang beside it in the photo. */
    int64_t ms[2] = {1, TR_ANCHOR_COUNT};
    float torso_set[TR_ANCHOR_COUNT], sleeve_set[TR_ANCHOR_COUNT];
    for (int32_t k = 0; k < TR_ANCHOR_COUNT; k++) {
        int shared = k >= TR_ANCHOR_SHOULDER_L && k <= TR_ANCHOR_PIT_R;
        torso_set[k] = k <= TR_ANCHOR_HEM_R ? 1.0f : 0.0f;
        sleeve_set[k] = shared || k >= TR_ANCHOR_SLEEVE_IN_L ? 1.0f : 0.0f;
    }
    int32_t grid =
        tr_fit_grid_points(g, "mesh_points", TW, TH, p->grid_x, p->grid_y, TR_GRID_NORMALIZED);
    int32_t warped[2];
    for (int32_t part = 0; part < 2; part++) {
        int32_t set = tr_graph_const(g, part ? "sleeve_set" : "torso_set", TRYON_DTYPE_F32, 2, ms,
                                     part ? sleeve_set : torso_set);
        tr_tps_opts to = tr_tps_opts_default();
        to.mask = tr_binary(g, TR_BINARY_MUL, use, set), to.mask_threshold = 0.5f;
        tr_graph_name(g, part ? "tps.sleeves" : "tps.torso");
        int32_t coef = tr_tps_fit(g, ctrl, vals, &to);
        warped[part] = tr_tps_transform(g, ctrl, coef, grid);
    }
    tr_graph_name(g, "mesh");
    int32_t verts = tr_lerp(g, warped[0], warped[1], sleeve);
    /* Depth: the sleeve's, already a quarter of the way into the blend between
     * the two splines, so that the blended strip, which the arm can end up
     * under, stays in front of the arm. */
    int32_t z = tr_fit_clamp(g, tr_scale(g, sleeve, 4.0f * (Z_SLEEVE - Z_TORSO), Z_TORSO), Z_SLEEVE,
                             Z_TORSO);
    int32_t pg[2] = {verts, z};
    int32_t pos_g = tr_concat(g, 2, pg, 2);

    /* The arms in front of the garment's torso. */
    tr_graph_name(g, "proxy");
    int32_t proxy = tr_body_proxy(g, poses, p->min_keypoint_score, Z_ARM);
    int32_t pa[2] = {pos_g, proxy};
    int32_t pos = tr_concat(g, 2, pa, 1);
    int32_t proxy_tri[TR_PROXY_TRIANGLES][3];
    tr_body_proxy_tri((int32_t)V, proxy_tri);
    int64_t pts[2] = {TR_PROXY_TRIANGLES, 3};
    int32_t tri_p = tr_graph_const(g, "proxy_tri", TRYON_DTYPE_I32, 2, pts, proxy_tri);
    int32_t ta[2] = {tri_g, tri_p};
    int32_t tri = tr_concat(g, 2, ta, 0);

    /* Per-vertex (u, v, garment flag); the proxy's are 0. */
    int64_t at_s[3] = {1, V + TR_PROXY_VERTICES, 3};
    void *at_data;
    int32_t attr = tr_graph_const_alloc(g, "mesh_attr", TRYON_DTYPE_F32, 3, at_s, &at_data);
    if (attr >= 0) {
        float *a = at_data;
        for (int32_t r = 0, i = 0; r <= p->grid_y; r++)
            for (int32_t c = 0; c <= p->grid_x; c++, i++) {
                a[i * 3 + 0] = (float)c / (float)p->grid_x;
                a[i * 3 + 1] = (float)r / (float)p->grid_y;
                a[i * 3 + 2] = 1.0f;
            }
    }
    tr_graph_name(g, "raster");
    int32_t rast = tr_rasterize(g, pos, tri, H, W);
    int32_t ia = tr_interpolate(g, attr, rast, tri);
    int32_t uv = tr_slice(g, ia, 3, 0, 2);
    int32_t flag = tr_binary(g, TR_BINARY_MUL, tr_slice(g, ia, 3, 2, 1), valid);
    tr_graph_name(g, "texture");
    int32_t layer =
        tr_binary(g, TR_BINARY_MUL, tr_texture(g, tex, uv, TR_TEX_LINEAR, TR_TEX_CLAMP), flag);
    if (p->feather > 0) layer = tr_fit_blur(g, layer, p->feather, "feather");

    /* Shading and composite. */
    int32_t lum = smooth_luminance(g, person, H, W);
    tr_graph_name(g, "composite");
    int32_t img = tr_shade_composite(g, person, layer, lum, p->shading, SHADE_LO, SHADE_HI);
    tr_graph_output(g, img, "image");
    tr_graph_output(g, poses, "poses"); /* with external_pose: the input itself */
    tr_graph_output(g, layer, "garment_layer");
    tr_graph_output(g, ctl, "controls");
    if (p->person_generator) tr_graph_output(g, person, "person");
    tryon_model *m;
    TR_TRY(tr_model_create(ctx, g, &m)); /* frees g on failure */
    tryon_status st = tryon_fit_set_placement(m, 1.0f, 0.0f, 0.0f, 0.0f);
    int32_t ipsi = tryon_model_input_index(m, "psi");
    if (st == TRYON_OK && ipsi >= 0) { /* no truncation until the caller sets one */
        const tr_tensor *t = &m->g->tensors[m->g->inputs[ipsi]];
        float ones[TR_SG2_MAX_BLOCKS * 2];
        for (int32_t k = 0; k < TR_SG2_MAX_BLOCKS * 2; k++) ones[k] = 1.0f;
        st = t->shape[0] <= TR_SG2_MAX_BLOCKS * 2
                 ? tryon_model_set_input(m, ipsi, ones, (size_t)t->shape[0] * sizeof(float))
                 : TR_FAIL(ctx, TRYON_ERR_UNSUPPORTED, "fit: generator has too many ws");
    }
    if (st != TRYON_OK) {
        tryon_model_free(m);
        return st;
    }
    *out = m;
    return TRYON_OK;
}

static tryon_status set_named(tryon_model *m, const char *name, const void *src, size_t bytes) {
    int32_t i = tryon_model_input_index(m, name);
    if (i < 0)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "not a fit model (no input '%s')", name);
    return tryon_model_set_input(m, i, src, bytes);
}

tryon_status tryon_fit_set_garment(tryon_model *m, const tryon_garment *gm) {
    int32_t i = tryon_model_input_index(m, "garment_texture");
    if (i < 0) return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "not a fit model");
    const tr_tensor *t = &m->g->tensors[m->g->inputs[i]];
    int32_t it = tryon_model_input_index(m, "garment_tri");
    int64_t T = m->g->tensors[m->g->inputs[it]].shape[0];
    if (t->shape[1] != gm->tex_h || t->shape[2] != gm->tex_w ||
        T != 2 * (int64_t)gm->grid_x * gm->grid_y)
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG,
                       "fit: the garment has a %dx%d texture and a %dx%d mesh, the model was "
                       "built for %lldx%lld and %lld triangles",
                       gm->tex_w, gm->tex_h, gm->grid_x, gm->grid_y, (long long)t->shape[2],
                       (long long)t->shape[1], (long long)T);
    const size_t texels = (size_t)gm->tex_w * gm->tex_h;
    const size_t V = (size_t)tr_fit_n_vertices(gm->grid_x, gm->grid_y);
    TR_TRY(set_named(m, "garment_texture", gm->texture, texels * 4 * sizeof(float)));
    TR_TRY(set_named(m, "garment_anchors", gm->anchors, sizeof gm->anchors));
    TR_TRY(set_named(m, "garment_tri", gm->tri, (size_t)T * 3 * sizeof(int32_t)));
    return set_named(m, "garment_sleeve", gm->sleeve, V * sizeof(float));
}

tryon_status tryon_fit_set_placement(tryon_model *m, float scale, float rotate_deg, float dx,
                                     float dy) {
    if (!(scale > 0 && isfinite(scale) && isfinite(rotate_deg) && isfinite(dx) && isfinite(dy)))
        return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG,
                       "fit: placement needs a finite scale > 0 and finite angle and offsets");
    const float v[4] = {scale, rotate_deg, dx, dy};
    return set_named(m, "placement", v, sizeof v);
}

tryon_status tryon_fit_result(tryon_model *m, int32_t *dressed, tryon_pose *pose) {
    *dressed = 0;
    int32_t oc = -1;
    for (int32_t i = 0; i < m->g->n_outputs; i++)
        if (!strcmp(m->g->tensors[m->g->outputs[i]].name, "controls")) oc = i;
    if (oc != OUT_CONTROLS) return TR_FAIL(m->ctx, TRYON_ERR_INVALID_ARG, "not a fit model");
    float ctl[TR_ANCHOR_ROWS * 5], kp[18 * 3];
    TR_TRY(tryon_model_get_output(m, OUT_CONTROLS, ctl, sizeof ctl));
    TR_TRY(tryon_model_get_output(m, OUT_POSES, kp, sizeof kp));
    *dressed = ctl[TR_ANCHOR_COUNT * 5] > 0;
    if (pose) {
        pose->score = kp[17 * 3];
        for (int32_t k = 0; k < TRYON_POSENET_KEYPOINTS; k++) {
            pose->keypoints[k].x = kp[k * 3], pose->keypoints[k].y = kp[k * 3 + 1];
            pose->keypoints[k].score = kp[k * 3 + 2];
        }
    }
    return TRYON_OK;
}
