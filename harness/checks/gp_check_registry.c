/* gp_check_registry.c: the state registry is empty once every client has
 * gone (simulation: the registry itself; live: /health's registry_size, read
 * until no connection is open). */
#include "gp_checks_int.h"

void gp_check_registry(const gp_run *run, gp_check_result *r)
{
    r->count = run->registry_left;
    gp_check_evidence(r, run->wire.complete ? "the registry" : "/health registry_size");
    gp_check_detail(r, "%llu registry entries left", (unsigned long long)run->registry_left);
}
