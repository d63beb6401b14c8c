/* gp_report_summary.c: summary.json -- the run's verdicts (every check and
 * expectation, with what it was judged from), and the observations behind
 * them: outcomes, facts, the lifecycle judge's counts, the log oracle's
 * signatures and classes, the server's own figures, memory, latency.
 * Deterministic: fixed formats and ordered keys, so the same seed writes the
 * same bytes. */
#include "gp_report.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gp_checks.h"
#include "gp_error.h"
#include "gp_json.h"

static json_t *examples_json(const gp_run *run, const gp_check_result *r)
{
    json_t *ex = json_array();
    bool replay = !gp_verdict_ok(r->verdict); /* replay commands on failures only */
    for (uint32_t e = 0; e < r->examples_len; e++) {
        const gp_vclient *c = &run->clients[r->examples[e]];
        json_t *o = json_pack("{s:i, s:s, s:s}", "client", (int)r->examples[e], "outcome",
                              gp_vc_outcome_name(c->outcome), "reason",
                              c->failure ? gp_vc_failure_text(c->failure) : "");
        if (replay) {
            char cmd[1600];
            gp_run_replay_command(run, r->examples[e], cmd, sizeof(cmd));
            json_object_set_new(o, "replay", json_string(cmd));
        }
        json_array_append_new(ex, o);
    }
    return ex;
}

static json_t *result_json(const gp_run *run, const char *name, const char *what,
                           const char *scope, const gp_check_result *r)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:o}", "name", name, "status",
                     gp_verdict_name(r->verdict), "what", what, "scope", scope, "count",
                     (json_int_t)r->count, "detail", r->detail, "evidence", r->evidence,
                     "examples", examples_json(run, r));
}

static json_t *checks_json(const gp_run *run)
{
    json_t *arr = json_array();
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        const gp_check_result *r = &run->checks[k];
        json_t *o = result_json(run, gp_check_name((gp_check)k), gp_check_summary((gp_check)k),
                                gp_check_def_of((gp_check)k)->scope, r);
        json_object_set_new(o, "expected_violation",
                            json_boolean(r->verdict == GP_VERDICT_CAUGHT ||
                                         r->verdict == GP_VERDICT_MISSED));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *expectations_json(const gp_run *run)
{
    json_t *arr = json_array();
    for (uint32_t e = 0; e < run->expectations_len; e++) {
        const gp_expectation *x = &run->expectations[e];
        json_array_append_new(arr, result_json(run, x->name, x->what, "run", &x->r));
    }
    return arr;
}

static json_t *ledger_json(const gp_run *run)
{
    json_t *arr = json_array();
    for (int f = 0; f < GP_FAULT_COUNT; f++) {
        double rate = gp_fault_rate(&run->sc, (gp_fault)f);
        if (rate <= 0.0 && run->ledger.fired[f] == 0)
            continue;
        json_t *states = json_object();
        for (int st = 0; st <= GP_STATE_COUNT; st++)
            if (run->ledger.by_state[f][st])
                json_object_set_new(states,
                                    st == GP_STATE_COUNT ? "not_known" : gp_state_name((gp_state)st),
                                    json_integer((json_int_t)run->ledger.by_state[f][st]));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:f, s:I, s:o}", "fault",
                                             gp_fault_name((gp_fault)f), "field",
                                             gp_fault_field((gp_fault)f), "injected_by",
                                             gp_fault_side_name(gp_fault_side_of((gp_fault)f)),
                                             "rate", rate, "fired",
                                             (json_int_t)run->ledger.fired[f], "by_state",
                                             states));
    }
    return arr;
}

/* The facts the driver recorded, summed over the clients. */
static json_t *facts_json(const gp_run *run)
{
    uint64_t dup_server = 0, dup_client = 0, drops = 0, reorders = 0, resets = 0, races = 0,
             slow = 0, refused = 0, failures = 0;
    uint64_t reset_phase[4] = {0};
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vc_facts *x = &run->clients[i].facts;
        for (int t = 0; t < GP_VC_TAG_COUNT; t++)
            dup_server += x->dup_to_server[t];
        dup_client += x->dup_to_client;
        drops += x->drops;
        reorders += x->reordered;
        resets += x->reset != 0;
        if (x->reset >= 1 && x->reset <= 4)
            reset_phase[x->reset - 1]++;
        races += x->accept_raced;
        slow += x->slow_accept;
        refused += x->refused_full;
        for (uint32_t m = x->agent_failed; m; m &= m - 1)
            failures++;
        failures += x->agent_failed_early;
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:I, s:I, s:I, s:I}",
                     "duplicated_to_server", (json_int_t)dup_server, "duplicated_to_client",
                     (json_int_t)dup_client, "transmissions_lost", (json_int_t)drops,
                     "reordered", (json_int_t)reorders, "resets", (json_int_t)resets,
                     "resets_by_phase", "connecting", (json_int_t)reset_phase[0],
                     "authenticating", (json_int_t)reset_phase[1], "ready",
                     (json_int_t)reset_phase[2], "processing", (json_int_t)reset_phase[3],
                     "accept_races", (json_int_t)races, "slow_accepts", (json_int_t)slow,
                     "refused_at_open", (json_int_t)refused, "agent_failures_injected",
                     (json_int_t)failures);
}

static json_t *judge_json(const gp_run *run)
{
    const gp_judge *j = &run->judge;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "steps_attempted",
                     (json_int_t)j->attempted, "steps_applied", (json_int_t)j->applied,
                     "steps_refused", (json_int_t)j->refused, "illegal_steps",
                     (json_int_t)j->illegal, "machines_registered", (json_int_t)j->registered,
                     "machines_unregistered", (json_int_t)j->unregistered,
                     "connections_with_second_machine", (json_int_t)j->mismatched,
                     "stuck", (json_int_t)(j->stuck_certain + j->stuck_edge), "stuck_on_the_edge",
                     (json_int_t)j->stuck_edge, "ready_sent", (json_int_t)j->ready_sent,
                     "unattributed", (json_int_t)j->unattributed);
}

static json_t *log_json(const gp_run *run)
{
    const gp_logsig *ls = &run->logsig;
    json_t *sigs = json_array(), *classes = json_array();
    for (int s = 0; s < ls->n_sigs; s++) {
        const gp_logsig_count *c = &ls->count[s];
        json_array_append_new(sigs, json_pack("{s:s, s:I, s:I, s:I, s:I}", "name",
                                              gp_logsig_name_of(ls, s), "count", (json_int_t)c->total,
                                              "connections", (json_int_t)c->connections,
                                              "max_per_connection",
                                              (json_int_t)c->max_per_connection,
                                              "unattributed", (json_int_t)c->unattributed));
    }
    for (uint32_t i = 0; i < ls->classes_len; i++)
        json_array_append_new(classes, json_pack("{s:s, s:s, s:I}", "level", ls->classes[i].level,
                                                 "text", ls->classes[i].text, "count",
                                                 (json_int_t)ls->classes[i].count));
    return json_pack("{s:b, s:I, s:I, s:o, s:o, s:I}", "read",
                     (run->evidence & GP_EV_LOG) != 0, "warnings", (json_int_t)ls->warnings,
                     "errors", (json_int_t)ls->errors, "signatures", sigs, "classes", classes,
                     "classes_not_listed", (json_int_t)ls->classes_dropped);
}

static json_t *evidence_json(const gp_run *run)
{
    return json_pack("{s:b, s:b, s:b, s:b, s:b, s:s}", "lifecycle",
                     (run->evidence & GP_EV_LIFECYCLE) != 0, "log",
                     (run->evidence & GP_EV_LOG) != 0, "health",
                     (run->evidence & GP_EV_HEALTH) != 0, "registry",
                     (run->evidence & GP_EV_REGISTRY) != 0, "memory",
                     (run->evidence & GP_EV_MEMORY) != 0, "missing_because", run->evidence_why);
}

static json_t *server_json(const gp_run *run)
{
    const gp_health *h = &run->health;
    return json_pack("{s:I, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "connections", (json_int_t)h->connections_total, "ready",
                     (json_int_t)h->connections_ready_total, "stuck_detected",
                     (json_int_t)h->stuck_detected_total, "invalid_transitions",
                     (json_int_t)h->transitions_failed, "transition_success_rate",
                     h->state_transition_success_rate, "transitions_attempted",
                     (json_int_t)h->transitions_attempted, "connection_id_mismatches",
                     (json_int_t)h->connection_id_mismatches, "requests",
                     (json_int_t)h->requests_total, "requests_completed",
                     (json_int_t)h->requests_completed_total, "requests_failed",
                     (json_int_t)h->requests_failed_total, "registry_size",
                     (json_int_t)h->registry_size, "registry_left",
                     (json_int_t)run->registry_left);
}

static json_t *latency_json(const gp_run *run)
{
    json_t *lat = json_object();
    for (int k = 0; k < GP_LAT_COUNT; k++) {
        const gp_percentiles *p = &run->latency[k];
        json_object_set_new(lat, gp_latency_kind_name((gp_latency_kind)k),
                            json_pack("{s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)p->n, "p50_ms",
                                      p->p50, "p90_ms", p->p90, "p99_ms", p->p99, "max_ms",
                                      p->max));
    }
    return lat;
}

static json_t *names_json(const gp_run *run, bool expected_only)
{
    json_t *a = json_array();
    if (expected_only) {
        for (uint32_t v = 0; v < run->sc.expect.violations_len; v++)
            json_array_append_new(a, json_string(run->sc.expect.violations[v]));
        return a;
    }
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (run->checks[k].violated)
            json_array_append_new(a, json_string(gp_check_name((gp_check)k)));
    return a;
}

static bool all_caught(const gp_run *run)
{
    bool all = run->sc.expect.violations_len > 0;
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        all &= run->checks[k].verdict != GP_VERDICT_MISSED;
    return all;
}

/* Appends to `out` every leaf of `run` (the scenario as run) that differs
 * from `file` (the scenario file's own values), by dotted path. */
static void diff_leaves(json_t *file, json_t *run, const char *prefix, json_t *out)
{
    const char *key;
    json_t *v;
    json_object_foreach(run, key, v) {
        char path[256];
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        json_t *w = json_object_get(file, key);
        if (json_is_object(v) && json_is_object(w)) {
            diff_leaves(w, v, path, out);
            continue;
        }
        if (w && json_equal(v, w))
            continue;
        char *was = w ? gp_json_dump(w, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        char *now = gp_json_dump(v, JSON_ENCODE_ANY | JSON_COMPACT);
        json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "field", path, "file",
                                             was ? was : "", "run", now ? now : ""));
        free(was);
        free(now);
    }
}

/* What the command line changed (--set, --seed, --clients, ...): each field
 * whose value differs from the scenario file's own, so that the page can
 * say the file's description was written for other values.  Empty when the
 * file cannot be read again (a scenario built in code). */
static json_t *changed_json(const gp_run *run)
{
    json_t *out = json_array();
    gp_scenario *file = run->sc.path[0] ? malloc(sizeof(*file)) : NULL;
    char err[256];
    if (!file || gp_scenario_load(file, run->sc.path, err, sizeof(err)) != GP_OK) {
        free(file);
        return out;
    }
    char *a = gp_scenario_to_json(file), *b = gp_scenario_to_json(&run->sc);
    json_t *ja = a ? json_loads(a, 0, NULL) : NULL, *jb = b ? json_loads(b, 0, NULL) : NULL;
    if (ja && jb)
        diff_leaves(ja, jb, "", out);
    json_decref(ja);
    json_decref(jb);
    free(a);
    free(b);
    free(file);
    return out;
}

char *gp_report_summary_json(const gp_run *run)
{
    json_t *bugs = json_array();
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (run->sc.server.bugs & GP_BUG_BIT(b))
            json_array_append_new(bugs, json_string(gp_bug_name((gp_bug)b)));
    const gp_mem_figures *m = &run->mem;
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:o, s:b, s:b, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
        "goldpath", "2", "scenario", run->sc.name, "scenario_file", run->sc.path, "seed",
        (json_int_t)run->sc.seed, "mode", run->mode ? run->mode : "sim", "bugs", bugs,
        "passed", run->passed, "interrupted", run->interrupted, "end_ms",
        (json_int_t)run->end_ms, "events", (json_int_t)run->events, "clients", "total",
        (json_int_t)run->n_clients, "ready", (json_int_t)run->ready, "completed",
        (json_int_t)run->completed, "expected_to_complete", (json_int_t)run->expected_to_complete,
        "refused", (json_int_t)run->outcome[GP_VC_REFUSED], "disconnected",
        (json_int_t)run->outcome[GP_VC_DISCONNECTED], "reset",
        (json_int_t)run->outcome[GP_VC_RESET], "failed", (json_int_t)run->outcome[GP_VC_FAILED],
        "pending", (json_int_t)run->outcome[GP_VC_PENDING]);
    if (!root)
        return NULL;
    json_object_set_new(root, "changed_from_file", changed_json(run));
    json_object_set_new(root, "violations", names_json(run, false));
    json_object_set_new(root, "expected_violations", names_json(run, true));
    json_object_set_new(root, "expected_violations_found", json_boolean(all_caught(run)));
    json_object_set_new(root, "checks", checks_json(run));
    json_object_set_new(root, "expectations", expectations_json(run));
    json_object_set_new(root, "evidence", evidence_json(run));
    json_object_set_new(root, "latency_ms", latency_json(run));
    json_object_set_new(root, "facts", facts_json(run));
    json_object_set_new(root, "observed", judge_json(run));
    json_object_set_new(root, "log", log_json(run));
    json_object_set_new(root, "server", server_json(run));
    json_object_set_new(root, "memory",
                        json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "known", m->known,
                                  "base_allocations", (json_int_t)m->base_count, "base_bytes",
                                  (json_int_t)m->base_bytes, "end_allocations",
                                  (json_int_t)m->end_count, "end_bytes", (json_int_t)m->end_bytes,
                                  "peak_allocations", (json_int_t)m->peak_count, "peak_bytes",
                                  (json_int_t)m->peak_bytes));
    json_object_set_new(root, "fault_ledger", ledger_json(run));
    char *text = gp_json_dump(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(root);
    return text;
}
