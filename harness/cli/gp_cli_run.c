/* gp_cli_run.c: `goldpath run` -- load a scenario, apply the command line's
 * overrides, run it (simulation, or live through a registered driver), write
 * the report folder and print the summary.  Exit 0 when every check passes,
 * 1 when one fails, 2 for bad usage or a bad scenario. */
#include "gp_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gp_cli_progress.h"
#include "gp_cli_shard_live.h"
#include "gp_error.h"
#include "gp_events.h"
#include "gp_files.h"
#include "gp_folder.h"
#include "gp_report.h"
#include "gp_sim.h"

static void trace_to_file(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int gp_cli_load_scenario(gp_scenario *sc, const gp_cli_common *o, char *err, size_t err_len)
{
    int rc = gp_scenario_load(sc, o->scenario, err, err_len);
    if (rc != GP_OK)
        return rc;
    for (int i = 0; i < o->sets_len; i++) {
        rc = gp_scenario_set(sc, o->sets[i], err, err_len);
        if (rc != GP_OK)
            return rc;
    }
    if (o->seed_given)
        sc->seed = o->seed;
    if (o->clients_given)
        sc->clients.count = o->clients;
    return gp_scenario_validate(sc, err, err_len);
}

int gp_cli_run(int argc, char **argv)
{
    gp_cli_common o;
    int rc = gp_cli_parse_common(argc, argv, "run", &o);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    char err[GP_SCENARIO_ERR_MAX + 600];
    gp_scenario *sc = calloc(1, sizeof(*sc));
    gp_run *run = calloc(1, sizeof(*run));
    if (!sc || !run) {
        fprintf(stderr, "goldpath run: out of memory\n");
        return 2;
    }
    int exit_code = 2;
    if (gp_cli_load_scenario(sc, &o, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath run: %s\n", err);
        goto out;
    }
    if (o.trace_client_given && o.trace_client >= sc->clients.count) {
        fprintf(stderr, "goldpath run: --trace-client %u: the scenario has %u clients (0 to %u)\n",
                o.trace_client, sc->clients.count, sc->clients.count - 1);
        goto out;
    }
    if (o.mode_live && sc->clients.count > GP_LIVE_CLIENTS_MAX) {
        fprintf(stderr,
                "goldpath run: clients.count is %u: live mode drives at most %u clients from one "
                "process (it keeps a record of each, and one machine opens about 20,000 sockets "
                "at once); run several goldpath processes, each with part of the clients, or "
                "use --mode sim\n",
                sc->clients.count, GP_LIVE_CLIENTS_MAX);
        goto out;
    }
    if (sc->clients.count >= 100000 && !o.quiet)
        fprintf(stderr, "goldpath run: setting up %u clients...\n", sc->clients.count);
    if (gp_cli_run_init(run, sc, &o) != GP_OK) { /* with --shard, the shard's clients */
        fprintf(stderr, "goldpath run: out of memory for %u clients\n", sc->clients.count);
        goto out;
    }
    snprintf(run->scenario_arg, sizeof(run->scenario_arg), "%s", o.scenario);
    gp_cli_overrides_text(&o, run->overrides, sizeof(run->overrides));

    char out_dir[1024];
    if (o.out)
        snprintf(out_dir, sizeof(out_dir), "%s", o.out);
    else
        gp_folder_run_default(sc->name, sc->seed, out_dir, sizeof(out_dir));
    FILE *trace = NULL, *server_log = NULL;
    if (gp_folder_claim(out_dir, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath run: %s\n", err);
        goto out;
    }
    char trace_name[64];
    snprintf(trace_name, sizeof(trace_name), "trace-client-%u.txt", o.trace_client);
    if (o.trace_client_given) {
        trace = gp_files_open(out_dir, trace_name, err, sizeof(err));
        if (!trace) {
            fprintf(stderr, "goldpath run: %s\n", err);
            goto out;
        }
    }
    if (!o.mode_live) {
        server_log = gp_files_open(out_dir, "server.log", err, sizeof(err));
        if (!server_log) {
            fprintf(stderr, "goldpath run: %s\n", err);
            goto out;
        }
    }
    gp_cli_progress ps;
    bool show_progress = gp_cli_progress_init(&ps, "", o.quiet);
    if (o.events) {
        run->events_out = fopen(o.events, "w");
        if (!run->events_out) {
            fprintf(stderr, "goldpath run: --events %s: cannot write: %s\n", o.events,
                    strerror(errno));
            goto out;
        }
    }
    gp_cli_catch_interrupt();
    double wall0 = wall_now(), cpu0 = cpu_now();
    if (o.mode_live) {
        rc = gp_cli_live_run(run, &o, trace, err, sizeof(err));
    } else {
        gp_sim_options so = {.trace_client = o.trace_client_given ? o.trace_client : UINT32_MAX,
                             .trace = trace_to_file, .trace_ctx = trace,
                             .progress = show_progress ? gp_cli_progress_cb : NULL,
                             .progress_ctx = &ps, .server_log = server_log,
                             .server_log_level = GP_LOG_WARNING,
                             .interrupt = &gp_cli_interrupt};
        rc = gp_sim_run(run, &so, err, sizeof(err));
    }
    run->wall_s = wall_now() - wall0;
    run->cpu_s = cpu_now() - cpu0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    run->peak_rss_kib = (uint64_t)ru.ru_maxrss;
    if (trace && gp_files_close(trace, out_dir, trace_name, err, sizeof(err)) != 0 &&
        rc == GP_OK)
        rc = GP_ERR_IO;
    if (server_log && gp_files_close(server_log, out_dir, "server.log", err, sizeof(err)) != 0 &&
        rc == GP_OK)
        rc = GP_ERR_IO;
    trace = server_log = NULL;
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath run: %s\n", err);
        goto out;
    }
    if (gp_report_write(run, out_dir, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath run: %s\n", err);
        goto out;
    }
    int written = gp_cli_after_report(run, out_dir, &o);
    if (!o.quiet || !run->passed)
        gp_report_print(run, stdout);
    printf("  report: %s/report.html\n", out_dir);
    if (o.trace_client_given)
        printf("  trace of client %u: %s/%s\n", o.trace_client, out_dir, trace_name);
    exit_code = written != GP_OK ? 2 : run->passed ? 0 : 1;
    if (run->interrupted) {
        uint64_t unfinished = 0;
        for (uint32_t i = 0; i < run->n_clients; i++)
            unfinished += run->clients[i].failure == GP_VC_FAIL_RUN_TIMEOUT;
        fprintf(stderr, "goldpath run: interrupted after %.1f s: %llu of %u clients had finished; "
                        "the report is partial\n",
                run->wall_s, (unsigned long long)(run->n_clients - unfinished), run->n_clients);
        exit_code = GP_CLI_EXIT_INTERRUPTED;
    }
    if (run->events_out) {
        gp_events_end(run, exit_code);
        bool bad = gp_events_error(run) != 0;
        bad |= fclose(run->events_out) != 0;
        run->events_out = NULL;
        if (bad) {
            fprintf(stderr, "goldpath run: --events %s: write failed\n", o.events);
            if (exit_code != GP_CLI_EXIT_INTERRUPTED)
                exit_code = 2;
        }
    }
out:
    if (run->events_out)
        fclose(run->events_out);
    gp_run_free(run);
    free(run);
    free(sc);
    return exit_code;
}
