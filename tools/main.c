/* main.c — the tryon executable. All of it is cli_main (tools/tryon.c), which
 * the CLI fuzz target links without this file. */
#include "cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
