/* gp_outq.c: a connection's outgoing message queue (FIFO of copies with
 * LWS_PRE headroom).  See gp_outq.h. */
#include "gp_outq.h"

#include <stdlib.h>
#include <string.h>

gp_outq_result gp_outq_push(gp_outq *q, const void *data, size_t len,
                            size_t headroom, size_t bytes_max)
{
    if (len > bytes_max || q->bytes > bytes_max - len)
        return GP_OUTQ_FULL;
    gp_outq_msg *m = malloc(sizeof(*m) + headroom + len);
    if (!m)
        return GP_OUTQ_NOMEM;
    m->next = NULL;
    m->len = len;
    if (len)
        memcpy(m->bytes + headroom, data, len);
    if (q->tail)
        q->tail->next = m;
    else
        q->head = m;
    q->tail = m;
    q->count++;
    q->bytes += len;
    return GP_OUTQ_OK;
}

gp_outq_msg *gp_outq_head(const gp_outq *q)
{
    return q->head;
}

void gp_outq_pop(gp_outq *q)
{
    gp_outq_msg *m = q->head;
    if (!m)
        return;
    q->head = m->next;
    if (!q->head)
        q->tail = NULL;
    q->count--;
    q->bytes -= m->len;
    free(m);
}

void gp_outq_clear(gp_outq *q)
{
    while (q->head)
        gp_outq_pop(q);
}
