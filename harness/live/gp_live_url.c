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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"

int gp_live_url_parse(const char *url, gp_live_url *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof(*out));
    const char *p = url;
    if (strncmp(p, "ws://", 5) != 0) {
        snprintf(err, err_len, "--url %s: expected ws://HOST:PORT/PATH (wss:// is not supported)",
                 url);
        return GP_ERR_INVALID_ARG;
    }
    p += 5;
    size_t host_len = strcspn(p, ":/");
    if (host_len == 0 || host_len >= sizeof(out->host)) {
        snprintf(err, err_len, "--url %s: missing or overlong host", url);
        return GP_ERR_INVALID_ARG;
    }
    memcpy(out->host, p, host_len);
    p += host_len;
    out->port = 80;
    if (*p == ':') {
        char *end = NULL;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port < 1 || port > 65535 || (*end && *end != '/')) {
            snprintf(err, err_len, "--url %s: the port must be 1 to 65535", url);
            return GP_ERR_INVALID_ARG;
        }
        out->port = (int)port;
        p = end;
    }
    const char *path = *p ? p : "/ws";
    if (strlen(path) >= sizeof(out->path)) {
        snprintf(err, err_len, "--url %s: path too long", url);
        return GP_ERR_INVALID_ARG;
    }
    snprintf(out->path, sizeof(out->path), "%s", path);
    return GP_OK;
}

bool gp_live_host_is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "localhost") == 0;
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
