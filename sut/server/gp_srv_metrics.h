/* gp_srv_metrics.h: the pure parts of the driver's Prometheus histograms.
 *
 * /metrics carries two latency histograms that the core cannot compute (it
 * has no clock of its own to measure with): time to ready (socket opened to
 * connection_ready sent) and request duration (agent_execution received to
 * agent_completed or its AGENT_FAILED error sent).  The driver measures both
 * on CLOCK_MONOTONIC from what passes through its gp_env: every message the
 * core sends goes through env->send, and gp_srv_out_classify tells the
 * driver which ones start and end these intervals.  A request is matched to
 * its end by its request_id (unique among a connection's requests in
 * flight: the core refuses a duplicate), kept as a 64-bit hash of the id as
 * encoded, in a small table per connection (gp_srv_reqclock).
 *
 * Nothing here touches a socket or a clock: the times are parameters. */
#ifndef GP_SRV_METRICS_H
#define GP_SRV_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- histograms ---- */

#define GP_HISTO_BOUNDS_MAX 20

/* A Prometheus histogram: fixed upper bounds in seconds (ascending; +Inf is
 * implied), counts per bucket, and the sum kept in microseconds so that it
 * adds up exactly. */
typedef struct gp_histo {
    const char *name;       /* the metric family, e.g. "goldpath_time_to_ready_seconds" */
    const char *help;
    const double *bounds_s; /* nbounds upper bounds, ascending */
    size_t nbounds;
    uint64_t buckets[GP_HISTO_BOUNDS_MAX + 1]; /* per bucket, not cumulative; last: +Inf */
    uint64_t count;
    uint64_t sum_us;
} gp_histo;

/* Starts an empty histogram.  `bounds_s` (nbounds <= GP_HISTO_BOUNDS_MAX,
 * ascending) and the strings must outlive it. */
void gp_histo_init(gp_histo *h, const char *name, const char *help, const double *bounds_s,
                   size_t nbounds);

/* Counts one observation of `us` microseconds: in the first bucket whose
 * bound it does not exceed (Prometheus' "le"), or in +Inf. */
void gp_histo_observe_us(gp_histo *h, uint64_t us);

/* Writes the family in Prometheus text format (# HELP, # TYPE histogram,
 * cumulative _bucket{le="..."} lines ending with +Inf, _sum in seconds,
 * _count) to out (cap bytes, NUL-terminated when it fits).  Returns the
 * length the whole text needs, as snprintf does. */
size_t gp_histo_render(const gp_histo *h, char *out, size_t cap);

/* The bounds the server uses, in seconds. */
extern const double gp_srv_ready_bounds_s[];
extern const size_t gp_srv_ready_bounds_count;
extern const double gp_srv_request_bounds_s[];
extern const size_t gp_srv_request_bounds_count;

/* ---- what the core sends ---- */

typedef enum gp_srv_out_kind {
    GP_SRV_OUT_OTHER = 0,
    GP_SRV_OUT_READY,     /* connection_ready */
    GP_SRV_OUT_STARTED,   /* agent_started: a request began */
    GP_SRV_OUT_COMPLETED, /* agent_completed: it ended */
    GP_SRV_OUT_FAILED,    /* error AGENT_FAILED: it ended (other errors do not
                             end a request that is running) */
} gp_srv_out_kind;

/* What the message data[0..len) (compact JSON as the core encodes it) is.
 * For STARTED, COMPLETED and FAILED, *request_key is a hash of its
 * request_id as encoded (0 when it has none).  Looks only for the keys
 * "type", "code" and "request_id": inside a JSON string a '"' is always
 * escaped, so client text cannot imitate them. */
gp_srv_out_kind gp_srv_out_classify(const char *data, size_t len, uint64_t *request_key);

/* ---- a connection's requests in flight ---- */

typedef struct gp_srv_inflight {
    uint64_t key;      /* gp_srv_out_classify's request_key */
    uint64_t start_us; /* when its agent_execution arrived */
} gp_srv_inflight;

typedef struct gp_srv_reqclock {
    gp_srv_inflight *v; /* allocated at the first request */
    uint32_t n, cap;
} gp_srv_reqclock;

/* Remembers that request `key` started at start_us.  The table holds up to
 * `cap` requests (the core's limit per connection) and is allocated on the
 * first call.  Returns false when it is full or out of memory: that request
 * is then not measured. */
bool gp_srv_reqclock_start(gp_srv_reqclock *c, uint32_t cap, uint64_t key, uint64_t start_us);

/* Forgets request `key` and gives its start in *start_us.  False when it is
 * not in the table. */
bool gp_srv_reqclock_end(gp_srv_reqclock *c, uint64_t key, uint64_t *start_us);

/* Frees the table (the connection closed; requests left in it never ended). */
void gp_srv_reqclock_free(gp_srv_reqclock *c);

#endif
