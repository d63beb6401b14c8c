/* gp_outq.h: one connection's queue of outgoing WebSocket messages.
 *
 * lws may call LWS_CALLBACK_SERVER_WRITEABLE more often than it was asked to
 * (TOOLCHAIN.md), so the server never writes anything that is not queued:
 * the core's send() appends here and WRITEABLE writes the head.  Each
 * message is stored after `headroom` spare bytes (LWS_PRE) so lws_write can
 * put the frame header in front without a copy.  The queue has a byte limit
 * so that a client that never reads cannot make the server grow without
 * bound.  Pure: no lws. */
#ifndef GP_OUTQ_H
#define GP_OUTQ_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gp_outq_msg {
    struct gp_outq_msg *next;
    size_t len;            /* payload bytes */
    unsigned char bytes[]; /* headroom, then the payload */
} gp_outq_msg;

typedef struct gp_outq {
    gp_outq_msg *head, *tail;
    size_t count;
    size_t bytes; /* payload bytes queued */
} gp_outq;

typedef enum gp_outq_result {
    GP_OUTQ_OK = 0,
    GP_OUTQ_FULL = 1,  /* would pass bytes_max: nothing queued */
    GP_OUTQ_NOMEM = 2, /* nothing queued */
} gp_outq_result;

/* Appends a copy of len bytes after `headroom` spare bytes, unless the queued
 * payload would then exceed bytes_max. */
gp_outq_result gp_outq_push(gp_outq *q, const void *data, size_t len,
                            size_t headroom, size_t bytes_max);

/* The oldest message (NULL when empty); its payload is at
 * msg->bytes + headroom. */
gp_outq_msg *gp_outq_head(const gp_outq *q);

/* Removes and frees the oldest message (no-op when empty). */
void gp_outq_pop(gp_outq *q);

/* Frees everything queued. */
void gp_outq_clear(gp_outq *q);

static inline bool gp_outq_empty(const gp_outq *q)
{
    return q->head == NULL;
}

#endif
