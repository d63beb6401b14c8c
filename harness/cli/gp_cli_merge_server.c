/* gp_cli_merge_server.c: what the server said during a live run in shards,
 * taken once for the merged run: its log (the shards' parts joined and read
 * as one run reads it) and its own figures (/health and /metrics: the last
 * reading, counted since the first), and the timeline's columns that come
 * from them.  See gp_cli_merge_live.c. */
#include "gp_cli_merge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_cli_shard_live.h"
#include "gp_error.h"
#include "gp_files.h"

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
int gp_merge_join_log(live_shard *ls, uint32_t n, gp_run *run, const char *dir, char *err,
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
            w[m++] = (window){&ls[k], gp_merge_ju(log, "offset"), gp_merge_ju(log, "end")};
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

void gp_merge_health(live_shard *ls, uint32_t n, gp_run *run)
{
    int first = -1, last = -1;
    for (uint32_t k = 0; k < n; k++) {
        json_t *h = ls[k].health;
        if (json_is_true(json_object_get(h, "base_known")) &&
            (first < 0 || gp_merge_ju(h, "base_at_unix_us") < gp_merge_ju(ls[first].health, "base_at_unix_us")))
            first = (int)k;
        if (json_is_true(json_object_get(h, "final_known")) &&
            (last < 0 || gp_merge_ju(h, "final_at_unix_us") >= gp_merge_ju(ls[last].health, "final_at_unix_us")))
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
    snprintf(run->health_only, sizeof(run->health_only), "%s", gp_merge_jstr_or(hl, "health_only"));
    snprintf(run->health_conflict, sizeof(run->health_conflict), "%s",
             gp_merge_jstr_or(hl, "health_conflict"));
}

/* The timeline: the server's columns from the shard that read the server's
 * figures last (`ref`), the clients' summed bucket by bucket. */
int gp_merge_timeline(live_shard *ls, uint32_t n, uint32_t ref, gp_run *run)
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
