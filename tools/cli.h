/* cli.h — shared pieces of the tryon command-line tool: the subcommand
 * table, common flags (--device, --threads, --time), error reporting and
 * exit codes, stage timers. */
#ifndef TRYON_CLI_H
#define TRYON_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "tryon.h"

/* Exit codes (documented in `tryon --help`). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,       /* any other failure */
    CLI_EXIT_USAGE = 2,       /* bad command line */
    CLI_EXIT_IO = 3,          /* file missing, unreadable, unwritable */
    CLI_EXIT_FORMAT = 4,      /* malformed file */
    CLI_EXIT_UNSUPPORTED = 5, /* valid but unsupported input */
    CLI_EXIT_LIMIT = 6,       /* input exceeds a configured limit */
    CLI_EXIT_NO_DEVICE = 7,   /* --device cuda without a usable GPU */
};

typedef struct cli_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    void (*help)(FILE *out);
} cli_cmd;

/* Common flags; CLI_COMMON_OPTIONS goes at the end of each command's option table. */
enum {
    CLI_OPT_DEVICE = 1000,
    CLI_OPT_THREADS,
    CLI_OPT_TIME,
    CLI_OPT_KERNELS,
    CLI_OPT_PRECISION,
    CLI_OPT_MAX_PIXELS,
    CLI_OPT_MAX_TENSOR_BYTES,
    CLI_OPT_HELP,
    CLI_OPT_FIRST_CMD
};
#define CLI_COMMON_OPTIONS                                                                         \
    {"device", required_argument, NULL, CLI_OPT_DEVICE},                                           \
        {"threads", required_argument, NULL, CLI_OPT_THREADS},                                     \
        {"time", no_argument, NULL, CLI_OPT_TIME},                                                 \
        {"kernels", required_argument, NULL, CLI_OPT_KERNELS},                                     \
        {"precision", required_argument, NULL, CLI_OPT_PRECISION},                                 \
        {"max-image-pixels", required_argument, NULL, CLI_OPT_MAX_PIXELS},                         \
        {"max-tensor-bytes", required_argument, NULL, CLI_OPT_MAX_TENSOR_BYTES},                   \
        {"help", no_argument, NULL, 'h'}, {                                                        \
        NULL, 0, NULL, 0                                                                           \
    }
#define CLI_COMMON_HELP                                                                            \
    "common options:\n"                                                                            \
    "  --device cpu|cuda   backend (default cpu)\n"                                                \
    "  --threads N         CPU threads (default: one per core)\n"                                  \
    "  --time              print per-stage timings to stderr\n"                                    \
    "  --kernels own|vendor|reference\n"                                                           \
    "                      implementations: tryon's fastest (default), cuDNN/cuBLAS\n"             \
    "                      (vendor, alias cudnn)\n"                                                \
    "                      baselines on CUDA, or the CPU reference kernels; the CPU\n"             \
    "                      instruction set is the best available, or the environment's\n"          \
    "                      TRYON_CPU_ISA=avx512|avx2|portable\n"                                   \
    "  --precision f32|f16|bf16\n"                                                                 \
    "                      CUDA storage of activations and weights (default f32)\n"                \
    "  --max-image-pixels N  largest image read or made, width*height\n"                           \
    "                      (default 67108864 = 8192x8192)\n"                                       \
    "  --max-tensor-bytes N  largest weight tensor, .npy array or activation\n"                    \
    "                      (default 4294967296 = 4 GiB)\n"                                         \
    "  -h, --help          this help\n"

typedef struct cli_common {
    tryon_ctx_params params;
    int time;
} cli_common;

void cli_common_init(cli_common *c);
/* Handles a common option (getopt result opt with optarg); returns 1 if it was
 * one, 0 if not, -1 on a bad value (message printed). */
int cli_common_option(cli_common *c, int opt, const char *arg);

/* Creates the context; prints the error and returns NULL on failure
 * (*exit_code set). */
tryon_ctx *cli_ctx(const cli_common *c, int *exit_code);

/* Prints "tryon: error: <context message>" and returns the exit code for s. */
int cli_fail(tryon_ctx *ctx, tryon_status s);
int cli_exit_code(tryon_status s);
/* Prints "tryon <cmd>: <msg>" and a pointer to --help; returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses "W" / "WxH" etc. Return 0 on syntax error. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
int cli_parse_float(const char *s, double *out);

/* Inputs must be finite: a NaN or Inf in a latent or an input tensor would
 * run through the net and come out as a plausible-looking but meaningless
 * result. Prints "tryon: error: PATH: element K is NaN or Inf" and returns
 * CLI_EXIT_FORMAT, or returns 0 when every element is finite. */
int cli_check_finite(const char *path, const tryon_array *a);

/* Stage timers for --time. */
typedef struct cli_timer {
    double t0, last;
    int enabled;
} cli_timer;
double cli_now_ms(void);
void cli_timer_start(cli_timer *t, int enabled);
/* Prints "  <stage>  <ms since last mark> ms" to stderr when enabled. */
void cli_timer_mark(cli_timer *t, const char *stage);
void cli_timer_total(cli_timer *t);

/* File kind by content (magic), falling back on the extension. */
typedef enum cli_file_kind {
    CLI_FILE_UNKNOWN,
    CLI_FILE_PNG,
    CLI_FILE_NPY,
    CLI_FILE_SAFETENSORS
} cli_file_kind;
cli_file_kind cli_file_kind_of(const char *path);
/* Kind for an output path by extension (.png / .npy). */
cli_file_kind cli_output_kind(const char *path);

/* Drawing on 8-bit RGB or RGBA images (tools/draw.c): a filled disc, a
 * thick line, PoseNet skeletons (keypoints and bones scoring >= min_score). */
void cli_dot(tryon_image *img, double cx, double cy, double r, const uint8_t rgb[3]);
void cli_line(tryon_image *img, double ax, double ay, double bx, double by, double r,
              const uint8_t rgb[3]);
void cli_draw_poses(tryon_image *img, const tryon_pose *poses, int32_t n, float min_score);
/* Creates dir if missing; prints the error and returns -1 when it cannot. */
int cli_make_dir(const char *dir);
/* The whole CLI (tools/tryon.c): returns the exit status, never exits, so it
 * can run many times in one process (tests/fuzz/fuzz_cli.c). For that every
 * subcommand starts its getopt loop with optind = 0, which glibc and musl
 * take as a full reset: with optind = 1, glibc would resume inside an option
 * cluster ("-hq") left half-read by the previous call's argv. */
int cli_main(int argc, char **argv);

/* Subcommands (one file each). */
extern const cli_cmd cli_cmd_info;
extern const cli_cmd cli_cmd_generate;
extern const cli_cmd cli_cmd_pose;
extern const cli_cmd cli_cmd_translate;
extern const cli_cmd cli_cmd_fit;

#endif /* TRYON_CLI_H */
