/* gp_server_int.h: the server's internals, shared by the files that make up
 * gp_server (gp_server.c: connections and the route; gp_server_agent.c: the
 * reference agent's requests; gp_health.c: figures).  Not for drivers. */
#ifndef GP_SERVER_INT_H
#define GP_SERVER_INT_H

#include "gp_codec.h"
#include "gp_jwt.h"
#include "gp_manager.h"
#include "gp_registry.h"
#include "gp_server.h"

#include <string.h>

/* A message that arrived before accept completed, held until it does. */
typedef struct gp_pending {
    struct gp_pending *next;
    size_t len;
    bool binary;
    char data[];
} gp_pending;

typedef struct gp_request {
    bool in_use;
    uint8_t step;         /* next event to emit, 0..GP_AGENT_STEPS */
    uint8_t fail_at_step; /* GP_AGENT_STEPS: the request succeeds */
    uint32_t delays_ms[GP_AGENT_STEPS];
    char request_id[GP_REQUEST_ID_LEN_MAX + 1];
    char agent_type[GP_AGENT_TYPE_LEN_MAX + 1];
    char *message; /* owned copy, for the response */
} gp_request;

typedef struct gp_conn {
    uint32_t generation; /* bumped when the slot is freed */
    uint32_t next_free;  /* free-list link, UINT32_MAX at the end */
    bool in_use;
    bool accepted;
    bool authenticated;
    bool ready;      /* connection_ready sent */
    bool closing;    /* env->close called; input is ignored */
    bool stuck_reported;
    void *transport;
    gp_machine *machine; /* registry-owned */
    char prelim_id[GP_ID_LEN_MAX + 1];
    char user_id[GP_USER_LEN_MAX + 1];
    char *bearer; /* header token, until accept completes */
    uint64_t opened_ms;
    gp_pending *pending_head, *pending_tail;
    uint32_t pending_len;
    gp_request *requests; /* requests_cap slots, made on first use */
    uint32_t requests_cap;
    uint32_t requests_active;
    uint64_t request_seq; /* for server-assigned request ids */
} gp_conn;

#define GP_INVALID_WINDOW_HOURS 24

struct gp_server {
    gp_server_config cfg;
    void *secret; /* owned copy of cfg.jwt_secret */
    const gp_env *env;
    gp_jwt_key *key;
    gp_registry *reg;
    gp_manager mgr;
    gp_transition_stats stats;
    gp_conn *conns;
    uint32_t conns_cap;
    uint32_t free_head;
    size_t live;
    uint64_t object_id_base;
    uint64_t object_serial;
    bool shutting_down;
    gp_health counters; /* the *_total counters; the rest is computed */
    uint64_t invalid_hour[GP_INVALID_WINDOW_HOURS];
    uint64_t invalid_count[GP_INVALID_WINDOW_HOURS];
    uint32_t generation_next; /* every connection gets a new one: handles never repeat */
    const gp_allocator *alloc; /* env->alloc */
};

/* Formats and logs a line when the level passes env->log_level_min
 * (gp_env_log: client-supplied text in it is escaped). */
#define gp_server_log(srv, ...) gp_env_log((srv)->env, __VA_ARGS__)

/* Encodes m and sends it on c's transport; counts it.  Returns GP_OK or the
 * encoder's error (logged). */
int gp_server_send(gp_server *srv, gp_conn *c, const gp_msg *m);

/* Sends an error message with `code`, a sentence, and request_id (may be
 * NULL). */
void gp_server_send_error(gp_server *srv, gp_conn *c, gp_proto_error code,
                          const char *text, const char *request_id);

/* Closes c with `code` unless already closing: machine -> CLOSING, then
 * env->close. */
void gp_server_close_conn(gp_server *srv, gp_conn *c, int code,
                          const char *reason);

/* The handle of c. */
gp_conn_handle gp_server_handle_of(const gp_server *srv, const gp_conn *c);

/* True when a request with this id is in flight on c. */
bool gp_server_agent_in_flight(const gp_conn *c, const char *request_id);

/* Starts a request for an accepted agent_execution on a ready connection. */
void gp_server_agent_start(gp_server *srv, gp_conn *c, const gp_msg *m);

/* Emits the next event of request `slot` (a GP_TIMER_AGENT_STEP fired). */
void gp_server_agent_step(gp_server *srv, gp_conn *c, uint32_t slot);

/* Frees c's requests (the connection is going). */
void gp_server_agent_release(gp_server *srv, gp_conn *c);

/* Copies s into out (cap > 0 bytes), cut at cap - 1 bytes and terminated,
 * as snprintf(out, cap, "%s", s) would: on the golden path a few times per
 * connection, where snprintf's format interpreter costs more than the copy. */
static inline void gp_server_copy_text(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

#endif
