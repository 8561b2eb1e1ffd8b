/* util.h — helpers shared by the Check suites.
 *
 * Comparison follows the house rules (STYLE.md 3.8): exact (bitwise, +0 ==
 * -0) where the arithmetic is exact, otherwise |got - ref| <= atol + rtol*|ref|
 * with a tolerance chosen from an error model and justified where it is used;
 * NaN/Inf must match by position and sign. Every comparison prints max abs
 * and rel error, NMSE and the first bad element decoded to coordinates.
 *
 * Guard bands: tu_guarded_alloc returns a buffer followed by TU_GUARD NaN
 * canaries with a NaN payload no arithmetic produces; tu_guard_ok checks
 * their bits survived the kernel. */
#ifndef TRYON_TEST_UTIL_H
#define TRYON_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>

#include "tryon.h"

#define TU_GUARD 64

/* Deterministic generator (splitmix64) so failures reproduce. */
typedef struct tu_rng {
    uint64_t s;
} tu_rng;
void tu_rng_seed(tu_rng *r, uint64_t seed);
uint64_t tu_rng_u64(tu_rng *r);
float tu_rng_uniform(tu_rng *r, float lo, float hi);   /* [lo, hi) */
int32_t tu_rng_int(tu_rng *r, int32_t lo, int32_t hi); /* [lo, hi] */
float tu_rng_normal(tu_rng *r);

void tu_fill_uniform(float *x, int64_t n, tu_rng *r, float lo, float hi);
/* Small integers in [lo, hi]: products and sums stay exact in f32. */
void tu_fill_int(float *x, int64_t n, tu_rng *r, int32_t lo, int32_t hi);

/* n floats + TU_GUARD NaN canaries; free with tu_guarded_free. */
float *tu_guarded_alloc(int64_t n);
int tu_guard_ok(const float *p, int64_t n);
void tu_guarded_free(float *p);

/* Result of a comparison; also printed by tu_compare_report. */
typedef struct tu_cmp {
    int64_t n, n_bad, first_bad;
    double max_abs, max_rel, nmse;
    float got_at_bad, ref_at_bad;
} tu_cmp;

/* shape (ndim dims) is used only to decode the first bad index. */
tu_cmp tu_compare(const float *got, const float *ref, int64_t n, double atol, double rtol);
tu_cmp tu_compare_f64(const float *got, const double *ref, int64_t n, double atol, double rtol);
/* Bitwise equality (+0 == -0, NaN == NaN). */
tu_cmp tu_compare_exact(const float *got, const float *ref, int64_t n);
/* Per-element tolerance: |got[i] - ref[i]| <= tol[i], for references that
 * carry their own error bound (e.g. gamma_K * sum |x||w| of a dot product). */
tu_cmp tu_compare_tol(const float *got, const double *ref, const double *tol, int64_t n);
/* "max_abs 1.2e-07 max_rel ... nmse ... first bad [0, 3, 4, 1] got 1.5 want 1.25" */
const char *tu_cmp_str(const tu_cmp *c, int32_t ndim, const int64_t *shape, char *buf, size_t size);

/* Asserts the comparison passed, printing the report either way when
 * TRYON_TEST_VERBOSE is set and always on failure. */
#define TU_ASSERT_CMP(c, ndim, shape, what)                                                        \
    do {                                                                                           \
        char tu_buf_[512];                                                                         \
        tu_cmp_str(&(c), (ndim), (shape), tu_buf_, sizeof tu_buf_);                                \
        if (getenv("TRYON_TEST_VERBOSE")) fprintf(stderr, "%s: %s\n", (what), tu_buf_);            \
        ck_assert_msg((c).n_bad == 0, "%s: %lld of %lld elements off: %s", (what),                 \
                      (long long)(c).n_bad, (long long)(c).n, tu_buf_);                            \
    } while (0)

/* Context with n threads (0 = default) or fail the test. */
tryon_ctx *tu_ctx(int32_t n_threads);

/* The real-data folder (../shared/data or $TRYON_DATA) or NULL. */
const char *tu_data_dir(void);
/* "$dir/rel" into buf if the file exists, else NULL. */
const char *tu_data_file(const char *rel, char *buf, size_t size);
/* PyTorch fixture folder ($TRYON_REF_DIR) or NULL when TORCH=0. */
const char *tu_ref_dir(void);

/* Reads a .npy into a tryon_array or fails the test. */
void tu_npy_load(tryon_ctx *ctx, const char *path, tryon_array *out);

/* Prints "SKIP <suite>: why" once; Check has no skip, so a skipped test
 * returns early after this, and the reason shows in the log. */
void tu_skip(const char *what, const char *why);

/* Runs a suite in the mode set by CK_FORK (fork by default); returns the
 * process exit code. */
int tu_run_suite(Suite *s);

#endif /* TRYON_TEST_UTIL_H */
