/* gp_srv_flow.c: how many bytes a WebSocket connection may make the server
 * hold, and what happens when it holds too many.
 *
 * Back-pressure.  A client that sends a burst of small messages makes the
 * server queue an answer for each; if it reads more slowly than it writes,
 * the queue grows.  Closing it as "not reading" would punish a client that
 * does read.  Instead, once a connection's queue passes the high-water mark
 * the server stops reading from it (lws_rx_flow_control): TCP then slows
 * the client down, and reading resumes when the queue is back under the
 * low-water mark.  Only a client whose queue stays above the mark for
 * --send-stall-ms is closed (1008 "client is not reading").
 *
 * Pre-authentication budget.  Every unauthenticated connection's bytes --
 * its output queue, its reassembly buffer, and messages handed to the core
 * before its accept completed (the core holds those) -- count against one
 * global budget, --preauth-memory-max.  A connection that would take the
 * total past it is closed with 1013 ("try again later") and what it held is
 * freed.  Authenticated connections do not count: they are who the server
 * is for. */
#include <string.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

static const char *conn_id(const gp_srv *srv, const gp_session *s)
{
    const char *id = s->handle ? gp_server_conn_id(srv->core, s->handle) : NULL;
    return id ? id : "(unknown)";
}

/* ---- back-pressure -------------------------------------------------------- */

static void stall_fire(lws_sorted_usec_list_t *sul)
{
    gp_session *s = lws_container_of(sul, gp_session, stall_sul);
    gp_srv *srv = lws_context_user(lws_get_context(s->wsi));
    srv->slow_reader_closes_total++;
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Connection %s: client is not reading (%zu bytes queued for %u ms); closing",
                conn_id(srv, s), s->outq.bytes, srv->opt.send_stall_ms);
    gp_outq_clear(&s->outq);
    gp_srv_flow_account(srv, s);
    gp_srv_ws_close_later(s->wsi, s, GP_CLOSE_POLICY, "client is not reading");
}

void gp_srv_flow_after_push(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    if (s->rx_paused || s->close_code || s->outq.bytes < GP_SRV_OUTQ_HIGH_BYTES)
        return;
    s->rx_paused = true;
    s->wsi = wsi;
    srv->rx_pauses_total++;
    lws_rx_flow_control(wsi, 0);
    lws_sul_schedule(lws_get_context(wsi), 0, &s->stall_sul, stall_fire,
                     (lws_usec_t)srv->opt.send_stall_ms * LWS_US_PER_MS);
}

static void resume(struct lws *wsi, gp_session *s)
{
    if (!s->rx_paused)
        return;
    s->rx_paused = false;
    lws_sul_cancel(&s->stall_sul);
    lws_rx_flow_control(wsi, 1);
}

void gp_srv_flow_after_pop(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    gp_srv_flow_account(srv, s);
    if (s->rx_paused && s->outq.bytes <= GP_SRV_OUTQ_LOW_BYTES)
        resume(wsi, s);
}

void gp_srv_flow_closing(struct lws *wsi, gp_session *s)
{
    /* lws must read the client's close frame: reading resumes (messages that
     * arrive meanwhile are dropped, the close is pending). */
    resume(wsi, s);
}

/* ---- the pre-authentication budget ---------------------------------------- */

void gp_srv_flow_account(gp_srv *srv, gp_session *s)
{
    size_t now = 0;
    if (!s->authed && s->handle) {
        gp_state st = gp_server_conn_state(srv->core, s->handle);
        if (st == GP_STATE_AUTHENTICATED || st == GP_STATE_SERVICES_READY ||
            st == GP_STATE_PROCESSING_READY)
            s->authed = true; /* for good: states never go back */
        else
            now = s->outq.bytes + s->rx_cap + s->core_held;
    }
    srv->preauth_bytes -= s->preauth_charged;
    srv->preauth_bytes += now;
    s->preauth_charged = now;
}

bool gp_srv_flow_preauth_admit(gp_srv *srv, struct lws *wsi, gp_session *s,
                               size_t more_bytes)
{
    if (s->authed || !s->handle || s->close_code)
        return true;
    if (srv->preauth_bytes <= srv->opt.preauth_memory_max &&
        more_bytes <= srv->opt.preauth_memory_max - srv->preauth_bytes)
        return true;
    srv->preauth_refusals_total++;
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Connection %s: the pre-authentication memory budget is spent "
                "(%zu of %zu bytes held by unauthenticated connections, %zu more asked); "
                "closing with 1013",
                conn_id(srv, s), srv->preauth_bytes, srv->opt.preauth_memory_max, more_bytes);
    gp_outq_clear(&s->outq);
    gp_srv_flow_account(srv, s);
    gp_srv_ws_close_later(wsi, s, GP_CLOSE_TRY_AGAIN, "try again later: pre-authentication memory budget spent");
    return false;
}

void gp_srv_flow_release(gp_srv *srv, gp_session *s)
{
    lws_sul_cancel(&s->stall_sul);
    s->rx_paused = false;
    srv->preauth_bytes -= s->preauth_charged;
    s->preauth_charged = 0;
}
