/* gp_check_completion.c: completed golden paths over the clients expected to
 * complete (no bad token, no planned disconnect, no silent client, no reset
 * by the driver's network on record), against the threshold.  A reset is an
 * injected fault: the client is left out of the count, as a planned
 * disconnect is, and the detail says how many there were. */
#include "gp_checks_int.h"

void gp_check_completion_rate(const gp_run *run, gp_check_result *r)
{
    double rate = run->expected_to_complete
                      ? (double)run->completed / (double)run->expected_to_complete
                      : 1.0;
    r->count = rate < run->sc.expect.min_completion_rate;
    gp_check_evidence(r, "the clients' outcomes");
    gp_check_detail(r, "%.6f of %llu clients expected to complete (threshold %.6f; %llu reset "
                       "by the network, not counted)",
                    rate, (unsigned long long)run->expected_to_complete,
                    run->sc.expect.min_completion_rate,
                    (unsigned long long)run->outcome[GP_VC_RESET]);
}
