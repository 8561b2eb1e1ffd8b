/* isa.c — which fast-kernel ISA this build and this CPU can run, and the
 * TRYON_CPU_ISA override. Detection uses the compiler's CPU-feature builtins
 * (cpuid plus the OS's XSAVE state, so AVX-512 counts only when the kernel
 * saves the zmm registers). Nothing here is cached in a global: a context
 * asks once at creation and keeps the answer (ctx->cpu_isa). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast.h"

#if TR_FAST_X86
extern const tr_fast_isa tr_fast_isa_avx512, tr_fast_isa_avx2;
#endif
extern const tr_fast_isa tr_fast_isa_portable;

static const char *const isa_names[TR_ISA_COUNT] = {"portable", "avx2", "avx512"};

const char *tr_isa_name(tr_isa isa) {
    return isa >= 0 && isa < TR_ISA_COUNT ? isa_names[isa] : "?";
}

int tr_isa_available(tr_isa isa) {
    switch (isa) {
    case TR_ISA_PORTABLE: return 1;
#if TR_FAST_X86
    case TR_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case TR_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("fma");
#endif
    default: return 0;
    }
}

tr_isa tr_isa_best(void) {
    for (int i = TR_ISA_COUNT - 1; i > 0; i--)
        if (tr_isa_available((tr_isa)i)) return (tr_isa)i;
    return TR_ISA_PORTABLE;
}

int tr_isa_from_env(tr_isa *out, char *why, size_t why_size) {
    const char *v = getenv("TRYON_CPU_ISA");
    *out = tr_isa_best();
    if (!v || !*v) return 1;
    for (int i = 0; i < TR_ISA_COUNT; i++) {
        if (strcmp(v, isa_names[i])) continue;
        if (!tr_isa_available((tr_isa)i)) {
            snprintf(why, why_size, "TRYON_CPU_ISA=%s: this %s cannot run it (best: %s)", v,
                     TR_FAST_X86 ? "CPU" : "build", isa_names[*out]);
            return 0;
        }
        *out = (tr_isa)i;
        return 1;
    }
    snprintf(why, why_size, "TRYON_CPU_ISA=%.40s: expected avx512, avx2 or portable", v);
    return 0;
}

const tr_fast_isa *tr_fast_isa_table(tr_isa isa) {
    if (!tr_isa_available(isa)) return NULL;
    switch (isa) {
#if TR_FAST_X86
    case TR_ISA_AVX512: return &tr_fast_isa_avx512;
    case TR_ISA_AVX2: return &tr_fast_isa_avx2;
#endif
    case TR_ISA_PORTABLE: return &tr_fast_isa_portable;
    default: return NULL;
    }
}
