/* gp_html_sweep.c: a sweep folder's report.html; see gp_html_sweep.h. */
#include "gp_html_sweep.h"
#include "gp_error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gp_csv.h"
#include "gp_esc.h"
#include "gp_files.h"
#include "gp_html.h"
#include "gp_sweep_plot.h"

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void th_td(FILE *f, const char *name, const char *value, bool code)
{
    fputs("<tr><th>", f);
    gp_esc_xml(f, name);
    fputs(code ? "</th><td><code>" : "</th><td>", f);
    gp_esc_xml(f, value);
    fputs(code ? "</code></td></tr>\n" : "</td></tr>\n", f);
}

static void section_settings(FILE *f, json_t *m)
{
    char buf[512];
    fputs("<h1>goldpath sweep: ", f);
    gp_esc_xml(f, jstr(m, "scenario"));
    fputs("</h1>\n", f);
    if (*jstr(m, "description")) {
        fputs("<p>", f);
        gp_esc_xml(f, jstr(m, "description"));
        fputs("</p>\n", f);
    }
    fputs("<table>\n", f);
    th_td(f, "scenario file", jstr(m, "scenario_file"), false);
    snprintf(buf, sizeof(buf), "%s from %s to %s by %s (%lld values)", jstr(m, "field"),
             jstr(m, "from"), jstr(m, "to"), jstr(m, "step"),
             (long long)json_integer_value(json_object_get(m, "points")));
    th_td(f, "varied field", buf, false);
    long long seeds = (long long)json_integer_value(json_object_get(m, "seeds"));
    long long first = (long long)json_integer_value(json_object_get(m, "first_seed"));
    snprintf(buf, sizeof(buf), "%lld per value (%lld to %lld)", seeds, first, first + seeds - 1);
    th_td(f, "seeds", buf, false);
    snprintf(buf, sizeof(buf), "%lld per run",
             (long long)json_integer_value(json_object_get(m, "clients")));
    th_td(f, "clients", buf, false);
    if (json_is_true(json_object_get(m, "compare"))) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(m, "variants"), i, v) {
            snprintf(buf, sizeof(buf), "variant %zu", i + 1);
            th_td(f, buf, json_string_value(v) ? json_string_value(v) : "", true);
        }
    }
    if (*jstr(m, "command"))
        th_td(f, "command", jstr(m, "command"), true);
    fputs("</table>\n", f);
}

static void section_plots(FILE *f, const char *dir, const char *plots_note)
{
    fputs("<h2>Plots</h2>\n", f);
    if (plots_note) {
        fputs("<p class=\"note\">", f);
        gp_esc_xml(f, plots_note);
        fputs("</p>\n", f);
    }
    for (int p = 0; p < GP_SWEEP_PLOT_COUNT; p++)
        gp_html_plot(f, dir, gp_sweep_plot_stem((gp_sweep_plot)p),
                     gp_sweep_plot_heading((gp_sweep_plot)p));
}

/* mean, and min to max below it */
static void rate_cells(FILE *f, const gp_csv *t, size_t r, const char *metric)
{
    char col[96];
    double v[3];
    static const char *const parts[] = {"min", "mean", "max"};
    for (int k = 0; k < 3; k++) {
        snprintf(col, sizeof(col), "%s_%s", metric, parts[k]);
        v[k] = gp_csv_num(t, r, gp_csv_col(t, col));
    }
    fprintf(f, "<td class=\"num\">%.4f<br><span class=\"muted nw\">%.4f&ndash;%.4f</span></td>",
            v[1], v[0], v[2]);
}

static void section_points(FILE *f, const char *dir, json_t *m)
{
    char path[1200], err[1300];
    snprintf(path, sizeof(path), "%s/sweep_summary.csv", dir);
    gp_csv t;
    fputs("<h2>Points</h2>\n<p class=\"muted\">Rates: the mean over the seeds, and below it min "
          "to max. A run "
          "passes when every check of the scenario holds; failed checks are counted over the "
          "seeds. Where a check failed, the replay command reruns the first seed that failed "
          "it.</p>\n",
          f);
    if (gp_csv_load(&t, path, err, sizeof(err)) != 0) {
        fputs("<p class=\"note\">", f);
        gp_esc_xml(f, err);
        fputs("</p>\n", f);
        return;
    }
    fputs("<table>\n<tr><th>variant</th><th>value</th><th>runs passed</th>"
          "<th>transition success rate</th><th>completion rate</th><th>failed checks</th>"
          "<th>replay</th></tr>\n",
          f);
    json_t *details = json_object_get(m, "points_detail");
    for (size_t r = 0; r < t.nrows; r++) {
        json_t *d = json_array_get(details, r);
        long long runs = (long long)gp_csv_num(&t, r, gp_csv_col(&t, "runs"));
        long long passed = (long long)gp_csv_num(&t, r, gp_csv_col(&t, "passed_runs"));
        fputs("<tr><td class=\"check\"><code>", f);
        gp_esc_xml(f, gp_csv_cell(&t, r, gp_csv_col(&t, "variant")));
        fputs("</code></td>", f);
        gp_html_td_class(f, "num", gp_csv_cell(&t, r, gp_csv_col(&t, "value")));
        fprintf(f, "<td class=\"num %s\">%lld of %lld</td>", passed == runs ? "passed" : "failed",
                passed, runs);
        rate_cells(f, &t, r, "transition_success_rate");
        rate_cells(f, &t, r, "completion_rate");
        fputs("<td class=\"check\">", f);
        const char *check;
        json_t *n;
        bool any = false;
        json_object_foreach(json_object_get(d, "failed_checks"), check, n) {
            fprintf(f, "%s<span class=\"nw\"><code>", any ? "<br>" : "");
            gp_esc_xml(f, check);
            fprintf(f, "</code> &times;%lld</span>", (long long)json_integer_value(n));
            any = true;
        }
        /* a replay command where a check failed, only */
        fputs(any ? "</td><td class=\"replay\">" : "none</td><td class=\"replay\">", f);
        if (any)
            gp_html_command(f, jstr(d, "replay"));
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    gp_csv_free(&t);
}

int gp_html_sweep_write(const char *dir, const char *plots_note, char *err, size_t err_len)
{
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/sweep.json", dir);
    json_t *m = json_load_file(path, 0, &je);
    if (!m) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return GP_ERR_IO;
    }
    FILE *f = gp_files_open(dir, "report.html", err, err_len);
    if (!f) {
        json_decref(m);
        return GP_ERR_IO;
    }
    char title[400];
    snprintf(title, sizeof(title), "goldpath sweep: %s, %s", jstr(m, "scenario"), jstr(m, "field"));
    gp_html_begin(f, title);
    section_settings(f, m);
    section_plots(f, dir, plots_note);
    section_points(f, dir, m);
    fputs("<h2>Files</h2>\n<ul>\n", f);
    gp_html_file_link(f, dir, "sweep.csv", "one row per run: variant, value, seed, rates, passed");
    gp_html_file_link(f, dir, "sweep_summary.csv", "min/mean/max per (variant, value): what the plots draw");
    gp_html_file_link(f, dir, "sweep.json", "the sweep's settings and per-point details");
    gp_html_file_link(f, dir, "sweep.gp", "the gnuplot script (cd here; gnuplot sweep.gp)");
    gp_html_file_link(f, dir, "scenario.json", "the scenario before the variants and the varied field");
    fputs("</ul>\n<h2>Scenario</h2>\n", f);
    gp_html_pre_file(f, dir, "scenario.json");
    gp_html_end(f);
    json_decref(m);
    return gp_files_close(f, dir, "report.html", err, err_len);
}
