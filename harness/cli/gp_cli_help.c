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
    "  run SCENARIO      run a scenario file (simulation or live), check it, and\n"
    "                    write a report folder with plots and report.html\n"
    "  sweep SCENARIO    run a scenario over a range of one field's values, several\n"
    "                    seeds each, and plot the rates against the field\n"
    "  merge OUT DIR...  join the folders of a sweep's or a live run's shards\n"
    "                    (--shard I/N) into one report folder\n"
    "  shrink RUN|SCEN   reduce a failing simulated run to a minimal scenario that\n"
    "                    fails the same way, with its replay command\n"
    "  explore SCENARIO  run a scenario under many seeds (and event orders), group\n"
    "                    the failures and shrink one of each\n"
    "  plot DIR          render a run or sweep folder's plots and report.html again\n"
    "  token --sub USER  print a token for the server's secret\n"
    "  help [COMMAND]    this text, or a command's\n"
    "\n"
    "  --version        print goldpath's version\n"
    "  --help, -h       this text (COMMAND --help: the command's)\n"
    "\n"
    "exit status: 0 success, 1 a check failed, 2 bad usage or input, 130\n"
    "interrupted (Ctrl-C).\n"
    "The server under test is goldpath-server (goldpath-server --help,\n"
    "docs/server.md). Every command and flag: docs/CLI.md.\n";

static const char run_help[] =
    "usage: goldpath run SCENARIO.json [options]\n"
    "\n"
    "Runs every virtual client of the scenario through the golden path, injects\n"
    "the scenario's faults from its seed, checks every client and the server, and\n"
    "writes a report folder: summary.json, scenario.json, the CSV files, perf.json,\n"
    "replay.txt, plots (PNG and SVG, drawn by gnuplot from plots.gp) and\n"
    "report.html. Without gnuplot the run goes on without plots.\n"
    "\n"
    "options:\n"
    "  --mode sim|live      simulation (default, deterministic) or real sockets\n"
    "  --url ws://H:P/ws    live mode: the server to test (default: start one);\n"
    "                       HOST may be a name, an IPv4 or a [bracketed] IPv6 address\n"
    "  --server-log FILE    with --url: the server's log (the evidence of its\n"
    "                       lifecycle steps and log signatures)\n"    "  --profile FILE       live: the protocol profile of the server under test\n"
    "                       (docs/your-server.md; default goldpath.v1)\n"
    "  --server-cmd 'CMD {port}'  live: start the server under test on a free port\n"
    "  --server-ready RE    with --server-cmd: ready when a log line matches RE\n"
    "  --tls-ca FILE, --tls-cert FILE, --tls-key FILE, --tls-sni NAME\n"
    "                       wss://: the CA to trust, a client certificate, the name\n"
    "  --insecure           wss:// without checking the certificate (test servers)\n"
    "  --seed N             override the scenario's seed\n"
    "  --clients N          override clients.count\n"
    "  --set PATH=VALUE     override any scenario field, e.g.\n"
    "                       --set faults.accept_race=0.2 --set 'server.bugs=[\"accept_race\"]'\n"
    "  --out DIR            report folder (default reports/runs/NAME-SEED)\n"
    "  --trace-client K     write client K's full trace, both sides, to the folder\n"
    "  --junit FILE         also write the checks as JUnit XML, one test case each\n"
    "  --events FILE        also write the run as it goes, as JSON lines (buckets,\n"
    "                       client outcomes, the end)\n"
    "  --shard I/N          live, with --url: one of N load generators testing one\n"
    "                       server; starts only the clients i with i % N == I, at\n"
    "                       their times in the whole run (join: goldpath merge)\n"
    "  --no-plots           skip the gnuplot plots (report.html is still written)\n"
    "  --quiet, -q          no progress line; summary only when a check fails\n"
    "                       (off a terminal the progress line comes every 10 s)\n"
    "  --help, -h, --version\n"
    "\n"
    "Options take their value as --seed 5 or --seed=5; -- ends the options.\n"
    "\n"
    "Ctrl-C stops the run gracefully: it is judged as it stands, the report is\n"
    "marked interrupted, and goldpath exits 130 (a second Ctrl-C kills it).\n"
    "\n"
    "exit status: 0 every check and expectation held (a bug scenario's expected\n"
    "violations found), 1 one did not, 2 bad usage or scenario or an output that\n"
    "could not be written, 130 interrupted.\n";

static const char sweep_help[] =
    "usage: goldpath sweep SCENARIO.json --vary FIELD=FROM:TO:STEP [options]\n"
    "\n"
    "Runs the scenario in simulation for each value of FIELD from FROM to TO by\n"
    "STEP, with K seeds per value (the scenario's seed and the next K-1), and\n"
    "plots the transition success rate and the golden-path completion rate\n"
    "against FIELD: a line for the mean over the seeds, a band and bars for\n"
    "min to max. Writes sweep.csv (one row per run), sweep_summary.csv,\n"
    "sweep.json, sweep.gp, the plots (PNG and SVG) and report.html.\n"
    "\n"
    "options:\n"
    "  --vary FIELD=FROM:TO:STEP  the field to vary, named as in the scenario\n"
    "                       format, e.g. faults.accept_race=0:0.5:0.1 (required)\n"
    "  --seeds K            seeds per value (default 3)\n"
    "  --compare VARIANT... run every point under each variant and draw them in\n"
    "                       one plot; a variant is PATH=VALUE (several joined\n"
    "                       with ';'), e.g.\n"
    "                       --compare 'server.bugs=[]' 'server.bugs=[\"accept_race\"]'\n"
    "  --seed N, --clients N, --set PATH=VALUE   as for run, applied first\n"
    "  --out DIR            sweep folder (default reports/sweeps/NAME-FIELD)\n"
    "  --junit FILE         JUnit XML: one test suite per (variant, value), one\n"
    "                       test case per check (failed when any seed failed it)\n"
    "  --strict             exit 1 when any run of the sweep failed a check\n"
    "  --jobs N             worker processes running the runs (default: one per\n"
    "                       core); the files are the same for any N\n"
    "  --shard I/N          run only the runs t with t % N == I (t counts the rows\n"
    "                       of sweep.csv); goldpath merge joins the N folders\n"
    "  --no-plots           skip the plots (report.html is still written)\n"
    "  --quiet, -q          no progress line and no table\n"
    "\n"
    "exit status: 0 the sweep ran (a sweep explores; its checks do not fail it),\n"
    "1 with --strict when a run failed a check, 2 bad usage, --vary or scenario.\n";

static const char plot_help[] =
    "usage: goldpath plot DIR [--quiet]\n"
    "\n"
    "Renders the plots (PNG and SVG, with gnuplot) and report.html of a run\n"
    "folder (written by goldpath run) or a sweep folder (goldpath sweep) again,\n"
    "from the files in it: after installing gnuplot, or after --no-plots.\n"
    "\n"
    "exit status: 0 plots and page written, 1 page written but no plots (gnuplot\n"
    "missing or failed), 2 bad usage or not a report folder.\n";

static const char token_help[] =
    "usage: goldpath token --sub USER [--ttl SECONDS] [--secret SECRET]\n"
    "\n"
    "Prints an HS256 JWT for USER, valid for --ttl seconds (default 3600), signed\n"
    "with --secret, else $GOLDPATH_JWT_SECRET, else the development secret that\n"
    "goldpath-server uses when given none.\n"
    "\n"
    "exit status: 0 printed, 2 bad usage.\n";

static const char merge_help[] =
    "usage: goldpath merge OUT SHARD_DIR... [--junit FILE] [--no-plots] [--quiet]\n"
    "\n"
    "Joins the folders of the N shards of one sweep (goldpath sweep --shard I/N)\n"
    "or of one live run (goldpath run --mode live --url ... --shard I/N) into the\n"
    "report folder OUT. A sweep's merged folder is the unsharded sweep's, byte for\n"
    "byte. A live run's: the clients of every shard, counts summed, latency\n"
    "percentiles from every client, every check judged again on the whole, the\n"
    "server's figures read once (docs/scaling.md).\n"
    "\n"
    "Refused (exit 2): shards of different scenarios, seeds, commands or\n"
    "goldpath versions, of different splits, a shard missing or given twice.\n"
    "\n"
    "options:\n"
    "  --junit FILE         also write the merged checks as JUnit XML\n"
    "  --no-plots           skip the plots (report.html is still written)\n"
    "  --quiet, -q          no table or summary (a live run's: only on a failure)\n"
    "\n"
    "exit status: 0 merged (a live run: and every check held), 1 a merged live\n"
    "run failed a check, 2 bad usage or shards that cannot be merged.\n";

static const char shrink_help[] =
    "usage: goldpath shrink RUN_DIR | SCENARIO.json [options]\n"
    "\n"
    "Reduces a failing simulated run to a minimal scenario that fails the same\n"
    "check: first the clients (delta debugging over the scenario's clients, each\n"
    "keeping its own draws, so that the clients left tell their own story), then\n"
    "the scenario's dials one at a time (requests, each fault class, the network's\n"
    "faults, latencies, timings, arrivals, shared users, each bug), each change\n"
    "kept only when the check still fails. RUN_DIR is a folder written by goldpath\n"
    "run (its scenario.json, seed and overrides). Writes OUT/minimal.json (run it\n"
    "with goldpath run), the trace of each client left, what was removed, and\n"
    "report.html. Deterministic: the same input gives the same minimal scenario.\n"
    "\n"
    "options:\n"
    "  --check NAME         the failure to keep: a check (missing_agent_events,\n"
    "                       ...), log.SIGNATURE or latency.KIND.STAT; default: the\n"
    "                       first check that failed\n"
    "  --seed N             override the seed\n"
    "  --clients N          override clients.count\n"
    "  --set PATH=VALUE     override a scenario field (as goldpath run)\n"
    "  --strategy random|pct  the order of simultaneous events: the seed's own\n"
    "                       (default) or PCT's priorities, for a failure found by\n"
    "                       goldpath explore --strategy pct\n"
    "  --depth D            PCT's depth (default 3)\n"
    "  --time S             stop after S seconds, keeping the smallest so far\n"
    "                       (default 60)\n"
    "  --out DIR            output folder (default reports/shrink/NAME-minimal)\n"
    "  --quiet, -q          no progress line, no list of what was removed\n"
    "\n"
    "exit status: 0 a minimal scenario was written, 1 nothing failed (nothing to\n"
    "shrink), 2 bad usage or input.\n";

static const char explore_help[] =
    "usage: goldpath explore SCENARIO.json [options]\n"
    "\n"
    "Runs the scenario in simulation under a range of seeds in parallel worker\n"
    "processes, groups the failing seeds by what failed (the first failed check\n"
    "and the log signatures found), shrinks one seed of each group to a minimal\n"
    "scenario (as goldpath shrink) and writes one report of the distinct failures:\n"
    "OUT/explore.json (the seeds run, each group and its seeds), OUT/failure-K/\n"
    "(the minimal scenario, its replay command and traces) and report.html. The same\n"
    "seeds, strategy and depth give the same files whatever --jobs is.\n"
    "\n"
    "options:\n"
    "  --seeds A:B          the seeds to run, inclusive (default: the scenario's\n"
    "                       seed and the 99 after it)\n"
    "  --time S             stop starting new seeds after S seconds\n"
    "  --first              stop at the first failing seed\n"
    "  --jobs N, -j N       worker processes (default: one per CPU this process may\n"
    "                       use)\n"
    "  --strategy random|pct  random: each seed's own order of simultaneous events\n"
    "                       (default); pct: PCT's random priorities with D change\n"
    "                       points, which finds ordering bugs in fewer runs\n"
    "  --depth D            PCT's depth (default 3)\n"
    "  --clients N          override clients.count\n"
    "  --set PATH=VALUE     override a scenario field (as goldpath run)\n"
    "  --shrink-time S      time given to shrinking each distinct failure\n"
    "                       (default 30)\n"
    "  --out DIR            output folder (default reports/explore/NAME)\n"
    "  --quiet, -q          no progress line\n"
    "\n"
    "exit status: 0 no seed failed, 1 some seed failed, 2 bad usage or input,\n"
    "130 interrupted (the seeds run so far are reported).\n";

static const char help_help[] =
    "usage: goldpath help [COMMAND]\n"
    "\n"
    "Prints the overview, or the help of COMMAND (run, sweep, merge, shrink,\n"
    "explore, plot, token, help).\n"
    "goldpath COMMAND --help prints the same.\n";

static const struct {
    const char *cmd, *text;
} texts[] = {
    {"run", run_help},     {"sweep", sweep_help}, {"merge", merge_help}, {"plot", plot_help},
    {"shrink", shrink_help}, {"explore", explore_help},
    {"token", token_help}, {"help", help_help},
};

bool gp_cli_help_known(const char *cmd)
{
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(cmd, texts[i].cmd) == 0)
            return true;
    return false;
}

void gp_cli_help(const char *cmd)
{
    if (!cmd) {
        fputs(overview, stdout);
        return;
    }
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        if (strcmp(cmd, texts[i].cmd) == 0) {
            fputs(texts[i].text, stdout);
            return;
        }
    printf("goldpath: no help for \"%s\"\n\n%s", cmd, overview);
}
