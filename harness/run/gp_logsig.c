/* gp_logsig.c: the log oracle (gp_logsig.h). */
#include "gp_logsig.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"
#include "gp_rx.h"

typedef struct sig_def {
    const char *name, *level, *re, *what;
    int id_group;
} sig_def;

static const sig_def sigs[GP_SIGNATURE_COUNT] = {
#define GP_SIG_DEF(e, name, level, re, group, what) {name, level, re, what, group},
    GP_SIGNATURE_MAP(GP_SIG_DEF)
#undef GP_SIG_DEF
};

const char *gp_logsig_name(int s)
{
    return s >= 0 && s < GP_SIGNATURE_COUNT ? sigs[s].name : "unknown";
}

const char *gp_logsig_what(int s)
{
    return s >= 0 && s < GP_SIGNATURE_COUNT ? sigs[s].what : "unknown";
}

const char *gp_logsig_name_of(const gp_logsig *ls, int s)
{
    if (s >= GP_SIGNATURE_COUNT && s < ls->n_sigs)
        return ls->extra[s - GP_SIGNATURE_COUNT].name;
    return gp_logsig_name(s);
}

const char *gp_logsig_what_of(const gp_logsig *ls, int s)
{
    if (s >= GP_SIGNATURE_COUNT && s < ls->n_sigs)
        return "a signature of the server's protocol profile";
    return gp_logsig_what(s);
}

uint16_t gp_logsig_on(const gp_logsig *ls, uint32_t i, int s)
{
    if (i >= ls->n || s < 0 || s >= ls->n_sigs || !ls->per_conn)
        return 0;
    return ls->per_conn[(size_t)i * (size_t)ls->n_sigs + (size_t)s];
}

int gp_logsig_add(gp_logsig *ls, const char *name, const char *level, const struct gp_rx *rx)
{
    if (ls->n_sigs >= GP_LOGSIG_MAX)
        return GP_ERR_FULL;
    uint16_t *grown = calloc((size_t)(ls->n ? ls->n : 1) * (size_t)(ls->n_sigs + 1),
                             sizeof(*grown));
    if (!grown)
        return GP_ERR_NOMEM;
    free(ls->per_conn); /* nothing counted yet */
    ls->per_conn = grown;
    gp_logsig_extra *x = &ls->extra[ls->n_sigs - GP_SIGNATURE_COUNT];
    snprintf(x->name, sizeof(x->name), "profile.%s", name);
    snprintf(x->level, sizeof(x->level), "%s", level ? level : "");
    x->rx = rx;
    ls->n_sigs++;
    return GP_OK;
}

int gp_logsig_find(const char *name)
{
    for (int s = 0; s < GP_SIGNATURE_COUNT; s++)
        if (strcmp(sigs[s].name, name) == 0)
            return s;
    return -1;
}

int gp_logsig_init(gp_logsig *ls, uint32_t n)
{
    memset(ls, 0, sizeof(*ls));
    ls->n = n;
    ls->n_sigs = GP_SIGNATURE_COUNT;
    ls->per_conn = calloc((size_t)(n ? n : 1) * GP_SIGNATURE_COUNT, sizeof(*ls->per_conn));
    if (!ls->per_conn)
        return GP_ERR_NOMEM;
    for (int s = 0; s < GP_SIGNATURE_COUNT; s++) {
        if (regcomp(&ls->re[s], sigs[s].re, REG_EXTENDED) != 0) {
            for (int k = 0; k < s; k++)
                regfree(&ls->re[k]);
            free(ls->per_conn);
            ls->per_conn = NULL;
            return GP_ERR_INVALID_ARG;
        }
    }
    ls->ready = true;
    return GP_OK;
}

void gp_logsig_free(gp_logsig *ls)
{
    if (ls->ready)
        for (int s = 0; s < GP_SIGNATURE_COUNT; s++)
            regfree(&ls->re[s]);
    free(ls->per_conn);
    memset(ls, 0, sizeof(*ls));
}

/* A word that is an id or a number: ws_..., conn_..., r-12, 0x.., digits. */
static bool is_variable(const char *w, size_t n)
{
    if ((n > 3 && strncmp(w, "ws_", 3) == 0) || (n > 5 && strncmp(w, "conn_", 5) == 0))
        return true;
    size_t digits = 0;
    for (size_t i = 0; i < n; i++)
        digits += isdigit((unsigned char)w[i]) != 0;
    return digits > 0 && digits * 2 >= n;
}

void gp_logsig_classify(const char *text, char *out, size_t out_len)
{
    size_t o = 0;
    const char *p = text;
    while (*p && o + 1 < out_len) {
        if (*p == ' ' || *p == ':' || *p == '(' || *p == ')' || *p == ',' || *p == '=') {
            out[o++] = *p++;
            continue;
        }
        size_t n = strcspn(p, " :(),=");
        const char *put = p;
        size_t put_len = n;
        if (is_variable(p, n)) {
            bool id = strncmp(p, "ws_", 3) == 0 || strncmp(p, "conn_", 5) == 0;
            put = id ? "<id>" : "<n>";
            put_len = strlen(put);
        }
        if (o + put_len >= out_len)
            break;
        memcpy(out + o, put, put_len);
        o += put_len;
        p += n;
    }
    out[o] = '\0';
}

static void count_class(gp_logsig *ls, const char *level, const char *text)
{
    char cls[GP_LOGSIG_CLASS_LEN];
    gp_logsig_classify(text, cls, sizeof(cls));
    for (uint32_t i = 0; i < ls->classes_len; i++) {
        gp_logsig_class *c = &ls->classes[i];
        if (strcmp(c->text, cls) == 0 && strcmp(c->level, level) == 0) {
            c->count++;
            return;
        }
    }
    if (ls->classes_len == GP_LOGSIG_CLASSES_MAX) {
        ls->classes_dropped++;
        return;
    }
    gp_logsig_class *c = &ls->classes[ls->classes_len++];
    snprintf(c->level, sizeof(c->level), "%s", level);
    snprintf(c->text, sizeof(c->text), "%s", cls);
    c->count = 1;
}

uint32_t gp_logsig_line(gp_logsig *ls, const char *level, const char *text, uint32_t conn,
                        uint32_t (*conn_of)(const void *ctx, const char *id),
                        const void *ctx)
{
    ls->lines++;
    bool warn = strcmp(level, "WARNING") == 0, err = strcmp(level, "ERROR") == 0;
    if (!warn && !err)
        return conn;
    ls->warnings += warn;
    ls->errors += err;
    count_class(ls, level, text);
    for (int s = 0; ls->ready && s < ls->n_sigs; s++) {
        regmatch_t m[GP_RX_GROUPS_MAX + 1];
        int g;
        if (s < GP_SIGNATURE_COUNT) {
            if (regexec(&ls->re[s], text, 4, m, 0) != 0)
                continue;
            g = sigs[s].id_group;
        } else {
            const gp_logsig_extra *x = &ls->extra[s - GP_SIGNATURE_COUNT];
            if ((x->level[0] && strcmp(x->level, level) != 0) || !gp_rx_match(x->rx, text, m))
                continue;
            g = gp_rx_group(x->rx, "id");
        }
        gp_logsig_count *c = &ls->count[s];
        c->total++;
        uint32_t who = conn;
        if (who == UINT32_MAX && g > 0 && m[g].rm_so >= 0 && conn_of) {
            char id[128];
            size_t n = (size_t)(m[g].rm_eo - m[g].rm_so);
            if (n < sizeof(id)) {
                memcpy(id, text + m[g].rm_so, n);
                id[n] = '\0';
                who = conn_of(ctx, id);
            }
        }
        if (who == UINT32_MAX || who >= ls->n) {
            c->unattributed++;
            continue;
        }
        conn = who;
        uint16_t *k = &ls->per_conn[(size_t)who * (size_t)ls->n_sigs + (size_t)s];
        if (*k == 0)
            c->connections++;
        if (*k < UINT16_MAX)
            (*k)++;
        if (*k > c->max_per_connection)
            c->max_per_connection = *k;
    }
    return conn;
}
