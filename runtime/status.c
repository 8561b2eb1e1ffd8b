/* status.c — status names, per-context error messages, internal assertions. */
#include <stdarg.h>
#include <string.h>

#include "internal.h"

const char *tryon_status_str(tryon_status s) {
    switch (s) {
    case TRYON_OK: return "ok";
    case TRYON_ERR_INVALID_ARG: return "invalid argument";
    case TRYON_ERR_NOMEM: return "out of memory";
    case TRYON_ERR_IO: return "i/o error";
    case TRYON_ERR_FORMAT: return "malformed file";
    case TRYON_ERR_UNSUPPORTED: return "unsupported";
    case TRYON_ERR_LIMIT: return "limit exceeded";
    case TRYON_ERR_NO_DEVICE: return "no device";
    case TRYON_ERR_CUDA: return "cuda error";
    case TRYON_ERR_DEVICE_LOST: return "device lost";
    case TRYON_STATUS_COUNT: break;
    }
    return "unknown status";
}

tryon_status tr_fail(tryon_ctx *ctx, tryon_status s, const char *file, int line, const char *fmt,
                     ...) {
    if (!ctx) return s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    snprintf(ctx->where, sizeof ctx->where, "%s:%d", file, line);
    ctx->last_status = s;
    return s;
}

const char *tryon_ctx_last_error(const tryon_ctx *ctx) { return ctx ? ctx->err : ""; }

const char *tryon_ctx_last_error_where(const tryon_ctx *ctx) { return ctx ? ctx->where : ""; }

void tr_assert_fail(const char *expr, const char *file, int line) {
    /* A broken invariant is a bug in tryon, never a user error: stop loudly. */
    fprintf(stderr, "tryon: internal error: %s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}
