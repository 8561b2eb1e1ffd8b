/* test_kernels_fast_winograd.c — the Winograd F(4x4, 3x3) conv2d of
 * kernels/fast/winograd.c against its stated error bound, for every ISA
 * this machine runs.
 *
 * Bound (winograd.c): with E = |A^T| [ sum_ci (|G||g||G^T|) (.) (|B^T||d||B|) ] |A|
 * per 4x4 tile and output channel, the computed pre-epilogue output is within
 * gamma_{C_in + 17} * E of the exact convolution. The oracle here computes the
 * exact convolution in double from the padded input it builds itself, and E
 * from its own copies of the transform matrices; every output must satisfy
 * the bound. With operands and activations the result is compared with the
 * reference kernel through tests/fast_util.h, the accumulators' difference
 * being bounded by gamma_{C_in+17} E + 2 gamma_{K+2} S.
 * The bound is loose (measured errors are ~0.1-0.3 u E against the bound's
 * (C_in + 17) u E), so a separate check makes Winograd exact: inputs in
 * {-1, 0, 1} and weights in 9 * {-1, 0, 1} turn every transformed weight
 * into a multiple of 2^-6 (G's denominators are 2^k * 3), every intermediate
 * into a multiple of 2^-6 no larger than E, so with E < 2^18 all of them are
 * exact in f32 and the output must equal the exact convolution bit for bit;
 * a wrong transform coefficient or index cannot pass that.
 * Shapes: outputs that are not multiples of the 4x4 tile (1x1, 5x7, 13x9),
 * 1, 3 and 17 input channels, 1, 5, 33 and 70 output channels (tails and
 * several panels), every padding mode with asymmetric pads, batch 2, more
 * tiles than one block; and the measured error next to the bound in
 * verbose mode. */
#include "fast_util.h"
#include "util.h"

static const double BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
static const double G[6][3] = {{1.0 / 4, 0, 0},
                               {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                               {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                               {1.0 / 24, 1.0 / 12, 1.0 / 6},
                               {1.0 / 24, -1.0 / 12, 1.0 / 6},
                               {0, 0, 1}};
static const double AT[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

static int32_t src_coord(int32_t p, int32_t n, tr_pad_mode m) {
    if (p >= 0 && p < n) return p;
    if (m == TR_PAD_ZEROS) return -1;
    if (m == TR_PAD_REPLICATE || n == 1) return p < 0 ? 0 : n - 1;
    int32_t period = 2 * (n - 1), q = ((p % period) + period) % period;
    return q < n ? q : period - q;
}

/* Input value at padded position (py, px) of image n (0 outside for zeros). */
static double at(const tr_conv2d_args *a, int32_t n, int32_t py, int32_t px, int32_t c) {
    const tr_conv2d_desc *d = &a->d;
    int32_t sy = src_coord(py - d->pad_top, d->h, d->pad_mode);
    int32_t sx = src_coord(px - d->pad_left, d->w, d->pad_mode);
    if (sy < 0 || sx < 0) return 0;
    return a->x[(((int64_t)n * d->h + sy) * d->w + sx) * d->c_in + c];
}

/* exact[i] and E[i] per output (no operands, no epilogue). */
static void oracle(const tr_conv2d_args *a, double *exact, double *e) {
    const tr_conv2d_desc *d = &a->d;
    const int32_t ci = d->c_in, co = d->c_out;
    /* |G| |g| |G^T| per (o, i) */
    double *uabs = malloc((size_t)co * ci * 36 * sizeof *uabs);
    for (int32_t o = 0; o < co; o++)
        for (int32_t i = 0; i < ci; i++)
            for (int32_t p = 0; p < 6; p++)
                for (int32_t q = 0; q < 6; q++) {
                    double s = 0;
                    for (int32_t ky = 0; ky < 3; ky++)
                        for (int32_t kx = 0; kx < 3; kx++)
                            s += fabs(G[p][ky]) *
                                 fabs(a->w[(((int64_t)o * 3 + ky) * 3 + kx) * ci + i]) *
                                 fabs(G[q][kx]);
                    uabs[(((int64_t)o * ci + i) * 6 + p) * 6 + q] = s;
                }
    double *vabs = malloc((size_t)ci * 36 * sizeof *vabs);
    for (int32_t n = 0; n < d->n; n++)
        for (int32_t ty = 0; ty * 4 < d->oh; ty++)
            for (int32_t tx = 0; tx * 4 < d->ow; tx++) {
                for (int32_t i = 0; i < ci; i++)
                    for (int32_t p = 0; p < 6; p++)
                        for (int32_t q = 0; q < 6; q++) {
                            double s = 0;
                            for (int32_t r = 0; r < 6; r++)
                                for (int32_t c = 0; c < 6; c++)
                                    s += fabs(BT[p][r]) *
                                         fabs(at(a, n, ty * 4 + r, tx * 4 + c, i)) * fabs(BT[q][c]);
                            vabs[((int64_t)i * 6 + p) * 6 + q] = s;
                        }
                for (int32_t o = 0; o < co; o++) {
                    double m[6][6] = {{0}};
                    for (int32_t i = 0; i < ci; i++)
                        for (int32_t p = 0; p < 6; p++)
                            for (int32_t q = 0; q < 6; q++)
                                m[p][q] += uabs[(((int64_t)o * ci + i) * 6 + p) * 6 + q] *
                                           vabs[((int64_t)i * 6 + p) * 6 + q];
                    for (int32_t yy = 0; yy < 4 && ty * 4 + yy < d->oh; yy++)
                        for (int32_t xx = 0; xx < 4 && tx * 4 + xx < d->ow; xx++) {
                            const int32_t oy = ty * 4 + yy, ox = tx * 4 + xx;
                            double ev = 0, acc = 0;
                            for (int32_t p = 0; p < 6; p++)
                                for (int32_t q = 0; q < 6; q++)
                                    ev += fabs(AT[yy][p]) * m[p][q] * fabs(AT[xx][q]);
                            for (int32_t ky = 0; ky < 3; ky++)
                                for (int32_t kx = 0; kx < 3; kx++)
                                    for (int32_t i = 0; i < ci; i++)
                                        acc += at(a, n, oy + ky, ox + kx, i) *
                                               a->w[(((int64_t)o * 3 + ky) * 3 + kx) * ci + i];
                            const int64_t idx = (((int64_t)n * d->oh + oy) * d->ow + ox) * co + o;
                            exact[idx] = acc;
                            e[idx] = ev;
                        }
                }
            }
    free(uabs), free(vabs);
}

static fu_conv wino_case(int32_t n, int32_t h, int32_t w, int32_t ci, int32_t co, int32_t pt,
                         int32_t pb, int32_t pl, int32_t pr, tr_pad_mode mode) {
    fu_conv c = {FU_SHAPE(n, h, w, ci, co, 3, 3), FU_PAD(pt, pb, pl, pr), .mode = mode};
    c.ep = tr_epilogue_make(TR_ACT_NONE);
    return fu_norm(c);
}

static const fu_conv *cases(size_t *count) {
    static fu_conv t[12];
    size_t n = 0;
    t[n++] = wino_case(1, 1, 1, 3, 5, 1, 1, 1, 1, TR_PAD_ZEROS); /* one partial tile */
    t[n++] = wino_case(1, 5, 7, 17, 33, 1, 1, 1, 1, TR_PAD_REFLECT);
    t[n++] = wino_case(2, 13, 9, 1, 70, 0, 2, 2, 0, TR_PAD_REPLICATE);
    t[n++] = wino_case(1, 16, 16, 40, 36, 1, 1, 1, 1, TR_PAD_REFLECT);
    t[n++] = wino_case(1, 21, 18, 24, 17, 2, 0, 1, 1, TR_PAD_ZEROS);
    t[n++] = wino_case(1, 44, 40, 8, 1, 1, 1, 1, 1, TR_PAD_ZEROS); /* 110 tiles: blocks */
    t[n++] = wino_case(1, 10, 10, 64, 64, 1, 1, 1, 1, TR_PAD_REFLECT);
    *count = n;
    return t;
}

START_TEST(winograd_within_its_error_bound) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    size_t nc;
    const fu_conv *t = cases(&nc);
    char what[400], desc[320];
    for (size_t i = 0; i < nc; i++) {
        tu_rng r;
        tu_rng_seed(&r, 100 + i);
        tr_conv2d_args a = fu_setup(&t[i], &r, 0);
        const int64_t ny = fu_ny(&a);
        int64_t shape[4] = {a.d.n, a.d.oh, a.d.ow, a.d.c_out};
        double *exact = malloc((size_t)ny * sizeof *exact), *e = malloc((size_t)ny * sizeof *e);
        double *tol = malloc((size_t)ny * sizeof *tol);
        oracle(&a, exact, e);
        for (int64_t k = 0; k < ny; k++) tol[k] = kr_gamma(a.d.c_in + 17) * e[k] + KR_TINY;
        fu_str(&t[i], desc, sizeof desc);
        for (int32_t k = 0; k < n_isa; k++) {
            for (int64_t j = 0; j < ny; j++) a.y[j] = NAN;
            ck_assert(fu_run_fast(tr_fast_isa_table(isas[k]), TR_FAST_WINOGRAD, NULL, &a));
            ck_assert(kr_out_guard_ok(a.y, ny));
            snprintf(what, sizeof what, "%s winograd bound: %s", tr_isa_name(isas[k]), desc);
            tu_cmp c = tu_compare_tol(a.y, exact, tol, ny);
            TU_ASSERT_CMP(c, 4, shape, what);
            if (getenv("TRYON_TEST_VERBOSE")) {
                double worst = 0;
                for (int64_t j = 0; j < ny; j++)
                    if (e[j] > 0) worst = fmax(worst, fabs(a.y[j] - exact[j]) / (KR_U * e[j]));
                fprintf(stderr, "  max |err| / (u E) = %.3g (bound: gamma_%d / u = %d)\n", worst,
                        a.d.c_in + 17, a.d.c_in + 17);
            }
        }
        free(exact), free(e), free(tol);
        fu_release(&a);
    }
}
END_TEST

START_TEST(winograd_exact_on_dyadic_data) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    const fu_conv t[] = {
        wino_case(1, 9, 11, 1, 5, 1, 1, 1, 1, TR_PAD_ZEROS),
        wino_case(2, 14, 7, 2, 33, 1, 1, 1, 1, TR_PAD_REFLECT),
        wino_case(1, 21, 19, 1, 17, 0, 2, 2, 0, TR_PAD_REPLICATE),
        wino_case(1, 30, 30, 2, 1, 1, 1, 1, 1, TR_PAD_ZEROS),
    };
    char what[400], desc[320];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        tu_rng r;
        tu_rng_seed(&r, 300 + i);
        tr_conv2d_args a = fu_setup(&t[i], &r, 1);
        const int64_t nx = (int64_t)t[i].n * t[i].h * t[i].w * t[i].cin;
        const int64_t nw = (int64_t)t[i].cout * 9 * t[i].cin;
        /* sparse: a third of the values non-zero */
        for (int64_t j = 0; j < nx; j++)
            ((float *)a.x)[j] = (float)(tu_rng_int(&r, 0, 2) ? 0 : 2 * tu_rng_int(&r, 0, 1) - 1);
        for (int64_t j = 0; j < nw; j++)
            ((float *)a.w)[j] =
                (float)(tu_rng_int(&r, 0, 2) ? 0 : 9 * (2 * tu_rng_int(&r, 0, 1) - 1));
        const int64_t ny = fu_ny(&a);
        int64_t shape[4] = {a.d.n, a.d.oh, a.d.ow, a.d.c_out};
        double *exact = malloc((size_t)ny * sizeof *exact), *e = malloc((size_t)ny * sizeof *e);
        oracle(&a, exact, e);
        double emax = 0;
        for (int64_t j = 0; j < ny; j++) emax = fmax(emax, e[j]);
        fu_str(&t[i], desc, sizeof desc);
        ck_assert_msg(emax < 262144.0, "%s: premise broken, E reaches %g >= 2^18", desc, emax);
        for (int32_t k = 0; k < n_isa; k++) {
            for (int64_t j = 0; j < ny; j++) a.y[j] = NAN;
            ck_assert(fu_run_fast(tr_fast_isa_table(isas[k]), TR_FAST_WINOGRAD, NULL, &a));
            snprintf(what, sizeof what, "%s winograd exact (E <= %g): %s", tr_isa_name(isas[k]),
                     emax, desc);
            kr_assert_exact(a.y, exact, ny, 4, shape, what);
        }
        free(exact), free(e);
        fu_release(&a);
    }
}
END_TEST

START_TEST(winograd_with_operands_and_epilogues) {
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    size_t nc;
    const fu_conv *t = cases(&nc);
    char what[400], desc[320];
    for (size_t i = 0; i < nc; i++)
        for (int act = 0; act < TR_ACT_COUNT; act++) {
            fu_conv c = t[i];
            c.bias = 1, c.in_scale = act % 2, c.out_scale = act % 3 == 0, c.residual = act > 2;
            c.add = act % 2 ? FU_ADD(7) : FU_ADD(15);
            c.ep = tr_epilogue_make((tr_act)act);
            c.ep.gain = 1.41421356f;
            c.ep.clamp = act == TR_ACT_LRELU ? 1.5f : 0.0f;
            tu_rng r;
            tu_rng_seed(&r, 200 + 10 * i + (uint64_t)act);
            tr_conv2d_args a = fu_setup(&c, &r, 0);
            const int64_t ny = fu_ny(&a);
            /* E of the scaled input: the oracle reads x, so scale a copy */
            tr_conv2d_args s = a;
            float *xs = NULL;
            if (a.in_scale) {
                const int64_t nx = (int64_t)c.n * c.h * c.w * c.cin;
                xs = malloc((size_t)nx * sizeof *xs);
                for (int64_t j = 0; j < nx; j++)
                    xs[j] =
                        a.x[j] * a.in_scale[j / ((int64_t)c.h * c.w * c.cin) * c.cin + j % c.cin];
                s.x = xs;
            }
            double *exact = malloc((size_t)ny * sizeof *exact), *e = malloc((size_t)ny * sizeof *e);
            oracle(&s, exact, e);
            for (int64_t j = 0; j < ny; j++) e[j] *= kr_gamma(c.cin + 17);
            fu_str(&c, desc, sizeof desc);
            for (int32_t k = 0; k < n_isa; k++) {
                for (int64_t j = 0; j < ny; j++) a.y[j] = NAN;
                ck_assert(fu_run_fast(tr_fast_isa_table(isas[k]), TR_FAST_WINOGRAD, NULL, &a));
                snprintf(what, sizeof what, "%s winograd: %s", tr_isa_name(isas[k]), desc);
                fu_check(&a, 0, e, what);
            }
            free(exact), free(e), free(xs);
            fu_release(&a);
        }
}
END_TEST

START_TEST(winograd_applies_only_where_it_should) {
    /* 3x3 stride 1, dilation 1, groups 1, f32, C_out <= 512: anything else
     * must be refused (the plan then falls back to the GEMM). */
    const tr_fast_isa *isa = tr_fast_isa_table(tr_isa_best());
    tr_conv2d_desc d;
    memset(&d, 0, sizeof d);
    d.n = 1, d.h = d.w = d.oh = d.ow = 32, d.c_in = d.c_out = 32, d.kh = d.kw = 3;
    d.stride_h = d.stride_w = d.dil_h = d.dil_w = d.groups = 1, d.pad_top = d.pad_left = 1;
    tr_fast_conv f;
    tr_fast_conv2d_plan_algo(isa, &d, 0, TR_FAST_WINOGRAD, 1, &f);
    ck_assert_int_eq(f.algo, TR_FAST_WINOGRAD);
    tr_conv2d_desc bad[5] = {d, d, d, d, d};
    bad[0].stride_w = 2, bad[1].dil_h = 2, bad[2].groups = 2, bad[3].kw = 5;
    bad[4].accum = TR_CONV_ACCUM_ROUND_ONCE;
    for (int i = 0; i < 5; i++) {
        tr_fast_conv2d_plan_algo(isa, &bad[i], 0, TR_FAST_WINOGRAD, 1, &f);
        ck_assert_msg(f.algo == TR_FAST_NONE, "case %d accepted", i);
    }
    /* opt-in: the plan never picks it unless allowed, nor for a handful of
     * tiles (streaming the transformed weights would not pay off) */
    tr_fast_conv2d_plan(isa, &d, 0, 0, 1, &f);
    ck_assert_int_eq(f.algo, TR_FAST_GEMM);
    tr_fast_conv2d_plan(isa, &d, 0, 1, 1, &f);
    ck_assert_int_eq(f.algo, TR_FAST_WINOGRAD);
    d.h = d.w = d.oh = d.ow = 8;
    tr_fast_conv2d_plan(isa, &d, 0, 1, 1, &f);
    ck_assert_int_eq(f.algo, TR_FAST_GEMM);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_fast_winograd");
    TCase *tc = tcase_create("winograd");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, winograd_within_its_error_bound);
    tcase_add_test(tc, winograd_exact_on_dyadic_data);
    tcase_add_test(tc, winograd_with_operands_and_epilogues);
    tcase_add_test(tc, winograd_applies_only_where_it_should);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
