/* gp_srv_main.c: goldpath-server's entry point.
 *
 * Parses the flags, checks --max-connections against the fd limit (before
 * anything listens), creates the core and the lws context, announces where
 * it listens (and, loudly, when it runs on the built-in development secret),
 * runs until SIGINT/SIGTERM has shut it down, and maps the outcome to the
 * exit status: 0 clean shutdown, 1 runtime failure, 2 bad usage or a
 * configuration that cannot run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_fdlimit.h"
#include "gp_srv.h"
#include "gp_srv_log.h"

/* The project version from CMake (PROJECT_VERSION), the same macro and
 * value as `goldpath --version` (harness/CMakeLists.txt). */
#ifndef GP_VERSION
#define GP_VERSION "0.0.0"
#endif

/* Writes "<port>\n" to path through a temporary file and rename(2), so a
 * reader never sees a half-written file. */
static bool write_ready_file(const char *path, int port)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return false;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return false;
    bool ok = fprintf(f, "%d\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok)
        remove(tmp);
    return ok;
}

static void announce(const gp_srv *srv, const gp_fdlimit *lim)
{
    const char *host = srv->opt.bind;
    bool v6 = strchr(host, ':') != NULL;
    bool tls = srv->opt.tls_cert != NULL;
    printf("goldpath-server listening on %s://%s%s%s:%d/ws (health: %s://%s%s%s:%d/health)\n",
           tls ? "wss" : "ws", v6 ? "[" : "", host, v6 ? "]" : "", srv->port,
           tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "", srv->port);
    fflush(stdout);
    gp_log_level min = srv->opt.log_level;
    gp_srv_logf(min, GP_LOG_INFO,
                "goldpath-server %s: port %d, max connections %u (fd limit %llu), "
                "max message %zu bytes, auth timeout %u ms, stuck after %u ms, "
                "event loop %s, JWT secret from %s, %s%s",
                GP_VERSION, srv->port, srv->opt.core.max_connections,
                (unsigned long long)lim->soft, srv->opt.core.max_message_bytes,
                srv->opt.core.auth_timeout_ms, srv->opt.core.stuck_after_ms,
                srv->opt.loop == GP_SRV_LOOP_UV ? "libuv" : "poll",
                srv->opt.secret_source, srv->opt.tls_cert ? "TLS with " : "no TLS",
                srv->opt.tls_cert ? srv->opt.tls_cert : "");
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (srv->opt.core.bugs & GP_BUG_BIT(b))
            gp_srv_logf(min, GP_LOG_WARNING,
                        "Known bug switched on: %s (%s) -- this server is broken on purpose",
                        gp_bug_name((gp_bug)b), gp_bug_summary((gp_bug)b));
}

int main(int argc, char **argv)
{
    /* Static, not on the stack: if lws fails part way, gp_srv_lws_stop must
     * leave the event loop allocated, and it has to stay reachable from
     * here at exit (LeakSanitizer would call it a leak otherwise). */
    static gp_srv srv;
    char msg[512];
    switch (gp_srv_flags_parse(argc, argv, getenv(GP_SRV_SECRET_ENV), &srv.opt, msg,
                               sizeof(msg))) {
    case GP_SRV_FLAGS_HELP:
        gp_srv_flags_usage(stdout);
        return 0;
    case GP_SRV_FLAGS_VERSION:
        printf("goldpath-server %s\n", GP_VERSION);
        return 0;
    case GP_SRV_FLAGS_ERROR:
        fprintf(stderr, "goldpath-server: %s\n", msg);
        return 2;
    case GP_SRV_FLAGS_RUN:
        break;
    }
    if (srv.opt.tls_cert && !gp_srv_tls_check(&srv.opt, msg, sizeof(msg))) {
        fprintf(stderr, "goldpath-server: %s\n", msg);
        return 2;
    }
    gp_fdlimit lim;
    if (!gp_fdlimit_raise(&lim)) {
        fprintf(stderr, "goldpath-server: cannot read the file-descriptor limit (getrlimit)\n");
        return 1;
    }
    /* Over TLS a connection holds its socket and a socketpair (gp_srv_tlslink.c). */
    if (!gp_fdlimit_fit(&lim, srv.opt.max_connections_given, srv.opt.tls_cert ? 3 : 1,
                        &srv.opt.core.max_connections, msg, sizeof(msg))) {
        fprintf(stderr, "goldpath-server: %s\n", msg);
        return 2;
    }
    srv.accept_fd_max = gp_fdlimit_accept_guard(&lim);
    srv.fd_limit = lim.soft;
    gp_srv_log_route_lws();
    gp_srv_env_init(&srv);
    int rc = GP_OK;
    srv.core = gp_server_create(&srv.opt.core, &srv.env, &rc);
    if (!srv.core) {
        fprintf(stderr, "goldpath-server: cannot start: %s\n", gp_err_message(rc));
        gp_srv_env_free(&srv);
        return rc == GP_ERR_INVALID_ARG ? 2 : 1;
    }
    if (srv.opt.secret_is_dev)
        fprintf(stderr, "WARNING: using the built-in development JWT secret (dev only): "
                        "set --jwt-secret or " GP_SRV_SECRET_ENV "\n");
    int code = 1;
    if (!gp_srv_lws_start(&srv, msg, sizeof(msg))) {
        fprintf(stderr, "goldpath-server: %s\n", msg);
    } else {
        announce(&srv, &lim);
        if (srv.opt.ready_file && !write_ready_file(srv.opt.ready_file, srv.port))
            fprintf(stderr, "goldpath-server: cannot write --ready-file %s\n",
                    srv.opt.ready_file);
        else
            code = gp_srv_lws_run(&srv);
    }
    gp_srv_lws_stop(&srv);
    gp_server_destroy(srv.core);
    gp_srv_env_free(&srv);
    return code;
}
