/* gp_cli_merge_live.c: the shards of one live run (goldpath run --mode live
 * --url ... --shard I/N against one server) merged into one run's report.
 *
 * The merged run is put together as the driver would have left it, then
 * judged by the same checks:
 *   - the clients: every client's record from the shard that ran it (each
 *     shard judged its clients itself: a client's violations are its own),
 *     on its shard's clock (0 when that shard started, so a client's start
 *     is its time in the whole run);
 *   - counts summed: what crossed the wire, events, messages, resets, fault
 *     firings; latency percentiles from every shard's samples, time to
 *     ready and to open from every client's record;
 *   - the server's log read once, as one run reads it: the shards' parts of
 *     it (each from where the log ended when it started to where it ended
 *     after it) joined into OUT/server.log and read with every client's
 *     port, on the clock of the shard that started first; the lifecycle
 *     judge, the log signatures, the agent failures the log reveals and
 *     the fault ledger's states come from it;
 *   - the server's own figures (/health, /metrics) read once: the figures
 *     of the shard that read them last (after every shard's clients had
 *     gone), counted since the reading of the shard that read them first
 *     (before any shard's clients came); the timeline's server columns are
 *     that last shard's, its client columns the sum of the shards'.
 * Then every check is judged again on the whole: rates, stuck connections,
 * the cross-check of the server's figures, expectations. */
#include "gp_cli_merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_checks.h"
#include "gp_cli_shard_live.h"
#include "gp_drive.h"
#include "gp_error.h"
#include "gp_files.h"
#include "gp_folder.h"
#include "gp_profile.h"
#include "gp_report.h"

typedef struct live_shard {
    const gp_merge_shard *s;
    json_t *run;           /* shard.json's "run" */
    json_t *health;        /* its "health" */
    uint64_t t0_unix_us, end_ms, d_ms; /* d_ms: its start after the first shard's */
    gp_timeline_row *rows;
    size_t rows_len, rows_cap;
} live_shard;

typedef struct fault_rec {
    uint64_t at_us;
    uint32_t client, seq;
    uint8_t fault;
} fault_rec;

typedef struct merge_ctx {
    gp_run *run;
    live_shard *ls;
    uint32_t k, n;
    uint16_t *ports;
    bool *seen;
    fault_rec *faults;
    size_t faults_len, faults_cap;
    char err[700];
} merge_ctx;

static uint64_t jun(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

static int bad(merge_ctx *x, const char *what)
{
    snprintf(x->err, sizeof(x->err), "%s/%s: %s", x->ls->s->dir, GP_CLI_SHARD_RECORDS, what);
    return -1;
}

static int take_client(merge_ctx *x, json_t *o)
{
    json_t *v = json_object_get(o, "client");
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) >= (json_int_t)x->run->n_clients)
        return bad(x, "a client line without a client of this run");
    uint32_t i = (uint32_t)json_integer_value(v);
    if (i % x->n != x->k || x->seen[i]) {
        char what[120];
        snprintf(what, sizeof(what), "client %u %s", i, x->seen[i] ? "twice" : "is not this shard's");
        return bad(x, what);
    }
    if (gp_cli_client_take(o, &x->run->clients[i], &x->ports[i]) != 0)
        return bad(x, "a client line with a field missing or wrong");
    x->seen[i] = true;
    return 0;
}

static int take_fault(merge_ctx *x, json_t *o)
{
    const char *name = jstr(o, "fault");
    json_t *c = json_object_get(o, "client");
    int f = 0;
    while (f < GP_FAULT_COUNT && strcmp(gp_fault_name((gp_fault)f), name) != 0)
        f++;
    if (f == GP_FAULT_COUNT || !json_is_integer(c) || json_integer_value(c) < 0 ||
        json_integer_value(c) >= (json_int_t)x->run->n_clients)
        return bad(x, "a fault line of no known fault or client");
    if (x->faults_len == x->faults_cap) {
        size_t cap = x->faults_cap ? x->faults_cap * 2 : 256;
        fault_rec *grown = realloc(x->faults, cap * sizeof(*grown));
        if (!grown)
            return bad(x, "out of memory");
        x->faults = grown;
        x->faults_cap = cap;
    }
    /* on the clock of the first shard, as the log will be read */
    x->faults[x->faults_len] = (fault_rec){.at_us = jun(o, "at_us") + x->ls->d_ms * 1000,
                                           .client = (uint32_t)json_integer_value(c),
                                           .seq = (uint32_t)x->faults_len, .fault = (uint8_t)f};
    x->faults_len++;
    return 0;
}

static int take_latency(merge_ctx *x, json_t *o)
{
    const char *kind = jstr(o, "kind");
    json_t *ms = json_object_get(o, "ms");
    gp_latency_kind k = strcmp(kind, "first_event") == 0 ? GP_LAT_FIRST_EVENT
                        : strcmp(kind, "completed") == 0 ? GP_LAT_COMPLETED
                                                         : GP_LAT_COUNT;
    if (k == GP_LAT_COUNT || !json_is_array(ms))
        return bad(x, "a latency line of no known kind");
    size_t i;
    json_t *v;
    json_array_foreach(ms, i, v)
        gp_run_latency(x->run, k, (uint64_t)json_integer_value(v));
    return 0;
}

static int take_row(merge_ctx *x, json_t *o)
{
    live_shard *ls = x->ls;
    if (ls->rows_len == ls->rows_cap) {
        size_t cap = ls->rows_cap ? ls->rows_cap * 2 : 64;
        gp_timeline_row *grown = realloc(ls->rows, cap * sizeof(*grown));
        if (!grown)
            return bad(x, "out of memory");
        ls->rows = grown;
        ls->rows_cap = cap;
    }
    gp_timeline_row *r = &ls->rows[ls->rows_len++];
    *r = (gp_timeline_row){.t_ms = jun(o, "t_ms"), .attempted = jun(o, "attempted"),
                           .succeeded = jun(o, "succeeded"), .active = jun(o, "active"),
                           .ready_total = jun(o, "ready_total"),
                           .completed_total = jun(o, "completed_total")};
    json_t *st = json_object_get(o, "by_state");
    for (int s = 0; s <= GP_STATE_PROCESSING_READY; s++)
        r->by_state[s] = (uint64_t)json_integer_value(json_array_get(st, (size_t)s));
    return 0;
}

static int take_record(void *ctx, char *line, size_t len)
{
    merge_ctx *x = ctx;
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *type = jstr(o, "type");
    int rc = !o                               ? bad(x, "a line that is not JSON")
             : strcmp(type, "client") == 0    ? take_client(x, o)
             : strcmp(type, "fault") == 0     ? take_fault(x, o)
             : strcmp(type, "latency") == 0   ? take_latency(x, o)
             : strcmp(type, "row") == 0       ? take_row(x, o)
                                              : bad(x, "a line of no known type");
    json_decref(o);
    return rc;
}

/* ---- the server's log, read once ---------------------------------------------------- */

typedef struct window {
    const live_shard *ls;
    uint64_t offset, end;
} window;

static int cmp_window(const void *a, const void *b)
{
    const window *x = a, *y = b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Copies DIR/shard_server.log from byte `from` to out.  0 or -1. */
static int append(const live_shard *ls, uint64_t from, FILE *out)
{
    char path[1200], buf[65536];
    snprintf(path, sizeof(path), "%s/%s", ls->s->dir, GP_CLI_SHARD_LOG);
    FILE *in = fopen(path, "rb");
    if (!in || fseek(in, (long)from, SEEK_SET) != 0) {
        if (in)
            fclose(in);
        return -1;
    }
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = -1;
    fclose(in);
    return rc;
}

/* True when the first n bytes of a shard's part equal out's bytes at `at`. */
static bool agrees(const live_shard *ls, FILE *out, long at, uint64_t n)
{
    char path[1200], a[4096], b[4096];
    snprintf(path, sizeof(path), "%s/%s", ls->s->dir, GP_CLI_SHARD_LOG);
    FILE *in = fopen(path, "rb");
    bool same = in && fflush(out) == 0 && fseek(out, at, SEEK_SET) == 0;
    while (same && n > 0) {
        size_t want = n < sizeof(a) ? (size_t)n : sizeof(a);
        same = fread(a, 1, want, in) == want && fread(b, 1, want, out) == want &&
               memcmp(a, b, want) == 0;
        n -= want;
    }
    if (in)
        fclose(in);
    fseek(out, 0, SEEK_END);
    return same;
}

/* Joins the shards' parts of the server's log into DIR/server.log.  1 when
 * written, 0 when no shard read a log or the parts leave a gap (why in
 * run->evidence_why), -1 with err when they are parts of different logs. */
static int join_log(live_shard *ls, uint32_t n, gp_run *run, const char *dir, char *err,
                    size_t err_len)
{
    window *w = malloc(n * sizeof(*w));
    uint32_t m = 0;
    if (!w) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (uint32_t k = 0; k < n; k++) {
        json_t *log = json_object_get(ls[k].run, "log");
        if (json_is_object(log))
            w[m++] = (window){&ls[k], jun(log, "offset"), jun(log, "end")};
    }
    if (m < n) {
        if (m)
            snprintf(run->evidence_why, sizeof(run->evidence_why),
                     "only %u of %u shards read the server's log (--server-log)", m, n);
        free(w);
        return 0;
    }
    qsort(w, m, sizeof(w[0]), cmp_window);
    char path[1200];
    snprintf(path, sizeof(path), "%s/server.log", dir);
    FILE *out = fopen(path, "w+b"); /* read back where the parts overlap */
    if (!out) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        free(w);
        return -1;
    }
    uint64_t start = w[0].offset, end = w[0].offset;
    int rc = 1;
    for (uint32_t i = 0; i < m && rc == 1; i++) {
        if (w[i].offset > end) {
            snprintf(run->evidence_why, sizeof(run->evidence_why),
                     "the shards' parts of the server's log leave bytes %llu to %llu unread "
                     "(shard %u started after the others had ended)",
                     (unsigned long long)end, (unsigned long long)w[i].offset, w[i].ls->s->shard);
            rc = 0;
        } else if (!agrees(w[i].ls, out, (long)(w[i].offset - start),
                           (w[i].end < end ? w[i].end : end) - w[i].offset)) {
            snprintf(err, err_len, "%s and %s read different server logs (their parts differ "
                                   "where they overlap)",
                     w[0].ls->s->dir, w[i].ls->s->dir);
            rc = -1;
        } else if (w[i].end > end) {
            if (append(w[i].ls, end - w[i].offset, out) != 0) {
                snprintf(err, err_len, "%s/%s: cannot read", w[i].ls->s->dir, GP_CLI_SHARD_LOG);
                rc = -1;
            }
            end = w[i].end;
        }
    }
    if (rc < 0)
        fclose(out);
    else if (gp_files_close(out, dir, "server.log", err, err_len) != 0)
        rc = -1;
    free(w);
    return rc;
}

/* ---- the server's figures, read once ------------------------------------------------ */

static void merge_health(live_shard *ls, uint32_t n, gp_run *run)
{
    int first = -1, last = -1;
    for (uint32_t k = 0; k < n; k++) {
        json_t *h = ls[k].health;
        if (json_is_true(json_object_get(h, "base_known")) &&
            (first < 0 || jun(h, "base_at_unix_us") < jun(ls[first].health, "base_at_unix_us")))
            first = (int)k;
        if (json_is_true(json_object_get(h, "final_known")) &&
            (last < 0 || jun(h, "final_at_unix_us") >= jun(ls[last].health, "final_at_unix_us")))
            last = (int)k;
    }
    if (last < 0)
        return; /* no shard could read them: evidence_why says why */
    json_t *hl = ls[last].health;
    gp_health h, base_last, base_first;
    gp_cli_health_take(json_object_get(hl, "since"), &h);
    if (first >= 0 && first != last && json_is_true(json_object_get(hl, "base_known"))) {
        json_t *hf = ls[first].health;
        gp_cli_health_take(json_object_get(hl, "base"), &base_last);
        gp_cli_health_take(json_object_get(hf, "base"), &base_first);
        gp_cli_health_span(&h, &base_last, &base_first);
        uint64_t pairs = 0;
        for (int f = 0; f < GP_STATE_COUNT; f++)
            for (int t = 0; t < GP_STATE_COUNT; t++)
                pairs += h.transitions.pair_attempted[f][t];
        gp_transition_stats pl, pf;
        if (pairs && json_is_true(json_object_get(hl, "base_pairs_known")) &&
            json_is_true(json_object_get(hf, "base_pairs_known")) &&
            gp_cli_pairs_take(json_object_get(hl, "base_pairs"), &pl) &&
            gp_cli_pairs_take(json_object_get(hf, "base_pairs"), &pf)) {
            gp_cli_pairs_span(&h.transitions, &pl, &pf);
        } else { /* the totals only, as a server without per-pair figures */
            memset(&h.transitions, 0, sizeof(h.transitions));
            h.transitions.attempted = h.transitions_attempted;
            h.transitions.failed = h.transitions_failed;
            h.transitions.succeeded = h.transitions_attempted - h.transitions_failed;
        }
    }
    run->health = h;
    run->evidence |= GP_EV_HEALTH;
    if (json_is_true(json_object_get(hl, "registry_known"))) {
        run->evidence |= GP_EV_REGISTRY;
        run->registry_left = h.registry_size;
    }
    snprintf(run->health_only, sizeof(run->health_only), "%s", jstr(hl, "health_only"));
    snprintf(run->health_conflict, sizeof(run->health_conflict), "%s",
             jstr(hl, "health_conflict"));
}

/* The timeline: the server's columns from the shard that read the server's
 * figures last (`ref`), the clients' summed bucket by bucket. */
static int merge_timeline(live_shard *ls, uint32_t n, uint32_t ref, gp_run *run)
{
    size_t rows = 0;
    for (uint32_t k = 0; k < n; k++)
        rows = ls[k].rows_len > rows ? ls[k].rows_len : rows;
    for (size_t j = 0; j < rows; j++) {
        gp_timeline_row row = {0};
        const live_shard *r = &ls[ref];
        if (r->rows_len) {
            const gp_timeline_row *src = &r->rows[j < r->rows_len ? j : r->rows_len - 1];
            memcpy(row.by_state, src->by_state, sizeof(row.by_state));
            row.active = src->active;
            if (j < r->rows_len) {
                row.attempted = src->attempted;
                row.succeeded = src->succeeded;
            }
        }
        for (uint32_t k = 0; k < n; k++) {
            if (!ls[k].rows_len)
                continue;
            const gp_timeline_row *src = &ls[k].rows[j < ls[k].rows_len ? j : ls[k].rows_len - 1];
            row.ready_total += src->ready_total;
            row.completed_total += src->completed_total;
            if (j < ls[k].rows_len && src->t_ms > row.t_ms)
                row.t_ms = src->t_ms;
        }
        if (gp_run_add_row(run, &row) != GP_OK)
            return -1;
    }
    return 0;
}

/* ---- putting the run together ---------------------------------------------------------- */

static int cmp_fault(const void *a, const void *b)
{
    const fault_rec *x = a, *y = b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Counts and settings every shard holds: summed, or the first's. */
static void sum_shards(live_shard *ls, uint32_t n, gp_run *run)
{
    for (uint32_t k = 0; k < n; k++) {
        json_t *r = ls[k].run;
        gp_cli_wire_take(json_object_get(r, "wire"), &run->wire);
        run->events += jun(r, "events");
        run->messages += jun(r, "messages");
        run->resets += jun(r, "resets");
        run->duplicates_delivered += jun(r, "duplicates_delivered");
        run->interrupted |= json_is_true(json_object_get(r, "interrupted"));
        json_t *fired = json_object_get(r, "fired"), *v;
        const char *name;
        json_object_foreach(fired, name, v) {
            for (int f = 0; f < GP_FAULT_COUNT; f++)
                /* agent failures are found again in the server's log */
                if (f != GP_FAULT_AGENT_FAILURE && strcmp(gp_fault_name((gp_fault)f), name) == 0)
                    run->ledger.fired[f] += (uint64_t)json_integer_value(v);
        }
        json_t *st = json_object_get(r, "stats");
        double wall = json_number_value(json_object_get(st, "wall_s"));
        run->wall_s = wall > run->wall_s ? wall : run->wall_s;
        run->cpu_s += json_number_value(json_object_get(st, "cpu_s"));
        uint64_t rss = jun(st, "peak_rss_kib");
        run->peak_rss_kib = rss > run->peak_rss_kib ? rss : run->peak_rss_kib;
        uint64_t end = ls[k].end_ms + ls[k].d_ms;
        run->end_ms = end > run->end_ms ? end : run->end_ms;
    }
    run->wire.complete = false;
    json_t *r0 = ls[0].run;
    run->mode = "live";
    snprintf(run->scenario_arg, sizeof(run->scenario_arg), "%s", jstr(r0, "scenario_arg"));
    snprintf(run->overrides, sizeof(run->overrides), "%s", jstr(r0, "overrides"));
    snprintf(run->profile_name, sizeof(run->profile_name), "%s", jstr(r0, "profile_name"));
    snprintf(run->evidence_why, sizeof(run->evidence_why), "%s", jstr(r0, "evidence_why"));
}

/* The faults waiting for their lifecycle state, in the order they fired. */
static int deferred_faults(merge_ctx *x)
{
    gp_run *run = x->run;
    qsort(x->faults, x->faults_len, sizeof(*x->faults), cmp_fault);
    run->deferred = malloc((x->faults_len ? x->faults_len : 1) * sizeof(*run->deferred));
    if (!run->deferred)
        return -1;
    for (size_t k = 0; k < x->faults_len; k++)
        run->deferred[k] = (struct gp_deferred_fault){
            .at_us = x->faults[k].at_us, .client = x->faults[k].client, .fault = x->faults[k].fault};
    run->deferred_len = run->deferred_cap = x->faults_len;
    run->fault_states_later = true;
    return 0;
}

static void write_live_json(const char *dir, const gp_run *run, live_shard *ls, uint32_t n)
{
    uint64_t peak = 0, errors = 0, first = UINT64_MAX, last = 0;
    for (uint32_t k = 0; k < n; k++) {
        json_t *st = json_object_get(ls[k].run, "stats");
        peak += jun(st, "open_peak");
        errors += jun(st, "connect_errors");
        uint64_t f = jun(st, "first_start_ms"), l = jun(st, "last_done_ms");
        if (f && f + ls[k].d_ms < first)
            first = f + ls[k].d_ms;
        if (l + ls[k].d_ms > last)
            last = l + ls[k].d_ms;
    }
    if (first == UINT64_MAX)
        first = 0;
    double rate = last > first ? (double)run->completed * 1000.0 / (double)(last - first) : 0.0;
    json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:f}", "note",
                          "wall-clock figures of a live run merged from its shards; they differ "
                          "from run to run", "url", jstr(json_object_get(ls[0].run, "stats"), "url"),
                          "shards", (int)n, "server_started", 0, "open_connections_peak_sum",
                          (json_int_t)peak, "connect_errors", (json_int_t)errors, "completed",
                          (json_int_t)run->completed, "first_start_ms", (json_int_t)first,
                          "last_done_ms", (json_int_t)last, "golden_paths_per_s", rate);
    char path[1200];
    snprintf(path, sizeof(path), "%s/live.json", dir);
    if (o)
        json_dump_file(o, path, JSON_INDENT(2));
    json_decref(o);
}

/* Reads the shards into run (made by gp_run_init for the whole scenario).
 * 0, or -1 with x->err. */
static int read_shards(merge_ctx *x, live_shard *ls, uint32_t n)
{
    uint64_t t0 = UINT64_MAX;
    for (uint32_t k = 0; k < n; k++) {
        ls[k].t0_unix_us = jun(ls[k].run, "t0_unix_us");
        ls[k].end_ms = jun(ls[k].run, "end_ms");
        t0 = ls[k].t0_unix_us < t0 ? ls[k].t0_unix_us : t0;
    }
    for (uint32_t k = 0; k < n; k++)
        ls[k].d_ms = (ls[k].t0_unix_us - t0) / 1000;
    for (uint32_t k = 0; k < n; k++) {
        x->k = ls[k].s->shard;
        x->ls = &ls[k];
        char err[700];
        int rc = gp_merge_each_record(ls[k].s, take_record, x, err, sizeof(err));
        if (rc != 0) {
            if (!x->err[0])
                snprintf(x->err, sizeof(x->err), "%s", err);
            return -1;
        }
    }
    for (uint32_t i = 0; i < x->run->n_clients; i++)
        if (!x->seen[i]) {
            snprintf(x->err, sizeof(x->err), "client %u is in no shard's records (shard %u, %s: "
                                             "did it stop early?)",
                     i, i % n, ls[i % n].s->dir);
            return -1;
        }
    return 0;
}

/* ---- the command's part ------------------------------------------------------------------- */

typedef struct merged {
    gp_run *run;
    gp_scenario *sc;
    gp_profile *profile;
    live_shard *ls;
    merge_ctx x;
} merged;

static void merged_free(merged *m, uint32_t n)
{
    for (uint32_t k = 0; m->ls && k < n; k++)
        free(m->ls[k].rows);
    free(m->ls);
    if (m->run)
        gp_run_free(m->run);
    free(m->run);
    free(m->sc);
    if (m->profile)
        gp_profile_free(m->profile);
    free(m->profile);
    free(m->x.ports);
    free(m->x.seen);
    free(m->x.faults);
}

/* The scenario as the shards ran it, and the run's arrays.  0 or -1 (err). */
static int set_up(merged *m, gp_merge_shard *shards, uint32_t n, char *err, size_t err_len)
{
    m->sc = calloc(1, sizeof(*m->sc));
    m->run = calloc(1, sizeof(*m->run));
    m->ls = calloc(n, sizeof(*m->ls));
    if (!m->sc || !m->run || !m->ls) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    char path[1200];
    snprintf(path, sizeof(path), "%s/scenario.json", shards[0].dir);
    if (gp_scenario_parse(m->sc, shards[0].scenario_json, shards[0].scenario_len, path, err,
                          err_len) != GP_OK)
        return -1;
    for (uint32_t k = 0; k < n; k++) {
        m->ls[k].s = &shards[k];
        m->ls[k].run = json_object_get(shards[k].root, "run");
        m->ls[k].health = json_object_get(m->ls[k].run, "health");
        if (!json_is_object(m->ls[k].run) || !json_is_object(m->ls[k].health) ||
            jun(m->ls[k].run, "clients_total") != m->sc->clients.count) {
            snprintf(err, err_len, "%s/%s: its \"run\" record is missing or not of this "
                                   "scenario", shards[k].dir, GP_CLI_SHARD_FILE);
            return -1;
        }
    }
    if (gp_run_init(m->run, m->sc) != GP_OK) {
        snprintf(err, err_len, "out of memory for %u clients", m->sc->clients.count);
        return -1;
    }
    const char *profile = jstr(m->ls[0].run, "profile");
    if (profile[0]) {
        m->profile = calloc(1, sizeof(*m->profile));
        if (!m->profile || gp_profile_load(m->profile, profile, err, err_len) != GP_OK) {
            char why[600];
            snprintf(why, sizeof(why), "%s", m->profile ? err : "out of memory");
            snprintf(err, err_len, "the shards ran with the profile %s, which cannot be read "
                                   "here: %s", profile, why);
            return -1;
        }
    }
    m->x.run = m->run;
    m->x.n = n;
    m->x.ports = calloc(m->run->n_clients + 1, sizeof(*m->x.ports));
    m->x.seen = calloc(m->run->n_clients + 1, sizeof(*m->x.seen));
    if (!m->x.ports || !m->x.seen) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

/* Everything the driver would have left, then the checks.  The exit
 * status (0, 1, or 2 after printing why). */
static int judge_and_write(merged *m, gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o,
                           char *err, size_t err_len)
{
    gp_run *run = m->run;
    sum_shards(m->ls, n, run);
    run->pending = 0;
    for (uint32_t i = 0; i < run->n_clients; i++) {
        run->ready += run->clients[i].t_ready != 0;
        run->completed += run->clients[i].outcome == GP_VC_COMPLETED;
    }
    if (deferred_faults(&m->x) != 0) {
        snprintf(err, err_len, "out of memory");
        return 2;
    }
    uint32_t ref = 0;
    for (uint32_t k = 0; k < n; k++)
        if (json_is_true(json_object_get(m->ls[k].health, "final_known")) &&
            jun(m->ls[k].health, "final_at_unix_us") >= jun(m->ls[ref].health, "final_at_unix_us"))
            ref = k;
    merge_health(m->ls, n, run);
    if (merge_timeline(m->ls, n, ref, run) != 0) {
        snprintf(err, err_len, "out of memory");
        return 2;
    }
    if (gp_folder_claim(o->out, err, err_len) != GP_OK)
        return 2;
    int joined = join_log(m->ls, n, run, o->out, err, err_len);
    if (joined < 0)
        return 2;
    gp_vc_shared sh = {.sc = &run->sc, .profile = m->profile};
    run->sh = &sh;
    if (joined == 1) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/server.log", o->out);
        uint64_t t0 = UINT64_MAX;
        for (uint32_t k = 0; k < n; k++)
            t0 = m->ls[k].t0_unix_us < t0 ? m->ls[k].t0_unix_us : t0;
        gp_live_judge_log(run, path, m->x.ports, t0, m->profile);
    }
    gp_drive_finish(run, run->end_ms);
    gp_checks_judge(run);
    run->sh = NULL;
    if (gp_report_write(run, o->out, err, err_len) != GP_OK)
        return 2;
    write_live_json(o->out, run, m->ls, n);
    bool plots = !o->no_plots;
    for (size_t i = 0; i < shards[0].command.n; i++)
        if ((int)i != shards[0].command.out_at && strcmp(shards[0].command.w[i], "--no-plots") == 0)
            plots = false;
    gp_cli_common co = {.junit = o->junit, .no_plots = !plots, .quiet = o->quiet};
    int written = gp_cli_after_report(run, o->out, &co);
    if (!o->quiet || !run->passed)
        gp_report_print(run, stdout);
    printf("  merged %u shards: %s/report.html\n", n, o->out);
    return written != GP_OK ? 2 : run->passed ? 0 : 1;
}

int gp_merge_live(gp_merge_shard *shards, uint32_t n, const gp_merge_opts *o)
{
    merged m = {0};
    char err[GP_SCENARIO_ERR_MAX + 700] = "";
    int code = 2;
    if (set_up(&m, shards, n, err, sizeof(err)) == 0) {
        if (read_shards(&m.x, m.ls, n) != 0)
            snprintf(err, sizeof(err), "%s", m.x.err);
        else
            code = judge_and_write(&m, shards, n, o, err, sizeof(err));
    }
    if (code == 2 && err[0])
        fprintf(stderr, "goldpath merge: %s\n", err);
    merged_free(&m, n);
    return code;
}
