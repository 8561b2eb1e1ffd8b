/* test_kernels_fast_conv.c — the fast conv2d paths of kernels/fast (implicit
 * GEMM, the few-output-channel dot tiles, depthwise; f32 and ROUND_ONCE)
 * against the reference kernel kernels/cpu/conv2d.c, for every ISA this
 * machine runs (AVX-512, AVX2, portable), called directly.
 *
 * Exact data (small integers) must match bit for bit; uniform data within
 * the bound of tests/fast_util.h (2 gamma_{K+2} sum|x s w| through the
 * epilogue); ROUND_ONCE bit for bit on any data. Shapes: 1x1 images and
 * kernels, primes, odd sizes, channel counts that are not multiples of the
 * vector widths (1, 3, 5, 17, 33), stride larger than the kernel, dilation,
 * groups, large K, every padding mode with asymmetric pads, TF-SAME, batch
 * 2, every activation with gain and clamp, in_scale, out_scale, add in every
 * broadcast pattern, residual, NaN and inf inputs; then the layer shapes of
 * the nets (PoseNet, TransformerNet, CycleGAN, StyleGAN2), and bitwise
 * equality across thread counts. Guard bands catch writes past the output
 * (tests/kernel_ref.h). Winograd: test_kernels_fast_winograd.c. */
#include "fast_util.h"
#include "util.h"

/* Runs every applicable fast algorithm of c on every ISA and checks each. */
static void check_case(const fu_conv *c0, int exact, uint64_t seed) {
    fu_conv c = fu_norm(*c0);
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    const tr_fast_algo algos[] = {TR_FAST_GEMM, TR_FAST_DOT, TR_FAST_DEPTHWISE};
    char what[400], desc[320];
    fu_str(&c, desc, sizeof desc);
    for (int32_t i = 0; i < n_isa; i++)
        for (size_t k = 0; k < sizeof algos / sizeof algos[0]; k++) {
            tu_rng r;
            tu_rng_seed(&r, seed);
            tr_conv2d_args a = fu_setup(&c, &r, exact);
            if (fu_run_fast(tr_fast_isa_table(isas[i]), algos[k], NULL, &a)) {
                snprintf(what, sizeof what, "%s %s: %s", tr_isa_name(isas[i]),
                         tr_fast_algo_name(algos[k]), desc);
                fu_check(&a, exact || c.accum == TR_CONV_ACCUM_ROUND_ONCE, NULL, what);
            }
            fu_release(&a);
        }
}

static int mode_ok(const fu_conv *c) {
    return c->mode != TR_PAD_REFLECT ||
           (c->pt < c->h && c->pb < c->h && c->pl < c->w && c->pr < c->w);
}

/* Each case in every padding mode that accepts it, exact and uniform. */
static void check_table(const fu_conv *t, size_t nt, uint64_t seed) {
    for (size_t i = 0; i < nt; i++)
        for (int m = 0; m < TR_PAD_COUNT; m++) {
            fu_conv c = t[i];
            c.mode = (tr_pad_mode)m;
            if (!mode_ok(&c)) continue;
            check_case(&c, 1, seed + 10 * i + (uint64_t)m);
            check_case(&c, 0, seed + 10 * i + 5 + (uint64_t)m);
        }
}

START_TEST(fast_conv_edge_shapes) {
    static const fu_conv t[] = {
        {FU_SHAPE(1, 1, 1, 1, 1, 1, 1)},
        {FU_SHAPE(1, 1, 1, 5, 17, 1, 1)},
        {FU_SHAPE(1, 1, 1, 3, 2, 3, 3), FU_PAD(1, 1, 1, 1)}, /* 1x1 image, 3x3 kernel */
        {FU_SHAPE(1, 7, 13, 3, 33, 3, 3), FU_PAD(1, 1, 1, 1)},
        {FU_SHAPE(2, 11, 5, 17, 5, 3, 3), FU_PAD(0, 2, 2, 0)},
        {FU_SHAPE(1, 13, 29, 1, 40, 2, 5), FU_PAD(1, 0, 2, 2)}, /* odd kernel, 29 > a tile */
        {FU_SHAPE(1, 9, 10, 16, 16, 1, 1), .sh = 3, .sw = 3},   /* stride > kernel */
        {FU_SHAPE(1, 10, 11, 6, 7, 2, 2), .sh = 3, .sw = 3},
        {FU_SHAPE(1, 12, 17, 5, 19, 3, 3), FU_PAD(2, 2, 4, 4), .dh = 2, .dw = 4},
        {FU_SHAPE(1, 9, 9, 600, 9, 3, 3), FU_PAD(1, 1, 1, 1)}, /* K = 5400 */
        {FU_SHAPE(1, 6, 31, 8, 65, 3, 3), FU_PAD(1, 1, 1, 1)}, /* three panels, 31 = 2 tiles + 3 */
        {FU_SHAPE(2, 8, 8, 6, 9, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 3},
        {FU_SHAPE(1, 7, 9, 8, 34, 5, 3), FU_PAD(2, 2, 1, 1), .groups = 2},
        /* depthwise: 1, 5, 17, 33 and 70 channels, strides 1 and 2 */
        {FU_SHAPE(1, 7, 9, 1, 1, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 1},
        {FU_SHAPE(1, 8, 8, 5, 5, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .groups = 5},
        {FU_SHAPE(2, 9, 7, 17, 17, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 17},
        {FU_SHAPE(1, 11, 13, 33, 33, 3, 3), FU_PAD(1, 1, 0, 1), .sh = 2, .groups = 33},
        {FU_SHAPE(1, 6, 70, 70, 70, 5, 3), FU_PAD(2, 2, 1, 1), .dw = 2, .groups = 70},
        /* few output channels (the dot tiles), with strides and dilation */
        {FU_SHAPE(1, 17, 19, 32, 3, 9, 9), FU_PAD(4, 4, 4, 4)},
        {FU_SHAPE(1, 9, 11, 19, 2, 5, 5), FU_PAD(2, 1, 0, 3), .sh = 2, .sw = 3},
        {FU_SHAPE(2, 6, 7, 64, 4, 1, 1)},
        {FU_SHAPE(1, 10, 9, 7, 1, 3, 3), FU_PAD(2, 2, 2, 2), .dh = 2, .dw = 2},
    };
    check_table(t, sizeof t / sizeof t[0], 1000);
}
END_TEST

START_TEST(fast_conv_optional_operands_and_epilogues) {
    /* Every operand present, every activation with gain and clamp; exact
     * data uses power-of-two gains and slopes so that they stay exact. */
    static const fu_conv shapes[] = {
        {FU_SHAPE(2, 7, 9, 6, 35, 3, 3), FU_PAD(1, 1, 1, 1)},
        {FU_SHAPE(2, 5, 6, 8, 3, 3, 3), FU_PAD(1, 1, 1, 1)},
        {FU_SHAPE(2, 6, 5, 9, 9, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 9},
    };
    static const int32_t adds[] = {0, FU_ADD(15), FU_ADD(8), FU_ADD(7), FU_ADD(9), FU_ADD(6)};
    uint64_t seed = 2000;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int act = 0; act < TR_ACT_COUNT; act++)
            for (size_t k = 0; k < sizeof adds / sizeof adds[0]; k++) {
                fu_conv c = shapes[s];
                c.bias = 1, c.in_scale = k % 2, c.out_scale = k % 3 != 0, c.residual = k > 2;
                c.add = adds[k];
                c.ep = tr_epilogue_make((tr_act)act);
                c.ep.gain = k % 2 ? 2.0f : 0.5f;
                c.ep.alpha = 0.25f;
                c.ep.clamp = k % 3 == 2 ? 3.0f : 0.0f;
                if (act < TR_ACT_TANH) check_case(&c, 1, seed++);
                c.ep.gain = k % 2 ? 1.41421356f : 1.0f;
                c.ep.clamp = k % 3 == 2 ? 0.75f : 0.0f;
                check_case(&c, 0, seed++);
            }
}
END_TEST

/* A valid random case (the reference suite's generator, with wider channel
 * counts so that panels, tails and several groups all occur). */
static fu_conv random_case(tu_rng *r, int exact) {
    for (;;) {
        fu_conv c = {FU_SHAPE(tu_rng_int(r, 1, 2), tu_rng_int(r, 1, 12), tu_rng_int(r, 1, 20), 1, 1,
                              tu_rng_int(r, 1, 5), tu_rng_int(r, 1, 5))};
        c.ep = tr_epilogue_make(TR_ACT_NONE);
        c = fu_norm(c);
        int32_t kind = tu_rng_int(r, 0, 3);
        if (kind == 3) { /* depthwise */
            c.groups = tu_rng_int(r, 1, 40), c.cin = c.cout = c.groups;
        } else {
            c.groups = kind + 1;
            c.cin = c.groups * tu_rng_int(r, 1, 20), c.cout = c.groups * tu_rng_int(r, 1, 40);
        }
        c.sh = tu_rng_int(r, 1, 4), c.sw = tu_rng_int(r, 1, 4);
        c.dh = tu_rng_int(r, 1, 3), c.dw = tu_rng_int(r, 1, 3);
        c.mode = (tr_pad_mode)tu_rng_int(r, 0, TR_PAD_COUNT - 1);
        int32_t mh = c.mode == TR_PAD_REFLECT ? (c.h - 1 < 4 ? c.h - 1 : 4) : 4;
        int32_t mw = c.mode == TR_PAD_REFLECT ? (c.w - 1 < 4 ? c.w - 1 : 4) : 4;
        c.pt = tu_rng_int(r, 0, mh), c.pb = tu_rng_int(r, 0, mh);
        c.pl = tu_rng_int(r, 0, mw), c.pr = tu_rng_int(r, 0, mw);
        if (fu_out(c.h, c.pt + c.pb, c.kh, c.sh, c.dh) < 1 ||
            fu_out(c.w, c.pl + c.pr, c.kw, c.sw, c.dw) < 1)
            continue;
        c.bias = tu_rng_int(r, 0, 1), c.in_scale = tu_rng_int(r, 0, 1);
        c.out_scale = tu_rng_int(r, 0, 1), c.residual = tu_rng_int(r, 0, 1);
        c.add = tu_rng_int(r, 0, 1) ? FU_ADD(tu_rng_int(r, 0, 15)) : 0;
        c.ep = tr_epilogue_make((tr_act)tu_rng_int(r, 0, exact ? TR_ACT_LRELU : TR_ACT_COUNT - 1));
        c.ep.alpha = 0.25f;
        c.ep.gain = exact ? 2.0f : 1.41421356f;
        c.ep.clamp = tu_rng_int(r, 0, 1) ? 0.0f : 5.0f;
        return c;
    }
}

START_TEST(fast_conv_random_configurations) {
    tu_rng r;
    tu_rng_seed(&r, 3000);
    for (int i = 0; i < 120; i++) {
        int exact = i % 2;
        fu_conv c = random_case(&r, exact);
        check_case(&c, exact, 3100 + (uint64_t)i);
    }
}
END_TEST

START_TEST(fast_conv_round_once_is_bitwise) {
    /* TF.js's accumulation on uniform data: the fast GEMM and depthwise
     * paths must give the reference's (and so TF.js's) bits, including
     * TF-SAME's asymmetric padding, strides, in_scale and tails. */
    static const fu_conv t[] = {
        {FU_SHAPE(1, 13, 13, 48, 96, 1, 1)}, /* pointwise */
        {FU_SHAPE(1, 9, 17, 3, 24, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2},
        {FU_SHAPE(1, 25, 25, 24, 24, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 24},
        {FU_SHAPE(1, 26, 26, 40, 40, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .groups = 40},
        {FU_SHAPE(2, 7, 11, 19, 37, 3, 3), FU_PAD(1, 1, 1, 1), .dh = 2},
        {FU_SHAPE(1, 5, 31, 70, 17, 1, 1), .in_scale = 1, .bias = 1},
        {FU_SHAPE(1, 6, 6, 13, 13, 3, 3), FU_PAD(2, 2, 2, 2), .dh = 2, .dw = 2, .groups = 13},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int act = 0; act < TR_ACT_COUNT; act++) {
            fu_conv c = t[i];
            c.accum = TR_CONV_ACCUM_ROUND_ONCE;
            c.ep = tr_epilogue_make((tr_act)act);
            c.bias = 1;
            check_case(&c, 0, 4000 + 10 * i + (uint64_t)act);
        }
}
END_TEST

START_TEST(fast_conv_net_layer_shapes) {
    /* The layers of the nets at reduced spatial size (same kernels, channels,
     * strides, paddings and operands), through the algorithm the plan picks
     * and through the plain GEMM. */
    static const fu_conv t[] = {
        /* PoseNet (MobileNetV1 x0.75, TF-SAME, relu6, ROUND_ONCE) */
        {FU_SHAPE(1, 33, 33, 3, 24, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .bias = 1,
         .accum = TR_CONV_ACCUM_ROUND_ONCE},
        {FU_SHAPE(1, 17, 17, 96, 96, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .groups = 96,
         .bias = 1, .accum = TR_CONV_ACCUM_ROUND_ONCE},
        {FU_SHAPE(1, 13, 13, 384, 384, 1, 1), .bias = 1, .accum = TR_CONV_ACCUM_ROUND_ONCE},
        {FU_SHAPE(1, 13, 13, 768, 17, 1, 1), .bias = 1, .accum = TR_CONV_ACCUM_ROUND_ONCE},
        {FU_SHAPE(1, 17, 17, 96, 96, 1, 1), .bias = 1}, /* the same in f32 */
        {FU_SHAPE(1, 17, 17, 96, 96, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 96, .bias = 1},
        /* TransformerNet: 9x9 3->32 reflect, 3x3 s2, 3x3 128, 9x9 32->3 */
        {FU_SHAPE(1, 24, 20, 3, 32, 9, 9), FU_PAD(4, 4, 4, 4), .mode = TR_PAD_REFLECT, .bias = 1},
        {FU_SHAPE(1, 24, 20, 32, 64, 3, 3), FU_PAD(1, 1, 1, 1), .sh = 2, .sw = 2,
         .mode = TR_PAD_REFLECT, .bias = 1},
        {FU_SHAPE(1, 10, 12, 128, 128, 3, 3), FU_PAD(1, 1, 1, 1), .mode = TR_PAD_REFLECT,
         .bias = 1},
        {FU_SHAPE(1, 24, 20, 32, 3, 9, 9), FU_PAD(4, 4, 4, 4), .mode = TR_PAD_REFLECT, .bias = 1},
        /* CycleGAN ResNet-9: 7x7 3->64, 3x3 s2 zeros, 3x3 256 reflect, 7x7 64->3 tanh */
        {FU_SHAPE(1, 20, 18, 3, 64, 7, 7), FU_PAD(3, 3, 3, 3), .mode = TR_PAD_REFLECT, .bias = 1},
        {FU_SHAPE(1, 20, 18, 64, 128, 3, 3), FU_PAD(1, 1, 1, 1), .sh = 2, .sw = 2, .bias = 1},
        {FU_SHAPE(1, 8, 9, 256, 256, 3, 3), FU_PAD(1, 1, 1, 1), .mode = TR_PAD_REFLECT, .bias = 1},
        {FU_SHAPE(1, 20, 18, 64, 3, 7, 7), FU_PAD(3, 3, 3, 3), .mode = TR_PAD_REFLECT, .bias = 1,
         .ep = {TR_ACT_TANH, 0.2f, 1.0f, 0.0f}},
        /* StyleGAN2: modulated 3x3 (in/out scale, noise add, bias, lrelu gain, clamp,
         * residual), ToRGB 1x1 -> 3 with in_scale */
        {FU_SHAPE(1, 4, 4, 512, 512, 3, 3), FU_PAD(1, 1, 1, 1), .in_scale = 1, .out_scale = 1,
         .add = FU_ADD(7), .bias = 1, .residual = 1,
         .ep = {TR_ACT_LRELU, 0.2f, 1.41421356f, 256.0f}},
        {FU_SHAPE(2, 9, 9, 64, 64, 3, 3), FU_PAD(1, 1, 1, 1), .in_scale = 1, .out_scale = 1,
         .add = FU_ADD(7), .bias = 1, .ep = {TR_ACT_LRELU, 0.2f, 1.41421356f, 256.0f}},
        {FU_SHAPE(1, 16, 16, 512, 3, 1, 1), .in_scale = 1, .bias = 1,
         .ep = {TR_ACT_NONE, 0.2f, 1.0f, 256.0f}},
    };
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    char what[400], desc[320];
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fu_conv c = t[i];
        if (c.ep.gain == 0) c.ep = tr_epilogue_make(TR_ACT_RELU6); /* unset: PoseNet's */
        c = fu_norm(c);
        fu_str(&c, desc, sizeof desc);
        const int ro = c.accum == TR_CONV_ACCUM_ROUND_ONCE;
        for (int32_t k = 0; k < n_isa; k++) {
            const tr_fast_isa *isa = tr_fast_isa_table(isas[k]);
            tu_rng r;
            tu_rng_seed(&r, 5000 + i);
            tr_conv2d_args a = fu_setup(&c, &r, 0);
            tr_fast_conv f;
            tr_fast_conv2d_plan(isa, &a.d, c.in_scale, 0, 1, &f);
            ck_assert_msg(f.algo != TR_FAST_NONE, "%s: no fast algorithm", desc);
            ck_assert(fu_run_fast(isa, f.algo, NULL, &a));
            snprintf(what, sizeof what, "%s %s (planned): %s", tr_isa_name(isas[k]),
                     tr_fast_algo_name(f.algo), desc);
            fu_check(&a, ro, NULL, what);
            fu_release(&a);
        }
        check_case(&c, 1, 5100 + i);
    }
}
END_TEST

START_TEST(fast_conv_nan_and_inf_propagate) {
    /* NaN and +-inf inputs reach the same outputs as in the reference (the
     * fast kernels add zero runs for zero padding, which changes nothing for
     * finite weights). */
    static const fu_conv t[] = {
        {FU_SHAPE(1, 9, 11, 5, 20, 3, 3), FU_PAD(1, 1, 1, 1), .bias = 1},
        {FU_SHAPE(1, 9, 11, 8, 2, 3, 3), FU_PAD(1, 1, 1, 1)},
        {FU_SHAPE(1, 9, 11, 7, 7, 3, 3), FU_PAD(1, 1, 1, 1), .groups = 7},
    };
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    const tr_fast_algo algos[] = {TR_FAST_GEMM, TR_FAST_DOT, TR_FAST_DEPTHWISE};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int32_t k = 0; k < n_isa; k++)
            for (size_t m = 0; m < 3; m++) {
                fu_conv c = fu_norm(t[i]);
                c.ep = tr_epilogue_make(TR_ACT_RELU);
                tu_rng r;
                tu_rng_seed(&r, 6000 + i);
                tr_conv2d_args a = fu_setup(&c, &r, 1);
                float *x = (float *)a.x;
                x[3] = NAN, x[40] = INFINITY, x[41 + c.cin] = -INFINITY;
                if (fu_run_fast(tr_fast_isa_table(isas[k]), algos[m], NULL, &a)) {
                    char what[64];
                    snprintf(what, sizeof what, "%s %s nan/inf", tr_isa_name(isas[k]),
                             tr_fast_algo_name(algos[m]));
                    fu_check(&a, 1, NULL, what);
                }
                fu_release(&a);
            }
}
END_TEST

START_TEST(fast_conv_bitwise_identical_across_threads) {
    /* Each output's taps are summed by one micro-kernel call in a fixed
     * order, so 1..4 threads (and repeated runs) give the same bits; also
     * for Winograd and ROUND_ONCE. */
    static const fu_conv t[] = {
        {FU_SHAPE(2, 19, 23, 24, 40, 3, 3), FU_PAD(1, 2, 0, 1), .sh = 2, .mode = TR_PAD_REFLECT,
         .bias = 1, .in_scale = 1, .out_scale = 1, .residual = 1, .add = FU_ADD(9),
         .ep = {TR_ACT_TANH, 0.2f, 1.0f, 0.0f}},
        {FU_SHAPE(1, 22, 21, 40, 36, 3, 3), FU_PAD(1, 1, 1, 1), .bias = 1,
         .ep = {TR_ACT_LRELU, 0.2f, 1.41421356f, 0.0f}},
        {FU_SHAPE(1, 21, 22, 16, 3, 7, 7), FU_PAD(3, 3, 3, 3), .mode = TR_PAD_REFLECT},
        {FU_SHAPE(1, 20, 20, 32, 32, 3, 3), FU_PAD(0, 1, 0, 1), .sh = 2, .sw = 2, .groups = 32,
         .accum = TR_CONV_ACCUM_ROUND_ONCE},
        {FU_SHAPE(1, 20, 20, 48, 40, 1, 1), .accum = TR_CONV_ACCUM_ROUND_ONCE},
    };
    const tr_fast_algo algos[] = {TR_FAST_GEMM, TR_FAST_WINOGRAD, TR_FAST_DOT, TR_FAST_DEPTHWISE};
    tr_isa isas[TR_ISA_COUNT];
    const int32_t n_isa = fu_isas(isas);
    for (int32_t k = 0; k < n_isa; k++)
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
            for (size_t m = 0; m < sizeof algos / sizeof algos[0]; m++) {
                fu_conv c = fu_norm(t[i]);
                float *first = NULL;
                int64_t ny = 0;
                for (int32_t threads = 1; threads <= 4; threads++)
                    for (int rep = 0; rep < 2; rep++) {
                        tryon_ctx *ctx = tu_ctx(threads);
                        tu_rng r;
                        tu_rng_seed(&r, 7000 + i);
                        tr_conv2d_args a = fu_setup(&c, &r, 0);
                        ny = fu_ny(&a);
                        int ran = fu_run_fast(tr_fast_isa_table(isas[k]), algos[m], ctx->pool, &a);
                        if (ran && !first) {
                            first = malloc((size_t)ny * sizeof *first);
                            memcpy(first, a.y, (size_t)ny * sizeof *first);
                        } else if (ran) {
                            ck_assert_msg(!memcmp(first, a.y, (size_t)ny * sizeof *first),
                                          "%s %s case %zu: %d threads differ", tr_isa_name(isas[k]),
                                          tr_fast_algo_name(algos[m]), i, threads);
                        }
                        fu_release(&a);
                        tryon_ctx_free(ctx);
                    }
                free(first);
            }
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("kernels_fast_conv");
    TCase *tc = tcase_create("fast_conv");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fast_conv_edge_shapes);
    tcase_add_test(tc, fast_conv_optional_operands_and_epilogues);
    tcase_add_test(tc, fast_conv_random_configurations);
    tcase_add_test(tc, fast_conv_round_once_is_bitwise);
    tcase_add_test(tc, fast_conv_net_layer_shapes);
    tcase_add_test(tc, fast_conv_nan_and_inf_propagate);
    tcase_add_test(tc, fast_conv_bitwise_identical_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run_suite(suite()); }
