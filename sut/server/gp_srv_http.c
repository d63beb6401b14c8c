/* gp_srv_http.c: plain HTTP on the WebSocket port.
 *
 * GET /health answers the core's figures as JSON (PROTOCOL.md's shape, from
 * gp_health_to_json) and GET /metrics the same figures in Prometheus text
 * format.  Everything else is refused with a status a client can act on:
 * 404 for unknown paths, 405 for other methods on the two endpoints, 426 for
 * a plain GET of /ws; an upgrade anywhere but /ws gets a 404, one that
 * offers subprotocols but not goldpath.v1 a 400, and any upgrade while
 * shutting down a 503, all before a WebSocket handshake happens.  A 200's
 * headers are written in LWS_CALLBACK_HTTP and its body in the HTTP
 * WRITEABLE that follows (the lws pattern for dynamic content); refusals
 * are small and go out whole, then the connection closes.  Every answer
 * closes its connection: the next request comes through the front door
 * (gp_srv_door.c) on a new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_srv.h"
#include "gp_srv_log.h"

#define CT_JSON "application/json"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

void gp_srv_http_release(gp_session *s)
{
    free(s->http_body);
    s->http_body = NULL;
    s->http_body_len = 0;
}

/* Takes ownership of `body` (malloc'd text of len bytes), writes the 200
 * status line and headers, and leaves the body for HTTP WRITEABLE.  Returns
 * 0, or -1 to close the connection. */
static int respond_ok(struct lws *wsi, gp_session *s, const char *content_type,
                      char *body, size_t len)
{
    gp_srv_http_release(s);
    /* lws_write wants LWS_PRE spare bytes before what it sends. */
    s->http_body = malloc(LWS_PRE + len + 1);
    if (!s->http_body) {
        free(body);
        return -1;
    }
    memcpy(s->http_body + LWS_PRE, body, len);
    free(body);
    s->http_body_len = len;
    unsigned char buf[LWS_PRE + 512];
    unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
    if (lws_add_http_common_headers(wsi, 200, content_type, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                    (const unsigned char *)"close", 5, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Writes a whole small HTTP/1.1 response (status line, headers, text body)
 * at once and asks for the connection to be closed.  For refusals where
 * lws's own helpers do not fit: before an upgrade lws_return_http_status
 * answers "HTTP/1.0" (lws has not looked at the request's version yet) and
 * some clients, Python's websockets among them, reject that; and a refused
 * request may have a body we will not read (a POST), after which the
 * connection cannot be reused.  `extra` is one more header line or NULL. */
static void respond_and_close(struct lws *wsi, unsigned status, const char *phrase,
                              const char *extra, const char *text)
{
    unsigned char buf[LWS_PRE + 640];
    char *start = (char *)buf + LWS_PRE;
    size_t cap = sizeof(buf) - LWS_PRE;
    int n = snprintf(start, cap,
                     "HTTP/1.1 %u %s\r\nserver: goldpath-server\r\n"
                     "content-type: " CT_TEXT "\r\ncontent-length: %zu\r\n"
                     "%s%sconnection: close\r\n\r\n%s\n",
                     status, phrase, strlen(text) + 1, extra ? extra : "",
                     extra ? "\r\n" : "", text);
    if (n > 0 && (size_t)n < cap)
        lws_write(wsi, (unsigned char *)start, (size_t)n, LWS_WRITE_HTTP_HEADERS);
}

int gp_srv_http_request(gp_srv *srv, struct lws *wsi, gp_session *s,
                        const char *path)
{
    bool health = strcmp(path, "/health") == 0;
    bool metrics = strcmp(path, "/metrics") == 0;
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    if (!health && !metrics) {
        if (get && strcmp(path, "/ws") == 0)
            respond_and_close(wsi, 426, "Upgrade Required", "upgrade: websocket",
                              "/ws is a WebSocket endpoint: connect with a WebSocket client");
        else
            respond_and_close(wsi, 404, "Not Found", NULL,
                              "not found: this server answers /ws (WebSocket), /health and /metrics");
        return -1;
    }
    if (!get) {
        respond_and_close(wsi, 405, "Method Not Allowed", "allow: GET",
                          "method not allowed: use GET");
        return -1;
    }
    gp_health h;
    gp_server_health(srv->core, &h);
    char *body = health ? gp_health_to_json(&h) : gp_health_to_prometheus(&h);
    if (body)
        body = health ? gp_srv_figures_json(srv, body)
                      : gp_srv_figures_prometheus(srv, &h, body);
    if (!body) {
        gp_srv_logf(srv->opt.log_level, GP_LOG_ERROR, "Out of memory rendering %s", path);
        respond_and_close(wsi, 500, "Internal Server Error", NULL, "out of memory");
        return -1;
    }
    size_t len = strlen(body);
    if (health) { /* a trailing newline, for people using curl */
        char *nl = realloc(body, len + 2);
        if (nl) {
            body = nl;
            body[len++] = '\n';
            body[len] = '\0';
        }
    }
    return respond_ok(wsi, s, health ? CT_JSON : CT_PROM, body, len);
}

int gp_srv_http_writeable(gp_srv *srv, struct lws *wsi, gp_session *s)
{
    (void)srv;
    if (!s->http_body)
        return 0; /* spurious */
    int n = lws_write(wsi, (unsigned char *)s->http_body + LWS_PRE, s->http_body_len,
                      LWS_WRITE_HTTP_FINAL);
    gp_srv_http_release(s);
    (void)n;
    /* One request per connection ("connection: close"): a kept-alive
     * connection would wait for its next head inside lws, out of the front
     * door's reach (its deadline and per-address limits). */
    return -1;
}

/* True when the client offered subprotocols and goldpath.v1 is not among
 * them.  lws 4.1.6 would hang up on such a client without an HTTP answer
 * (it finds no protocol of that name); we answer 400 and say why. */
static bool offers_only_other_subprotocols(struct lws *wsi)
{
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_PROTOCOL);
    if (n <= 0)
        return false; /* none offered: served goldpath.v1 by default */
    char list[512];
    if (n >= (int)sizeof(list) || lws_hdr_copy(wsi, list, sizeof(list), WSI_TOKEN_PROTOCOL) < 0)
        return true;
    char *save = NULL;
    for (char *tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
        if (strcmp(tok, GP_SRV_SUBPROTOCOL) == 0)
            return false;
    return true;
}

int gp_srv_http_confirm_upgrade(gp_srv *srv, struct lws *wsi)
{
    char uri[256];
    int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    if (n < 0 || strcmp(uri, "/ws") != 0)
        respond_and_close(wsi, 404, "Not Found", NULL, "WebSocket connections go to /ws");
    else if (offers_only_other_subprotocols(wsi))
        respond_and_close(wsi, 400, "Bad Request", NULL,
                          "unsupported WebSocket subprotocol: this server speaks "
                          GP_SRV_SUBPROTOCOL " (offer it, or offer none)");
    else if (srv->shutting_down)
        respond_and_close(wsi, 503, "Service Unavailable", NULL, "the server is shutting down");
    else
        return 0;
    return 1; /* refused, and answered */
}
