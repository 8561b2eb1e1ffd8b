/* test_posenet.c — the PoseNet net (nets/posenet.c) against TF.js itself.
 *
 * Fixtures come from tests/ref/posenet_ref.sh at test time (TF.js 3.21 pure-JS
 * CPU backend + tfjs-models posenet 2.2.2): the real model on the photos in
 * ../shared/data/images and on two crops of them (a wide one, so padded rows,
 * and pads of round(x.5) pixels), the real model on an even-sized input, synthetic
 * models (multiplier 0.5/0.75/1.0, output stride 8/16/32, float32, float16,
 * uint8 and uint16 weights). Without node/npm or the data the comparisons
 * skip with a message.
 *
 * Error model. With tryon_posenet_params.exact the net sets
 * TR_CONV_ACCUM_ROUND_ONCE, which performs TF.js's CPU arithmetic in the same
 * tap order (so these bitwise checks are also that mode's test), and sigmoid
 * is computed in double as TF.js does: heads from the same input tensor must
 * be bitwise equal. The default accumulation (float multiply-adds in the same
 * order) differs from that per tap only where TF.js's double sum lands on a
 * float tie (FMA kernels) or by one more rounding of the product (the
 * portable and reference kernels): ulps, amplified by the net as below, so
 * its heads are held to the same 1e-3 as the preprocessing differences
 * (measured: 0, i.e. bitwise, with AVX2/AVX-512; 6.7e-5 with
 * TRYON_CPU_ISA=portable). Only our preprocessing differs
 * from TF.js's by design (float resize and one multiply-add for x/127.5 - 1,
 * vs TF.js's doubles and a divide): at most ~6e-5 pixel units in the resize
 * and two float roundings in the scale, i.e. below 1e-6 after /127.5. Those
 * ulps are amplified by the deep net (depthwise weights reach |w| = 224) to
 * head differences up to ~1e-3 (measured 8.5e-4 on these photos), which moves
 * keypoints by about that much times the image scale (<= 3.2 here): the
 * end-to-end keypoint tolerance is 0.05 px (the bar is 0.5 px). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph.h"
#include "model.h"
#include "posenet_ref.h"
#include "util.h"

static const char *head_names[5] = {"heatmap", "heatmap_scores", "offsets", "displacement_fwd",
                                    "displacement_bwd"};

static const char *posenet_ref(char *buf, size_t size, const char *rel) {
    const char *ref = tu_ref_dir();
    snprintf(buf, size, "%s/posenet/%s", ref ? ref : "build/ref", rel);
    struct stat sb;
    return stat(buf, &sb) == 0 ? buf : NULL;
}

/* The real PoseNet weights: the fixture conversion, else `make weights`. */
static const char *real_weights(char *buf, size_t size) {
    if (posenet_ref(buf, size, "posenet.safetensors")) return buf;
    snprintf(buf, size, "weights/posenet.safetensors");
    struct stat sb;
    return stat(buf, &sb) == 0 ? buf : NULL;
}

static tryon_model *load(tryon_ctx *ctx, const char *weights, const tryon_posenet_params *p,
                         tryon_weights **w) {
    ck_assert_msg(tryon_weights_open(ctx, weights, w) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    tryon_model *m;
    ck_assert_msg(tryon_posenet_load(ctx, *w, p, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
    return m;
}

/* Runs a TENSOR-input model on dir/input.npy and checks every head against
 * dir/<head>.npy: conv heads bitwise; sigmoid scores within one float ulp of 1
 * (6e-8) in case the C library's exp and V8's differ in the last double bit. */
#define TOL_HEADS_DEFAULT 1e-3 /* the default accumulation (header comment) */

static void heads_match_tfjs(const char *weights, const char *dir, int32_t threads, int32_t exact) {
    tryon_ctx *ctx = tu_ctx(threads);
    char path[1200];
    snprintf(path, sizeof path, "%s/input.npy", dir);
    tryon_array in;
    tu_npy_load(ctx, path, &in);
    tryon_posenet_params p = tryon_posenet_params_default();
    p.input = TRYON_POSENET_INPUT_TENSOR;
    p.input_height = (int32_t)in.shape[1], p.input_width = (int32_t)in.shape[2];
    p.multi = 1;
    p.exact = exact;
    tryon_weights *w;
    tryon_model *m = load(ctx, weights, &p, &w);
    ck_assert_int_eq(tryon_model_set_input(m, 0, in.data, (size_t)tryon_array_numel(&in) * 4),
                     TRYON_OK);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    for (int32_t i = 0; i < 5; i++) {
        tryon_tensor t;
        tryon_model_output(m, i, &t);
        ck_assert_str_eq(t.name, head_names[i]);
        tryon_array ref;
        snprintf(path, sizeof path, "%s/%s.npy", dir, head_names[i]);
        tu_npy_load(ctx, path, &ref);
        ck_assert_int_eq(tryon_array_numel(&ref),
                         t.shape[0] * t.shape[1] * t.shape[2] * t.shape[3]);
        tu_cmp c = !exact
                       ? tu_compare(t.data, ref.data, tryon_array_numel(&ref), TOL_HEADS_DEFAULT, 0)
                   : i == 1 ? tu_compare(t.data, ref.data, tryon_array_numel(&ref), 6e-8, 0)
                            : tu_compare_exact(t.data, ref.data, tryon_array_numel(&ref));
        char what[1400];
        snprintf(what, sizeof what, "%s %s%s", dir, head_names[i], exact ? " (exact)" : "");
        TU_ASSERT_CMP(c, 4, t.shape, what);
        tryon_array_free(&ref);
    }
    tryon_model_free(m);
    tryon_weights_close(w);
    tryon_array_free(&in);
    tryon_ctx_free(ctx);
}

START_TEST(real_heads_match_tfjs_bitwise) {
    char wbuf[512], dbuf[512];
    const char *weights = posenet_ref(wbuf, sizeof wbuf, "posenet.safetensors");
    const char *real = posenet_ref(dbuf, sizeof dbuf, "real");
    if (!weights || !real) {
        tu_skip("real_heads_match_tfjs_bitwise",
                "no TF.js real-image fixtures (node, npm or ../shared/data absent)");
        return;
    }
    DIR *d = opendir(real);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", real, e->d_name);
        heads_match_tfjs(weights, dir, 2, 1);
        heads_match_tfjs(weights, dir, 1, 0);
        n++;
    }
    closedir(d);
    ck_assert_int_gt(n, 0);
}
END_TEST

START_TEST(even_input_heads_match_tfjs_bitwise) {
    /* 256x320: every stride-2 SAME layer pads 0 above/left and 1 below/right. */
    char wbuf[512], dbuf[512];
    const char *weights = posenet_ref(wbuf, sizeof wbuf, "posenet.safetensors");
    const char *dir = posenet_ref(dbuf, sizeof dbuf, "even/input.npy");
    if (!weights || !dir) {
        tu_skip("even_input_heads_match_tfjs_bitwise", "no TF.js even-size fixture");
        return;
    }
    posenet_ref(dbuf, sizeof dbuf, "even");
    heads_match_tfjs(weights, dbuf, 3, 1);
    heads_match_tfjs(weights, dbuf, 2, 0);
}
END_TEST

START_TEST(synthetic_models_match_tfjs_bitwise) {
    char base[512];
    if (!posenet_ref(base, sizeof base, "")) {
        tu_skip("synthetic_models_match_tfjs_bitwise", "no PoseNet fixtures");
        return;
    }
    DIR *d = opendir(base);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, "synth-", 6)) continue;
        char dir[1024], weights[1200], input[1200];
        snprintf(dir, sizeof dir, "%s/%s", base, e->d_name);
        snprintf(weights, sizeof weights, "%s/model.safetensors", dir);
        snprintf(input, sizeof input, "%s/input.npy", dir);
        struct stat sb;
        if (stat(input, &sb) != 0) continue; /* converted, but TF.js did not run */
        heads_match_tfjs(weights, dir, 1 + n % 3, 1);
        heads_match_tfjs(weights, dir, 1 + (n + 1) % 3, 0);
        n++;
    }
    closedir(d);
    if (n == 0)
        tu_skip("synthetic_models_match_tfjs_bitwise", "no TF.js outputs for the synthetic models");
}
END_TEST

/* Reads meta.json's padding and sizes. */
static void read_meta(tryon_ctx *ctx, const char *dir, double *pad_t, double *pad_l, int32_t *w,
                      int32_t *h, int32_t res[2]) {
    char path[1200];
    size_t len;
    snprintf(path, sizeof path, "%s/meta.json", dir);
    char *text = pr_read_text(path, &len);
    ck_assert_ptr_nonnull(text);
    tr_json_doc *d;
    ck_assert_int_eq(tr_json_parse(ctx, text, len, &d), TRYON_OK);
    const tr_json *root = &d->nodes[0], *pad = pr_child(d, root, "padding");
    const tr_json *r = pr_child(d, root, "input");
    *pad_t = pr_num(d, pad, "top"), *pad_l = pr_num(d, pad, "left");
    *w = (int32_t)pr_num(d, root, "width"), *h = (int32_t)pr_num(d, root, "height");
    res[0] = (int32_t)tr_json_at(d, r->first)->i;
    res[1] = (int32_t)tr_json_at(d, tr_json_at(d, r->first)->next)->i;
    tr_json_free(d);
    free(text);
}

START_TEST(real_images_end_to_end_match_tfjs_models) {
    char wbuf[512], dbuf[512], ibuf[1200];
    const char *weights = posenet_ref(wbuf, sizeof wbuf, "posenet.safetensors");
    const char *real = posenet_ref(dbuf, sizeof dbuf, "real");
    if (!weights || !real || !tu_data_dir()) {
        tu_skip("real_images_end_to_end_match_tfjs_models", "no TF.js real-image fixtures");
        return;
    }
    tryon_ctx *ctx = tu_ctx(0);
    tryon_weights *w;
    ck_assert_int_eq(tryon_weights_open(ctx, weights, &w), TRYON_OK);
    DIR *d = opendir(real);
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char dir[1024], rel[1024], path[1200];
        snprintf(dir, sizeof dir, "%s/%s", real, e->d_name);
        /* A crop made by tfjs_posenet.js lies next to its fixtures, a photo in the data. */
        struct stat sb;
        snprintf(ibuf, sizeof ibuf, "%s/image.png", dir);
        if (stat(ibuf, &sb) != 0) {
            snprintf(rel, sizeof rel, "images/%s.png", e->d_name);
            ck_assert_ptr_nonnull(tu_data_file(rel, ibuf, sizeof ibuf));
        }
        tryon_image img;
        ck_assert_int_eq(tryon_image_read_png(ctx, ibuf, 3, &img), TRYON_OK);
        double pad_t, pad_l;
        int32_t iw, ih, res[2];
        read_meta(ctx, dir, &pad_t, &pad_l, &iw, &ih, res);
        ck_assert(iw == img.width && ih == img.height);
        for (int multi = 0; multi <= 1; multi++) {
            tryon_posenet_params p = tryon_posenet_params_default();
            p.image_width = img.width, p.image_height = img.height;
            p.multi = multi;
            tryon_model *m;
            ck_assert_msg(tryon_posenet_load(ctx, w, &p, &m) == TRYON_OK, "%s",
                          tryon_ctx_last_error(ctx));
            tryon_tensor t;
            tryon_model_input(m, 0, &t);
            memcpy(t.data, img.data, (size_t)img.width * img.height * 3);
            ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
            if (!multi) { /* preprocessing: within 1e-6 of TF.js (header comment) */
                tryon_tensor pre;
                tryon_model_output(m, TRYON_POSENET_OUT_INPUT, &pre);
                ck_assert(pre.shape[1] == res[0] && pre.shape[2] == res[1]);
                tryon_array ref;
                snprintf(path, sizeof path, "%s/input.npy", dir);
                tu_npy_load(ctx, path, &ref);
                tu_cmp c = tu_compare(pre.data, ref.data, tryon_array_numel(&ref), 1e-6, 0);
                TU_ASSERT_CMP(c, 4, pre.shape, "preprocessed input");
                tryon_array_free(&ref);
            }
            tryon_tensor poses;
            tryon_model_output(m, TRYON_POSENET_OUT_POSES, &poses);
            snprintf(path, sizeof path, "%s/%s.json", dir, multi ? "multi" : "single");
            /* Scores are compared through the end-to-end heads, so not exactly here. */
            size_t len;
            char *text = pr_read_text(path, &len);
            tr_json_doc *doc;
            ck_assert_int_eq(tr_json_parse(ctx, text, len, &doc), TRYON_OK);
            tryon_pose got[8];
            int32_t n;
            ck_assert_int_eq(tryon_posenet_poses(m, got, 8, &n), TRYON_OK);
            const tr_json *root = &doc->nodes[0];
            ck_assert_msg(n == root->n_children, "%s: %d poses, tfjs-models %d", path, n,
                          root->n_children);
            double worst = 0;
            int32_t i = 0;
            for (const tr_json *pose = tr_json_at(doc, root->first); pose;
                 pose = tr_json_at(doc, pose->next), i++) {
                const tr_json *kps = pr_child(doc, pose, "keypoints");
                int32_t k = 0;
                ck_assert(fabs(got[i].score - pr_num(doc, pose, "score")) < 1e-3);
                for (const tr_json *kp = tr_json_at(doc, kps->first); kp;
                     kp = tr_json_at(doc, kp->next), k++) {
                    double ex = fabs(got[i].keypoints[k].x - pr_num(doc, kp, "x"));
                    double ey = fabs(got[i].keypoints[k].y - pr_num(doc, kp, "y"));
                    worst = fmax(worst, fmax(ex, ey));
                    ck_assert_msg(ex <= 0.05 && ey <= 0.05, "%s pose %d part %d off by (%g, %g) px",
                                  path, i, k, ex, ey);
                }
            }
            if (getenv("TRYON_TEST_VERBOSE"))
                fprintf(stderr, "%s %s: %d poses, max keypoint error %.3g px\n", e->d_name,
                        multi ? "multi" : "single", n, worst);
            tr_json_free(doc);
            free(text);
            tryon_model_free(m);
        }
        tryon_image_free(&img);
    }
    closedir(d);
    tryon_weights_close(w);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(decoder_on_tfjs_heads_matches_tfjs_models) {
    /* Our decode node on TF.js's own heads, mapped with meta.json's padding:
     * positions within 1e-3 px (float32 output of the same doubles; at 1200 px
     * half an ulp is 6e-5), scores exact, same poses in the same order. */
    char dbuf[512];
    const char *real = posenet_ref(dbuf, sizeof dbuf, "real");
    if (!real) {
        tu_skip("decoder_on_tfjs_heads_matches_tfjs_models", "no TF.js real-image fixtures");
        return;
    }
    tryon_ctx *ctx = tu_ctx(1);
    DIR *dd = opendir(real);
    for (struct dirent *e; (e = readdir(dd));) {
        if (e->d_name[0] == '.') continue;
        char dir[1024], path[1200];
        snprintf(dir, sizeof dir, "%s/%s", real, e->d_name);
        double pad_t, pad_l;
        int32_t iw, ih, res[2];
        read_meta(ctx, dir, &pad_t, &pad_l, &iw, &ih, res);
        const char *names[4] = {"heatmap_scores", "offsets", "displacement_fwd",
                                "displacement_bwd"};
        tryon_array a[4];
        for (int i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s.npy", dir, names[i]);
            tu_npy_load(ctx, path, &a[i]);
        }
        for (int multi = 0; multi <= 1; multi++) {
            tr_graph *g;
            ck_assert_int_eq(tr_graph_init(ctx, &g), TRYON_OK);
            int32_t in[4];
            for (int i = 0; i < 4; i++)
                in[i] = tr_graph_input(g, names[i], TRYON_DTYPE_F32, 4, a[i].shape);
            tr_posenet_decode_desc d;
            memset(&d, 0, sizeof d);
            d.output_stride = 16, d.multi = multi, d.max_poses = multi ? 5 : 1;
            d.local_max_radius = 1, d.refine_steps = 2, d.score_threshold = 0.5, d.nms_radius = 20;
            d.scale_y = (ih + 2 * pad_t) / res[0], d.scale_x = (iw + 2 * pad_l) / res[1];
            d.offset_y = -pad_t, d.offset_x = -pad_l;
            tr_graph_output(g, tr_posenet_decode(g, in[0], in[1], in[2], in[3], &d), "poses");
            tryon_model *m;
            ck_assert_msg(tr_model_create(ctx, g, &m) == TRYON_OK, "%s", tryon_ctx_last_error(ctx));
            for (int i = 0; i < 4; i++)
                tryon_model_set_input(m, i, a[i].data, (size_t)tryon_array_numel(&a[i]) * 4);
            ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
            tryon_tensor t;
            tryon_model_output(m, 0, &t);
            snprintf(path, sizeof path, "%s/%s.json", dir, multi ? "multi" : "single");
            pr_compare_poses(ctx, t.data, d.max_poses, path, 1e-3);
            tryon_model_free(m);
        }
        for (int i = 0; i < 4; i++) tryon_array_free(&a[i]);
    }
    closedir(dd);
    tryon_ctx_free(ctx);
}
END_TEST

START_TEST(astronaut_matches_the_known_sanity_values) {
    /* ../shared/data/README.md: nose near (y 126, x 222), shoulders near y 272. */
    char wbuf[512], ibuf[512];
    const char *weights = real_weights(wbuf, sizeof wbuf);
    const char *image = tu_data_file("images/astronaut.png", ibuf, sizeof ibuf);
    if (!weights || !image) {
        tu_skip("astronaut_matches_the_known_sanity_values", "no real weights or astronaut.png");
        return;
    }
    tryon_ctx *ctx = tu_ctx(0);
    tryon_image img;
    ck_assert_int_eq(tryon_image_read_png(ctx, image, 3, &img), TRYON_OK);
    tryon_posenet_params p = tryon_posenet_params_default();
    p.image_width = img.width, p.image_height = img.height;
    tryon_weights *w;
    tryon_model *m = load(ctx, weights, &p, &w);
    tryon_tensor t;
    tryon_model_input(m, 0, &t);
    memcpy(t.data, img.data, (size_t)img.width * img.height * 3);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    tryon_pose pose;
    int32_t n;
    ck_assert_int_eq(tryon_posenet_poses(m, &pose, 1, &n), TRYON_OK);
    ck_assert_int_eq(n, 1);
    const tryon_keypoint *k = pose.keypoints;
    ck_assert_msg(fabsf(k[0].y - 126) < 3 && fabsf(k[0].x - 222) < 3, "nose at (%g, %g)", k[0].x,
                  k[0].y);
    ck_assert_msg(fabsf(k[5].y - 272) < 4 && fabsf(k[6].y - 272) < 4, "shoulders at y %g, %g",
                  k[5].y, k[6].y);
    ck_assert_str_eq(tryon_posenet_keypoint_name(0), "nose");
    ck_assert_str_eq(tryon_posenet_keypoint_name(16), "right_ankle");
    ck_assert_ptr_null(tryon_posenet_keypoint_name(17));
    /* Running again allocates nothing and gives the same poses. */
    int64_t before = tr_ctx_n_allocs(ctx);
    ck_assert_int_eq(tryon_model_run(m), TRYON_OK);
    ck_assert_int_eq(tr_ctx_n_allocs(ctx), before);
    tryon_pose again;
    tryon_posenet_poses(m, &again, 1, &n);
    ck_assert(memcmp(&again, &pose, sizeof pose) == 0);
    tryon_model_free(m);
    tryon_weights_close(w);
    tryon_image_free(&img);
    tryon_ctx_free(ctx);
}
END_TEST

/* A minimal safetensors file: one F32 tensor and the given metadata JSON. */
static void write_st(const char *path, const char *meta) {
    char hdr[2048];
    int n = snprintf(
        hdr, sizeof hdr,
        "{\"__metadata__\":%s,\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        meta);
    while (n % 8) hdr[n++] = ' ';
    FILE *f = fopen(path, "wb");
    uint64_t len = (uint64_t)n;
    fwrite(&len, 8, 1, f);
    fwrite(hdr, 1, (size_t)n, f);
    float one = 1;
    fwrite(&one, 4, 1, f);
    fclose(f);
}

START_TEST(load_rejects_other_families_and_bad_params) {
    tryon_ctx *ctx = tu_ctx(1);
    char path[] = "build/tests/posenet_family.safetensors";
    struct {
        const char *meta, *expect;
        tryon_status st;
    } cases[] = {
        {"{\"tryon.family\":\"cyclegan\",\"tryon.format\":\"1\"}",
         "'cyclegan' family, this command needs 'posenet'", TRYON_ERR_FORMAT},
        {"{\"tryon.format\":\"1\"}", "'(none)' family", TRYON_ERR_FORMAT},
        {"{\"tryon.family\":\"posenet\",\"tryon.format\":\"1\",\"posenet.output_stride\":\"16\","
         "\"posenet.input_height\":\"0\",\"posenet.input_width\":\"0\",\"posenet.layers\":\"[{}]\","
         "\"posenet.heads\":\"[]\"}",
         "posenet.layers entry 0", TRYON_ERR_FORMAT},
        {"{\"tryon.family\":\"posenet\",\"tryon.format\":\"2\"}", "tryon.format '2'",
         TRYON_ERR_FORMAT},
    };
    tryon_posenet_params p = tryon_posenet_params_default();
    p.image_width = p.image_height = 64;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_st(path, cases[c].meta);
        tryon_weights *w;
        ck_assert_msg(tryon_weights_open(ctx, path, &w) == TRYON_OK, "%s",
                      tryon_ctx_last_error(ctx));
        tryon_model *m = (tryon_model *)1;
        ck_assert_int_eq(tryon_posenet_load(ctx, w, &p, &m), cases[c].st);
        ck_assert_ptr_null(m);
        ck_assert_msg(strstr(tryon_ctx_last_error(ctx), cases[c].expect), "case %zu: '%s'", c,
                      tryon_ctx_last_error(ctx));
        tryon_weights_close(w);
    }
    remove(path);
    /* Bad parameters, on real weights when present (the family check comes first). */
    char wbuf[512];
    const char *weights = real_weights(wbuf, sizeof wbuf);
    if (weights) {
        tryon_weights *w;
        ck_assert_int_eq(tryon_weights_open(ctx, weights, &w), TRYON_OK);
        tryon_model *m;
        tryon_posenet_params q = p;
        q.image_width = 0;
        ck_assert_int_eq(tryon_posenet_load(ctx, w, &q, &m), TRYON_ERR_INVALID_ARG);
        q = p, q.multi = 1, q.max_poses = 0;
        ck_assert_int_eq(tryon_posenet_load(ctx, w, &q, &m), TRYON_ERR_INVALID_ARG);
        q = p, q.nms_radius = -1;
        ck_assert_int_eq(tryon_posenet_load(ctx, w, &q, &m), TRYON_ERR_INVALID_ARG);
        tryon_weights_close(w);
    }
    tryon_ctx_free(ctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("posenet");
    TCase *tc = tcase_create("net");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, real_heads_match_tfjs_bitwise);
    tcase_add_test(tc, even_input_heads_match_tfjs_bitwise);
    tcase_add_test(tc, synthetic_models_match_tfjs_bitwise);
    tcase_add_test(tc, real_images_end_to_end_match_tfjs_models);
    tcase_add_test(tc, decoder_on_tfjs_heads_matches_tfjs_models);
    tcase_add_test(tc, astronaut_matches_the_known_sanity_values);
    tcase_add_test(tc, load_rejects_other_families_and_bad_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
