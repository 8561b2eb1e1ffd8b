/* cases.c — the list of benchmark cases (one line per case). */
#include "bench.h"

extern const bench_case bench_transformernet_256, bench_transformernet_512;
extern const bench_case bench_cyclegan_r9_256, bench_cyclegan_r9_512;

const bench_case *const bench_cases[] = {
    NULL, /* keeps the array non-empty before any case exists */
    &bench_transformernet_256,
    &bench_transformernet_512,
    &bench_cyclegan_r9_256,
    &bench_cyclegan_r9_512,
};
const int bench_n_cases = (int)(sizeof bench_cases / sizeof bench_cases[0]);
