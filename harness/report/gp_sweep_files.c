/* gp_sweep_files.c: writes a sweep's folder and JUnit; see
 * gp_sweep_files.h. */
#include "gp_sweep_files.h"
#include "gp_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "gp_esc.h"
#include "gp_files.h"
#include "gp_junit.h"

static int write_rows(const gp_sweep *sw, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "sweep.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "variant,value,seed,transition_success_rate,completion_rate,passed\n");
    for (size_t i = 0; i < sw->rows_len; i++) {
        const gp_sweep_row *r = &sw->rows[i];
        char value[64];
        gp_sweep_value_text(gp_sweep_value(&sw->spec, r->point), value, sizeof(value));
        gp_esc_csv(f, gp_sweep_variant_label(&sw->spec, r->variant));
        fprintf(f, ",%s,%llu,%.6f,%.6f,%d\n", value, (unsigned long long)r->seed,
                r->transition_success_rate, r->completion_rate, r->passed);
    }
    return gp_files_close(f, dir, "sweep.csv", err, err_len);
}

static int write_summary(const gp_sweep *sw, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "sweep_summary.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "variant_index,value,runs,passed_runs,transition_success_rate_min,"
               "transition_success_rate_mean,transition_success_rate_max,completion_rate_min,"
               "completion_rate_mean,completion_rate_max,variant\n");
    for (uint32_t v = 0; v < gp_sweep_variant_count(&sw->spec); v++)
        for (uint32_t p = 0; p < sw->spec.points; p++) {
            const gp_sweep_point *pt = &sw->agg[v * sw->spec.points + p];
            char value[64];
            gp_sweep_value_text(gp_sweep_value(&sw->spec, p), value, sizeof(value));
            fprintf(f, "%u,%s,%u,%u,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,", v, value, pt->runs,
                    pt->passed_runs, pt->tsr_min, pt->tsr_mean, pt->tsr_max, pt->cr_min,
                    pt->cr_mean, pt->cr_max);
            gp_esc_csv(f, gp_sweep_variant_label(&sw->spec, v));
            fputc('\n', f);
        }
    return gp_files_close(f, dir, "sweep_summary.csv", err, err_len);
}

static json_t *points_json(const gp_sweep *sw)
{
    json_t *arr = json_array();
    for (uint32_t v = 0; v < gp_sweep_variant_count(&sw->spec); v++)
        for (uint32_t p = 0; p < sw->spec.points; p++) {
            const gp_sweep_point *pt = &sw->agg[v * sw->spec.points + p];
            char replay[4096], value[64];
            gp_sweep_value_text(gp_sweep_value(&sw->spec, p), value, sizeof(value));
            json_t *failed = json_object();
            uint64_t seed = sw->base.seed;
            for (int k = 0; k < GP_CHECK_COUNT; k++)
                if (pt->failed[k]) {
                    json_object_set_new(failed, gp_check_name((gp_check)k),
                                        json_integer(pt->failed[k]));
                    if (seed == sw->base.seed)
                        seed = pt->first_failed_seed[k];
                }
            gp_sweep_replay(sw, v, p, seed, replay, sizeof(replay));
            json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:i, s:i, s:o, s:s}",
                "variant", (int)v, "variant_label", gp_sweep_variant_label(&sw->spec, v),
                "value", value, "runs", (int)pt->runs, "passed_runs", (int)pt->passed_runs,
                "failed_checks", failed, "replay", replay));
        }
    return arr;
}

static int write_meta(const gp_sweep *sw, const char *dir, const char *command, char *err,
                      size_t err_len)
{
    json_t *variants = json_array();
    for (uint32_t v = 0; v < gp_sweep_variant_count(&sw->spec); v++)
        json_array_append_new(variants, json_string(gp_sweep_variant_label(&sw->spec, v)));
    char from[64], to[64], step[64];
    gp_sweep_value_text(sw->spec.from, from, sizeof(from));
    gp_sweep_value_text(sw->spec.to, to, sizeof(to));
    gp_sweep_value_text(sw->spec.step, step, sizeof(step));
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:i, s:o, s:b}",
        "goldpath_sweep", "1", "scenario", sw->base.name,
        "scenario_file", sw->scenario_arg[0] ? sw->scenario_arg : sw->base.path,
        "description", sw->base.description, "field", sw->spec.field, "from", from, "to", to,
        "step", step, "points", (int)sw->spec.points, "seeds", (int)sw->spec.seeds,
        "first_seed", (json_int_t)sw->base.seed, "clients", (int)sw->base.clients.count,
        "variants", variants, "compare", sw->spec.variants_len > 0);
    if (!root) {
        snprintf(err, err_len, "out of memory writing sweep.json");
        return GP_ERR_IO;
    }
    json_object_set_new(root, "command", json_string(command ? command : ""));
    json_object_set_new(root, "points_detail", points_json(sw));
    char path[1200];
    snprintf(path, sizeof(path), "%s/sweep.json", dir);
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
    json_decref(root);
    if (rc != 0) {
        snprintf(err, err_len, "%s: cannot write", path);
        return GP_ERR_IO;
    }
    return 0;
}

int gp_sweep_write(const gp_sweep *sw, const char *dir, const char *command, char *err,
                   size_t err_len)
{
    if (gp_files_mkdirs(dir, err, err_len) != 0)
        return GP_ERR_IO;
    if (write_rows(sw, dir, err, err_len) != 0 || write_summary(sw, dir, err, err_len) != 0 ||
        write_meta(sw, dir, command, err, err_len) != 0)
        return GP_ERR_IO;
    char *scenario = gp_scenario_to_json(&sw->base);
    FILE *f = scenario ? gp_files_open(dir, "scenario.json", err, err_len) : NULL;
    if (!scenario)
        snprintf(err, err_len, "out of memory writing scenario.json");
    if (f) {
        fputs(scenario, f);
        fputc('\n', f);
    }
    free(scenario);
    return f ? gp_files_close(f, dir, "scenario.json", err, err_len) : -1;
}

void gp_sweep_point_name(const gp_sweep *sw, uint32_t v, uint32_t p, char *out, size_t out_len)
{
    char value[64];
    gp_sweep_value_text(gp_sweep_value(&sw->spec, p), value, sizeof(value));
    if (sw->spec.variants_len)
        snprintf(out, out_len, "goldpath.%s %s=%s [%s]", sw->base.name, sw->spec.field, value,
                 sw->spec.variants[v]);
    else
        snprintf(out, out_len, "goldpath.%s %s=%s", sw->base.name, sw->spec.field, value);
}

static void junit_point(FILE *f, const gp_sweep *sw, uint32_t v, uint32_t p)
{
    const gp_sweep_point *pt = &sw->agg[v * sw->spec.points + p];
    char name[1024], value[64], classname[GP_SCENARIO_NAME_MAX + 16];
    gp_sweep_point_name(sw, v, p, name, sizeof(name));
    gp_sweep_value_text(gp_sweep_value(&sw->spec, p), value, sizeof(value));
    snprintf(classname, sizeof(classname), "goldpath.%s", sw->base.name);
    unsigned failures = 0, skipped = 0;
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        failures += pt->failed[k] > 0;
        skipped += pt->failed[k] == 0 && pt->skipped[k] == pt->runs;
    }
    /* simulated runs: their virtual time, no timestamp (same bytes) */
    gp_junit_suite_begin(f, name, GP_CHECK_COUNT, failures, skipped,
                         (double)pt->virtual_ms / 1000.0, NULL);
    gp_junit_props_begin(f);
    gp_junit_prop(f, "field", sw->spec.field);
    gp_junit_prop(f, "value", value);
    gp_junit_prop(f, "variant", gp_sweep_variant_label(&sw->spec, v));
    char seeds[64];
    snprintf(seeds, sizeof(seeds), "%llu..%llu", (unsigned long long)sw->base.seed,
             (unsigned long long)(sw->base.seed + sw->spec.seeds - 1));
    gp_junit_prop(f, "seeds", seeds);
    gp_junit_props_end(f);
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        /* the point in the case name keeps (classname, name) unique */
        char check[GP_SWEEP_VARIANT_LEN_MAX + 256];
        if (sw->spec.variants_len)
            snprintf(check, sizeof(check), "%s [%s=%s; %s]", gp_check_name((gp_check)k),
                     sw->spec.field, value, sw->spec.variants[v]);
        else
            snprintf(check, sizeof(check), "%s [%s=%s]", gp_check_name((gp_check)k),
                     sw->spec.field, value);
        if (pt->failed[k]) {
            char msg[GP_SWEEP_DETAIL_MAX + 120], text[4200], replay[4096];
            snprintf(msg, sizeof(msg), "failed for %u of %u seeds; seed %llu: %s", pt->failed[k],
                     pt->runs, (unsigned long long)pt->first_failed_seed[k],
                     pt->first_failed_detail[k]);
            gp_sweep_replay(sw, v, p, pt->first_failed_seed[k], replay, sizeof(replay));
            snprintf(text, sizeof(text), "passing means: %s\nreplay: %s\n",
                     gp_check_summary((gp_check)k), replay);
            gp_junit_case(f, classname, check, "failed", msg, text, 0.0);
        } else if (pt->skipped[k] == pt->runs) {
            gp_junit_case(f, classname, check, "skipped", "not judged in these runs", "", 0.0);
        } else {
            gp_junit_case(f, classname, check, "passed", "", "", 0.0);
        }
    }
    gp_junit_suite_end(f);
}

int gp_sweep_write_junit(const gp_sweep *sw, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return GP_ERR_IO;
    }
    unsigned tests = 0, failures = 0;
    uint64_t virtual_ms = 0;
    uint32_t nv = gp_sweep_variant_count(&sw->spec);
    for (uint32_t i = 0; i < nv * sw->spec.points; i++) {
        const gp_sweep_point *pt = &sw->agg[i];
        virtual_ms += pt->virtual_ms;
        for (int k = 0; k < GP_CHECK_COUNT; k++) {
            tests++;
            failures += pt->failed[k] > 0;
        }
    }
    gp_junit_begin(f, "goldpath sweep", tests, failures, (double)virtual_ms / 1000.0);
    for (uint32_t v = 0; v < nv; v++)
        for (uint32_t p = 0; p < sw->spec.points; p++)
            junit_point(f, sw, v, p);
    gp_junit_end(f);
    if (fclose(f) != 0) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return GP_ERR_IO;
    }
    return 0;
}
