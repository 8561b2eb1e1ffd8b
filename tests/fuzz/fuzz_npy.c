/* fuzz_npy.c — libFuzzer target: the .npy reader (runtime/npy.c).
 *
 * An input is a whole file. An accepted array must hold exactly the file's
 * trailing numel*4 bytes (the data follows the header with nothing after
 * it), respect the tensor limit, and survive a round trip through
 * tryon_npy_write bit for bit (NaN payloads included).
 * Seeds: the .npy files of tests/corpus (good and bad). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tryon_ctx *ctx = fuzz_ctx();
    const char *path = fuzz_memfile(0, data, size);
    tryon_array a;
    memset(&a, 0xab, sizeof a); /* must come back zeroed on failure */
    fuzz_clear_error(ctx);
    tryon_status st = tryon_npy_read(ctx, path, &a);
    fuzz_check_status(ctx, st, "npy_read");
    if (st != TRYON_OK) {
        FUZZ_REQUIRE(a.data == NULL && a.ndim == 0, "failed read left the array set");
        return 0;
    }
    FUZZ_REQUIRE(a.ndim >= 0 && a.ndim <= TRYON_MAX_DIMS && a.data, "rank %d", a.ndim);
    int64_t numel = tryon_array_numel(&a);
    FUZZ_REQUIRE(numel >= 0 && numel * 4 <= ((int64_t)8 << 20), "%lld elements past the limit",
                 (long long)numel);
    size_t bytes = (size_t)numel * 4;
    FUZZ_REQUIRE(bytes <= size && !memcmp(a.data, data + size - bytes, bytes),
                 "data is not the file's last %zu bytes", bytes);

    const char *out = fuzz_memfile(1, "", 0);
    fuzz_clear_error(ctx);
    st = tryon_npy_write(ctx, out, &a);
    fuzz_check_status(ctx, st, "npy_write");
    FUZZ_REQUIRE(st == TRYON_OK, "write failed: %s", tryon_ctx_last_error(ctx));
    tryon_array back;
    st = tryon_npy_read(ctx, out, &back);
    FUZZ_REQUIRE(st == TRYON_OK, "re-read failed: %s", tryon_ctx_last_error(ctx));
    FUZZ_REQUIRE(back.ndim == a.ndim && !memcmp(back.shape, a.shape, sizeof a.shape),
                 "round trip changed the shape");
    FUZZ_REQUIRE(!memcmp(back.data, a.data, bytes), "round trip changed the data");
    tryon_array_free(&back);
    tryon_array_free(&a);
    return 0;
}
