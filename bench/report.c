/* report.c — the readable table and the JSON lines (schema: bench/README.md). */
#include <string.h>

#include "bench.h"

static const char *device_name(const tryon_ctx_params *p) {
    return p->device == TRYON_DEVICE_CUDA ? "cuda" : "cpu";
}

static const char *kernels_name(const tryon_ctx_params *p) {
    return p->kernels == TRYON_KERNELS_VENDOR      ? "vendor"
           : p->kernels == TRYON_KERNELS_REFERENCE ? "reference"
                                                   : "own";
}

static const char *precision_name(const tryon_ctx_params *p) {
    if (p->device != TRYON_DEVICE_CUDA) return "f32";
    return p->cuda_precision == TRYON_DTYPE_F16    ? "f16"
           : p->cuda_precision == TRYON_DTYPE_BF16 ? "bf16"
                                                   : "f32";
}

void bench_print_header(FILE *f, const bench_machine *m, const bench_env *e) {
    fprintf(f,
            "tryon-bench: tryon %s, device %s, kernels %s, precision %s, %d threads, "
            "batch %d, %d warm-up + %d runs%s\n",
            tryon_version(), device_name(&e->timed), kernels_name(&e->timed),
            precision_name(&e->timed), e->n_threads, e->o.batch, e->warmup, e->runs,
            e->max_seconds > 0 ? " (fewer past --max-seconds)" : "");
    fprintf(f, "machine: %s, %d cores, ISA %s; load average %.2f; commit %s, %s\n", m->cpu,
            m->cores, m->isa, m->loadavg, m->commit, m->date);
    if (m->device[0]) fprintf(f, "device: %s\n", m->device);
    fprintf(f,
            "fp32 peak: %.1f GFLOP/s measured (%s FMA loop, %d threads, best of 15); computed "
            "%.1f = %d x %.0f MHz nominal x %.0f FLOP/cycle (assumes 2 FMA units; not the AVX "
            "clock)\n",
            m->peak_gflops, m->peak_isa, m->peak_threads, m->computed_gflops, m->peak_threads,
            m->clock_mhz,
            m->clock_mhz > 0 ? m->computed_gflops / (m->peak_threads * m->clock_mhz * 1e-3) : 0);
    bench_tol op = bench_tol_for(bench_env_prec(e), 0), net = bench_tol_for(bench_env_prec(e), 1);
    fprintf(f,
            "verify: outputs vs the CPU reference kernels on the same inputs before timing; "
            "pass if nmse <= %.0e and max|err| <= %.0e max|ref| (ops), %.0e and %.0e (nets)\n",
            op.nmse, op.max_abs_frac, net.nmse, net.max_abs_frac);
    fprintf(f, "\n%-40s %10s %10s %10s %9s %6s %9s %8s  %s\n", "row", "median ms", "p90 ms",
            "min ms", "GFLOP/s", "%peak", "arena MB", "RSS MB", "detail");
}

void bench_print_row(FILE *f, const bench_row *r, double peak_gflops) {
    if (r->status != BENCH_OK) {
        fprintf(f, "%-40s %s: %s\n", r->name, bench_status_name(r->status), r->reason);
        return;
    }
    double med = r->st.median;
    double gflops = r->flops > 0 && med > 0 ? r->flops / (med * 1e6) : 0;
    char gf[16] = "-", pct[16] = "-", rss[16] = "-";
    if (gflops > 0) snprintf(gf, sizeof gf, "%.2f", gflops);
    if (gflops > 0 && peak_gflops > 0)
        snprintf(pct, sizeof pct, "%.1f", 100 * gflops / peak_gflops);
    if (r->rss_bytes >= 0) snprintf(rss, sizeof rss, "%.1f", r->rss_bytes / 1048576.0);
    char detail[400];
    if (!strcmp(r->kind, "op")) {
        int k = snprintf(detail, sizeof detail, "x%d", r->count);
        if (gflops <= 0 && r->bytes > 0 && med > 0)
            k += snprintf(detail + k, sizeof detail - (size_t)k, " %.2f GB/s",
                          r->bytes / (med * 1e6));
        snprintf(detail + k, sizeof detail - (size_t)k, " %s", r->desc);
    } else {
        snprintf(detail, sizeof detail, "%s", r->desc);
    }
    fprintf(f, "%-40s %10.3f %10.3f %10.3f %9s %6s %9.2f %8s  %s\n", r->name, med, r->st.p90,
            r->st.min, gf, pct, r->arena_bytes / 1048576.0, rss, detail);
}

void bench_json_machine(FILE *f, const bench_machine *m, const bench_env *e) {
    bench_json j;
    bench_json_begin(&j, f);
    bench_json_str(&j, "type", "machine");
    bench_json_str(&j, "tryon", tryon_version());
    bench_json_str(&j, "cpu", m->cpu);
    bench_json_int(&j, "cores", m->cores);
    bench_json_str(&j, "isa", m->isa);
    bench_json_str(&j, "commit", m->commit);
    bench_json_str(&j, "date", m->date);
    bench_json_str(&j, "device", device_name(&e->timed));
    bench_json_str(&j, "device_name", m->device[0] ? m->device : NULL);
    bench_json_str(&j, "kernels", kernels_name(&e->timed));
    bench_json_str(&j, "precision", precision_name(&e->timed));
    bench_json_int(&j, "threads", e->n_threads);
    bench_json_int(&j, "batch", e->o.batch);
    bench_json_int(&j, "warmup", e->warmup);
    bench_json_int(&j, "runs", e->runs);
    bench_json_num(&j, "max_seconds", e->max_seconds);
    bench_json_num(&j, "peak_gflops", m->peak_gflops);
    bench_json_str(&j, "peak_method", "measured");
    bench_json_str(&j, "peak_isa", m->peak_isa);
    bench_json_int(&j, "peak_threads", m->peak_threads);
    bench_json_num(&j, "computed_peak_gflops", m->computed_gflops);
    bench_json_num(&j, "clock_mhz", m->clock_mhz);
    if (m->loadavg >= 0)
        bench_json_num(&j, "loadavg", m->loadavg);
    else
        bench_json_null(&j, "loadavg");
    bench_json_end(&j);
}

void bench_json_row(FILE *f, const bench_row *r, const bench_env *e) {
    bench_json j;
    bench_json_begin(&j, f);
    bench_json_str(&j, "type", "row");
    bench_json_str(&j, "kind", r->kind);
    bench_json_str(&j, "name", r->name);
    bench_json_str(&j, "case", r->case_name);
    bench_json_str(&j, "family", r->family);
    if (!strcmp(r->kind, "op")) {
        bench_json_str(&j, "op", r->op);
        bench_json_str(&j, "node", r->node);
        bench_json_int(&j, "count", r->count);
    }
    bench_json_str(&j, "desc", r->desc);
    bench_json_str(&j, "status", bench_status_name(r->status));
    bench_json_str(&j, "reason", r->status == BENCH_OK ? NULL : r->reason);
    bench_json_str(&j, "device", device_name(&e->timed));
    bench_json_str(&j, "kernels", kernels_name(&e->timed));
    bench_json_str(&j, "precision", precision_name(&e->timed));
    bench_json_int(&j, "threads", e->n_threads);
    bench_json_int(&j, "batch", e->o.batch);
    int timed = r->status == BENCH_OK && r->runs_done > 0;
    double gflops = timed && r->flops > 0 ? r->flops / (r->st.median * 1e6) : 0;
    bench_json_int(&j, "warmup", timed ? e->warmup : 0);
    bench_json_int(&j, "runs", timed ? r->runs_done : 0);
    if (timed) {
        bench_json_num(&j, "median_ms", r->st.median);
        bench_json_num(&j, "p90_ms", r->st.p90);
        bench_json_num(&j, "min_ms", r->st.min);
        bench_json_num(&j, "mean_ms", r->st.mean);
        bench_json_num(&j, "max_ms", r->st.max);
    } else {
        bench_json_null(&j, "median_ms");
        bench_json_null(&j, "p90_ms");
        bench_json_null(&j, "min_ms");
        bench_json_null(&j, "mean_ms");
        bench_json_null(&j, "max_ms");
    }
    bench_json_num(&j, "flops", r->flops);
    if (timed && r->flops > 0) {
        bench_json_num(&j, "gflops", gflops);
        if (e->peak_gflops > 0)
            bench_json_num(&j, "pct_peak", 100 * gflops / e->peak_gflops);
        else
            bench_json_null(&j, "pct_peak");
    } else {
        bench_json_null(&j, "gflops");
        bench_json_null(&j, "pct_peak");
    }
    if (!strcmp(r->kind, "op")) {
        bench_json_num(&j, "bytes", r->bytes);
        if (timed)
            bench_json_num(&j, "gbytes_per_s", r->bytes / (r->st.median * 1e6));
        else
            bench_json_null(&j, "gbytes_per_s");
    }
    if (r->arena_bytes > 0 || r->status == BENCH_OK)
        bench_json_int(&j, "arena_bytes", r->arena_bytes);
    else
        bench_json_null(&j, "arena_bytes");
    if (r->rss_bytes >= 0)
        bench_json_int(&j, "peak_rss_bytes", r->rss_bytes);
    else
        bench_json_null(&j, "peak_rss_bytes");
    if (r->verified) {
        bench_json v;
        bench_json_nested(&j, "verify", &v);
        bench_json_str(&v, "output", r->worst_output);
        bench_json_num(&v, "nmse", bench_cmp_nmse(&r->cmp));
        bench_json_num(&v, "max_abs", r->cmp.max_abs);
        bench_json_num(&v, "max_rel", r->cmp.max_rel);
        bench_json_num(&v, "ref_max_abs", r->cmp.ref_max);
        bench_json_int(&v, "mismatched_nonfinite_or_exact", r->cmp.n_nonfinite);
        bench_json_num(&v, "tol_nmse", r->tol.nmse);
        bench_json_num(&v, "tol_max_abs_frac", r->tol.max_abs_frac);
        bench_json_end_nested(&v, &j);
    } else {
        bench_json_null(&j, "verify");
    }
    bench_json_end(&j);
}
