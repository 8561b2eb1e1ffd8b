/* cases.c — the list of benchmark cases (one line per case), in run order. */
#include "bench.h"

extern const bench_case bench_posenet_385, bench_posenet_385_exact;
extern const bench_case bench_transformernet_256, bench_transformernet_512;
extern const bench_case bench_cyclegan_r9_256, bench_cyclegan_r9_512;
extern const bench_case bench_stylegan2_f256;
extern const bench_case bench_warp_cpvton, bench_warp_tps512, bench_raster_mesh;
extern const bench_case bench_fit_frame, bench_fit_posenet;

const bench_case *const bench_cases[] = {
    &bench_posenet_385,        &bench_posenet_385_exact, &bench_transformernet_256,
    &bench_transformernet_512, &bench_cyclegan_r9_256,   &bench_cyclegan_r9_512,
    &bench_stylegan2_f256,     &bench_warp_cpvton,       &bench_warp_tps512,
    &bench_raster_mesh,        &bench_fit_frame,         &bench_fit_posenet,
};
const int bench_n_cases = (int)(sizeof bench_cases / sizeof bench_cases[0]);
