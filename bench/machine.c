/* machine.c — the header of a benchmark run: CPU model, ISA, cores, git
 * commit, date, and the fp32 peak that "% of peak" divides by.
 *
 * The peak is MEASURED: an FMA loop in the widest ISA the CPU has (AVX-512,
 * else AVX2+FMA, else SSE2 multiply+add), 12 independent accumulators per
 * thread (enough to cover FMA latency x issue width on current x86 cores), on
 * as many threads as the timed context uses, best of several short trials.
 * A COMPUTED figure (threads x nominal clock x FLOP/cycle) is printed next to
 * it for comparison only: the nominal clock (cpuid leaf 0x16, else the model
 * name's "@ x GHz", else /proc/cpuinfo's MHz) is not the AVX clock, and
 * FLOP/cycle assumes two FMA units per core, which cpuid cannot tell. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define BENCH_X86 1
#else
#define BENCH_X86 0
#endif

#include "bench.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- FMA loops: return a value derived from every accumulator so the loop
 * cannot be removed; acc = acc * m + b converges to b / (1 - m) = 1 and stays
 * in the normal range. ------------------------------------------------------- */

#define ACC12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

#if BENCH_X86
__attribute__((target("avx512f"))) static float loop_avx512(int64_t iters) {
    const __m512 m = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
#define DECL(i) __m512 a##i = _mm512_set1_ps(1.0f + (i)*1e-3f);
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, b);
#define SUM(i)  s = _mm512_add_ps(s, a##i);
    ACC12(DECL)
    for (int64_t k = 0; k < iters; k++) {
        ACC12(STEP)
    }
    __m512 s = _mm512_setzero_ps();
    ACC12(SUM)
    return _mm512_reduce_add_ps(s);
#undef DECL
#undef STEP
#undef SUM
}

__attribute__((target("avx2,fma"))) static float loop_avx2(int64_t iters) {
    const __m256 m = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
#define DECL(i) __m256 a##i = _mm256_set1_ps(1.0f + (i)*1e-3f);
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, b);
#define SUM(i)  s = _mm256_add_ps(s, a##i);
    ACC12(DECL)
    for (int64_t k = 0; k < iters; k++) {
        ACC12(STEP)
    }
    __m256 s = _mm256_setzero_ps();
    ACC12(SUM)
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0] + out[7];
#undef DECL
#undef STEP
#undef SUM
}

static float loop_sse(int64_t iters) {
    const __m128 m = _mm_set1_ps(0.9999999f), b = _mm_set1_ps(1e-7f);
#define DECL(i) __m128 a##i = _mm_set1_ps(1.0f + (i)*1e-3f);
#define STEP(i) a##i = _mm_add_ps(_mm_mul_ps(a##i, m), b);
#define SUM(i)  s = _mm_add_ps(s, a##i);
    ACC12(DECL)
    for (int64_t k = 0; k < iters; k++) {
        ACC12(STEP)
    }
    __m128 s = _mm_setzero_ps();
    ACC12(SUM)
    return _mm_cvtss_f32(s);
#undef DECL
#undef STEP
#undef SUM
}
#endif

/* Portable fallback: scalar multiply-add chains. */
static float loop_scalar(int64_t iters) {
    volatile float seed = 1.0f;
    float a[12];
    for (int i = 0; i < 12; i++) a[i] = seed + i * 1e-3f;
    for (int64_t k = 0; k < iters; k++)
        for (int i = 0; i < 12; i++) a[i] = a[i] * 0.9999999f + 1e-7f;
    float s = 0;
    for (int i = 0; i < 12; i++) s += a[i];
    return s;
}

typedef struct peak_loop {
    const char *isa;
    float (*fn)(int64_t);
    double flops_per_iter; /* 12 accumulators x lanes x 2 */
} peak_loop;

static peak_loop pick_loop(void) {
#if BENCH_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return (peak_loop){"avx512", loop_avx512, 12 * 16 * 2};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return (peak_loop){"avx2+fma", loop_avx2, 12 * 8 * 2};
    return (peak_loop){"sse2", loop_sse, 12 * 4 * 2};
#else
    return (peak_loop){"scalar", loop_scalar, 12 * 2};
#endif
}

typedef struct peak_thread {
    peak_loop loop;
    int64_t iters;
    pthread_barrier_t *start;
    volatile float sink;
} peak_thread;

static void *peak_worker(void *arg) {
    peak_thread *t = arg;
    pthread_barrier_wait(t->start);
    t->sink = t->loop.fn(t->iters);
    return NULL;
}

/* GFLOP/s of n_threads threads running the loop together, best of trials. */
static double measure_peak(peak_loop loop, int32_t n_threads) {
    /* Calibrate one thread to ~30 ms per trial. */
    int64_t iters = 1 << 16;
    for (;;) {
        double t0 = now_s();
        volatile float s = loop.fn(iters);
        (void)s;
        double dt = now_s() - t0;
        if (dt > 0.02 || iters > ((int64_t)1 << 40)) {
            iters = (int64_t)(iters * (0.03 / (dt > 0 ? dt : 1e-3)));
            break;
        }
        iters *= 4;
    }
    if (iters < 1) iters = 1;
    double best = 0;
    peak_thread *th = calloc((size_t)n_threads, sizeof *th);
    pthread_t *tid = calloc((size_t)n_threads, sizeof *tid);
    if (!th || !tid) {
        free(th);
        free(tid);
        return 0;
    }
    /* Best of 15: other processes on the machine can only slow a trial down. */
    for (int trial = 0; trial < 15; trial++) {
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)n_threads + 1);
        int32_t started = 0;
        for (int32_t i = 0; i < n_threads; i++) {
            th[i] = (peak_thread){loop, iters, &start, 0};
            if (pthread_create(&tid[i], NULL, peak_worker, &th[i]) != 0) break;
            started++;
        }
        if (started < n_threads) { /* cannot measure: release and give up */
            pthread_barrier_destroy(&start);
            best = 0;
            break;
        }
        double t0 = now_s();
        pthread_barrier_wait(&start);
        for (int32_t i = 0; i < n_threads; i++) pthread_join(tid[i], NULL);
        double dt = now_s() - t0;
        pthread_barrier_destroy(&start);
        double g = n_threads * (double)iters * loop.flops_per_iter / dt * 1e-9;
        if (g > best) best = g;
    }
    free(th);
    free(tid);
    return best;
}

/* ---- identification ------------------------------------------------------------ */

static void read_cpu_model(char *buf, size_t size, double *mhz) {
    snprintf(buf, size, "unknown CPU");
    *mhz = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    int have_model = 0;
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon) continue;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        v[strcspn(v, "\n")] = 0;
        if (!have_model && !strncmp(line, "model name", 10)) {
            snprintf(buf, size, "%s", v);
            have_model = 1;
        } else if (*mhz == 0 && !strncmp(line, "cpu MHz", 7)) {
            *mhz = atof(v);
        }
    }
    fclose(f);
}

static double nominal_mhz(const char *model, double cpuinfo_mhz) {
#if BENCH_X86
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) >= 0x16) {
        __cpuid(0x16, a, b, c, d);
        if ((a & 0xffff) != 0) return (double)(a & 0xffff);
    }
#endif
    const char *at = strstr(model, "@ ");
    if (at) {
        double ghz = atof(at + 2);
        if (ghz > 0) return ghz * 1e3;
    }
    return cpuinfo_mhz;
}

static void isa_string(char *buf, size_t size) {
    buf[0] = 0;
#if BENCH_X86
    static const char *const names[] = {"avx512f", "avx512bw", "avx512vl", "avx512vnni",
                                        "avx2",    "fma",      "avx",      "sse4.2"};
    int k = 0;
    __builtin_cpu_init();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int has = 0;
        /* __builtin_cpu_supports needs a string literal. */
        switch (i) {
        case 0: has = __builtin_cpu_supports("avx512f"); break;
        case 1: has = __builtin_cpu_supports("avx512bw"); break;
        case 2: has = __builtin_cpu_supports("avx512vl"); break;
        case 3: has = __builtin_cpu_supports("avx512vnni"); break;
        case 4: has = __builtin_cpu_supports("avx2"); break;
        case 5: has = __builtin_cpu_supports("fma"); break;
        case 6: has = __builtin_cpu_supports("avx"); break;
        case 7: has = __builtin_cpu_supports("sse4.2"); break;
        }
        if (has && (size_t)k < size)
            k += snprintf(buf + k, size - (size_t)k, "%s%s", k ? " " : "", names[i]);
    }
#else
    snprintf(buf, size, "non-x86");
#endif
}

/* First line of a command's output, "" on failure. */
static void command_line(const char *cmd, char *buf, size_t size) {
    buf[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (!fgets(buf, (int)size, p)) buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    pclose(p);
}

static void git_commit(char *buf, size_t size) {
    const char *env = getenv("TRYON_BENCH_COMMIT");
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return;
    }
    char hash[64], dirty[256];
    command_line("git rev-parse --short=12 HEAD 2>/dev/null", hash, sizeof hash);
    if (!hash[0]) {
        snprintf(buf, size, "unknown");
        return;
    }
    command_line("git status --porcelain --untracked-files=no 2>/dev/null", dirty, sizeof dirty);
    bench_strcpy(buf, size, hash);
    if (dirty[0] && strlen(buf) + 6 < size) strcat(buf, "+dirty");
}

void bench_machine_probe(bench_machine *m, int32_t n_threads) {
    memset(m, 0, sizeof *m);
    double cpuinfo_mhz;
    read_cpu_model(m->cpu, sizeof m->cpu, &cpuinfo_mhz);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    m->cores = cores > 0 ? (int32_t)cores : 1;
    isa_string(m->isa, sizeof m->isa);
    git_commit(m->commit, sizeof m->commit);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(m->date, sizeof m->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* Other processes share the CPUs: say how busy they were. */
    m->loadavg = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &m->loadavg) != 1) m->loadavg = -1;
        fclose(f);
    }
    peak_loop loop = pick_loop();
    snprintf(m->peak_isa, sizeof m->peak_isa, "%s", loop.isa);
    m->peak_threads = n_threads > 0 ? n_threads : 1;
    m->peak_gflops = measure_peak(loop, m->peak_threads);
    m->clock_mhz = nominal_mhz(m->cpu, cpuinfo_mhz);
    /* Two FMA units per core (an assumption, see the top comment): */
    m->computed_gflops = m->peak_threads * m->clock_mhz * 1e-3 * loop.flops_per_iter / 12 * 2;
    (void)loop_scalar;
}
