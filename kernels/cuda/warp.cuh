/* warp.cuh — device code of grid_sample, affine_grid and the thin-plate
 * spline ops (kernels/cpu/grid_sample.c, tps.c: their comments give the
 * PyTorch / CP-VTON numerics). F32 only: the backend runs these ops in F32
 * whatever the storage precision. Every step is the CPU's, in the same
 * order, so results are bitwise equal (log in the TPS kernel is CUDA's, at
 * most 1 ulp of double away from glibc's, far below the f32 rounding). */
#ifndef TR_CUDA_WARP_CUH
#define TR_CUDA_WARP_CUH

#include "common.cuh"

#include "grid_coord.h"

/* ---- grid_sample ------------------------------------------------------------ */

typedef struct tr_gs_p {
    tr_grid_sample_desc d;
    const float *x, *grid;
    float *y;
    /* output element i = ((n*OH + oy)*OW + ox)*C + k */
    TR_HD void run(int64_t i) const {
        const int32_t k = (int32_t)(i % d.c);
        const int64_t pix = i / d.c, n = pix / ((int64_t)d.oh * d.ow);
        const float *xb = x + n * d.h * d.w * d.c;
        const tr_axis_map ax = tr_make_axis(d.w, d.pad, d.align_corners);
        const tr_axis_map ay = tr_make_axis(d.h, d.pad, d.align_corners);
        const float ix = tr_gs_source(&ax, grid[pix * 2]),
                    iy = tr_gs_source(&ay, grid[pix * 2 + 1]);
        if (d.mode == TR_SAMPLE_NEAREST) {
            int ok = tr_gs_inside(ix, d.w) && tr_gs_inside(iy, d.h);
            int32_t xn = 0, yn = 0;
            if (ok) {
                xn = (int32_t)tr_round_half_even(ix);
                yn = (int32_t)tr_round_half_even(iy);
                ok = xn >= 0 && xn < d.w && yn >= 0 && yn < d.h;
            }
            y[i] = ok ? xb[((int64_t)yn * d.w + xn) * d.c + k] : 0.0f;
            return;
        }
        if (d.pad == TR_SAMPLE_PAD_ZEROS && (!tr_gs_inside(ix, d.w) || !tr_gs_inside(iy, d.h))) {
            y[i] = 0.0f;
            return;
        }
        float fx = floorf(ix), fy = floorf(iy);
        float wx = ix - fx, ex = 1.0f - wx;
        float wy = iy - fy, sy = 1.0f - wy;
        float w_nw = sy * ex, w_ne = sy * wx, w_sw = wy * ex, w_se = wy * wx;
        int32_t x0 = (int32_t)fx, y0 = (int32_t)fy, x1 = x0 + 1, y1 = y0 + 1;
        int in_x0 = x0 >= 0 && x0 < d.w, in_x1 = x1 >= 0 && x1 < d.w;
        int in_y0 = y0 >= 0 && y0 < d.h, in_y1 = y1 >= 0 && y1 < d.h;
        float v_nw = in_y0 && in_x0 ? xb[((int64_t)y0 * d.w + x0) * d.c + k] : 0.0f;
        float v_ne = in_y0 && in_x1 ? xb[((int64_t)y0 * d.w + x1) * d.c + k] : 0.0f;
        float v_sw = in_y1 && in_x0 ? xb[((int64_t)y1 * d.w + x0) * d.c + k] : 0.0f;
        float v_se = in_y1 && in_x1 ? xb[((int64_t)y1 * d.w + x1) * d.c + k] : 0.0f;
        y[i] = v_nw * w_nw + v_ne * w_ne + v_sw * w_sw + v_se * w_se;
    }
} tr_gs_p;

/* affine_grid, item i = (n*H + row)*W + col writes one (x, y) pair. */
typedef struct tr_ag_p {
    tr_affine_grid_desc d;
    const float *theta;
    float *grid;
    TR_HD void run(int64_t i) const {
        const int32_t col = (int32_t)(i % d.w);
        const int64_t r = i / d.w, n = r / d.h;
        const int32_t row = (int32_t)(r % d.h);
        const float *t = theta + n * 6;
        double yv = tr_grid_base_coord(row, d.h, d.align_corners);
        double xv = tr_grid_base_coord(col, d.w, d.align_corners);
        grid[i * 2] = (float)((double)t[0] * xv + (double)t[1] * yv + (double)t[2]);
        grid[i * 2 + 1] = (float)((double)t[3] * xv + (double)t[4] * yv + (double)t[5]);
    }
} tr_ag_p;

/* ---- thin-plate splines --------------------------------------------------------- */

#define TR_TPS_PIVOT_TOL 1e-12
#define TR_TPS_RIDGE     1e-10

TR_HD double tr_tps_u(double r2) { return r2 > 0.0 ? r2 * log(r2) : 0.0; }

/* Evaluation, item i = n*M + point (kernels/cpu/tps.c eval_points). */
typedef struct tr_tps_eval_p {
    tr_tps_eval_desc d;
    const float *ctrl, *coef, *points;
    float *out;
    TR_HD void run(int64_t idx) const {
        const int32_t k = d.k;
        const int64_t n = idx / d.m, i = idx % d.m;
        const float *c = ctrl + (d.ctrl_batched ? n : 0) * k * 2;
        const float *co = coef + n * (k + 3) * 2;
        double px, py;
        if (d.h > 0) {
            px = tr_grid_base_coord((int32_t)(i % d.w), d.w, d.align_corners);
            py = tr_grid_base_coord((int32_t)(i / d.w), d.h, d.align_corners);
        } else {
            const float *p = points + ((d.points_batched ? n : 0) * d.m + i) * 2;
            px = p[0];
            py = p[1];
        }
        const float *a = co + k * 2;
        double fx = (double)a[0] + (double)a[2] * px + (double)a[4] * py;
        double fy = (double)a[1] + (double)a[3] * px + (double)a[5] * py;
        for (int32_t q = 0; q < k; q++) {
            double wx = co[2 * q], wy = co[2 * q + 1];
            if (wx == 0.0 && wy == 0.0) continue;
            double dx = px - c[2 * q], dy = py - c[2 * q + 1];
            double u = tr_tps_u(dx * dx + dy * dy);
            fx += wx * u;
            fy += wy * u;
        }
        out[idx * 2] = (float)fx;
        out[idx * 2 + 1] = (float)fy;
    }
} tr_tps_eval_p;

/* Fit, one block per batch item; the steps below run with (tid, nt) = the
 * thread and the block size, separated by block barriers in the kernel
 * (warp.cu) and by loops over tid in tests/emu_ops.cu. Each parallel step
 * gives every element exactly the CPU's operations (no element is reduced
 * across threads), so the solution is the CPU's bit for bit. */
typedef struct tr_tps_fit_w {
    double *l;     /* (m, m) working matrix: shared memory */
    double *b;     /* (m, 2) right-hand sides: shared */
    double *b0;    /* (m, 2) copy: shared */
    double *tol;   /* (m) pivot tolerances: shared */
    int32_t *use;  /* (k): shared */
    int32_t *flag; /* [0] LU ok, [1] pivot row: shared */
    double *l0;    /* (m, m) copy of L: global scratch */
    double *nn;    /* (m, m) normal matrix: global scratch */
    double *rhs;   /* (m, 2): global scratch */
} tr_tps_fit_w;

/* Step 1: which points are used. */
TR_HD void tr_tps_fit_use(const tr_tps_fit_desc &d, const float *c, const float *v,
                          const float *mask, const tr_tps_fit_w &w, int32_t tid, int32_t nt) {
    for (int32_t i = tid; i < d.k; i += nt) {
        int u = isfinite(c[2 * i]) && isfinite(c[2 * i + 1]) && isfinite(v[2 * i]) &&
                isfinite(v[2 * i + 1]);
        if (mask && !(mask[i] > d.mask_threshold)) u = 0;
        w.use[i] = u;
    }
}

/* Step 2: L, b and their copies, one entry per thread-iteration. */
TR_HD void tr_tps_fit_build(const tr_tps_fit_desc &d, const float *c, const float *v,
                            const tr_tps_fit_w &w, int32_t tid, int32_t nt) {
    const int32_t k = d.k, m = k + 3;
    for (int32_t e = tid; e < m * m; e += nt) {
        const int32_t i = e / m, j = e % m;
        double val = 0.0;
        if (i < k && j < k) {
            if (!w.use[i]) {
                val = i == j ? 1.0 : 0.0;
            } else if (w.use[j]) {
                double dx = (double)c[2 * i] - c[2 * j], dy = (double)c[2 * i + 1] - c[2 * j + 1];
                val = tr_tps_u(dx * dx + dy * dy);
                if (i == j) val += d.lambda;
            }
        } else if (i < k || j < k) {
            const int32_t pt = i < k ? i : j, r = i < k ? j - k : i - k;
            if (w.use[pt]) val = r == 0 ? 1.0 : (double)c[2 * pt + r - 1];
        }
        w.l[e] = val;
        w.l0[e] = val;
    }
    for (int32_t e = tid; e < 2 * m; e += nt) {
        const int32_t i = e / 2, q = e % 2;
        double val = 0.0;
        if (i < k && w.use[i]) val = (double)v[2 * i + q] - (double)c[2 * i + q];
        w.b[e] = val;
        w.b0[e] = val;
    }
}

/* Step 3: per-column pivot tolerances of the original L. */
TR_HD void tr_tps_fit_tol(int32_t m, const tr_tps_fit_w &w, int32_t tid, int32_t nt) {
    for (int32_t col = tid; col < m; col += nt) {
        double mx = 0.0;
        for (int32_t r = 0; r < m; r++)
            mx = fabs(w.l[r * m + col]) > mx ? fabs(w.l[r * m + col]) : mx;
        w.tol[col] = TR_TPS_PIVOT_TOL * mx;
    }
}

/* Step 4a (one thread): the pivot of column col; flag[0] = 0 if singular. */
TR_HD void tr_tps_fit_pivot(int32_t m, int32_t col, const tr_tps_fit_w &w) {
    int32_t piv = col;
    for (int32_t r = col + 1; r < m; r++)
        if (fabs(w.l[r * m + col]) > fabs(w.l[piv * m + col])) piv = r;
    w.flag[1] = piv;
    if (!(fabs(w.l[piv * m + col]) > w.tol[col])) w.flag[0] = 0;
}

/* Step 4b: swap rows col and flag[1] (entries in parallel). */
TR_HD void tr_tps_fit_swap(int32_t m, int32_t col, const tr_tps_fit_w &w, int32_t tid, int32_t nt) {
    const int32_t piv = w.flag[1];
    if (piv == col) return;
    for (int32_t e = tid; e < m + 2; e += nt) {
        double *a = e < m ? &w.l[col * m + e] : &w.b[col * 2 + e - m];
        double *z = e < m ? &w.l[piv * m + e] : &w.b[piv * 2 + e - m];
        double t = *a;
        *a = *z;
        *z = t;
    }
}

/* Step 4c: eliminate column col from the rows below (rows in parallel). */
TR_HD void tr_tps_fit_eliminate(int32_t m, int32_t col, const tr_tps_fit_w &w, int32_t tid,
                                int32_t nt) {
    const double inv = 1.0 / w.l[col * m + col];
    for (int32_t r = col + 1 + tid; r < m; r += nt) {
        double f = w.l[r * m + col] * inv;
        if (f == 0.0) continue;
        for (int32_t k = col; k < m; k++) w.l[r * m + k] -= f * w.l[col * m + k];
        w.b[r * 2] -= f * w.b[col * 2];
        w.b[r * 2 + 1] -= f * w.b[col * 2 + 1];
    }
}

/* Step 5 (one thread): back substitution into b; flag[0] = 0 on non-finite. */
TR_HD void tr_tps_fit_back(int32_t m, const tr_tps_fit_w &w) {
    for (int32_t r = m - 1; r >= 0; r--)
        for (int32_t q = 0; q < 2; q++) {
            double s = w.b[r * 2 + q];
            for (int32_t c = r + 1; c < m; c++) s -= w.l[r * m + c] * w.b[c * 2 + q];
            w.b[r * 2 + q] = s / w.l[r * m + r];
        }
    for (int32_t i = 0; i < 2 * m; i++)
        if (!isfinite(w.b[i])) w.flag[0] = 0;
}

/* Step 6 (the ridge fallback), normal equations: nn = L^T L (lower half and
 * mirror), rhs = L^T b0, entries in parallel. */
TR_HD void tr_tps_fit_normal(int32_t m, const tr_tps_fit_w &w, int32_t tid, int32_t nt) {
    for (int32_t e = tid; e < m * m; e += nt) {
        const int32_t i = e / m, j = e % m;
        if (j > i) continue;
        double s = 0.0;
        for (int32_t r = 0; r < m; r++) s += w.l0[r * m + i] * w.l0[r * m + j];
        w.nn[i * m + j] = w.nn[j * m + i] = s;
    }
    for (int32_t e = tid; e < 2 * m; e += nt) {
        const int32_t i = e / 2, q = e % 2;
        double s = 0.0;
        for (int32_t r = 0; r < m; r++) s += w.l0[r * m + i] * w.b0[r * 2 + q];
        w.rhs[e] = s;
    }
}

/* Step 7 (one thread): ridge, Cholesky and the solves, into b (kernels/cpu/tps.c
 * solve_ridge); zeros (the identity map) if even that breaks down. */
TR_HD void tr_tps_fit_ridge(int32_t m, const tr_tps_fit_w &w) {
    double *n = w.nn, *rhs = w.rhs;
    double max_diag = 0.0;
    for (int32_t i = 0; i < m; i++)
        if (n[i * m + i] > max_diag) max_diag = n[i * m + i];
    double eps = TR_TPS_RIDGE * (max_diag > 0.0 ? max_diag : 1.0);
    for (int32_t i = 0; i < m; i++) n[i * m + i] += eps;
    int ok = 1;
    for (int32_t j = 0; j < m && ok; j++) {
        double s = n[j * m + j];
        for (int32_t k = 0; k < j; k++) s -= n[j * m + k] * n[j * m + k];
        if (!(s > 0.0) || !isfinite(s)) {
            ok = 0;
            break;
        }
        double c = sqrt(s);
        n[j * m + j] = c;
        for (int32_t i = j + 1; i < m; i++) {
            double t = n[i * m + j];
            for (int32_t k = 0; k < j; k++) t -= n[i * m + k] * n[j * m + k];
            n[i * m + j] = t / c;
        }
    }
    for (int32_t q = 0; q < 2 && ok; q++) {
        for (int32_t i = 0; i < m; i++) {
            double s = rhs[i * 2 + q];
            for (int32_t c = 0; c < i; c++) s -= n[i * m + c] * rhs[c * 2 + q];
            rhs[i * 2 + q] = s / n[i * m + i];
        }
        for (int32_t i = m - 1; i >= 0; i--) {
            double s = rhs[i * 2 + q];
            for (int32_t c = i + 1; c < m; c++) s -= n[c * m + i] * rhs[c * 2 + q];
            rhs[i * 2 + q] = s / n[i * m + i];
        }
    }
    for (int32_t i = 0; i < 2 * m && ok; i++) ok = isfinite(rhs[i]);
    for (int32_t i = 0; i < 2 * m; i++) w.b[i] = ok ? rhs[i] : 0.0;
}

/* Step 8: the coefficients, with the identity added back to ax.x and ay.y. */
TR_HD void tr_tps_fit_out(int32_t k, const tr_tps_fit_w &w, float *coef, int32_t tid, int32_t nt) {
    const int32_t m = k + 3;
    for (int32_t e = tid; e < 2 * m; e += nt) {
        double v = w.b[e];
        if (e == (k + 1) * 2 || e == (k + 2) * 2 + 1) v += 1.0;
        coef[e] = (float)v;
    }
}

#endif /* TR_CUDA_WARP_CUH */
