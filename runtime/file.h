/* file.h — opening the files the readers parse (weights, PNG, .npy). */
#ifndef TR_FILE_H
#define TR_FILE_H

#include <stdio.h>

#include "internal.h"

/* Opens path for reading if it is a regular file: *fd and *size on success,
 * TRYON_ERR_IO ("PATH: cannot open (reason)" / "PATH: not a regular file")
 * otherwise. The open never blocks: a FIFO, a terminal or a device would
 * make a plain open() or the first read wait forever, so the file is opened
 * with O_NONBLOCK, checked with fstat, and only then set back to blocking. */
tryon_status tr_open_regular(tryon_ctx *ctx, const char *path, int *fd, int64_t *size);

/* The same as a stdio stream ("rb"). */
tryon_status tr_fopen_regular(tryon_ctx *ctx, const char *path, FILE **f, int64_t *size);

#endif /* TR_FILE_H */
