/* gp_sweep_plot.c: writes a sweep folder's sweep.gp; see gp_sweep_plot.h. */
#include "gp_sweep_plot.h"
#include "gp_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gp_csv.h"
#include "gp_esc.h"
#include "gp_plots.h"

static const char *const stems[] = {
#define GP_SWEEP_PLOT_STEM(e, stem, heading, col) stem,
    GP_SWEEP_PLOT_MAP(GP_SWEEP_PLOT_STEM)
#undef GP_SWEEP_PLOT_STEM
};
static const char *const headings[] = {
#define GP_SWEEP_PLOT_HEADING(e, stem, heading, col) heading,
    GP_SWEEP_PLOT_MAP(GP_SWEEP_PLOT_HEADING)
#undef GP_SWEEP_PLOT_HEADING
};
static const char *const columns[] = {
#define GP_SWEEP_PLOT_COL(e, stem, heading, col) col,
    GP_SWEEP_PLOT_MAP(GP_SWEEP_PLOT_COL)
#undef GP_SWEEP_PLOT_COL
};

/* Variant colours: the first (usually the fixed server) blue, the second
 * (usually the buggy one) red. */
static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                      "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

const char *gp_sweep_plot_stem(gp_sweep_plot p)
{
    return p < GP_SWEEP_PLOT_COUNT ? stems[p] : "unknown";
}

const char *gp_sweep_plot_heading(gp_sweep_plot p)
{
    return p < GP_SWEEP_PLOT_COUNT ? headings[p] : "unknown";
}

/* Rows of sweep_summary.csv per variant (contiguous, variant order). */
typedef struct sweep_layout {
    size_t first[64], count[64];
    int variants;
    double low[GP_SWEEP_PLOT_COUNT]; /* lowest minimum per metric */
} sweep_layout;

static int read_layout(const char *dir, sweep_layout *lay, char *err, size_t err_len)
{
    char path[1200], col[96];
    snprintf(path, sizeof(path), "%s/sweep_summary.csv", dir);
    gp_csv t;
    if (gp_csv_load(&t, path, err, err_len) != 0)
        return GP_ERR_IO;
    memset(lay, 0, sizeof(*lay));
    int c_v = gp_csv_col(&t, "variant_index");
    if (c_v < 0 || gp_csv_col(&t, "value") < 0) {
        snprintf(err, err_len, "%s: expected columns variant_index, value, ...", path);
        gp_csv_free(&t);
        return GP_ERR_IO;
    }
    for (int m = 0; m < GP_SWEEP_PLOT_COUNT; m++)
        lay->low[m] = 1.0;
    for (size_t r = 0; r < t.nrows; r++) {
        int v = (int)gp_csv_num(&t, r, c_v);
        if (v < 0 || v >= 64)
            continue;
        if (lay->count[v] == 0)
            lay->first[v] = r;
        lay->count[v]++;
        if (v + 1 > lay->variants)
            lay->variants = v + 1;
        for (int m = 0; m < GP_SWEEP_PLOT_COUNT; m++) {
            snprintf(col, sizeof(col), "%s_min", columns[m]);
            double lo = gp_csv_num(&t, r, gp_csv_col(&t, col));
            if (lo < lay->low[m])
                lay->low[m] = lo;
        }
    }
    gp_csv_free(&t);
    return 0;
}

/* "bugs on: a, b", "fixed server (no bug on)", or, with --compare, that
 * the variants (in the key) set them: what the title says of the server. */
static void bugs_text(json_t *meta, json_t *scenario, char *out, size_t out_len)
{
    char bugs[300] = "";
    size_t i, used = 0;
    json_t *b;
    json_array_foreach(json_object_get(json_object_get(scenario, "server"), "bugs"), i, b)
        if (used < sizeof(bugs))
            used += (size_t)snprintf(bugs + used, sizeof(bugs) - used, "%s%s", i ? ", " : "",
                                     json_string_value(b) ? json_string_value(b) : "?");
    if (json_is_true(json_object_get(meta, "compare")))
        snprintf(out, out_len, "%s%s; each variant (key) may change them",
                 bugs[0] ? "bugs on: " : "fixed server", bugs);
    else
        snprintf(out, out_len, "%s%s", bugs[0] ? "bugs on: " : "fixed server (no bug on)", bugs);
}

static void body(FILE *f, gp_sweep_plot m, const sweep_layout *lay, json_t *meta,
                 const char *bugs)
{
    const char *field = json_string_value(json_object_get(meta, "field"));
    const char *scenario = json_string_value(json_object_get(meta, "scenario"));
    long long seeds = (long long)json_integer_value(json_object_get(meta, "seeds"));
    json_t *variants = json_object_get(meta, "variants");
    bool compare = json_is_true(json_object_get(meta, "compare"));
    double lo = floor((lay->low[m] - 0.02) * 10.0) / 10.0;
    lo = lo < 0 ? 0 : lo > 0.9 ? 0.9 : lo;
    fputs("set title '", f);
    gp_esc_gnuplot(f, headings[m]);
    fputs(" against ", f);
    gp_esc_gnuplot(f, field ? field : "?");
    fputs("'.\"\\n\".'", f); /* a newline: only double quotes interpret \n */
    gp_esc_gnuplot(f, scenario ? scenario : "?");
    long long seed0 = (long long)json_integer_value(json_object_get(meta, "first_seed"));
    fprintf(f, ", seeds %lld..%lld per value, sim, ", seed0, seed0 + seeds - 1);
    gp_esc_gnuplot(f, bugs);
    fputs("'.\"\\n\".'line = mean over the seeds, band and bars = min to max'\n", f);
    fputs("set xlabel '", f);
    gp_esc_gnuplot(f, field ? field : "?");
    fprintf(f, "'\nset ylabel '%s'\nset yrange [%.1f:1.02]\nset autoscale xfix\n"
               "set offsets graph 0.03, graph 0.03, 0, 0\n"
               "set style fill transparent solid 0.18 noborder\n",
            headings[m], lo);
    bool first = true;
    for (int v = 0; v < lay->variants; v++) {
        if (lay->count[v] == 0)
            continue;
        size_t a = lay->first[v], b = a + lay->count[v] - 1;
        const char *label = json_string_value(json_array_get(variants, (size_t)v));
        const char *colour = colours[v % 8];
        fprintf(f, "%s'sweep_summary.csv' every ::%zu::%zu using 'value':'%s_min':'%s_max' "
                   "with filledcurves lc rgb '%s' notitle, \\\n",
                first ? "plot " : ", \\\n     ", a, b, columns[m], columns[m], colour);
        fprintf(f, "     '' every ::%zu::%zu using 'value':'%s_mean':'%s_min':'%s_max' "
                   "with yerrorbars pt 7 ps 0.6 lc rgb '%s' notitle, \\\n",
                a, b, columns[m], columns[m], columns[m], colour);
        fprintf(f, "     '' every ::%zu::%zu using 'value':'%s_mean' with lines lw 2 lc rgb '%s' "
                   "title '",
                a, b, columns[m], colour);
        gp_esc_gnuplot(f, compare && label ? label : scenario ? scenario : "scenario");
        fputs("'", f);
        first = false;
    }
    if (first)
        fputs("plot NaN title 'no data'", f);
    fputc('\n', f);
}

int gp_sweep_plot_write_script(const char *dir, char *err, size_t err_len)
{
    sweep_layout lay;
    if (read_layout(dir, &lay, err, err_len) != 0)
        return GP_ERR_IO;
    char path[1200];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/sweep.json", dir);
    json_t *meta = json_load_file(path, 0, &je);
    if (!meta) {
        snprintf(err, err_len, "%s: %s", path, je.text);
        return GP_ERR_IO;
    }
    char bugs[400];
    snprintf(path, sizeof(path), "%s/scenario.json", dir);
    json_t *scenario = json_load_file(path, 0, NULL);
    bugs_text(meta, scenario, bugs, sizeof(bugs));
    json_decref(scenario);
    snprintf(path, sizeof(path), "%s/sweep.gp", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        json_decref(meta);
        return GP_ERR_IO;
    }
    fprintf(f, "# sweep.gp: the plots of this goldpath sweep folder, written by goldpath.\n"
               "# Run again with: cd <this folder> && gnuplot sweep.gp\n");
    static const char *const terms[2][2] = {{GP_PLOT_TERM_PNG, "png"}, {GP_PLOT_TERM_SVG, "svg"}};
    for (int m = 0; m < GP_SWEEP_PLOT_COUNT; m++)
        for (int t = 0; t < 2; t++) {
            fprintf(f, "\n# %s (%s)\nreset\nset datafile separator ','\nset datafile columnheaders\n"
                       "set grid\nset key below height 1\n%s\nset output '%s.%s'\n",
                    stems[m], terms[t][1], terms[t][0], stems[m], terms[t][1]);
            body(f, (gp_sweep_plot)m, &lay, meta, bugs);
        }
    fputs("\nset output\n", f);
    json_decref(meta);
    if (fclose(f) != 0) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return GP_ERR_IO;
    }
    return 0;
}

void gp_sweep_plot_remove_images(const char *dir, bool script)
{
    char path[1200];
    for (int m = 0; m < GP_SWEEP_PLOT_COUNT; m++) {
        snprintf(path, sizeof(path), "%s/%s.png", dir, stems[m]);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%s.svg", dir, stems[m]);
        unlink(path);
    }
    if (script) {
        snprintf(path, sizeof(path), "%s/sweep.gp", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/sweep.log", dir);
        unlink(path);
    }
}
