/* gp_render.c: plots and page of a report folder; see gp_render.h. */
#include "gp_render.h"

#include <stdio.h>
#include <string.h>

#include "gp_gnuplot.h"
#include "gp_html.h"
#include "gp_html_run.h"
#include "gp_html_sweep.h"
#include "gp_plots.h"
#include "gp_sweep_plot.h"

gp_folder_kind gp_render_folder_kind(const char *dir)
{
    if (gp_html_exists(dir, "sweep.json"))
        return GP_FOLDER_SWEEP;
    if (gp_html_exists(dir, "summary.json"))
        return GP_FOLDER_RUN;
    return GP_FOLDER_NONE;
}

/* Writes the script and runs gnuplot on it; the note says what went wrong. */
static gp_render_status draw(const char *dir, gp_folder_kind kind, char *note, size_t note_len)
{
    char why[1400];
    bool drawn[GP_PLOT_COUNT];
    const char *script = kind == GP_FOLDER_SWEEP ? "sweep.gp" : "plots.gp";
    int rc = kind == GP_FOLDER_SWEEP ? gp_sweep_plot_write_script(dir, why, sizeof(why))
                                     : gp_plots_write_script(dir, drawn, why, sizeof(why));
    if (rc != 0) {
        snprintf(note, note_len, "plots skipped: %s", why);
        return GP_RENDER_NO_PLOTS;
    }
    if (!gp_gnuplot_found()) {
        snprintf(note, note_len, "%s; to draw them later: goldpath plot %s", GP_GNUPLOT_MISSING, dir);
        return GP_RENDER_NO_PLOTS;
    }
    if (gp_gnuplot_run(dir, script, kind == GP_FOLDER_SWEEP ? "sweep.log" : "plots.log", why,
                       sizeof(why)) != 0) {
        snprintf(note, note_len, "plots failed: %s", why);
        return GP_RENDER_NO_PLOTS;
    }
    return GP_RENDER_OK;
}

gp_render_status gp_render_folder(const char *dir, bool plots, char *note, size_t note_len,
                                  char *err, size_t err_len)
{
    note[0] = '\0';
    gp_folder_kind kind = gp_render_folder_kind(dir);
    if (kind == GP_FOLDER_NONE) {
        snprintf(err, err_len, "%s: not a goldpath report folder (no summary.json or sweep.json)",
                 dir);
        return GP_RENDER_ERROR;
    }
    if (kind == GP_FOLDER_SWEEP)
        gp_sweep_plot_remove_images(dir, !plots);
    else
        gp_plots_remove_images(dir, !plots);
    gp_render_status st = GP_RENDER_OK;
    const char *page_note = NULL;
    if (plots) {
        st = draw(dir, kind, note, note_len);
        if (st != GP_RENDER_OK)
            page_note = note;
    } else {
        page_note = "Plots skipped (--no-plots). To draw them: goldpath plot <this folder>.";
    }
    int rc = kind == GP_FOLDER_SWEEP ? gp_html_sweep_write(dir, page_note, err, err_len)
                                     : gp_html_run_write(dir, page_note, err, err_len);
    return rc == 0 ? st : GP_RENDER_ERROR;
}
