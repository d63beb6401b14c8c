/* gp_check_client.c: the checks each virtual client judges for itself, from
 * what it saw and the facts on record (gp_vclient.c); here they are counted
 * over the run. */
#include "gp_checks_int.h"

static void clients(const gp_run *run, gp_check_result *r, gp_check k, const char *what)
{
    gp_check_clients(run, k, r);
    gp_check_evidence(r, "the clients' messages and the driver's facts");
    gp_check_detail(r, "%llu clients %s", (unsigned long long)r->count, what);
}

void gp_check_missing_events(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_MISSING_AGENT_EVENTS, "left with requests unanswered");
}

void gp_check_out_of_order(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_EVENTS_OUT_OF_ORDER, "saw a request's events out of order");
}

void gp_check_duplicates(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_DUPLICATE_EVENTS,
            "received an event or error twice that the network did not duplicate");
}

void gp_check_after_terminal(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_EVENTS_AFTER_TERMINAL,
            "received events of a request after its terminal event");
}

void gp_check_short_response(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_SHORT_RESPONSE, "got a response shorter than 10 characters");
}

void gp_check_response_mismatch(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_RESPONSE_MISMATCH,
            "got a response that does not answer their request's message");
}

void gp_check_duplicate_ready(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_DUPLICATE_READY, "got connection_ready more than once");
}

void gp_check_isolation(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_ISOLATION,
            "received a message of another user, connection or request");
}

void gp_check_fault_answers(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_FAULT_ANSWERS,
            "got another answer to an injected fault than the protocol names");
}

void gp_check_client_failures(const gp_run *run, gp_check_result *r)
{
    clients(run, r, GP_CHECK_CLIENT_FAILURES, "failed in a way no injected fault explains");
}
