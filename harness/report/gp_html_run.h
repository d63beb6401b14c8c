/* gp_html_run.h: report.html of a run folder -- the summary, each check
 * with pass/fail and its replay command, the plots inline, the latency
 * figures, the fault ledger, the lifecycle steps and the scenario as run.
 * Rendered from the folder's files alone, so `goldpath plot` can write it
 * again; it holds no timestamp. */
#ifndef GP_HTML_RUN_H
#define GP_HTML_RUN_H

#include <stddef.h>

/* The file, in a run folder, that holds the command that replays the run;
 * written by `goldpath run`, read back for the page and JUnit. */
#define GP_REPLAY_FILE "replay.txt"

/* Reads DIR/replay.txt's first line into out; when there is none, writes
 * "goldpath run DIR/scenario.json" (the scenario as run, seed included). */
void gp_html_run_replay(const char *dir, char *out, size_t out_len);

/* Writes DIR/report.html.  plots_note, when not NULL, says why the plots
 * are missing (shown instead of them).  Returns GP_OK, or GP_ERR_IO with the reason
 * in err (summary.json missing or malformed, the page cannot be written). */
int gp_html_run_write(const char *dir, const char *plots_note, char *err, size_t err_len);

#endif
