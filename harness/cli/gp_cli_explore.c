/* gp_cli_explore.c: `goldpath explore SCENARIO` -- runs a scenario under many
 * seeds (and, with --strategy pct, many schedules of its simultaneous
 * events) in parallel processes, groups the failures by what failed (the
 * first failed check and the log signatures found), shrinks one failure of
 * each group to a minimal scenario, and writes one report of the distinct
 * failures.  In the spirit of FoundationDB's and TigerBeetle's simulation
 * testing (many seeds), with PCT (Burckhardt et al., ASPLOS 2010) for the
 * order of events due together, as Coyote and Shuttle schedule threads.
 *
 * Exit 0 when no seed failed, 1 when some did, 2 for bad usage or input, 130
 * when interrupted.  The same seeds, strategy and depth give the same
 * distinct failures and the same files whatever --jobs is. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gp_checks.h"
#include "gp_cli.h"
#include "gp_cli_progress.h"
#include "gp_error.h"
#include "gp_esc.h"
#include "gp_files.h"
#include "gp_folder.h"
#include "gp_html.h"
#include "gp_jobs.h"
#include "gp_json.h"
#include "gp_shrink.h"
#include "gp_sim.h"

enum { E_SEEDS = 1, E_TIME, E_JOBS, E_STRATEGY, E_DEPTH, E_OUT, E_SET, E_CLIENTS, E_QUIET,
       E_FIRST, E_SHRINK_TIME };

#define GROUPS_MAX 64

typedef struct explore {
    const char *scenario, *out;
    const char *sets[GP_CLI_SETS_MAX];
    int sets_len;
    bool seeds_given, clients_given, quiet, first;
    uint64_t seed_from, seed_to; /* inclusive */
    uint32_t clients;
    double time_s, shrink_time_s;
    unsigned jobs;
    int order;
    uint32_t depth;
    gp_scenario sc;
} explore;

static int on_option(void *ctx, int id, const char *opt, const char *v)
{
    explore *e = ctx;
    uint64_t x;
    switch (id) {
    case E_SEEDS: {
        const char *colon = strchr(v, ':');
        char a[32] = "", b[32] = "";
        if (!colon || (size_t)(colon - v) >= sizeof(a) || strlen(colon + 1) >= sizeof(b)) {
            fprintf(stderr, "goldpath explore: --seeds \"%s\": expected A:B, e.g. --seeds 1:1000\n",
                    v);
            return -1;
        }
        memcpy(a, v, (size_t)(colon - v));
        snprintf(b, sizeof(b), "%s", colon + 1);
        if (gp_cli_number("explore", "--seeds (A)", a, 0, UINT64_MAX, &e->seed_from) ||
            gp_cli_number("explore", "--seeds (B)", b, e->seed_from, UINT64_MAX, &e->seed_to))
            return -1;
        if (e->seed_to - e->seed_from >= 10000000) {
            fprintf(stderr, "goldpath explore: --seeds %s: at most 10,000,000 seeds at once\n", v);
            return -1;
        }
        e->seeds_given = true;
        return 0;
    }
    case E_TIME:
        if (gp_cli_number("explore", opt, v, 1, 864000, &x))
            return -1;
        e->time_s = (double)x;
        return 0;
    case E_SHRINK_TIME:
        if (gp_cli_number("explore", opt, v, 1, 86400, &x))
            return -1;
        e->shrink_time_s = (double)x;
        return 0;
    case E_JOBS:
        if (gp_cli_number("explore", opt, v, 1, GP_JOBS_MAX, &x))
            return -1;
        e->jobs = (unsigned)x;
        return 0;
    case E_STRATEGY:
        if (strcmp(v, "random") != 0 && strcmp(v, "pct") != 0) {
            fprintf(stderr, "goldpath explore: --strategy \"%s\": takes random (the seed's own "
                            "order) or pct\n", v);
            return -1;
        }
        e->order = strcmp(v, "pct") == 0 ? GP_SIM_ORDER_PCT : GP_SIM_ORDER_SEQUENTIAL;
        return 0;
    case E_DEPTH:
        if (gp_cli_number("explore", opt, v, 1, 16, &x))
            return -1;
        e->depth = (uint32_t)x;
        return 0;
    case E_OUT:
        e->out = v;
        return 0;
    case E_SET:
        if (e->sets_len == GP_CLI_SETS_MAX || !strchr(v, '=')) {
            fprintf(stderr, "goldpath explore: --set \"%s\": expected PATH=VALUE (at most %d)\n",
                    v, GP_CLI_SETS_MAX);
            return -1;
        }
        e->sets[e->sets_len++] = v;
        return 0;
    case E_CLIENTS:
        if (gp_cli_number("explore", opt, v, 1, GP_CLIENTS_MAX, &x))
            return -1;
        e->clients = (uint32_t)x;
        e->clients_given = true;
        return 0;
    case E_QUIET:
        e->quiet = true;
        return 0;
    case E_FIRST:
        e->first = true;
        return 0;
    }
    return 0;
}

static int on_operand(void *ctx, const char *arg)
{
    explore *e = ctx;
    if (e->scenario) {
        fprintf(stderr, "goldpath explore: one scenario only (got %s and %s)\n", e->scenario, arg);
        return -1;
    }
    e->scenario = arg;
    return 0;
}

/* What failed in a run: the first failed check of the table (else the first
 * failed expectation), then the log signatures found.  The group key. */
static void fingerprint(const gp_run *run, char *out, size_t n, char *first, size_t first_len)
{
    first[0] = '\0';
    for (int k = 0; k < GP_CHECK_COUNT && !first[0]; k++)
        if (k != GP_CHECK_FAULTS_NOT_FIRED && run->checks[k].verdict == GP_VERDICT_FAILED)
            snprintf(first, first_len, "%s", gp_check_name((gp_check)k));
    for (uint32_t x = 0; x < run->expectations_len && !first[0]; x++)
        if (run->expectations[x].r.verdict == GP_VERDICT_FAILED)
            snprintf(first, first_len, "%s", run->expectations[x].name);
    size_t w = (size_t)snprintf(out, n, "%s", first);
    for (int s = 0; s < run->logsig.n_sigs && w < n; s++)
        if (run->logsig.count[s].total)
            w += (size_t)snprintf(out + w, n - w, " + %s", gp_logsig_name_of(&run->logsig, s));
}

/* One seed: a JSON line {"seed", "passed", "first", "fingerprint", "failed"}. */
static int work(void *ctx, size_t task, FILE *out)
{
    explore *e = ctx;
    gp_scenario sc = e->sc;
    sc.seed = e->seed_from + task;
    gp_run *run = calloc(1, sizeof(*run));
    if (!run || gp_run_init(run, &sc) != GP_OK) {
        free(run);
        return GP_ERR_NOMEM;
    }
    gp_sim_options so = {.trace_client = UINT32_MAX, .server_log_level = GP_LOG_WARNING,
                         .order = e->order, .pct_depth = e->depth};
    char err[256];
    int rc = gp_sim_run(run, &so, err, sizeof(err));
    if (rc == GP_OK) {
        char fp[512], first[96];
        fingerprint(run, fp, sizeof(fp), first, sizeof(first));
        json_t *failed = json_array();
        for (int k = 0; k < GP_CHECK_COUNT; k++)
            if (!gp_verdict_ok(run->checks[k].verdict))
                json_array_append_new(failed, json_string(gp_check_name((gp_check)k)));
        for (uint32_t x = 0; x < run->expectations_len; x++)
            if (!gp_verdict_ok(run->expectations[x].r.verdict))
                json_array_append_new(failed, json_string(run->expectations[x].name));
        json_t *line = json_pack("{s:I, s:b, s:s, s:s, s:o}", "seed", (json_int_t)sc.seed,
                                 "passed", run->passed, "first", first, "fingerprint", fp,
                                 "failed", failed);
        char *text = line ? gp_json_dump(line, JSON_COMPACT) : NULL;
        if (text)
            fprintf(out, "%s\n", text);
        free(text);
        json_decref(line);
        rc = text ? GP_OK : GP_ERR_NOMEM;
    }
    gp_run_free(run);
    free(run);
    return rc;
}

typedef struct group {
    char fingerprint[512];
    char first[96];
    uint64_t first_seed;
    uint64_t seeds;
    gp_shrink_result shrunk;
    bool shrunk_ok;
    char shrink_err[256];
} group;

typedef struct tally {
    uint64_t run, failed;
    uint64_t first_failure; /* seed, UINT64_MAX: none */
    group groups[GROUPS_MAX];
    uint32_t n_groups;
    uint64_t groups_dropped;
} tally;

static int read_line(tally *t, const char *text, size_t len, uint64_t seed)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j)
        return GP_ERR_BAD_JSON;
    t->run++;
    if (!json_is_true(json_object_get(j, "passed"))) {
        t->failed++;
        if (t->first_failure == UINT64_MAX)
            t->first_failure = seed;
        const char *fp = json_string_value(json_object_get(j, "fingerprint"));
        const char *first = json_string_value(json_object_get(j, "first"));
        uint32_t g = 0;
        while (g < t->n_groups && strcmp(t->groups[g].fingerprint, fp ? fp : "") != 0)
            g++;
        if (g == t->n_groups && t->n_groups < GROUPS_MAX) {
            group *gr = &t->groups[t->n_groups++];
            snprintf(gr->fingerprint, sizeof(gr->fingerprint), "%s", fp ? fp : "");
            snprintf(gr->first, sizeof(gr->first), "%s", first ? first : "");
            gr->first_seed = seed;
        }
        if (g < t->n_groups)
            t->groups[g].seeds++;
        else
            t->groups_dropped++;
    }
    json_decref(j);
    return GP_OK;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_json(const explore *e, const tally *t, const char *dir, char *err, size_t n)
{
    json_t *groups = json_array();
    for (uint32_t g = 0; g < t->n_groups; g++) {
        const group *gr = &t->groups[g];
        char sub[64];
        snprintf(sub, sizeof(sub), "failure-%u", g + 1);
        json_array_append_new(
            groups, json_pack("{s:s, s:s, s:I, s:I, s:s, s:b, s:I, s:I}", "fingerprint",
                              gr->fingerprint, "check", gr->first, "first_seed",
                              (json_int_t)gr->first_seed, "seeds", (json_int_t)gr->seeds,
                              "folder", sub, "shrunk", gr->shrunk_ok, "clients_before",
                              (json_int_t)gr->shrunk.clients_before, "clients_after",
                              (json_int_t)gr->shrunk.clients_after));
    }
    json_t *root = json_pack(
        "{s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:I}", "goldpath_explore", GP_VERSION,
        "scenario", e->sc.name, "seed_from", (json_int_t)e->seed_from, "seed_to",
        (json_int_t)e->seed_to, "strategy", e->order == GP_SIM_ORDER_PCT ? "pct" : "random",
        "depth", (json_int_t)e->depth, "seeds_run", (json_int_t)t->run, "seeds_failed",
        (json_int_t)t->failed, "first_failure",
        (json_int_t)(t->first_failure == UINT64_MAX ? -1 : (int64_t)t->first_failure),
        "distinct_failures", groups, "groups_not_listed", (json_int_t)t->groups_dropped);
    char *text = root ? gp_json_dump(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(root);
    FILE *f = text ? gp_files_open(dir, "explore.json", err, n) : NULL;
    if (f)
        fprintf(f, "%s\n", text);
    free(text);
    return f && gp_files_close(f, dir, "explore.json", err, n) == 0 ? GP_OK : GP_ERR_IO;
}

static int write_html(const explore *e, const tally *t, const char *dir, char *err, size_t n)
{
    FILE *f = gp_files_open(dir, "report.html", err, n);
    if (!f)
        return GP_ERR_IO;
    char title[256];
    snprintf(title, sizeof(title), "goldpath explore: %s", e->sc.name);
    gp_html_begin(f, title);
    fputs("<h1>", f);
    gp_esc_xml(f, title);
    fprintf(f, "</h1>\n<table>\n<tr><th>seeds</th><td>%" PRIu64 " to %" PRIu64 " (%" PRIu64
               " run)</td></tr>\n<tr><th>schedule</th><td>%s</td></tr>\n"
               "<tr><th>failed</th><td>%" PRIu64 " seeds, %u distinct failures</td></tr>\n"
               "</table>\n",
            e->seed_from, e->seed_to, t->run,
            e->order == GP_SIM_ORDER_PCT ? "pct (probabilistic concurrency testing)"
                                         : "random (each seed's own order)",
            t->failed, t->n_groups);
    if (t->n_groups == 0)
        fputs("<p>No seed failed.</p>\n", f);
    for (uint32_t g = 0; g < t->n_groups; g++) {
        const group *gr = &t->groups[g];
        fprintf(f, "<h2>Failure %u: <code>", g + 1);
        gp_esc_xml(f, gr->fingerprint);
        fprintf(f, "</code></h2>\n<p>%" PRIu64 " seeds, the first %" PRIu64 ". ", gr->seeds,
                gr->first_seed);
        if (gr->shrunk_ok)
            fprintf(f, "Shrunk from %u to %u clients, keeping <code>%s</code> failing.</p>\n",
                    gr->shrunk.clients_before, gr->shrunk.clients_after, gr->first);
        else {
            fputs("Not shrunk: ", f);
            gp_esc_xml(f, gr->shrink_err);
            fputs("</p>\n", f);
        }
        char sub[64], cmd[1400];
        snprintf(sub, sizeof(sub), "failure-%u/report.html", g + 1);
        gp_html_file_link(f, dir, sub, "the minimal story: traces, what remains");
        snprintf(cmd, sizeof(cmd), "goldpath run %s/failure-%u/minimal.json --trace-client 0",
                 dir, g + 1);
        gp_html_command(f, cmd);
    }
    gp_html_end(f);
    return gp_files_close(f, dir, "report.html", err, n) == 0 ? GP_OK : GP_ERR_IO;
}

static void on_done(void *ctx, size_t task, const gp_jobs_result *r, size_t finished, size_t tasks)
{
    (void)task;
    (void)r;
    gp_cli_progress *p = ctx;
    gp_cli_progress_cb(p, finished, tasks);
}

int gp_cli_explore(int argc, char **argv)
{
    static const gp_cli_option opts[] = {
        {"seeds", 0, true, E_SEEDS},       {"time", 0, true, E_TIME},
        {"jobs", 'j', true, E_JOBS},       {"strategy", 0, true, E_STRATEGY},
        {"depth", 0, true, E_DEPTH},       {"out", 0, true, E_OUT},
        {"set", 0, true, E_SET},           {"clients", 0, true, E_CLIENTS},
        {"quiet", 'q', false, E_QUIET},    {"first", 0, false, E_FIRST},
        {"shrink-time", 0, true, E_SHRINK_TIME},
    };
    explore *e = calloc(1, sizeof(*e));
    tally *t = calloc(1, sizeof(*t));
    if (!e || !t) {
        free(e);
        free(t);
        fprintf(stderr, "goldpath explore: out of memory\n");
        return 2;
    }
    e->jobs = gp_jobs_online_cores();
    e->depth = 3;
    e->shrink_time_s = 30;
    int exit_code = 2;
    int rc = gp_cli_getopt("explore", argc, argv, opts, sizeof(opts) / sizeof(opts[0]), on_option,
                           on_operand, e);
    if (rc != 0) {
        exit_code = rc < 0 ? 2 : 0;
        goto out;
    }
    if (!e->scenario) {
        fprintf(stderr, "goldpath explore: which scenario? usage: goldpath explore SCENARIO "
                        "[--seeds A:B] [--time S] [--jobs N] [--strategy random|pct] "
                        "[--depth D]\n");
        goto out;
    }
    char err[GP_SCENARIO_ERR_MAX + 600];
    rc = gp_scenario_load(&e->sc, e->scenario, err, sizeof(err));
    for (int i = 0; rc == GP_OK && i < e->sets_len; i++)
        rc = gp_scenario_set(&e->sc, e->sets[i], err, sizeof(err));
    if (rc == GP_OK && e->clients_given)
        e->sc.clients.count = e->clients;
    if (rc == GP_OK)
        rc = gp_scenario_validate(&e->sc, err, sizeof(err));
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath explore: %s\n", err);
        goto out;
    }
    if (!e->seeds_given) {
        e->seed_from = e->sc.seed;
        e->seed_to = e->sc.seed + 99;
    }
    char dir[1024];
    if (e->out)
        snprintf(dir, sizeof(dir), "%s", e->out);
    else
        snprintf(dir, sizeof(dir), "reports/explore/%.100s", e->sc.name);
    if (gp_folder_claim(dir, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath explore: %s\n", err);
        goto out;
    }
    gp_cli_catch_interrupt();
    gp_cli_progress ps;
    bool show = gp_cli_progress_init(&ps, "explore: ", e->quiet);
    t->first_failure = UINT64_MAX;
    double t0 = mono_s();
    /* seeds in batches, in order, so that --time and --first stop at a batch
     * boundary whatever --jobs is */
    uint64_t total = e->seed_to - e->seed_from + 1, next = 0;
    size_t batch = (size_t)e->jobs * 16;
    bool interrupted = false;
    while (next < total) {
        size_t tasks = total - next < batch ? (size_t)(total - next) : batch;
        gp_jobs_result *res = calloc(tasks, sizeof(*res));
        if (!res) {
            fprintf(stderr, "goldpath explore: out of memory\n");
            goto out;
        }
        explore shifted = *e;
        shifted.seed_from = e->seed_from + next;
        gp_jobs_hooks hooks = {.interrupt = &gp_cli_interrupt, .done = show ? on_done : NULL,
                               .done_ctx = &ps};
        rc = gp_jobs_run(tasks, e->jobs, work, &shifted, &hooks, res, err, sizeof(err));
        for (size_t k = 0; k < tasks && rc == GP_JOBS_OK; k++)
            if (res[k].status != GP_OK ||
                read_line(t, res[k].out, res[k].len, shifted.seed_from + k) != GP_OK) {
                snprintf(err, sizeof(err), "seed %" PRIu64 ": the run failed to complete (%s)",
                         shifted.seed_from + k, gp_err_message(res[k].status));
                rc = GP_JOBS_CRASHED;
            }
        gp_jobs_results_free(res, tasks);
        free(res);
        if (rc == GP_JOBS_INTERRUPTED) {
            interrupted = true;
            break;
        }
        if (rc != GP_JOBS_OK) {
            fprintf(stderr, "goldpath explore: %s\n", err);
            goto out;
        }
        next += tasks;
        if ((e->first && t->failed) || (e->time_s > 0 && mono_s() - t0 >= e->time_s))
            break;
    }
    if (show)
        gp_cli_progress_cb(&ps, 1, 1);
    e->seed_to = e->seed_from + next - 1 + (next == 0);
    /* shrink one failure of each group */
    for (uint32_t g = 0; g < t->n_groups && !interrupted; g++) {
        group *gr = &t->groups[g];
        gp_scenario sc = e->sc;
        sc.seed = gr->first_seed;
        gp_shrink_opts so = {.time_s = e->shrink_time_s, .order = e->order,
                             .pct_depth = e->depth};
        if (!e->quiet)
            fprintf(stderr, "goldpath explore: shrinking failure %u (seed %" PRIu64 ", %s)\n",
                    g + 1, gr->first_seed, gr->first);
        char sub[1100], label[256];
        snprintf(sub, sizeof(sub), "%s/failure-%u", dir, g + 1);
        snprintf(label, sizeof(label), "%s with --seed %" PRIu64, e->scenario, gr->first_seed);
        gp_run *run = calloc(1, sizeof(*run));
        rc = run ? gp_shrink(&sc, gr->first, &so, &gr->shrunk, gr->shrink_err,
                             sizeof(gr->shrink_err))
                 : GP_ERR_NOMEM;
        if (rc == GP_OK)
            rc = gp_cli_shrink_write(sub, &sc, label, gr->first, &gr->shrunk, e->order,
                                     e->depth, run, gr->shrink_err, sizeof(gr->shrink_err));
        gr->shrunk_ok = rc == GP_OK;
        if (run)
            gp_run_free(run);
        free(run);
    }
    if (write_json(e, t, dir, err, sizeof(err)) != GP_OK ||
        write_html(e, t, dir, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath explore: %s\n", err);
        goto out;
    }
    printf("goldpath explore: %s, seeds %" PRIu64 "-%" PRIu64 " (%s): %" PRIu64 " of %" PRIu64
           " failed, %u distinct failure%s\n",
           e->sc.name, e->seed_from, e->seed_to,
           e->order == GP_SIM_ORDER_PCT ? "pct" : "random", t->failed, t->run, t->n_groups,
           t->n_groups == 1 ? "" : "s");
    for (uint32_t g = 0; g < t->n_groups; g++)
        printf("  %u. %s: %" PRIu64 " seed%s, first %" PRIu64
               "; minimal: %s/failure-%u/minimal.json (%u client%s)\n",
               g + 1, t->groups[g].fingerprint, t->groups[g].seeds,
               t->groups[g].seeds == 1 ? "" : "s", t->groups[g].first_seed, dir, g + 1,
               t->groups[g].shrunk.clients_after, t->groups[g].shrunk.clients_after == 1 ? "" : "s");
    printf("  report: %s/report.html\n", dir);
    exit_code = interrupted ? GP_CLI_EXIT_INTERRUPTED : t->failed ? 1 : 0;
out:
    free(e);
    free(t);
    return exit_code;
}
