/* gp_srv_reqhead.h: the front door's look at a request head, before
 * libwebsockets sees it.
 *
 * The front door (gp_srv_door.c) collects a connection's request head --
 * everything up to the blank line -- and asks this module what to do with
 * it.  It checks what lws 4.1.6 gets wrong or cannot do:
 *   - a WebSocket upgrade whose Sec-WebSocket-Version is not 13 gets 426
 *     with "Sec-WebSocket-Version: 13" (lws logs it and carries on as 13);
 *   - an upgrade without a Host header (or with two) gets 400 (lws hangs
 *     up without an answer);
 *   - a Sec-WebSocket-Protocol list that offers goldpath.v1 is rewritten to
 *     offer just goldpath.v1, whatever its length (lws copies the list into
 *     a 128-byte buffer and drops the connection when it is longer);
 *   - a head longer than GP_REQHEAD_BYTES_MAX gets 431.
 * Everything else (plain HTTP, the path, the subprotocol refusal, shutting
 * down) is left to the HTTP callbacks.  Pure: bytes in, a verdict out. */
#ifndef GP_SRV_REQHEAD_H
#define GP_SRV_REQHEAD_H

#include <stdbool.h>
#include <stddef.h>

/* Largest request head the front door collects (bytes): the Authorization
 * header may carry a 4096-byte token, lws keeps 8192 bytes of header values. */
#define GP_REQHEAD_BYTES_MAX 16384u

typedef struct gp_reqhead_verdict {
    unsigned status;     /* 0: pass it on; else answer with this status */
    const char *phrase;  /* "Upgrade Required" ... */
    const char *header;  /* one extra header line (no CRLF), or NULL */
    const char *text;    /* the body, for a person */
    bool rewritten;      /* pass on `out` instead of the bytes received */
} gp_reqhead_verdict;

/* Where the head ends in buf[0..len): the offset just past the blank line,
 * or 0 when it has not arrived yet. */
size_t gp_reqhead_end(const char *buf, size_t len);

/* Judges the head in buf[0..head_len) (head_len from gp_reqhead_end).  When
 * the verdict is to pass on a rewritten head, the new head is written to out
 * (cap bytes; it is never longer than the original).  `subprotocol` is the
 * one this server speaks. */
gp_reqhead_verdict gp_reqhead_judge(const char *buf, size_t head_len,
                                    const char *subprotocol, char *out,
                                    size_t cap, size_t *out_len);

/* Writes a whole HTTP/1.1 response for a refusing verdict into out (with
 * "connection: close").  Returns its length, 0 when it does not fit. */
size_t gp_reqhead_response(const gp_reqhead_verdict *v, char *out, size_t cap);

#endif
