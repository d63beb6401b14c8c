/* gp_events.c: the --events stream (gp_events.h).  Every value written is a
 * number, a boolean or one of goldpath's own names, so no escaping is
 * needed. */
#include "gp_events.h"

#include <inttypes.h>


void gp_events_bucket(gp_run *run, const gp_timeline_row *row)
{
    FILE *f = run->events_out;
    if (!f)
        return;
    fprintf(f, "{\"type\":\"bucket\",\"t_ms\":%" PRIu64 ",\"attempted\":%" PRIu64
               ",\"succeeded\":%" PRIu64 ",",
            row->t_ms, row->attempted, row->succeeded);
    if (row->attempted)
        fprintf(f, "\"success_rate\":%.6f,", (double)row->succeeded / (double)row->attempted);
    else
        fputs("\"success_rate\":null,", f); /* nothing attempted: no rate */
    fprintf(f, "\"open\":%" PRIu64 ",\"ready_total\":%" PRIu64 ",\"completed_total\":%" PRIu64
               ",\"by_state\":{",
            row->active, row->ready_total, row->completed_total);
    for (int s = 0; s <= GP_STATE_PROCESSING_READY; s++)
        fprintf(f, "%s\"%s\":%" PRIu64, s ? "," : "", gp_state_name((gp_state)s),
                row->by_state[s]);
    fputs("}}\n", f);
    fflush(f);
}

static int64_t since(uint64_t t, uint64_t t0)
{
    return t && t >= t0 ? (int64_t)(t - t0) : -1;
}

void gp_events_client(gp_run *run, uint32_t i, uint64_t at_ms)
{
    FILE *f = run->events_out;
    if (!f || i >= run->n_clients)
        return;
    const gp_vclient *c = &run->clients[i];
    fprintf(f,
            "{\"type\":\"client\",\"t_ms\":%" PRIu64 ",\"client\":%" PRIu32
            ",\"outcome\":\"%s\",\"failure\":\"%s\",\"connect_ms\":%" PRId64
            ",\"ready_ms\":%" PRId64 ",\"requests_sent\":%u,\"requests_done\":%u"
            ",\"requests_failed\":%u,\"close_code\":%d,\"violations\":[",
            at_ms, i, gp_vc_outcome_name((gp_vc_outcome)c->outcome),
            c->failure ? gp_vc_failure_name((gp_vc_failure)c->failure) : "",
            since(c->t_open, c->t_start), since(c->t_ready, c->t_start), c->requests_sent,
            c->requests_done, c->requests_failed, c->close_code);
    bool first = true;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (c->violations & (1u << k)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", gp_check_name((gp_check)k));
            first = false;
        }
    fputs("]}\n", f);
}

void gp_events_end(gp_run *run, int exit_code)
{
    FILE *f = run->events_out;
    if (!f)
        return;
    fprintf(f,
            "{\"type\":\"end\",\"t_ms\":%" PRIu64 ",\"mode\":\"%s\",\"passed\":%s"
            ",\"interrupted\":%s,\"exit\":%d,\"clients\":%" PRIu32 ",\"completed\":%" PRIu64
            ",\"failed_checks\":[",
            run->end_ms, run->mode ? run->mode : "sim", run->passed ? "true" : "false",
            run->interrupted ? "true" : "false", exit_code, run->n_clients, run->completed);
    bool first = true;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (!gp_verdict_ok(run->checks[k].verdict)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", gp_check_name((gp_check)k));
            first = false;
        }
    fputs("]}\n", f);
    fflush(f);
}

int gp_events_error(const gp_run *run)
{
    return run->events_out && ferror(run->events_out) ? -1 : 0;
}
