/* gp_check_stuck.c: stuck connections, judged by the harness: open, not
 * ready, past the stuck threshold -- from the client's side (no
 * connection_ready within the threshold of the socket opening, unless the
 * network held its messages back) and, when the steps are observed, from
 * the lifecycle judge's model (a machine held short of PROCESSING_READY
 * longer than the threshold).  The server's own stuck scan is only
 * cross-checked (health_disagrees).  A client that chose never to
 * authenticate (faults.no_auth) waits in ACCEPTED until the auth timeout on
 * purpose: held there, it is not stuck (held anywhere else, it is). */
#include "gp_checks_int.h"

void gp_check_stuck(const gp_run *run, gp_check_result *r)
{
    bool steps = run->evidence & GP_EV_LIFECYCLE;
    uint64_t by_client = 0, by_steps = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        bool c = run->clients[i].violations & (1u << GP_CHECK_STUCK_CONNECTIONS);
        const gp_judge_conn *jc = &run->judge.conns[i];
        bool s = steps && (jc->flags & GP_JF_STUCK) &&
                 !(run->clients[i].plan.no_auth && jc->stuck_state == GP_STATE_ACCEPTED);
        by_client += c;
        by_steps += s;
        if (c || s)
            gp_check_flag(r, i);
    }
    for (uint32_t k = 0; steps && k < run->judge.extra_len; k++)
        if (run->judge.extra[k].flags & GP_JF_STUCK) {
            by_steps++;
            r->count++;
        }
    gp_check_evidence(r, steps ? "the clients' waits and the observed steps"
                               : "the clients' waits");
    gp_check_detail(r, "%llu connections short of ready past %u ms (%llu seen by the clients, "
                       "%llu in the observed steps)",
                    (unsigned long long)r->count, run->sc.server.stuck_after_ms,
                    (unsigned long long)by_client, (unsigned long long)by_steps);
}
