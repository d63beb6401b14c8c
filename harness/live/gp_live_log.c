/* gp_live_log.c: the server's log, read after a live run -- the server-side
 * evidence live mode judges from, as the simulator's observer is in
 * simulation.  Lines are goldpath-server's:
 *
 *   <ISO-8601 UTC timestamp> <LEVEL> <text>
 *
 * Two passes.  The first links each connection id to the client whose socket
 * it is: "Connection <id> peer <ip>:<port>" names the client's own port
 * (recorded at ESTABLISHED), and "Connection id mismatch: <a> became <b>"
 * links a replacement machine to the connection it replaced.  The second
 * hands every line, in order, to the lifecycle judge (machines opened and
 * closed, steps applied and refused, connection_ready sent), to the log
 * oracle (WARNING and ERROR lines), to the facts (agent failures the server
 * injected) and to the traced client's story. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gp_error.h"
#include "gp_live_int.h"

#define LINE_MAX_BYTES 4096

typedef struct log_line {
    uint64_t at_ms; /* run ms */
    uint64_t at_us; /* run microseconds */
    char level[16];
    const char *text;
} log_line;

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Splits "<timestamp> <LEVEL> <text>".  False for anything else. */
static bool split(const gp_live *lv, char *buf, log_line *out)
{
    int y, mo, d, h, mi, s, n = 0;
    unsigned frac = 0;
    char fs[16];
    if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d.%15[0-9]Z %n", &y, &mo, &d, &h, &mi, &s, fs, &n) != 7 ||
        n == 0)
        return false;
    size_t digits = strlen(fs);
    frac = (unsigned)strtoul(fs, NULL, 10);
    while (digits < 6) {
        frac *= 10;
        digits++;
    }
    while (digits > 6) {
        frac /= 10;
        digits--;
    }
    uint64_t us = ((uint64_t)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                   (uint64_t)h * 3600 + (uint64_t)mi * 60 + (uint64_t)s) *
                      1000000 +
                  frac;
    char *p = buf + n;
    size_t lvl = strcspn(p, " ");
    if (lvl == 0 || lvl >= sizeof(out->level) || p[lvl] != ' ')
        return false;
    memcpy(out->level, p, lvl);
    out->level[lvl] = '\0';
    out->text = p + lvl + 1;
    out->at_ms = us > lv->t0_unix_us ? (us - lv->t0_unix_us) / 1000 + 1 : 1;
    out->at_us = us > lv->t0_unix_us ? us - lv->t0_unix_us : 0;
    return true;
}

/* "<prefix><id><rest>": copies the id (up to a space or ':') into id. */
static bool word_after(const char *text, const char *prefix, char *id, size_t id_len,
                       const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(text, prefix, n) != 0)
        return false;
    const char *p = text + n;
    size_t w = strcspn(p, " :;,");
    if (w == 0 || w >= id_len)
        return false;
    memcpy(id, p, w);
    id[w] = '\0';
    if (rest)
        *rest = p + w;
    return true;
}

/* "ApplicationConnectionState.A -> ApplicationConnectionState.B" after a
 * prefix and an id. */
static bool step_line(const char *text, const char *prefix, char *id, size_t id_len,
                      gp_state *from, gp_state *to)
{
    const char *rest;
    if (!word_after(text, prefix, id, id_len, &rest))
        return false;
    char a[32], b[32];
    if (sscanf(rest, ": ApplicationConnectionState.%31[A-Z_] -> ApplicationConnectionState.%31[A-Z_]",
               a, b) != 2)
        return false;
    *from = gp_state_parse(a);
    *to = gp_state_parse(b);
    return *from != GP_STATE_COUNT && *to != GP_STATE_COUNT;
}

/* ---- pass one: which id is whose --------------------------------------------------- */

typedef struct port_map {
    uint32_t *next;   /* per client: the next client with the same port */
    uint32_t *first;  /* per port: the first client not yet matched */
} port_map;

static int ports_build(gp_live *lv, port_map *pm)
{
    uint32_t n = lv->run->n_clients;
    pm->next = malloc((size_t)n * sizeof(*pm->next) + 1);
    pm->first = malloc(65536 * sizeof(*pm->first));
    if (!pm->next || !pm->first)
        return GP_ERR_NOMEM;
    for (uint32_t p = 0; p < 65536; p++)
        pm->first[p] = UINT32_MAX;
    /* each port's clients in the order their sockets opened */
    uint32_t *last = malloc(65536 * sizeof(*last));
    if (!last)
        return GP_ERR_NOMEM;
    for (uint32_t p = 0; p < 65536; p++)
        last[p] = UINT32_MAX;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = lv->order[k]; /* start order, close to open order */
        pm->next[i] = UINT32_MAX;
        uint16_t port = lv->links[i].local_port;
        if (!port || !lv->links[i].t_open)
            continue;
        if (last[port] == UINT32_MAX)
            pm->first[port] = i;
        else
            pm->next[last[port]] = i;
        last[port] = i;
    }
    free(last);
    return GP_OK;
}

static void on_peer(gp_live *lv, port_map *pm, const char *id, const char *rest)
{
    const char *colon = strrchr(rest, ':');
    unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
    if (port == 0 || port > 65535)
        return;
    uint32_t i = pm->first[port];
    if (i == UINT32_MAX)
        return;
    pm->first[port] = pm->next[i];
    gp_judge_link(&lv->run->judge, id, i);
    gp_vclient *c = &lv->run->clients[i];
    if (!c->opened_id[0] && strlen(id) < sizeof(c->opened_id))
        memcpy(c->opened_id, id, strlen(id) + 1);
}

/* ---- pass two: every line in order ------------------------------------------------- */

static void observe(gp_live *lv, gp_obs_kind kind, const char *id, gp_state from, gp_state to,
                    bool applied, const log_line *ln)
{
    uint64_t at_ms = ln->at_ms;
    gp_observation o = {.kind = kind, .id = id, .from = (int)from, .to = (int)to,
                        .after = (int)(applied ? to : from), .applied = applied,
                        .at_ms = at_ms};
    gp_drive_settle_faults(lv->run, ln->at_us);
    gp_drive_observe(lv->run, UINT32_MAX, &o);
}

typedef struct reading {
    uint64_t steps, peers, lines;
} reading;

/* The client a line is about: the first connection id in it that is
 * linked to one (UINT32_MAX: none). */
static uint32_t line_client(const gp_run *run, const char *text)
{
    for (const char *p = text; *p; p++) {
        if ((p != text && p[-1] != ' ') ||
            (strncmp(p, "ws_", 3) != 0 && strncmp(p, "conn_", 5) != 0))
            continue;
        char id[128];
        size_t n = strcspn(p, " :;,)");
        if (n >= sizeof(id))
            continue;
        memcpy(id, p, n);
        id[n] = '\0';
        uint32_t i = gp_judge_conn_of(&run->judge, id);
        if (i != UINT32_MAX)
            return i;
    }
    return UINT32_MAX;
}

static void second_pass_line(gp_live *lv, const log_line *ln, reading *rd)
{
    gp_run *run = lv->run;
    char id[128], other[128];
    const char *rest;
    gp_state from, to;
    if (step_line(ln->text, "State transition for ", id, sizeof(id), &from, &to)) {
        observe(lv, GP_OBS_STEP, id, from, to, true, ln);
        rd->steps++;
    } else if (step_line(ln->text, "Invalid state transition for ", id, sizeof(id), &from,
                         &to)) {
        observe(lv, GP_OBS_STEP, id, from, to, false, ln);
        rd->steps++;
    } else if (word_after(ln->text, "Connection id mismatch: ", id, sizeof(id), &rest) &&
               word_after(rest, " became ", other, sizeof(other), NULL)) {
        /* the incident's migration: the machine of `id` goes, `other` comes */
        uint32_t i = gp_judge_conn_of(&run->judge, id);
        gp_state s = gp_judge_state(&run->judge, i);
        observe(lv, GP_OBS_UNREGISTERED, id, s, s, true, ln);
        observe(lv, GP_OBS_REGISTERED, other, GP_STATE_CONNECTING, GP_STATE_CONNECTING, true,
                ln);
    } else if (word_after(ln->text, "Connection ", id, sizeof(id), &rest)) {
        uint32_t i = gp_judge_conn_of(&run->judge, id);
        if (strcmp(rest, " opened (CONNECTING)") == 0) {
            observe(lv, GP_OBS_REGISTERED, id, GP_STATE_CONNECTING, GP_STATE_CONNECTING, true,
                    ln);
        } else if (strcmp(rest, " closed") == 0) {
            gp_state s = gp_judge_state(&run->judge, i);
            observe(lv, GP_OBS_UNREGISTERED, id, s, s, true, ln);
        } else if (strncmp(rest, " ready (", 8) == 0) {
            gp_judge_ready_sent(&run->judge, i, ln->at_ms);
        }
    } else if (word_after(ln->text, "Agent failed for request ", other, sizeof(other), &rest) &&
               word_after(rest, " on ", id, sizeof(id), NULL)) {
        gp_observation o = {.kind = GP_OBS_AGENT_FAILURE, .id = id, .request_id = other,
                            .at_ms = ln->at_ms};
        gp_drive_observe(run, UINT32_MAX, &o);
    }
    uint32_t who = UINT32_MAX;
    if (strcmp(ln->level, "WARNING") == 0 || strcmp(ln->level, "ERROR") == 0)
        who = gp_drive_log(run, UINT32_MAX, ln->level, ln->text);
    if (who == UINT32_MAX && run->trace_client < run->n_clients &&
        line_client(run, ln->text) == run->trace_client)
        gp_run_tracef(run, run->trace_client, "server log %s: %s", ln->level, ln->text);
}

/* Reads every line from the run's offset, calling fn on each. */
static bool each_line(gp_live *lv, const char *path, void (*fn)(gp_live *, char *, void *),
                      void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    if (lv->log_offset > 0 && fseek(f, lv->log_offset, SEEK_SET) != 0) {
        fclose(f);
        return false;
    }
    char *buf = malloc(LINE_MAX_BYTES);
    if (!buf) {
        fclose(f);
        lv->nomem = true;
        return false;
    }
    while (fgets(buf, LINE_MAX_BYTES, f)) {
        size_t n = strlen(buf);
        if (n && buf[n - 1] != '\n' && !feof(f)) { /* a line too long: skip the rest */
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
        }
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            buf[--n] = '\0';
        fn(lv, buf, ctx);
    }
    free(buf);
    fclose(f);
    return true;
}

typedef struct pass1 {
    port_map pm;
    reading *rd;
} pass1;

static void first_pass(gp_live *lv, char *buf, void *ctx)
{
    pass1 *p = ctx;
    log_line ln;
    char id[128], other[128];
    const char *rest;
    if (!split(lv, buf, &ln))
        return;
    p->rd->lines++;
    if (word_after(ln.text, "Connection ", id, sizeof(id), &rest) &&
        strncmp(rest, " peer ", 6) == 0) {
        on_peer(lv, &p->pm, id, rest + 6);
        p->rd->peers++;
    } else if (word_after(ln.text, "Connection id mismatch: ", id, sizeof(id), &rest) &&
               word_after(rest, " became ", other, sizeof(other), NULL)) {
        uint32_t i = gp_judge_conn_of(&lv->run->judge, id);
        if (i != UINT32_MAX)
            gp_judge_link(&lv->run->judge, other, i);
    }
}

static void second_pass(gp_live *lv, char *buf, void *ctx)
{
    log_line ln;
    if (split(lv, buf, &ln))
        second_pass_line(lv, &ln, ctx);
}

bool gp_live_read_log(gp_live *lv, const char *path)
{
    gp_run *run = lv->run;
    /* from here on the judge's state is the state at the line being read:
     * faults the log reveals (agent failures) are filed at once, those of
     * the run are settled step by step */
    run->fault_states_later = false;
    if (!path) {
        snprintf(run->evidence_why, sizeof(run->evidence_why),
                 "no server log (goldpath did not start the server; give --server-log FILE)");
        return false;
    }
    reading rd = {0};
    pass1 p = {.rd = &rd};
    /* a client that got connection_ready knows its id: the link that holds
     * when the ports cannot (a proxy in between) */
    for (uint32_t i = 0; i < run->n_clients; i++)
        if (run->clients[i].ready_id[0])
            gp_judge_link(&run->judge, run->clients[i].ready_id, i);
    bool ok = ports_build(lv, &p.pm) == GP_OK && each_line(lv, path, first_pass, &p);
    free(p.pm.next);
    free(p.pm.first);
    if (!ok) {
        snprintf(run->evidence_why, sizeof(run->evidence_why), "cannot read the server's log %s",
                 path);
        return false;
    }
    rd.lines = 0;
    each_line(lv, path, second_pass, &rd);
    run->evidence |= GP_EV_LOG;
    uint64_t opened = run->wire.opens;
    if (opened == 0 || (rd.steps > 0 && rd.peers > 0))
        run->evidence |= GP_EV_LIFECYCLE;
    else
        snprintf(run->evidence_why, sizeof(run->evidence_why),
                 "the server's log %s names no lifecycle steps or connection peers (%llu "
                 "steps, %llu peers): it must log at INFO with goldpath-server's lines",
                 path, (unsigned long long)rd.steps, (unsigned long long)rd.peers);
    return true;
}
