/* gp_cli_sweep.c: `goldpath sweep` -- runs a scenario in simulation over a
 * series of values of one field, K seeds per value, optionally under
 * several variants (--compare), and writes sweep.csv, the plots and
 * report.html.  A sweep is an exploration: it exits 0 when it ran, whatever
 * its checks found, unless --strict asks for 1 when any run failed a
 * check; 2 for bad usage or input. */
#include "gp_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_esc.h"
#include "gp_render.h"
#include "gp_sweep.h"
#include "gp_sweep_files.h"

#define SWEEP_ARGS_MAX 256

/* The sweep's own options; the rest go to gp_cli_parse_common. */
typedef struct sweep_opts {
    const char *vary;
    uint64_t seeds;
    bool strict;
    const char *compare[GP_SWEEP_VARIANTS_MAX];
    uint32_t compare_len;
    int rest_argc;
    char *rest_argv[SWEEP_ARGS_MAX];
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

static int parse_u64(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long x = v && *v != '-' ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *v == '-' || *end || x < lo || x > hi) {
        fprintf(stderr, "goldpath sweep: %s takes a whole number from %llu to %llu\n", opt,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* Splits argv into the sweep's options and the common ones.  Returns 0, 1
 * after help, or -1 after a usage error. */
static int parse_sweep(int argc, char **argv, sweep_opts *so)
{
    memset(so, 0, sizeof(*so));
    so->seeds = 3;
    so->rest_argv[so->rest_argc++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--vary") == 0) {
            if (!v || so->vary) {
                fprintf(stderr, "goldpath sweep: %s\n", v ? "one --vary only"
                        : "--vary needs FIELD=FROM:TO:STEP, e.g. faults.accept_race=0:0.5:0.1");
                return -1;
            }
            so->vary = v;
            i++;
        } else if (strcmp(a, "--seeds") == 0) {
            if (parse_u64("--seeds", v, 1, GP_SWEEP_SEEDS_MAX, &so->seeds) != 0)
                return -1;
            i++;
        } else if (strcmp(a, "--strict") == 0) {
            so->strict = true;
        } else if (strcmp(a, "--compare") == 0) {
            int taken = 0;
            while (i + 1 < argc && argv[i + 1][0] != '-' && strchr(argv[i + 1], '=')) {
                if (so->compare_len == GP_SWEEP_VARIANTS_MAX) {
                    fprintf(stderr, "goldpath sweep: at most %d --compare variants\n",
                            GP_SWEEP_VARIANTS_MAX);
                    return -1;
                }
                so->compare[so->compare_len++] = argv[++i];
                taken++;
            }
            if (!taken) {
                fprintf(stderr, "goldpath sweep: --compare needs one or more PATH=VALUE variants, "
                                "e.g. --compare 'server.bugs=[]' 'server.bugs=[\"accept_race\"]'\n");
                return -1;
            }
        } else if (strcmp(a, "--mode") == 0 || strcmp(a, "--url") == 0 ||
                   strcmp(a, "--trace-client") == 0) {
            fprintf(stderr, "goldpath sweep: %s is not for sweeps (a sweep runs in simulation; "
                            "replay one point with goldpath run)\n", a);
            return -1;
        } else {
            if (so->rest_argc == SWEEP_ARGS_MAX) {
                fprintf(stderr, "goldpath sweep: too many arguments\n");
                return -1;
            }
            so->rest_argv[so->rest_argc++] = argv[i];
        }
    }
    return 0;
}

static void command_text(int argc, char **argv, char *out, size_t out_len)
{
    size_t n = (size_t)snprintf(out, out_len, "goldpath");
    for (int i = 0; i < argc && n < out_len; i++) {
        char word[1200];
        gp_esc_shell(argv[i], word, sizeof(word));
        n += (size_t)snprintf(out + n, out_len - n, " %s", word);
    }
}

static void print_table(const gp_sweep *sw, FILE *out)
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
    progress_state ps = {.t0 = wall_now(), .on = !o->quiet && isatty(STDERR_FILENO)};
    if (gp_sweep_run(sw, progress, &ps, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath sweep: %s\n", err);
        return 2;
    }
    char dir[1024], command[8192], note[2048];
    if (o->out)
        snprintf(dir, sizeof(dir), "%s", o->out);
    else
        snprintf(dir, sizeof(dir), "reports/sweeps/%s-%s", sw->base.name, sw->spec.field);
    command_text(argc, argv, command, sizeof(command));
    if (gp_sweep_write(sw, dir, command, err, sizeof(err)) != 0) {
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
        print_table(sw, stdout);
    printf("  sweep: %s/report.html\n", dir);
    return so->strict && !all_passed ? 1 : 0;
}

int gp_cli_sweep(int argc, char **argv)
{
    sweep_opts so;
    int rc = parse_sweep(argc, argv, &so);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    gp_cli_common o;
    rc = gp_cli_parse_common(so.rest_argc, so.rest_argv, "sweep", &o);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    if (!so.vary) {
        fprintf(stderr, "goldpath sweep: --vary FIELD=FROM:TO:STEP is required, "
                        "e.g. --vary faults.accept_race=0:0.5:0.1\n");
        return 2;
    }
    gp_sweep *sw = calloc(1, sizeof(*sw));
    if (!sw) {
        fprintf(stderr, "goldpath sweep: out of memory\n");
        return 2;
    }
    int code = sweep_main(sw, &o, &so, argc, argv);
    gp_sweep_free(sw);
    free(sw);
    return code;
}
