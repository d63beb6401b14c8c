/* gp_events.h: the machine-readable stream of a run (`goldpath run --events
 * FILE`): one JSON object per line, written as the run goes, in the spirit of
 * k6's `--out json`, so that a long live run can be watched (`tail -f`) and
 * fed to other tools.  Three kinds of line (docs/CLI.md):
 *   {"type":"bucket", ...}   one per time bucket of timeline.csv
 *   {"type":"client", ...}   one per client, when its outcome is settled
 *   {"type":"end", ...}      the last line: the verdict and the exit status
 * Times are run milliseconds (virtual in simulation, so a simulated run's
 * stream is the same bytes for the same seed). */
#ifndef GP_EVENTS_H
#define GP_EVENTS_H

#include "gp_run.h"

/* A bucket row (run->events set), flushed: a reader sees it at once. */
void gp_events_bucket(gp_run *run, const gp_timeline_row *row);

/* Client i's outcome, as it is settled. */
void gp_events_client(gp_run *run, uint32_t i, uint64_t at_ms);

/* The last line: passed, interrupted, the exit status, the failed checks. */
void gp_events_end(gp_run *run, int exit_code);

/* 0, or -1 when a write to the stream failed (checked once, at the end). */
int gp_events_error(const gp_run *run);

#endif
