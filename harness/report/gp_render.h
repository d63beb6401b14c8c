/* gp_render.h: renders a report folder from its files -- the plots (a
 * gnuplot script kept in the folder, run by gnuplot when it is installed)
 * and report.html.  A run folder holds summary.json; a sweep folder holds
 * sweep.json.  Used after `goldpath run` and `goldpath sweep` write their
 * folders, and by `goldpath plot` to render one again. */
#ifndef GP_RENDER_H
#define GP_RENDER_H

#include <stdbool.h>
#include <stddef.h>

typedef enum gp_render_status {
    GP_RENDER_OK = 0,        /* the page, and the plots when asked for */
    GP_RENDER_NO_PLOTS = 1,  /* the page, but plots were asked for and not made */
    GP_RENDER_ERROR = -1,    /* not even the page */
} gp_render_status;

typedef enum gp_folder_kind {
    GP_FOLDER_NONE = 0, /* neither a run nor a sweep folder */
    GP_FOLDER_RUN,
    GP_FOLDER_SWEEP,
} gp_folder_kind;

/* What kind of report folder DIR is. */
gp_folder_kind gp_render_folder_kind(const char *dir);

/* Renders DIR (a run or a sweep folder, by gp_render_folder_kind).  With
 * plots false the plots are skipped on purpose (--no-plots): old pictures,
 * scripts and derived data are removed.  On GP_RENDER_NO_PLOTS, note says why (gnuplot not
 * found: GP_GNUPLOT_MISSING; gnuplot failed: its error); on
 * GP_RENDER_ERROR, err says why. */
gp_render_status gp_render_folder(const char *dir, bool plots, char *note, size_t note_len,
                                  char *err, size_t err_len);

#endif
