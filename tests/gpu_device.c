/* gpu_device.c — the GPU suite (no fork: CUDA must not be used between fork
 * and exec). Without a usable device it prints SKIP with the reason and exits 0. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "harness_gpu.h"

START_TEST(cuda_context_initialises) {
    tryon_ctx_params p = tryon_ctx_params_default();
    p.device = TRYON_DEVICE_CUDA;
    tryon_ctx *ctx = NULL;
    char why[256];
    ck_assert_msg(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    tryon_ctx_free(ctx);
}
END_TEST

int main(void) {
    Suite *s = suite_create("gpu_device");
    TCase *tc = tcase_create("device");
    tcase_add_test(tc, cuda_context_initialises);
    suite_add_tcase(s, tc);
    return gu_main("gpu_device", s);
}
