/* gp_check_resources.c: what the server holds goes back to its baseline once
 * every client has gone.  Simulation: the core's live allocations (count and
 * bytes, through the environment's allocator) must equal what it held right
 * after it was created.  Live: the started server's resident memory may grow
 * by at most expect.server_memory_per_connection_bytes per connection the
 * run churned, and a server goldpath started must exit cleanly when stopped
 * (a sanitizer's leak report makes it exit non-zero). */
#include "gp_checks_int.h"

void gp_check_resources(const gp_run *run, gp_check_result *r)
{
    const gp_mem_figures *m = &run->mem;
    if (run->wire.complete) {
        r->count = m->end_count != m->base_count || m->end_bytes != m->base_bytes;
        gp_check_evidence(r, "the core's allocations");
        gp_check_detail(r, "%llu allocations / %llu bytes left, %llu / %llu at the start "
                           "(peak %llu / %llu)",
                        (unsigned long long)m->end_count, (unsigned long long)m->end_bytes,
                        (unsigned long long)m->base_count, (unsigned long long)m->base_bytes,
                        (unsigned long long)m->peak_count, (unsigned long long)m->peak_bytes);
        return;
    }
    if (m->exit_known && m->exit_status != 0) {
        r->count = 1;
        gp_check_evidence(r, "the started server's exit status");
        gp_check_detail(r, "the server exited with status %d when stopped (a crash or a "
                           "sanitizer report: see server.log)", m->exit_status);
        return;
    }
    uint64_t budget = run->sc.expect.server_memory_per_connection_bytes;
    if (!(run->evidence & GP_EV_MEMORY)) {
        /* a server goldpath did not start: its memory is not ours to read */
        r->not_judged = budget != 0;
        r->nothing_asked = budget == 0;
        if (!budget) {
            gp_check_evidence(r, "none");
            gp_check_detail(r, "no memory budget set, and the server's memory is not "
                               "readable (goldpath did not start it)");
        } else {
            gp_check_evidence(r, "none");
            gp_check_detail(r, "expect.server_memory_per_connection_bytes is set, but the "
                               "server's memory is not readable (goldpath did not start it)");
        }
        return;
    }
    uint64_t conns = run->health.connections_total ? run->health.connections_total : 1;
    uint64_t grew = m->rss_end_kib > m->rss_base_kib ? (m->rss_end_kib - m->rss_base_kib) * 1024 : 0;
    r->count = budget && grew / conns > budget;
    gp_check_evidence(r, "the server's resident memory");
    gp_check_detail(r, "resident memory %llu KiB -> %llu KiB: %llu bytes per connection "
                       "churned (%llu connections; budget %s)",
                    (unsigned long long)m->rss_base_kib, (unsigned long long)m->rss_end_kib,
                    (unsigned long long)(grew / conns), (unsigned long long)conns,
                    budget ? "expect.server_memory_per_connection_bytes" : "none set");
}
