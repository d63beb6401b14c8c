/* gp_live_judge.c: the end of a live run -- the figures of live.json, and
 * what gp_run_judge cannot see: /metrics agreeing with /health, and the
 * started server's exit status. */
#include <stdio.h>
#include <string.h>

#include "gp_live_int.h"

void gp_live_compute_stats(gp_live *lv)
{
    gp_live_stats *st = lv->stats;
    uint64_t first = UINT64_MAX, last = 0;
    for (uint32_t i = 0; i < lv->run->n_clients; i++) {
        const gp_vclient *c = &lv->run->clients[i];
        if (c->t_start && c->t_start < first)
            first = c->t_start;
        if (c->outcome == GP_VC_COMPLETED && c->t_done > last)
            last = c->t_done;
    }
    st->first_start_ms = first == UINT64_MAX ? 0 : first;
    st->last_done_ms = last;
    if (last > st->first_start_ms)
        st->golden_paths_per_s =
            (double)lv->run->completed * 1000.0 / (double)(last - st->first_start_ms);
    st->source_addresses = lv->n_sources;
    snprintf(st->url, sizeof(st->url), "ws://%s:%d%s", lv->url.host, lv->url.port,
             lv->url.path);
}

/* Fails health_disagrees with `detail` (when it passed) and re-derives the
 * run's verdicts. */
static void fail_health_check(gp_run *run, const char *detail)
{
    gp_check_result *r = &run->checks[GP_CHECK_HEALTH_DISAGREES];
    if (r->applies && !r->passed)
        return;
    r->applies = true;
    r->count = 1;
    r->passed = false;
    snprintf(r->detail, sizeof(r->detail), "%s", detail);
    run->passed = false;
    run->expected_violations_found = run->sc.expect.violations_len > 0;
    for (uint32_t v = 0; v < run->sc.expect.violations_len; v++) {
        gp_check c = gp_check_parse(run->sc.expect.violations[v]);
        if (c == GP_CHECK_COUNT || run->checks[c].passed)
            run->expected_violations_found = false;
    }
}

/* What gp_run_judge cannot see: /metrics must tell the same story as
 * /health (which the checks compared with the clients), and a server this
 * run started must have exited cleanly (a crash or a sanitizer report at
 * exit is the server's own figures going wrong). */
void gp_live_judge(gp_live *lv)
{
    gp_run *run = lv->run;
    char detail[sizeof(run->checks[0].detail)];
    if (run->health_known && lv->stats->metrics_known &&
        !gp_live_metrics_agree(&run->health, &lv->metrics, detail, sizeof(detail)))
        fail_health_check(run, detail);
    if (lv->stats->server_started && lv->stats->server_exit != 0) {
        snprintf(detail, sizeof(detail),
                 "goldpath-server exited with status %d when stopped (a crash or a sanitizer "
                 "report: see server.log)",
                 lv->stats->server_exit);
        fail_health_check(run, detail);
    }
}
