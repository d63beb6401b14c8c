/* gp_cli_shrink.c: `goldpath shrink RUN_DIR | SCENARIO` -- a failing simulated
 * run reduced to a minimal scenario that fails the same check (gp_shrink.h),
 * written with its replay command, the traces of the clients left and a
 * short account (report.html).  Exit 0 when a minimal scenario was written,
 * 1 when nothing failed, 2 for bad usage or input. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gp_checks.h"
#include "gp_cli.h"
#include "gp_cli_progress.h"
#include "gp_error.h"
#include "gp_esc.h"
#include "gp_files.h"
#include "gp_folder.h"
#include "gp_html.h"
#include "gp_shrink.h"
#include "gp_sim.h"

enum { S_SEED = 1, S_CHECK, S_OUT, S_TIME, S_SET, S_QUIET, S_STRATEGY, S_DEPTH, S_CLIENTS };

typedef struct shrink_opts {
    const char *input, *check, *out;
    const char *sets[GP_CLI_SETS_MAX];
    int sets_len;
    bool seed_given, quiet;
    uint64_t seed, clients; /* clients: 0, not given */
    double time_s;
    int order;
    uint32_t depth;
} shrink_opts;

static int on_option(void *ctx, int id, const char *opt, const char *v)
{
    shrink_opts *o = ctx;
    uint64_t x;
    switch (id) {
    case S_SEED:
        if (gp_cli_number("shrink", opt, v, 0, UINT64_MAX, &o->seed))
            return -1;
        o->seed_given = true;
        return 0;
    case S_CHECK:
        if (!gp_shrink_target_known(v)) {
            fprintf(stderr, "goldpath shrink: --check \"%s\": not a check (goldpath help run "
                            "lists them; docs/checks.md) nor an expectation (log.NAME, "
                            "latency.KIND.STAT)\n", v);
            return -1;
        }
        o->check = v;
        return 0;
    case S_OUT:
        o->out = v;
        return 0;
    case S_TIME:
        if (gp_cli_number("shrink", opt, v, 1, 86400, &x))
            return -1;
        o->time_s = (double)x;
        return 0;
    case S_SET:
        if (o->sets_len == GP_CLI_SETS_MAX || !strchr(v, '=')) {
            fprintf(stderr, "goldpath shrink: --set \"%s\": expected PATH=VALUE (at most %d)\n", v,
                    GP_CLI_SETS_MAX);
            return -1;
        }
        o->sets[o->sets_len++] = v;
        return 0;
    case S_QUIET:
        o->quiet = true;
        return 0;
    case S_CLIENTS:
        return gp_cli_number("shrink", opt, v, 1, GP_CLIENTS_MAX, &o->clients) ? -1 : 0;
    case S_STRATEGY:
        if (strcmp(v, "random") != 0 && strcmp(v, "pct") != 0) {
            fprintf(stderr, "goldpath shrink: --strategy \"%s\": takes random or pct\n", v);
            return -1;
        }
        o->order = strcmp(v, "pct") == 0 ? GP_SIM_ORDER_PCT : GP_SIM_ORDER_SEQUENTIAL;
        return 0;
    case S_DEPTH:
        if (gp_cli_number("shrink", opt, v, 1, 16, &x))
            return -1;
        o->depth = (uint32_t)x;
        return 0;
    }
    return 0;
}

static int on_operand(void *ctx, const char *arg)
{
    shrink_opts *o = ctx;
    if (o->input) {
        fprintf(stderr, "goldpath shrink: one run folder or scenario only (got %s and %s)\n",
                o->input, arg);
        return -1;
    }
    o->input = arg;
    return 0;
}

/* The scenario to shrink: a run folder's scenario.json, or a scenario file;
 * then --set, --seed and --clients. */
static int load(const shrink_opts *o, gp_scenario *sc, char *err, size_t err_len)
{
    struct stat st;
    char path[PATH_MAX + 32];
    if (stat(o->input, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof(path), "%s/scenario.json", o->input);
        if (access(path, R_OK) != 0) {
            snprintf(err, err_len, "%s: not a run folder (no scenario.json in it)", o->input);
            return GP_ERR_NOT_FOUND;
        }
    } else {
        snprintf(path, sizeof(path), "%s", o->input);
    }
    int rc = gp_scenario_load(sc, path, err, err_len);
    for (int i = 0; rc == GP_OK && i < o->sets_len; i++)
        rc = gp_scenario_set(sc, o->sets[i], err, err_len);
    if (rc == GP_OK && o->seed_given)
        sc->seed = o->seed;
    if (rc == GP_OK && o->clients)
        sc->clients.count = (uint32_t)o->clients;
    return rc == GP_OK ? gp_scenario_validate(sc, err, err_len) : rc;
}

typedef struct progress {
    gp_cli_progress p;
    bool on;
} progress;

static void on_progress(void *ctx, uint32_t runs, uint32_t clients)
{
    progress *pr = ctx;
    if (!pr->on || !pr->p.tty)
        return;
    fprintf(stderr, "\r  shrink: %u runs, %u clients in the last   ", runs, clients);
    fflush(stderr);
}

static void trace_line(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

/* The minimal scenario run once more: each client's trace into its file,
 * and the run itself (for the account) into *out. */
static int final_runs(const gp_scenario *m, const shrink_opts *o, const char *dir, gp_run *out,
                      char *err, size_t err_len)
{
    uint32_t n = m->clients.only_len ? m->clients.only_len : m->clients.count;
    for (uint32_t i = 0; i < n && i < 8; i++) {
        char name[64];
        snprintf(name, sizeof(name), "trace-client-%u.txt", i);
        FILE *f = gp_files_open(dir, name, err, err_len);
        if (!f)
            return GP_ERR_IO;
        gp_run *run = calloc(1, sizeof(*run));
        int rc = run ? gp_run_init(run, m) : GP_ERR_NOMEM;
        gp_sim_options so = {.trace_client = i, .trace = trace_line, .trace_ctx = f,
                             .server_log_level = GP_LOG_WARNING, .order = o->order,
                             .pct_depth = o->depth};
        if (rc == GP_OK)
            rc = gp_sim_run(run, &so, err, err_len);
        if (run)
            gp_run_free(run);
        free(run);
        if (gp_files_close(f, dir, name, err, err_len) != 0 && rc == GP_OK)
            rc = GP_ERR_IO;
        if (rc != GP_OK)
            return rc;
    }
    int rc = gp_run_init(out, m);
    gp_sim_options so = {.trace_client = UINT32_MAX, .server_log_level = GP_LOG_WARNING,
                         .order = o->order, .pct_depth = o->depth};
    return rc == GP_OK ? gp_sim_run(out, &so, err, err_len) : rc;
}

/* What remains of the story: the faults that fired, the steps refused, the
 * signatures logged, the bugs on. */
static void account(FILE *f, const gp_run *run)
{
    fputs("<ul>\n", f);
    bool any = false;
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (run->sc.server.bugs & GP_BUG_BIT(b)) {
            fprintf(f, "<li>bug switched on: <code>%s</code> (docs/bugs.md)</li>\n",
                    gp_bug_name((gp_bug)b));
            any = true;
        }
    for (int k = 0; k < GP_FAULT_COUNT; k++)
        if (run->ledger.fired[k]) {
            fprintf(f, "<li>fault injected: <code>%s</code> &times; %llu</li>\n",
                    gp_fault_name((gp_fault)k), (unsigned long long)run->ledger.fired[k]);
            any = true;
        }
    if (!any)
        fputs("<li>no bug switched on and no fault injected: the clients' plain golden path "
              "fails</li>\n", f);
    fprintf(f, "<li>lifecycle steps: %llu attempted, %llu refused, %llu illegal; %llu "
               "connections stuck</li>\n",
            (unsigned long long)run->judge.attempted, (unsigned long long)run->judge.refused,
            (unsigned long long)run->judge.illegal,
            (unsigned long long)(run->judge.stuck_certain + run->judge.stuck_edge));
    for (int s = 0; s < run->logsig.n_sigs; s++)
        if (run->logsig.count[s].total) {
            fputs("<li>log signature <code>", f);
            gp_esc_xml(f, gp_logsig_name_of(&run->logsig, s));
            fprintf(f, "</code>: %llu lines</li>\n",
                    (unsigned long long)run->logsig.count[s].total);
        }
    fputs("</ul>\n<p>Checks that fail in the minimal run:</p>\n<ul>\n", f);
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (run->checks[k].violated) {
            fprintf(f, "<li><code>%s</code>: ", gp_check_name((gp_check)k));
            gp_esc_xml(f, run->checks[k].detail);
            fputs("</li>\n", f);
        }
    fputs("</ul>\n", f);
}

static void describe(gp_scenario *m, const gp_scenario *src, const char *input,
                     const char *target, const gp_shrink_result *r)
{
    char faults[512] = "";
    size_t w = 0;
    for (int k = 0; k < GP_FAULT_COUNT; k++)
        if (gp_fault_rate(m, (gp_fault)k) > 0.0)
            w += (size_t)snprintf(faults + w, w < sizeof(faults) ? sizeof(faults) - w : 0,
                                  "%s%s", w ? ", " : "", gp_fault_name((gp_fault)k));
    char bugs[256] = "";
    size_t b = 0;
    for (int k = 0; k < GP_BUG_COUNT; k++)
        if (m->server.bugs & GP_BUG_BIT(k))
            b += (size_t)snprintf(bugs + b, b < sizeof(bugs) ? sizeof(bugs) - b : 0, "%s%s",
                                  b ? ", " : "", gp_bug_name((gp_bug)k));
    snprintf(m->description, sizeof(m->description),
             "Shrunk by goldpath shrink from %s (seed %llu, %u clients): fails %s with %u "
             "client%s of the original (clients.only). Faults left: %s. Bugs on: %s.",
             input, (unsigned long long)src->seed, r->clients_before, target, r->clients_after,
             r->clients_after == 1 ? "" : "s", faults[0] ? faults : "none",
             bugs[0] ? bugs : "none");
    snprintf(m->name, sizeof(m->name), "%.100s-minimal", src->name);
    m->expect.violations_len = 0; /* the minimal scenario fails: that is its point */
}

static int write_report(const char *dir, const char *input, const char *target,
                        const gp_shrink_result *r, const gp_run *run, const char *replay,
                        char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "report.html", err, err_len);
    if (!f)
        return GP_ERR_IO;
    char title[300];
    snprintf(title, sizeof(title), "goldpath shrink: %s", run->sc.name);
    gp_html_begin(f, title);
    fputs("<h1>", f);
    gp_esc_xml(f, title);
    fputs("</h1>\n<table>\n<tr><th>shrunk</th><td>", f);
    gp_esc_xml(f, input);
    fprintf(f, "</td></tr>\n<tr><th>keeps failing</th><td><code>%s</code></td></tr>\n"
               "<tr><th>clients</th><td>%u of %u</td></tr>\n"
               "<tr><th>runs</th><td>%u in %.1f s%s</td></tr>\n</table>\n",
            target, r->clients_after, r->clients_before, r->runs, r->seconds,
            r->timed_out ? " (stopped at --time: a smaller scenario may exist)" : "");
    fputs("<h2>What remains</h2>\n", f);
    account(f, run);
    fputs("<h2>Replay</h2>\n", f);
    gp_html_command(f, replay);
    fputs("<h2>What was taken out</h2>\n<pre>", f);
    gp_esc_xml(f, r->log[0] ? r->log : "(nothing: the scenario was minimal already)\n");
    fputs("</pre>\n<h2>Files</h2>\n<ul>\n", f);
    gp_html_file_link(f, dir, "minimal.json", "the minimal scenario");
    gp_html_file_link(f, dir, "replay.txt", "its replay command");
    uint32_t n = run->n_clients < 8 ? run->n_clients : 8;
    for (uint32_t i = 0; i < n; i++) {
        char name[64], what[96];
        snprintf(name, sizeof(name), "trace-client-%u.txt", i);
        snprintf(what, sizeof(what), "client %u's every event, both sides", i);
        gp_html_file_link(f, dir, name, what);
    }
    fputs("</ul>\n", f);
    for (uint32_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "trace-client-%u.txt", i);
        fprintf(f, "<h2>Client %u</h2>\n", i);
        gp_html_pre_file(f, dir, name);
    }
    gp_html_end(f);
    return gp_files_close(f, dir, "report.html", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

int gp_cli_shrink_write(const char *dir, const gp_scenario *src, const char *input,
                        const char *target, gp_shrink_result *r, int order, uint32_t depth,
                        gp_run *run, char *err, size_t err_len)
{
    describe(&r->minimal, src, input, target, r);
    if (gp_folder_claim(dir, err, err_len) != GP_OK)
        return GP_ERR_IO;
    char *json = gp_scenario_to_json(&r->minimal);
    FILE *f = json ? gp_files_open(dir, "minimal.json", err, err_len) : NULL;
    if (f) {
        fputs(json, f);
        fputc('\n', f);
    }
    free(json);
    if (!f || gp_files_close(f, dir, "minimal.json", err, err_len) != 0) {
        if (!f && err_len && !err[0])
            snprintf(err, err_len, "out of memory");
        return GP_ERR_IO;
    }
    char replay[1400];
    snprintf(replay, sizeof(replay), "goldpath run %s/minimal.json --trace-client 0", dir);
    if (order == GP_SIM_ORDER_PCT) /* the schedule is part of the story */
        snprintf(replay + strlen(replay), sizeof(replay) - strlen(replay),
                 "   # found under explore --strategy pct --depth %u", depth);
    FILE *rf = gp_files_open(dir, "replay.txt", err, err_len);
    if (rf)
        fprintf(rf, "%s\n", replay);
    shrink_opts o = {.order = order, .depth = depth};
    if (!rf || gp_files_close(rf, dir, "replay.txt", err, err_len) != 0 ||
        final_runs(&r->minimal, &o, dir, run, err, err_len) != GP_OK ||
        write_report(dir, input, target, r, run, replay, err, err_len) != GP_OK)
        return GP_ERR_IO;
    return GP_OK;
}

int gp_cli_shrink(int argc, char **argv)
{
    static const gp_cli_option opts[] = {
        {"seed", 0, true, S_SEED},       {"check", 0, true, S_CHECK},
        {"out", 0, true, S_OUT},         {"time", 0, true, S_TIME},
        {"set", 0, true, S_SET},         {"quiet", 'q', false, S_QUIET},
        {"strategy", 0, true, S_STRATEGY}, {"depth", 0, true, S_DEPTH},
        {"clients", 0, true, S_CLIENTS},
    };
    shrink_opts o = {.time_s = 60, .depth = 3};
    int rc = gp_cli_getopt("shrink", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), on_option,
                           on_operand, &o);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    if (!o.input) {
        fprintf(stderr, "goldpath shrink: which run? usage: goldpath shrink RUN_DIR | SCENARIO "
                        "[--seed N] [--check NAME] [--out DIR] [--time S]\n");
        return 2;
    }
    char err[GP_SCENARIO_ERR_MAX + 600];
    gp_scenario *sc = calloc(1, sizeof(*sc));
    gp_shrink_result *r = calloc(1, sizeof(*r));
    gp_run *run = calloc(1, sizeof(*run));
    int exit_code = 2;
    if (!sc || !r || !run) {
        fprintf(stderr, "goldpath shrink: out of memory\n");
        goto out;
    }
    if (load(&o, sc, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath shrink: %s\n", err);
        goto out;
    }
    progress pr = {.on = !o.quiet};
    gp_cli_progress_init(&pr.p, "", o.quiet);
    gp_shrink_opts so = {.time_s = o.time_s, .order = o.order, .pct_depth = o.depth,
                         .progress = on_progress, .progress_ctx = &pr};
    char target[96];
    if (o.check)
        snprintf(target, sizeof(target), "%s", o.check);
    else if ((rc = gp_shrink_pick_target(sc, &so, target, sizeof(target), err, sizeof(err))) !=
             GP_OK) {
        fprintf(stderr, "goldpath shrink: %s\n", err);
        exit_code = rc == GP_ERR_NOT_FOUND ? 1 : 2;
        goto out;
    }
    if (!o.quiet)
        fprintf(stderr, "goldpath shrink: %s, seed %llu: keeping %s failing\n", sc->name,
                (unsigned long long)sc->seed, target);
    rc = gp_shrink(sc, target, &so, r, err, sizeof(err));
    if (pr.on && pr.p.tty)
        fputs("\r\033[K", stderr);
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath shrink: %s\n", err);
        exit_code = rc == GP_ERR_NOT_FOUND ? 1 : 2;
        goto out;
    }
    char dir[1024];
    if (o.out)
        snprintf(dir, sizeof(dir), "%s", o.out);
    else
        snprintf(dir, sizeof(dir), "reports/shrink/%.100s-minimal", sc->name);
    if (gp_cli_shrink_write(dir, sc, o.input, target, r, o.order, o.depth, run, err,
                            sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath shrink: %s\n", err);
        goto out;
    }
    printf("goldpath shrink: %s fails with %u of %u clients (%u runs, %.1f s%s)\n", target,
           r->clients_after, r->clients_before, r->runs, r->seconds,
           r->timed_out ? ", stopped at --time" : "");
    if (r->log[0] && !o.quiet)
        printf("%s", r->log);
    printf("  minimal scenario: %s/minimal.json\n  replay: goldpath run %s/minimal.json "
           "--trace-client 0\n  report: %s/report.html\n", dir, dir, dir);
    exit_code = 0;
out:
    if (run)
        gp_run_free(run);
    free(run);
    free(r);
    free(sc);
    return exit_code;
}
