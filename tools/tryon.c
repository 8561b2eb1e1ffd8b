/* tryon.c — the `tryon` command: subcommand dispatch, --help, --version.
 * cli_main returns the exit status instead of exiting, so that the whole CLI
 * also runs in-process (tests/fuzz/fuzz_cli.c); main() is in tools/main.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_cmd *const commands[] = {
    &cli_cmd_info, &cli_cmd_generate, &cli_cmd_pose, &cli_cmd_translate, &cli_cmd_fit,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
    fprintf(out, "usage: tryon <command> [options]\n"
                 "       tryon --version | --help | <command> --help\n\n"
                 "tryon is an inference engine for virtual try-on (pose estimation, garment\n"
                 "rendering and person generation, warping and rasterization) in C.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\n" CLI_COMMON_HELP
                 "\nexit status: 0 ok, 1 other error, 2 usage, 3 file i/o, 4 malformed file,\n"
                 "5 unsupported input, 6 limit exceeded, 7 no usable CUDA device.\n");
}

int cli_main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (!strcmp(argv[2], commands[i]->name)) {
                    commands[i]->help(stdout);
                    return CLI_EXIT_OK;
                }
        }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("tryon %s\n", tryon_version());
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i]->name)) return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "tryon: unknown command '%s' (see 'tryon --help')\n", name);
    return CLI_EXIT_USAGE;
}
