/* gp_cli.h: the goldpath command line -- shared option parsing and the
 * subcommands (run, sweep, plot, token, help).  Each subcommand returns the
 * process exit code: 0 success, 1 a check failed, 2 bad usage or bad
 * input. */
#ifndef GP_CLI_H
#define GP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_cli_opts.h"
#include "gp_run.h"

#define GP_CLI_SETS_MAX 64
/* The most clients one live run drives (its records, and a machine's fds). */
#define GP_LIVE_CLIENTS_MAX 1000000u

typedef struct gp_cli_common {
    const char *scenario;
    bool seed_given;
    uint64_t seed;
    bool clients_given;
    uint32_t clients;
    const char *sets[GP_CLI_SETS_MAX];
    int sets_len;
    const char *out;
    bool trace_client_given;
    uint32_t trace_client;
    bool mode_live;
    const char *url;
    const char *server_log; /* --server-log FILE: the log of the server at --url */
    const char *junit;
    const char *events;     /* --events FILE: JSON lines as the run goes */
    const char *profile;    /* --profile FILE: the server's protocol (live) */
    const char *server_cmd; /* --server-cmd 'CMD {port}': start the server under test */
    const char *server_ready; /* --server-ready PATTERN: its readiness log line */
    const char *tls_ca, *tls_cert, *tls_key, *tls_sni; /* wss:// */
    bool insecure;          /* --insecure: accept any server certificate */
    bool shard_given;       /* --shard I/N: this process does shard I of N */
    uint32_t shard, shards;
    const char *shard_text; /* --shard's value as getopt handed it over */
    int argc;               /* the command line, for a shard's record */
    char **argv;
    bool quiet;
    bool no_plots;
} gp_cli_common;

/* Parses the options of `run` (argv[0] is the subcommand).  Returns 0 to go
 * on, 1 when help was printed, -1 after printing a usage error. */
int gp_cli_parse_common(int argc, char **argv, const char *cmd, gp_cli_common *o);

/* The options every scenario-running command takes (--seed, --clients,
 * --set, --out, ...), for gp_cli_getopt, and how one is applied (0, or -1
 * after an error was printed).  Their ids are below 100. */
extern const gp_cli_option gp_cli_common_options[];
extern const size_t gp_cli_common_options_len;
int gp_cli_common_apply(const char *cmd, gp_cli_common *o, int id, const char *opt,
                        const char *v);
/* Checks what the options say together (a scenario given, --url with
 * --mode live, ...).  0, or -1 after printing the error. */
int gp_cli_common_finish(const char *cmd, gp_cli_common *o);

/* The most shards a sweep or a live run splits into. */
#define GP_CLI_SHARDS_MAX 100000u

/* Parses --shard's "I/N" (0 <= I < N <= GP_CLI_SHARDS_MAX).  0, or -1 after
 * printing an error that names the value. */
int gp_cli_shard_parse(const char *cmd, const char *v, uint32_t *shard, uint32_t *shards);

/* " --set a=b --set c=d" for replay commands. */
void gp_cli_overrides_text(const gp_cli_common *o, char *out, size_t out_len);

/* Loads o->scenario and applies --set, --seed, --clients; validates. */
int gp_cli_load_scenario(gp_scenario *sc, const gp_cli_common *o, char *err,
                         size_t err_len);

/* Runs in live mode (gp_cli_live.c); trace (may be NULL) takes the traced
 * client's lines. */
int gp_cli_live_run(gp_run *run, const gp_cli_common *o, FILE *trace, char *err,
                    size_t err_len);

/* After the report folder is written: replay.txt, plots, HTML, JUnit.
 * Returns GP_OK, or GP_ERR_IO (after printing the path and reason) when a
 * file the user asked for could not be written: the run exits 2.  Missing
 * plots (no gnuplot) are a notice, not an error. */
int gp_cli_after_report(const gp_run *run, const char *dir, const gp_cli_common *o);

/* The command that replays `run` as a whole (gp_cli_report.c):
 * "goldpath run SCENARIO --mode M --seed N --clients N [--set ...]". */
void gp_cli_run_replay_command(const gp_run *run, char *out, size_t out_len);

int gp_cli_run(int argc, char **argv);
/* `goldpath shrink` (gp_cli_shrink.c), `goldpath explore` (gp_cli_explore.c). */
int gp_cli_shrink(int argc, char **argv);
int gp_cli_explore(int argc, char **argv);
int gp_cli_token(int argc, char **argv);
/* `goldpath sweep` (gp_cli_sweep.c): 0 when the sweep ran, 1 with --strict
 * when a run failed a check, 2 for bad usage or input. */
int gp_cli_sweep(int argc, char **argv);
/* `goldpath plot` (gp_cli_plot.c): 0 plots and page rendered, 1 page only
 * (gnuplot missing or failed), 2 bad usage or not a report folder. */
int gp_cli_plot(int argc, char **argv);

/* Prints the help of `cmd` (NULL: the overview) to stdout. */
void gp_cli_help(const char *cmd);
/* True when `cmd` has a help text. */
bool gp_cli_help_known(const char *cmd);

#endif
