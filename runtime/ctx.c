/* ctx.c — context creation: limits, thread pool, device selection. */
#include <string.h>
#include <unistd.h>

#include "fast/fast.h"
#include "internal.h"
#include "kernels.h"
#include "pool.h"

#define TR_STR_(x) #x
#define TR_STR(x)  TR_STR_(x)

#if TR_WITH_CUDA
#define TR_BACKENDS " (cpu+cuda)"
#else
#define TR_BACKENDS " (cpu)"
#endif

const char *tryon_version(void) {
    return TR_STR(TRYON_VERSION_MAJOR) "." TR_STR(TRYON_VERSION_MINOR) "." TR_STR(
        TRYON_VERSION_PATCH) TR_BACKENDS;
}

tryon_ctx_params tryon_ctx_params_default(void) {
    tryon_ctx_params p;
    memset(&p, 0, sizeof p);
    p.device = TRYON_DEVICE_CPU;
    p.n_threads = 0;
    p.max_image_pixels = (int64_t)1 << 26; /* 8192 x 8192 */
    p.max_tensor_bytes = (int64_t)1 << 32; /* 4 GiB */
    p.cuda_precision = TRYON_DTYPE_F32;
    p.kernels = TRYON_KERNELS_OWN;
    return p;
}

int32_t tryon_cuda_device_count(void) { return tr_cuda_device_count(NULL, 0); }

static void set_errbuf(char *buf, size_t size, const char *msg) {
    if (buf && size) snprintf(buf, size, "%s", msg);
}

tryon_status tryon_ctx_init(const tryon_ctx_params *params, tryon_ctx **out, char *errbuf,
                            size_t errbuf_size) {
    *out = NULL;
    set_errbuf(errbuf, errbuf_size, "");
    tryon_ctx_params p = params ? *params : tryon_ctx_params_default();
    if (p.device < 0 || p.device >= TRYON_DEVICE_COUNT) {
        set_errbuf(errbuf, errbuf_size, "unknown device");
        return TRYON_ERR_INVALID_ARG;
    }
    if (p.cuda_precision != TRYON_DTYPE_F32 && p.cuda_precision != TRYON_DTYPE_F16 &&
        p.cuda_precision != TRYON_DTYPE_BF16) {
        set_errbuf(errbuf, errbuf_size, "cuda_precision must be F32, F16 or BF16");
        return TRYON_ERR_INVALID_ARG;
    }
    if (p.kernels < 0 || p.kernels >= TRYON_KERNELS_COUNT) {
        set_errbuf(errbuf, errbuf_size, "unknown kernels selection");
        return TRYON_ERR_INVALID_ARG;
    }
    if (p.max_image_pixels <= 0 || p.max_tensor_bytes <= 0) {
        set_errbuf(errbuf, errbuf_size, "limits must be positive");
        return TRYON_ERR_INVALID_ARG;
    }
    if (p.n_threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        p.n_threads = n > 0 ? (int32_t)(n > 256 ? 256 : n) : 1;
    }
    tr_isa isa;
    char isa_why[160];
    if (!tr_isa_from_env(&isa, isa_why, sizeof isa_why)) {
        set_errbuf(errbuf, errbuf_size, isa_why);
        return TRYON_ERR_INVALID_ARG;
    }
    if (p.device == TRYON_DEVICE_CUDA) {
        char why[256] = "";
        if (tr_cuda_device_count(why, sizeof why) <= 0) {
            char msg[320];
            snprintf(msg, sizeof msg, "no usable CUDA device: %s", why);
            set_errbuf(errbuf, errbuf_size, msg);
            return TRYON_ERR_NO_DEVICE;
        }
    }
    tryon_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        set_errbuf(errbuf, errbuf_size, "out of memory");
        return TRYON_ERR_NOMEM;
    }
    ctx->params = p;
    ctx->cpu_isa = (int32_t)isa;
    tryon_status st = tr_pool_init(ctx, p.n_threads, &ctx->pool);
    if (st == TRYON_OK && p.device == TRYON_DEVICE_CUDA) st = tr_cuda_ctx_init(ctx);
    if (st != TRYON_OK) {
        set_errbuf(errbuf, errbuf_size, ctx->err);
        tryon_ctx_free(ctx);
        return st;
    }
    *out = ctx;
    return TRYON_OK;
}

void tryon_ctx_free(tryon_ctx *ctx) {
    if (!ctx) return;
    tr_cuda_ctx_free(ctx);
    tr_pool_free(ctx->pool);
    free(ctx);
}

int32_t tryon_ctx_n_threads(const tryon_ctx *ctx) { return tr_pool_n_threads(ctx->pool); }
