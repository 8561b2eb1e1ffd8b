/* dtype.c — element types: names and sizes. */
#include "internal.h"

const char *tryon_dtype_name(tryon_dtype t) {
    switch (t) {
    case TRYON_DTYPE_F32: return "F32";
    case TRYON_DTYPE_F16: return "F16";
    case TRYON_DTYPE_BF16: return "BF16";
    case TRYON_DTYPE_I32: return "I32";
    case TRYON_DTYPE_U8: return "U8";
    case TRYON_DTYPE_COUNT: break;
    }
    return "?";
}

size_t tryon_dtype_size(tryon_dtype t) {
    switch (t) {
    case TRYON_DTYPE_F32: return 4;
    case TRYON_DTYPE_F16: return 2;
    case TRYON_DTYPE_BF16: return 2;
    case TRYON_DTYPE_I32: return 4;
    case TRYON_DTYPE_U8: return 1;
    case TRYON_DTYPE_COUNT: break;
    }
    return 0;
}

const char *tr_shape_str(int32_t ndim, const int64_t *shape, char *buf, size_t size) {
    size_t len = 0;
    len += (size_t)snprintf(buf, size, "[");
    for (int32_t i = 0; i < ndim && len < size; i++)
        len +=
            (size_t)snprintf(buf + len, size - len, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (len < size) snprintf(buf + len, size - len, "]");
    return buf;
}
