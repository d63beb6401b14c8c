/* gp_cli_plot.c: `goldpath plot DIR` -- renders a run or sweep folder's
 * plots and report.html again from the files in it (after installing
 * gnuplot, after --no-plots, or after editing plots.gp's inputs). */
#include "gp_cli.h"

#include <stdio.h>
#include <string.h>

#include "gp_render.h"

int gp_cli_plot(int argc, char **argv)
{
    const char *dir = NULL;
    bool quiet = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            gp_cli_help("plot");
            return 0;
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = true;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "goldpath plot: unknown option %s (see goldpath help plot)\n", argv[i]);
            return 2;
        } else if (dir) {
            fprintf(stderr, "goldpath plot: one folder only (got %s and %s)\n", dir, argv[i]);
            return 2;
        } else {
            dir = argv[i];
        }
    }
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
