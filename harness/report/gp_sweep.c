/* gp_sweep.c: runs a sweep; see gp_sweep.h. */
#include "gp_sweep.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_esc.h"
#include "gp_sweep_exec.h"

static int parse_number(const char *s, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    *out = strtod(buf, &end);
    return errno || *end || !isfinite(*out) ? -1 : 0;
}

int gp_sweep_parse_vary(gp_sweep_spec *spec, const char *text, char *err, size_t err_len)
{
    static const char usage[] = "expected FIELD=FROM:TO:STEP, e.g. faults.accept_race=0:0.5:0.1";
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        snprintf(err, err_len, "--vary %s: %s", text, usage);
        return -1;
    }
    if ((size_t)(eq - text) >= sizeof(spec->field)) {
        snprintf(err, err_len, "--vary %s: field name too long", text);
        return -1;
    }
    const char *c1 = strchr(eq + 1, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    double from, to, step;
    if (!c1 || !c2 || strchr(c2 + 1, ':') ||
        parse_number(eq + 1, (size_t)(c1 - eq - 1), &from) != 0 ||
        parse_number(c1 + 1, (size_t)(c2 - c1 - 1), &to) != 0 ||
        parse_number(c2 + 1, strlen(c2 + 1), &step) != 0) {
        snprintf(err, err_len, "--vary %s: %s (FROM, TO and STEP are numbers)", text, usage);
        return -1;
    }
    double span = to - from;
    if (span != 0 && (step == 0 || (span > 0) != (step > 0))) {
        snprintf(err, err_len, "--vary %s: STEP must be non-zero and go from FROM towards TO", text);
        return -1;
    }
    double n = span == 0 ? 1 : round(span / step) + 1;
    if (n > GP_SWEEP_POINTS_MAX) {
        snprintf(err, err_len, "--vary %s: %.0f values; at most %d", text, n, GP_SWEEP_POINTS_MAX);
        return -1;
    }
    snprintf(spec->field, sizeof(spec->field), "%.*s", (int)(eq - text), text);
    spec->from = from;
    spec->to = to;
    spec->step = step;
    spec->points = (uint32_t)n;
    return 0;
}

double gp_sweep_value(const gp_sweep_spec *spec, uint32_t point)
{
    return spec->from + (double)point * spec->step;
}

void gp_sweep_value_text(double value, char *out, size_t out_len)
{
    if (value == floor(value) && fabs(value) < 9007199254740992.0)
        snprintf(out, out_len, "%.0f", value);
    else
        snprintf(out, out_len, "%.10g", value);
}

uint32_t gp_sweep_variant_count(const gp_sweep_spec *spec)
{
    return spec->variants_len ? spec->variants_len : 1;
}

const char *gp_sweep_variant_label(const gp_sweep_spec *spec, uint32_t v)
{
    return spec->variants_len ? spec->variants[v] : "scenario";
}

/* Applies "a=b;c=d" one assignment at a time. */
static int apply_variant(gp_scenario *sc, const char *variant, char *err, size_t err_len)
{
    char buf[GP_SWEEP_VARIANT_LEN_MAX];
    snprintf(buf, sizeof(buf), "%s", variant);
    for (char *save = NULL, *a = strtok_r(buf, ";", &save); a; a = strtok_r(NULL, ";", &save)) {
        while (*a == ' ')
            a++;
        if (!*a)
            continue;
        int rc = gp_scenario_set(sc, a, err, err_len);
        if (rc != GP_OK)
            return rc;
    }
    return GP_OK;
}

int gp_sweep_scenario(const gp_sweep *sw, uint32_t variant, uint32_t point, uint64_t seed,
                      gp_scenario *out, char *err, size_t err_len)
{
    *out = sw->base;
    int rc = GP_OK;
    if (sw->spec.variants_len)
        rc = apply_variant(out, sw->spec.variants[variant], err, err_len);
    if (rc == GP_OK) {
        char value[64], assignment[GP_SWEEP_FIELD_MAX + 80];
        gp_sweep_value_text(gp_sweep_value(&sw->spec, point), value, sizeof(value));
        snprintf(assignment, sizeof(assignment), "%s=%s", sw->spec.field, value);
        rc = gp_scenario_set(out, assignment, err, err_len);
    }
    if (rc == GP_OK) {
        out->seed = seed;
        rc = gp_scenario_validate(out, err, err_len);
    }
    return rc;
}

int gp_sweep_check(const gp_sweep *sw, char *err, size_t err_len)
{
    gp_scenario *sc = malloc(sizeof(*sc));
    if (!sc) {
        snprintf(err, err_len, "out of memory");
        return GP_ERR_NOMEM;
    }
    uint64_t total = (uint64_t)gp_sweep_variant_count(&sw->spec) * sw->spec.points * sw->spec.seeds;
    int rc = GP_OK;
    if (total > GP_SWEEP_RUNS_MAX) {
        snprintf(err, err_len, "%llu runs (variants x values x seeds); at most %d",
                 (unsigned long long)total, GP_SWEEP_RUNS_MAX);
        rc = GP_ERR_INVALID_ARG;
    }
    for (uint32_t v = 0; rc == GP_OK && v < gp_sweep_variant_count(&sw->spec); v++)
        for (uint32_t p = 0; rc == GP_OK && p < sw->spec.points; p++)
            rc = gp_sweep_scenario(sw, v, p, sw->base.seed, sc, err, err_len);
    free(sc);
    return rc;
}

void gp_sweep_replay(const gp_sweep *sw, uint32_t variant, uint32_t point, uint64_t seed,
                     char *out, size_t out_len)
{
    char scen[1100], word[GP_SWEEP_VARIANT_LEN_MAX + 64], value[64], err[GP_SCENARIO_ERR_MAX];
    /* --clients as the run had it, in case a variant or the field set it */
    uint32_t clients = sw->base.clients.count;
    gp_scenario *sc = malloc(sizeof(*sc));
    if (sc && gp_sweep_scenario(sw, variant, point, seed, sc, err, sizeof(err)) == GP_OK)
        clients = sc->clients.count;
    free(sc);
    gp_esc_shell(sw->scenario_arg[0] ? sw->scenario_arg : sw->base.path, scen, sizeof(scen));
    size_t n = (size_t)snprintf(out, out_len, "goldpath run %s --seed %llu --clients %u%s", scen,
                                (unsigned long long)seed, clients, sw->overrides);
    if (sw->spec.variants_len) {
        char buf[GP_SWEEP_VARIANT_LEN_MAX];
        snprintf(buf, sizeof(buf), "%s", sw->spec.variants[variant]);
        for (char *save = NULL, *a = strtok_r(buf, ";", &save); a && n < out_len;
             a = strtok_r(NULL, ";", &save)) {
            while (*a == ' ')
                a++;
            if (!*a)
                continue;
            gp_esc_shell(a, word, sizeof(word));
            n += (size_t)snprintf(out + n, out_len - n, " --set %s", word);
        }
    }
    gp_sweep_value_text(gp_sweep_value(&sw->spec, point), value, sizeof(value));
    char assignment[GP_SWEEP_FIELD_MAX + 80];
    snprintf(assignment, sizeof(assignment), "%s=%s", sw->spec.field, value);
    gp_esc_shell(assignment, word, sizeof(word));
    if (n < out_len)
        snprintf(out + n, out_len - n, " --set %s", word);
}

void gp_sweep_record(gp_sweep *sw, const gp_sweep_outcome *o)
{
    const gp_sweep_row *row = &o->row;
    sw->rows[sw->rows_len++] = *row;
    gp_sweep_point *pt = &sw->agg[row->variant * sw->spec.points + row->point];
    if (pt->runs == 0) {
        pt->tsr_min = pt->tsr_max = row->transition_success_rate;
        pt->cr_min = pt->cr_max = row->completion_rate;
    }
    pt->runs++;
    pt->passed_runs += row->passed;
    pt->virtual_ms += o->virtual_ms;
    pt->tsr_min = fmin(pt->tsr_min, row->transition_success_rate);
    pt->tsr_max = fmax(pt->tsr_max, row->transition_success_rate);
    pt->cr_min = fmin(pt->cr_min, row->completion_rate);
    pt->cr_max = fmax(pt->cr_max, row->completion_rate);
    /* running means, so that the sums need no second pass */
    pt->tsr_mean += (row->transition_success_rate - pt->tsr_mean) / pt->runs;
    pt->cr_mean += (row->completion_rate - pt->cr_mean) / pt->runs;
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        if (o->check[k] == GP_SWEEP_CHECK_NOT_OFFERED) {
            pt->skipped[k]++;
        } else if (o->check[k] == GP_SWEEP_CHECK_FAILED && pt->failed[k]++ == 0) {
            pt->first_failed_seed[k] = row->seed;
            snprintf(pt->first_failed_detail[k], GP_SWEEP_DETAIL_MAX, "%s", o->detail[k]);
        }
    }
}

void gp_sweep_outcome_of(gp_sweep_outcome *o, const gp_run *run)
{
    /* observed, not the server's own figure */
    o->row.transition_success_rate =
        run->judge.attempted ? (double)run->judge.applied / (double)run->judge.attempted : 1.0;
    o->row.completion_rate = run->expected_to_complete
                                 ? (double)run->completed / (double)run->expected_to_complete
                                 : 1.0;
    o->row.passed = run->passed;
    o->virtual_ms = run->end_ms;
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        const gp_check_result *r = &run->checks[k];
        o->detail[k][0] = '\0';
        if (r->verdict == GP_VERDICT_NOT_OFFERED) {
            o->check[k] = GP_SWEEP_CHECK_NOT_OFFERED;
        } else if (!gp_verdict_ok(r->verdict)) {
            o->check[k] = GP_SWEEP_CHECK_FAILED;
            snprintf(o->detail[k], GP_SWEEP_DETAIL_MAX, "%.*s", GP_SWEEP_DETAIL_MAX - 1,
                     r->detail); /* cut to fit */
        } else {
            o->check[k] = GP_SWEEP_CHECK_OK;
        }
    }
}

int gp_sweep_run(gp_sweep *sw, gp_sweep_progress_fn progress, void *ctx, char *err,
                 size_t err_len)
{
    gp_sweep_exec ex = {.jobs = 1, .progress = progress, .progress_ctx = ctx};
    bool interrupted = false;
    return gp_sweep_execute(sw, &ex, &interrupted, err, err_len);
}

void gp_sweep_free(gp_sweep *sw)
{
    free(sw->rows);
    free(sw->agg);
    sw->rows = NULL;
    sw->agg = NULL;
    sw->rows_len = 0;
}
