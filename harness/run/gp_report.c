/* gp_report.c: writes a run's folder and prints its summary; see
 * gp_report.h.  Everything deterministic goes through fixed formats (%.6f,
 * ordered keys) so that two runs of the same seed compare byte for byte. */
#include "gp_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "gp_json.h"

#include "gp_error.h"
#include "gp_files.h"

static json_t *checks_json(const gp_run *run)
{
    json_t *arr = json_array();
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        const gp_check_result *r = &run->checks[k];
        json_t *ex = json_array();
        for (uint32_t e = 0; e < r->examples_len; e++) {
            char replay[1600];
            gp_run_replay_command(run, r->examples[e], replay, sizeof(replay));
            const gp_vclient *c = &run->clients[r->examples[e]];
            json_array_append_new(ex, json_pack("{s:i, s:s, s:s, s:s}",
                "client", (int)r->examples[e],
                "outcome", gp_vc_outcome_name(c->outcome),
                "reason", c->failure ? gp_vc_failure_text(c->failure) : "",
                "replay", replay));
        }
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s, s:o}",
            "name", gp_check_name((gp_check)k),
            "status", !r->applies ? "skipped" : r->passed ? "passed" : "failed",
            "what", gp_check_summary((gp_check)k),
            "count", (json_int_t)r->count,
            "detail", r->detail,
            "examples", ex));
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
                json_object_set_new(states, st == GP_STATE_COUNT ? "none" : gp_state_name((gp_state)st),
                                    json_integer((json_int_t)run->ledger.by_state[f][st]));
        json_array_append_new(arr, json_pack("{s:s, s:f, s:I, s:o}",
            "fault", gp_fault_name((gp_fault)f), "rate", rate,
            "fired", (json_int_t)run->ledger.fired[f], "by_state", states));
    }
    return arr;
}

char *gp_report_summary_json(const gp_run *run)
{
    json_t *lat = json_object();
    for (int k = 0; k < GP_LAT_COUNT; k++) {
        const gp_percentiles *p = &run->latency[k];
        json_object_set_new(lat, gp_latency_kind_name((gp_latency_kind)k),
            json_pack("{s:I, s:f, s:f, s:f, s:f}", "n", (json_int_t)p->n,
                      "p50_ms", p->p50, "p90_ms", p->p90, "p99_ms", p->p99, "max_ms", p->max));
    }
    json_t *violations = json_array();
    for (int k = 0; k < GP_CHECK_COUNT; k++)
        if (!run->checks[k].passed)
            json_array_append_new(violations, json_string(gp_check_name((gp_check)k)));
    json_t *expected = json_array();
    for (uint32_t v = 0; v < run->sc.expect.violations_len; v++)
        json_array_append_new(expected, json_string(run->sc.expect.violations[v]));
    json_t *bugs = json_array();
    for (int b = 0; b < GP_BUG_COUNT; b++)
        if (run->sc.server.bugs & GP_BUG_BIT(b))
            json_array_append_new(bugs, json_string(gp_bug_name((gp_bug)b)));
    const gp_health *h = &run->health;
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:I, s:s, s:o, s:I, s:I,"
        " s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
        " s:{s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I},"
        " s:o, s:o, s:b, s:o, s:b, s:o}",
        "goldpath", "1",
        "scenario", run->sc.name,
        "scenario_file", run->sc.path,
        "seed", (json_int_t)run->sc.seed,
        "mode", run->mode ? run->mode : "sim",
        "bugs", bugs,
        "end_ms", (json_int_t)run->end_ms,
        "events", (json_int_t)run->events,
        "clients",
        "total", (json_int_t)run->n_clients,
        "ready", (json_int_t)run->ready,
        "completed", (json_int_t)run->completed,
        "expected_to_complete", (json_int_t)run->expected_to_complete,
        "refused", (json_int_t)run->outcome[GP_VC_REFUSED],
        "disconnected", (json_int_t)run->outcome[GP_VC_DISCONNECTED],
        "reset", (json_int_t)run->outcome[GP_VC_RESET],
        "failed", (json_int_t)run->outcome[GP_VC_FAILED],
        "pending", (json_int_t)run->outcome[GP_VC_PENDING],
        "server",
        "connections", (json_int_t)h->connections_total,
        "stuck", (json_int_t)run->checks[GP_CHECK_STUCK_CONNECTIONS].count,
        "invalid_transitions", (json_int_t)h->transitions_failed,
        "transition_success_rate", h->state_transition_success_rate,
        "transitions_attempted", (json_int_t)h->transitions_attempted,
        "connection_id_mismatches", (json_int_t)h->connection_id_mismatches,
        "requests_completed", (json_int_t)h->requests_completed_total,
        "registry_left", (json_int_t)run->registry_left,
        "latency_ms", lat,
        "checks", checks_json(run),
        "passed", run->passed,
        "violations", violations,
        "expected_violations_found", run->expected_violations_found,
        "expected_violations", expected);
    if (!root)
        return NULL;
    json_object_set_new(root, "fault_ledger", ledger_json(run));
    char *text = gp_json_dump(root, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
    json_decref(root);
    return text;
}

static int write_text(const char *dir, const char *name, const char *text,
                      char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, name, err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    fputs(text, f);
    fputc('\n', f);
    return gp_files_close(f, dir, name, err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

static int write_timeline(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "timeline.csv", err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    fprintf(f, "t_ms,attempted,succeeded,success_rate");
    for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
        fprintf(f, ",%s", gp_state_name((gp_state)st));
    fprintf(f, ",active,ready_total,completed_total\n");
    for (size_t i = 0; i < run->timeline_len; i++) {
        const gp_timeline_row *r = &run->timeline[i];
        fprintf(f, "%llu,%llu,%llu,%.6f", (unsigned long long)r->t_ms,
                (unsigned long long)r->attempted, (unsigned long long)r->succeeded,
                r->attempted ? (double)r->succeeded / (double)r->attempted : 1.0);
        for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
            fprintf(f, ",%llu", (unsigned long long)r->by_state[st]);
        fprintf(f, ",%llu,%llu,%llu\n", (unsigned long long)r->active,
                (unsigned long long)r->ready_total, (unsigned long long)r->completed_total);
    }
    return gp_files_close(f, dir, "timeline.csv", err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

static long long rel(uint64_t t, uint64_t from)
{
    return t ? (long long)(t - from) : -1;
}

static int write_connections(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "connections.csv", err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    fprintf(f, "client,user,auth,start_ms,connect_ms,ready_ms,first_event_ms,done_ms,"
               "outcome,failure,requests_sent,requests_done,requests_failed,duplicates,"
               "close_code,opened_id,ready_id,stuck,invalid_transition,id_mismatch,"
               "violations,planned_faults\n");
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        char user[32], viol[400] = "", planned[160] = "";
        gp_vclient_user(c, &run->sc, user, sizeof(user));
        for (int k = 0; k < GP_CHECK_COUNT; k++)
            if (c->violations & (1u << k)) {
                size_t n = strlen(viol);
                snprintf(viol + n, sizeof(viol) - n, "%s%s", n ? ";" : "", gp_check_name((gp_check)k));
            }
        const gp_vc_plan *p = &c->plan;
        snprintf(planned, sizeof(planned), "%s%s%s%s%s%s%s%s",
                 p->accept_race ? "accept_race;" : "", p->slow_accept ? "slow_accept;" : "",
                 p->early_message ? "early_message;" : "",
                 p->bad_token >= 0 ? "bad_token." : "",
                 p->bad_token >= 0 ? gp_bad_token_name((gp_bad_token)p->bad_token) : "",
                 p->disconnect >= 0 ? (p->bad_token >= 0 ? ";disconnect." : "disconnect.") : "",
                 p->disconnect >= 0 ? gp_phase_name((gp_phase)p->disconnect) : "", "");
        size_t pl = strlen(planned);
        if (pl && planned[pl - 1] == ';')
            planned[pl - 1] = '\0';
        fprintf(f, "%u,%s,%s,%llu,%lld,%lld,%lld,%lld,%s,%s,%u,%u,%u,%u,%d,%s,%s,%d,%d,%d,%s,%s\n",
                i, user, p->header_auth ? "header" : "message",
                (unsigned long long)c->t_start, rel(c->t_open, c->t_start),
                rel(c->t_ready, c->t_start), rel(c->t_first_event, c->t_request0 ? c->t_request0 : c->t_start),
                rel(c->t_done, c->t_start), gp_vc_outcome_name(c->outcome),
                c->failure ? gp_vc_failure_text(c->failure) : "", c->requests_sent,
                c->requests_done, c->requests_failed, c->duplicates_seen, c->close_code,
                c->opened_id, c->ready_id, !!(run->flags[i] & GP_CF_STUCK),
                !!(run->flags[i] & GP_CF_INVALID), !!(run->flags[i] & GP_CF_MISMATCH), viol,
                planned);
    }
    return gp_files_close(f, dir, "connections.csv", err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

static int write_faults(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "faults.csv", err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    fprintf(f, "fault,rate,fired");
    for (int st = 0; st < GP_STATE_COUNT; st++)
        fprintf(f, ",%s", gp_state_name((gp_state)st));
    fprintf(f, ",none\n");
    for (int k = 0; k < GP_FAULT_COUNT; k++) {
        double rate = gp_fault_rate(&run->sc, (gp_fault)k);
        if (rate <= 0.0 && run->ledger.fired[k] == 0)
            continue;
        fprintf(f, "%s,%.6f,%llu", gp_fault_name((gp_fault)k), rate,
                (unsigned long long)run->ledger.fired[k]);
        for (int st = 0; st <= GP_STATE_COUNT; st++)
            fprintf(f, ",%llu", (unsigned long long)run->ledger.by_state[k][st]);
        fputc('\n', f);
    }
    return gp_files_close(f, dir, "faults.csv", err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

static int write_transitions(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "transitions.csv", err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    fprintf(f, "from,to,legal,attempted,failed\n");
    const gp_transition_stats *t = &run->health.transitions;
    for (int a = 0; a < GP_STATE_COUNT; a++)
        for (int b = 0; b < GP_STATE_COUNT; b++)
            fprintf(f, "%s,%s,%d,%llu,%llu\n", gp_state_name((gp_state)a),
                    gp_state_name((gp_state)b), gp_transition_is_legal((gp_state)a, (gp_state)b),
                    (unsigned long long)t->pair_attempted[a][b],
                    (unsigned long long)t->pair_failed[a][b]);
    return gp_files_close(f, dir, "transitions.csv", err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

static int write_perf(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "perf.json", err, err_len);
    if (!f)
        return GP_ERR_NOT_FOUND;
    double per_cpu_s = run->cpu_s > 0 ? (double)run->completed / run->cpu_s : 0.0;
    fprintf(f, "{\n  \"note\": \"wall-clock figures; they differ from run to run\",\n"
               "  \"wall_s\": %.3f,\n  \"cpu_s\": %.3f,\n  \"peak_rss_kib\": %llu,\n"
               "  \"events\": %llu,\n  \"golden_paths_per_cpu_s\": %.1f\n}\n",
            run->wall_s, run->cpu_s, (unsigned long long)run->peak_rss_kib,
            (unsigned long long)run->events, per_cpu_s);
    return gp_files_close(f, dir, "perf.json", err, err_len) == 0 ? GP_OK : GP_ERR_NOT_FOUND;
}

int gp_report_write(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    if (gp_files_mkdirs(dir, err, err_len) != 0)
        return GP_ERR_NOT_FOUND;
    char *summary = gp_report_summary_json(run);
    char *scenario = gp_scenario_to_json(&run->sc);
    int rc = summary && scenario ? GP_OK : GP_ERR_NOMEM;
    if (rc == GP_OK)
        rc = write_text(dir, "summary.json", summary, err, err_len);
    if (rc == GP_OK)
        rc = write_text(dir, "scenario.json", scenario, err, err_len);
    free(summary);
    free(scenario);
    if (rc == GP_OK)
        rc = write_timeline(run, dir, err, err_len);
    if (rc == GP_OK)
        rc = write_connections(run, dir, err, err_len);
    if (rc == GP_OK)
        rc = write_faults(run, dir, err, err_len);
    if (rc == GP_OK)
        rc = write_transitions(run, dir, err, err_len);
    if (rc == GP_OK)
        rc = write_perf(run, dir, err, err_len);
    if (rc == GP_ERR_NOMEM)
        snprintf(err, err_len, "out of memory writing the report");
    return rc;
}

void gp_report_print(const gp_run *run, FILE *out)
{
    const gp_health *h = &run->health;
    fprintf(out, "goldpath %s: %s (seed %llu, %u clients)\n", run->mode ? run->mode : "sim",
            run->sc.name, (unsigned long long)run->sc.seed, run->n_clients);
    fprintf(out, "  ready %llu, completed %llu of %llu expected; refused %llu, disconnected %llu, reset %llu, failed %llu\n",
            (unsigned long long)run->ready, (unsigned long long)run->completed,
            (unsigned long long)run->expected_to_complete,
            (unsigned long long)run->outcome[GP_VC_REFUSED],
            (unsigned long long)run->outcome[GP_VC_DISCONNECTED],
            (unsigned long long)run->outcome[GP_VC_RESET],
            (unsigned long long)run->outcome[GP_VC_FAILED]);
    fprintf(out, "  stuck %llu, invalid transitions %llu, transition success rate %.6f\n",
            (unsigned long long)run->checks[GP_CHECK_STUCK_CONNECTIONS].count,
            (unsigned long long)h->transitions_failed, h->state_transition_success_rate);
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        const gp_check_result *r = &run->checks[k];
        fprintf(out, "  %-8s %-24s %s\n", !r->applies ? "skipped" : r->passed ? "passed" : "FAILED",
                gp_check_name((gp_check)k), r->detail);
        if (r->applies && !r->passed && r->examples_len) {
            char replay[1600];
            gp_run_replay_command(run, r->examples[0], replay, sizeof(replay));
            const gp_vclient *c = &run->clients[r->examples[0]];
            fprintf(out, "           e.g. client %u (%s%s%s); replay: %s\n", r->examples[0],
                    gp_vc_outcome_name(c->outcome), c->failure ? ": " : "",
                    c->failure ? gp_vc_failure_text(c->failure) : "", replay);
        }
    }
    if (run->sc.expect.violations_len)
        fprintf(out, "  expected violations %s\n",
                run->expected_violations_found ? "found, as the scenario expects"
                                               : "NOT all found");
    fprintf(out, "  result: %s\n", run->passed ? "PASSED" : "FAILED");
}
