/* gpu_device.c — the GPU suite (no fork: CUDA must not be used between fork
 * and exec). Without a usable device it prints SKIP with the reason and exits 0. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "util.h"

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
    char why[256] = "";
    if (tr_cuda_device_count(why, sizeof why) <= 0) {
        printf("SKIP gpu suite: no usable CUDA device (%s)\n", why);
        return EXIT_SUCCESS;
    }
    Suite *s = suite_create("gpu");
    TCase *tc = tcase_create("device");
    tcase_add_test(tc, cuda_context_initialises);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
