/* kernels_fit.h — kernels of the try-on pipeline: garment preparation (mask
 * from a product photo, morphology, clean-up, anchor points, mesh) and the
 * per-frame fitting stages (garment-to-body correspondences, the body proxy
 * that orders arms in front of the torso, shading transfer and compositing).
 * Included by kernels.h; same conventions (NHWC f32, shapes outermost first,
 * results independent of the thread count).
 *
 * Coordinates are pixels of a top-down image with pixel (row i, column j)
 * covering [j, j+1) x [i, i+1), as the rasterizer (kernels/cpu/raster.c) and
 * the texture op use them: a mask run [s, e) of row i spans x in [s, e).
 * Tests: tests/test_garment.c, tests/test_fit.c. */
#ifndef TR_KERNELS_FIT_H
#define TR_KERNELS_FIT_H

#include <stdint.h>

typedef struct tr_pool tr_pool;

/* ------------------------------------------------------------------------ */
/* Garment mask                                                              */

typedef enum tr_bg_mask_mode {
    TR_BG_MASK_BORDER = 0, /* background colour estimated from the image border */
    TR_BG_MASK_ALPHA,      /* the image's 4th channel */
    TR_BG_MASK_MODE_COUNT
} tr_bg_mask_mode;

/* mask[n,i,j] = 1 where the pixel is garment, 0 where it is background.
 *   BORDER: bg = per-channel median of the border pixels (every pixel of the
 *   first and last rows and columns); noise = 1.4826 * median over the border
 *   of dist(pixel, bg), with dist the largest per-channel absolute difference;
 *   garment iff dist(pixel, bg) > threshold + 4 * noise.
 *   ALPHA: garment iff channel 3 > threshold.
 * x (N, H, W, C) f32 in 0..255 with C >= 3 (BORDER uses channels 0..2) or
 * C == 4 (ALPHA). Workspace: tr_bg_mask_ws_bytes. */
typedef struct tr_bg_mask_desc {
    int32_t n, h, w, c;
    tr_bg_mask_mode mode;
    float threshold;
} tr_bg_mask_desc;

int64_t tr_bg_mask_ws_bytes(const tr_bg_mask_desc *d);
void tr_cpu_bg_mask_f32(tr_pool *pool, const tr_bg_mask_desc *d, const float *x, void *ws,
                        float *mask);

typedef enum tr_morph_op {
    TR_MORPH_ERODE = 0, /* minimum over the window */
    TR_MORPH_DILATE,    /* maximum over the window */
    TR_MORPH_OP_COUNT
} tr_morph_op;

/* Grey-scale morphology with a (2r+1) x (2r+1) square window clipped to the
 * image (pixels outside are not part of the window), per channel; computed
 * as a horizontal then a vertical pass. Workspace: N*H*W*C floats. */
typedef struct tr_morph_desc {
    int32_t n, h, w, c;
    int32_t radius;
    tr_morph_op op;
} tr_morph_desc;

void tr_cpu_morph_f32(tr_pool *pool, const tr_morph_desc *d, const float *x, float *ws, float *y);

/* Keeps the largest 8-connected component of mask > 0.5 (the first in
 * raster order among equals) and fills its holes: background pixels that are
 * not 4-connected to the image border through background become garment.
 * y is 0/1. Workspace: tr_mask_clean_ws_bytes. */
typedef struct tr_mask_clean_desc {
    int32_t n, h, w;
} tr_mask_clean_desc;

int64_t tr_mask_clean_ws_bytes(const tr_mask_clean_desc *d);
void tr_cpu_mask_clean_f32(tr_pool *pool, const tr_mask_clean_desc *d, const float *mask, void *ws,
                           float *y);

/* ------------------------------------------------------------------------ */
/* Garment anchors: points of an upper-body garment found from the mask's     */
/* geometry (front view, neck at the top). L and R are the image's left and  */
/* right. Sleeve anchors exist when the sleeves hang separated from the torso */
/* by a background gap (long sleeves); straps are detected as narrow runs at  */
/* the top (camisoles, tank tops).                                           */

typedef enum tr_anchor {
    TR_ANCHOR_NECK = 0,   /* top of the garment on its centre column */
    TR_ANCHOR_SHOULDER_L, /* shoulder seam end, or strap top */
    TR_ANCHOR_SHOULDER_R,
    TR_ANCHOR_PIT_L, /* armpit: where the side of the torso starts */
    TR_ANCHOR_PIT_R,
    TR_ANCHOR_WAIST_L, /* torso sides halfway down */
    TR_ANCHOR_WAIST_R,
    TR_ANCHOR_HEM_L, /* bottom corners of the torso */
    TR_ANCHOR_HEM_R,
    TR_ANCHOR_SLEEVE_IN_L, /* sleeve edges halfway down the sleeve, inner and outer */
    TR_ANCHOR_SLEEVE_OUT_L,
    TR_ANCHOR_CUFF_IN_L, /* sleeve edges just above its end */
    TR_ANCHOR_CUFF_OUT_L,
    TR_ANCHOR_SLEEVE_IN_R,
    TR_ANCHOR_SLEEVE_OUT_R,
    TR_ANCHOR_CUFF_IN_R,
    TR_ANCHOR_CUFF_OUT_R,
    TR_ANCHOR_COUNT
} tr_anchor;

/* Row TR_ANCHOR_COUNT of the anchors tensor: (found, sleeves, straps). */
#define TR_ANCHOR_ROWS (TR_ANCHOR_COUNT + 1)

/* anchors (N, TR_ANCHOR_ROWS, 3): rows (x, y, present) in pixels of the mask,
 * absent anchors (0, 0, 0); the last row (found, has_sleeves, has_straps), all
 * 0 for an empty mask. mask (N, H, W, 1), > 0.5 is garment. No workspace. */
typedef struct tr_garment_anchors_desc {
    int32_t n, h, w;
} tr_garment_anchors_desc;

void tr_cpu_garment_anchors_f32(tr_pool *pool, const tr_garment_anchors_desc *d, const float *mask,
                                float *anchors);

/* Sleeve weight of points (N, V, 2) in mask pixels, for garments with
 * sleeves: 1 on the sleeve's side of the boundary between sleeve and torso
 * (shoulder -> armpit, then down the middle of the gap between the sleeve's
 * inner edge and the torso's side, then straight down from the cuff for
 * 2*soft pixels, below which the sleeve has ended), 0 on the torso's side, a
 * linear ramp `soft` pixels wide centred on the line; 0 everywhere for
 * garments without sleeves. Output (N, V, 1). */
typedef struct tr_sleeve_weight_desc {
    int32_t n, v;
    float soft;
} tr_sleeve_weight_desc;

void tr_cpu_sleeve_weight_f32(tr_pool *pool, const tr_sleeve_weight_desc *d, const float *anchors,
                              const float *points, float *y);

/* Triangles of a regular grid mesh over the whole (H, W) mask: gx x gy cells,
 * vertex (r, c) = r * (gx + 1) + c at (c * W / gx, r * H / gy); cell (r, c)
 * gives triangles 2k = (v00, v10, v11) and 2k+1 = (v00, v11, v01), k = r*gx+c.
 * Cells holding no garment pixel (by pixel centre) get degenerate triangles
 * (0, 0, 0), which the rasterizer drops: transparent parts of the mesh would
 * otherwise win the depth test over the garment where the warp folds them
 * over it. Every garment pixel lies in a kept cell.
 * mask (1, H, W, 1) -> tri (2*gx*gy, 3) I32. Workspace: gx*gy bytes. */
typedef struct tr_garment_tri_desc {
    int32_t h, w;
    int32_t gx, gy;
} tr_garment_tri_desc;

void tr_cpu_garment_tri(tr_pool *pool, const tr_garment_tri_desc *d, const float *mask, void *ws,
                        int32_t *tri);

/* ------------------------------------------------------------------------ */
/* Fitting: correspondences between garment anchors and the body             */

/* Keypoints used (COCO order, tfjs-models posenet). */
#define TR_KP_L_SHOULDER 5
#define TR_KP_R_SHOULDER 6
#define TR_KP_L_ELBOW    7
#define TR_KP_R_ELBOW    8
#define TR_KP_L_WRIST    9
#define TR_KP_R_WRIST    10
#define TR_KP_L_HIP      11
#define TR_KP_R_HIP      12

/* Control points of the garment's thin-plate spline, from the first pose of
 * poses (N, P, 18, 3) (rows keypoint (x, y, score) in image pixels as the
 * PoseNet decoder writes them, pixel centres at integers) and the anchors
 * (1, TR_ANCHOR_ROWS, 3) in pixels of a (tex_h, tex_w) garment texture, with
 * the placement (4) = (scale, rotation in degrees, dx, dy in pixels) applied
 * around the garment's centre on the body.
 * Output (N, TR_ANCHOR_ROWS, 5): rows k < TR_ANCHOR_COUNT are (garment x, y in
 * the texture's normalized coordinates, -1..1; target x, y in image pixels in
 * the rasterizer's convention; use = 1 or 0), and the last row is (valid,
 * shoulder width in pixels, 0, 0, 0). valid is 0 when a shoulder keypoint
 * scores below min_score or the garment has no shoulders; every use is then
 * 0. The rules (kernels/cpu/fit.c): the garment's shoulder points go to the
 * body's shoulder line, every torso anchor follows the frame those two pairs
 * define (scale from the shoulder width, "down" from the shoulders towards
 * the hips when the hips are seen), and each sleeve is laid along its arm
 * (shoulder -> elbow -> wrist) at the garment's own sleeve length. */
typedef struct tr_fit_controls_desc {
    int32_t n, p; /* poses (N, P, 18, 3) */
    int32_t tex_h, tex_w;
    float min_score;
} tr_fit_controls_desc;

void tr_cpu_fit_controls_f32(tr_pool *pool, const tr_fit_controls_desc *d, const float *poses,
                             const float *anchors, const float *placement, float *y);

/* The body proxy: a quad per arm segment (upper arm from 50% of the way
 * shoulder -> elbow, forearm elbow -> wrist extended past the wrist), at depth
 * z, for arms to occlude the garment's torso. Segments with a keypoint below
 * min_score collapse to a point (dropped by the rasterizer).
 * poses (N, P, 18, 3) -> vertices (N, TR_PROXY_VERTICES, 3) (x, y, z) in the
 * rasterizer's convention; tr_body_proxy_tri gives the triangles. */
#define TR_PROXY_SEGMENTS  4
#define TR_PROXY_VERTICES  (4 * TR_PROXY_SEGMENTS)
#define TR_PROXY_TRIANGLES (2 * TR_PROXY_SEGMENTS)

typedef struct tr_body_proxy_desc {
    int32_t n, p;
    float min_score;
    float z;
} tr_body_proxy_desc;

void tr_cpu_body_proxy_f32(tr_pool *pool, const tr_body_proxy_desc *d, const float *poses,
                           float *y);
/* The proxy's triangles with vertex indices offset by `first`. */
void tr_body_proxy_tri(int32_t first, int32_t tri[TR_PROXY_TRIANGLES][3]);

/* ------------------------------------------------------------------------ */
/* Shading transfer and compositing                                          */

/* Per image: m = sum(lum * a) / sum(a) over the pixels, in double (0 when
 * sum(a) == 0); then per pixel
 *   s = clamp((lum / m)^strength, lo, hi)     (1 when m <= 0 or lum <= 0)
 *   v = person * (1 - a) + 255 * rgb * s
 * rounded half away from zero and clamped to 0..255, where (rgb, a) is the
 * premultiplied garment layer. person (N, H, W, 3) f32 0..255, layer (N, H, W,
 * 4) f32 premultiplied 0..1, lum (N, H, W, 1) -> (N, H, W, 3) U8.
 * Workspace: tr_shade_composite_ws_bytes (per-row partial sums). */
typedef struct tr_shade_composite_desc {
    int32_t n, h, w;
    float strength, lo, hi;
} tr_shade_composite_desc;

int64_t tr_shade_composite_ws_bytes(const tr_shade_composite_desc *d);
void tr_cpu_shade_composite_f32(tr_pool *pool, const tr_shade_composite_desc *d,
                                const float *person, const float *layer, const float *lum, void *ws,
                                uint8_t *y);

#endif /* TR_KERNELS_FIT_H */
