/* fuzz_common.h — shared by the libFuzzer targets in tests/fuzz/.
 *
 * Each target defines LLVMFuzzerTestOneInput (and maybe LLVMFuzzerInitialize).
 * `make fuzz` links them with clang's libFuzzer (-fsanitize=fuzzer,address,
 * undefined); `make test` links the same files with tests/fuzz/replay.c, a
 * plain main() built by cc, to replay the regression files and seeds.
 *
 * The readers take paths, so an input is written to a memfd and opened as
 * /proc/self/fd/N: the real file code (open, fstat, mmap, stdio) runs, and
 * nothing touches the disk.
 *
 * Oracles: besides the sanitizers, a target aborts (a finding) when a call
 * breaks the API contract: a failure without a message or with an
 * out-of-range status, an out-parameter left set on failure, or a success
 * whose result disagrees with the input bytes. */
#ifndef TRYON_FUZZ_COMMON_H
#define TRYON_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Stops the run with a message: libFuzzer reports the abort as a crash and
 * keeps the input. */
#define FUZZ_REQUIRE(cond, ...)                                                                    \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: %s:%d: %s: ", __FILE__, __LINE__, #cond);                       \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A small file in memory. One per target and slot (0, 1), made on first use and
 * reused for every input; the path stays valid for the process. */
static inline const char *fuzz_memfile(int slot, const void *data, size_t size) {
    static int fds[2] = {-1, -1};
    static char paths[2][64];
    if (fds[slot] < 0) {
        fds[slot] = memfd_create("tryon-fuzz", MFD_CLOEXEC);
        FUZZ_REQUIRE(fds[slot] >= 0, "memfd_create failed");
        snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fds[slot]);
    }
    FUZZ_REQUIRE(ftruncate(fds[slot], 0) == 0, "ftruncate failed");
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fds[slot], (const uint8_t *)data + done, size - done, (off_t)done);
        FUZZ_REQUIRE(n > 0, "pwrite failed");
        done += (size_t)n;
    }
    return paths[slot];
}

/* Reads back a memfd slot written by a writer under test (malloc'd; *n set). */
static inline uint8_t *fuzz_memfile_read(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    FUZZ_REQUIRE(f != NULL, "cannot reopen %s", path);
    size_t cap = 4096, len = 0;
    uint8_t *b = malloc(cap);
    FUZZ_REQUIRE(b != NULL, "out of memory");
    for (size_t k; (k = fread(b + len, 1, cap - len, f)) > 0;) {
        len += k;
        if (len == cap) {
            b = realloc(b, cap *= 2);
            FUZZ_REQUIRE(b != NULL, "out of memory");
        }
    }
    fclose(f);
    *n = len;
    return b;
}

/* One context per process: one thread (the targets test parsing, not the
 * pool), and limits low enough that an input cannot make a run slow or large. */
static inline tryon_ctx *fuzz_ctx(void) {
    static tryon_ctx *ctx;
    if (!ctx) {
        tryon_ctx_params p = tryon_ctx_params_default();
        p.n_threads = 1;
        p.max_image_pixels = (int64_t)1 << 20;
        p.max_tensor_bytes = (int64_t)8 << 20;
        char why[256];
        FUZZ_REQUIRE(tryon_ctx_init(&p, &ctx, why, sizeof why) == TRYON_OK, "%s", why);
    }
    return ctx;
}

/* Forgets the last message, so that fuzz_check_status sees the next call's own. */
static inline void fuzz_clear_error(tryon_ctx *ctx) { ctx->err[0] = 0; }

/* The status contract of every call: OK, or a known error with a message. */
static inline void fuzz_check_status(tryon_ctx *ctx, tryon_status st, const char *what) {
    FUZZ_REQUIRE(st >= TRYON_OK && st < TRYON_STATUS_COUNT, "%s: status %d", what, (int)st);
    if (st != TRYON_OK)
        FUZZ_REQUIRE(tryon_ctx_last_error(ctx)[0] != 0, "%s: %s without a message", what,
                     tryon_status_str(st));
}

#endif /* TRYON_FUZZ_COMMON_H */
