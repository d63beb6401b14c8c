/* gp_check_liveness.c: the liveness phase (as TigerBeetle's VOPR has one):
 * once the faults end (faults.until_ms), the system must recover within a
 * bound (expect.liveness_ms): by then every client that started is ready or
 * has finished (completed, refused, closed), and every request it sent is
 * answered.  A client that never recovered is named.  Not asked when the
 * scenario sets no bound. */
#include "gp_checks_int.h"

/* True when client c had not recovered at time t. */
static bool stuck_at(const gp_vclient *c, uint64_t t)
{
    if (!c->t_start || c->t_start > t)
        return false; /* not started yet: nothing to recover */
    if (c->t_done && c->t_done <= t)
        return false; /* over, whatever the outcome */
    if (!c->t_ready || c->t_ready > t)
        return true; /* still not ready */
    for (int k = 0; k < c->requests_sent && k < GP_REQUESTS_PER_CLIENT_MAX; k++)
        if (c->req[k].t_sent && c->req[k].t_sent <= t && (!c->req[k].t_end || c->req[k].t_end > t))
            return true; /* a request still unanswered */
    return false;
}

void gp_check_liveness(const gp_run *run, gp_check_result *r)
{
    const gp_scenario *sc = &run->sc;
    if (!sc->expect.liveness_ms) {
        r->nothing_asked = true;
        gp_check_evidence(r, "none");
        gp_check_detail(r, "not asked (expect.liveness_ms is not set)");
        return;
    }
    /* faults that never end: the bound counts from the start */
    uint64_t t = (uint64_t)sc->faults.until_ms + sc->expect.liveness_ms;
    if (t > run->end_ms && run->end_ms && !run->interrupted)
        t = run->end_ms; /* the run ended before the bound: judged at its end */
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        /* a client reset by the network or leaving on purpose before the
         * faults ended has recovered by leaving */
        if (stuck_at(c, t))
            gp_check_flag(r, i);
    }
    gp_check_evidence(r, "the clients' times");
    gp_check_detail(r, "%llu connections not ready, not closed or with a request unanswered "
                       "%u ms after the faults ended (at %llu ms)",
                    (unsigned long long)r->count, sc->expect.liveness_ms,
                    (unsigned long long)t);
}
