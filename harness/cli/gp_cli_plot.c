/* gp_cli_plot.c: `goldpath plot DIR` -- renders a run or sweep folder's
 * plots and report.html again from the files in it (after installing
 * gnuplot, after --no-plots, or after editing plots.gp's inputs). */
#include "gp_cli.h"
#include "gp_cli_opts.h"

#include <stdio.h>
#include <string.h>

#include "gp_render.h"

typedef struct plot_opts {
    const char *dir;
    bool quiet;
} plot_opts;

static int on_plot_option(void *ctx, int id, const char *opt, const char *v)
{
    (void)id;
    (void)opt;
    (void)v;
    ((plot_opts *)ctx)->quiet = true;
    return 0;
}

static int on_plot_operand(void *ctx, const char *arg)
{
    plot_opts *p = ctx;
    if (p->dir) {
        fprintf(stderr, "goldpath plot: one folder only (got %s and %s)\n", p->dir, arg);
        return -1;
    }
    p->dir = arg;
    return 0;
}

int gp_cli_plot(int argc, char **argv)
{
    static const gp_cli_option opts[] = {{"quiet", 'q', false, 0}};
    plot_opts p = {0};
    int rc = gp_cli_getopt("plot", argc, argv, opts, 1, on_plot_option, on_plot_operand, &p);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    const char *dir = p.dir;
    bool quiet = p.quiet;
    if (!dir) {
        fprintf(stderr, "goldpath plot: which folder? usage: goldpath plot RUN_DIR\n");
        return 2;
    }
    char note[2048], err[2048];
    if (gp_render_folder_kind(dir) == GP_FOLDER_NONE) {
        fprintf(stderr, "goldpath plot: %s: not a goldpath run or sweep folder "
                        "(no summary.json or sweep.json)\n", dir);
        return 2;
    }
    gp_render_status st = gp_render_folder(dir, true, note, sizeof(note), err, sizeof(err));
    if (st == GP_RENDER_ERROR) {
        fprintf(stderr, "goldpath plot: %s\n", err);
        return 2;
    }
    if (st == GP_RENDER_NO_PLOTS) {
        fprintf(stderr, "goldpath: %s\n", note);
        return 1;
    }
    if (!quiet)
        printf("  report: %s/report.html\n", dir);
    return 0;
}
