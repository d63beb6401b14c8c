/* gp_live_url.c: the server's address -- ws://HOST:PORT/PATH parsed, and the
 * source addresses connections are spread over.
 *
 * Linux gives each (source address, destination) pair about 28,000
 * ephemeral ports (32768-60999), so one loopback source address runs out
 * near that many connections.  Every 127.0.0.0/8 address is loopback, so
 * connections to a loopback server are bound round-robin to 127.0.0.1,
 * 127.0.0.2, ... when the count needs it (or live.source_addresses asks).
 * Binding is not free: lws binds each socket to the address before
 * connecting, and the kernel then searches for a free port at bind() time
 * (measured: 850-1,800 connections/s bound against 5,000+ unbound), so it is
 * only done when needed. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"

/* Parses ws://HOST[:PORT][/PATH] with HOST a name, an IPv4 address or an
 * IPv6 address in brackets ([::1]); the reason of a refusal goes to err
 * (without the URL: callers name it). */
static int parse(const char *url, gp_live_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    const char *p = url;
    if (strncmp(p, "ws://", 5) == 0) {
        p += 5;
    } else if (strncmp(p, "wss://", 6) == 0) {
        p += 6;
        out->tls = true;
    } else {
        snprintf(err, err_len, "expected ws://HOST:PORT/PATH or wss://HOST:PORT/PATH");
        return GP_ERR_INVALID_ARG;
    }
    size_t host_len;
    if (*p == '[') { /* an IPv6 literal */
        const char *close = strchr(p, ']');
        if (!close) {
            snprintf(err, err_len, "an IPv6 address needs its closing ']'");
            return GP_ERR_INVALID_ARG;
        }
        host_len = (size_t)(close - p - 1);
        if (host_len == 0 || host_len >= sizeof(out->host) ||
            strspn(p + 1, "0123456789abcdefABCDEF:.%") < host_len) {
            snprintf(err, err_len, "\"%.*s\" is not an IPv6 address", (int)(close - p + 1), p);
            return GP_ERR_INVALID_ARG;
        }
        memcpy(out->host, p + 1, host_len);
        p = close + 1;
        if (*p && *p != ':' && *p != '/') {
            snprintf(err, err_len, "expected ':' or '/' after the address");
            return GP_ERR_INVALID_ARG;
        }
    } else {
        host_len = strcspn(p, ":/");
        if (host_len == 0 || host_len >= sizeof(out->host)) {
            snprintf(err, err_len, "%s host", host_len ? "an overlong" : "no");
            return GP_ERR_INVALID_ARG;
        }
        memcpy(out->host, p, host_len);
        p += host_len;
    }
    out->port = out->tls ? 443 : 80;
    if (*p == ':') {
        char *end = NULL;
        errno = 0;
        long port = p[1] >= '0' && p[1] <= '9' ? strtol(p + 1, &end, 10) : -1;
        if (port < 1 || port > 65535 || errno || (end && *end && *end != '/')) {
            snprintf(err, err_len, "the port \"%.*s\" is not a number from 1 to 65535",
                     (int)strcspn(p + 1, "/"), p + 1);
            return GP_ERR_INVALID_ARG;
        }
        out->port = (int)port;
        p = end;
    }
    out->path_given = *p && strcmp(p, "/") != 0;
    const char *path = *p ? p : "/ws";
    if (strlen(path) >= sizeof(out->path)) {
        snprintf(err, err_len, "the path is longer than %zu bytes", sizeof(out->path) - 1);
        return GP_ERR_INVALID_ARG;
    }
    snprintf(out->path, sizeof(out->path), "%s", path);
    return GP_OK;
}

int gp_live_url_parse(const char *url, gp_live_url *out, char *err, size_t err_len)
{
    char why[200];
    int rc = parse(url, out, why, sizeof(why));
    if (rc != GP_OK)
        snprintf(err, err_len, "--url %s: %s", url, why);
    return rc;
}

int gp_live_url_check(const char *url, char *err, size_t err_len)
{
    gp_live_url u;
    return parse(url, &u, err, err_len);
}

bool gp_live_host_is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "::1") == 0;
}

/* Whether the kernel lets connect() reuse a port still in TIME_WAIT towards
 * a loopback peer (net.ipv4.tcp_tw_reuse 1, or 2: loopback only, the
 * default).  The client closes first, so each finished connection holds its
 * port for a minute: without reuse, ~28,000 connections in a minute exhaust
 * one source address even when few are open at once. */
static bool tw_reuse_on(void)
{
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_tw_reuse", "r");
    int v = 0;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v != 0;
}

int gp_live_source_count(const gp_scenario *sc, const gp_live_url *url, uint64_t open_max,
                         uint32_t *out, char *err, size_t err_len)
{
    uint32_t n = sc->live.source_addresses;
    bool loopback = gp_live_host_is_loopback(url->host);
    if (n == 0 && loopback) {
        /* as needed: by the connections open at once, or by all of them when
         * ports in TIME_WAIT cannot be reused */
        uint64_t need = sc->clients.count < open_max ? sc->clients.count : open_max;
        if (!tw_reuse_on())
            need = sc->clients.count;
        n = (uint32_t)((need + GP_LIVE_PER_SOURCE - 1) / GP_LIVE_PER_SOURCE);
    }
    if (n > GP_LIVE_SOURCES_MAX) {
        snprintf(err, err_len,
                 "live.source_addresses is %u: at most %d (127.0.0.1 to 127.0.0.%d)", n,
                 GP_LIVE_SOURCES_MAX, GP_LIVE_SOURCES_MAX);
        return GP_ERR_INVALID_ARG;
    }
    if (n > 1 && !loopback) {
        snprintf(err, err_len,
                 "live.source_addresses is %u, but %s is not a loopback address: extra "
                 "source addresses are 127.0.0.x and only reach a server on this host",
                 n, url->host);
        return GP_ERR_INVALID_ARG;
    }
    *out = n <= 1 ? 0 : n; /* 0: let the kernel choose, no binding */
    return GP_OK;
}

void gp_live_source_name(uint32_t k, char *out, size_t out_len)
{
    snprintf(out, out_len, "127.0.0.%u", (unsigned)(k % GP_LIVE_SOURCES_MAX) + 1);
}

int gp_live_probe(const gp_live_url *u, int timeout_ms, char *err, size_t err_len)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", u->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(u->host, port, &hints, &res);
    if (g != 0) {
        snprintf(err, err_len, "cannot reach %s:%d: %s", u->host, u->port, gai_strerror(g));
        return GP_ERR_NOT_FOUND;
    }
    int rc = GP_ERR_NOT_FOUND, why = 0;
    for (struct addrinfo *a = res; a && rc != GP_OK; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            why = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            rc = GP_OK;
        } else if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t n = sizeof(soerr);
            if (poll(&p, 1, timeout_ms) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &n) == 0 && soerr == 0)
                rc = GP_OK;
            else
                why = soerr ? soerr : ETIMEDOUT;
        } else {
            why = errno;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (rc != GP_OK)
        snprintf(err, err_len, "cannot reach %s:%d: %s (is the server running?)", u->host,
                 u->port, strerror(why));
    return rc;
}
