/* emu_ops.cu — host emulation of the CUDA elementwise, data movement,
 * resampling, normalisation, StyleGAN2 and PoseNet kernels (see
 * emu_util.cuh): every op's device code against its CPU reference kernel,
 * bitwise, in F32 and (where the op runs in reduced precision) F16/BF16
 * storage, on edge shapes, broadcasts, NaN inputs and every mode. */
#include "emu_util.cuh"
#include "eltwise.cuh"
#include "movement.cuh"
#include "norm.cuh"
#include "posenet.cuh"
#include "resample.cuh"

/* ---- elementwise --------------------------------------------------------------- */

template <typename T> static void check_binary(const int64_t as[4], const int64_t bs[4]) {
    const tryon_dtype dt = emu_dtype<T>();
    int64_t ys[4];
    for (int i = 0; i < 4; i++) ys[i] = as[i] > bs[i] ? as[i] : bs[i];
    int64_t na = as[0] * as[1] * as[2] * as[3], nb = bs[0] * bs[1] * bs[2] * bs[3];
    int64_t ny = ys[0] * ys[1] * ys[2] * ys[3];
    float *a = emu_floats(na), *b = emu_floats(nb), *ref = emu_floats(ny), *got = emu_floats(ny);
    tu_rng r;
    tu_rng_seed(&r, 11);
    tu_fill_uniform(a, na, &r, -4, 4);
    tu_fill_uniform(b, nb, &r, -4, 4);
    a[0] = NAN;
    emu_round_all(a, na, dt);
    emu_round_all(b, nb, dt);
    T *ta = emu_store<T>(a, na), *tb = emu_store<T>(b, nb), *ty = emu_store<T>(got, ny);
    for (int op = 0; op < TR_BINARY_COUNT; op++) {
        tr_cpu_binary_f32(NULL, (tr_binary_op)op, a, as, b, bs, ref, ys);
        emu_round_all(ref, ny, dt);
        tr_binary_p<T> p;
        p.op = (tr_binary_op)op, p.a = ta, p.b = tb, p.y = ty;
        memcpy(p.ys, ys, sizeof p.ys);
        tr_bstrides(as, ys, p.sa);
        tr_bstrides(bs, ys, p.sb);
        emu_run(p, ny);
        emu_load(ty, got, ny);
        EMU_EXACT(got, ref, ny, 4, ys, "binary");
    }
    free(a), free(b), free(ref), free(got), free(ta), free(tb), free(ty);
}

START_TEST(binary_broadcasts_like_the_cpu) {
    const int64_t shapes[][2][4] = {{{2, 3, 5, 7}, {2, 3, 5, 7}},
                                    {{2, 3, 5, 7}, {1, 1, 1, 7}},
                                    {{1, 3, 1, 7}, {2, 1, 5, 1}},
                                    {{1, 1, 1, 1}, {3, 1, 4, 2}}};
    for (int s = 0; s < 4; s++) {
        check_binary<float>(shapes[s][0], shapes[s][1]);
        check_binary<__half>(shapes[s][0], shapes[s][1]);
        check_binary<__nv_bfloat16>(shapes[s][0], shapes[s][1]);
    }
}
END_TEST

template <typename T> static void check_unary(void) {
    const tryon_dtype dt = emu_dtype<T>();
    const int64_t n = 1031;
    float *x = emu_floats(n), *ref = emu_floats(n), *got = emu_floats(n);
    uint8_t u[1031];
    tu_rng r;
    tu_rng_seed(&r, 12);
    tu_fill_uniform(x, n, &r, -8, 8);
    x[3] = NAN, x[4] = INFINITY, x[5] = -INFINITY, x[6] = -0.0f, x[7] = 1e30f;
    for (int64_t i = 0; i < n; i++) u[i] = (uint8_t)tu_rng_int(&r, 0, 255);
    emu_round_all(x, n, dt);
    T *tx = emu_store<T>(x, n), *ty = emu_store<T>(got, n);
    /* scale */
    tr_cpu_scale_f32(NULL, x, n, 0.37f, -1.25f, ref);
    emu_round_all(ref, n, dt);
    tr_scale_p<T> ps = {tx, ty, 0.37f, -1.25f};
    emu_run(ps, n);
    emu_load(ty, got, n);
    EMU_EXACT(got, ref, n, 1, &n, "scale");
    /* every activation, with gain and clamp */
    for (int a = 0; a < TR_ACT_COUNT; a++) {
        tr_epilogue ep = tr_epilogue_make((tr_act)a);
        ep.gain = a % 2 ? 1.4142135f : 1.0f;
        ep.clamp = a % 3 == 0 ? 2.5f : 0.0f;
        tr_cpu_act_f32(NULL, x, n, &ep, ref);
        emu_round_all(ref, n, dt);
        tr_act_p<T> pa = {tx, ty, ep};
        emu_run(pa, n);
        emu_load(ty, got, n);
        EMU_EXACT(got, ref, n, 1, &n, tr_act_name((tr_act)a));
    }
    /* u8 cast */
    tr_cpu_u8_to_f32(NULL, u, n, 1.0f / 127.5f, -1.0f, ref);
    emu_round_all(ref, n, dt);
    tr_cast_u8_p<T> pc = {u, ty, 1.0f / 127.5f, -1.0f};
    emu_run(pc, n);
    emu_load(ty, got, n);
    EMU_EXACT(got, ref, n, 1, &n, "cast_u8");
    free(x), free(ref), free(got), free(tx), free(ty);
}

START_TEST(scale_act_cast_match_the_cpu) {
    check_unary<float>();
    check_unary<__half>();
    check_unary<__nv_bfloat16>();
}
END_TEST

template <typename T> static void check_lerp(void) {
    const tryon_dtype dt = emu_dtype<T>();
    const int64_t as[4] = {1, 1, 1, 37}, bs[4] = {1, 3, 1, 37}, ts[4] = {1, 1, 6, 1};
    const int64_t ys[4] = {1, 3, 6, 37}, ny = 3 * 6 * 37;
    float a[37], b[111], t[6] = {0.7f, -0.3f, 0.5f, 0.49f, 1.0f, 0.0f};
    float *ref = emu_floats(ny), *got = emu_floats(ny);
    tu_rng r;
    tu_rng_seed(&r, 13);
    tu_fill_uniform(a, 37, &r, -2, 2);
    tu_fill_uniform(b, 111, &r, -2, 2);
    emu_round_all(a, 37, dt);
    emu_round_all(b, 111, dt);
    emu_round_all(t, 6, dt);
    tr_cpu_lerp_f32(NULL, a, as, b, bs, t, ts, ref, ys);
    emu_round_all(ref, ny, dt);
    tr_lerp_p<T> p;
    T *ta = emu_store<T>(a, 37), *tb = emu_store<T>(b, 111), *tt = emu_store<T>(t, 6);
    T *ty = emu_store<T>(got, ny);
    p.a = ta, p.b = tb, p.t = tt, p.y = ty;
    memcpy(p.ys, ys, sizeof p.ys);
    tr_bstrides(as, ys, p.sa);
    tr_bstrides(bs, ys, p.sb);
    tr_bstrides(ts, ys, p.st);
    emu_run(p, ny);
    emu_load(ty, got, ny);
    EMU_EXACT(got, ref, ny, 4, ys, "lerp");
    free(ref), free(got), free(ta), free(tb), free(tt), free(ty);
}

template <typename T> static void check_schan_demod(void) {
    const tryon_dtype dt = emu_dtype<T>();
    const int32_t N = 2, H = 5, W = 3, C = 7, CO = 9;
    const int64_t nx = (int64_t)N * H * W * C;
    float *x = emu_floats(nx), *ref = emu_floats(nx), *got = emu_floats(nx);
    float sc[14], add[2 * 5 * 3], bias[7], s[14], wsq[63], d_ref[18], d_got[18];
    tu_rng r;
    tu_rng_seed(&r, 14);
    tu_fill_uniform(x, nx, &r, -3, 3);
    tu_fill_uniform(sc, 14, &r, -2, 2);
    tu_fill_uniform(add, 30, &r, -1, 1);
    tu_fill_uniform(bias, 7, &r, -1, 1);
    tu_fill_uniform(s, 14, &r, -2, 2);
    tu_fill_uniform(wsq, 63, &r, 0, 3);
    float *all[] = {x, sc, add, bias, s, wsq};
    int64_t cnt[] = {nx, 14, 30, 7, 14, 63};
    for (int i = 0; i < 6; i++) emu_round_all(all[i], cnt[i], dt);
    tr_scale_channels_args a;
    memset(&a, 0, sizeof a);
    a.d.n = N, a.d.h = H, a.d.w = W, a.d.c = C;
    a.d.ep = tr_epilogue_make(TR_ACT_LRELU);
    a.d.ep.gain = 1.4142135f, a.d.ep.clamp = 2.0f;
    a.d.add_shape[0] = N, a.d.add_shape[1] = H, a.d.add_shape[2] = W, a.d.add_shape[3] = 1;
    a.x = x, a.scale = sc, a.add = add, a.bias = bias, a.y = ref;
    tr_cpu_scale_channels_f32(NULL, &a);
    emu_round_all(ref, nx, dt);
    T *tx = emu_store<T>(x, nx), *tsc = emu_store<T>(sc, 14), *tadd = emu_store<T>(add, 30);
    T *tb = emu_store<T>(bias, 7), *ty = emu_store<T>(got, nx);
    tr_schan_p<T> p = {a.d, tx, tsc, tadd, tb, ty};
    emu_run(p, nx);
    emu_load(ty, got, nx);
    const int64_t xs[4] = {N, H, W, C};
    EMU_EXACT(got, ref, nx, 4, xs, "scale_channels");
    /* demodulation coefficients */
    tr_demod_desc dd = {N, C, CO, 1e-8f};
    tr_cpu_demod_f32(NULL, &dd, s, wsq, d_ref);
    emu_round_all(d_ref, 18, dt);
    T *ts = emu_store<T>(s, 14), *tw = emu_store<T>(wsq, 63), *td = emu_store<T>(d_got, 18);
    tr_demod_p<T> pd = {dd, ts, tw, td};
    emu_run(pd, (int64_t)N * CO);
    emu_load(td, d_got, 18);
    const int64_t ds[2] = {N, CO};
    EMU_EXACT(d_got, d_ref, 18, 2, ds, "demod_coefs");
    free(x), free(ref), free(got), free(tx), free(tsc), free(tadd), free(tb), free(ty);
    free(ts), free(tw), free(td);
}

template <typename T> static void check_noise(void) {
    const tryon_dtype dt = emu_dtype<T>();
    tr_noise_desc d = {3, 8, 5, 4, 0.3f};
    const int64_t n = 3 * 8 * 5;
    float nconst[40], ref[120], got[120];
    tu_rng r;
    tu_rng_seed(&r, 15);
    tu_fill_uniform(nconst, 40, &r, -1, 1);
    emu_round_all(nconst, 40, dt);
    T *tc = emu_store<T>(nconst, 40), *ty = emu_store<T>(got, n);
    const uint64_t seed = 0x123456789abcdefull;
    for (int mode = 0; mode < TR_NOISE_COUNT; mode++) {
        for (int with_const = 0; with_const < 2; with_const++) {
            tr_cpu_noise_f32(NULL, &d, (tr_noise_mode)mode, seed, with_const ? nconst : NULL, ref);
            emu_round_all(ref, n, dt);
            int32_t ctl[4] = {mode, (int32_t)(uint32_t)seed, (int32_t)(uint32_t)(seed >> 32), 0};
            tr_noise_p<T> p = {d, ctl, with_const ? tc : NULL, ty};
            emu_run(p, n);
            emu_load(ty, got, n);
            const int64_t s[4] = {3, 8, 5, 1};
            EMU_EXACT(got, ref, n, 4, s, "noise");
        }
    }
    /* An invalid mode writes NaN (the CPU adapter fails instead). */
    int32_t ctl[4] = {7, 0, 0, 0};
    tr_noise_p<T> p = {d, ctl, tc, ty};
    emu_run(p, n);
    emu_load(ty, got, n);
    for (int64_t i = 0; i < n; i++) ck_assert_msg(isnan(got[i]), "noise: invalid mode not NaN");
    free(tc), free(ty);
}

START_TEST(stylegan2_ops_match_the_cpu) {
    check_lerp<float>();
    check_lerp<__half>();
    check_lerp<__nv_bfloat16>();
    check_schan_demod<float>();
    check_schan_demod<__half>();
    check_schan_demod<__nv_bfloat16>();
    check_noise<float>();
    check_noise<__half>();
}
END_TEST

/* ---- data movement --------------------------------------------------------------- */

START_TEST(concat_permute_slice_match_the_cpu) {
    tu_rng r;
    tu_rng_seed(&r, 16);
    /* concat of three (2, len, 3) u32 blocks along the middle axis */
    uint32_t a[2 * 1 * 3], b[2 * 4 * 3], c[2 * 2 * 3], ref[2 * 7 * 3], got[2 * 7 * 3];
    for (int i = 0; i < 6; i++) a[i] = (uint32_t)tu_rng_u64(&r);
    for (int i = 0; i < 24; i++) b[i] = (uint32_t)tu_rng_u64(&r);
    for (int i = 0; i < 12; i++) c[i] = (uint32_t)tu_rng_u64(&r);
    const void *ins[3] = {a, b, c};
    int64_t len[3] = {1, 4, 2};
    tr_cpu_concat(NULL, 3, ins, len, 2, 3, 4, ref);
    tr_concat_p<uint32_t> pc;
    memset(&pc, 0, sizeof pc);
    pc.in[0] = a, pc.in[1] = b, pc.in[2] = c;
    pc.len[0] = 1, pc.len[1] = 4, pc.len[2] = 2;
    pc.n_in = 3, pc.total = 7, pc.inner = 3, pc.y = got;
    emu_run(pc, 42);
    ck_assert_msg(!memcmp(got, ref, sizeof ref), "concat differs");
    /* permute: every permutation of a (2, 3, 4, 5) u16 tensor */
    uint16_t x[120], py[120], pr[120];
    for (int i = 0; i < 120; i++) x[i] = (uint16_t)i;
    const int64_t xs[4] = {2, 3, 4, 5};
    int32_t perm[4];
    for (int p = 0; p < 24; p++) {
        /* permutation number p (Lehmer code) */
        int avail[4] = {0, 1, 2, 3}, na = 4, q = p;
        for (int i = 0; i < 4; i++) {
            int k = q % na;
            q /= na;
            perm[i] = avail[k];
            for (int j = k; j < na - 1; j++) avail[j] = avail[j + 1];
            na--;
        }
        tr_cpu_permute(NULL, x, xs, perm, 2, pr);
        tr_permute_p<uint16_t> pp;
        int64_t xst[4], acc = 1;
        for (int i = 3; i >= 0; i--) xst[i] = acc, acc *= xs[i];
        for (int i = 0; i < 4; i++) pp.ys[i] = xs[perm[i]], pp.st[i] = xst[perm[i]];
        pp.x = x, pp.y = py;
        emu_run(pp, 120);
        ck_assert_msg(!memcmp(py, pr, sizeof pr), "permute (%d,%d,%d,%d) differs", perm[0],
                      perm[1], perm[2], perm[3]);
    }
    /* slice of u8 */
    uint8_t sx[2 * 9 * 4], sr[2 * 3 * 4], sg[2 * 3 * 4];
    for (int i = 0; i < 72; i++) sx[i] = (uint8_t)(i * 7);
    tr_cpu_slice(NULL, sx, 2, 9, 4, 5, 3, 1, sr);
    tr_slice_p<uint8_t> ps = {sx, sg, 9, 3, 5, 4};
    emu_run(ps, 24);
    ck_assert_msg(!memcmp(sg, sr, sizeof sr), "slice differs");
}
END_TEST

/* ---- resampling ------------------------------------------------------------------ */

template <typename T> static void check_resample(void) {
    const tryon_dtype dt = emu_dtype<T>();
    tu_rng r;
    tu_rng_seed(&r, 17);
    const int32_t N = 2, H = 5, W = 7, C = 3;
    const int64_t nx = (int64_t)N * H * W * C;
    float *x = emu_floats(nx);
    tu_fill_uniform(x, nx, &r, -3, 3);
    emu_round_all(x, nx, dt);
    uint8_t *xu = (uint8_t *)malloc((size_t)nx);
    for (int64_t i = 0; i < nx; i++) xu[i] = (uint8_t)tu_rng_int(&r, 0, 255);
    T *tx = emu_store<T>(x, nx);
    /* nearest x(2, 3) */
    {
        const int64_t ny = nx * 6;
        float *ref = emu_floats(ny), *got = emu_floats(ny);
        T *ty = emu_store<T>(got, ny);
        tr_cpu_upsample_nearest_f32(NULL, N, H, W, C, 2, 3, x, ref);
        emu_round_all(ref, ny, dt);
        tr_upsample_p<T> p = {tx, ty, H, W, C, 2, 3};
        emu_run(p, ny);
        emu_load(ty, got, ny);
        EMU_EXACT(got, ref, ny, 1, &ny, "upsample_nearest");
        free(ref), free(got), free(ty);
    }
    /* bilinear, every mode, up and down, f32 and u8 sources */
    const int32_t sizes[][2] = {{11, 3}, {1, 1}, {5, 7}, {16, 20}};
    for (int s = 0; s < 4; s++)
        for (int mode = 0; mode < TR_RESIZE_COUNT; mode++)
            for (int u8 = 0; u8 < 2; u8++) {
                tr_resize_desc d = {N, H, W, C, sizes[s][0], sizes[s][1], (tr_resize_mode)mode};
                const int64_t ny = (int64_t)N * d.oh * d.ow * C;
                float *ref = emu_floats(ny), *got = emu_floats(ny);
                T *ty = emu_store<T>(got, ny);
                if (u8) {
                    tr_cpu_resize_bilinear_u8_f32(NULL, &d, xu, ref);
                    tr_resize_p<uint8_t, T> p = {d, xu, ty};
                    emu_run(p, ny);
                } else {
                    tr_cpu_resize_bilinear_f32(NULL, &d, x, ref);
                    tr_resize_p<T, T> p = {d, tx, ty};
                    emu_run(p, ny);
                }
                emu_round_all(ref, ny, dt);
                emu_load(ty, got, ny);
                EMU_EXACT(got, ref, ny, 1, &ny, "resize_bilinear");
                free(ref), free(got), free(ty);
            }
    /* upfirdn2d: StyleGAN2's up-2 with a 4-tap filter, a 2-D down-2, cropping pads */
    const tr_upfirdn2d_desc cases[] = {
        {N, H, W, C, 0, 0, 2, 2, 1, 1, 2, 1, 2, 1, 4, 4, 1, 0, 4.0f},
        {N, H, W, C, 0, 0, 1, 1, 2, 2, 1, 1, 1, 1, 3, 3, 0, 1, 1.0f},
        {N, H, W, C, 0, 0, 3, 1, 1, 2, -1, 2, 0, -1, 2, 3, 0, 0, 0.5f},
    };
    float f[16];
    tu_fill_uniform(f, 16, &r, -1, 1);
    emu_round_all(f, 16, dt);
    T *tf = emu_store<T>(f, 16);
    for (int k = 0; k < 3; k++) {
        tr_upfirdn2d_desc d = cases[k];
        d.oh = (int32_t)(((int64_t)d.h * d.up_y + d.pad_y0 + d.pad_y1 - d.fh) / d.down_y + 1);
        d.ow = (int32_t)(((int64_t)d.w * d.up_x + d.pad_x0 + d.pad_x1 - d.fw) / d.down_x + 1);
        const int64_t ny = (int64_t)N * d.oh * d.ow * C;
        float *ref = emu_floats(ny), *got = emu_floats(ny);
        T *ty = emu_store<T>(got, ny);
        tr_upfirdn2d_args a = {d, f, x, ref};
        tr_cpu_upfirdn2d_f32(NULL, &a);
        emu_round_all(ref, ny, dt);
        tr_upfirdn_p<T> p = {d, tf, tx, ty};
        emu_run(p, ny);
        emu_load(ty, got, ny);
        EMU_EXACT(got, ref, ny, 1, &ny, "upfirdn2d");
        free(ref), free(got), free(ty);
    }
    free(x), free(xu), free(tx), free(tf);
}

START_TEST(resampling_matches_the_cpu) {
    check_resample<float>();
    check_resample<__half>();
    check_resample<__nv_bfloat16>();
}
END_TEST

/* ---- normalisation ---------------------------------------------------------------- */

/* The fused statistics as the blocks compute them: per (n, 32-channel group,
 * chunk), thread row 0 adds the 8 rows' partials in order. */
template <typename T>
static void emu_inorm_fused(const tr_instance_norm_desc &d, const T *x, double *stats) {
    const int64_t hw = (int64_t)d.h * d.w;
    const int32_t chunks = (int32_t)((hw + TR_INORM_CHUNK - 1) / TR_INORM_CHUNK);
    double *part = (double *)calloc((size_t)d.n * d.c * chunks * 2, sizeof(double));
    for (int32_t n = 0; n < d.n; n++)
        for (int32_t c = 0; c < d.c; c++)
            for (int32_t k = 0; k < chunks; k++) {
                int64_t p0 = (int64_t)k * TR_INORM_CHUNK;
                int64_t p1 = p0 + TR_INORM_CHUNK < hw ? p0 + TR_INORM_CHUNK : hw;
                double s, ss, s1, ss1;
                tr_inorm_partial(d, x, n, c, p0, p1, 0, &s, &ss);
                for (int32_t ty = 1; ty < 8; ty++) {
                    tr_inorm_partial(d, x, n, c, p0, p1, ty, &s1, &ss1);
                    s += s1, ss += ss1;
                }
                int64_t slot = ((int64_t)n * d.c + c) * chunks + k;
                part[slot * 2] = s, part[slot * 2 + 1] = ss;
            }
    for (int64_t nc = 0; nc < (int64_t)d.n * d.c; nc++)
        tr_inorm_finalize(d, part, chunks, nc, stats);
    free(part);
}

template <typename T> static void check_inorm(int32_t h, int32_t w, int fused) {
    const tryon_dtype dt = emu_dtype<T>();
    tr_instance_norm_desc d = {2, h, w, 37, 1e-5f, tr_epilogue_make(TR_ACT_RELU)};
    const int64_t nx = (int64_t)d.n * h * w * d.c;
    float *x = emu_floats(nx), *res = emu_floats(nx), *ref = emu_floats(nx), *got = emu_floats(nx);
    float gamma[37], beta[37];
    tu_rng r;
    tu_rng_seed(&r, 18);
    tu_fill_uniform(x, nx, &r, -2, 5);
    tu_fill_uniform(res, nx, &r, -1, 1);
    tu_fill_uniform(gamma, 37, &r, 0.5f, 2);
    tu_fill_uniform(beta, 37, &r, -1, 1);
    emu_round_all(x, nx, dt);
    emu_round_all(res, nx, dt);
    emu_round_all(gamma, 37, dt);
    emu_round_all(beta, 37, dt);
    double *st_ref = (double *)calloc((size_t)d.n * d.c * 2, sizeof(double));
    double *st = (double *)calloc((size_t)d.n * d.c * 2, sizeof(double));
    tr_instance_norm_args a = {d, x, gamma, beta, res, st_ref, ref};
    tr_cpu_instance_norm_f32(NULL, &a);
    emu_round_all(ref, nx, dt);
    T *tx = emu_store<T>(x, nx), *tr_ = emu_store<T>(res, nx), *tg = emu_store<T>(gamma, 37);
    T *tb = emu_store<T>(beta, 37), *ty = emu_store<T>(got, nx);
    if (fused)
        emu_inorm_fused(d, tx, st);
    else
        for (int64_t nc = 0; nc < (int64_t)d.n * d.c; nc++) tr_inorm_stats_v0(d, tx, nc, st);
    tr_inorm_apply_p<T> p = {d, tx, tg, tb, tr_, st, ty};
    emu_run(p, nx);
    emu_load(ty, got, nx);
    const int64_t s[4] = {d.n, h, w, d.c};
    if (!fused) {
        EMU_EXACT(got, ref, nx, 4, s, "instance_norm v0");
    } else {
        /* One-pass statistics: mean and rstd within ~1e-15 relative of the
         * two-pass values, so v = (x - mean) * rstd may land one rounding of
         * the storage type away; gamma <= 2 and the residual keep it within
         * 3 units of the storage's roundoff of the output scale (~8). */
        double u = dt == TRYON_DTYPE_F32 ? 0x1p-24 : dt == TRYON_DTYPE_F16 ? 0x1p-11 : 0x1p-8;
        EMU_CLOSE(got, ref, nx, 24 * u, 2 * u, 4, s, "instance_norm fused");
    }
    free(x), free(res), free(ref), free(got), free(st_ref), free(st);
    free(tx), free(tr_), free(tg), free(tb), free(ty);
}

START_TEST(instance_norm_matches_the_cpu) {
    const int32_t hw[][2] = {{1, 1}, {3, 5}, {17, 31}, {40, 40}};
    for (int k = 0; k < 4; k++)
        for (int fused = 0; fused < 2; fused++) {
            check_inorm<float>(hw[k][0], hw[k][1], fused);
            check_inorm<__half>(hw[k][0], hw[k][1], fused);
            check_inorm<__nv_bfloat16>(hw[k][0], hw[k][1], fused);
        }
}
END_TEST

START_TEST(normalize_2nd_moment_matches_the_cpu) {
    const int64_t rows = 4, len = 513;
    float x[4 * 513], ref[4 * 513], got[4 * 513];
    tu_rng r;
    tu_rng_seed(&r, 19);
    tu_fill_uniform(x, rows * len, &r, -3, 3);
    for (int64_t k = 0; k < len; k++) x[3 * len + k] = 0.0f;
    tr_cpu_normalize_2nd_moment_f32(NULL, x, rows, len, 1e-8f, ref);
    for (int64_t row = 0; row < rows; row++) {
        float f = tr_norm2_factor(x, row, len, 1e-8f);
        for (int64_t k = 0; k < len; k++) got[row * len + k] = x[row * len + k] * f;
    }
    const int64_t s[2] = {rows, len};
    EMU_EXACT(got, ref, rows * len, 2, s, "normalize_2nd_moment");
}
END_TEST

/* ---- PoseNet decoding ---------------------------------------------------------------- */

/* Heads with a few strong peaks, ties and NaNs; fwd/bwd displacements small. */
static void pn_heads(int32_t n, int32_t h, int32_t w, float *scores, float *offsets, float *fwd,
                     float *bwd, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    const int64_t hw = (int64_t)n * h * w;
    for (int64_t i = 0; i < hw * TR_PN_K; i++) scores[i] = tu_rng_uniform(&r, 0, 0.4f);
    for (int64_t i = 0; i < hw * 2 * TR_PN_K; i++) offsets[i] = tu_rng_uniform(&r, -8, 8);
    for (int64_t i = 0; i < hw * 2 * TR_PN_E; i++) {
        fwd[i] = tu_rng_uniform(&r, -20, 20);
        bwd[i] = tu_rng_uniform(&r, -20, 20);
    }
    for (int32_t p = 0; p < 6; p++) { /* peaks, two with equal scores */
        int64_t i = ((int64_t)tu_rng_int(&r, 0, n - 1) * h * w + tu_rng_int(&r, 0, h * w - 1));
        for (int32_t k = 0; k < TR_PN_K; k++) scores[i * TR_PN_K + k] = p < 2 ? 0.9f : 0.6f + 0.05f * p;
    }
    scores[5 * TR_PN_K + 3] = NAN; /* a NaN score (not at index 0) */
}

START_TEST(posenet_decoders_match_the_cpu) {
    const int32_t N = 2, H = 9, W = 11;
    const int64_t hw = (int64_t)N * H * W;
    float *sc = emu_floats(hw * TR_PN_K), *of = emu_floats(hw * 2 * TR_PN_K);
    float *fw = emu_floats(hw * 2 * TR_PN_E), *bw = emu_floats(hw * 2 * TR_PN_E);
    for (int multi = 0; multi < 2; multi++)
        for (uint64_t seed = 1; seed < 4; seed++) {
            pn_heads(N, H, W, sc, of, fw, bw, seed);
            if (seed == 3) sc[0] = NAN; /* index 0 NaN: the CPU's argmax stays there */
            tr_posenet_decode_desc d;
            memset(&d, 0, sizeof d);
            d.n = N, d.h = H, d.w = W, d.output_stride = 16, d.multi = multi;
            d.max_poses = multi ? 5 : 1, d.local_max_radius = 1, d.refine_steps = 2;
            d.score_threshold = 0.5, d.nms_radius = 20, d.scale_y = 1.5, d.scale_x = 0.75;
            d.offset_y = -3, d.offset_x = 7;
            const int64_t out = (int64_t)N * d.max_poses * (TR_PN_K + 1) * 3;
            float *ref = emu_floats(out), *got = emu_floats(out);
            void *ws = calloc((size_t)tr_posenet_decode_ws_bytes(&d) + 8, 1);
            tr_posenet_decode_args a = {d, sc, of, fw, bw, ws, ref};
            tr_cpu_posenet_decode(NULL, &a);
            for (int32_t n = 0; n < N; n++) {
                tr_pn_heads h = tr_pn_image(d, sc, of, fw, bw, n);
                float *o = got + (int64_t)n * d.max_poses * (TR_PN_K + 1) * 3;
                if (multi) {
                    for (int64_t i = 0; i < (int64_t)H * W * TR_PN_K; i++)
                        tr_pn_mark(h, (tr_pn_cand *)ws, i);
                    tr_pn_decode_multi(h, ws, o);
                    continue;
                }
                /* the block's argmax, emulated as 256 strided thread scans and a tree */
                tr_pn_kp kps[TR_PN_K];
                for (int32_t k = 0; k < TR_PN_K; k++) {
                    float sv[256];
                    int64_t si[256];
                    for (int t = 0; t < 256; t++) {
                        float bv = 0.0f;
                        int64_t bi = -1;
                        for (int64_t i = t; i < (int64_t)H * W; i += 256)
                            if (tr_pn_better(h.scores[i * TR_PN_K + k], i, bv, bi))
                                bv = h.scores[i * TR_PN_K + k], bi = i;
                        sv[t] = bv, si[t] = bi;
                    }
                    for (int s = 128; s > 0; s >>= 1)
                        for (int t = 0; t < s; t++)
                            if (tr_pn_better(sv[t + s], si[t + s], sv[t], si[t]))
                                sv[t] = sv[t + s], si[t] = si[t + s];
                    float x0 = h.scores[k];
                    tr_pn_single_part(h, k, x0 != x0 ? 0 : si[0], x0 != x0 ? x0 : sv[0], &kps[k]);
                }
                double total = 0.0;
                for (int32_t k = 0; k < TR_PN_K; k++) total += kps[k].score;
                tr_pn_store(d, o, kps, total / TR_PN_K);
            }
            EMU_EXACT(got, ref, out, 1, &out, multi ? "decodeMultiplePoses" : "decodeSinglePose");
            free(ref), free(got), free(ws);
        }
    free(sc), free(of), free(fw), free(bw);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_ops");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, binary_broadcasts_like_the_cpu);
    tcase_add_test(tc, scale_act_cast_match_the_cpu);
    tcase_add_test(tc, stylegan2_ops_match_the_cpu);
    tcase_add_test(tc, concat_permute_slice_match_the_cpu);
    tcase_add_test(tc, resampling_matches_the_cpu);
    tcase_add_test(tc, instance_norm_matches_the_cpu);
    tcase_add_test(tc, normalize_2nd_moment_matches_the_cpu);
    tcase_add_test(tc, posenet_decoders_match_the_cpu);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
