/* gp_cli_report.c: what `run` does after writing the report folder -- the
 * replay command (replay.txt), the plots and report.html (gp_render), and
 * the JUnit XML when --junit asks for it.  None of it changes the run's
 * exit status: a missing gnuplot is a notice, not a failure. */
#include "gp_cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gp_error.h"
#include "gp_esc.h"
#include "gp_html_run.h"
#include "gp_junit.h"
#include "gp_render.h"

void gp_cli_run_replay_command(const gp_run *run, char *out, size_t out_len)
{
    char scen[1100];
    gp_esc_shell(run->scenario_arg[0] ? run->scenario_arg : run->sc.path, scen, sizeof(scen));
    snprintf(out, out_len, "goldpath run %s --mode %s --seed %llu --clients %u%s", scen,
             run->mode ? run->mode : "sim", (unsigned long long)run->sc.seed, run->n_clients,
             run->overrides);
}

static int write_replay(const gp_run *run, const char *dir)
{
    char path[1200], cmd[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, GP_REPLAY_FILE);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "goldpath: %s: cannot write: %s\n", path, strerror(errno));
        return GP_ERR_IO;
    }
    gp_cli_run_replay_command(run, cmd, sizeof(cmd));
    fprintf(f, "%s\n", cmd);
    if (fclose(f) != 0) {
        fprintf(stderr, "goldpath: %s: cannot write: %s\n", path, strerror(errno));
        return GP_ERR_IO;
    }
    return GP_OK;
}

int gp_cli_after_report(const gp_run *run, const char *dir, const gp_cli_common *o)
{
    char note[2048], err[2048];
    int rc = write_replay(run, dir);
    gp_render_status st = gp_render_folder(dir, !o->no_plots, note, sizeof(note), err, sizeof(err));
    if (st == GP_RENDER_NO_PLOTS)
        fprintf(stderr, "goldpath: %s\n", note);
    else if (st == GP_RENDER_ERROR) {
        fprintf(stderr, "goldpath: report.html not written: %s\n", err);
        rc = GP_ERR_IO;
    }
    if (o->junit && gp_junit_write_run(dir, o->junit, err, sizeof(err)) != GP_OK) {
        fprintf(stderr, "goldpath: --junit: %s\n", err);
        rc = GP_ERR_IO;
    }
    return rc;
}
