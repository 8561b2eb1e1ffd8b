/* file.c — opening the files the readers parse; see file.h. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tryon_status tr_open_regular(tryon_ctx *ctx, const char *path, int *fd, int64_t *size) {
    *fd = -1;
    *size = 0;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f < 0) return TR_FAIL(ctx, TRYON_ERR_IO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat sb;
    if (fstat(f, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(f);
        return TR_FAIL(ctx, TRYON_ERR_IO, "%s: not a regular file", path);
    }
    int flags = fcntl(f, F_GETFL);
    if (flags < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(f);
        return TR_FAIL(ctx, TRYON_ERR_IO, "%s: cannot open (%s)", path, strerror(e));
    }
    *fd = f;
    *size = (int64_t)sb.st_size;
    return TRYON_OK;
}

tryon_status tr_fopen_regular(tryon_ctx *ctx, const char *path, FILE **f, int64_t *size) {
    *f = NULL;
    int fd;
    TR_TRY(tr_open_regular(ctx, path, &fd, size));
    *f = fdopen(fd, "rb");
    if (!*f) {
        int e = errno;
        close(fd);
        *size = 0;
        return TR_FAIL(ctx, e == ENOMEM ? TRYON_ERR_NOMEM : TRYON_ERR_IO, "%s: cannot open (%s)",
                       path, strerror(e));
    }
    return TRYON_OK;
}
