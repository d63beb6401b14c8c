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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_checks.h"
#include "gp_cli_shard_live.h"
#include "gp_drive.h"
#include "gp_error.h"
#include "gp_folder.h"
#include "gp_profile.h"
#include "gp_report.h"


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
    uint64_t *opened;   /* when each client's socket opened, on the first shard's clock */
    bool *seen;
    fault_rec *faults;
    size_t faults_len, faults_cap;
    char err[700];
} merge_ctx;


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
    gp_vclient *c = &x->run->clients[i];
    if (gp_cli_client_take(o, c, &x->ports[i]) != 0)
        return bad(x, "a client line with a field missing or wrong");
    x->seen[i] = true;
    x->opened[i] = c->t_open ? c->t_open + x->ls->d_ms : 0;
    /* the id its socket opened with is known from the server's log, which
     * names a connection by its peer's port: alone, a shard may have taken
     * another shard's connection on the same port for one of its own.  The
     * merged run reads the log again with every shard's ports. */
    c->opened_id[0] = '\0';
    c->violations &= ~(1u << GP_CHECK_ID_MISMATCHES);
    return 0;
}

static int take_fault(merge_ctx *x, json_t *o)
{
    const char *name = gp_merge_jstr_or(o, "fault");
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
    x->faults[x->faults_len] = (fault_rec){.at_us = gp_merge_ju(o, "at_us") + x->ls->d_ms * 1000,
                                           .client = (uint32_t)json_integer_value(c),
                                           .seq = (uint32_t)x->faults_len, .fault = (uint8_t)f};
    x->faults_len++;
    return 0;
}

static int take_latency(merge_ctx *x, json_t *o)
{
    const char *kind = gp_merge_jstr_or(o, "kind");
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
    *r = (gp_timeline_row){.t_ms = gp_merge_ju(o, "t_ms"), .attempted = gp_merge_ju(o, "attempted"),
                           .succeeded = gp_merge_ju(o, "succeeded"), .active = gp_merge_ju(o, "active"),
                           .ready_total = gp_merge_ju(o, "ready_total"),
                           .completed_total = gp_merge_ju(o, "completed_total")};
    json_t *st = json_object_get(o, "by_state");
    for (int s = 0; s <= GP_STATE_PROCESSING_READY; s++)
        r->by_state[s] = (uint64_t)json_integer_value(json_array_get(st, (size_t)s));
    return 0;
}

static int take_record(void *ctx, char *line, size_t len)
{
    merge_ctx *x = ctx;
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *type = gp_merge_jstr_or(o, "type");
    int rc = !o                               ? bad(x, "a line that is not JSON")
             : strcmp(type, "client") == 0    ? take_client(x, o)
             : strcmp(type, "fault") == 0     ? take_fault(x, o)
             : strcmp(type, "latency") == 0   ? take_latency(x, o)
             : strcmp(type, "row") == 0       ? take_row(x, o)
                                              : bad(x, "a line of no known type");
    json_decref(o);
    return rc;
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
        run->events += gp_merge_ju(r, "events");
        run->messages += gp_merge_ju(r, "messages");
        run->resets += gp_merge_ju(r, "resets");
        run->duplicates_delivered += gp_merge_ju(r, "duplicates_delivered");
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
        uint64_t rss = gp_merge_ju(st, "peak_rss_kib");
        run->peak_rss_kib = rss > run->peak_rss_kib ? rss : run->peak_rss_kib;
        uint64_t end = ls[k].end_ms + ls[k].d_ms;
        run->end_ms = end > run->end_ms ? end : run->end_ms;
    }
    run->wire.complete = false;
    json_t *r0 = ls[0].run;
    run->mode = "live";
    snprintf(run->scenario_arg, sizeof(run->scenario_arg), "%s", gp_merge_jstr_or(r0, "scenario_arg"));
    snprintf(run->overrides, sizeof(run->overrides), "%s", gp_merge_jstr_or(r0, "overrides"));
    snprintf(run->profile_name, sizeof(run->profile_name), "%s", gp_merge_jstr_or(r0, "profile_name"));
    snprintf(run->evidence_why, sizeof(run->evidence_why), "%s", gp_merge_jstr_or(r0, "evidence_why"));
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
        peak += gp_merge_ju(st, "open_peak");
        errors += gp_merge_ju(st, "connect_errors");
        uint64_t f = gp_merge_ju(st, "first_start_ms"), l = gp_merge_ju(st, "last_done_ms");
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
                          "from run to run", "url", gp_merge_jstr_or(json_object_get(ls[0].run, "stats"), "url"),
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
        ls[k].t0_unix_us = gp_merge_ju(ls[k].run, "t0_unix_us");
        ls[k].end_ms = gp_merge_ju(ls[k].run, "end_ms");
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
    free(m->x.opened);
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
            gp_merge_ju(m->ls[k].run, "clients_total") != m->sc->clients.count) {
            snprintf(err, err_len, "%s/%s: its \"run\" record is missing or not of this "
                                   "scenario", shards[k].dir, GP_CLI_SHARD_FILE);
            return -1;
        }
    }
    if (gp_run_init(m->run, m->sc) != GP_OK) {
        snprintf(err, err_len, "out of memory for %u clients", m->sc->clients.count);
        return -1;
    }
    const char *profile = gp_merge_jstr_or(m->ls[0].run, "profile");
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
    m->x.opened = calloc(m->run->n_clients + 1, sizeof(*m->x.opened));
    if (!m->x.ports || !m->x.seen || !m->x.opened) {
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
            gp_merge_ju(m->ls[k].health, "final_at_unix_us") >= gp_merge_ju(m->ls[ref].health, "final_at_unix_us"))
            ref = k;
    gp_merge_health(m->ls, n, run);
    if (gp_merge_timeline(m->ls, n, ref, run) != 0) {
        snprintf(err, err_len, "out of memory");
        return 2;
    }
    if (gp_folder_claim(o->out, err, err_len) != GP_OK)
        return 2;
    int joined = gp_merge_join_log(m->ls, n, run, o->out, err, err_len);
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
        gp_live_judge_log(run, path, m->x.ports, m->x.opened, t0, m->profile);
    }
    gp_drive_finish(run, run->end_ms);
    gp_checks_judge(run);
    run->sh = NULL;
    if (gp_report_write(run, o->out, err, err_len) != GP_OK)
        return 2;
    write_live_json(o->out, run, m->ls, n);
    gp_cli_common co = {.junit = o->junit, .no_plots = !gp_merge_plots(&shards[0], o),
                        .quiet = o->quiet};
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
