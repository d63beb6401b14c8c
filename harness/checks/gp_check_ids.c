/* gp_check_ids.c: one connection, one id, one machine.  The incident's
 * symptom: connect_user handed out another id and the route replaced the
 * machine.  Seen by the judge (a second machine registered for one
 * connection) and by the clients (connection_ready with another id than the
 * socket opened with, when the driver knows the opened id). */
#include "gp_checks_int.h"

void gp_check_id_mismatches(const gp_run *run, gp_check_result *r)
{
    for (uint32_t i = 0; i < run->n_clients; i++)
        if ((run->judge.conns[i].flags & GP_JF_MISMATCH) ||
            (run->clients[i].violations & (1u << GP_CHECK_ID_MISMATCHES)))
            gp_check_flag(r, i);
    gp_check_evidence(r, "the observed machines and connection_ready ids");
    gp_check_detail(r, "%llu connections changed id or machine",
                    (unsigned long long)r->count);
}
