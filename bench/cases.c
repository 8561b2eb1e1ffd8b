/* cases.c — the list of benchmark cases (one line per case). */
#include "bench.h"

const bench_case *const bench_cases[] = {
    NULL, /* keeps the array non-empty before any case exists */
};
const int bench_n_cases = (int)(sizeof bench_cases / sizeof bench_cases[0]);
