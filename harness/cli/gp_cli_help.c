/* gp_cli_help.c: the help texts of goldpath and its subcommands (docs/CLI.md
 * says the same at more length). */
#include <stdio.h>
#include <string.h>

#include "gp_cli.h"

static const char overview[] =
    "goldpath: a test harness and fault-injection simulator for WebSocket\n"
    "connection lifecycles.\n"
    "\n"
    "usage: goldpath COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     run a scenario file (simulation or live) and check it\n"
    "  token --sub USER print a token for the server's secret\n"
    "  help [COMMAND]   this text, or a command's\n"
    "\n"
    "exit status: 0 every check passed, 1 a check failed, 2 bad usage or input.\n";

static const char run_help[] =
    "usage: goldpath run SCENARIO.json [options]\n"
    "\n"
    "Runs every virtual client of the scenario through the golden path, injects\n"
    "the scenario's faults from its seed, checks every client and the server, and\n"
    "writes a report folder.\n"
    "\n"
    "options:\n"
    "  --mode sim|live      simulation (default, deterministic) or real sockets\n"
    "  --url ws://H:P/ws    live mode: the server to test (default: start one)\n"
    "  --seed N             override the scenario's seed\n"
    "  --clients N          override clients.count\n"
    "  --set PATH=VALUE     override any scenario field, e.g.\n"
    "                       --set faults.accept_race=0.2 --set 'server.bugs=[\"accept_race\"]'\n"
    "  --out DIR            report folder (default reports/runs/NAME-SEED)\n"
    "  --trace-client K     write client K's full trace, both sides, to the folder\n"
    "  --junit FILE         also write the checks as JUnit XML\n"
    "  --no-plots           skip the gnuplot plots\n"
    "  --quiet, -q          no progress line; summary only when a check fails\n"
    "\n"
    "exit status: 0 every check passed, 1 a check failed, 2 bad usage or scenario.\n";

static const char token_help[] =
    "usage: goldpath token --sub USER [--ttl SECONDS] [--secret SECRET]\n"
    "\n"
    "Prints an HS256 JWT for USER, valid for --ttl seconds (default 3600), signed\n"
    "with --secret, else $GOLDPATH_JWT_SECRET, else the development secret that\n"
    "goldpath-server uses when given none.\n";

void gp_cli_help(const char *cmd)
{
    if (!cmd)
        fputs(overview, stdout);
    else if (strcmp(cmd, "run") == 0)
        fputs(run_help, stdout);
    else if (strcmp(cmd, "token") == 0)
        fputs(token_help, stdout);
    else
        printf("goldpath: no help for \"%s\"\n\n%s", cmd, overview);
}
