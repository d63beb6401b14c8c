/* gp_srv_env.c: the gp_env that goldpath-server gives the core.
 *
 * now_ms is the real clock (CLOCK_REALTIME: ids and JWT expiry are wall-clock
 * facts), held so it never goes backwards as gp_env requires.  random_u64 is
 * real entropy: the server may use it, the core never reads any itself.
 * Timers go into gp_srv_timers on the monotonic clock, and ONE lws_sul is
 * scheduled for the earliest; when it fires every due timer is handed to the
 * core in (due, start order).  A connection's timers are dropped when it
 * closes (gp_srv_env_conn_closed), so churn leaves nothing queued.  send
 * and close only queue: bytes leave in LWS_CALLBACK_SERVER_WRITEABLE
 * (gp_srv_ws.c).  send also feeds the latency histograms (measure()). */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

/* Timers handed to the core per sul callback, so that a chain of zero-delay
 * timers cannot keep the loop from servicing sockets. */
#define GP_SRV_TIMERS_PER_TICK 4096

uint64_t gp_srv_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t gp_srv_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The histograms: a message the core has just queued may start or end an
 * interval.  connection_ready ends the connection's time to ready (once);
 * agent_started starts a request at the arrival of the message being
 * handled (it is sent from inside gp_server_on_message); agent_completed
 * and an AGENT_FAILED error end it. */
static void measure(gp_srv *srv, gp_session *s, const char *data, size_t len)
{
    uint64_t key = 0, start = 0, now = gp_srv_mono_us();
    switch (gp_srv_out_classify(data, len, &key)) {
    case GP_SRV_OUT_READY:
        if (!s->ready_measured) {
            s->ready_measured = true;
            gp_histo_observe_us(&srv->time_to_ready, now - s->opened_us);
        }
        break;
    case GP_SRV_OUT_STARTED:
        gp_srv_reqclock_start(&s->reqs, srv->opt.core.max_requests_in_flight, key,
                              s->msg_rx_us ? s->msg_rx_us : now);
        break;
    case GP_SRV_OUT_COMPLETED:
    case GP_SRV_OUT_FAILED:
        if (gp_srv_reqclock_end(&s->reqs, key, &start))
            gp_histo_observe_us(&srv->request_duration, now - start);
        break;
    case GP_SRV_OUT_OTHER:
        break;
    }
}

static uint64_t env_now_ms(void *ctx)
{
    gp_srv *srv = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t t = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    if (t < srv->last_now_ms) /* the wall clock was stepped back */
        t = srv->last_now_ms;
    srv->last_now_ms = t;
    return t;
}

static uint64_t env_random_u64(void *ctx)
{
    (void)ctx;
    uint64_t v = 0;
    for (;;) {
        ssize_t n = getrandom(&v, sizeof(v), 0);
        if (n == (ssize_t)sizeof(v))
            return v;
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (RAND_bytes((unsigned char *)&v, sizeof(v)) == 1)
        return v;
    /* Both sources failing is not a reason to stop serving: ids stay unique
     * through the core's serial, only their spread suffers. */
    return gp_srv_mono_ms() * 0x9E3779B97F4A7C15ULL;
}

static void timers_fire(lws_sorted_usec_list_t *sul);

/* Schedules the sul for the earliest timer, if it is not already due then. */
static void timers_arm(gp_srv *srv)
{
    uint64_t at_ms;
    if (!srv->ctx || !gp_srv_timers_next_ms(&srv->timers, &at_ms) ||
        at_ms >= srv->timer_sul_due_ms)
        return; /* no loop (yet, or any more), nothing to do, or armed */
    uint64_t now = gp_srv_mono_ms();
    uint64_t delay_ms = at_ms > now ? at_ms - now : 0;
    srv->timer_sul_due_ms = at_ms;
    lws_sul_schedule(srv->ctx, 0, &srv->timer_sul, timers_fire,
                     (lws_usec_t)delay_ms * LWS_US_PER_MS);
}

static void timers_fire(lws_sorted_usec_list_t *sul)
{
    gp_srv *srv = lws_container_of(sul, gp_srv, timer_sul);
    srv->timer_sul_due_ms = UINT64_MAX;
    uint64_t now = gp_srv_mono_ms();
    gp_srv_timer e;
    for (int i = 0; i < GP_SRV_TIMERS_PER_TICK &&
                    gp_srv_timers_pop_due(&srv->timers, now, &e); i++) {
        gp_server_on_timer(srv->core, e.conn, (gp_timer_kind)e.kind, e.arg);
    }
    timers_arm(srv);
    gp_srv_shutdown_check_done(srv);
}

static void env_timer_start(void *ctx, uint64_t delay_ms, uint64_t conn,
                            gp_timer_kind kind, uint32_t arg)
{
    gp_srv *srv = ctx;
    if (gp_srv_timers_add(&srv->timers, gp_srv_mono_ms() + delay_ms, conn, kind, arg) != 0) {
        gp_srv_logf(GP_LOG_DEBUG, GP_LOG_ERROR,
                    "Out of memory: a %s timer was lost (kind %d)",
                    conn ? "connection" : "server", (int)kind);
        return;
    }
    timers_arm(srv);
}

static void env_send(void *ctx, void *transport, const char *data, size_t len)
{
    gp_srv *srv = ctx;
    struct lws *wsi = transport;
    gp_session *s = lws_wsi_user(wsi);
    if (!s || s->close_code)
        return; /* nothing may follow a close frame */
    if (!gp_srv_flow_preauth_admit(srv, wsi, s, len))
        return; /* over the pre-authentication budget: closing 1013 */
    gp_outq_result r = gp_outq_push(&s->outq, data, len, LWS_PRE, GP_SRV_OUTQ_BYTES_MAX);
    if (r == GP_OUTQ_OK) {
        measure(srv, s, data, len);
        gp_srv_flow_account(srv, s);
        gp_srv_flow_after_push(srv, wsi, s);
        lws_callback_on_writable(wsi);
        return;
    }
    const char *id = gp_server_conn_id(srv->core, s->handle);
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Connection %s: %s with %zu bytes queued; closing",
                id ? id : "(unknown)",
                r == GP_OUTQ_FULL ? "output queue full" : "out of memory",
                s->outq.bytes);
    if (r == GP_OUTQ_FULL)
        srv->slow_reader_closes_total++;
    gp_outq_clear(&s->outq);
    gp_srv_flow_account(srv, s);
    gp_srv_ws_close_later(wsi, s, r == GP_OUTQ_FULL ? GP_CLOSE_POLICY : GP_CLOSE_INTERNAL,
                          r == GP_OUTQ_FULL ? "client is not reading" : "out of memory");
}

static void env_close(void *ctx, void *transport, int code, const char *reason)
{
    (void)ctx;
    struct lws *wsi = transport;
    gp_session *s = lws_wsi_user(wsi);
    if (s)
        gp_srv_ws_close_later(wsi, s, code, reason);
}

static void env_log(void *ctx, gp_log_level level, const char *line)
{
    (void)ctx;
    gp_srv_log_write(level, line);
}

void gp_srv_env_init(gp_srv *srv)
{
    gp_srv_timers_init(&srv->timers);
    srv->timer_sul_due_ms = UINT64_MAX;
    gp_histo_init(&srv->time_to_ready, "goldpath_time_to_ready_seconds",
                  "Time from a WebSocket connection opening to its connection_ready being sent.",
                  gp_srv_ready_bounds_s, gp_srv_ready_bounds_count);
    gp_histo_init(&srv->request_duration, "goldpath_request_duration_seconds",
                  "Time from an agent_execution arriving to its agent_completed or "
                  "AGENT_FAILED error being sent.",
                  gp_srv_request_bounds_s, gp_srv_request_bounds_count);
    srv->env = (gp_env){
        .ctx = srv,
        .now_ms = env_now_ms,
        .random_u64 = env_random_u64,
        .timer_start = env_timer_start,
        .send = env_send,
        .close = env_close,
        .log = env_log,
        .log_level_min = srv->opt.log_level,
        /* reused encoding trees (NULL when out of memory: built per message) */
        .enc = gp_msg_encoder_create(),
    };
}

void gp_srv_env_free(gp_srv *srv)
{
    gp_srv_timers_free(&srv->timers);
    gp_msg_encoder_destroy(srv->env.enc);
    srv->env.enc = NULL;
}

void gp_srv_env_conn_closed(gp_srv *srv, gp_conn_handle h)
{
    gp_srv_timers_cancel_conn(&srv->timers, h);
}
