/* net_fit.c — the `fit` graph at 512x512 (the try-on pipeline of `tryon fit`:
 * pose, warp, rasterization and garment rendering in one planned graph).
 *
 * The fit API (nets/fit*.c) is being written on another branch; until it is
 * merged this case reports NOT_RUN with the reason below. To wire it: give
 * the case a setup that opens the fit weights in o->weights_dir (NOT_RUN via
 * TRYON_ERR_IO when absent), builds the 512x512 model on ctx with the fit
 * loader, fills its inputs when they are host memory (t.data != NULL) with
 * a deterministic person image and garment, and set not_run to NULL. */
#include "bench.h"

const bench_case bench_fit_512 = {
    "fit-512", "fit", NULL,
    "the fit graph (`tryon fit`, nets/fit*.c) is not in this build yet; bench/net_fit.c says "
    "how to wire it"};
