/* gp_plots_time.c: the time-series plots of clients_timeline.csv --
 * connections opened, ready and completed per second, and the p50/p95/p99
 * of time to ready and to completed of the clients that started in each
 * bucket -- and the pieces every run plot shares (title, empty frame). */
#include "gp_plots_int.h"

#include <string.h>

#include "gp_esc.h"

void gp_plots_title(FILE *f, const char *main, const plot_ctx *cx)
{
    /* only double quotes interpret \n: join two single-quoted strings */
    fputs("set title '", f);
    gp_esc_gnuplot(f, main);
    fputs("'.\"\\n\".'", f);
    gp_esc_gnuplot(f, cx->context);
    fputs("'\n", f);
}

void gp_plots_empty(FILE *f, const char *why)
{
    fputs("set xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\nunset y2tics\n"
          "unset border\nunset grid\nunset key\nset label 1 '",
          f);
    gp_esc_gnuplot(f, why);
    fputs("' at graph 0.5,0.5 center font ',14' tc rgb '#a01515'\nplot NaN notitle\n", f);
}

const char *gp_plots_time_label(const plot_ctx *cx)
{
    return cx->live ? "time since the run started (s)" : "virtual time since the run started (s)";
}

bool gp_plots_read_clients(const char *dir, plot_ctx *cx)
{
    char path[1200], err[1300];
    snprintf(path, sizeof(path), "%s/clients_timeline.csv", dir);
    gp_csv t;
    if (gp_csv_load(&t, path, err, sizeof(err)) != 0)
        return false;
    int c_open = gp_csv_col(&t, "opened");
    cx->opened = 0;
    for (size_t r = 0; c_open >= 0 && r < t.nrows; r++)
        cx->opened += (unsigned long long)gp_csv_num(&t, r, c_open);
    gp_csv_free(&t);
    return c_open >= 0;
}

void gp_plots_body_throughput(FILE *f, const plot_ctx *cx)
{
    gp_plots_title(f, "Connections opened, clients ready and clients completed per second", cx);
    if (!cx->clients_timeline) {
        gp_plots_empty(f, "no clients_timeline.csv in this folder (written by goldpath run)");
        return;
    }
    if (cx->opened == 0) {
        char why[200];
        snprintf(why, sizeof(why), "0 of %llu clients opened a connection", cx->clients);
        gp_plots_empty(f, why);
        return;
    }
    fprintf(f, "set xlabel '%s'\nset ylabel 'per second (bucket count / bucket width)'\n"
               "set yrange [0:*]\nset xrange [0:*]\nset autoscale xfixmax\n",
            gp_plots_time_label(cx));
    fputs("plot 'clients_timeline.csv' using (column('t_ms')/1000.0):'opened_per_s' with steps "
          "lw 2 lc rgb '#7f7f7f' title 'connections opened', \\\n"
          "     '' using (column('t_ms')/1000.0):'ready_per_s' with steps lw 2 lc rgb '#1f77b4' "
          "title 'connection_ready received', \\\n"
          "     '' using (column('t_ms')/1000.0):'completed_per_s' with steps lw 2 "
          "lc rgb '#2ca02c' title 'golden path completed'\n",
          f);
}

/* One percentile curve: NaN (a gap) for buckets without a value. */
static void curve(FILE *f, bool first, const char *kind, const char *p, const char *dash,
                  const char *colour, const char *title)
{
    fprintf(f, "%s'%s' using (column('t_ms')/1000.0):(column('%s_n') > 0 ? "
               "column('%s_%s_ms') : NaN) with linespoints pt 7 ps 0.35 lw 2 dt %s "
               "lc rgb '%s' title '%s'",
            first ? "plot " : ", \\\n     ", first ? "clients_timeline.csv" : "", kind, kind, p,
            dash, colour, title);
}

void gp_plots_body_latency_time(FILE *f, const plot_ctx *cx)
{
    gp_plots_title(f, "Time to connection_ready and to completed, by when the client started "
                      "(p50, p95, p99 per bucket)", cx);
    if (!cx->clients_timeline) {
        gp_plots_empty(f, "no clients_timeline.csv in this folder (written by goldpath run)");
        return;
    }
    if (cx->ready == 0) {
        char why[200];
        snprintf(why, sizeof(why), "0 of %llu clients reached connection_ready", cx->clients);
        gp_plots_empty(f, why);
        return;
    }
    fprintf(f, "set xlabel 'when the client started: %s'\nset ylabel '%s since the client "
               "started'\nset yrange [0:*]\nset xrange [0:*]\nset autoscale xfixmax\n",
            gp_plots_time_label(cx), cx->live ? "ms" : "virtual ms");
    if (cx->completed == 0)
        fprintf(f, "set label 2 '0 of %llu clients completed the golden path' at graph 0.5,0.9 "
                   "center font ',13' tc rgb '#a01515'\n", cx->clients);
    static const char *const ps[] = {"p50", "p95", "p99"}, *const dash[] = {"1", "2", "3"};
    for (int k = 0; k < 3; k++) {
        char title[64];
        snprintf(title, sizeof(title), "ready %s", ps[k]);
        curve(f, k == 0, "ready", ps[k], dash[k], "#1f77b4", title);
    }
    if (cx->completed > 0)
        for (int k = 0; k < 3; k++) {
            char title[64];
            snprintf(title, sizeof(title), "completed %s", ps[k]);
            curve(f, false, "completed", ps[k], dash[k], "#2ca02c", title);
        }
    fputc('\n', f);
}
