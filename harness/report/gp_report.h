/* gp_report.h: a run's report folder and its human summary.
 *
 * Files (DESIGN.md, Reports): summary.json, timeline.csv (per time bucket),
 * connections.csv (per client), faults.csv (the fault ledger),
 * transitions.csv (per from/to pair), scenario.json (the scenario as run) --
 * all byte-identical for the same scenario and seed in simulation -- and
 * perf.json, the only file with wall-clock figures. */
#ifndef GP_REPORT_H
#define GP_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "gp_run.h"

/* Creates `dir` (and parents) and writes every file.  Returns GP_OK, or a
 * negative gp_err with the path and reason in err. */
int gp_report_write(const gp_run *run, const char *dir, char *err,
                    size_t err_len);

/* Writes summary.json's content as a string (malloc'd, caller frees). */
char *gp_report_summary_json(const gp_run *run);

/* The short human summary: scenario, seed, clients, ready, completed, stuck,
 * invalid transitions, success rate, each check, and replay commands. */
void gp_report_print(const gp_run *run, FILE *out);

#endif
