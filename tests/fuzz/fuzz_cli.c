/* fuzz_cli.c — libFuzzer target: the tryon command line, run in-process
 * through cli_main (tools/tryon.c) with every subcommand.
 *
 * An input is an argument list: NUL-separated words (at most MAX_ARGS words of
 * at most MAX_ARG_LEN bytes), the command first. The target runs
 *   tryon WORDS... --threads 1 --max-image-pixels 4096 --max-tensor-bytes 2097152
 * so that whatever the words ask for stays small and fast (the last value of
 * an option wins). Words are skipped, not run, when they could escape that
 * or the sandbox: a word holding '/' or equal to ".." (files stay inside the
 * sandbox), a word "--" (it would turn the appended limits into arguments),
 * or a last word starting with '-' (it could take the first appended word as
 * its value).
 *
 * The sandbox is a fresh temporary folder, the working directory, filled with
 * the files of $TRYON_FUZZ_FILES (default build/fuzz/files/cli, made by
 * tests/fuzz/make_files.sh): tiny weights of every family, PNG and .npy
 * inputs. After each run, files the run created are removed and files it
 * changed are restored, so that every input sees the same sandbox.
 * Because of the chdir, libFuzzer needs absolute corpus and artifact paths
 * (the Makefile passes them).
 *
 * Oracle: the sanitizers (and LeakSanitizer per input), an exit status in
 * 0..7, and no hang (libFuzzer's -timeout). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>

#include "cli.h"
#include "fuzz_common.h"

#define MAX_ARGS    24
#define MAX_ARG_LEN 256
#define MAX_FILES   64

typedef struct sandbox_file {
    char name[256];
    struct stat st;
} sandbox_file;

static char sandbox[PATH_MAX], files_dir[PATH_MAX];
static sandbox_file files[MAX_FILES];
static int n_files;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *path) { nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    FUZZ_REQUIRE(in >= 0, "cannot open %s", from);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FUZZ_REQUIRE(out >= 0, "cannot create %s", to);
    char buf[65536];
    for (ssize_t n; (n = read(in, buf, sizeof buf)) > 0;)
        FUZZ_REQUIRE(write(out, buf, (size_t)n) == n, "cannot write %s", to);
    close(in);
    close(out);
}

static void cleanup(void) {
    if (sandbox[0]) {
        FUZZ_REQUIRE(chdir("/") == 0, "chdir /");
        rm_tree(sandbox);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *dir = getenv("TRYON_FUZZ_FILES");
    if (!dir || !*dir) dir = "build/fuzz/files/cli";
    const char *tmp = getenv("TMPDIR");
    snprintf(sandbox, sizeof sandbox, "%s/tryon-fuzz-cli.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_REQUIRE(mkdtemp(sandbox) != NULL, "mkdtemp %s", sandbox);
    atexit(cleanup);
    DIR *d = realpath(dir, files_dir) ? opendir(files_dir) : NULL;
    if (!d) /* no files: the CLI still runs, on usage and missing-file paths */
        fprintf(stderr, "fuzz_cli: no sandbox files in %s (tests/fuzz/make_files.sh)\n", dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char from[PATH_MAX + 256], to[PATH_MAX + 256];
        snprintf(from, sizeof from, "%s/%s", files_dir, e->d_name);
        struct stat sb;
        if (stat(from, &sb) != 0 || !S_ISREG(sb.st_mode) || n_files == MAX_FILES) continue;
        snprintf(to, sizeof to, "%s/%s", sandbox, e->d_name);
        copy_file(from, to);
        sandbox_file *f = &files[n_files++];
        snprintf(f->name, sizeof f->name, "%s", e->d_name);
        FUZZ_REQUIRE(stat(to, &f->st) == 0, "stat %s", to);
    }
    if (d) closedir(d);
    FUZZ_REQUIRE(chdir(sandbox) == 0, "chdir %s", sandbox);
    return 0;
}

/* Puts the sandbox back as LLVMFuzzerInitialize left it. */
static void restore_sandbox(void) {
    DIR *d = opendir(".");
    FUZZ_REQUIRE(d != NULL, "opendir sandbox");
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int known = 0;
        for (int i = 0; i < n_files && !known; i++) known = !strcmp(files[i].name, e->d_name);
        if (!known) rm_tree(e->d_name);
    }
    closedir(d);
    for (int i = 0; i < n_files; i++) {
        sandbox_file *f = &files[i];
        struct stat sb;
        if (lstat(f->name, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == f->st.st_size &&
            sb.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
            sb.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec)
            continue;
        char from[PATH_MAX + 256];
        snprintf(from, sizeof from, "%s/%.255s", files_dir, f->name);
        rm_tree(f->name);
        copy_file(from, f->name);
        FUZZ_REQUIRE(stat(f->name, &f->st) == 0, "stat %s", f->name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char words[MAX_ARGS][MAX_ARG_LEN + 1];
    char *argv[MAX_ARGS + 8];
    int argc = 0;
    argv[argc++] = "tryon";
    size_t i = 0;
    int n = 0;
    while (i < size) {
        const uint8_t *end = memchr(data + i, 0, size - i);
        size_t len = end ? (size_t)(end - (data + i)) : size - i;
        if (n == MAX_ARGS || len > MAX_ARG_LEN) return 0;
        memcpy(words[n], data + i, len);
        words[n][len] = 0;
        /* A NUL inside the word cannot happen (it separates words). */
        if (strchr(words[n], '/') || !strcmp(words[n], "..") || !strcmp(words[n], "--")) return 0;
        argv[argc++] = words[n++];
        i += len + 1;
    }
    if (n > 0 && words[n - 1][0] == '-') return 0;
    static char *limits[] = {"--threads",          "1",      "--max-image-pixels", "4096",
                             "--max-tensor-bytes", "2097152"};
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) argv[argc++] = limits[k];
    argv[argc] = NULL;
    int code = cli_main(argc, argv);
    fflush(stdout);
    if (getenv("TRYON_FUZZ_VERBOSE")) {
        fprintf(stderr, "fuzz_cli: exit %d:", code);
        for (int k = 1; k < argc; k++) fprintf(stderr, " %s", argv[k]);
        fputc('\n', stderr);
    }
    FUZZ_REQUIRE(code >= 0 && code <= 7, "exit status %d", code);
    restore_sandbox();
    return 0;
}
