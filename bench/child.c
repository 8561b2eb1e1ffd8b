/* child.c — every row runs in a forked child that sends its bench_rows back
 * through a pipe. Two reasons: getrusage's peak RSS is a process high-water
 * mark, so only a fresh process measures one model; and a kernel that crashes
 * becomes a FAILED row instead of the end of the benchmark. The parent never
 * touches CUDA (a CUDA context does not survive fork), only the children do. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int64_t bench_peak_rss(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return (int64_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

void bench_child_send(int fd, const bench_row *row) {
    const char *p = (const char *)row;
    size_t left = sizeof *row;
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) _exit(3); /* the parent is gone */
        p += k;
        left -= (size_t)k;
    }
}

static int read_row(int fd, bench_row *row) {
    char *p = (char *)row;
    size_t got = 0;
    while (got < sizeof *row) {
        ssize_t k = read(fd, p + got, sizeof *row - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return 0;
        got += (size_t)k;
    }
    return 1;
}

void bench_child_rows(void (*fn)(void *arg, int fd), void *arg, const char *fail_name,
                      bench_emit_fn emit, void *user) {
    int fds[2];
    bench_row row;
    if (pipe(fds) != 0) {
        memset(&row, 0, sizeof row);
        snprintf(row.name, sizeof row.name, "%s", fail_name);
        row.status = BENCH_FAILED;
        snprintf(row.reason, sizeof row.reason, "pipe: %s", strerror(errno));
        emit(&row, user);
        return;
    }
    fflush(NULL); /* nothing buffered may be written twice */
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        fn(arg, fds[1]);
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    int got_last = 0;
    if (pid > 0) {
        while (!got_last && read_row(fds[0], &row)) {
            got_last = row.last;
            emit(&row, user);
        }
    }
    close(fds[0]);
    int wst = 0;
    if (pid > 0)
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR) continue;
    if (got_last) return;
    memset(&row, 0, sizeof row);
    snprintf(row.name, sizeof row.name, "%s", fail_name);
    row.status = BENCH_FAILED;
    row.rss_bytes = -1;
    if (pid < 0)
        snprintf(row.reason, sizeof row.reason, "fork: %s", strerror(errno));
    else if (WIFSIGNALED(wst))
        snprintf(row.reason, sizeof row.reason, "the benchmark process crashed: signal %d (%s)",
                 WTERMSIG(wst), strsignal(WTERMSIG(wst)));
    else
        snprintf(row.reason, sizeof row.reason,
                 "the benchmark process exited with status %d before reporting",
                 WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
    emit(&row, user);
}
