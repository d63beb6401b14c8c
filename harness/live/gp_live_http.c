/* gp_live_http.c: a tiny HTTP GET client on the live driver's lws context, for
 * the server's /health and /metrics.  It runs in the same service loop as the
 * WebSocket clients, so sampling /health during a run never blocks them. */
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_live_int.h"

#define BODY_MAX (4u << 20)

/* Reports the result once; later calls (an error after a completion, the
 * close after an error) do nothing. */
static void finish(gp_live_http *h, int status)
{
    if (!h->busy)
        return;
    h->busy = false;
    if (!h->body) {
        h->body = malloc(1);
        h->cap = h->body ? 1 : 0;
        if (!h->body)
            status = -1;
    }
    if (h->body)
        h->body[h->len] = '\0';
    h->done(h->done_ctx, status, h->body ? h->body : "", h->body ? h->len : 0);
}

static int append(gp_live_http *h, const char *in, size_t len)
{
    if (h->len + len + 1 > BODY_MAX)
        return -1;
    if (h->len + len + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + len + 1)
            cap *= 2;
        char *grown = realloc(h->body, cap);
        if (!grown)
            return -1;
        h->body = grown;
        h->cap = cap;
    }
    memcpy(h->body + h->len, in, len);
    h->len += len;
    return 0;
}

int gp_live_http_get(gp_live_http *h, struct lws_context *cx, const gp_live_url *u,
                     const char *path, gp_live_http_done done, void *ctx)
{
    if (h->busy)
        return GP_ERR_FULL;
    h->busy = true;
    h->len = 0;
    h->status = -1;
    h->done = done;
    h->done_ctx = ctx;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof(i));
    i.context = cx;
    i.address = u->host;
    i.port = u->port;
    i.path = path;
    i.host = u->host;
    i.origin = u->host;
    i.method = "GET";
    i.protocol = "gp-http";
    i.local_protocol_name = "gp-http"; /* else lws binds a GET to the first protocol */
    i.alpn = "http/1.1";
    i.userdata = h;
    i.pwsi = &h->wsi;
    i.retry_and_idle_policy = &gp_live_no_idle_policy;
    if (u->tls)
        i.ssl_connection = LCCSCF_USE_SSL |
                           (u->insecure ? LCCSCF_ALLOW_SELFSIGNED |
                                              LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                                              LCCSCF_ALLOW_EXPIRED
                                        : 0);
    if (!lws_client_connect_via_info(&i)) {
        h->wsi = NULL;
        finish(h, -1); /* no-op when the error callback already reported it */
    }
    return GP_OK;
}

int gp_live_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                          void *in, size_t len)
{
    gp_live_http *h = user;
    if (!h || (h->wsi && wsi != h->wsi && reason != LWS_CALLBACK_CLIENT_CONNECTION_ERROR))
        return 0; /* a connection of an earlier request */
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (!h->wsi || wsi == h->wsi)
            finish(h, -1);
        break;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        h->status = (int)lws_http_client_http_response(wsi);
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (append(h, in, len) != 0) {
            finish(h, -1);
            return -1;
        }
        break;
    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buffer[4096 + LWS_PRE];
        char *px = buffer + LWS_PRE;
        int lenx = (int)sizeof(buffer) - LWS_PRE;
        if (lws_http_client_read(wsi, &px, &lenx) < 0)
            return -1;
        break;
    }
    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        finish(h, h->status);
        return -1; /* no keep-alive: one request per connection */
    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        finish(h, -1);
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        finish(h, -1);
        h->wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

void gp_live_http_free(gp_live_http *h)
{
    free(h->body);
    h->body = NULL;
    h->len = h->cap = 0;
}
