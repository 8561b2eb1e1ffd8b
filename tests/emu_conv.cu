/* emu_conv.cu — host emulation of the CUDA convolution kernels (see
 * emu_util.cuh) against kernels/cpu/conv2d.c, conv_transpose2d.c, linear.c:
 *   v0 ports (conv2d F32 and ROUND_ONCE, conv_transpose2d, linear): bitwise,
 *   depthwise (fmaf): bitwise on integer data,
 *   the implicit GEMM, SIMT and tensor-core kernels run block by block, thread
 *   by thread, in barrier order, with mma.sync emulated from the PTX ISA's
 *   fragment tables (written here independently of the kernel's fragment
 *   loads): bitwise on integer data (every product and partial sum exact),
 *   within the FMA/summation-order bound on random data.
 * Shapes cover partial row/channel/K tiles, reflect/replicate/zero and
 * asymmetric padding, stride, dilation, groups, 1x1, every optional operand
 * and epilogue, and the sub-pixel phases of transposed convolutions. */
#include "emu_util.cuh"
#include "igemm.cuh"

/* ---- the implicit GEMM, block by block ------------------------------------------ */

/* A 16-bit register half decoded as the operand type (runtime/half.h). */
template <typename T> static float from_bits(uint16_t b) {
    return emu_dtype<T>() == TRYON_DTYPE_BF16 ? tr_bf16_to_f32(b) : tr_f16_to_f32(b);
}

/* mma.m16n8k16 with fp32 accumulation, from the PTX ISA fragment tables:
 *   a_i: row gid + 8*((i>>1)&1), col 2*tig + (i&1) + 8*(i>>2)   (i = reg*2 + half)
 *   b_i: row (k) 2*tig + (i&1) + 8*(i>>1), col (n) gid
 *   c_i: row gid + 8*(i>>1), col 2*tig + (i&1)
 * with the lower-indexed element in the low 16 bits of each register. */
template <typename T>
static void emu_mma(const uint32_t a[32][4], const uint32_t b[32][2], float c[32][4]) {
    float A[16][16], B[16][8], C[16][8];
    for (int lane = 0; lane < 32; lane++) {
        const int gid = lane >> 2, tig = lane & 3;
        for (int i = 0; i < 8; i++) {
            uint16_t bits = (uint16_t)(a[lane][i >> 1] >> (16 * (i & 1)));
            A[gid + 8 * ((i >> 1) & 1)][2 * tig + (i & 1) + 8 * (i >> 2)] = from_bits<T>(bits);
        }
        for (int i = 0; i < 4; i++) {
            uint16_t bits = (uint16_t)(b[lane][i >> 1] >> (16 * (i & 1)));
            B[2 * tig + (i & 1) + 8 * (i >> 1)][gid] = from_bits<T>(bits);
        }
        for (int i = 0; i < 4; i++) C[gid + 8 * (i >> 1)][2 * tig + (i & 1)] = c[lane][i];
    }
    for (int r = 0; r < 16; r++)
        for (int n = 0; n < 8; n++)
            for (int k = 0; k < 16; k++) C[r][n] += A[r][k] * B[k][n];
    for (int lane = 0; lane < 32; lane++) {
        const int gid = lane >> 2, tig = lane & 3;
        for (int i = 0; i < 4; i++) c[lane][i] = C[gid + 8 * (i >> 1)][2 * tig + (i & 1)];
    }
}

/* One block (grid coordinates bx, by, z) of igemm_simt or igemm_mma. */
template <typename T> static void emu_block(const tr_gemm_p<T> &p, int mma, int bx, int by, int z) {
    int32_t g, ry, rx;
    tr_gemm_split_z(p, z, &g, &ry, &rx);
    const int64_t m0 = (int64_t)bx * TR_GEMM_BM;
    if (m0 >= tr_gemm_m(p, ry, rx)) return;
    const int32_t j0 = by * TR_GEMM_BN, kt = tr_gemm_k_total(p, ry, rx);
    static tr_gemm_row rows[TR_GEMM_BM];
    const int nthreads = mma ? TR_MMA_THREADS : TR_SIMT_THREADS;
    for (int tid = 0; tid < nthreads; tid++) tr_gemm_rows(p, ry, rx, m0, tid, rows);
    if (!mma) {
        static float as[TR_SIMT_BK][TR_GEMM_BM + 1], bs[TR_SIMT_BK][TR_GEMM_BN + 1];
        static float acc[TR_SIMT_THREADS][4][4];
        memset(acc, 0, sizeof acc);
        for (int32_t k0 = 0; k0 < kt; k0 += TR_SIMT_BK) {
            for (int tid = 0; tid < nthreads; tid++)
                tr_simt_load(p, g, ry, rx, m0, j0, k0, kt, rows, tid, as, bs);
            for (int tid = 0; tid < nthreads; tid++) tr_simt_mac(tid, as, bs, acc[tid]);
        }
        for (int tid = 0; tid < nthreads; tid++) tr_simt_store(p, g, j0, rows, tid, acc[tid]);
        return;
    }
    static T as[TR_GEMM_BM][TR_MMA_BK + TR_MMA_PAD], bs[TR_GEMM_BN][TR_MMA_BK + TR_MMA_PAD];
    static float acc[4][32][2][4][4];
    memset(acc, 0, sizeof acc);
    for (int32_t k0 = 0; k0 < kt; k0 += TR_MMA_BK) {
        for (int tid = 0; tid < nthreads; tid++)
            tr_mma_load(p, g, ry, rx, m0, j0, k0, kt, rows, tid, as, bs);
        for (int32_t ks = 0; ks < TR_MMA_BK; ks += 16)
            for (int warp = 0; warp < 4; warp++) {
                uint32_t a[2][32][4], b[4][32][2];
                for (int lane = 0; lane < 32; lane++) {
                    for (int mt = 0; mt < 2; mt++)
                        tr_mma_frag_a(as, 32 * (warp / 2) + 16 * mt, ks, lane, a[mt][lane]);
                    for (int nt = 0; nt < 4; nt++)
                        tr_mma_frag_b(bs, 32 * (warp % 2) + 8 * nt, ks, lane, b[nt][lane]);
                }
                for (int mt = 0; mt < 2; mt++)
                    for (int nt = 0; nt < 4; nt++) {
                        float c[32][4];
                        for (int lane = 0; lane < 32; lane++)
                            memcpy(c[lane], acc[warp][lane][mt][nt], sizeof c[lane]);
                        emu_mma<T>(a[mt], b[nt], c);
                        for (int lane = 0; lane < 32; lane++)
                            memcpy(acc[warp][lane][mt][nt], c[lane], sizeof c[lane]);
                    }
            }
    }
    for (int warp = 0; warp < 4; warp++)
        for (int lane = 0; lane < 32; lane++)
            tr_mma_store(p, g, j0, rows, warp, lane, acc[warp][lane]);
}

/* The whole grid of tr_igemm_run. */
template <typename T> static void emu_igemm(const tr_gemm_p<T> &p, int mma) {
    int32_t phases = p.mode == TR_GEMM_CONVT ? p.d.sh * p.d.sw : 1;
    int64_t mx = 0;
    for (int32_t ph = 0; ph < phases; ph++) {
        int32_t ry = p.mode == TR_GEMM_CONVT ? ph / p.d.sw : 0;
        int32_t rx = p.mode == TR_GEMM_CONVT ? ph % p.d.sw : 0;
        if (tr_gemm_m(p, ry, rx) > mx) mx = tr_gemm_m(p, ry, rx);
    }
    const int gx = (int)((mx + TR_GEMM_BM - 1) / TR_GEMM_BM);
    const int gy = (p.d.c_out / p.d.groups + TR_GEMM_BN - 1) / TR_GEMM_BN;
    for (int z = 0; z < p.d.groups * phases; z++)
        for (int by = 0; by < gy; by++)
            for (int bx = 0; bx < gx; bx++) emu_block(p, mma, bx, by, z);
}

/* ---- conv2d ------------------------------------------------------------------- */

typedef struct conv_case {
    int32_t n, h, w, c_in, c_out, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, groups;
    tr_pad_mode pad;
    int extras; /* bias, in_scale, out_scale, add, residual, lrelu*gain+clamp */
} conv_case;

static const conv_case conv_cases[] = {
    {2, 9, 9, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, TR_PAD_ZEROS, 1},   /* partial tiles, K=45 */
    {1, 12, 10, 3, 8, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 1, TR_PAD_REFLECT, 0}, /* CycleGAN's first */
    {1, 11, 13, 16, 70, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, TR_PAD_ZEROS, 1}, /* stride 2, 2 col tiles */
    {3, 5, 5, 33, 65, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, TR_PAD_ZEROS, 1},   /* 1x1 */
    {1, 10, 9, 6, 4, 3, 2, 1, 2, 2, 1, 2, 2, 1, 0, 2, TR_PAD_REPLICATE, 1}, /* groups, dilation */
    {1, 9, 8, 4, 6, 3, 3, 2, 2, 1, 1, 0, 1, 0, 1, 1, TR_PAD_ZEROS, 0},   /* TF-SAME asymmetric */
    {1, 7, 7, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, TR_PAD_ZEROS, 1},   /* depthwise */
    {2, 6, 5, 4, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, TR_PAD_REFLECT, 1}, /* depthwise x3 */
};
#define N_CONV_CASES ((int)(sizeof conv_cases / sizeof conv_cases[0]))

/* Host operands of a conv case: every tensor as floats (integers in [-3, 3]
 * when exact, else uniform) and the CPU result. */
typedef struct conv_data {
    tr_conv2d_desc d;
    float *x, *w, *bias, *in_scale, *out_scale, *add, *res, *ref;
    int64_t nx, nw, ny;
} conv_data;

static void conv_make(const conv_case &c, int exact, tr_conv_accum accum, tryon_dtype dt,
                      conv_data *cd) {
    memset(cd, 0, sizeof *cd);
    tr_conv2d_desc &d = cd->d;
    d.n = c.n, d.h = c.h, d.w = c.w, d.c_in = c.c_in, d.c_out = c.c_out, d.kh = c.kh, d.kw = c.kw;
    d.stride_h = c.sh, d.stride_w = c.sw, d.dil_h = c.dh, d.dil_w = c.dw;
    d.pad_top = c.pt, d.pad_left = c.pl, d.groups = c.groups, d.pad_mode = c.pad;
    d.oh = tr_conv_out_size(c.h, c.kh, c.sh, c.dh, c.pt, c.pb);
    d.ow = tr_conv_out_size(c.w, c.kw, c.sw, c.dw, c.pl, c.pr);
    d.ep = tr_epilogue_make(c.extras ? TR_ACT_LRELU : TR_ACT_NONE);
    if (c.extras) d.ep.gain = 1.4142135f, d.ep.clamp = 40.0f;
    d.accum = accum;
    d.add_shape[0] = d.n, d.add_shape[1] = d.oh, d.add_shape[2] = d.ow, d.add_shape[3] = 1;
    cd->nx = (int64_t)d.n * d.h * d.w * d.c_in;
    cd->nw = (int64_t)d.c_out * d.kh * d.kw * (d.c_in / d.groups);
    cd->ny = (int64_t)d.n * d.oh * d.ow * d.c_out;
    tu_rng r;
    tu_rng_seed(&r, (uint64_t)(c.h * 131 + c.c_out));
    float **bufs[] = {&cd->x, &cd->w, &cd->bias, &cd->in_scale, &cd->out_scale, &cd->add, &cd->res};
    int64_t cnt[] = {cd->nx, cd->nw, d.c_out, (int64_t)d.n * d.c_in, (int64_t)d.n * d.c_out,
                     (int64_t)d.n * d.oh * d.ow, cd->ny};
    for (int i = 0; i < 7; i++) {
        if (i >= 2 && !c.extras) continue;
        *bufs[i] = emu_floats(cnt[i]);
        if (exact)
            tu_fill_int(*bufs[i], cnt[i], &r, i == 3 || i == 4 ? 1 : -3, i == 3 || i == 4 ? 2 : 3);
        else
            tu_fill_uniform(*bufs[i], cnt[i], &r, -1, 1);
        emu_round_all(*bufs[i], cnt[i], dt);
    }
    cd->ref = emu_floats(cd->ny);
    tr_conv2d_args a = {d, cd->x, cd->w, cd->bias, cd->in_scale, cd->out_scale, cd->add, cd->res,
                        cd->ref};
    tr_cpu_conv2d_f32(NULL, &a);
    emu_round_all(cd->ref, cd->ny, dt);
}

static void conv_free(conv_data *cd) {
    float *p[] = {cd->x, cd->w, cd->bias, cd->in_scale, cd->out_scale, cd->add, cd->res, cd->ref};
    for (int i = 0; i < 8; i++) free(p[i]);
}

template <typename T> static T *dev_copy(const float *x, int64_t n) {
    return x ? emu_store<T>(x, n) : NULL;
}

enum { RUN_V0, RUN_DW, RUN_SIMT, RUN_MMA };

/* Runs variant `how` on cd's operands in storage T; got gets the result. */
template <typename T> static void conv_run(const conv_data &cd, int how, float *got) {
    const tr_conv2d_desc &d = cd.d;
    tr_conv_p<T> p;
    p.d = d;
    p.x = dev_copy<T>(cd.x, cd.nx);
    p.w = dev_copy<T>(cd.w, cd.nw);
    p.bias = dev_copy<T>(cd.bias, d.c_out);
    p.in_scale = dev_copy<T>(cd.in_scale, (int64_t)d.n * d.c_in);
    p.out_scale = dev_copy<T>(cd.out_scale, (int64_t)d.n * d.c_out);
    p.add = dev_copy<T>(cd.add, (int64_t)d.n * d.oh * d.ow);
    p.residual = dev_copy<T>(cd.res, cd.ny);
    T *y = emu_store<T>(got, cd.ny);
    for (int64_t i = 0; i < cd.ny; i++) tr_st(y, i, NAN); /* canaries: every output is written */
    p.y = y;
    if (how == RUN_V0)
        for (int64_t i = 0; i < cd.ny; i++) tr_conv_v0(p, i);
    else if (how == RUN_DW)
        for (int64_t i = 0; i < tr_conv_dw_items(d); i++) tr_conv_dw(p, i);
    else {
        tr_gemm_p<T> gp;
        memset(&gp, 0, sizeof gp);
        gp.mode = TR_GEMM_CONV;
        gp.one = d.kh == 1 && d.kw == 1 && d.stride_h == 1 && d.stride_w == 1 && d.pad_top == 0 &&
                 d.pad_left == 0 && d.oh == d.h && d.ow == d.w;
        gp.d = {d.n, d.h, d.w, d.c_in, d.oh, d.ow, d.c_out, d.kh, d.kw, d.stride_h, d.stride_w,
                d.dil_h, d.dil_w, d.pad_top, d.pad_left, d.groups, d.pad_mode, d.ep,
                {d.add_shape[0], d.add_shape[1], d.add_shape[2], d.add_shape[3]}};
        gp.x = p.x, gp.w = p.w, gp.bias = p.bias, gp.in_scale = p.in_scale;
        gp.out_scale = p.out_scale, gp.add = p.add, gp.residual = p.residual, gp.y = y;
        emu_igemm(gp, how == RUN_MMA);
    }
    emu_load(y, got, cd.ny);
    free((void *)p.x), free((void *)p.w), free((void *)p.bias), free((void *)p.in_scale);
    free((void *)p.out_scale), free((void *)p.add), free((void *)p.residual), free(y);
}

template <typename T> static void check_conv_variants(int exact) {
    const tryon_dtype dt = emu_dtype<T>();
    for (int k = 0; k < N_CONV_CASES; k++) {
        const conv_case &c = conv_cases[k];
        conv_data cd;
        conv_make(c, exact, TR_CONV_ACCUM_F32, dt, &cd);
        float *got = emu_floats(cd.ny);
        const int64_t ys[4] = {cd.d.n, cd.d.oh, cd.d.ow, cd.d.c_out};
        char what[96];
        const int depthwise = cd.d.c_in / cd.d.groups == 1;
        for (int how = RUN_V0; how <= RUN_MMA; how++) {
            if ((how == RUN_DW && !depthwise) || (how == RUN_MMA && sizeof(T) != 2)) continue;
            if (how != RUN_V0 && !exact && sizeof(T) == 2) continue; /* covered by F32 below */
            conv_run<T>(cd, how, got);
            snprintf(what, sizeof what, "conv case %d variant %d %s", k, how, tryon_dtype_name(dt));
            if (how == RUN_V0 || exact) {
                EMU_EXACT(got, cd.ref, cd.ny, 4, ys, what);
            } else {
                /* fmaf vs a rounded product then sum, same order: per tap at most
                 * one f32 roundoff of the product; |x|, |w| <= 1, K <= 147 taps,
                 * the epilogue's gain 1.41: a few 1e-5 absolute at most. */
                EMU_CLOSE(got, cd.ref, cd.ny, 2e-5, 1e-5, 4, ys, what);
            }
        }
        free(got);
        conv_free(&cd);
    }
}

START_TEST(conv2d_v0_depthwise_and_gemm_match_the_cpu) {
    check_conv_variants<float>(1);
    check_conv_variants<float>(0);
    check_conv_variants<__half>(1);
    check_conv_variants<__half>(0);
    check_conv_variants<__nv_bfloat16>(1);
}
END_TEST

START_TEST(conv2d_round_once_v0_is_the_cpu_bitwise) {
    for (int k = 0; k < N_CONV_CASES; k++) {
        conv_data cd;
        conv_make(conv_cases[k], 0, TR_CONV_ACCUM_ROUND_ONCE, TRYON_DTYPE_F32, &cd);
        float *got = emu_floats(cd.ny);
        conv_run<float>(cd, RUN_V0, got);
        const int64_t ys[4] = {cd.d.n, cd.d.oh, cd.d.ow, cd.d.c_out};
        EMU_EXACT(got, cd.ref, cd.ny, 4, ys, "conv2d ROUND_ONCE v0");
        free(got);
        conv_free(&cd);
    }
}
END_TEST

/* ---- conv_transpose2d ---------------------------------------------------------- */

typedef struct convt_case {
    int32_t n, h, w, c_in, c_out, kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, oph, opw, groups;
} convt_case;

static const convt_case convt_cases[] = {
    {1, 5, 6, 8, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* CycleGAN's up-sampling */
    {2, 4, 4, 6, 70, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 1},  /* StyleGAN2's up conv */
    {1, 5, 3, 4, 6, 4, 3, 3, 2, 2, 1, 1, 2, 0, 1, 1, 1, 2},   /* stride 3, dilation, groups */
    {1, 3, 4, 5, 3, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1},   /* stride 1 */
    {1, 2, 3, 3, 5, 2, 5, 4, 3, 1, 2, 0, 1, 2, 0, 0, 1, 1},   /* taps < stride: empty phases */
};

template <typename T> static void check_convt(int exact) {
    const tryon_dtype dt = emu_dtype<T>();
    for (size_t k = 0; k < sizeof convt_cases / sizeof convt_cases[0]; k++) {
        const convt_case &c = convt_cases[k];
        tr_conv_transpose2d_desc d;
        memset(&d, 0, sizeof d);
        d.n = c.n, d.h = c.h, d.w = c.w, d.c_in = c.c_in, d.c_out = c.c_out, d.kh = c.kh;
        d.kw = c.kw, d.stride_h = c.sh, d.stride_w = c.sw, d.dil_h = c.dh, d.dil_w = c.dw;
        d.pad_top = c.pt, d.pad_left = c.pl, d.groups = c.groups;
        d.oh = (c.h - 1) * c.sh - c.pt - c.pb + c.dh * (c.kh - 1) + 1 + c.oph;
        d.ow = (c.w - 1) * c.sw - c.pl - c.pr + c.dw * (c.kw - 1) + 1 + c.opw;
        d.ep = tr_epilogue_make(TR_ACT_RELU);
        const int64_t nx = (int64_t)d.n * d.h * d.w * d.c_in;
        const int64_t nw = (int64_t)d.c_out * d.kh * d.kw * (d.c_in / d.groups);
        const int64_t ny = (int64_t)d.n * d.oh * d.ow * d.c_out;
        float *x = emu_floats(nx), *w = emu_floats(nw), *b = emu_floats(d.c_out);
        float *ref = emu_floats(ny), *got = emu_floats(ny);
        tu_rng r;
        tu_rng_seed(&r, 40 + k);
        if (exact) {
            tu_fill_int(x, nx, &r, -3, 3), tu_fill_int(w, nw, &r, -3, 3);
            tu_fill_int(b, d.c_out, &r, -3, 3);
        } else {
            tu_fill_uniform(x, nx, &r, -1, 1), tu_fill_uniform(w, nw, &r, -1, 1);
            tu_fill_uniform(b, d.c_out, &r, -1, 1);
        }
        emu_round_all(x, nx, dt), emu_round_all(w, nw, dt), emu_round_all(b, d.c_out, dt);
        tr_conv_transpose2d_args a = {d, x, w, b, ref};
        tr_cpu_conv_transpose2d_f32(NULL, &a);
        emu_round_all(ref, ny, dt);
        T *tx = emu_store<T>(x, nx), *tw = emu_store<T>(w, nw), *tb = emu_store<T>(b, d.c_out);
        T *ty = emu_store<T>(got, ny);
        const int64_t ys[4] = {d.n, d.oh, d.ow, d.c_out};
        for (int how = RUN_V0; how <= RUN_MMA; how++) {
            if (how == RUN_DW || (how == RUN_MMA && sizeof(T) != 2)) continue;
            for (int64_t i = 0; i < ny; i++) tr_st(ty, i, NAN);
            if (how == RUN_V0) {
                tr_convt_p<T> p = {d, tx, tw, tb, ty};
                for (int64_t i = 0; i < ny; i++) tr_convt_v0(p, i);
            } else {
                tr_gemm_p<T> gp;
                memset(&gp, 0, sizeof gp);
                gp.mode = TR_GEMM_CONVT;
                gp.d = {d.n, d.h, d.w, d.c_in, d.oh, d.ow, d.c_out, d.kh, d.kw, d.stride_h,
                        d.stride_w, d.dil_h, d.dil_w, d.pad_top, d.pad_left, d.groups, TR_PAD_ZEROS,
                        d.ep, {1, 1, 1, 1}};
                for (int32_t rr = 0; rr < d.stride_h; rr++)
                    for (int32_t q = 0; q < d.kh; q++)
                        if (q * d.dil_h % d.stride_h == rr) gp.ty[rr][gp.n_ty[rr]++] = (int8_t)q;
                for (int32_t rr = 0; rr < d.stride_w; rr++)
                    for (int32_t q = 0; q < d.kw; q++)
                        if (q * d.dil_w % d.stride_w == rr) gp.tx[rr][gp.n_tx[rr]++] = (int8_t)q;
                gp.x = tx, gp.w = tw, gp.bias = tb, gp.y = ty;
                emu_igemm(gp, how == RUN_MMA);
            }
            emu_load(ty, got, ny);
            char what[96];
            snprintf(what, sizeof what, "convt case %zu variant %d %s", k, how, tryon_dtype_name(dt));
            if (how == RUN_V0 || exact)
                EMU_EXACT(got, ref, ny, 4, ys, what);
            else
                EMU_CLOSE(got, ref, ny, 1e-5, 1e-5, 4, ys, what);
        }
        free(x), free(w), free(b), free(ref), free(got), free(tx), free(tw), free(tb), free(ty);
    }
}

START_TEST(conv_transpose2d_v0_and_subpixel_gemm_match_the_cpu) {
    check_convt<float>(1);
    check_convt<float>(0);
    check_convt<__half>(1);
    check_convt<__nv_bfloat16>(1);
}
END_TEST

/* ---- linear ----------------------------------------------------------------------- */

template <typename T> static void check_linear(int exact) {
    const tryon_dtype dt = emu_dtype<T>();
    tr_linear_desc d = {20, 70, 33, tr_epilogue_make(TR_ACT_LRELU)};
    const int64_t nx = 20 * 70, nw = 33 * 70, ny = 20 * 33;
    float *x = emu_floats(nx), *w = emu_floats(nw), *b = emu_floats(33);
    float *ref = emu_floats(ny), *got = emu_floats(ny);
    tu_rng r;
    tu_rng_seed(&r, 50);
    if (exact)
        tu_fill_int(x, nx, &r, -3, 3), tu_fill_int(w, nw, &r, -3, 3), tu_fill_int(b, 33, &r, -3, 3);
    else
        tu_fill_uniform(x, nx, &r, -1, 1), tu_fill_uniform(w, nw, &r, -1, 1),
            tu_fill_uniform(b, 33, &r, -1, 1);
    emu_round_all(x, nx, dt), emu_round_all(w, nw, dt), emu_round_all(b, 33, dt);
    tr_linear_args a = {d, x, w, b, ref};
    tr_cpu_linear_f32(NULL, &a);
    emu_round_all(ref, ny, dt);
    T *tx = emu_store<T>(x, nx), *tw = emu_store<T>(w, nw), *tb = emu_store<T>(b, 33);
    T *ty = emu_store<T>(got, ny);
    const int64_t ys[2] = {20, 33};
    for (int how = RUN_V0; how <= RUN_MMA; how++) {
        if (how == RUN_DW || (how == RUN_MMA && sizeof(T) != 2)) continue;
        if (how == RUN_V0) {
            tr_linear_p<T> p = {d, tx, tw, tb, ty};
            for (int64_t i = 0; i < ny; i++) tr_linear_v0(p, i);
        } else {
            tr_gemm_p<T> gp;
            memset(&gp, 0, sizeof gp);
            gp.mode = TR_GEMM_CONV, gp.one = 1;
            gp.d = {d.n, 1, 1, d.k, 1, 1, d.m, 1, 1, 1, 1, 1, 1, 0, 0, 1, TR_PAD_ZEROS, d.ep,
                    {1, 1, 1, 1}};
            gp.x = tx, gp.w = tw, gp.bias = tb, gp.y = ty;
            emu_igemm(gp, how == RUN_MMA);
        }
        emu_load(ty, got, ny);
        if (how == RUN_V0 || exact)
            EMU_EXACT(got, ref, ny, 2, ys, "linear");
        else
            EMU_CLOSE(got, ref, ny, 1e-5, 1e-5, 2, ys, "linear gemm");
    }
    free(x), free(w), free(b), free(ref), free(got), free(tx), free(tw), free(tb), free(ty);
}

START_TEST(linear_v0_and_gemm_match_the_cpu) {
    check_linear<float>(1);
    check_linear<float>(0);
    check_linear<__half>(1);
    check_linear<__nv_bfloat16>(1);
}
END_TEST

int main(void) {
    Suite *s = suite_create("emu_conv");
    TCase *tc = tcase_create("conv");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, conv2d_v0_depthwise_and_gemm_match_the_cpu);
    tcase_add_test(tc, conv2d_round_once_v0_is_the_cpu_bitwise);
    tcase_add_test(tc, conv_transpose2d_v0_and_subpixel_gemm_match_the_cpu);
    tcase_add_test(tc, linear_v0_and_gemm_match_the_cpu);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
