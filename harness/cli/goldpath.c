/* goldpath.c: the goldpath command -- dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "gp_cli.h"
#include "gp_cli_merge.h"
#include "gp_cli_opts.h"
#include "gp_suggest.h"
#include "gp_json_pool.h"

int main(int argc, char **argv)
{
    /* before any JSON is made: jansson's blocks come from the pool from now on */
    gp_json_pool_install();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        gp_cli_help(NULL);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return gp_cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return gp_cli_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return gp_cli_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "token") == 0)
        return gp_cli_token(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return gp_cli_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "shrink") == 0)
        return gp_cli_shrink(argc - 1, argv + 1);
    if (strcmp(cmd, "explore") == 0)
        return gp_cli_explore(argc - 1, argv + 1);
    if (strcmp(cmd, "help") == 0) {
        const char *topic = argc > 2 ? argv[2] : NULL;
        if (topic && (strcmp(topic, "--help") == 0 || strcmp(topic, "-h") == 0))
            topic = "help";
        if (topic && !gp_cli_help_known(topic)) {
            fprintf(stderr, "goldpath help: no command \"%s\" (commands: run, sweep, merge, shrink, explore, "
                            "plot, token, help)\n",
                    topic);
            return 2;
        }
        gp_cli_help(topic);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        gp_cli_version();
        return 0;
    }
    static const char *const commands[] = {"run",    "sweep",   "merge", "plot", "token",
                                           "shrink", "explore", "help",  "version"};
    const char *near = gp_suggest(cmd, commands, sizeof(commands) / sizeof(commands[0]));
    if (near)
        fprintf(stderr, "goldpath: unknown command \"%s\" (did you mean %s? see goldpath --help)\n",
                cmd, near);
    else
        fprintf(stderr, "goldpath: unknown command \"%s\" (commands: run, sweep, merge, shrink, "
                        "explore, plot, token, help; see goldpath --help)\n", cmd);
    return 2;
}
