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

/* Microseconds since the epoch of "YYYY-MM-DD[T ]HH:MM:SS[.,]FFF[Z]" (UTC);
 * 0 when it is not one. */
static uint64_t iso_us(const char *ts)
{
    int y, mo, d, h, mi, s, n = 0;
    char sep;
    if (sscanf(ts, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &s, &n) != 7 ||
        (sep != 'T' && sep != ' '))
        return 0;
    uint64_t frac = 0;
    int digits = 0;
    const char *p = ts + n;
    if (*p == '.' || *p == ',')
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (digits < 6) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                digits++;
            }
    while (digits++ < 6)
        frac *= 10;
    return ((uint64_t)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + (uint64_t)h * 3600 +
            (uint64_t)mi * 60 + (uint64_t)s) * 1000000 + frac;
}

/* A line as the profile's log.line pattern splits it (ts, level, text). */
static bool split_profile(const gp_live *lv, char *buf, log_line *out)
{
    const gp_profile *p = lv->profile;
    regmatch_t m[GP_RX_GROUPS_MAX + 1];
    if (!gp_rx_match(&p->log_line, buf, m))
        return false;
    char ts[64];
    int gt = gp_rx_group(&p->log_line, "ts"), gl = gp_rx_group(&p->log_line, "level"),
        gx = gp_rx_group(&p->log_line, "text");
    if (gt < 0 || gx < 0 || m[gx].rm_so < 0 ||
        !gp_rx_take(&p->log_line, buf, m, "ts", ts, sizeof(ts)))
        return false;
    uint64_t us = iso_us(ts);
    if (!us)
        return false;
    out->level[0] = '\0';
    if (gl >= 0 && m[gl].rm_so >= 0)
        gp_rx_take(&p->log_line, buf, m, "level", out->level, sizeof(out->level));
    /* levels as goldpath names them: WARNING and ERROR whatever the case, and
     * the usual other spellings */
    for (char *c = out->level; *c; c++)
        if (*c >= 'a' && *c <= 'z')
            *c = (char)(*c - 'a' + 'A');
    if (strcmp(out->level, "WARN") == 0)
        snprintf(out->level, sizeof(out->level), "WARNING");
    else if (strcmp(out->level, "ERR") == 0 || strcmp(out->level, "CRITICAL") == 0 ||
             strcmp(out->level, "FATAL") == 0)
        snprintf(out->level, sizeof(out->level), "ERROR");
    out->text = buf + m[gx].rm_so;
    buf[m[gx].rm_eo] = '\0';
    out->at_ms = us > lv->t0_unix_us ? (us - lv->t0_unix_us) / 1000 + 1 : 1;
    out->at_us = us > lv->t0_unix_us ? us - lv->t0_unix_us : 0;
    return true;
}

/* Splits "<timestamp> <LEVEL> <text>".  False for anything else. */
static bool split(const gp_live *lv, char *buf, log_line *out)
{
    if (lv->profile && lv->profile->log_given)
        return split_profile(lv, buf, out);
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

/* ---- what a line says ----------------------------------------------------------------- */

enum { L_NONE = 0, L_STEP, L_REFUSED, L_OPENED, L_CLOSED, L_PEER, L_READY, L_ID_CHANGE,
       L_AGENT_FAILED };

typedef struct said {
    int kind;
    char id[128], other[128]; /* other: the new id, the request id */
    gp_state from, to;
    unsigned port;
} said;

static bool take(const gp_rx *rx, const char *text, const regmatch_t *m, const char *g,
                 char *out, size_t n)
{
    return gp_rx_take(rx, text, m, g, out, n) && out[0];
}

/* The profile's patterns, in a fixed order. */
static void classify_profile(const gp_profile *p, const char *text, said *out)
{
    regmatch_t m[GP_RX_GROUPS_MAX + 1];
    char a[64], b[64];
    if (p->log_has[0] && gp_rx_match(&p->log_step, text, m) &&
        take(&p->log_step, text, m, "id", out->id, sizeof(out->id)) &&
        take(&p->log_step, text, m, "from", a, sizeof(a)) &&
        take(&p->log_step, text, m, "to", b, sizeof(b))) {
        int f = gp_profile_state_of(p, a), t = gp_profile_state_of(p, b);
        if (f >= 0 && t >= 0) {
            out->kind = L_STEP;
            out->from = (gp_state)f;
            out->to = (gp_state)t;
            return;
        }
    }
    if (p->log_has[1] && gp_rx_match(&p->log_refused, text, m) &&
        take(&p->log_refused, text, m, "id", out->id, sizeof(out->id)) &&
        take(&p->log_refused, text, m, "from", a, sizeof(a)) &&
        take(&p->log_refused, text, m, "to", b, sizeof(b))) {
        int f = gp_profile_state_of(p, a), t = gp_profile_state_of(p, b);
        if (f >= 0 && t >= 0) {
            out->kind = L_REFUSED;
            out->from = (gp_state)f;
            out->to = (gp_state)t;
            return;
        }
    }
    if (p->log_has[4] && gp_rx_match(&p->log_peer, text, m) &&
        take(&p->log_peer, text, m, "id", out->id, sizeof(out->id)) &&
        take(&p->log_peer, text, m, "port", a, sizeof(a))) {
        out->kind = L_PEER;
        out->port = (unsigned)strtoul(a, NULL, 10);
        return;
    }
    if (p->log_has[6] && gp_rx_match(&p->log_id_change, text, m) &&
        take(&p->log_id_change, text, m, "id", out->id, sizeof(out->id)) &&
        take(&p->log_id_change, text, m, "new", out->other, sizeof(out->other))) {
        out->kind = L_ID_CHANGE;
        return;
    }
    if (p->log_has[7] && gp_rx_match(&p->log_agent_failed, text, m) &&
        take(&p->log_agent_failed, text, m, "id", out->id, sizeof(out->id)) &&
        take(&p->log_agent_failed, text, m, "request", out->other, sizeof(out->other))) {
        out->kind = L_AGENT_FAILED;
        return;
    }
    const gp_rx *simple[] = {&p->log_opened, &p->log_closed, &p->log_ready};
    const int kinds[] = {L_OPENED, L_CLOSED, L_READY};
    const int has[] = {2, 3, 5};
    for (int k = 0; k < 3; k++)
        if (p->log_has[has[k]] && gp_rx_match(simple[k], text, m) &&
            take(simple[k], text, m, "id", out->id, sizeof(out->id))) {
            out->kind = kinds[k];
            return;
        }
}

/* What a line of the server's log says, as goldpath-server writes it or as
 * the profile's patterns read it. */
static void classify(const gp_live *lv, const char *text, said *out)
{
    out->kind = L_NONE;
    if (lv->profile && lv->profile->log_given) {
        classify_profile(lv->profile, text, out);
        return;
    }
    const char *rest;
    if (step_line(text, "State transition for ", out->id, sizeof(out->id), &out->from, &out->to))
        out->kind = L_STEP;
    else if (step_line(text, "Invalid state transition for ", out->id, sizeof(out->id),
                       &out->from, &out->to))
        out->kind = L_REFUSED;
    else if (word_after(text, "Connection id mismatch: ", out->id, sizeof(out->id), &rest) &&
             word_after(rest, " became ", out->other, sizeof(out->other), NULL))
        out->kind = L_ID_CHANGE;
    else if (word_after(text, "Agent failed for request ", out->other, sizeof(out->other),
                        &rest) &&
             word_after(rest, " on ", out->id, sizeof(out->id), NULL))
        out->kind = L_AGENT_FAILED;
    else if (word_after(text, "Connection ", out->id, sizeof(out->id), &rest)) {
        if (strncmp(rest, " peer ", 6) == 0) {
            const char *colon = strrchr(rest, ':');
            out->port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
            out->kind = L_PEER;
        } else if (strcmp(rest, " opened (CONNECTING)") == 0) {
            out->kind = L_OPENED;
        } else if (strcmp(rest, " closed") == 0) {
            out->kind = L_CLOSED;
        } else if (strncmp(rest, " ready (", 8) == 0) {
            out->kind = L_READY;
        }
    }
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

static void on_peer(gp_live *lv, port_map *pm, const char *id, unsigned long port)
{
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
    said w;
    classify(lv, ln->text, &w);
    switch (w.kind) {
    case L_STEP:
        observe(lv, GP_OBS_STEP, w.id, w.from, w.to, true, ln);
        rd->steps++;
        break;
    case L_REFUSED:
        observe(lv, GP_OBS_STEP, w.id, w.from, w.to, false, ln);
        rd->steps++;
        break;
    case L_ID_CHANGE: {
        /* the incident's migration: the machine of `id` goes, `other` comes */
        uint32_t i = gp_judge_conn_of(&run->judge, w.id);
        gp_state s = gp_judge_state(&run->judge, i);
        observe(lv, GP_OBS_UNREGISTERED, w.id, s, s, true, ln);
        observe(lv, GP_OBS_REGISTERED, w.other, GP_STATE_CONNECTING, GP_STATE_CONNECTING, true,
                ln);
        break;
    }
    case L_OPENED:
        observe(lv, GP_OBS_REGISTERED, w.id, GP_STATE_CONNECTING, GP_STATE_CONNECTING, true, ln);
        break;
    case L_CLOSED: {
        uint32_t i = gp_judge_conn_of(&run->judge, w.id);
        gp_state s = gp_judge_state(&run->judge, i);
        observe(lv, GP_OBS_UNREGISTERED, w.id, s, s, true, ln);
        break;
    }
    case L_READY:
        gp_judge_ready_sent(&run->judge, gp_judge_conn_of(&run->judge, w.id), ln->at_ms);
        break;
    case L_AGENT_FAILED: {
        gp_observation o = {.kind = GP_OBS_AGENT_FAILURE, .id = w.id, .request_id = w.other,
                            .at_ms = ln->at_ms};
        gp_drive_observe(run, UINT32_MAX, &o);
        break;
    }
    default:
        break;
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
    if (!split(lv, buf, &ln))
        return;
    p->rd->lines++;
    said w;
    classify(lv, ln.text, &w);
    if (w.kind == L_PEER) {
        on_peer(lv, &p->pm, w.id, w.port);
        p->rd->peers++;
    } else if (w.kind == L_ID_CHANGE) {
        uint32_t i = gp_judge_conn_of(&lv->run->judge, w.id);
        if (i != UINT32_MAX)
            gp_judge_link(&lv->run->judge, w.other, i);
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
