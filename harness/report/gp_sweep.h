/* gp_sweep.h: a sweep -- one scenario run in simulation over a series of
 * values of one field (--vary FIELD=FROM:TO:STEP), K seeds per value, and
 * optionally under several variants of the scenario (--compare, e.g. the
 * fixed and the buggy server), recording each run's transition success
 * rate, golden-path completion rate and checks.  Every run is an ordinary
 * deterministic simulation: any row replays with `goldpath run`. */
#ifndef GP_SWEEP_H
#define GP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_run.h"
#include "gp_scenario.h"

#define GP_SWEEP_FIELD_MAX 128
#define GP_SWEEP_VARIANTS_MAX 8
#define GP_SWEEP_VARIANT_LEN_MAX 512
#define GP_SWEEP_POINTS_MAX 1000
#define GP_SWEEP_SEEDS_MAX 1000
#define GP_SWEEP_RUNS_MAX 100000
#define GP_SWEEP_DETAIL_MAX 160

typedef struct gp_sweep_spec {
    char field[GP_SWEEP_FIELD_MAX]; /* dotted scenario path */
    double from, to, step;
    uint32_t points;   /* round((to - from) / step) + 1 */
    uint32_t seeds;    /* K: seeds scenario.seed .. seed + K - 1 */
    uint32_t variants_len; /* 0: one variant, the scenario as given */
    /* Each variant: assignments PATH=VALUE separated by ';' */
    char variants[GP_SWEEP_VARIANTS_MAX][GP_SWEEP_VARIANT_LEN_MAX];
} gp_sweep_spec;

/* One run of the sweep: a row of sweep.csv. */
typedef struct gp_sweep_row {
    uint32_t variant, point;
    uint64_t seed;
    double transition_success_rate, completion_rate;
    bool passed;
} gp_sweep_row;

/* One (variant, value) point over its seeds. */
typedef struct gp_sweep_point {
    uint32_t runs, passed_runs;
    double tsr_min, tsr_mean, tsr_max; /* transition success rate */
    double cr_min, cr_mean, cr_max;    /* completion rate */
    uint32_t failed[GP_CHECK_COUNT], skipped[GP_CHECK_COUNT];
    uint64_t virtual_ms; /* the runs' virtual lengths, summed (JUnit's time) */
    uint64_t first_failed_seed[GP_CHECK_COUNT];
    char first_failed_detail[GP_CHECK_COUNT][GP_SWEEP_DETAIL_MAX];
} gp_sweep_point;

typedef struct gp_sweep {
    gp_scenario base;         /* the scenario with the command line's overrides */
    char scenario_arg[1024];  /* SCENARIO as given, for replay commands */
    char overrides[2048];     /* " --set a=b ..." as given */
    gp_sweep_spec spec;
    gp_sweep_row *rows;       /* variants x points x seeds, in that order */
    size_t rows_len;
    gp_sweep_point *agg;      /* variants x points */
} gp_sweep;

/* Parses "FIELD=FROM:TO:STEP" into spec (field, from, to, step, points).
 * STEP must be non-zero with the sign of TO - FROM (any when TO == FROM).
 * Returns 0, or -1 with a sentence in err. */
int gp_sweep_parse_vary(gp_sweep_spec *spec, const char *text, char *err, size_t err_len);

/* The value of point i, and as the text given to gp_scenario_set: integral
 * values without a decimal point, others with %.10g. */
double gp_sweep_value(const gp_sweep_spec *spec, uint32_t point);
void gp_sweep_value_text(double value, char *out, size_t out_len);

/* Variants counted as run: at least 1. */
uint32_t gp_sweep_variant_count(const gp_sweep_spec *spec);

/* The label of variant v ("scenario" when there are no variants). */
const char *gp_sweep_variant_label(const gp_sweep_spec *spec, uint32_t v);

/* The scenario of one run: base, then the variant's assignments, then
 * FIELD=value, then the seed.  Returns GP_OK, or the gp_scenario_set or
 * gp_scenario_validate error with its message in err. */
int gp_sweep_scenario(const gp_sweep *sw, uint32_t variant, uint32_t point, uint64_t seed,
                      gp_scenario *out, char *err, size_t err_len);

/* Checks every (variant, value) scenario before anything runs, so that a
 * bad field or value fails at once.  Returns GP_OK or an error (err). */
int gp_sweep_check(const gp_sweep *sw, char *err, size_t err_len);

/* Called after each run with runs done and the total. */
typedef void (*gp_sweep_progress_fn)(void *ctx, size_t done, size_t total,
                                     const gp_sweep *sw, const gp_sweep_row *last);

/* One run's result as the sweep keeps it: its row, its virtual length, and
 * per check whether it failed (with the finding, cut to fit) or was not
 * offered. */
enum { GP_SWEEP_CHECK_OK = 0, GP_SWEEP_CHECK_FAILED, GP_SWEEP_CHECK_NOT_OFFERED };
typedef struct gp_sweep_outcome {
    gp_sweep_row row;
    uint64_t virtual_ms;
    uint8_t check[GP_CHECK_COUNT];
    char detail[GP_CHECK_COUNT][GP_SWEEP_DETAIL_MAX];
} gp_sweep_outcome;

/* The outcome of a judged run (row's variant, point and seed are left as
 * they are). */
void gp_sweep_outcome_of(gp_sweep_outcome *o, const gp_run *run);

/* Appends o's row to sw->rows (room made by gp_sweep_begin) and adds it to
 * its point's aggregate: min, max, running means, failed and skipped checks
 * (the first failing seed's finding kept).  Recording the same outcomes in
 * the same order gives the same bits. */
void gp_sweep_record(gp_sweep *sw, const gp_sweep_outcome *o);

/* Runs every (variant, value, seed) in simulation, in this process, and
 * fills rows and agg (gp_sweep_execute with one job and no shard).
 * `sw` holds base, spec, scenario_arg and overrides.  Returns GP_OK, or a
 * negative gp_err with err (out of memory, a scenario the simulator
 * refuses). */
int gp_sweep_run(gp_sweep *sw, gp_sweep_progress_fn progress, void *ctx, char *err,
                 size_t err_len);

/* The `goldpath run` command that replays one run of the sweep. */
void gp_sweep_replay(const gp_sweep *sw, uint32_t variant, uint32_t point, uint64_t seed,
                     char *out, size_t out_len);

void gp_sweep_free(gp_sweep *sw);

#endif
