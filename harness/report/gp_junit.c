/* gp_junit.c: JUnit XML writer; see gp_junit.h. */
#include "gp_junit.h"
#include "gp_error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_esc.h"
#include "gp_html_run.h"

void gp_junit_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                    double time_s)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", f);
    gp_esc_xml(f, name);
    fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" time=\"%.3f\">\n", tests,
            failures, time_s);
}

void gp_junit_end(FILE *f)
{
    fputs("</testsuites>\n", f);
}

void gp_junit_suite_begin(FILE *f, const char *name, unsigned tests, unsigned failures,
                          unsigned skipped, double time_s, const char *timestamp)
{
    fputs("  <testsuite name=\"", f);
    gp_esc_xml(f, name);
    fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"%.3f\"",
            tests, failures, skipped, time_s);
    if (timestamp && *timestamp) {
        fputs(" timestamp=\"", f);
        gp_esc_xml(f, timestamp);
        fputc('"', f);
    }
    fputs(">\n", f);
}

void gp_junit_suite_end(FILE *f)
{
    fputs("  </testsuite>\n", f);
}

void gp_junit_props_begin(FILE *f)
{
    fputs("    <properties>\n", f);
}

void gp_junit_prop(FILE *f, const char *name, const char *value)
{
    fputs("      <property name=\"", f);
    gp_esc_xml(f, name);
    fputs("\" value=\"", f);
    gp_esc_xml(f, value);
    fputs("\"/>\n", f);
}

void gp_junit_props_end(FILE *f)
{
    fputs("    </properties>\n", f);
}

void gp_junit_case(FILE *f, const char *classname, const char *name, const char *status,
                   const char *message, const char *text, double time_s)
{
    fputs("    <testcase classname=\"", f);
    gp_esc_xml(f, classname);
    fputs("\" name=\"", f);
    gp_esc_xml(f, name);
    fprintf(f, "\" time=\"%.3f", time_s);
    if (strcmp(status, "failed") == 0) {
        fputs("\">\n      <failure type=\"check_failed\" message=\"", f);
        gp_esc_xml(f, message);
        fputs("\">", f);
        gp_esc_xml(f, text);
        fputs("</failure>\n    </testcase>\n", f);
    } else if (strcmp(status, "skipped") == 0) {
        fputs("\">\n      <skipped message=\"", f);
        gp_esc_xml(f, message);
        fputs("\"/>\n    </testcase>\n", f);
    } else {
        fputs("\"/>\n", f);
    }
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The body of a failed check: what passing means, what was found, and how
 * to replay the example clients. */
static char *failure_text(json_t *c, const char *replay)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    fprintf(m, "passing means: %s\nfound: %s\n", jstr(c, "what"), jstr(c, "detail"));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c, "examples"), i, e) {
        fprintf(m, "client %lld (%s%s%s): %s\n",
                (long long)json_integer_value(json_object_get(e, "client")), jstr(e, "outcome"),
                *jstr(e, "reason") ? ": " : "", jstr(e, "reason"), jstr(e, "replay"));
    }
    if (replay && *replay)
        fprintf(m, "the whole run: %s\n", replay);
    fclose(m);
    return buf;
}

/* The run's length in seconds and, live only, when it started: from
 * perf.json (wall clock) for a live run, summary.json's virtual end_ms in
 * simulation, which has no timestamp so that the file is the same bytes for
 * the same seed. */
static double run_time(const char *dir, json_t *s, char *stamp, size_t stamp_len)
{
    stamp[0] = '\0';
    const char *mode = jstr(s, "mode");
    if (strcmp(mode, "live") != 0)
        return (double)json_integer_value(json_object_get(s, "end_ms")) / 1000.0;
    char path[1200];
    snprintf(path, sizeof(path), "%s/perf.json", dir);
    json_t *p = json_load_file(path, 0, NULL);
    double t = json_number_value(json_object_get(p, "wall_s"));
    snprintf(stamp, stamp_len, "%s", jstr(p, "started_utc"));
    json_decref(p);
    return t;
}

static void write_run(FILE *f, json_t *s, const char *replay, double time_s, const char *stamp)
{
    char suite[300], seed[32];
    snprintf(suite, sizeof(suite), "goldpath.%s", jstr(s, "scenario"));
    json_t *js = json_object_get(s, "seed");
    if (json_is_integer(js))
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)json_integer_value(js));
    else
        snprintf(seed, sizeof(seed), "%s", jstr(s, "seed"));
    /* one case per expectation: every check (a bug scenario's expected
     * violations pass when caught), then latency thresholds and log
     * signatures */
    json_t *lists[2] = {json_object_get(s, "checks"), json_object_get(s, "expectations")};
    unsigned tests = 0, failures = 0, skipped = 0;
    size_t i;
    json_t *c;
    for (int l = 0; l < 2; l++)
        json_array_foreach(lists[l], i, c) {
            const char *st = jstr(c, "status");
            tests++;
            failures += strcmp(st, "failed") == 0 || strcmp(st, "missed") == 0 ||
                        strcmp(st, "unjudged") == 0;
            skipped += strcmp(st, "not_offered") == 0;
        }
    gp_junit_begin(f, "goldpath", tests, failures, time_s);
    gp_junit_suite_begin(f, suite, tests, failures, skipped, time_s, stamp);
    gp_junit_props_begin(f);
    gp_junit_prop(f, "scenario_file", jstr(s, "scenario_file"));
    gp_junit_prop(f, "seed", seed);
    gp_junit_prop(f, "mode", jstr(s, "mode"));
    gp_junit_prop(f, "replay", replay);
    gp_junit_props_end(f);
    for (int l = 0; l < 2; l++)
        json_array_foreach(lists[l], i, c) {
            const char *st = jstr(c, "status");
            const char *status = strcmp(st, "passed") == 0 || strcmp(st, "caught") == 0
                                     ? "passed"
                                 : strcmp(st, "not_offered") == 0 ? "skipped"
                                                                  : "failed";
            char name[200];
            snprintf(name, sizeof(name), "%s%s", jstr(c, "name"),
                     json_is_true(json_object_get(c, "expected_violation"))
                         ? " (expected violation)"
                         : "");
            char *text = failure_text(c, replay);
            char detail[600];
            snprintf(detail, sizeof(detail), "%s%s%s", strcmp(st, "passed") ? st : "",
                     strcmp(st, "passed") ? ": " : "", jstr(c, "detail"));
            gp_junit_case(f, suite, name, status, detail, text ? text : detail, 0.0);
            free(text);
        }
    gp_junit_suite_end(f);
    gp_junit_end(f);
}

int gp_junit_write_run(const char *dir, const char *path, char *err, size_t err_len)
{
    char in[1200], replay[1600];
    json_error_t je;
    snprintf(in, sizeof(in), "%s/summary.json", dir);
    json_t *s = json_load_file(in, 0, &je);
    if (!s) {
        snprintf(err, err_len, "%s: %s", in, je.text);
        return GP_ERR_IO;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        json_decref(s);
        return GP_ERR_IO;
    }
    char stamp[64];
    double time_s = run_time(dir, s, stamp, sizeof(stamp));
    gp_html_run_replay(dir, replay, sizeof(replay));
    write_run(f, s, replay, time_s, stamp);
    json_decref(s);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return GP_ERR_IO;
    }
    return 0;
}
