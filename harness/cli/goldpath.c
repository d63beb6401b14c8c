/* goldpath.c: the goldpath command -- dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "gp_cli.h"
#include "gp_json_pool.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        gp_cli_help(NULL);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    gp_json_pool_install();
    if (strcmp(cmd, "run") == 0)
        return gp_cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0)
        return gp_cli_token(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0) {
        gp_cli_help(argc > 2 ? argv[2] : NULL);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("goldpath 0.1.0\n");
        return 0;
    }
    fprintf(stderr, "goldpath: unknown command \"%s\" (commands: run, token, help)\n", cmd);
    return 2;
}
