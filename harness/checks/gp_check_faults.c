/* gp_check_faults.c: every fault the scenario configures was injected at
 * least once (a run cannot pass by injecting nothing), with a reason when
 * a fault cannot fire in the scenario as written. */
#include <stdio.h>
#include <string.h>

#include "gp_checks_int.h"

/* Why fault f cannot fire in sc, or NULL when it can. */
static const char *cannot_fire(const gp_scenario *sc, gp_fault f)
{
    if (f == GP_FAULT_NET_REORDER && sc->clients.requests < 2)
        return "reordering needs two requests in flight (clients.requests_per_client >= 2)";
    if (f == GP_FAULT_DISCONNECT_PROCESSING && sc->faults.agent_failure >= 1.0)
        return "every request fails before its events";
    return NULL;
}

void gp_check_faults_fired(const gp_run *run, gp_check_result *r)
{
    char missing[300] = "";
    for (int f = 0; f < GP_FAULT_COUNT; f++) {
        if (gp_fault_rate(&run->sc, (gp_fault)f) <= 0.0 || run->ledger.fired[f] != 0)
            continue;
        r->count++;
        const char *why = cannot_fire(&run->sc, (gp_fault)f);
        size_t len = strlen(missing);
        snprintf(missing + len, sizeof(missing) - len, "%s%s%s%s%s", len ? "; " : "",
                 gp_fault_name((gp_fault)f), why ? " (" : "", why ? why : "", why ? ")" : "");
    }
    gp_check_evidence(r, "the fault ledger");
    if (r->count)
        gp_check_detail(r, "configured but never injected: %s", missing);
    else
        gp_check_detail(r, "every configured fault was injected");
}
