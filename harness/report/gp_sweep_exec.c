/* gp_sweep_exec.c: a sweep's runs over worker processes or in shards, and
 * their result lines; see gp_sweep_exec.h. */
#include "gp_sweep_exec.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_error.h"
#include "gp_jobs.h"
#include "gp_sim.h"

size_t gp_sweep_task_count(const gp_sweep_spec *spec)
{
    return (size_t)gp_sweep_variant_count(spec) * spec->points * spec->seeds;
}

void gp_sweep_task(const gp_sweep *sw, size_t t, uint32_t *variant, uint32_t *point,
                   uint64_t *seed)
{
    size_t ns = sw->spec.seeds ? sw->spec.seeds : 1, np = sw->spec.points ? sw->spec.points : 1;
    *variant = (uint32_t)(t / (np * ns));
    *point = (uint32_t)((t / ns) % np);
    *seed = sw->base.seed + t % ns;
}

int gp_sweep_begin(gp_sweep *sw)
{
    size_t total = gp_sweep_task_count(&sw->spec);
    gp_sweep_free(sw);
    sw->rows = calloc(total ? total : 1, sizeof(*sw->rows));
    sw->agg = calloc((size_t)gp_sweep_variant_count(&sw->spec) * sw->spec.points + 1,
                     sizeof(*sw->agg));
    return sw->rows && sw->agg ? GP_OK : GP_ERR_NOMEM;
}

/* ---- the result line ---------------------------------------------------------- */

static int write_line(FILE *out, size_t t, const gp_sweep_outcome *o)
{
    json_t *failed = json_object(), *absent = json_array();
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        if (o->check[k] == GP_SWEEP_CHECK_FAILED)
            json_object_set_new(failed, gp_check_name((gp_check)k), json_string(o->detail[k]));
        else if (o->check[k] == GP_SWEEP_CHECK_NOT_OFFERED)
            json_array_append_new(absent, json_string(gp_check_name((gp_check)k)));
    }
    json_t *root = json_pack("{s:I, s:i, s:i, s:I, s:f, s:f, s:b, s:I, s:o, s:o}", "task",
                             (json_int_t)t, "variant", (int)o->row.variant, "point",
                             (int)o->row.point, "seed", (json_int_t)o->row.seed,
                             "transition_success_rate", o->row.transition_success_rate,
                             "completion_rate", o->row.completion_rate, "passed",
                             o->row.passed, "virtual_ms", (json_int_t)o->virtual_ms, "failed",
                             failed, "not_offered", absent);
    int rc = root ? json_dumpf(root, out, JSON_COMPACT | JSON_REAL_PRECISION(17)) : -1;
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF)
        return GP_ERR_NOMEM;
    return GP_OK;
}

int gp_sweep_run_task(const gp_sweep *sw, size_t t, const volatile sig_atomic_t *interrupt,
                      FILE *out, char *err, size_t err_len)
{
    gp_sweep_outcome *o = calloc(1, sizeof(*o));
    gp_run *run = calloc(1, sizeof(*run));
    gp_scenario *sc = malloc(sizeof(*sc));
    int rc = o && run && sc ? GP_OK : GP_ERR_NOMEM;
    if (rc != GP_OK)
        snprintf(err, err_len, "out of memory");
    if (rc == GP_OK) {
        gp_sweep_task(sw, t, &o->row.variant, &o->row.point, &o->row.seed);
        rc = gp_sweep_scenario(sw, o->row.variant, o->row.point, o->row.seed, sc, err, err_len);
    }
    if (rc == GP_OK && gp_run_init(run, sc) != GP_OK) {
        snprintf(err, err_len, "out of memory for %u clients", sc->clients.count);
        rc = GP_ERR_NOMEM;
    } else if (rc == GP_OK) {
        snprintf(run->scenario_arg, sizeof(run->scenario_arg), "%s", sw->scenario_arg);
        gp_sim_options so = {.trace_client = UINT32_MAX, .interrupt = interrupt};
        rc = gp_sim_run(run, &so, err, err_len);
        if (rc == GP_OK) {
            gp_sweep_outcome_of(o, run);
            rc = write_line(out, t, o);
            if (rc != GP_OK)
                snprintf(err, err_len, "out of memory writing a result");
        }
        gp_run_free(run);
    }
    free(o);
    free(run);
    free(sc);
    return rc;
}

static bool get_int(json_t *root, const char *key, json_int_t *out)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_integer(v))
        return false;
    *out = json_integer_value(v);
    return true;
}

static bool get_real(json_t *root, const char *key, double *out)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

/* The checks of a result line into o.  False with the bad name in err. */
static bool take_checks(json_t *root, gp_sweep_outcome *o, char *err, size_t err_len)
{
    json_t *failed = json_object_get(root, "failed"), *absent = json_object_get(root, "not_offered");
    if (!json_is_object(failed) || !json_is_array(absent)) {
        snprintf(err, err_len, "\"failed\" (an object) or \"not_offered\" (an array) missing");
        return false;
    }
    const char *name;
    json_t *v;
    json_object_foreach(failed, name, v) {
        gp_check k = gp_check_parse(name);
        if (k == GP_CHECK_COUNT || !json_is_string(v)) {
            snprintf(err, err_len, "failed check \"%.60s\" unknown to this goldpath", name);
            return false;
        }
        o->check[k] = GP_SWEEP_CHECK_FAILED;
        snprintf(o->detail[k], GP_SWEEP_DETAIL_MAX, "%s", json_string_value(v));
    }
    size_t i;
    json_array_foreach(absent, i, v) {
        gp_check k = json_is_string(v) ? gp_check_parse(json_string_value(v)) : GP_CHECK_COUNT;
        if (k == GP_CHECK_COUNT) {
            snprintf(err, err_len, "check %zu of \"not_offered\" unknown to this goldpath", i);
            return false;
        }
        o->check[k] = GP_SWEEP_CHECK_NOT_OFFERED;
    }
    return true;
}

int gp_sweep_take(gp_sweep *sw, size_t task, const char *line, size_t len, char *err,
                  size_t err_len)
{
    json_error_t je;
    json_t *root = json_loadb(line, len, 0, &je);
    if (!json_is_object(root)) {
        snprintf(err, err_len, "result of run %zu is not a JSON object: %s", task, je.text);
        json_decref(root);
        return GP_ERR_BAD_JSON;
    }
    gp_sweep_outcome *o = calloc(1, sizeof(*o));
    json_int_t t = 0, v = 0, p = 0, seed = 0, ms = 0;
    json_t *passed = json_object_get(root, "passed");
    uint32_t want_v, want_p;
    uint64_t want_seed;
    gp_sweep_task(sw, task, &want_v, &want_p, &want_seed);
    int rc = o ? GP_OK : GP_ERR_NOMEM;
    if (rc == GP_OK &&
        (!get_int(root, "task", &t) || !get_int(root, "variant", &v) ||
         !get_int(root, "point", &p) || !get_int(root, "seed", &seed) ||
         !get_int(root, "virtual_ms", &ms) || !json_is_boolean(passed) ||
         !get_real(root, "transition_success_rate", &o->row.transition_success_rate) ||
         !get_real(root, "completion_rate", &o->row.completion_rate))) {
        snprintf(err, err_len, "result of run %zu: a field is missing or of the wrong type", task);
        rc = GP_ERR_BAD_FIELD;
    }
    if (rc == GP_OK && ((size_t)t != task || (uint32_t)v != want_v || (uint32_t)p != want_p ||
                        (uint64_t)seed != want_seed)) {
        snprintf(err, err_len, "result of run %zu says it is run %lld (variant %lld, point "
                               "%lld, seed %llu): not this sweep's",
                 task, (long long)t, (long long)v, (long long)p, (unsigned long long)seed);
        rc = GP_ERR_BAD_FIELD;
    }
    if (rc == GP_OK && !take_checks(root, o, err, err_len))
        rc = GP_ERR_BAD_FIELD;
    if (rc == GP_OK) {
        o->row.variant = want_v;
        o->row.point = want_p;
        o->row.seed = want_seed;
        o->row.passed = json_is_true(passed);
        o->virtual_ms = (uint64_t)ms;
        gp_sweep_record(sw, o);
    }
    free(o);
    json_decref(root);
    return rc;
}

/* ---- over worker processes ------------------------------------------------------ */

typedef struct exec_ctx {
    const gp_sweep *sw;
    const size_t *list; /* jobs task k is the sweep's run list[k] */
    const gp_sweep_exec *ex;
} exec_ctx;

static int work(void *ctx, size_t k, FILE *out)
{
    const exec_ctx *x = ctx;
    char err[GP_SCENARIO_ERR_MAX + 200];
    int rc = gp_sweep_run_task(x->sw, x->list[k], x->ex->interrupt, out, err, sizeof(err));
    if (rc != GP_OK) /* the output is then the reason */
        fputs(err, out);
    return rc;
}

static void on_done(void *ctx, size_t k, const gp_jobs_result *r, size_t finished, size_t total)
{
    const exec_ctx *x = ctx;
    if (!x->ex->progress || r->status != GP_OK)
        return;
    gp_sweep_row row = {0};
    gp_sweep_task(x->sw, x->list[k], &row.variant, &row.point, &row.seed);
    x->ex->progress(x->ex->progress_ctx, finished, total, x->sw, &row);
}

/* "FIELD=VALUE, seed S [VARIANT]" of run t. */
static void run_name(const gp_sweep *sw, size_t t, char *out, size_t out_len)
{
    gp_sweep_row row;
    char value[64];
    gp_sweep_task(sw, t, &row.variant, &row.point, &row.seed);
    gp_sweep_value_text(gp_sweep_value(&sw->spec, row.point), value, sizeof(value));
    snprintf(out, out_len, "%s=%s, seed %llu%s%s%s", sw->spec.field, value,
             (unsigned long long)row.seed, sw->spec.variants_len ? " [" : "",
             sw->spec.variants_len ? sw->spec.variants[row.variant] : "",
             sw->spec.variants_len ? "]" : "");
}

/* Records the results in task order.  GP_OK or the first error (err). */
static int take_all(gp_sweep *sw, const size_t *list, gp_jobs_result *results, size_t n,
                    FILE *copy, char *err, size_t err_len)
{
    for (size_t k = 0; k < n; k++) {
        const gp_jobs_result *r = &results[k];
        char name[GP_SWEEP_VARIANT_LEN_MAX + 200];
        run_name(sw, list[k], name, sizeof(name));
        if (r->status != GP_OK) {
            snprintf(err, err_len, "run %s: %s", name, r->out ? r->out : "failed");
            return r->status < 0 ? r->status : GP_ERR_INVALID_ARG;
        }
        int rc = gp_sweep_take(sw, list[k], r->out, r->len, err, err_len);
        if (rc != GP_OK)
            return rc;
        if (copy && fwrite(r->out, 1, r->len, copy) != r->len) {
            snprintf(err, err_len, "cannot write the shard's results");
            return GP_ERR_IO;
        }
    }
    return GP_OK;
}

int gp_sweep_execute(gp_sweep *sw, const gp_sweep_exec *ex, bool *interrupted, char *err,
                     size_t err_len)
{
    *interrupted = false;
    size_t all = gp_sweep_task_count(&sw->spec), n = 0;
    uint32_t shards = ex->shards ? ex->shards : 1, shard = ex->shards ? ex->shard : 0;
    size_t *list = malloc((all ? all : 1) * sizeof(*list));
    gp_jobs_result *results = calloc(all ? all : 1, sizeof(*results));
    if (!list || !results || gp_sweep_begin(sw) != GP_OK) {
        free(list);
        free(results);
        snprintf(err, err_len, "out of memory for %zu runs", all);
        return GP_ERR_NOMEM;
    }
    for (size_t t = shard; t < all; t += shards)
        list[n++] = t;
    exec_ctx x = {.sw = sw, .list = list, .ex = ex};
    gp_jobs_hooks hooks = {.interrupt = ex->interrupt, .done = on_done, .done_ctx = &x};
    char jerr[600];
    int jr = gp_jobs_run(n, ex->jobs ? ex->jobs : 1, work, &x, &hooks, results, jerr,
                         sizeof(jerr));
    int rc = GP_OK;
    if (jr == GP_JOBS_INTERRUPTED) {
        *interrupted = true;
        snprintf(err, err_len, "%s", jerr);
        rc = GP_ERR_INVALID_ARG;
    } else if (jr == GP_JOBS_CRASHED) {
        char name[GP_SWEEP_VARIANT_LEN_MAX + 200] = "?";
        for (size_t k = 0; k < n; k++)
            if (results[k].lost)
                run_name(sw, list[k], name, sizeof(name));
        snprintf(err, err_len, "the run %s crashed: %s (replay it with goldpath run to see "
                               "why)", name, jerr);
        rc = GP_ERR_INVALID_ARG;
    } else if (jr != GP_JOBS_OK) {
        snprintf(err, err_len, "%s", jerr);
        rc = jr == GP_JOBS_NOMEM ? GP_ERR_NOMEM : GP_ERR_IO;
    } else {
        rc = take_all(sw, list, results, n, ex->results, err, err_len);
    }
    gp_jobs_results_free(results, n);
    free(results);
    free(list);
    return rc;
}
