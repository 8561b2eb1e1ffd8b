/* tps.c — thin-plate splines: fit to control-point pairs, evaluate on a grid
 * or at arbitrary points. CP-VTON's formulation (NETS.md §4.3).
 *
 * Per batch item, with control points c_k and values v_k (k < K), the spline
 *   f(p) = a0 + ax*p.x + ay*p.y + sum_k w_k U(|p - c_k|^2),  U(r2) = r2 ln r2, U(0) = 0
 * solves the (K+3)x(K+3) system
 *   [ K + lambda*I  P ] [ w ]   [ v ]
 *   [ P^T           0 ] [ a ] = [ 0 ],   K_ij = U(|c_i - c_j|^2),  P_i = (1, c_i.x, c_i.y).
 * With lambda = 0 f interpolates (f(c_k) = v_k); lambda > 0 trades exactness
 * for smoothness. CP-VTON computes L^-1 in f32 and multiplies; here the system
 * is solved in double by Gaussian elimination with partial pivoting, which
 * is the same solution without the f32 inverse's ~1e-6 error.
 *
 * The unknown actually solved for is the deviation g = f - identity (right-hand
 * side v_k - c_k; then 1 is added to ax.x and ay.y). In exact arithmetic that
 * is the same f, since the identity is affine; it matters when the system is
 * singular, where it makes the fallback prefer the identity map:
 *   - Points whose mask is <= the threshold, or that have a non-finite
 *     coordinate, are left out: their row and column become the unit vector
 *     and their w_k = 0, so a fixed-size graph can drop undetected keypoints.
 *   - Singular systems (fewer than 3 usable points, all points on one line,
 *     duplicated points): when a pivot falls below 1e-12 times the largest
 *     entry of its column of L, the
 *     system is re-solved as the Tikhonov-regularized least-squares problem
 *     (L^T L + eps*I) x = L^T b with eps = 1e-10 * max diag(L^T L) (Cholesky).
 *     That is the minimum-norm g up to O(eps): directions the points do not
 *     determine keep the identity (no points at all: f is the identity;
 *     collinear points: the identity across the line), and duplicated points
 *     with different values get their average.
 *   - Should even that fail (non-finite data), f is the identity.
 *
 * Evaluation runs in double from the f32 coefficients and rounds once.
 * Tests: tests/test_warp.c (double oracle, identities, fallbacks),
 * tests/test_torch_warp.c (CP-VTON reference in PyTorch). */
#include <math.h>
#include <string.h>

#include "grid_coord.h"
#include "kernels.h"
#include "pool.h"

#define MAX_M     (TR_TPS_MAX_POINTS + 3)
#define PIVOT_TOL 1e-12
#define RIDGE     1e-10

static inline double tps_u(double r2) { return r2 > 0.0 ? r2 * log(r2) : 0.0; }

/* Gaussian elimination with partial pivoting on a (m x m) matrix and two
 * right-hand sides (b, m x 2), in place; x written to b. Returns 0 when the
 * pivot of a column is below PIVOT_TOL times that column's largest original
 * entry (singular to working precision). Per column, because the blocks have
 * different scales: with a large lambda the K block is ~lambda while the
 * legitimate pivots of the P columns are ~|P|^2/lambda. */
static int solve_lu(double *a, double *b, int32_t m) {
    double tol[MAX_M];
    for (int32_t col = 0; col < m; col++) {
        double mx = 0.0;
        for (int32_t r = 0; r < m; r++) mx = fabs(a[r * m + col]) > mx ? fabs(a[r * m + col]) : mx;
        tol[col] = PIVOT_TOL * mx;
    }
    for (int32_t col = 0; col < m; col++) {
        int32_t piv = col;
        for (int32_t r = col + 1; r < m; r++)
            if (fabs(a[r * m + col]) > fabs(a[piv * m + col])) piv = r;
        if (!(fabs(a[piv * m + col]) > tol[col])) return 0;
        if (piv != col) {
            for (int32_t k = 0; k < m; k++) {
                double t = a[col * m + k];
                a[col * m + k] = a[piv * m + k];
                a[piv * m + k] = t;
            }
            for (int32_t k = 0; k < 2; k++) {
                double t = b[col * 2 + k];
                b[col * 2 + k] = b[piv * 2 + k];
                b[piv * 2 + k] = t;
            }
        }
        double inv = 1.0 / a[col * m + col];
        for (int32_t r = col + 1; r < m; r++) {
            double f = a[r * m + col] * inv;
            if (f == 0.0) continue;
            for (int32_t k = col; k < m; k++) a[r * m + k] -= f * a[col * m + k];
            b[r * 2] -= f * b[col * 2];
            b[r * 2 + 1] -= f * b[col * 2 + 1];
        }
    }
    for (int32_t r = m - 1; r >= 0; r--)
        for (int32_t k = 0; k < 2; k++) {
            double s = b[r * 2 + k];
            for (int32_t c = r + 1; c < m; c++) s -= a[r * m + c] * b[c * 2 + k];
            b[r * 2 + k] = s / a[r * m + r];
        }
    return 1;
}

/* Ridge least squares (L^T L + eps I) x = L^T b by Cholesky; x into b.
 * Returns 0 if the factorization breaks down (non-finite input). */
static int solve_ridge(const double *l, double *b, int32_t m) {
    double n[MAX_M * MAX_M], rhs[MAX_M * 2];
    double max_diag = 0.0;
    for (int32_t i = 0; i < m; i++)
        for (int32_t j = 0; j <= i; j++) {
            double s = 0.0;
            for (int32_t r = 0; r < m; r++) s += l[r * m + i] * l[r * m + j];
            n[i * m + j] = n[j * m + i] = s;
            if (i == j && s > max_diag) max_diag = s;
        }
    double eps = RIDGE * (max_diag > 0.0 ? max_diag : 1.0);
    for (int32_t i = 0; i < m; i++) {
        n[i * m + i] += eps;
        for (int32_t k = 0; k < 2; k++) {
            double s = 0.0;
            for (int32_t r = 0; r < m; r++) s += l[r * m + i] * b[r * 2 + k];
            rhs[i * 2 + k] = s;
        }
    }
    for (int32_t j = 0; j < m; j++) { /* n = C C^T, C lower, stored in n */
        double s = n[j * m + j];
        for (int32_t k = 0; k < j; k++) s -= n[j * m + k] * n[j * m + k];
        if (!(s > 0.0) || !isfinite(s)) return 0;
        double c = sqrt(s);
        n[j * m + j] = c;
        for (int32_t i = j + 1; i < m; i++) {
            double t = n[i * m + j];
            for (int32_t k = 0; k < j; k++) t -= n[i * m + k] * n[j * m + k];
            n[i * m + j] = t / c;
        }
    }
    for (int32_t k = 0; k < 2; k++) {
        for (int32_t i = 0; i < m; i++) { /* C y = rhs */
            double s = rhs[i * 2 + k];
            for (int32_t c = 0; c < i; c++) s -= n[i * m + c] * rhs[c * 2 + k];
            rhs[i * 2 + k] = s / n[i * m + i];
        }
        for (int32_t i = m - 1; i >= 0; i--) { /* C^T x = y */
            double s = rhs[i * 2 + k];
            for (int32_t c = i + 1; c < m; c++) s -= n[c * m + i] * rhs[c * 2 + k];
            rhs[i * 2 + k] = s / n[i * m + i];
        }
    }
    for (int32_t i = 0; i < 2 * m; i++) {
        if (!isfinite(rhs[i])) return 0;
        b[i] = rhs[i];
    }
    return 1;
}

static void fit_one(const tr_tps_fit_desc *d, const float *c, const float *v, const float *mask,
                    float *coef) {
    const int32_t k = d->k, m = k + 3;
    /* About 36 KB each at K = 64: the stack keeps the op free of workspace. */
    double l[MAX_M * MAX_M], l0[MAX_M * MAX_M], b[MAX_M * 2];
    int use[TR_TPS_MAX_POINTS];
    for (int32_t i = 0; i < k; i++) {
        use[i] = isfinite(c[2 * i]) && isfinite(c[2 * i + 1]) && isfinite(v[2 * i]) &&
                 isfinite(v[2 * i + 1]);
        if (mask && !(mask[i] > d->mask_threshold)) use[i] = 0;
    }
    memset(l, 0, sizeof(double) * (size_t)(m * m));
    memset(b, 0, sizeof(double) * (size_t)(m * 2));
    for (int32_t i = 0; i < k; i++) {
        if (!use[i]) {
            l[i * m + i] = 1.0; /* w_i = 0, decoupled from the rest */
            continue;
        }
        double xi = c[2 * i], yi = c[2 * i + 1];
        for (int32_t j = 0; j < k; j++) {
            if (!use[j]) continue;
            double dx = xi - c[2 * j], dy = yi - c[2 * j + 1];
            l[i * m + j] = tps_u(dx * dx + dy * dy);
        }
        l[i * m + i] += d->lambda;
        double p[3] = {1.0, xi, yi};
        for (int32_t r = 0; r < 3; r++) l[i * m + k + r] = l[(k + r) * m + i] = p[r];
        b[i * 2] = (double)v[2 * i] - xi;
        b[i * 2 + 1] = (double)v[2 * i + 1] - yi;
    }
    memcpy(l0, l, sizeof(double) * (size_t)(m * m));
    double b0[MAX_M * 2];
    memcpy(b0, b, sizeof(double) * (size_t)(m * 2));
    int ok = solve_lu(l, b, m);
    for (int32_t i = 0; ok && i < 2 * m; i++) ok = isfinite(b[i]);
    if (!ok) {
        memcpy(b, b0, sizeof(double) * (size_t)(m * 2));
        if (!solve_ridge(l0, b, m)) memset(b, 0, sizeof(double) * (size_t)(m * 2));
    }
    for (int32_t i = 0; i < 2 * m; i++) coef[i] = (float)b[i];
    coef[(k + 1) * 2] = (float)(b[(k + 1) * 2] + 1.0);         /* ax.x */
    coef[(k + 2) * 2 + 1] = (float)(b[(k + 2) * 2 + 1] + 1.0); /* ay.y */
}

typedef struct fit_job {
    const tr_tps_fit_desc *d;
    const float *ctrl, *values, *mask;
    float *coef;
} fit_job;

static void fit_items(void *arg, int64_t begin, int64_t end) {
    const fit_job *j = arg;
    const tr_tps_fit_desc *d = j->d;
    for (int64_t n = begin; n < end; n++) {
        const float *c = j->ctrl + (d->ctrl_batched ? n : 0) * d->k * 2;
        const float *mask = j->mask ? j->mask + n * d->k : NULL;
        fit_one(d, c, j->values + n * d->k * 2, mask, j->coef + n * (d->k + 3) * 2);
    }
}

void tr_cpu_tps_fit_f32(tr_pool *pool, const tr_tps_fit_desc *d, const float *ctrl,
                        const float *values, const float *mask, float *coef) {
    fit_job j = {d, ctrl, values, d->has_mask ? mask : NULL, coef};
    tr_pool_for(pool, d->n, 1, fit_items, &j);
}

typedef struct eval_job {
    const tr_tps_eval_desc *d;
    const float *ctrl, *coef, *points;
    float *out;
} eval_job;

static void eval_points(void *arg, int64_t begin, int64_t end) {
    const eval_job *j = arg;
    const tr_tps_eval_desc *d = j->d;
    const int32_t k = d->k;
    for (int64_t idx = begin; idx < end; idx++) {
        int64_t n = idx / d->m, i = idx % d->m;
        const float *c = j->ctrl + (d->ctrl_batched ? n : 0) * k * 2;
        const float *co = j->coef + n * (k + 3) * 2;
        double px, py;
        if (d->h > 0) {
            px = tr_grid_base_coord((int32_t)(i % d->w), d->w, d->align_corners);
            py = tr_grid_base_coord((int32_t)(i / d->w), d->h, d->align_corners);
        } else {
            const float *p = j->points + ((d->points_batched ? n : 0) * d->m + i) * 2;
            px = p[0];
            py = p[1];
        }
        const float *a = co + k * 2; /* a0, ax, ay */
        double fx = (double)a[0] + (double)a[2] * px + (double)a[4] * py;
        double fy = (double)a[1] + (double)a[3] * px + (double)a[5] * py;
        for (int32_t q = 0; q < k; q++) {
            double wx = co[2 * q], wy = co[2 * q + 1];
            if (wx == 0.0 && wy == 0.0) continue; /* left-out points (maybe NaN) */
            double dx = px - c[2 * q], dy = py - c[2 * q + 1];
            double u = tps_u(dx * dx + dy * dy);
            fx += wx * u;
            fy += wy * u;
        }
        j->out[idx * 2] = (float)fx;
        j->out[idx * 2 + 1] = (float)fy;
    }
}

void tr_cpu_tps_eval_f32(tr_pool *pool, const tr_tps_eval_desc *d, const float *ctrl,
                         const float *coef, const float *points, float *out) {
    eval_job j = {d, ctrl, coef, points, out};
    tr_pool_for(pool, (int64_t)d->n * d->m, 256, eval_points, &j);
}
