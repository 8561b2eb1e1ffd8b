/* test_torch_warp.c — grid_sample, affine_grid and thin-plate splines against
 * PyTorch (fixtures from tests/ref/torch_warp.py, generated at test time into
 * $TRYON_REF_DIR; skipped with TORCH=0). All operands are graph inputs, so
 * these are the ops as the fitting graph runs them. */
#include <math.h>
#include <stdlib.h>

#include "warp_util.h"

static const char *const mode_names[] = {"bilinear", "nearest"};
static const char *const pad_names[] = {"zeros", "border", "reflection"};

/* Loads warp_<name>.npy from the fixture folder; 0 if PyTorch is disabled. */
static int load_ref(tryon_ctx *ctx, const char *name, tryon_array *a) {
    const char *dir = tu_ref_dir();
    if (!dir) return 0;
    char path[512];
    snprintf(path, sizeof path, "%s/warp_%s.npy", dir, name);
    tu_npy_load(ctx, path, a);
    return 1;
}

static void report(const char *what, const tu_cmp *c) {
    if (getenv("TRYON_TEST_VERBOSE"))
        fprintf(stderr, "%s: max_abs %.3g max_rel %.3g over %lld\n", what, c->max_abs, c->max_rel,
                (long long)c->n);
}

/* Every mode x padding x align_corners on one fixture set, as one graph with
 * twelve outputs.
 * Tolerance (bilinear): the source coordinates follow PyTorch's f32 operation
 * order, so they agree exactly unless PyTorch's build fuses a multiply-add
 * (then by 1 ulp: <= 2^-24 * 2S < 4e-6 px for S <= 32); the four weights then
 * agree to that plus 2 ulp of 1, and |x| <= 1, so |diff| <= 4 * (4e-6 + 2.4e-7)
 * ~ 1.7e-5 in the worst case and ~1e-7 in practice: 2e-5 bounds it, inside
 * issue 6's 1e-5 only if no coordinate differs (the measured maximum is
 * printed with TRYON_TEST_VERBOSE=1 and is 1-2 ulp). Nearest copies input
 * values, and with identical coordinates the picks (ties included) are
 * identical: compared bit for bit. */
static void check_grid_sample_set(const char *set) {
    tryon_ctx *lctx = tu_ctx(1);
    tryon_array x, grid;
    char name[64];
    snprintf(name, sizeof name, "%s_x", set);
    if (!load_ref(lctx, name, &x)) {
        tu_skip("grid_sample vs PyTorch", "TORCH=0");
        tryon_ctx_free(lctx);
        return;
    }
    snprintf(name, sizeof name, "%s_grid", set);
    load_ref(lctx, name, &grid);
    wu_run r;
    wu_begin(&r, 2);
    int32_t tx = wu_input_arr(&r, "x", &x), tg = wu_input_arr(&r, "grid", &grid);
    for (int32_t mode = 0; mode < 2; mode++)
        for (int32_t pad = 0; pad < 3; pad++)
            for (int32_t ac = 0; ac < 2; ac++)
                tr_graph_output(r.g, tr_grid_sample(r.g, tx, tg, mode, pad, ac), "y");
    wu_exec(&r);
    int32_t out = 0;
    for (int32_t mode = 0; mode < 2; mode++)
        for (int32_t pad = 0; pad < 3; pad++)
            for (int32_t ac = 0; ac < 2; ac++, out++) {
                tryon_array ref;
                snprintf(name, sizeof name, "%s_%s_%s_%d", set, mode_names[mode], pad_names[pad],
                         ac);
                load_ref(lctx, name, &ref);
                tryon_tensor view;
                const float *y = wu_out(&r, out, &view);
                ck_assert_int_eq(wu_numel(&view), tryon_array_numel(&ref));
                tu_cmp c = mode == TR_SAMPLE_NEAREST
                               ? tu_compare_exact(y, ref.data, tryon_array_numel(&ref))
                               : tu_compare(y, ref.data, tryon_array_numel(&ref), 2e-5, 0);
                report(name, &c);
                TU_ASSERT_CMP(c, 4, ref.shape, name);
                tryon_array_free(&ref);
            }
    wu_end(&r);
    tryon_array_free(&x);
    tryon_array_free(&grid);
    tryon_ctx_free(lctx);
}

START_TEST(grid_sample_matches_torch_special_coordinates) { check_grid_sample_set("gsa"); }
END_TEST

START_TEST(grid_sample_matches_torch_one_pixel_high_input) { check_grid_sample_set("gsb"); }
END_TEST

START_TEST(grid_sample_matches_torch_random) { check_grid_sample_set("gsc"); }
END_TEST

/* affine_grid: PyTorch builds the base coordinates with f32 linspace (and a
 * f32 rescale for align_corners=False) and multiplies in f32 (bmm); we round
 * the exact value once. Each output is a 3-term dot product of magnitude
 * <= |theta|_1 * 1 ~ 3, so the difference is a few ulp of 3: <= 1e-6. */
START_TEST(affine_grid_matches_torch) {
    tryon_ctx *lctx = tu_ctx(1);
    tryon_array theta;
    if (!load_ref(lctx, "affine_theta", &theta)) {
        tu_skip("affine_grid vs PyTorch", "TORCH=0");
        tryon_ctx_free(lctx);
        return;
    }
    static const int32_t sizes[][2] = {{5, 7}, {1, 4}, {6, 1}, {32, 24}};
    wu_run r;
    wu_begin(&r, 2);
    int32_t t = wu_input_arr(&r, "theta", &theta);
    for (int32_t s = 0; s < 4; s++)
        for (int32_t ac = 0; ac < 2; ac++)
            tr_graph_output(r.g, tr_affine_grid(r.g, t, sizes[s][0], sizes[s][1], ac), "grid");
    wu_exec(&r);
    for (int32_t s = 0, out = 0; s < 4; s++)
        for (int32_t ac = 0; ac < 2; ac++, out++) {
            char name[64];
            snprintf(name, sizeof name, "affine_%dx%d_%d", sizes[s][0], sizes[s][1], ac);
            tryon_array ref;
            load_ref(lctx, name, &ref);
            tu_cmp c =
                tu_compare(wu_out(&r, out, NULL), ref.data, tryon_array_numel(&ref), 1e-6, 0);
            report(name, &c);
            TU_ASSERT_CMP(c, 4, ref.shape, name);
            tryon_array_free(&ref);
        }
    wu_end(&r);
    tryon_array_free(&theta);
    tryon_ctx_free(lctx);
}
END_TEST

/* CP-VTON's TpsGridGen (5x5 control points, 256x192), with L, L^-1 and the
 * grid computed by PyTorch in float64: fit -> grid -> grid_sample all in one
 * graph from the control points. Our solve is double too; what remains is the
 * f32 rounding of the 28x2 coefficients and of the grid: the coefficients are
 * O(0.1..1) and the U values <= 8 ln 8 ~ 17, so the sum of |w_k U_k| * 6e-8
 * stays near 1e-6: issue 6's 1e-5 is the bound.
 * CP-VTON itself inverts L in float32; that grid differs from float64 by
 * about 1.6e-5 (measured on this fixture), so it is compared at 5e-5 (the f32
 * inverse's error ~ cond(L) * 6e-8 with cond(L) ~ 1e2..1e3).
 * The warped image (border padding, align_corners=True, as CP-VTON warps the
 * cloth) differs from PyTorch's through the grid only: a grid error e moves
 * the sample by e*(S-1)/2 <= 1e-5 * 127.5 px, and the image's slope is below
 * 0.05 per pixel, so 1e-5 * 127.5 * 0.05 + 1e-6 (bilinear rounding) < 8e-5. */
START_TEST(tps_matches_cpvton_reference) {
    tryon_ctx *lctx = tu_ctx(1);
    tryon_array ctrl, values, g64, g32, image, warped, coef64;
    if (!load_ref(lctx, "tps_ctrl", &ctrl)) {
        tu_skip("TPS vs PyTorch", "TORCH=0");
        tryon_ctx_free(lctx);
        return;
    }
    load_ref(lctx, "tps_values", &values);
    load_ref(lctx, "tps_grid64", &g64);
    load_ref(lctx, "tps_grid32", &g32);
    load_ref(lctx, "tps_image", &image);
    load_ref(lctx, "tps_warped", &warped);
    load_ref(lctx, "tps_coef64", &coef64);
    wu_run r;
    wu_begin(&r, 2);
    int32_t c = wu_input_arr(&r, "ctrl", &ctrl), v = wu_input_arr(&r, "values", &values);
    int32_t img = wu_input_arr(&r, "image", &image);
    tr_tps_opts o = tr_tps_opts_default();
    int32_t coef = tr_tps_fit(r.g, c, v, &o);
    int32_t grid = tr_tps_grid(r.g, c, coef, 256, 192, 1);
    tr_graph_output(r.g, grid, "grid");
    tr_graph_output(
        r.g, tr_grid_sample(r.g, img, grid, TR_SAMPLE_BILINEAR, TR_SAMPLE_PAD_BORDER, 1), "warped");
    tr_graph_output(r.g, coef, "coef");
    wu_exec(&r);
    /* The coefficients themselves (kernels.h layout): f32 rounding of values
     * <= ~2 (1.2e-7) plus the two double solves' difference (cond(L) ~ 1e3
     * times 1e-16): 1e-6. They pin down the kernel's scale, which the grid
     * alone does not (U scaled by c gives w / c and the same f). */
    tu_cmp cc = tu_compare(wu_out(&r, 2, NULL), coef64.data, tryon_array_numel(&coef64), 1e-6, 0);
    report("tps coefficients vs float64", &cc);
    TU_ASSERT_CMP(cc, 3, coef64.shape, "tps coefficients vs float64");
    const float *y = wu_out(&r, 0, NULL);
    int64_t n = tryon_array_numel(&g64);
    tu_cmp c64 = tu_compare(y, g64.data, n, 1e-5, 0);
    report("tps grid vs float64 CP-VTON", &c64);
    TU_ASSERT_CMP(c64, 4, g64.shape, "tps grid vs float64 CP-VTON");
    tu_cmp c32 = tu_compare(y, g32.data, n, 5e-5, 0);
    report("tps grid vs float32 CP-VTON", &c32);
    TU_ASSERT_CMP(c32, 4, g32.shape, "tps grid vs float32 CP-VTON");
    tu_cmp cw = tu_compare(wu_out(&r, 1, NULL), warped.data, tryon_array_numel(&warped), 8e-5, 0);
    report("tps warped image", &cw);
    TU_ASSERT_CMP(cw, 4, warped.shape, "tps warped image");
    wu_end(&r);
    tryon_array *all[] = {&ctrl, &values, &g64, &g32, &image, &warped, &coef64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) tryon_array_free(all[i]);
    tryon_ctx_free(lctx);
}
END_TEST

/* Random control points (per-item sets, K = 12) solved by torch.linalg.solve
 * in float64, evaluated on an align_corners=False grid and at scattered
 * points up to 1.5 outside the square. Same error model as above, with
 * |U| <= 18 ln 18 ~ 52 at the far points: 1e-5. */
START_TEST(tps_random_points_match_float64_solve) {
    tryon_ctx *lctx = tu_ctx(1);
    tryon_array ctrl, values, points, grid_ref, pts_ref;
    if (!load_ref(lctx, "tpsr_ctrl", &ctrl)) {
        tu_skip("TPS vs PyTorch", "TORCH=0");
        tryon_ctx_free(lctx);
        return;
    }
    load_ref(lctx, "tpsr_values", &values);
    load_ref(lctx, "tpsr_points", &points);
    load_ref(lctx, "tpsr_grid", &grid_ref);
    load_ref(lctx, "tpsr_transformed", &pts_ref);
    wu_run r;
    wu_begin(&r, 3);
    int32_t c = wu_input_arr(&r, "ctrl", &ctrl), v = wu_input_arr(&r, "values", &values);
    int32_t p = wu_input_arr(&r, "points", &points);
    tr_tps_opts o = tr_tps_opts_default();
    int32_t coef = tr_tps_fit(r.g, c, v, &o);
    tr_graph_output(r.g, tr_tps_grid(r.g, c, coef, 40, 30, 0), "grid");
    tr_graph_output(r.g, tr_tps_transform(r.g, c, coef, p), "moved");
    wu_exec(&r);
    tu_cmp cg =
        tu_compare(wu_out(&r, 0, NULL), grid_ref.data, tryon_array_numel(&grid_ref), 1e-5, 0);
    report("tps random grid", &cg);
    TU_ASSERT_CMP(cg, 4, grid_ref.shape, "tps random grid");
    tu_cmp cp = tu_compare(wu_out(&r, 1, NULL), pts_ref.data, tryon_array_numel(&pts_ref), 1e-5, 0);
    report("tps random points", &cp);
    TU_ASSERT_CMP(cp, 3, pts_ref.shape, "tps random points");
    wu_end(&r);
    tryon_array *all[] = {&ctrl, &values, &points, &grid_ref, &pts_ref};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) tryon_array_free(all[i]);
    tryon_ctx_free(lctx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("torch_warp");
    TCase *tc = tcase_create("torch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grid_sample_matches_torch_special_coordinates);
    tcase_add_test(tc, grid_sample_matches_torch_one_pixel_high_input);
    tcase_add_test(tc, grid_sample_matches_torch_random);
    tcase_add_test(tc, affine_grid_matches_torch);
    tcase_add_test(tc, tps_matches_cpvton_reference);
    tcase_add_test(tc, tps_random_points_match_float64_solve);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
