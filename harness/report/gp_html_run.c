/* gp_html_run.c: a run folder's report.html; see gp_html_run.h. */
#include "gp_html_run.h"
#include "gp_error.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gp_csv.h"
#include "gp_esc.h"
#include "gp_files.h"
#include "gp_html.h"
#include "gp_plots.h"

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* The seed as text: an integer, or a string for seeds above 2^63-1. */
static void seed_text(json_t *s, char *out, size_t out_len)
{
    json_t *js = json_object_get(s, "seed");
    if (json_is_integer(js))
        snprintf(out, out_len, "%llu", (unsigned long long)json_integer_value(js));
    else
        snprintf(out, out_len, "%s", jstr(s, "seed"));
}

void gp_html_run_replay(const char *dir, char *out, size_t out_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, GP_REPLAY_FILE);
    FILE *f = fopen(path, "r");
    if (f) {
        bool got = fgets(out, (int)out_len, f) != NULL;
        fclose(f);
        if (got) {
            out[strcspn(out, "\r\n")] = '\0';
            if (out[0])
                return;
        }
    }
    char word[1300];
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    gp_esc_shell(path, word, sizeof(word));
    snprintf(out, out_len, "goldpath run %s", word);
}

static void row_figure(FILE *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row_figure(FILE *f, const char *name, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fputs("<tr><th>", f);
    gp_esc_xml(f, name);
    fputs("</th>", f);
    gp_html_td(f, buf);
    fputs("</tr>\n", f);
}

/* The scenario's description, flagged when the command line changed values
 * it was written for (summary.json's changed_from_file). */
static void description(FILE *f, json_t *s, json_t *sc)
{
    const char *desc = jstr(sc, "description");
    json_t *changed = json_object_get(s, "changed_from_file");
    if (!*desc)
        return;
    fputs("<p>", f);
    gp_esc_xml(f, desc);
    fputs("</p>\n", f);
    if (json_array_size(changed) == 0)
        return;
    fputs("<p><span class=\"badge edited\">edited</span> The description above was written "
          "for the scenario file; this run changed ",
          f);
    size_t i;
    json_t *c;
    json_array_foreach(changed, i, c) {
        fputs(i ? ", <code>" : "<code>", f);
        gp_esc_xml(f, jstr(c, "field"));
        fputs("</code> ", f);
        gp_esc_xml(f, jstr(c, "file"));
        fputs(" &rarr; ", f);
        gp_esc_xml(f, jstr(c, "run"));
    }
    fputs(" (<code>--set</code>, <code>--seed</code>, <code>--clients</code>).</p>\n", f);
}

/* A JSON file of the folder (perf.json, live.json), or an empty object. */
static json_t *load_or_empty(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, NULL);
    return json_is_object(j) ? j : (json_decref(j), json_object());
}

static void section_summary(FILE *f, const char *dir, json_t *s, json_t *sc, const char *replay)
{
    bool passed = json_is_true(json_object_get(s, "passed"));
    fputs("<h1>goldpath run: ", f);
    gp_esc_xml(f, jstr(s, "scenario"));
    fprintf(f, " <span class=\"badge %s\">%s</span></h1>\n", passed ? "passed" : "failed",
            passed ? "PASSED" : "FAILED");
    description(f, s, sc);
    if (!passed) { /* replay commands where something failed, only */
        fputs("<p>Replay this run: ", f);
        gp_html_command(f, replay);
        fputs("</p>\n", f);
    }
    fputs("<p class=\"muted\"><a href=\"#checks\">checks</a> &middot; "
          "<a href=\"#expectations\">expectations</a> &middot; <a href=\"#log\">log</a> &middot; "
          "<a href=\"#facts\">facts</a> &middot; "
          "<a href=\"#plots\">plots</a> &middot; <a href=\"#latency\">latency</a> &middot; "
          "<a href=\"#faults\">fault ledger</a> &middot; <a href=\"#steps\">lifecycle steps</a>"
          " &middot; <a href=\"#files\">files</a> &middot; <a href=\"#scenario\">scenario</a>"
          "</p>\n<h2 id=\"summary\">Summary</h2>\n<table>\n",
          f);
    json_t *c = json_object_get(s, "clients"), *sv = json_object_get(s, "server");
    json_t *bugs = json_object_get(s, "bugs");
    char bug_list[512] = "";
    size_t i;
    json_t *b;
    json_array_foreach(bugs, i, b) {
        size_t n = strlen(bug_list);
        snprintf(bug_list + n, sizeof(bug_list) - n, "%s%s", i ? ", " : "",
                 json_string_value(b) ? json_string_value(b) : "?");
    }
    row_figure(f, "scenario file", "%s", jstr(s, "scenario_file"));
    char seed[32];
    seed_text(s, seed, sizeof(seed));
    row_figure(f, "mode, seed", "%s, %s", jstr(s, "mode"), seed);
    row_figure(f, "goldpath version", "%s", gp_html_version());
    if (strcmp(jstr(s, "mode"), "live") == 0) {
        /* a live run happened at a time, against a server: say which (a
         * simulated page has no wall clock: the same seed, the same page) */
        json_t *perf = load_or_empty(dir, "perf.json"), *live = load_or_empty(dir, "live.json");
        row_figure(f, "started (UTC)", "%s", *jstr(perf, "started_utc") ? jstr(perf, "started_utc")
                                                                         : "not recorded");
        row_figure(f, "target URL", "%s%s", *jstr(live, "url") ? jstr(live, "url") : "not recorded",
                   json_is_true(json_object_get(live, "server_started"))
                       ? " (a goldpath-server started for this run)" : "");
        row_figure(f, "wall time", "%.3f s", json_number_value(json_object_get(perf, "wall_s")));
        json_decref(perf);
        json_decref(live);
    }
    row_figure(f, "server bugs switched on", "%s", bug_list[0] ? bug_list : "none (the fixed server)");
    row_figure(f, "clients", "%lld: %lld ready, %lld of %lld expected completed", jint(c, "total"),
               jint(c, "ready"), jint(c, "completed"), jint(c, "expected_to_complete"));
    row_figure(f, "clients ending otherwise",
               "refused %lld, disconnected %lld, reset %lld, failed %lld, pending %lld",
               jint(c, "refused"), jint(c, "disconnected"), jint(c, "reset"), jint(c, "failed"),
               jint(c, "pending"));
    json_t *ob = json_object_get(s, "observed");
    long long att = jint(ob, "steps_attempted"), app = jint(ob, "steps_applied");
    row_figure(f, "lifecycle steps observed", "%lld attempted, %lld applied (%.6f), %lld illegal; "
               "%lld connections stuck", att, app, att ? (double)app / (double)att : 1.0,
               jint(ob, "illegal_steps"), jint(ob, "stuck"));
    row_figure(f, "the server's own figures", "%lld steps attempted (%lld refused), %lld stuck "
               "reported, %lld id mismatches, registry %lld",
               jint(sv, "transitions_attempted"), jint(sv, "invalid_transitions"),
               jint(sv, "stuck_detected"), jint(sv, "connection_id_mismatches"),
               jint(sv, "registry_left"));
    json_t *ev = json_object_get(s, "evidence");
    row_figure(f, "evidence", "lifecycle steps %s, server log %s, /health %s%s%s",
               json_is_true(json_object_get(ev, "lifecycle")) ? "yes" : "no",
               json_is_true(json_object_get(ev, "log")) ? "yes" : "no",
               json_is_true(json_object_get(ev, "health")) ? "yes" : "no",
               *jstr(ev, "missing_because") ? "; missing: " : "", jstr(ev, "missing_because"));
    row_figure(f, "run length", "%lld ms%s, %lld events", jint(s, "end_ms"),
               strcmp(jstr(s, "mode"), "live") ? " of virtual time" : "", jint(s, "events"));
    fputs("</table>\n", f);
}

/* The CSS class of a verdict: green when the run passes by it. */
static const char *verdict_class(const char *status)
{
    if (strcmp(status, "passed") == 0 || strcmp(status, "caught") == 0)
        return "passed";
    if (strcmp(status, "not_offered") == 0)
        return "skipped";
    return "failed";
}

static void results_table(FILE *f, json_t *list, const char *replay, const char *heading)
{
    fprintf(f, "<table>\n<tr><th>result</th><th>%s</th><th>passing means</th><th>found</th>"
               "<th>judged from</th><th>replay</th></tr>\n", heading);
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c) {
        const char *status = jstr(c, "status");
        const char *cls = verdict_class(status);
        fputs("<tr>", f);
        gp_html_td_class(f, cls, status);
        fputs("<td class=\"check\"><code>", f);
        gp_esc_xml(f, jstr(c, "name"));
        fputs("</code>", f);
        if (json_is_true(json_object_get(c, "expected_violation")))
            fputs(" <span class=\"muted\">(expected violation)</span>", f);
        fputs("</td>", f);
        gp_html_td(f, jstr(c, "what"));
        gp_html_td(f, jstr(c, "detail"));
        gp_html_td(f, jstr(c, "evidence"));
        fputs("<td class=\"replay\">", f);
        json_t *ex = json_object_get(c, "examples");
        if (strcmp(cls, "failed") == 0 && json_array_size(ex) > 0) {
            /* replay commands on failures only: the first example in full,
             * the others by number (summary.json has theirs too) */
            json_t *e = json_array_get(ex, 0);
            fprintf(f, "client %lld (", jint(e, "client"));
            gp_esc_xml(f, jstr(e, "outcome"));
            if (*jstr(e, "reason")) {
                fputs(": ", f);
                gp_esc_xml(f, jstr(e, "reason"));
            }
            fputs("):<br>", f);
            gp_html_command(f, jstr(e, "replay"));
            for (size_t k = 1; k < json_array_size(ex); k++)
                fprintf(f, "%s%lld", k == 1 ? "<br>also clients " : ", ",
                        jint(json_array_get(ex, k), "client"));
        } else if (strcmp(cls, "failed") == 0) {
            gp_html_command(f, replay);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void section_checks(FILE *f, json_t *s, const char *replay)
{
    fputs("<h2 id=\"checks\">Checks</h2>\n<p class=\"muted\">Judged from what the clients "
          "saw, what the driver did (the facts) and the lifecycle steps observed; the server's "
          "own figures are only cross-checked (<code>health_disagrees</code>). A check not "
          "judged fails the run unless the scenario says the server does not offer that "
          "evidence.</p>\n", f);
    results_table(f, json_object_get(s, "checks"), replay, "check");
    json_t *expected = json_object_get(s, "expected_violations");
    if (json_array_size(expected) > 0) {
        bool found = json_is_true(json_object_get(s, "expected_violations_found"));
        fputs("<p>This scenario expects these violations (a bug of the catalog is on): ", f);
        size_t k;
        json_t *v;
        json_array_foreach(expected, k, v) {
            fputs(k ? ", <code>" : "<code>", f);
            gp_esc_xml(f, json_string_value(v));
            fputs("</code>", f);
        }
        fprintf(f, ". <span class=\"badge %s\">%s</span></p>\n", found ? "passed" : "failed",
                found ? "all caught" : "NOT all caught");
    }
    fputs("<h3 id=\"expectations\">Expectations</h3>\n", f);
    results_table(f, json_object_get(s, "expectations"), replay, "expectation");
}

static void section_log(FILE *f, json_t *s)
{
    json_t *log = json_object_get(s, "log");
    fputs("<h2 id=\"log\">The server's log</h2>\n", f);
    if (!json_is_true(json_object_get(log, "read"))) {
        fputs("<p class=\"note\">The server's log was not read: no signature was counted.</p>\n", f);
        return;
    }
    fprintf(f, "<p class=\"muted\">%lld warnings, %lld errors (<a href=\"server.log\">server.log</a>). "
               "The incident's signatures:</p>\n<table>\n<tr><th>signature</th><th>lines</th>"
               "<th>connections</th><th>most on one</th></tr>\n",
            jint(log, "warnings"), jint(log, "errors"));
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(log, "signatures"), i, g) {
        fputs("<tr>", f);
        gp_html_td(f, jstr(g, "name"));
        fprintf(f, "<td class=\"num\">%lld</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>\n",
                jint(g, "count"), jint(g, "connections"), jint(g, "max_per_connection"));
    }
    fputs("</table>\n", f);
    json_t *classes = json_object_get(log, "classes");
    if (json_array_size(classes) == 0)
        return;
    fputs("<p class=\"muted\">Every other WARNING and ERROR line, by class:</p>\n<table>\n"
          "<tr><th>level</th><th>line</th><th>count</th></tr>\n", f);
    json_array_foreach(classes, i, g) {
        fputs("<tr>", f);
        gp_html_td(f, jstr(g, "level"));
        fputs("<td><code>", f);
        gp_esc_xml(f, jstr(g, "text"));
        fprintf(f, "</code></td><td class=\"num\">%lld</td></tr>\n", jint(g, "count"));
    }
    fputs("</table>\n", f);
}

static void section_facts(FILE *f, json_t *s)
{
    json_t *x = json_object_get(s, "facts");
    fputs("<h2 id=\"facts\">Facts</h2>\n<p class=\"muted\">What the driver actually did to "
          "the clients and their messages: the only things that may excuse an anomaly.</p>\n"
          "<table>\n", f);
    const char *key;
    json_t *v;
    json_object_foreach(x, key, v) {
        if (!json_is_integer(v))
            continue;
        fputs("<tr>", f);
        gp_html_td(f, key);
        fprintf(f, "<td class=\"num\">%lld</td></tr>\n", (long long)json_integer_value(v));
    }
    fputs("</table>\n", f);
}

static void section_plots(FILE *f, const char *dir, const char *plots_note)
{
    fputs("<h2 id=\"plots\">Plots</h2>\n", f);
    if (plots_note) {
        fputs("<p class=\"note\">", f);
        gp_esc_xml(f, plots_note);
        fputs("</p>\n", f);
    }
    for (int p = 0; p < GP_PLOT_COUNT; p++) {
        fputs("<h3>", f);
        gp_esc_xml(f, gp_plot_heading((gp_plot)p));
        fputs("</h3>\n", f);
        if (gp_html_plot(f, dir, gp_plot_stem((gp_plot)p), gp_plot_heading((gp_plot)p)))
            continue;
        if (p == GP_PLOT_FAULTS && !plots_note)
            fputs("<p class=\"muted\">No fault was configured or fired: nothing to plot.</p>\n", f);
        else
            fputs("<p class=\"muted\">Not drawn.</p>\n", f);
    }
}

static void section_latency(FILE *f, json_t *s)
{
    fprintf(f, "<h2 id=\"latency\">Latency</h2>\n<p class=\"muted\">Milliseconds%s, over the clients that got "
               "there.</p>\n<table>\n<tr><th>from start to</th><th>n</th><th>p50</th><th>p90</th>"
               "<th>p99</th><th>max</th></tr>\n",
            strcmp(jstr(s, "mode"), "live") ? " of virtual time" : "");
    const char *key;
    json_t *p;
    json_object_foreach(json_object_get(s, "latency_ms"), key, p) {
        fputs("<tr>", f);
        gp_html_td(f, key);
        fprintf(f, "<td class=\"num\">%lld</td>", jint(p, "n"));
        const char *cols[] = {"p50_ms", "p90_ms", "p99_ms", "max_ms"};
        for (int k = 0; k < 4; k++)
            fprintf(f, "<td class=\"num\">%.1f</td>", json_number_value(json_object_get(p, cols[k])));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A CSV file as a table, keeping the first `keep` columns and every later
 * column with a non-zero value; rows filtered by row_ok when given. */
static void csv_table(FILE *f, const char *dir, const char *name, int keep,
                      bool (*row_ok)(const gp_csv *t, size_t r), const char *empty)
{
    char path[1200], err[1300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    gp_csv t;
    if (gp_csv_load(&t, path, err, sizeof(err)) != 0) {
        fputs("<p class=\"note\">", f);
        gp_esc_xml(f, err);
        fputs("</p>\n", f);
        return;
    }
    bool show[256] = {false};
    size_t rows = 0;
    for (size_t c = 0; c < t.ncols && c < 256; c++)
        show[c] = (int)c < keep;
    for (size_t r = 0; r < t.nrows; r++) {
        if (row_ok && !row_ok(&t, r))
            continue;
        rows++;
        for (size_t c = (size_t)keep; c < t.ncols && c < 256; c++)
            show[c] |= gp_csv_num(&t, r, (int)c) != 0;
    }
    if (rows == 0) {
        fprintf(f, "<p class=\"muted\">%s</p>\n", empty);
        gp_csv_free(&t);
        return;
    }
    fputs("<table>\n<tr>", f);
    for (size_t c = 0; c < t.ncols && c < 256; c++)
        if (show[c]) {
            fputs("<th>", f);
            gp_esc_xml(f, t.cells[c]);
            fputs("</th>", f);
        }
    fputs("</tr>\n", f);
    for (size_t r = 0; r < t.nrows; r++) {
        if (row_ok && !row_ok(&t, r))
            continue;
        fputs("<tr>", f);
        for (size_t c = 0; c < t.ncols && c < 256; c++)
            if (show[c]) {
                const char *cell = gp_csv_cell(&t, r, (int)c);
                bool number = *cell && strspn(cell, "0123456789.-") == strlen(cell);
                gp_html_td_class(f, number ? "num" : "text", cell);
            }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    gp_csv_free(&t);
}

static bool attempted_row(const gp_csv *t, size_t r)
{
    return gp_csv_num(t, r, gp_csv_col(t, "attempted")) > 0;
}

static void section_files(FILE *f, const char *dir, json_t *sc)
{
    static const char *const files[][2] = {
        {"summary.json", "scenario, seed, counts, checks, expectations, facts, log signatures, latency"},
        {"server.log", "the server's log (simulation: the core's lines on the virtual clock)"},
        {"scenario.json", "the scenario as run, every field"},
        {"timeline.csv", "per time bucket: steps attempted and succeeded, connections per state"},
        {"connections.csv", "one row per client"},
        {"clients_timeline.csv", "per time bucket: opened, ready, completed; time to ready and to completed (p50, p95, p99)"},
        {"live.json", "the live run: target URL, the server's CPU and memory (wall clock)"},
        {"faults.csv", "the fault ledger"},
        {"transitions.csv", "lifecycle steps per from/to pair"},
        {"perf.json", "wall-clock figures (differ from run to run)"},
        {"latency_cdf.csv", "time to ready and to completed, cumulative shares of all clients"},
        {"heatmap.csv", "derived: transitions.csv as a grid"},
        {"plots.gp", "the gnuplot script of the plots (cd here; gnuplot plots.gp)"},
        {GP_REPLAY_FILE, "the command that replays this run"},
    };
    fputs("<h2 id=\"files\">Files</h2>\n<ul>\n", f);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        gp_html_file_link(f, dir, files[i][0], files[i][1]);
    if (json_is_false(json_object_get(json_object_get(sc, "report"), "connections_csv")))
        fputs("<li><code>connections.csv</code> &mdash; not written (<code>report.connections_csv: "
              "false</code>)</li>\n", f);
    fputs("</ul>\n", f);
}

int gp_html_run_write(const char *dir, const char *plots_note, char *err, size_t err_len)
{
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, &je);
    if (!s) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return GP_ERR_IO;
    }
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    json_t *sc = json_load_file(path, 0, &je);
    if (!sc)
        sc = json_object();
    FILE *f = gp_files_open(dir, "report.html", err, err_len);
    if (!f) {
        json_decref(s);
        json_decref(sc);
        return GP_ERR_IO;
    }
    char replay[1600], title[300], seed[32];
    gp_html_run_replay(dir, replay, sizeof(replay));
    seed_text(s, seed, sizeof(seed));
    snprintf(title, sizeof(title), "goldpath: %s (seed %s)", jstr(s, "scenario"), seed);
    gp_html_begin(f, title);
    section_summary(f, dir, s, sc, replay);
    section_checks(f, s, replay);
    section_log(f, s);
    section_facts(f, s);
    section_plots(f, dir, plots_note);
    section_latency(f, s);
    fputs("<h2 id=\"faults\">Fault ledger</h2>\n<p class=\"muted\">Each configured fault: its rate, how often "
          "it fired, and in which server-side state (not_known: no machine seen yet, or gone).</p>\n",
          f);
    csv_table(f, dir, "faults.csv", 3, NULL, "No fault was configured or fired.");
    fputs("<h2 id=\"steps\">Lifecycle steps</h2>\n<p class=\"muted\">Every from/to pair the server was "
          "observed to attempt; legal by the harness's own table; failed: refused.</p>\n",
          f);
    csv_table(f, dir, "transitions.csv", 5, attempted_row, "No lifecycle step was attempted.");
    section_files(f, dir, sc);
    fputs("<h2 id=\"scenario\">Scenario as run</h2>\n", f);
    gp_html_pre_file(f, dir, "scenario.json");
    gp_html_end(f);
    json_decref(s);
    json_decref(sc);
    return gp_files_close(f, dir, "report.html", err, err_len);
}
