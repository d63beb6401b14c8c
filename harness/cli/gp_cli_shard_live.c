/* gp_cli_shard_live.c: a live run's shard -- the clients it runs (client i
 * of the scenario when i % N == I, each with its own index, draws and start
 * time in the whole run) and what it leaves for `goldpath merge`:
 *
 *   shard.json "run": the run's clock (t0_unix_us) and end, the outcome
 *     counts the clients do not hold (what crossed the wire, events), the
 *     fault ledger's firings, the server's figures as read before and after
 *     the run (with the wall-clock times of both readings), where its part
 *     of the server's log starts and ends;
 *   shard_records.jsonl: one line per client ({"type":"client", every field
 *     of its record the checks and the report read, its local port}), per
 *     fault waiting to be filed under a lifecycle state ("fault"), the
 *     per-request latency samples ("latency") and the timeline rows ("row");
 *   shard_server.log: the bytes of the server's log this shard read (from
 *     where the log ended when it started to where it ended after the run).
 *
 * The codec of those records is here too, for gp_cli_merge_live.c. */
#include "gp_cli_shard_live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gp_error.h"
#include "gp_files.h"

/* ---- which clients --------------------------------------------------------------- */

int gp_cli_run_init(gp_run *run, const gp_scenario *sc, const gp_cli_common *o)
{
    if (!o->shard_given)
        return gp_run_init(run, sc);
    uint32_t n = sc->clients.count > o->shard ? (sc->clients.count - o->shard - 1) / o->shards + 1
                                              : 0;
    uint32_t *who = malloc((size_t)(n ? n : 1) * sizeof(*who));
    if (!who)
        return GP_ERR_NOMEM;
    for (uint32_t k = 0; k < n; k++)
        who[k] = o->shard + k * o->shards;
    int rc = gp_run_init_subset(run, sc, who, n);
    free(who);
    return rc;
}

/* ---- the server's figures ------------------------------------------------------------ */

#define HEALTH_COUNTERS(X)                                                     \
    X(transitions_attempted) X(transitions_failed) X(invalid_state_transitions_24h) \
    X(connection_id_mismatches) X(connections_total) X(connections_ready_total) \
    X(stuck_detected_total) X(auth_failures_total) X(auth_timeouts_total)     \
    X(requests_total) X(requests_completed_total) X(requests_failed_total)    \
    X(events_sent_total) X(messages_received_total) X(messages_sent_total)
#define HEALTH_GAUGES(X) X(active_connections) X(registry_size) X(stuck_in_connecting)

static json_t *u64_array(const uint64_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

static bool u64_array_take(json_t *a, uint64_t *v, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(a, i);
        if (!json_is_integer(x))
            return false;
        v[i] = (uint64_t)json_integer_value(x);
    }
    return true;
}

json_t *gp_cli_pairs_json(const gp_transition_stats *t)
{
    return json_pack("{s:I, s:I, s:I, s:o, s:o}", "attempted", (json_int_t)t->attempted,
                     "succeeded", (json_int_t)t->succeeded, "failed", (json_int_t)t->failed,
                     "pair_attempted",
                     u64_array(&t->pair_attempted[0][0], GP_STATE_COUNT * GP_STATE_COUNT),
                     "pair_failed", u64_array(&t->pair_failed[0][0], GP_STATE_COUNT * GP_STATE_COUNT));
}

bool gp_cli_pairs_take(json_t *o, gp_transition_stats *t)
{
    json_t *a = json_object_get(o, "attempted"), *s = json_object_get(o, "succeeded"),
           *f = json_object_get(o, "failed");
    if (!json_is_integer(a) || !json_is_integer(s) || !json_is_integer(f))
        return false;
    t->attempted = (uint64_t)json_integer_value(a);
    t->succeeded = (uint64_t)json_integer_value(s);
    t->failed = (uint64_t)json_integer_value(f);
    return u64_array_take(json_object_get(o, "pair_attempted"), &t->pair_attempted[0][0],
                          GP_STATE_COUNT * GP_STATE_COUNT) &&
           u64_array_take(json_object_get(o, "pair_failed"), &t->pair_failed[0][0],
                          GP_STATE_COUNT * GP_STATE_COUNT);
}

json_t *gp_cli_health_json(const gp_health *h)
{
    json_t *o = json_object();
#define PUT(f) json_object_set_new(o, #f, json_integer((json_int_t)h->f));
    HEALTH_COUNTERS(PUT)
    HEALTH_GAUGES(PUT)
#undef PUT
    json_object_set_new(o, "shutting_down", json_boolean(h->shutting_down));
    json_object_set_new(o, "registry_known", json_boolean(h->registry_known));
    json_object_set_new(o, "state_transition_success_rate",
                        json_real(h->state_transition_success_rate));
    json_object_set_new(o, "by_state", u64_array(h->by_state, GP_STATE_COUNT));
    json_object_set_new(o, "errors_sent_total", u64_array(h->errors_sent_total,
                                                          GP_PROTO_ERROR_COUNT));
    json_object_set_new(o, "transitions", gp_cli_pairs_json(&h->transitions));
    return o;
}

bool gp_cli_health_take(json_t *o, gp_health *h)
{
    memset(h, 0, sizeof(*h));
    if (!json_is_object(o))
        return false;
    bool ok = true;
#define TAKE(f)                                                                \
    {                                                                          \
        json_t *x = json_object_get(o, #f);                                    \
        ok &= json_is_integer(x);                                              \
        h->f = (uint64_t)json_integer_value(x);                                \
    }
    HEALTH_COUNTERS(TAKE)
    HEALTH_GAUGES(TAKE)
#undef TAKE
    h->shutting_down = json_is_true(json_object_get(o, "shutting_down"));
    h->registry_known = json_is_true(json_object_get(o, "registry_known"));
    json_t *rate = json_object_get(o, "state_transition_success_rate");
    ok &= json_is_number(rate);
    h->state_transition_success_rate = json_number_value(rate);
    ok &= u64_array_take(json_object_get(o, "by_state"), h->by_state, GP_STATE_COUNT);
    ok &= u64_array_take(json_object_get(o, "errors_sent_total"), h->errors_sent_total,
                         GP_PROTO_ERROR_COUNT);
    ok &= gp_cli_pairs_take(json_object_get(o, "transitions"), &h->transitions);
    return ok;
}

/* a + b - c, never below 0 (counters read at three moments) */
static uint64_t span(uint64_t a, uint64_t b, uint64_t c)
{
    return a + b > c ? a + b - c : 0;
}

void gp_cli_health_span(gp_health *h, const gp_health *base_last, const gp_health *base_first)
{
#define SPAN(f) h->f = span(h->f, base_last->f, base_first->f);
    HEALTH_COUNTERS(SPAN)
#undef SPAN
    for (int e = 0; e < GP_PROTO_ERROR_COUNT; e++)
        h->errors_sent_total[e] =
            span(h->errors_sent_total[e], base_last->errors_sent_total[e],
                 base_first->errors_sent_total[e]);
    h->state_transition_success_rate =
        h->transitions_attempted
            ? (double)(h->transitions_attempted - h->transitions_failed) /
                  (double)h->transitions_attempted
            : 1.0;
}

void gp_cli_pairs_span(gp_transition_stats *t, const gp_transition_stats *base_last,
                       const gp_transition_stats *base_first)
{
    t->attempted = span(t->attempted, base_last->attempted, base_first->attempted);
    t->succeeded = span(t->succeeded, base_last->succeeded, base_first->succeeded);
    t->failed = span(t->failed, base_last->failed, base_first->failed);
    for (int f = 0; f < GP_STATE_COUNT; f++)
        for (int k = 0; k < GP_STATE_COUNT; k++) {
            t->pair_attempted[f][k] = span(t->pair_attempted[f][k], base_last->pair_attempted[f][k],
                                           base_first->pair_attempted[f][k]);
            t->pair_failed[f][k] = span(t->pair_failed[f][k], base_last->pair_failed[f][k],
                                        base_first->pair_failed[f][k]);
        }
}

/* ---- a client's record ----------------------------------------------------------------- */

/* The fields of a record, X(name, member): unsigned integers. */
#define CLIENT_FIELDS(X)                                                       \
    X(phase, phase) X(outcome, outcome) X(failure, failure)                    \
    X(requests_sent, requests_sent) X(requests_done, requests_done)            \
    X(requests_failed, requests_failed) X(early_answers, early_answers)        \
    X(auth_failed_seen, auth_failed_seen) X(dup_auth_used, dup_auth_used)      \
    X(duplicates_seen, duplicates_seen) X(violations, violations)              \
    X(failed_unexplained, failed_unexplained) X(t_start, t_start)              \
    X(t_open, t_open) X(t_ready, t_ready) X(t_first_event, t_first_event)      \
    X(t_request0, t_request0) X(t_done, t_done)
#define FACT_FIELDS(X)                                                         \
    X(dup_to_client) X(drops) X(reordered) X(reset) X(accept_raced) X(slow_accept) \
    X(refused_full) X(agent_failed) X(agent_failed_early)

static int write_client(FILE *f, const gp_vclient *c, uint16_t port)
{
    json_t *o = json_pack("{s:s, s:i}", "type", "client", "client", (int)c->seed_index);
#define PUT(name, m) json_object_set_new(o, #name, json_integer((json_int_t)c->m));
    CLIENT_FIELDS(PUT)
#undef PUT
    json_object_set_new(o, "close_code", json_integer(c->close_code));
    json_object_set_new(o, "header_auth", json_boolean(c->plan.header_auth));
    json_object_set_new(o, "after_auth", json_boolean(c->plan.after_auth));
    json_object_set_new(o, "opened_id", json_string(c->opened_id));
    json_object_set_new(o, "ready_id", json_string(c->ready_id));
    json_object_set_new(o, "port", json_integer(port));
    json_t *facts = json_object();
#define PUT(m) json_object_set_new(facts, #m, json_integer((json_int_t)c->facts.m));
    FACT_FIELDS(PUT)
#undef PUT
    json_t *dup = json_array();
    for (int t = 0; t < GP_VC_TAG_COUNT; t++)
        json_array_append_new(dup, json_integer(c->facts.dup_to_server[t]));
    json_object_set_new(facts, "dup_to_server", dup);
    json_object_set_new(o, "facts", facts);
    int rc = json_dumpf(o, f, JSON_COMPACT);
    json_decref(o);
    return rc == 0 && fputc('\n', f) != EOF ? 0 : -1;
}

static bool take_u(json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

int gp_cli_client_take(json_t *o, gp_vclient *c, uint16_t *port)
{
    uint64_t v = 0;
    bool ok = true;
#define TAKE(name, m) ok &= take_u(o, #name, &v), c->m = (__typeof__(c->m))v;
    CLIENT_FIELDS(TAKE)
#undef TAKE
    json_t *code = json_object_get(o, "close_code"), *facts = json_object_get(o, "facts");
    const char *opened = json_string_value(json_object_get(o, "opened_id")),
               *ready = json_string_value(json_object_get(o, "ready_id"));
    ok &= json_is_integer(code) && json_is_object(facts) && opened && ready &&
          strlen(opened) < sizeof(c->opened_id) && strlen(ready) < sizeof(c->ready_id) &&
          take_u(o, "port", &v) && v <= 65535;
    if (!ok)
        return -1;
    *port = (uint16_t)v;
    c->close_code = (int16_t)json_integer_value(code);
    c->plan.header_auth = json_is_true(json_object_get(o, "header_auth"));
    c->plan.after_auth = json_is_true(json_object_get(o, "after_auth"));
    snprintf(c->opened_id, sizeof(c->opened_id), "%s", opened);
    snprintf(c->ready_id, sizeof(c->ready_id), "%s", ready);
#define TAKE(m) ok &= take_u(facts, #m, &v), c->facts.m = (__typeof__(c->facts.m))v;
    FACT_FIELDS(TAKE)
#undef TAKE
    json_t *dup = json_object_get(facts, "dup_to_server");
    ok &= json_is_array(dup) && json_array_size(dup) == GP_VC_TAG_COUNT;
    for (int t = 0; ok && t < GP_VC_TAG_COUNT; t++)
        c->facts.dup_to_server[t] = (uint8_t)json_integer_value(json_array_get(dup, t));
    return ok && c->outcome < GP_VC_OUTCOME_COUNT && c->failure < GP_VC_FAIL_COUNT ? 0 : -1;
}

/* ---- writing a shard ------------------------------------------------------------------ */

static json_t *wire_json(const gp_wire *w)
{
    json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "complete", w->complete, "opens",
                          (json_int_t)w->opens, "refused", (json_int_t)w->refused, "sent_total",
                          (json_int_t)w->sent_total, "received_total",
                          (json_int_t)w->received_total, "unparseable",
                          (json_int_t)w->unparseable, "closes_auth_timeout",
                          (json_int_t)w->closes_auth_timeout);
    json_object_set_new(o, "sent", u64_array(w->sent, GP_MSG_TYPE_COUNT));
    json_object_set_new(o, "received", u64_array(w->received, GP_MSG_TYPE_COUNT));
    json_object_set_new(o, "errors", u64_array(w->errors, GP_PROTO_ERROR_COUNT));
    return o;
}

bool gp_cli_wire_take(json_t *o, gp_wire *w)
{
    uint64_t v;
    bool ok = json_is_object(o);
#define TAKE(f) ok = ok && take_u(o, #f, &v), w->f += ok ? v : 0;
    TAKE(opens) TAKE(refused) TAKE(sent_total) TAKE(received_total) TAKE(unparseable)
    TAKE(closes_auth_timeout)
#undef TAKE
    uint64_t sent[GP_MSG_TYPE_COUNT], received[GP_MSG_TYPE_COUNT], errors[GP_PROTO_ERROR_COUNT];
    ok = ok && u64_array_take(json_object_get(o, "sent"), sent, GP_MSG_TYPE_COUNT) &&
         u64_array_take(json_object_get(o, "received"), received, GP_MSG_TYPE_COUNT) &&
         u64_array_take(json_object_get(o, "errors"), errors, GP_PROTO_ERROR_COUNT);
    for (int t = 0; ok && t < GP_MSG_TYPE_COUNT; t++) {
        w->sent[t] += sent[t];
        w->received[t] += received[t];
    }
    for (int e = 0; ok && e < GP_PROTO_ERROR_COUNT; e++)
        w->errors[e] += errors[e];
    return ok;
}

/* Copies the server's log from `offset` to its end into DIR/shard_server.log;
 * *end: the offset after the last byte copied.  0, or -1 with err. */
static int copy_log(const char *path, long offset, const char *dir, long *end, char *err,
                    size_t err_len)
{
    FILE *in = fopen(path, "rb");
    if (!in || fseek(in, offset, SEEK_SET) != 0) {
        snprintf(err, err_len, "%s: cannot read the server's log: %s", path, strerror(errno));
        if (in)
            fclose(in);
        return -1;
    }
    FILE *out = gp_files_open(dir, GP_CLI_SHARD_LOG, err, err_len);
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    long copied = 0, whole = 0; /* whole: up to the last newline */
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0 && fwrite(buf, 1, n, out) == n) {
        for (size_t i = n; i > 0; i--)
            if (buf[i - 1] == '\n') {
                whole = copied + (long)i;
                break;
            }
        copied += (long)n;
    }
    fclose(in);
    /* a line the server was still writing stays out: whole lines only */
    if (fflush(out) != 0 || ftruncate(fileno(out), whole) != 0) {
        snprintf(err, err_len, "%s/%s: cannot write: %s", dir, GP_CLI_SHARD_LOG, strerror(errno));
        fclose(out);
        return -1;
    }
    *end = offset + whole;
    return gp_files_close(out, dir, GP_CLI_SHARD_LOG, err, err_len);
}

static int write_records(const gp_run *run, const uint16_t *ports, const char *dir, char *err,
                         size_t err_len)
{
    FILE *f = gp_files_open(dir, GP_CLI_SHARD_RECORDS, err, err_len);
    if (!f)
        return -1;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < run->n_clients; i++)
        rc = write_client(f, &run->clients[i], ports ? ports[i] : 0);
    for (size_t k = 0; rc == 0 && k < run->deferred_len; k++) {
        const struct gp_deferred_fault *d = &run->deferred[k];
        fprintf(f, "{\"type\":\"fault\",\"at_us\":%llu,\"client\":%u,\"fault\":\"%s\"}\n",
                (unsigned long long)d->at_us, run->clients[d->client].seed_index,
                gp_fault_name((gp_fault)d->fault));
    }
    static const gp_latency_kind kinds[] = {GP_LAT_FIRST_EVENT, GP_LAT_COMPLETED};
    for (size_t k = 0; rc == 0 && k < 2; k++) {
        const gp_latency_samples *s = &run->samples[kinds[k]];
        fprintf(f, "{\"type\":\"latency\",\"kind\":\"%s\",\"ms\":[", gp_latency_kind_name(kinds[k]));
        for (size_t i = 0; i < s->len; i++)
            fprintf(f, "%s%u", i ? "," : "", s->v[i]);
        fputs("]}\n", f);
    }
    for (size_t k = 0; rc == 0 && k < run->timeline_len; k++) {
        const gp_timeline_row *r = &run->timeline[k];
        fprintf(f, "{\"type\":\"row\",\"t_ms\":%llu,\"attempted\":%llu,\"succeeded\":%llu,"
                   "\"active\":%llu,\"ready_total\":%llu,\"completed_total\":%llu,\"by_state\":[",
                (unsigned long long)r->t_ms, (unsigned long long)r->attempted,
                (unsigned long long)r->succeeded, (unsigned long long)r->active,
                (unsigned long long)r->ready_total, (unsigned long long)r->completed_total);
        for (int s = 0; s <= GP_STATE_PROCESSING_READY; s++)
            fprintf(f, "%s%llu", s ? "," : "", (unsigned long long)r->by_state[s]);
        fputs("]}\n", f);
    }
    if (rc != 0) {
        fclose(f);
        snprintf(err, err_len, "%s/%s: cannot write", dir, GP_CLI_SHARD_RECORDS);
        return -1;
    }
    return gp_files_close(f, dir, GP_CLI_SHARD_RECORDS, err, err_len);
}

static json_t *run_json(const gp_run *run, const gp_cli_common *o, const gp_live_stats *st,
                        long log_end, const char *profile)
{
    json_t *fired = json_object();
    for (int k = 0; k < GP_FAULT_COUNT; k++)
        if (run->ledger.fired[k])
            json_object_set_new(fired, gp_fault_name((gp_fault)k),
                                json_integer((json_int_t)run->ledger.fired[k]));
    json_t *r = json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:o, s:o, s:s}",
        "scenario_arg", run->scenario_arg, "overrides", run->overrides, "profile", profile,
        "profile_name", run->profile_name, "clients", (int)run->n_clients, "clients_total",
        (int)run->sc.clients.count, "t0_unix_us", (json_int_t)st->t0_unix_us, "end_ms",
        (json_int_t)run->end_ms, "interrupted", run->interrupted, "events",
        (json_int_t)run->events, "messages", (json_int_t)run->messages, "resets",
        (json_int_t)run->resets, "duplicates_delivered", (json_int_t)run->duplicates_delivered,
        "wire", wire_json(&run->wire), "fired", fired, "evidence_why", run->evidence_why);
    json_t *health = json_pack(
        "{s:b, s:I, s:b, s:I, s:b, s:I, s:s, s:s, s:b, s:b}", "base_known", st->base_known,
        "base_at_unix_us", (json_int_t)st->base_at_unix_us, "final_known",
        (run->evidence & GP_EV_HEALTH) != 0, "final_at_unix_us",
        (json_int_t)st->final_at_unix_us, "registry_known", (run->evidence & GP_EV_REGISTRY) != 0,
        "registry_left", (json_int_t)run->registry_left, "health_only", run->health_only,
        "health_conflict", run->health_conflict, "base_pairs_known", st->base_pairs_known,
        "metrics_known", st->metrics_known);
    json_object_set_new(health, "base", gp_cli_health_json(&st->base));
    json_object_set_new(health, "base_pairs", gp_cli_pairs_json(&st->base_pairs));
    json_object_set_new(health, "since", gp_cli_health_json(&run->health));
    json_object_set_new(r, "health", health);
    json_object_set_new(r, "log", o->server_log ? json_pack("{s:s, s:I, s:I}", "path",
                                                            o->server_log, "offset",
                                                            (json_int_t)st->log_offset, "end",
                                                            (json_int_t)log_end)
                                                : json_null());
    json_object_set_new(r, "stats", json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:I}", "url",
                                              st->url, "open_peak", (json_int_t)st->open_peak,
                                              "connect_errors", (json_int_t)st->connect_errors,
                                              "first_start_ms", (json_int_t)st->first_start_ms,
                                              "last_done_ms", (json_int_t)st->last_done_ms,
                                              "wall_s", run->wall_s, "cpu_s", run->cpu_s,
                                              "peak_rss_kib", (json_int_t)run->peak_rss_kib));
    return r;
}

int gp_cli_shard_write_run(const gp_run *run, const gp_cli_common *o, const char *dir,
                           const gp_live_stats *st, const uint16_t *ports, const char *profile,
                           char *err, size_t err_len)
{
    long log_end = 0;
    if (o->server_log && copy_log(o->server_log, st->log_offset, dir, &log_end, err, err_len) != 0)
        return GP_ERR_IO;
    if (write_records(run, ports, dir, err, err_len) != 0)
        return GP_ERR_IO;
    /* the command of the whole run: no --shard, and no --server-log, whose
     * path may differ from one load generator to the next */
    gp_cli_words words;
    const char *drop[2] = {o->shard_text, o->server_log};
    gp_cli_words_of(o->argc, o->argv, drop, 2, o->out, &words);
    json_t *root = gp_cli_shard_header("run", o->shard, o->shards, run->sc.name, run->sc.seed,
                                       &words);
    json_t *info = run_json(run, o, st, log_end, profile ? profile : "");
    if (!root || !info) {
        json_decref(root);
        json_decref(info);
        snprintf(err, err_len, "out of memory writing %s", GP_CLI_SHARD_FILE);
        return GP_ERR_NOMEM;
    }
    json_object_set_new(root, "run", info);
    return gp_cli_shard_write(dir, root, err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}
