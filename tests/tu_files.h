/* tu_files.h — scratch files for the loader tests (test_weights.c,
 * test_image.c, test_npy.c): a private mkdtemp folder, whole-file writes and
 * reads, removal, and the Python used to write files with NumPy.
 *
 * Header-only (static inline) so that suites that do not need it pay nothing
 * and the Makefile's test rule stays untouched. */
#ifndef TRYON_TU_FILES_H
#define TRYON_TU_FILES_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Creates a fresh folder ($TMPDIR or /tmp) into buf, or fails the test. */
static inline const char *tu_mkdtemp(char *buf, size_t size) {
    const char *base = getenv("TMPDIR");
    snprintf(buf, size, "%s/tryon-test-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s failed", buf);
    return buf;
}

/* Removes a folder made by tu_mkdtemp and everything in it (one level of
 * subfolders: the tests make at most that). */
static inline void tu_rmtree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096 + 256];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strlen(dir) >= 4096) break;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) tu_rmtree(p);
    }
    closedir(d);
    rmdir(dir);
}

/* "dir/name" into buf. */
static inline const char *tu_path(char *buf, size_t size, const char *dir, const char *name) {
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

static inline void tu_write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_msg(n == 0 || fwrite(data, 1, n, f) == n, "cannot write %s", path);
    ck_assert_msg(fclose(f) == 0, "cannot close %s", path);
}

/* Whole file into a malloc'd buffer (free it); *n gets its size. */
static inline unsigned char *tu_read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(fread(b, 1, (size_t)len, f) == (size_t)len, "cannot read %s", path);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* $PYTHON (default /usr/bin/python3) when it can import numpy, else NULL. */
static inline const char *tu_python_numpy(void) {
    const char *py = getenv("PYTHON");
    if (!py || !*py) py = "/usr/bin/python3";
    char cmd[512];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import numpy' >/dev/null 2>&1", py);
    return system(cmd) == 0 ? py : NULL;
}

/* 1 if some mapping of this process comes from path (/proc/self/maps). */
static inline int tu_is_mapped(const char *path) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    size_t n = strlen(path);
    while (!found && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == ' ')) line[--l] = 0;
        found = l >= n && !strcmp(line + l - n, path);
    }
    fclose(f);
    return found;
}

#endif /* TRYON_TU_FILES_H */
