/* harness.h — the benchmark harness's own logic, kept free of tryon models so
 * that tests/test_bench.c can check it directly: timing statistics, the
 * verify-before-time output comparison, and the JSON-lines writer. */
#ifndef TRYON_BENCH_HARNESS_H
#define TRYON_BENCH_HARNESS_H

#include <stdint.h>
#include <stdio.h>

/* ---- statistics ------------------------------------------------------------ */

typedef struct bench_stats {
    int32_t n;
    double median; /* middle value; mean of the two middle ones when n is even */
    double p90;    /* nearest rank: the ceil(0.9 n)-th smallest value */
    double min, max, mean;
} bench_stats;

/* Sorts t (n >= 1 values) ascending and fills out. */
void bench_stats_compute(double *t, int32_t n, bench_stats *out);

/* ---- output comparison ------------------------------------------------------- */

/* Tolerance of one comparison. A float output passes when non-finite values
 * match by position and sign, NMSE = sum (got - want)^2 / sum want^2 <= nmse,
 * and every |got - want| <= max_abs_frac * max |want| (so that a few wrong
 * elements cannot hide in a large tensor's NMSE). Integer outputs must match
 * exactly. Why each number is what it is: bench_tol_for (verify.c). */
typedef struct bench_tol {
    double nmse;
    double max_abs_frac;
} bench_tol;

typedef enum bench_prec { BENCH_PREC_F32 = 0, BENCH_PREC_F16, BENCH_PREC_BF16 } bench_prec;

/* Tolerance for a row computed with activations stored in prec; net rows
 * (whole graphs) get a looser bound than single ops because rounding errors
 * add up layer after layer. */
bench_tol bench_tol_for(bench_prec prec, int whole_net);

/* Running comparison of one tensor (several calls may add more elements). */
typedef struct bench_cmp {
    int64_t n;           /* elements compared */
    int64_t n_nonfinite; /* positions where NaN/Inf do not match (or ints differ) */
    int64_t worst;       /* index of the largest |got - want| (first mismatch if any) */
    double worst_got, worst_want;
    double max_abs; /* over finite pairs */
    double max_rel; /* |got - want| / |want| over |want| >= 1e-3 * ref_max */
    double ref_max; /* max |want| over finite want */
    double sum_sq_err, sum_sq_ref;
} bench_cmp;

void bench_cmp_init(bench_cmp *c);
void bench_cmp_f32(bench_cmp *c, const float *got, const float *want, int64_t n);
/* Exact comparison of n elements of size bytes each (I32, U8 outputs). */
void bench_cmp_exact(bench_cmp *c, const void *got, const void *want, int64_t n, size_t size);
double bench_cmp_nmse(const bench_cmp *c);
/* 1 when c passes t. why (optional) gets a one-line summary either way:
 * "nmse 1.2e-09 (tol 1e-07), max_abs 3e-05 = 2e-06 of max|ref| (tol 1e-03), ...". */
int bench_cmp_ok(const bench_cmp *c, const bench_tol *t, char *why, size_t size);

/* Copies src into dst (size > 0 bytes), truncating, always terminated. */
void bench_strcpy(char *dst, size_t size, const char *src);

/* ---- JSON lines ------------------------------------------------------------- */

/* One JSON object written member by member to a FILE (no allocation).
 * Strings are escaped per RFC 8259; non-finite numbers become null. */
typedef struct bench_json {
    FILE *f;
    int32_t n; /* members written in the current object */
} bench_json;

void bench_json_begin(bench_json *j, FILE *f);
void bench_json_str(bench_json *j, const char *key, const char *value); /* NULL: null */
void bench_json_num(bench_json *j, const char *key, double value);
void bench_json_int(bench_json *j, const char *key, int64_t value);
void bench_json_null(bench_json *j, const char *key);
/* Starts a nested object as member key; close it with bench_json_end_nested. */
void bench_json_nested(bench_json *j, const char *key, bench_json *inner);
void bench_json_end_nested(bench_json *inner, bench_json *outer);
/* Closes the object and writes a newline. */
void bench_json_end(bench_json *j);
/* Writes s as a JSON string literal (with quotes). */
void bench_json_write_string(FILE *f, const char *s);

#endif /* TRYON_BENCH_HARNESS_H */
