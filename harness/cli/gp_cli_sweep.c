/* gp_cli_sweep.c: `goldpath sweep` -- runs a scenario in simulation over a
 * series of values of one field, K seeds per value, optionally under
 * several variants (--compare), and writes sweep.csv, the plots and
 * report.html.  The runs go to --jobs worker processes (default: one per
 * core) and come back in order, so the files are the same for any --jobs;
 * --shard I/N runs a deterministic share of them and leaves what `goldpath
 * merge` needs (shard.json, shard_records.jsonl).  A sweep is an
 * exploration: it exits 0 when it ran, whatever its checks found, unless
 * --strict asks for 1 when any run failed a check; 2 for bad usage or
 * input; 130 interrupted. */
#include "gp_cli.h"
#include "gp_cli_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gp_cli_progress.h"
#include "gp_cli_shard.h"
#include "gp_error.h"
#include "gp_esc.h"
#include "gp_files.h"
#include "gp_folder.h"
#include "gp_jobs.h"
#include "gp_render.h"
#include "gp_sweep.h"
#include "gp_sweep_exec.h"
#include "gp_sweep_files.h"


/* The sweep's own options; the common ones fill a gp_cli_common. */
typedef struct sweep_opts {
    const char *vary;
    uint64_t seeds;
    uint64_t jobs;
    /* the values of --jobs, --shard and --out as getopt handed them over:
     * where they are in argv, for the command sweep.json records */
    const char *jobs_value, *shard_value, *out_value;
    bool strict;
    bool comparing;
    const char *compare[GP_SWEEP_VARIANTS_MAX];
    uint32_t compare_len;
    gp_cli_common o;
} sweep_opts;

typedef struct progress_state {
    double t0, last;
    bool on;
} progress_state;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The terminal line: runs and points done of total, rate, time left. */
static void progress(void *ctx, size_t done, size_t total, const gp_sweep *sw,
                     const gp_sweep_row *last)
{
    progress_state *p = ctx;
    double t = wall_now();
    if (!p->on || (done < total && t - p->last < 0.25))
        return;
    p->last = t;
    double el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    size_t per_point = sw->spec.seeds ? sw->spec.seeds : 1;
    char value[64];
    gp_sweep_value_text(gp_sweep_value(&sw->spec, last->point), value, sizeof(value));
    fprintf(stderr, "\r\033[K  %zu / %zu points done (%zu / %zu runs; now %s=%s), %.1f runs/s, %.0f s left",
            done / per_point, total / per_point, done, total, sw->spec.field, value, rate, left);
    if (done >= total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
}

enum { S_VARY = 100, S_SEEDS, S_STRICT, S_COMPARE, S_JOBS };

static int add_variant(sweep_opts *so, const char *v)
{
    if (so->compare_len == GP_SWEEP_VARIANTS_MAX) {
        fprintf(stderr, "goldpath sweep: at most %d --compare variants\n", GP_SWEEP_VARIANTS_MAX);
        return -1;
    }
    so->compare[so->compare_len++] = v;
    return 0;
}

static int on_sweep_option(void *ctx, int id, const char *opt, const char *v)
{
    sweep_opts *so = ctx;
    switch (id) {
    case S_VARY:
        if (so->vary) {
            fprintf(stderr, "goldpath sweep: one --vary only\n");
            return -1;
        }
        so->vary = v;
        return 0;
    case S_SEEDS:
        return gp_cli_number("sweep", opt, v, 1, GP_SWEEP_SEEDS_MAX, &so->seeds);
    case S_STRICT:
        so->strict = true;
        return 0;
    case S_JOBS:
        so->jobs_value = v;
        return gp_cli_number("sweep", opt, v, 1, GP_JOBS_MAX, &so->jobs);
    case S_COMPARE:
        so->comparing = true;
        return add_variant(so, v);
    }
    /* a sweep runs in simulation: these are for goldpath run */
    if (strcmp(opt, "--mode") == 0 || strcmp(opt, "--url") == 0 ||
        strcmp(opt, "--trace-client") == 0 || strcmp(opt, "--server-log") == 0 ||
        strcmp(opt, "--events") == 0 || strcmp(opt, "--profile") == 0 ||
        strcmp(opt, "--server-cmd") == 0 || strcmp(opt, "--server-ready") == 0 ||
        strncmp(opt, "--tls-", 6) == 0 || strcmp(opt, "--insecure") == 0) {
        fprintf(stderr, "goldpath sweep: %s is not for sweeps (a sweep runs in simulation; "
                        "replay one point with goldpath run)\n", opt);
        return -1;
    }
    if (strcmp(opt, "--shard") == 0)
        so->shard_value = v;
    else if (strcmp(opt, "--out") == 0)
        so->out_value = v;
    return gp_cli_common_apply("sweep", &so->o, id, opt, v);
}

/* The scenario, or (after --compare) more variants: --compare A B C. */
static int on_sweep_operand(void *ctx, const char *arg)
{
    sweep_opts *so = ctx;
    if (so->comparing && strchr(arg, '='))
        return add_variant(so, arg);
    if (so->o.scenario) {
        fprintf(stderr, "goldpath sweep: one scenario only (got %s and %s)\n", so->o.scenario,
                arg);
        return -1;
    }
    so->o.scenario = arg;
    return 0;
}

/* Parses the sweep's command line.  Returns 0, 1 after help, or -1 after a
 * usage error. */
static int parse_sweep(int argc, char **argv, sweep_opts *so)
{
    memset(so, 0, sizeof(*so));
    so->seeds = 3;
    so->jobs = gp_jobs_online_cores();
    gp_cli_option opts[64];
    size_t n = 0;
    for (size_t k = 0; k < gp_cli_common_options_len && n < 60; k++)
        opts[n++] = gp_cli_common_options[k];
    opts[n++] = (gp_cli_option){"vary", 0, true, S_VARY};
    opts[n++] = (gp_cli_option){"seeds", 0, true, S_SEEDS};
    opts[n++] = (gp_cli_option){"strict", 0, false, S_STRICT};
    opts[n++] = (gp_cli_option){"compare", 0, true, S_COMPARE};
    opts[n++] = (gp_cli_option){"jobs", 0, true, S_JOBS};
    int rc = gp_cli_getopt("sweep", argc, argv, opts, n, on_sweep_option, on_sweep_operand, so);
    if (rc != 0)
        return rc;
    if (gp_cli_common_finish("sweep", &so->o) != 0)
        return -1;
    if (!so->vary) {
        fprintf(stderr, "goldpath sweep: --vary FIELD=FROM:TO:STEP is required, "
                        "e.g. --vary faults.accept_race=0:0.5:0.1\n");
        return -1;
    }
    return 0;
}

void gp_cli_sweep_print_table(const gp_sweep *sw, FILE *out)
{
    fprintf(out, "goldpath sweep: %s, %s from %g to %g by %g, %u seed%s per value, %u clients per run\n",
            sw->base.name, sw->spec.field, sw->spec.from, sw->spec.to, sw->spec.step,
            sw->spec.seeds, sw->spec.seeds == 1 ? "" : "s", sw->base.clients.count);
    fprintf(out, "  %-30s %10s  %-29s  %-29s  %s\n", "variant", "value",
            "transition success min/mean/max", "completion rate min/mean/max", "runs passed");
    for (uint32_t v = 0; v < gp_sweep_variant_count(&sw->spec); v++)
        for (uint32_t p = 0; p < sw->spec.points; p++) {
            const gp_sweep_point *pt = &sw->agg[v * sw->spec.points + p];
            char value[64];
            gp_sweep_value_text(gp_sweep_value(&sw->spec, p), value, sizeof(value));
            fprintf(out, "  %-30s %10s  %.4f / %.4f / %.4f      %.4f / %.4f / %.4f      %u of %u\n",
                    gp_sweep_variant_label(&sw->spec, v), value, pt->tsr_min, pt->tsr_mean,
                    pt->tsr_max, pt->cr_min, pt->cr_mean, pt->cr_max, pt->passed_runs, pt->runs);
        }
}

/* Runs the sweep described by o and so, writes its folder; the exit code. */
static int sweep_main(gp_sweep *sw, const gp_cli_common *o, const sweep_opts *so, int argc,
                      char **argv)
{
    char err[GP_SCENARIO_ERR_MAX + 600];
    if (gp_cli_load_scenario(&sw->base, o, err, sizeof(err)) != GP_OK ||
        gp_sweep_parse_vary(&sw->spec, so->vary, err, sizeof(err)) != 0) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    sw->spec.seeds = (uint32_t)so->seeds;
    sw->spec.variants_len = so->compare_len;
    for (uint32_t v = 0; v < so->compare_len; v++)
        snprintf(sw->spec.variants[v], sizeof(sw->spec.variants[v]), "%s", so->compare[v]);
    snprintf(sw->scenario_arg, sizeof(sw->scenario_arg), "%s", o->scenario);
    gp_cli_overrides_text(o, sw->overrides, sizeof(sw->overrides));
    if (gp_sweep_check(sw, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    char dir[1024], command[8192], note[2048];
    if (o->out)
        snprintf(dir, sizeof(dir), "%s", o->out);
    else
        gp_folder_sweep_default(sw->base.name, sw->spec.field, dir, sizeof(dir));
    if (gp_folder_claim(dir, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    progress_state ps = {.t0 = wall_now(), .on = !o->quiet && isatty(STDERR_FILENO)};
    FILE *records = NULL;
    if (o->shard_given && !(records = gp_files_open(dir, GP_CLI_SHARD_RECORDS, err, sizeof(err)))) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    gp_sweep_exec ex = {.jobs = (unsigned)so->jobs, .shard = o->shard,
                        .shards = o->shard_given ? o->shards : 0,
                        .interrupt = &gp_cli_interrupt, .progress = progress,
                        .progress_ctx = &ps, .results = records};
    bool interrupted = false;
    gp_cli_catch_interrupt();
    int rc = gp_sweep_execute(sw, &ex, &interrupted, err, sizeof(err));
    if (records && rc == GP_OK &&
        gp_files_close(records, dir, GP_CLI_SHARD_RECORDS, err, sizeof(err)) != 0)
        rc = GP_ERR_IO;
    else if (records && rc != GP_OK)
        fclose(records);
    if (ps.on)
        fputs("\r\033[K", stderr);
    if (interrupted) {
        fprintf(stderr, "goldpath sweep: %s; nothing written\n", err);
        return GP_CLI_EXIT_INTERRUPTED;
    }
    if (rc != GP_OK) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    /* the command without --jobs, which changes nothing in the folder; a
     * shard's own folder keeps its --shard, its record the whole sweep's */
    gp_cli_words words;
    const char *drop[2] = {so->jobs_value, so->shard_value};
    gp_cli_words_of(argc, argv, drop, 1, so->out_value, &words);
    gp_cli_words_text(&words, NULL, command, sizeof(command));
    gp_cli_words_of(argc, argv, drop, 2, so->out_value, &words);
    if (gp_sweep_write(sw, dir, command, err, sizeof(err)) != 0 ||
        (o->shard_given && gp_cli_shard_write_sweep(sw, dir, so->vary, o->shard, o->shards,
                                                    &words, err, sizeof(err)) != 0)) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    gp_render_status st = gp_render_folder(dir, !o->no_plots, note, sizeof(note), err, sizeof(err));
    if (st == GP_RENDER_NO_PLOTS)
        fprintf(stderr, "goldpath: %s\n", note);
    else if (st == GP_RENDER_ERROR)
        fprintf(stderr, "goldpath sweep: report.html not written: %s\n", err);
    if (o->junit && gp_sweep_write_junit(sw, o->junit, err, sizeof(err)) != 0) {
        fprintf(stderr, "goldpath sweep: --junit: %s\n", err);
        return 2;
    }
    bool all_passed = true;
    for (size_t i = 0; i < sw->rows_len; i++)
        all_passed &= sw->rows[i].passed;
    if (!o->quiet)
        gp_cli_sweep_print_table(sw, stdout);
    if (o->shard_given)
        printf("  shard %u of %u: %zu of %zu runs; merge the shards with goldpath merge OUT "
               "DIR...\n", o->shard, o->shards, sw->rows_len, gp_sweep_task_count(&sw->spec));
    printf("  sweep: %s/report.html\n", dir);
    return st == GP_RENDER_ERROR ? 2 : so->strict && !all_passed ? 1 : 0;
}

int gp_cli_sweep(int argc, char **argv)
{
    sweep_opts so;
    int rc = parse_sweep(argc, argv, &so);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    gp_sweep *sw = calloc(1, sizeof(*sw));
    if (!sw) {
        fprintf(stderr, "goldpath sweep: out of memory\n");
        return 2;
    }
    int code = sweep_main(sw, &so.o, &so, argc, argv);
    gp_sweep_free(sw);
    free(sw);
    return code;
}
