/* gp_plots.c: writes a run folder's plots.gp; see gp_plots.h.  Everything
 * the script needs to know about the data (y ranges, which states and
 * faults have counts) is read from the folder here, so the script itself
 * stays plain gnuplot that a person can read and run again. */
#include "gp_plots.h"
#include "gp_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gp_csv.h"
#include "gp_esc.h"
#include "gp_html.h"
#include "gp_lifecycle.h"
#include "gp_plot_data.h"
#include "gp_plots_int.h"

static const char *const stems[] = {
#define GP_PLOT_STEM(e, stem, heading) stem,
    GP_PLOT_MAP(GP_PLOT_STEM)
#undef GP_PLOT_STEM
};
static const char *const headings[] = {
#define GP_PLOT_HEADING(e, stem, heading) heading,
    GP_PLOT_MAP(GP_PLOT_HEADING)
#undef GP_PLOT_HEADING
};

const char *gp_plot_stem(gp_plot p)
{
    return p < GP_PLOT_COUNT ? stems[p] : "unknown";
}

const char *gp_plot_heading(gp_plot p)
{
    return p < GP_PLOT_COUNT ? headings[p] : "unknown";
}

/* Colours of the states in the stacked plot, CONNECTING first. */
static const char *const state_colours[] = {"#d62728", "#ff7f0e", "#bcbd22", "#9467bd",
                                            "#2ca02c", "#8c564b", "#7f7f7f", "#17becf"};

/* The lower end of a y axis for rates: a tenth below the lowest value. */
static double rate_floor(double lo)
{
    double f = floor((lo - 0.02) * 10.0) / 10.0;
    return f < 0 ? 0 : f > 0.9 ? 0.9 : f;
}

/* "SCENARIO, seed N, MODE, bugs: a, b" (or "fixed server"): what every
 * title names. */
static void describe_run(json_t *s, plot_ctx *cx)
{
    char seed[32], bugs[300] = "";
    json_t *js = json_object_get(s, "seed");
    if (json_is_integer(js))
        snprintf(seed, sizeof(seed), "%llu", (unsigned long long)json_integer_value(js));
    else
        snprintf(seed, sizeof(seed), "%s", json_string_value(js) ? json_string_value(js) : "?");
    size_t i, used = 0;
    json_t *b;
    json_array_foreach(json_object_get(s, "bugs"), i, b) {
        const char *name = json_string_value(b);
        if (used < sizeof(bugs))
            used += (size_t)snprintf(bugs + used, sizeof(bugs) - used, "%s%s", i ? ", " : "",
                                     name ? name : "?");
    }
    const char *name = json_string_value(json_object_get(s, "scenario"));
    const char *mode = json_string_value(json_object_get(s, "mode"));
    snprintf(cx->context, sizeof(cx->context), "%s, seed %s, %s, %s%s", name ? name : "?", seed,
             mode ? mode : "sim", bugs[0] ? "bugs on: " : "fixed server (no bug on)", bugs);
}

static int read_meta(const char *dir, plot_ctx *cx, char *err, size_t err_len)
{
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    json_t *s = json_load_file(path, 0, &je);
    if (!s) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return GP_ERR_IO;
    }
    const char *mode = json_string_value(json_object_get(s, "mode"));
    cx->live = mode && strcmp(mode, "live") == 0;
    describe_run(s, cx);
    json_t *c = json_object_get(s, "clients");
    cx->clients = (unsigned long long)json_integer_value(json_object_get(c, "total"));
    cx->ready = (unsigned long long)json_integer_value(json_object_get(c, "ready"));
    cx->completed = (unsigned long long)json_integer_value(json_object_get(c, "completed"));
    json_t *ev = json_object_get(s, "evidence");
    cx->lifecycle = json_is_true(json_object_get(ev, "lifecycle"));
    const char *why = json_string_value(json_object_get(ev, "missing_because"));
    snprintf(cx->missing, sizeof(cx->missing), "%s", why ? why : "");
    json_decref(s);
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    json_t *sc = json_load_file(path, 0, &je);
    if (!sc) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return GP_ERR_IO;
    }
    cx->threshold = json_number_value(
        json_object_get(json_object_get(sc, "expect"), "min_transition_success_rate"));
    json_decref(sc);
    return 0;
}

static int read_timeline(const char *dir, plot_ctx *cx, char *err, size_t err_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/timeline.csv", dir);
    gp_csv t;
    if (gp_csv_load(&t, path, err, err_len) != 0)
        return GP_ERR_IO;
    int c_att = gp_csv_col(&t, "attempted"), c_rate = gp_csv_col(&t, "success_rate");
    if (c_att < 0 || c_rate < 0 || gp_csv_col(&t, "t_ms") < 0) {
        snprintf(err, err_len, "%s: expected columns t_ms, attempted, success_rate", path);
        gp_csv_free(&t);
        return GP_ERR_IO;
    }
    cx->rate_min = 1.0;
    for (size_t r = 0; r < t.nrows; r++) {
        if (gp_csv_num(&t, r, c_att) <= 0)
            continue; /* no attempt: no rate (an empty cell) */
        cx->buckets_attempted++;
        if (gp_csv_num(&t, r, c_rate) < cx->rate_min)
            cx->rate_min = gp_csv_num(&t, r, c_rate);
    }
    if (cx->threshold > 0 && cx->threshold < cx->rate_min)
        cx->rate_min = cx->threshold;
    for (int st = 0; st < GP_STATE_COUNT; st++) {
        int col = gp_csv_col(&t, gp_state_name((gp_state)st));
        cx->state_col[st] = col >= 0;
        for (size_t r = 0; col >= 0 && r < t.nrows; r++)
            cx->state_seen |= gp_csv_num(&t, r, col) > 0;
    }
    gp_csv_free(&t);
    return 0;
}

static int read_faults(const char *dir, plot_ctx *cx, char *err, size_t err_len)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/faults.csv", dir);
    if (gp_csv_load(&cx->faults, path, err, err_len) != 0)
        return GP_ERR_IO;
    if (gp_csv_col(&cx->faults, "fired") != 2) {
        snprintf(err, err_len, "%s: expected columns fault,rate,fired,STATE...", path);
        return GP_ERR_IO;
    }
    for (size_t c = 3; c < cx->faults.ncols && c - 3 <= GP_PLOT_STATES_MAX; c++)
        for (size_t r = 0; r < cx->faults.nrows; r++)
            if (gp_csv_num(&cx->faults, r, (int)c) > 0)
                cx->fault_state_used[c - 3] = true;
    return 0;
}

/* Why no lifecycle step can be drawn. */
static void no_steps(FILE *f, const plot_ctx *cx)
{
    char why[400];
    if (!cx->lifecycle)
        snprintf(why, sizeof(why), "no lifecycle step was observed: %s",
                 cx->missing[0] ? cx->missing : "the run had no evidence of them");
    else
        snprintf(why, sizeof(why), "no lifecycle step was observed (%llu of %llu clients "
                                   "opened a connection)", cx->opened, cx->clients);
    gp_plots_empty(f, why);
}

static void body_success_rate(FILE *f, const plot_ctx *cx)
{
    gp_plots_title(f, "Lifecycle transition success rate per time bucket (succeeded / attempted "
                      "steps; buckets without a step have no rate)", cx);
    if (cx->buckets_attempted == 0) {
        no_steps(f, cx);
        return;
    }
    fprintf(f, "set xlabel '%s'\nset ylabel 'success rate'\nset yrange [%.1f:1.02]\n"
               "set ytics nomirror\nset y2tics\nset y2label 'steps attempted in the bucket'\n"
               "set y2range [0:*]\n",
            gp_plots_time_label(cx), rate_floor(cx->rate_min));
    fprintf(f, "plot 'timeline.csv' using (column('t_ms')/1000.0):(column('attempted')) axes x1y2 "
               "with impulses lc rgb '#c0c0c0' title 'steps attempted', \\\n"
               "     '' using (column('t_ms')/1000.0):(column('attempted') > 0 ? "
               "column('success_rate') : NaN) with linespoints pt 7 ps 0.4 lw 2 "
               "lc rgb '#1f77b4' title 'success rate'");
    if (cx->threshold > 0)
        fprintf(f, ", \\\n     %.6f with lines dt 2 lc rgb '#d62728' title 'threshold (expect)'",
                cx->threshold);
    fputc('\n', f);
}

static void body_states(FILE *f, const plot_ctx *cx)
{
    gp_plots_title(f, "Connections per lifecycle state at the end of each time bucket (stacked)",
                   cx);
    if (!cx->state_seen) {
        if (cx->buckets_attempted == 0)
            no_steps(f, cx);
        else
            gp_plots_empty(f, "no connection was open at the end of any time bucket");
        return;
    }
    fprintf(f, "set xlabel '%s'\nset ylabel 'connections'\nset yrange [0:*]\n"
               "set style fill solid 0.85 noborder\n",
            gp_plots_time_label(cx));
    /* Each curve is the sum of its state and every state below it, drawn
     * from the top of the stack down so that each fill covers the next. */
    bool first = true;
    for (int top = GP_STATE_COUNT - 1; top >= 0; top--) {
        if (!cx->state_col[top])
            continue;
        fprintf(f, "%s'timeline.csv' using (column('t_ms')/1000.0):(0", first ? "plot " : ", \\\n     ");
        for (int st = 0; st <= top; st++)
            if (cx->state_col[st])
                fprintf(f, "+column('%s')", gp_state_name((gp_state)st));
        fprintf(f, ") with filledcurves x1 lc rgb '%s' title '%s'", state_colours[top % 8],
                gp_state_name((gp_state)top));
        first = false;
    }
    if (first)
        fprintf(f, "plot NaN title 'no state columns in timeline.csv'");
    fputc('\n', f);
}

static void body_latency(FILE *f, const plot_ctx *cx)
{
    char main[200];
    snprintf(main, sizeof(main), "Time to connection_ready and to the last request completed, "
                                 "as a share of all %llu clients", cx->clients);
    gp_plots_title(f, main, cx);
    if (cx->ready == 0 && cx->completed == 0) {
        snprintf(main, sizeof(main), "0 of %llu clients reached connection_ready", cx->clients);
        gp_plots_empty(f, main);
        return;
    }
    if (cx->completed == 0)
        fprintf(f, "set label 2 '0 of %llu clients completed the golden path' at graph 0.5,0.5 "
                   "center font ',13' tc rgb '#a01515'\n", cx->clients);
    fprintf(f, "set xlabel '%s since the client started'\nset ylabel 'share of all clients'\n"
               "set yrange [0:1.02]\nset xrange [0:*]\n",
            cx->live ? "ms" : "virtual ms");
    fprintf(f, "plot 'latency_cdf.csv' using 'ms':'ready' with steps lw 2 lc rgb '#1f77b4' "
               "title 'connection_ready received', \\\n"
               "     '' using 'ms':'completed' with steps lw 2 lc rgb '#2ca02c' "
               "title 'golden path completed'\n");
}

static void state_tics(FILE *f, const char *axis, const gp_heatmap_info *h)
{
    fprintf(f, "set %s (", axis);
    for (int i = 0; i < h->n_states; i++) {
        fputs(i ? ", '" : "'", f);
        gp_esc_gnuplot(f, h->names[i]);
        fprintf(f, "' %d", i);
    }
    fputs(")", f);
}

/* The heat map's colour key: counts at powers of ten on the log scale, the
 * refused ones below 0 in red. */
static void colour_key(FILE *f, double cb)
{
    fputs("set colorbox vertical user origin graph 1.03, graph 0 size character 2, graph 1\n"
          "set cbtics font ',9' (",
          f);
    bool first = true;
    for (int sign = -1; sign <= 1; sign += 2)
        for (double n = 1;; n *= 10) {
            double v = log10(1.0 + n);
            if (v > cb + 1e-9)
                break;
            double at = sign < 0 ? -v : v;
            fprintf(f, "%s'%.0f%s' %.6f", first ? "" : ", ", n, sign < 0 ? " refused" : "", at);
            first = false;
        }
    fprintf(f, "%s'0' 0)\n", first ? "" : ", ");
}

static void body_transitions(FILE *f, const plot_ctx *cx)
{
    const gp_heatmap_info *h = &cx->heat;
    double cb = log10(1.0 + (h->max_count > 1 ? h->max_count : 1));
    gp_plots_title(f, "Lifecycle steps attempted, by from and to state (blue: applied; red: "
                      "refused as illegal)", cx);
    if (h->max_count <= 0) {
        no_steps(f, cx);
        return;
    }
    state_tics(f, "xtics", h);
    fputs(" rotate by 30 right font ',10' nomirror\n", f);
    state_tics(f, "ytics", h);
    fputs(" font ',10' nomirror\n", f);
    colour_key(f, cb);
    fprintf(f, "set tics scale 0\nset xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n"
               "set xlabel 'to state'\nset ylabel 'from state' offset -1,0\nunset key\n"
               "set lmargin 22\nset bmargin 8\nset rmargin 16\n"
               "set grid noxtics noytics\nset cbrange [%.6f:%.6f]\n"
               "set palette defined (-1 '#de2d26', -0.001 '#fcae91', 0 '#ffffff', "
               "0.001 '#c6dbef', 1 '#4292c6')\n",
            h->n_states - 1, h->n_states - 1, -cb, cb);
    fprintf(f, "plot 'heatmap.csv' using 'to_index':'from_index':(column('failed') > 0 ? "
               "-log10(1+column('failed')) : log10(1+column('attempted'))) with image pixels, \\\n"
               "     '' using 'to_index':'from_index':(column('failed') > 0 ? "
               "sprintf(\"%%d\\n%%d refused\", column('attempted'), column('failed')) : "
               "column('attempted') > 0 ? sprintf('%%d', column('attempted')) : '') "
               "with labels font ',8'\n");
}

static void body_faults(FILE *f, const plot_ctx *cx)
{
    gp_plots_title(f, "Fault ledger: injected faults that fired, by the server-side state when "
                      "they fired", cx);
    fprintf(f, "set ylabel 'times fired'\nset xlabel ''\nset yrange [0:*]\n"
               "set style data histograms\nset style histogram rowstacked\n"
               "set style fill solid 0.85 border -1\nset boxwidth 0.6\n"
               "set xtics rotate by -25 left nomirror\nset grid noxtics\n");
    bool first = true;
    for (size_t c = 3; c < cx->faults.ncols && c - 3 <= GP_PLOT_STATES_MAX; c++) {
        if (!cx->fault_state_used[c - 3])
            continue;
        fprintf(f, "%s'faults.csv' using %zu%s title '", first ? "plot " : ", \\\n     ", c + 1,
                first ? ":xtic(1)" : "");
        /* "none": the fault fired where the server had no machine */
        const char *col = cx->faults.cells[c];
        gp_esc_gnuplot(f, strcmp(col, "none") == 0 ? "no machine (none)" : col);
        fprintf(f, "' lc rgb '%s'", c - 3 < 8 ? state_colours[c - 3] : "#7f7f7f");
        first = false;
    }
    if (first)
        fprintf(f, "plot 'faults.csv' using 3:xtic(1) title 'fired' lc rgb '#7f7f7f'");
    fprintf(f, ", \\\n     '' using 0:'fired':(sprintf('%%d', column('fired'))) "
               "with labels offset 0,0.8 notitle\n");
}

static void write_plot(FILE *f, gp_plot p, const plot_ctx *cx)
{
    static const char *const terms[2][2] = {{GP_PLOT_TERM_PNG, "png"}, {GP_PLOT_TERM_SVG, "svg"}};
    for (int t = 0; t < 2; t++) {
        fprintf(f, "\n# %s: %s (%s)\nreset\nset datafile separator ','\n"
                   "set datafile columnheaders\nset grid\nset key below height 1\n%s\nset output '%s.%s'\n",
                gp_plot_stem(p), gp_plot_heading(p), terms[t][1], terms[t][0], gp_plot_stem(p),
                terms[t][1]);
        switch (p) {
        case GP_PLOT_SUCCESS_RATE:
            body_success_rate(f, cx);
            break;
        case GP_PLOT_STATES:
            body_states(f, cx);
            break;
        case GP_PLOT_THROUGHPUT:
            gp_plots_body_throughput(f, cx);
            break;
        case GP_PLOT_LATENCY_TIME:
            gp_plots_body_latency_time(f, cx);
            break;
        case GP_PLOT_LATENCY_CDF:
            body_latency(f, cx);
            break;
        case GP_PLOT_TRANSITIONS:
            body_transitions(f, cx);
            break;
        case GP_PLOT_FAULTS:
            body_faults(f, cx);
            break;
        case GP_PLOT_COUNT:
            break;
        }
    }
}

int gp_plots_write_script(const char *dir, bool drawn[GP_PLOT_COUNT], char *err, size_t err_len)
{
    plot_ctx cx;
    memset(&cx, 0, sizeof(cx));
    int rc = read_meta(dir, &cx, err, err_len);
    if (rc == 0)
        rc = read_timeline(dir, &cx, err, err_len);
    /* latency_cdf.csv comes with the run; folders older than that derive
     * it from connections.csv */
    unsigned long long clients = 0;
    if (rc == 0 && !gp_html_exists(dir, "latency_cdf.csv"))
        rc = gp_plot_data_cdf(dir, &clients, err, err_len);
    if (rc == 0)
        cx.clients_timeline = gp_plots_read_clients(dir, &cx);
    if (rc == 0)
        rc = gp_plot_data_heatmap(dir, &cx.heat, err, err_len);
    if (rc == 0)
        rc = read_faults(dir, &cx, err, err_len);
    char path[1200];
    snprintf(path, sizeof(path), "%s/plots.gp", dir);
    FILE *f = rc == 0 ? fopen(path, "w") : NULL;
    if (rc == 0 && !f) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        rc = GP_ERR_IO;
    }
    if (rc == 0) {
        fprintf(f, "# plots.gp: the plots of this goldpath run folder, written by goldpath.\n"
                   "# Run again with: cd <this folder> && gnuplot plots.gp\n"
                   "# (or: goldpath plot <this folder>, which also rewrites report.html)\n");
        for (int p = 0; p < GP_PLOT_COUNT; p++) {
            drawn[p] = p != GP_PLOT_FAULTS || cx.faults.nrows > 0;
            if (drawn[p])
                write_plot(f, (gp_plot)p, &cx);
        }
        fputs("\nset output\n", f);
        if (fclose(f) != 0) {
            snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
            rc = GP_ERR_IO;
        }
    }
    gp_csv_free(&cx.faults);
    return rc;
}

void gp_plots_remove_images(const char *dir, bool script)
{
    static const char *const derived[] = {"plots.gp", "plots.log", "heatmap.csv"};
    char path[1200];
    for (int p = 0; p < GP_PLOT_COUNT; p++) {
        snprintf(path, sizeof(path), "%s/%s.png", dir, gp_plot_stem((gp_plot)p));
        unlink(path);
        snprintf(path, sizeof(path), "%s/%s.svg", dir, gp_plot_stem((gp_plot)p));
        unlink(path);
    }
    for (size_t i = 0; script && i < sizeof(derived) / sizeof(derived[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, derived[i]);
        unlink(path);
    }
}
