/* util.c — test helpers (see util.h). */
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void tu_rng_seed(tu_rng *r, uint64_t seed) { r->s = seed * 0x9E3779B97F4A7C15ull + 1; }

uint64_t tu_rng_u64(tu_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float tu_rng_uniform(tu_rng *r, float lo, float hi) {
    double u = (double)(tu_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(lo + (hi - lo) * u);
}

int32_t tu_rng_int(tu_rng *r, int32_t lo, int32_t hi) {
    return lo + (int32_t)(tu_rng_u64(r) % (uint64_t)(hi - lo + 1));
}

float tu_rng_normal(tu_rng *r) {
    double u1 = ((double)(tu_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(tu_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void tu_fill_uniform(float *x, int64_t n, tu_rng *r, float lo, float hi) {
    for (int64_t i = 0; i < n; i++) x[i] = tu_rng_uniform(r, lo, hi);
}

void tu_fill_int(float *x, int64_t n, tu_rng *r, int32_t lo, int32_t hi) {
    for (int64_t i = 0; i < n; i++) x[i] = (float)tu_rng_int(r, lo, hi);
}

/* A NaN with a payload no arithmetic produces, so that a kernel writing a
 * NaN past the end (say, one read from an input's canary) is still caught. */
#define TU_CANARY_BITS 0x7fa5c0deu

float *tu_guarded_alloc(int64_t n) {
    float *p = malloc((size_t)(n + TU_GUARD) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (int64_t i = 0; i < n; i++) p[i] = 0.0f;
    uint32_t bits = TU_CANARY_BITS;
    for (int64_t i = 0; i < TU_GUARD; i++) memcpy(&p[n + i], &bits, 4);
    return p;
}

int tu_guard_ok(const float *p, int64_t n) {
    for (int64_t i = 0; i < TU_GUARD; i++) {
        uint32_t bits;
        memcpy(&bits, &p[n + i], 4);
        if (bits != TU_CANARY_BITS) return 0;
    }
    return 1;
}

void tu_guarded_free(float *p) { free(p); }

static int same_special(double g, double r) {
    if (isnan(r)) return isnan(g);
    if (isinf(r)) return g == r;
    return 0;
}

static tu_cmp compare(const float *got, const float *reff, const double *refd, int64_t n,
                      double atol, double rtol, int exact) {
    tu_cmp c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.first_bad = -1;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], r = reff ? reff[i] : refd[i];
        int bad;
        if (!isfinite(r) || !isfinite(g)) {
            bad = !same_special(g, r);
        } else if (exact) {
            bad = g != r; /* +0 == -0 */
        } else {
            double d = fabs(g - r);
            bad = !(d <= atol + rtol * fabs(r));
            if (d > c.max_abs) c.max_abs = d;
            if (fabs(r) > 0 && d / fabs(r) > c.max_rel) c.max_rel = d / fabs(r);
            num += d * d;
            den += r * r;
        }
        if (exact && isfinite(r) && isfinite(g)) {
            double d = fabs(g - r);
            if (d > c.max_abs) c.max_abs = d;
            num += d * d;
            den += r * r;
        }
        if (bad) {
            if (c.first_bad < 0) {
                c.first_bad = i;
                c.got_at_bad = (float)g;
                c.ref_at_bad = (float)r;
            }
            c.n_bad++;
        }
    }
    c.nmse = den > 0 ? num / den : num;
    return c;
}

tu_cmp tu_compare(const float *got, const float *ref, int64_t n, double atol, double rtol) {
    return compare(got, ref, NULL, n, atol, rtol, 0);
}

tu_cmp tu_compare_f64(const float *got, const double *ref, int64_t n, double atol, double rtol) {
    return compare(got, NULL, ref, n, atol, rtol, 0);
}

tu_cmp tu_compare_exact(const float *got, const float *ref, int64_t n) {
    return compare(got, ref, NULL, n, 0, 0, 1);
}

const char *tu_cmp_str(const tu_cmp *c, int32_t ndim, const int64_t *shape, char *buf,
                       size_t size) {
    size_t k = (size_t)snprintf(buf, size, "n %lld max_abs %.3g max_rel %.3g nmse %.3g",
                                (long long)c->n, c->max_abs, c->max_rel, c->nmse);
    if (c->first_bad >= 0 && k < size) {
        int64_t idx[8] = {0}, rem = c->first_bad;
        for (int32_t d = ndim - 1; d >= 0; d--) {
            idx[d] = shape && shape[d] > 0 ? rem % shape[d] : rem;
            rem = shape && shape[d] > 0 ? rem / shape[d] : 0;
        }
        k += (size_t)snprintf(buf + k, size - k, " first bad #%lld [", (long long)c->first_bad);
        for (int32_t d = 0; d < ndim && k < size; d++)
            k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? ", " : "", (long long)idx[d]);
        if (k < size)
            snprintf(buf + k, size - k, "] got %.9g want %.9g", c->got_at_bad, c->ref_at_bad);
    }
    return buf;
}

tryon_ctx *tu_ctx(int32_t n_threads) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.n_threads = n_threads;
    tryon_ctx *ctx = NULL;
    char why[256];
    tryon_status st = tryon_ctx_init(&p, &ctx, why, sizeof why);
    ck_assert_msg(st == TRYON_OK, "tryon_ctx_init: %s", why);
    return ctx;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *tu_data_dir(void) {
    const char *env = getenv("TRYON_DATA");
    if (env && *env) return is_dir(env) ? env : NULL;
    return is_dir("../shared/data") ? "../shared/data" : NULL;
}

const char *tu_data_file(const char *rel, char *buf, size_t size) {
    const char *d = tu_data_dir();
    if (!d) return NULL;
    snprintf(buf, size, "%s/%s", d, rel);
    struct stat sb;
    return stat(buf, &sb) == 0 ? buf : NULL;
}

const char *tu_ref_dir(void) {
    const char *t = getenv("TRYON_TORCH");
    if (t && !strcmp(t, "0")) return NULL;
    const char *d = getenv("TRYON_REF_DIR");
    return d && *d ? d : "build/ref";
}

void tu_npy_load(tryon_ctx *ctx, const char *path, tryon_array *out) {
    tryon_status st = tryon_npy_read(ctx, path, out);
    ck_assert_msg(st == TRYON_OK, "%s: %s", path, tryon_ctx_last_error(ctx));
}

void tu_skip(const char *what, const char *why) { fprintf(stderr, "SKIP %s: %s\n", what, why); }

int tu_run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Like compare() with a per-element bound; kept separate so that the shared
 * helper above stays untouched. */
tu_cmp tu_compare_tol(const float *got, const double *ref, const double *tol, int64_t n) {
    tu_cmp c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.first_bad = -1;
    double num = 0, den = 0;
    for (int64_t i = 0; i < n; i++) {
        double g = got[i], r = ref[i];
        int bad;
        if (!isfinite(r) || !isfinite(g)) {
            bad = !same_special(g, r);
        } else {
            double d = fabs(g - r);
            bad = !(d <= tol[i]);
            if (d > c.max_abs) c.max_abs = d;
            if (fabs(r) > 0 && d / fabs(r) > c.max_rel) c.max_rel = d / fabs(r);
            num += d * d;
            den += r * r;
        }
        if (bad) {
            if (c.first_bad < 0) {
                c.first_bad = i;
                c.got_at_bad = (float)g;
                c.ref_at_bad = (float)r;
            }
            c.n_bad++;
        }
    }
    c.nmse = den > 0 ? num / den : num;
    return c;
}
