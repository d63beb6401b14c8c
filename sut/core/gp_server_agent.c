/* gp_server_agent.c: the reference agent inside the server.  Each accepted
 * agent_execution becomes a request slot on its connection; its five events
 * go out one per GP_TIMER_AGENT_STEP, at the delays gp_agent_plan drew.  A
 * request chosen to fail (agent_failure_rate) sends AGENT_FAILED in place of
 * the rest of its events, so a client always gets an answer, never a hang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_server_int.h"

static uint64_t env_draw(void *ctx)
{
    const gp_env *env = ctx;
    return env->random_u64(env->ctx);
}

bool gp_server_agent_in_flight(const gp_conn *c, const char *request_id)
{
    for (uint32_t i = 0; c->requests && i < c->requests_cap; i++)
        if (c->requests[i].in_use && strcmp(c->requests[i].request_id, request_id) == 0)
            return true;
    return false;
}

void gp_server_set_agent_failure_rate(gp_server *srv, double rate)
{
    srv->cfg.agent_failure_rate = rate < 0.0 ? 0.0 : rate > 1.0 ? 1.0 : rate;
}

void gp_server_agent_start(gp_server *srv, gp_conn *c, const gp_msg *m)
{
    uint32_t cap = srv->cfg.max_requests_in_flight;
    if (!c->requests) {
        c->requests = gp_mem_calloc(srv->alloc, cap, sizeof(*c->requests));
        c->requests_cap = c->requests ? cap : 0;
        if (!c->requests) {
            gp_server_send_error(srv, c, GP_PROTO_INTERNAL_ERROR,
                                 "out of memory", m->request_id);
            return;
        }
    }
    uint32_t slot = 0;
    while (slot < cap && c->requests[slot].in_use)
        slot++;
    if (slot == cap) { /* the caller checked requests_active */
        gp_server_send_error(srv, c, GP_PROTO_TOO_MANY_REQUESTS,
                             "too many requests in flight", m->request_id);
        return;
    }
    gp_request *r = &c->requests[slot];
    *r = (gp_request){.in_use = true, .fail_at_step = GP_AGENT_STEPS};
    r->message = gp_mem_strdup(srv->alloc, m->message);
    if (!r->message) {
        r->in_use = false;
        gp_server_send_error(srv, c, GP_PROTO_INTERNAL_ERROR, "out of memory",
                             m->request_id);
        return;
    }
    if (m->request_id) {
        gp_server_copy_text(r->request_id, sizeof(r->request_id), m->request_id);
    } else {
        /* a server-assigned id never repeats one in flight, even one a
         * client chose in the same form */
        char rid[GP_REQUEST_ID_LEN_MAX + 1];
        do
            snprintf(rid, sizeof(rid), "srv-%llu", (unsigned long long)++c->request_seq);
        while (gp_server_agent_in_flight(c, rid));
        memcpy(r->request_id, rid, sizeof(rid));
    }
    gp_server_copy_text(r->agent_type, sizeof(r->agent_type),
                        m->agent_type ? m->agent_type : "supervisor");
    gp_agent_plan(&srv->cfg.agent, env_draw, (void *)srv->env, r->delays_ms);
    if (srv->cfg.agent_failure_rate > 0.0) {
        double u = (double)(srv->env->random_u64(srv->env->ctx) >> 11) * 0x1.0p-53;
        if (u < srv->cfg.agent_failure_rate) {
            r->fail_at_step =
                (uint8_t)(1 + srv->env->random_u64(srv->env->ctx) % (GP_AGENT_STEPS - 1));
            gp_observation o = {.kind = GP_OBS_AGENT_FAILURE, .transport = c->transport,
                                .id = c->machine->id, .from = (int)c->machine->state,
                                .to = (int)c->machine->state, .after = (int)c->machine->state,
                                .request_id = r->request_id,
                                .at_ms = srv->env->now_ms(srv->env->ctx)};
            gp_env_observe(srv->env, &o);
        }
    }
    c->requests_active++;
    srv->counters.requests_total++;
    gp_server_agent_step(srv, c, slot);
}

static void request_end(gp_server *srv, gp_conn *c, gp_request *r)
{
    gp_mem_free(srv->alloc, r->message);
    *r = (gp_request){0};
    c->requests_active--;
}

void gp_server_agent_step(gp_server *srv, gp_conn *c, uint32_t slot)
{
    if (!c->requests || slot >= c->requests_cap)
        return;
    gp_request *r = &c->requests[slot];
    if (!r->in_use || c->closing)
        return;
    if (r->step == r->fail_at_step) {
        srv->counters.requests_failed_total++;
        gp_server_log(srv, GP_LOG_WARNING, "Agent failed for request %s on %s",
                      r->request_id, c->machine->id);
        gp_server_send_error(srv, c, GP_PROTO_AGENT_FAILED,
                             "the agent failed while handling the request",
                             r->request_id);
        request_end(srv, c, r);
        return;
    }
    char text[512];
    gp_msg m = {.type = gp_agent_step_type(r->step),
                .request_id = r->request_id,
                .connection_id = c->machine->id};
    const char *tool = gp_agent_tool(r->message);
    switch (m.type) {
    case GP_MSG_AGENT_STARTED:
        m.agent_type = r->agent_type;
        break;
    case GP_MSG_AGENT_THINKING:
        m.thought = "Planning the answer";
        break;
    case GP_MSG_TOOL_EXECUTING:
        m.tool = tool;
        break;
    case GP_MSG_TOOL_COMPLETED:
        m.tool = tool;
        m.result = "3 findings";
        break;
    case GP_MSG_AGENT_COMPLETED:
        gp_agent_response(r->agent_type, r->message, text, sizeof(text));
        m.response = text;
        break;
    default:
        return;
    }
    if (gp_server_send(srv, c, &m) == GP_OK)
        srv->counters.events_sent_total++;
    r->step++;
    if (r->step == GP_AGENT_STEPS) {
        srv->counters.requests_completed_total++;
        request_end(srv, c, r);
        return;
    }
    srv->env->timer_start(srv->env->ctx, r->delays_ms[r->step],
                          gp_server_handle_of(srv, c), GP_TIMER_AGENT_STEP, slot);
}

void gp_server_agent_release(gp_server *srv, gp_conn *c)
{
    if (!c->requests)
        return;
    for (uint32_t i = 0; i < c->requests_cap; i++) {
        if (c->requests[i].in_use) {
            gp_mem_free(srv->alloc, c->requests[i].message);
            c->requests[i].in_use = false;
            c->requests_active--;
        }
    }
    gp_mem_free(srv->alloc, c->requests);
    c->requests = NULL;
    c->requests_cap = 0;
}
