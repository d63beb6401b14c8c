/* gp_srv_shutdown.c: goldpath-server's signals and graceful shutdown.
 *
 * SIGINT and SIGTERM only count themselves and call lws_cancel_service(),
 * which wakes the loop with LWS_CALLBACK_EVENT_WAIT_CANCELLED; everything
 * else happens there, on the loop, where calling into the core is safe.
 * The first signal starts a graceful shutdown: upgrades are refused (503,
 * gp_srv_http.c), the core closes idle connections with 1001 at once and
 * busy ones when their requests finish or its grace period ends, and the
 * loop stops when the last WebSocket session has closed -- or
 * GP_SRV_CLOSE_SLACK_MS after the grace period, whichever is first.  A
 * second signal stops at once (exit 1). */
#include <signal.h>
#include <string.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

/* The only mutable globals of the server, and only because a signal handler
 * can reach nothing else: how many SIGINT/SIGTERM arrived, the last one, and
 * the context to wake.  The handler writes them; the loop reads them. */
static volatile sig_atomic_t gp_srv_signal_count;
static volatile sig_atomic_t gp_srv_signal_last;
static struct lws_context *volatile gp_srv_signal_ctx;

static void on_signal(int signo)
{
    gp_srv_signal_last = signo;
    gp_srv_signal_count++;
    struct lws_context *ctx = gp_srv_signal_ctx;
    if (ctx)
        lws_cancel_service(ctx); /* a write(2) to lws's event pipe */
}

void gp_srv_signals_install(struct lws_context *ctx)
{
    gp_srv_signal_ctx = ctx;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT); /* no nesting of the two */
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void deadline_fire(lws_sorted_usec_list_t *sul)
{
    gp_srv *srv = lws_container_of(sul, gp_srv, deadline_sul);
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Shutdown: %llu connections still open after the grace period; closing them",
                (unsigned long long)srv->sessions);
    gp_srv_lws_request_stop(srv);
}

static void begin_shutdown(gp_srv *srv, int signo)
{
    srv->shutting_down = true;
    gp_srv_logf(srv->opt.log_level, GP_LOG_INFO,
                "Received %s: no new connections; closing the open ones with 1001 "
                "after their requests finish (grace %u ms)",
                signo == SIGINT ? "SIGINT" : "SIGTERM", srv->opt.core.shutdown_grace_ms);
    gp_server_shutdown(srv->core);
    uint64_t wait_ms = (uint64_t)srv->opt.core.shutdown_grace_ms + GP_SRV_CLOSE_SLACK_MS;
    lws_sul_schedule(srv->ctx, 0, &srv->deadline_sul, deadline_fire,
                     (lws_usec_t)wait_ms * LWS_US_PER_MS);
    gp_srv_shutdown_check_done(srv);
}

void gp_srv_shutdown_on_wake(gp_srv *srv)
{
    int count = gp_srv_signal_count;
    if (count == srv->signals_handled)
        return;
    srv->signals_handled = count;
    int signo = gp_srv_signal_last;
    if (!srv->shutting_down) {
        begin_shutdown(srv, signo);
        if (count == 1)
            return;
    }
    gp_srv_logf(srv->opt.log_level, GP_LOG_WARNING,
                "Received %s again: stopping now with %llu connections open",
                signo == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)srv->sessions);
    srv->exit_code = 1;
    gp_srv_lws_request_stop(srv);
}

void gp_srv_signals_forget(void)
{
    /* No handler may wake a context that is going away: block the two
     * signals (we are exiting; a later one is moot) before forgetting it. */
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    gp_srv_signal_ctx = NULL;
}

void gp_srv_shutdown_check_done(gp_srv *srv)
{
    /* Over TLS a connection's last bytes (its close frame) may still be on
     * their way through its link when its session has closed. */
    if (!srv->shutting_down || srv->stop || srv->sessions || srv->tls_links)
        return;
    gp_srv_logf(srv->opt.log_level, GP_LOG_INFO, "Shutdown complete: all connections closed");
    gp_srv_lws_request_stop(srv);
}
