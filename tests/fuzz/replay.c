/* replay.c — a main() for the fuzz targets without libFuzzer: feeds each file
 * named on the command line (a folder: each file in it, sorted) to
 * LLVMFuzzerTestOneInput once. `make test` builds it with cc (no clang) to
 * replay tests/fuzz/regress/ and the corpus seeds, under SAN=... too.
 *
 * Exit status 0 when every input ran; a finding aborts (FUZZ_REQUIRE) or is
 * reported by a sanitizer, as under libFuzzer. */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>

#include "fuzz_common.h"

/* Targets without an initializer get this one (a weak definition). */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    return 0;
}

typedef struct input_list {
    char **paths;
    size_t n, cap;
} input_list;

static void add_path(input_list *l, const char *path) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
        FUZZ_REQUIRE(l->paths != NULL, "out of memory");
    }
    char abs[PATH_MAX];
    /* Absolute: LLVMFuzzerInitialize may change the working directory. */
    FUZZ_REQUIRE(realpath(path, abs) != NULL, "cannot resolve %s", path);
    l->paths[l->n] = strdup(abs);
    FUZZ_REQUIRE(l->paths[l->n] != NULL, "out of memory");
    l->n++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_arg(input_list *l, const char *path) {
    struct stat sb;
    FUZZ_REQUIRE(stat(path, &sb) == 0, "cannot stat %s", path);
    if (!S_ISDIR(sb.st_mode)) {
        add_path(l, path);
        return;
    }
    DIR *d = opendir(path);
    FUZZ_REQUIRE(d != NULL, "cannot open folder %s", path);
    size_t first = l->n;
    for (struct dirent *e; (e = readdir(d));) {
        char p[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        if (e->d_name[0] != '.' && stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) add_path(l, p);
    }
    closedir(d);
    qsort(l->paths + first, l->n - first, sizeof *l->paths, cmp_str);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
        return 2;
    }
    input_list l = {0};
    for (int i = 1; i < argc; i++) add_arg(&l, argv[i]);
    LLVMFuzzerInitialize(&argc, &argv);
    for (size_t i = 0; i < l.n; i++) {
        FILE *f = fopen(l.paths[i], "rb");
        FUZZ_REQUIRE(f != NULL, "cannot open %s", l.paths[i]);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        FUZZ_REQUIRE(len >= 0, "cannot size %s", l.paths[i]);
        /* An exact-size buffer, so that ASan catches a read one byte past the input. */
        uint8_t *buf = malloc(len ? (size_t)len : 1);
        FUZZ_REQUIRE(buf && fread(buf, 1, (size_t)len, f) == (size_t)len, "cannot read %s",
                     l.paths[i]);
        fclose(f);
        if (getenv("TRYON_FUZZ_VERBOSE")) fprintf(stderr, "replay %s\n", l.paths[i]);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
        free(l.paths[i]);
    }
    free(l.paths);
    printf("%s: %zu inputs replayed\n", argv[0], l.n);
    return 0;
}
