/* vec.h — the small vector vocabulary the fast CPU kernels are written in,
 * so that each kernel body (kernels/fast/body_*.h) is written once and
 * compiled once per ISA file:
 *   isa_avx512.c  TR_VEC_AVX512    16 floats, AVX-512F/VL/DQ/BW intrinsics
 *   isa_avx2.c    TR_VEC_AVX2       8 floats, AVX2 + FMA intrinsics
 *   isa_portable.c TR_VEC_PORTABLE  4 floats, GCC/Clang vector extensions
 *                                   (SSE2 on x86-64, NEON on AArch64, scalar
 *                                   elsewhere)
 * The including file defines exactly one TR_VEC_* and is compiled with the
 * matching -m flags (Makefile); nothing here is used outside those files.
 *
 * Arithmetic contract (the tests rely on it):
 *   vf_fma(a, b, c)  a*b + c rounded once on AVX2/AVX-512 (hardware FMA), and
 *                    rounded twice (a*b, then + c) in the portable file;
 *   vf_mul/add/sub   one IEEE rounding each, never contracted (the ISA files
 *                    build with -ffp-contract=off);
 *   vd_*             the same on doubles (VL/2 lanes);
 *   vf_lt(a, b)      an ordered compare: false when either side is NaN, which
 *                    is what makes the epilogue's selects propagate NaN like
 *                    the scalar reference (kernels/cpu/epilogue.h). */
#ifndef TR_FAST_VEC_H
#define TR_FAST_VEC_H

#include <stdint.h>
#include <string.h>

#if defined(TR_VEC_AVX512)
#include <immintrin.h>
#define VL 16
typedef __m512 vf;
typedef __m512d vd;
typedef __mmask16 vmask;
#define vf_zero()       _mm512_setzero_ps()
#define vf_set1(x)      _mm512_set1_ps(x)
#define vf_load(p)      _mm512_loadu_ps(p)
#define vf_store(p, v)  _mm512_storeu_ps((p), (v))
#define vf_fma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define vf_mul(a, b)    _mm512_mul_ps((a), (b))
#define vf_add(a, b)    _mm512_add_ps((a), (b))
#define vf_sub(a, b)    _mm512_sub_ps((a), (b))
#define vf_lt(a, b)     _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define vf_gt(a, b)     _mm512_cmp_ps_mask((a), (b), _CMP_GT_OQ)
/* m ? a : b */
#define vf_select(m, a, b) _mm512_mask_blend_ps((m), (b), (a))
static inline vf vf_load_n(const float *p, int32_t n) {
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}
static inline void vf_store_n(float *p, vf v, int32_t n) {
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v);
}
/* Sum of the lanes by a fixed pairwise tree. */
static inline float vf_hsum(vf v) {
    __m256 a = _mm256_add_ps(_mm512_castps512_ps256(v),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
}
/* doubles: VL/2 lanes */
#define vd_set1(x)      _mm512_set1_pd(x)
#define vd_zero()       _mm512_setzero_pd()
#define vd_fma(a, b, c) _mm512_fmadd_pd((a), (b), (c))
#define vd_mul(a, b)    _mm512_mul_pd((a), (b))
#define vd_add(a, b)    _mm512_add_pd((a), (b))
#define vd_sub(a, b)    _mm512_sub_pd((a), (b))
#define vd_div(a, b)    _mm512_div_pd((a), (b))
#define vd_load(p)      _mm512_loadu_pd(p)
#define vd_store(p, v)  _mm512_storeu_pd((p), (v))
/* Widening and narrowing: lanes 0..VL/2-1 and VL/2..VL-1 of a float vector. */
#define vd_from_lo(v) _mm512_cvtps_pd(_mm512_castps512_ps256(v))
#define vd_from_hi(v)                                                                              \
    _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))
#define vd_load_f(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
/* Rounds each double to the nearest float and back (exact round trip). */
#define vd_round_f32(v) _mm512_cvtps_pd(_mm512_cvtpd_ps(v))
static inline void vd_store_f(float *p, vd v) { _mm256_storeu_ps(p, _mm512_cvtpd_ps(v)); }
static inline void vd_store_f_n(float *p, vd v, int32_t n) {
    _mm256_mask_storeu_ps(p, (__mmask8)((1u << n) - 1), _mm512_cvtpd_ps(v));
}
static inline vd vd_load_f_n(const float *p, int32_t n) {
    return _mm512_cvtps_pd(_mm256_maskz_loadu_ps((__mmask8)((1u << n) - 1), p));
}
/* Rounds two double vectors to floats: lanes 0..VL/2-1 from lo, the rest from hi. */
static inline vf vf_from_vd2(vd lo, vd hi) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo)), _mm512_cvtpd_ps(hi), 1);
}

#elif defined(TR_VEC_AVX2)
#include <immintrin.h>
#define VL                 8
typedef __m256 vf;
typedef __m256d vd;
typedef __m256 vmask;
#define vf_zero()          _mm256_setzero_ps()
#define vf_set1(x)         _mm256_set1_ps(x)
#define vf_load(p)         _mm256_loadu_ps(p)
#define vf_store(p, v)     _mm256_storeu_ps((p), (v))
#define vf_fma(a, b, c)    _mm256_fmadd_ps((a), (b), (c))
#define vf_mul(a, b)       _mm256_mul_ps((a), (b))
#define vf_add(a, b)       _mm256_add_ps((a), (b))
#define vf_sub(a, b)       _mm256_sub_ps((a), (b))
#define vf_lt(a, b)        _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define vf_gt(a, b)        _mm256_cmp_ps((a), (b), _CMP_GT_OQ)
#define vf_select(m, a, b) _mm256_blendv_ps((b), (a), (m))
static inline __m256i tr_avx2_mask(int32_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf vf_load_n(const float *p, int32_t n) {
    return _mm256_maskload_ps(p, tr_avx2_mask(n));
}
static inline void vf_store_n(float *p, vf v, int32_t n) {
    _mm256_maskstore_ps(p, tr_avx2_mask(n), v);
}
static inline float vf_hsum(vf v) {
    __m128 b = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    b = _mm_add_ps(b, _mm_movehl_ps(b, b));
    b = _mm_add_ss(b, _mm_movehdup_ps(b));
    return _mm_cvtss_f32(b);
}
#define vd_set1(x)         _mm256_set1_pd(x)
#define vd_zero()          _mm256_setzero_pd()
#define vd_fma(a, b, c)    _mm256_fmadd_pd((a), (b), (c))
#define vd_mul(a, b)       _mm256_mul_pd((a), (b))
#define vd_add(a, b)       _mm256_add_pd((a), (b))
#define vd_sub(a, b)       _mm256_sub_pd((a), (b))
#define vd_div(a, b)       _mm256_div_pd((a), (b))
#define vd_load(p)         _mm256_loadu_pd(p)
#define vd_store(p, v)     _mm256_storeu_pd((p), (v))
#define vd_from_lo(v)      _mm256_cvtps_pd(_mm256_castps256_ps128(v))
#define vd_from_hi(v)      _mm256_cvtps_pd(_mm256_extractf128_ps((v), 1))
#define vd_load_f(p)       _mm256_cvtps_pd(_mm_loadu_ps(p))
#define vd_round_f32(v)    _mm256_cvtps_pd(_mm256_cvtpd_ps(v))
static inline void vd_store_f(float *p, vd v) { _mm_storeu_ps(p, _mm256_cvtpd_ps(v)); }
static inline void vd_store_f_n(float *p, vd v, int32_t n) {
    float t[4];
    _mm_storeu_ps(t, _mm256_cvtpd_ps(v));
    memcpy(p, t, (size_t)n * sizeof *p);
}
static inline vd vd_load_f_n(const float *p, int32_t n) {
    float t[4] = {0, 0, 0, 0};
    memcpy(t, p, (size_t)n * sizeof *p);
    return _mm256_cvtps_pd(_mm_loadu_ps(t));
}
static inline vf vf_from_vd2(vd lo, vd hi) {
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi),
                                1);
}

#elif defined(TR_VEC_PORTABLE)
/* GCC/Clang vector extensions: the compiler picks the target's SIMD (or
 * scalar code). No FMA: a*b + c is two roundings (contraction is off). */
#define VL           4
typedef float vf __attribute__((vector_size(16)));
typedef double vd __attribute__((vector_size(16)));
typedef int32_t vmask __attribute__((vector_size(16)));
typedef int64_t tr_vdmask __attribute__((vector_size(16)));
static inline vf vf_zero(void) { return (vf){0, 0, 0, 0}; }
static inline vf vf_set1(float x) { return (vf){x, x, x, x}; }
static inline vf vf_load(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vf_store(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf vf_fma(vf a, vf b, vf c) { return a * b + c; }
#define vf_mul(a, b) ((a) * (b))
#define vf_add(a, b) ((a) + (b))
#define vf_sub(a, b) ((a) - (b))
#define vf_lt(a, b)  ((vmask)((a) < (b)))
#define vf_gt(a, b)  ((vmask)((a) > (b)))
static inline vf vf_select(vmask m, vf a, vf b) { return (vf)(((vmask)a & m) | ((vmask)b & ~m)); }
static inline vf vf_load_n(const float *p, int32_t n) {
    vf v = vf_zero();
    memcpy(&v, p, (size_t)n * sizeof *p);
    return v;
}
static inline void vf_store_n(float *p, vf v, int32_t n) { memcpy(p, &v, (size_t)n * sizeof *p); }
static inline float vf_hsum(vf v) { return (v[0] + v[2]) + (v[1] + v[3]); }
static inline vd vd_set1(double x) { return (vd){x, x}; }
static inline vd vd_zero(void) { return (vd){0, 0}; }
static inline vd vd_fma(vd a, vd b, vd c) { return a * b + c; }
#define vd_mul(a, b) ((a) * (b))
#define vd_add(a, b) ((a) + (b))
#define vd_sub(a, b) ((a) - (b))
#define vd_div(a, b) ((a) / (b))
static inline vd vd_load(const double *p) {
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vd_store(double *p, vd v) { memcpy(p, &v, sizeof v); }
/* Conversions go through __builtin_convertvector: GCC 12 folds the element-
 * wise form (vd){(float)v[0], (float)v[1]} into the identity, silently
 * dropping the rounding to float that ROUND_ONCE depends on. */
typedef float tr_vf2 __attribute__((vector_size(8)));
static inline vd vd_from_f2(tr_vf2 v) { return __builtin_convertvector(v, vd); }
static inline vd vd_from_lo(vf v) { return vd_from_f2((tr_vf2){v[0], v[1]}); }
static inline vd vd_from_hi(vf v) { return vd_from_f2((tr_vf2){v[2], v[3]}); }
static inline vd vd_load_f(const float *p) {
    tr_vf2 t;
    memcpy(&t, p, sizeof t);
    return vd_from_f2(t);
}
static inline vd vd_round_f32(vd v) { return vd_from_f2(__builtin_convertvector(v, tr_vf2)); }
static inline void vd_store_f(float *p, vd v) {
    tr_vf2 t = __builtin_convertvector(v, tr_vf2);
    memcpy(p, &t, sizeof t);
}
static inline void vd_store_f_n(float *p, vd v, int32_t n) {
    tr_vf2 t = __builtin_convertvector(v, tr_vf2);
    memcpy(p, &t, (size_t)n * sizeof *p);
}
static inline vd vd_load_f_n(const float *p, int32_t n) {
    tr_vf2 t = {0, 0};
    memcpy(&t, p, (size_t)n * sizeof *p);
    return vd_from_f2(t);
}
static inline vf vf_from_vd2(vd lo, vd hi) {
    tr_vf2 a = __builtin_convertvector(lo, tr_vf2), b = __builtin_convertvector(hi, tr_vf2);
    return (vf){a[0], a[1], b[0], b[1]};
}
#else
#error "define one of TR_VEC_AVX512, TR_VEC_AVX2, TR_VEC_PORTABLE before including vec.h"
#endif

/* Doubles per vd. */
#define VLD (VL / 2)

/* Makes the compiler keep v in a register: GCC otherwise folds a load that
 * several FMAs share into each of them (one load per use instead of one). */
#if defined(TR_VEC_AVX512) || defined(TR_VEC_AVX2)
#define vf_keep(v) __asm__("" : "+v"(v))
#else
#define vf_keep(v) ((void)0)
#endif

#endif /* TR_FAST_VEC_H */
