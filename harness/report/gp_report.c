/* gp_report.c: writes a run's folder (summary.json from
 * gp_report_summary.c, the CSV files, perf.json) and prints its summary; see
 * gp_report.h.  Everything deterministic goes through fixed formats (%.6f,
 * ordered keys) so that two runs of the same seed compare byte for byte. */
#include "gp_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "gp_json.h"

#include "gp_checks.h"
#include "gp_error.h"
#include "gp_files.h"
#include "gp_report_clients.h"

static int write_text(const char *dir, const char *name, const char *text,
                      char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, name, err, err_len);
    if (!f)
        return GP_ERR_IO;
    fputs(text, f);
    fputc('\n', f);
    return gp_files_close(f, dir, name, err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

static int write_timeline(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "timeline.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "t_ms,attempted,succeeded,success_rate");
    for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
        fprintf(f, ",%s", gp_state_name((gp_state)st));
    fprintf(f, ",active,ready_total,completed_total\n");
    for (size_t i = 0; i < run->timeline_len; i++) {
        const gp_timeline_row *r = &run->timeline[i];
        /* a bucket without an attempt has no success rate: an empty cell,
         * never a 1.0 that no step earned */
        fprintf(f, "%llu,%llu,%llu,", (unsigned long long)r->t_ms,
                (unsigned long long)r->attempted, (unsigned long long)r->succeeded);
        if (r->attempted)
            fprintf(f, "%.6f", (double)r->succeeded / (double)r->attempted);
        for (int st = 0; st <= GP_STATE_PROCESSING_READY; st++)
            fprintf(f, ",%llu", (unsigned long long)r->by_state[st]);
        fprintf(f, ",%llu,%llu,%llu\n", (unsigned long long)r->active,
                (unsigned long long)r->ready_total, (unsigned long long)r->completed_total);
    }
    return gp_files_close(f, dir, "timeline.csv", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

static long long rel(uint64_t t, uint64_t from)
{
    return t ? (long long)(t - from) : -1;
}

/* "a;b;c" of the names of the bits set in mask. */
static void join_bits(uint32_t mask, const char *(*name)(int), int count, char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < count && used < n; k++)
        if (mask & (1u << k))
            used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ";" : "", name(k));
}

static const char *check_name_of(int k)
{
    return gp_check_name((gp_check)k);
}

static const char *judge_flag_name(int k)
{
    static const char *const names[] = {"seen",     "illegal_step", "inconsistent",
                                        "mismatch", "stuck",        "false_ready"};
    return k < 6 ? names[k] : "?";
}

static int write_connections(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "connections.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "client,user,auth,start_ms,connect_ms,ready_ms,first_event_ms,done_ms,"
               "outcome,failure,requests_sent,requests_done,requests_failed,duplicates,"
               "close_code,opened_id,ready_id,machines,observed,violations,planned_faults,"
               "facts\n");
    for (uint32_t i = 0; i < run->n_clients; i++) {
        const gp_vclient *c = &run->clients[i];
        const gp_judge_conn *jc = &run->judge.conns[i];
        const gp_vc_facts *x = &c->facts;
        char user[GP_VC_USER_MAX], viol[600], judged[120], planned[160] = "", facts[200];
        gp_vclient_user(c, &run->sc, user, sizeof(user));
        join_bits(c->violations, check_name_of, GP_CHECK_COUNT, viol, sizeof(viol));
        join_bits(jc->flags & ~1u, judge_flag_name, 6, judged, sizeof(judged));
        const gp_vc_plan *p = &c->plan;
        snprintf(planned, sizeof(planned), "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s",
                 p->accept_race ? "accept_race;" : "", p->slow_accept ? "slow_accept;" : "",
                 p->early_message ? "early_message;" : "", p->no_auth ? "no_auth;" : "",
                 p->bad_token >= 0 ? "bad_token." : "",
                 p->bad_token >= 0 ? gp_bad_token_name((gp_bad_token)p->bad_token) : "",
                 p->bad_token >= 0 ? ";" : "",
                 p->bad_input >= 0 ? "bad_input." : "",
                 p->bad_input >= 0 ? gp_bad_input_name((gp_bad_input)p->bad_input) : "",
                 p->bad_input >= 0 ? ";" : "",
                 p->edge_token >= 0 ? "edge_token." : "",
                 p->edge_token >= 0 ? gp_edge_token_name((gp_edge_token)p->edge_token) : "",
                 p->edge_token >= 0 ? ";" : "",
                 p->disconnect >= 0 ? "disconnect." : "",
                 p->disconnect >= 0 ? gp_phase_name((gp_phase)p->disconnect) : "");
        size_t pl = strlen(planned);
        if (pl && planned[pl - 1] == ';')
            planned[pl - 1] = '\0';
        unsigned dup_server = 0;
        for (int t = 0; t < GP_VC_TAG_COUNT; t++)
            dup_server += x->dup_to_server[t];
        snprintf(facts, sizeof(facts), "%s%s%s%s%s%s%s",
                 x->accept_raced ? "accept_raced;" : "", x->slow_accept ? "slow_accept;" : "",
                 x->reset ? "reset;" : "", x->drops ? "lost_transmissions;" : "",
                 dup_server ? "duplicated_to_server;" : "",
                 x->dup_to_client ? "duplicated_to_client;" : "",
                 x->agent_failed || x->agent_failed_early ? "agent_failure;" : "");
        size_t fl = strlen(facts);
        if (fl && facts[fl - 1] == ';')
            facts[fl - 1] = '\0';
        fprintf(f, "%u,%s,%s,%llu,%lld,%lld,%lld,%lld,%s,%s,%u,%u,%u,%u,%d,%s,%s,%u,%s,%s,%s,%s\n",
                i, user, p->header_auth ? "header" : "message",
                (unsigned long long)c->t_start, rel(c->t_open, c->t_start),
                rel(c->t_ready, c->t_start), rel(c->t_first_event, c->t_request0 ? c->t_request0 : c->t_start),
                rel(c->t_done, c->t_start), gp_vc_outcome_name(c->outcome),
                c->failure ? gp_vc_failure_name(c->failure) : "", c->requests_sent,
                c->requests_done, c->requests_failed, c->duplicates_seen, c->close_code,
                c->opened_id, c->ready_id, jc->machines, judged, viol, planned, facts);
    }
    return gp_files_close(f, dir, "connections.csv", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

static int write_faults(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "faults.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "fault,rate,fired");
    for (int st = 0; st < GP_STATE_COUNT; st++)
        fprintf(f, ",%s", gp_state_name((gp_state)st));
    fprintf(f, ",not_known\n");
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
    return gp_files_close(f, dir, "faults.csv", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

static int write_transitions(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "transitions.csv", err, err_len);
    if (!f)
        return GP_ERR_IO;
    fprintf(f, "from,to,legal,attempted,failed\n");
    const gp_judge *j = &run->judge;
    for (int a = 0; a < GP_STATE_COUNT; a++)
        for (int b = 0; b < GP_STATE_COUNT; b++)
            fprintf(f, "%s,%s,%d,%llu,%llu\n", gp_state_name((gp_state)a),
                    gp_state_name((gp_state)b), gp_judge_step_is_legal(a, b),
                    (unsigned long long)j->pair_attempted[a][b],
                    (unsigned long long)j->pair_refused[a][b]);
    return gp_files_close(f, dir, "transitions.csv", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

static int write_perf(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    FILE *f = gp_files_open(dir, "perf.json", err, err_len);
    if (!f)
        return GP_ERR_IO;
    double per_cpu_s = run->cpu_s > 0 ? (double)run->completed / run->cpu_s : 0.0;
    /* when the run started: now, less its wall time (the report is written
     * as it ends); UTC, ISO 8601 without a zone as JUnit's schema has it */
    char started[32] = "";
    time_t t0 = time(NULL) - (time_t)(run->wall_s + 0.5);
    struct tm tm;
    if (gmtime_r(&t0, &tm))
        strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(f, "{\n  \"note\": \"wall-clock figures; they differ from run to run\",\n"
               "  \"started_utc\": \"%s\",\n"
               "  \"wall_s\": %.3f,\n  \"cpu_s\": %.3f,\n  \"peak_rss_kib\": %llu,\n"
               "  \"events\": %llu,\n  \"golden_paths_per_cpu_s\": %.1f\n}\n",
            started, run->wall_s, run->cpu_s, (unsigned long long)run->peak_rss_kib,
            (unsigned long long)run->events, per_cpu_s);
    return gp_files_close(f, dir, "perf.json", err, err_len) == 0 ? GP_OK : GP_ERR_IO;
}

int gp_report_write(const gp_run *run, const char *dir, char *err, size_t err_len)
{
    if (gp_files_mkdirs(dir, err, err_len) != 0)
        return GP_ERR_IO;
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
    /* report.connections_csv: false -- a row per client is too much for
     * runs of millions; the plots need only gp_report_clients' files */
    if (rc == GP_OK && run->sc.report.connections_csv)
        rc = write_connections(run, dir, err, err_len);
    if (rc == GP_OK)
        rc = gp_report_clients_write(run, dir, err, err_len);
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

static void print_result(const gp_run *run, FILE *out, const char *name,
                         const gp_check_result *r)
{
    static const char *const shown[] = {"passed", "FAILED", "caught", "MISSED", "UNJUDGED",
                                        "n/a"};
    fprintf(out, "  %-8s %-34s %s\n", shown[r->verdict], name, r->detail);
    if (!gp_verdict_ok(r->verdict) && r->examples_len) {
        char replay[1600];
        gp_run_replay_command(run, r->examples[0], replay, sizeof(replay));
        const gp_vclient *c = &run->clients[r->examples[0]];
        fprintf(out, "           e.g. client %u (%s%s%s)\n           replay: %s\n",
                r->examples[0], gp_vc_outcome_name(c->outcome), c->failure ? ": " : "",
                c->failure ? gp_vc_failure_text(c->failure) : "", replay);
    }
}

void gp_report_print(const gp_run *run, FILE *out)
{
    const gp_judge *j = &run->judge;
    fprintf(out, "goldpath %s: %s (seed %llu, %u clients)\n", run->mode ? run->mode : "sim",
            run->sc.name, (unsigned long long)run->sc.seed, run->n_clients);
    fprintf(out, "  ready %llu, completed %llu of %llu expected; refused %llu, disconnected %llu, reset %llu, failed %llu\n",
            (unsigned long long)run->ready, (unsigned long long)run->completed,
            (unsigned long long)run->expected_to_complete,
            (unsigned long long)run->outcome[GP_VC_REFUSED],
            (unsigned long long)run->outcome[GP_VC_DISCONNECTED],
            (unsigned long long)run->outcome[GP_VC_RESET],
            (unsigned long long)run->outcome[GP_VC_FAILED]);
    if (run->evidence & GP_EV_LIFECYCLE)
        fprintf(out, "  observed steps %llu (%llu refused, %llu illegal), stuck %llu\n",
                (unsigned long long)j->attempted, (unsigned long long)j->refused,
                (unsigned long long)j->illegal,
                (unsigned long long)(j->stuck_certain + j->stuck_edge));
    for (int k = 0; k < GP_CHECK_COUNT; k++) {
        char name[96];
        gp_check_case_name(run, (gp_check)k, name, sizeof(name));
        print_result(run, out, name, &run->checks[k]);
    }
    for (uint32_t e = 0; e < run->expectations_len; e++)
        print_result(run, out, run->expectations[e].name, &run->expectations[e].r);
    for (uint32_t k = 0; k < GP_CHECK_COUNT; k++)
        if (run->checks[k].verdict == GP_VERDICT_UNJUDGED) {
            fprintf(out, "  note: checks not judged fail the run; if this server does not offer "
                         "the evidence, say so with expect.server_health / expect.server_log "
                         "\"none\"\n");
            break;
        }
    fprintf(out, "  result: %s%s\n", run->passed ? "PASSED" : "FAILED",
            run->sc.expect.violations_len
                ? (run->passed ? " (the expected violations were found)" : "")
                : "");
}
