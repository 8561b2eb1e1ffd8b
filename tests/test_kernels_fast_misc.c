/* test_kernels_fast_misc.c — the memory-bound fast kernels (kernels/fast/
 * misc.c, body_misc.h): instance norm, upfirdn2d, scale_channels,
 * upsample_nearest and resize_bilinear, for every ISA this machine runs. Each performs the
 * reference kernel's operations in the same order per element (vectorised
 * across channels, no FMA), so the results must equal the reference kernels'
 * bit for bit on any data, including NaN and inf; guard bands catch writes
 * past the outputs. Shapes: 1x1 images, channel counts below, at and around
 * the vector widths (1, 3, 17, 32, 100), StyleGAN2's resampling filters,
 * cropping pads, every activation with gain and clamp, in-place
 * scale_channels, and bitwise equality across thread counts. */
#include "fast_util.h"
#include "util.h"

static void assert_same(const float *got, const float *ref, int64_t n, int32_t ndim,
                        const int64_t *shape, const char *what) {
    ck_assert_msg(kr_out_guard_ok(got, n), "%s: wrote past the output", what);
    tu_cmp c = tu_compare_exact(got, ref, n);
    TU_ASSERT_CMP(c, ndim, shape, what);
}

/* ---- instance norm -------------------------------------------------------------- */

static void inorm_check(int32_t n, int32_t h, int32_t w, int32_t c, tr_act act, int affine,
                        int residual, int threads, uint64_t seed) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    const int64_t ny = (int64_t)n * h * w * c;
    int64_t shape[4] = {n, h, w, c};
    tryon_ctx *ctx = tu_ctx(threads);
    for (int32_t i = 0; i < n_isa; i++) {
        tu_rng r;
        tu_rng_seed(&r, seed);
        tr_instance_norm_args a;
        memset(&a, 0, sizeof a);
        a.d.n = n, a.d.h = h, a.d.w = w, a.d.c = c, a.d.eps = 1e-5f;
        a.d.ep = tr_epilogue_make(act);
        a.d.ep.gain = 1.41421356f, a.d.ep.clamp = act == TR_ACT_LRELU ? 0.75f : 0.0f;
        float *x = kr_operand(ny, &r, 0, 0, 3.0f);
        for (int64_t j = 0; j < ny; j++) x[j] += 1.5f; /* a mean away from 0 */
        if (c > 2 && h * w > 1) x[1] = NAN;            /* channel 1 becomes NaN */
        a.x = x;
        if (affine) {
            a.gamma = kr_operand(c, &r, 0, 0, 2.0f);
            a.beta = kr_operand(c, &r, 0, 0, 1.0f);
        }
        if (residual) a.residual = kr_operand(ny, &r, 0, 0, 1.0f);
        a.stats = malloc((size_t)n * c * 2 * sizeof *a.stats);
        a.y = kr_output(ny);
        tr_fast_instance_norm(tr_fast_isa_table(isas[i]), ctx->pool, &a);
        tr_instance_norm_args ref = a;
        ref.y = kr_output(ny);
        tr_cpu_instance_norm_f32(NULL, &ref);
        char what[160];
        snprintf(what, sizeof what, "%s instance_norm %dx%dx%dx%d %s%s%s %d threads",
                 tr_isa_name(isas[i]), n, h, w, c, kr_act_names[act], affine ? " affine" : "",
                 residual ? " residual" : "", threads);
        assert_same(a.y, ref.y, ny, 4, shape, what);
        kr_release(a.x), kr_release(a.gamma), kr_release(a.beta), kr_release(a.residual);
        kr_release(a.y), kr_release(ref.y);
        free(a.stats);
    }
    tryon_ctx_free(ctx);
}

START_TEST(fast_instance_norm_is_bitwise_the_reference) {
    static const int32_t shapes[][4] = {{1, 1, 1, 1},    {2, 5, 7, 3},   {1, 9, 9, 17},
                                        {1, 16, 16, 32}, {2, 8, 8, 100}, {1, 3, 70, 40},
                                        {1, 32, 32, 64}};
    uint64_t seed = 100;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int act = 0; act < TR_ACT_COUNT; act++)
            inorm_check(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], (tr_act)act,
                        act % 2, act > 2, 1 + act % 3, seed++);
}
END_TEST

/* ---- upfirdn2d --------------------------------------------------------------------- */

typedef struct ufd {
    int32_t n, h, w, c, up_x, up_y, down_x, down_y, px0, px1, py0, py1, fh, fw, separable, flip;
    float gain;
} ufd;

static int32_t out_len(int32_t in, int32_t up, int32_t p0, int32_t p1, int32_t taps, int32_t down) {
    int32_t valid = in * up + p0 + p1 - taps + 1;
    return (valid + down - 1) / down;
}

START_TEST(fast_upfirdn2d_is_bitwise_the_reference) {
    static const ufd t[] = {
        /* StyleGAN2: FIR after the up-sampling conv (4x4, pads 1), image upsample2d */
        {1, 17, 17, 64, 1, 1, 1, 1, 1, 1, 1, 1, 4, 4, 0, 0, 4.0f},
        {1, 8, 8, 3, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 0, 0, 4.0f},
        {2, 5, 6, 17, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 1, 0, 4.0f},
        {1, 8, 10, 2, 1, 1, 2, 2, 1, 1, 1, 1, 4, 4, 1, 0, 1.0f},
        {2, 7, 11, 33, 1, 1, 1, 1, 2, 2, 1, 1, 3, 5, 0, 1, 1.0f},
        {1, 6, 7, 1, 3, 3, 2, 2, 1, -1, 2, 0, 4, 4, 0, 0, 9.0f},
        {3, 1, 1, 100, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 1, 0, 4.0f},
        {1, 9, 8, 5, 1, 1, 1, 1, -3, 2, 4, -5, 3, 3, 0, 1, 1.0f},
        {1, 7, 5, 16, 2, 2, 2, 2, 3, 4, 3, 4, 8, 8, 1, 0, 2.0f},
    };
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int32_t k = 0; k < n_isa; k++) {
            const ufd *u = &t[i];
            tr_upfirdn2d_args a;
            memset(&a, 0, sizeof a);
            tr_upfirdn2d_desc *d = &a.d;
            d->n = u->n, d->h = u->h, d->w = u->w, d->c = u->c, d->up_x = u->up_x;
            d->up_y = u->up_y, d->down_x = u->down_x, d->down_y = u->down_y, d->pad_x0 = u->px0;
            d->pad_x1 = u->px1, d->pad_y0 = u->py0, d->pad_y1 = u->py1, d->fh = u->fh;
            d->fw = u->fw, d->separable = u->separable, d->flip = u->flip, d->gain = u->gain;
            d->oh = out_len(u->h, u->up_y, u->py0, u->py1, u->fh, u->down_y);
            d->ow = out_len(u->w, u->up_x, u->px0, u->px1, u->fw, u->down_x);
            tu_rng r;
            tu_rng_seed(&r, 200 + i);
            const int64_t nx = (int64_t)u->n * u->h * u->w * u->c;
            const int64_t ny = (int64_t)u->n * d->oh * d->ow * u->c;
            a.x = kr_operand(nx, &r, 0, 0, 1.0f);
            a.f = kr_operand(u->separable ? u->fw : (int64_t)u->fh * u->fw, &r, 0, 0, 1.0f);
            a.y = kr_output(ny);
            ck_assert(tr_fast_upfirdn2d_applies(d));
            tr_fast_upfirdn2d(tr_fast_isa_table(isas[k]), NULL, &a);
            tr_upfirdn2d_args ref = a;
            ref.y = kr_output(ny);
            tr_cpu_upfirdn2d_f32(NULL, &ref);
            int64_t shape[4] = {u->n, d->oh, d->ow, u->c};
            char what[128];
            snprintf(what, sizeof what, "%s upfirdn2d case %zu", tr_isa_name(isas[k]), i);
            assert_same(a.y, ref.y, ny, 4, shape, what);
            kr_release(a.x), kr_release(a.f), kr_release(a.y), kr_release(ref.y);
        }
}
END_TEST

/* ---- scale_channels ------------------------------------------------------------------ */

START_TEST(fast_scale_channels_is_bitwise_the_reference) {
    static const int32_t shapes[][4] = {{1, 1, 1, 1}, {2, 5, 7, 3}, {1, 9, 6, 17}, {1, 8, 8, 64}};
    static const int32_t adds[] = {-1, 0, 15, 7, 9, 6}; /* -1: none; else mask of the dims */
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    uint64_t seed = 300;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t m = 0; m < sizeof adds / sizeof adds[0]; m++)
            for (int act = 0; act < TR_ACT_COUNT; act++)
                for (int32_t k = 0; k < n_isa; k++) {
                    tr_scale_channels_args a;
                    memset(&a, 0, sizeof a);
                    tr_scale_channels_desc *d = &a.d;
                    d->n = shapes[s][0], d->h = shapes[s][1], d->w = shapes[s][2];
                    d->c = shapes[s][3];
                    d->ep = tr_epilogue_make((tr_act)act);
                    d->ep.gain = 1.41421356f, d->ep.clamp = act % 2 ? 0.5f : 0.0f;
                    const int64_t ys[4] = {d->n, d->h, d->w, d->c},
                                  ny = ys[0] * ys[1] * ys[2] * ys[3];
                    int64_t na = 1;
                    for (int i = 0; i < 4; i++) {
                        d->add_shape[i] = adds[m] >= 0 && (adds[m] >> i & 1) ? ys[i] : 1;
                        na *= d->add_shape[i];
                    }
                    tu_rng r;
                    tu_rng_seed(&r, seed++);
                    float *x = kr_operand(ny, &r, 0, 0, 2.0f);
                    if (ny > 2) x[ny - 1] = INFINITY, x[1] = NAN;
                    a.x = x;
                    if (act % 3) a.scale = kr_operand((int64_t)d->n * d->c, &r, 0, 0, 1.5f);
                    if (adds[m] >= 0) a.add = kr_operand(na, &r, 0, 0, 1.0f);
                    if (act % 2 == 0) a.bias = kr_operand(d->c, &r, 0, 0, 1.0f);
                    tr_scale_channels_args ref = a;
                    ref.y = kr_output(ny);
                    tr_cpu_scale_channels_f32(NULL, &ref);
                    /* in place, as StyleGAN2's graph may run it */
                    a.y = x;
                    tr_fast_scale_channels(tr_fast_isa_table(isas[k]), NULL, &a);
                    char what[128];
                    snprintf(what, sizeof what, "%s scale_channels %zu add %d %s in place",
                             tr_isa_name(isas[k]), s, adds[m], kr_act_names[act]);
                    assert_same(x, ref.y, ny, 4, ys, what);
                    kr_release(x), kr_release(a.scale), kr_release(a.add), kr_release(a.bias);
                    kr_release(ref.y);
                }
}
END_TEST

START_TEST(fast_upsample_nearest_is_bitwise_the_reference) {
    static const int32_t t[][6] = {
        {1, 1, 1, 1, 2, 2}, {2, 3, 5, 7, 2, 2}, {1, 4, 3, 64, 3, 1}, {1, 2, 2, 3, 1, 4}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        const int32_t n = t[i][0], h = t[i][1], w = t[i][2], c = t[i][3], fy = t[i][4],
                      fx = t[i][5];
        const int64_t nx = (int64_t)n * h * w * c, ny = nx * fy * fx;
        int64_t shape[4] = {n, h * fy, w * fx, c};
        tu_rng r;
        tu_rng_seed(&r, 400 + i);
        float *x = kr_operand(nx, &r, 0, 0, 1.0f), *y = kr_output(ny), *ref = kr_output(ny);
        tryon_ctx *ctx = tu_ctx(2);
        tr_fast_upsample_nearest(ctx->pool, n, h, w, c, fy, fx, x, y);
        tr_cpu_upsample_nearest_f32(NULL, n, h, w, c, fy, fx, x, ref);
        assert_same(y, ref, ny, 4, shape, "upsample_nearest");
        tryon_ctx_free(ctx);
        kr_release(x), kr_release(y), kr_release(ref);
    }
}
END_TEST

START_TEST(fast_resize_bilinear_is_bitwise_the_reference) {
    /* every mode, u8 and f32 input, up and down, 1-pixel sizes, wide rows
     * (more than one coordinate chunk) */
    static const int32_t t[][6] = {{1, 385, 385, 3, 385, 385}, {2, 7, 9, 3, 20, 31},
                                   {1, 50, 600, 2, 17, 301},   {1, 1, 1, 4, 3, 5},
                                   {1, 9, 1, 1, 1, 7},         {1, 13, 11, 17, 13, 11}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int mode = 0; mode < TR_RESIZE_COUNT; mode++)
            for (int u8 = 0; u8 <= 1; u8++) {
                tr_resize_desc d = {
                    t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], (tr_resize_mode)mode};
                const int64_t nx = (int64_t)d.n * d.h * d.w * d.c,
                              ny = (int64_t)d.n * d.oh * d.ow * d.c;
                tu_rng r;
                tu_rng_seed(&r, 500 + i);
                float *xf = kr_operand(nx, &r, 0, 0, 100.0f);
                uint8_t *xu = malloc((size_t)nx);
                for (int64_t k = 0; k < nx; k++) xu[k] = (uint8_t)tu_rng_int(&r, 0, 255);
                float *y = kr_output(ny), *ref = kr_output(ny);
                tryon_ctx *ctx = tu_ctx(2);
                tr_fast_resize_bilinear(ctx->pool, &d, u8 ? NULL : xf, u8 ? xu : NULL, y);
                if (u8)
                    tr_cpu_resize_bilinear_u8_f32(NULL, &d, xu, ref);
                else
                    tr_cpu_resize_bilinear_f32(NULL, &d, xf, ref);
                int64_t shape[4] = {d.n, d.oh, d.ow, d.c};
                char what[96];
                snprintf(what, sizeof what, "resize case %zu mode %d %s", i, mode,
                         u8 ? "u8" : "f32");
                assert_same(y, ref, ny, 4, shape, what);
                tryon_ctx_free(ctx);
                kr_release(xf), kr_release(y), kr_release(ref);
                free(xu);
            }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_fast_misc");
    TCase *tc = tcase_create("fast_misc");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, fast_instance_norm_is_bitwise_the_reference);
    tcase_add_test(tc, fast_upfirdn2d_is_bitwise_the_reference);
    tcase_add_test(tc, fast_scale_channels_is_bitwise_the_reference);
    tcase_add_test(tc, fast_upsample_nearest_is_bitwise_the_reference);
    tcase_add_test(tc, fast_resize_bilinear_is_bitwise_the_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
