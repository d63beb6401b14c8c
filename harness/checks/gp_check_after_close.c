/* gp_check_after_close.c: once a server has sent its close frame it sends
 * nothing more on that connection (RFC 6455, 5.5.1), and it closes each
 * connection once.  Judged where the harness sees every message the server
 * sends, in order (simulation); over real sockets the client's WebSocket
 * stack discards whatever follows a close frame, so there is nothing to see. */
#include "gp_checks_int.h"

void gp_check_after_close(const gp_run *run, gp_check_result *r)
{
    if (!run->wire.complete) {
        r->nothing_asked = true;
        gp_check_evidence(r, "none");
        gp_check_detail(r, "judged in simulation only: a WebSocket client discards what "
                           "follows a close frame");
        return;
    }
    uint64_t closed = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        uint8_t f = run->judge.conns[i].flags;
        closed += (f & GP_JF_SERVER_CLOSED) != 0;
        if (f & GP_JF_AFTER_CLOSE)
            gp_check_flag(r, i);
    }
    gp_check_evidence(r, "every message and close the server sent");
    gp_check_detail(r, "%llu of %llu connections the server closed got a message or a "
                       "second close after its close",
                    (unsigned long long)r->count, (unsigned long long)closed);
}
