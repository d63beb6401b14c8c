/* gp_check_false_ready.c: connection_ready must say PROCESSING_READY and be
 * true: the client checks what the message says, the lifecycle judge (when
 * it has the steps) that the machine really was PROCESSING_READY when the
 * server sent it. */
#include "gp_checks_int.h"

void gp_check_false_ready(const gp_run *run, gp_check_result *r)
{
    bool steps = run->evidence & GP_EV_LIFECYCLE;
    for (uint32_t i = 0; i < run->n_clients; i++)
        if ((run->clients[i].violations & (1u << GP_CHECK_FALSE_READY)) ||
            (steps && (run->judge.conns[i].flags & GP_JF_FALSE_READY)))
            gp_check_flag(r, i);
    gp_check_evidence(r, steps ? "connection_ready messages and the observed steps"
                               : "connection_ready messages");
    gp_check_detail(r, "%llu connections told they were ready when they were not",
                    (unsigned long long)r->count);
}
