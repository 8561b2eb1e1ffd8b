/* cli.c — common flag handling, errors, exit codes and timers for the CLI. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void cli_common_init(cli_common *c) {
    memset(c, 0, sizeof *c);
    c->params = tryon_ctx_params_default();
}

int cli_parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int cli_parse_float(const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v != v) return 0;
    *out = v;
    return 1;
}

int cli_common_option(cli_common *c, int opt, const char *arg) {
    long v;
    switch (opt) {
    case CLI_OPT_DEVICE:
        if (!strcmp(arg, "cpu"))
            c->params.device = TRYON_DEVICE_CPU;
        else if (!strcmp(arg, "cuda"))
            c->params.device = TRYON_DEVICE_CUDA;
        else {
            fprintf(stderr, "tryon: --device must be cpu or cuda, not '%s'\n", arg);
            return -1;
        }
        return 1;
    case CLI_OPT_THREADS:
        if (!cli_parse_int(arg, 1, 1024, &v)) {
            fprintf(stderr, "tryon: --threads must be an integer in 1..1024, not '%s'\n", arg);
            return -1;
        }
        c->params.n_threads = (int32_t)v;
        return 1;
    case CLI_OPT_TIME: c->time = 1; return 1;
    case CLI_OPT_KERNELS:
        if (!strcmp(arg, "own"))
            c->params.kernels = TRYON_KERNELS_OWN;
        else if (!strcmp(arg, "vendor") || !strcmp(arg, "cudnn"))
            c->params.kernels = TRYON_KERNELS_VENDOR;
        else if (!strcmp(arg, "reference"))
            c->params.kernels = TRYON_KERNELS_REFERENCE;
        else {
            fprintf(stderr, "tryon: --kernels must be own, vendor or reference, not '%s'\n", arg);
            return -1;
        }
        return 1;
    case CLI_OPT_MAX_PIXELS:
    case CLI_OPT_MAX_TENSOR_BYTES: {
        char *end;
        errno = 0;
        long long n = strtoll(arg, &end, 10);
        if (errno || end == arg || *end || n < 1) {
            fprintf(stderr, "tryon: --%s must be a positive integer, not '%s'\n",
                    opt == CLI_OPT_MAX_PIXELS ? "max-image-pixels" : "max-tensor-bytes", arg);
            return -1;
        }
        if (opt == CLI_OPT_MAX_PIXELS)
            c->params.max_image_pixels = n;
        else
            c->params.max_tensor_bytes = n;
        return 1;
    }
    case CLI_OPT_PRECISION:
        if (!strcmp(arg, "f32"))
            c->params.cuda_precision = TRYON_DTYPE_F32;
        else if (!strcmp(arg, "f16"))
            c->params.cuda_precision = TRYON_DTYPE_F16;
        else if (!strcmp(arg, "bf16"))
            c->params.cuda_precision = TRYON_DTYPE_BF16;
        else {
            fprintf(stderr, "tryon: --precision must be f32, f16 or bf16, not '%s'\n", arg);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

int cli_exit_code(tryon_status s) {
    switch (s) {
    case TRYON_OK: return CLI_EXIT_OK;
    case TRYON_ERR_INVALID_ARG: return CLI_EXIT_USAGE;
    case TRYON_ERR_IO: return CLI_EXIT_IO;
    case TRYON_ERR_FORMAT: return CLI_EXIT_FORMAT;
    case TRYON_ERR_UNSUPPORTED: return CLI_EXIT_UNSUPPORTED;
    case TRYON_ERR_LIMIT: return CLI_EXIT_LIMIT;
    case TRYON_ERR_NO_DEVICE: return CLI_EXIT_NO_DEVICE;
    default: return CLI_EXIT_ERROR;
    }
}

tryon_ctx *cli_ctx(const cli_common *c, int *exit_code) {
    tryon_ctx *ctx = NULL;
    char why[512];
    tryon_status st = tryon_ctx_init(&c->params, &ctx, why, sizeof why);
    if (st != TRYON_OK) {
        fprintf(stderr, "tryon: error: %s\n", why);
        *exit_code = cli_exit_code(st);
        return NULL;
    }
    *exit_code = 0;
    return ctx;
}

/* Writes msg with control characters escaped as \xNN: messages quote names
 * taken from untrusted files (a tensor name may hold "\n"), and an error must
 * stay on one line. */
static void put_one_line(FILE *out, const char *msg) {
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\x%02x", *p);
        else
            fputc(*p, out);
    }
}

int cli_fail(tryon_ctx *ctx, tryon_status s) {
    const char *msg = ctx ? tryon_ctx_last_error(ctx) : "";
    fputs("tryon: error: ", stderr);
    put_one_line(stderr, msg && *msg ? msg : tryon_status_str(s));
    fputc('\n', stderr);
    if (ctx && getenv("TRYON_DEBUG")) fprintf(stderr, "  at %s\n", tryon_ctx_last_error_where(ctx));
    return cli_exit_code(s);
}

int cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "tryon %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'tryon %s --help')\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_check_finite(const char *path, const tryon_array *a) {
    int64_t n = tryon_array_numel(a);
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(a->data[i])) {
            fprintf(stderr,
                    "tryon: error: %s: element %lld is NaN or Inf (inputs must be finite)\n", path,
                    (long long)i);
            return CLI_EXIT_FORMAT;
        }
    return 0;
}

double cli_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

void cli_timer_start(cli_timer *t, int enabled) {
    t->enabled = enabled;
    t->t0 = t->last = cli_now_ms();
}

void cli_timer_mark(cli_timer *t, const char *stage) {
    double now = cli_now_ms();
    if (t->enabled) fprintf(stderr, "  %-22s %10.3f ms\n", stage, now - t->last);
    t->last = now;
}

void cli_timer_total(cli_timer *t) {
    if (t->enabled) fprintf(stderr, "  %-22s %10.3f ms\n", "total", cli_now_ms() - t->t0);
}

static int has_ext(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n >= e && !strcasecmp(path + n - e, ext);
}

cli_file_kind cli_output_kind(const char *path) {
    if (has_ext(path, ".png")) return CLI_FILE_PNG;
    if (has_ext(path, ".npy")) return CLI_FILE_NPY;
    return CLI_FILE_UNKNOWN;
}

cli_file_kind cli_file_kind_of(const char *path) {
    unsigned char m[8] = {0};
    ssize_t n = 0;
    /* Only a regular file is peeked at, and the open never blocks: a FIFO
     * would wait for a writer forever. The reader reports anything else. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) n = read(fd, m, sizeof m);
        close(fd);
    }
    if (n >= 8 && !memcmp(m, "\x89PNG\r\n\x1a\n", 8)) return CLI_FILE_PNG;
    if (n >= 6 && !memcmp(m, "\x93NUMPY", 6)) return CLI_FILE_NPY;
    if (has_ext(path, ".safetensors")) return CLI_FILE_SAFETENSORS;
    if (has_ext(path, ".png")) return CLI_FILE_PNG;
    if (has_ext(path, ".npy")) return CLI_FILE_NPY;
    return CLI_FILE_UNKNOWN;
}
