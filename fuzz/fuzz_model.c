/* fuzz_model.c: the independent model of fuzz_model.h.  The step sets
 * below are the transcription of gp_lifecycle.h's contract:
 *   CONNECTING -> ACCEPTED -> AUTHENTICATED -> SERVICES_READY -> PROCESSING_READY,
 *   any live state -> CLOSING or FAILED, CLOSING -> CLOSED, FAILED -> CLOSED,
 *   nothing else (no self-steps, nothing out of CLOSED). */
#include "fuzz_model.h"

#include <stdio.h>
#include <string.h>

/* The states by their documented names, in gp_lifecycle.h's order. */
enum {
    M_CONNECTING,
    M_ACCEPTED,
    M_AUTHENTICATED,
    M_SERVICES_READY,
    M_PROCESSING_READY,
    M_CLOSING,
    M_CLOSED,
    M_FAILED,
    M_STATES
};

_Static_assert((int)M_STATES == (int)GP_STATE_COUNT, "the model knows eight states");
_Static_assert((int)M_CONNECTING == (int)GP_STATE_CONNECTING &&
                   (int)M_FAILED == (int)GP_STATE_FAILED &&
                   (int)M_CLOSING == (int)GP_STATE_CLOSING,
               "the model's numbering is the core's");

static const char *const model_names[M_STATES] = {
    "CONNECTING", "ACCEPTED", "AUTHENTICATED", "SERVICES_READY",
    "PROCESSING_READY", "CLOSING", "CLOSED", "FAILED",
};

#define B(s) (1u << (s))

/* model_next[from]: the set of states `from` may step to. */
static const unsigned model_next[M_STATES] = {
    /* the climb, one step at a time, or giving up from a live state */
    [M_CONNECTING] = B(M_ACCEPTED) | B(M_CLOSING) | B(M_FAILED),
    [M_ACCEPTED] = B(M_AUTHENTICATED) | B(M_CLOSING) | B(M_FAILED),
    [M_AUTHENTICATED] = B(M_SERVICES_READY) | B(M_CLOSING) | B(M_FAILED),
    [M_SERVICES_READY] = B(M_PROCESSING_READY) | B(M_CLOSING) | B(M_FAILED),
    [M_PROCESSING_READY] = B(M_CLOSING) | B(M_FAILED),
    /* the end */
    [M_CLOSING] = B(M_CLOSED),
    [M_CLOSED] = 0,
    [M_FAILED] = B(M_CLOSED),
};

bool model_streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

bool model_starts(const char *s, const char *prefix)
{
    while (*prefix && *s == *prefix) {
        s++;
        prefix++;
    }
    return *prefix == '\0';
}

bool model_step_is_legal(int from, int to)
{
    if (from < 0 || from >= M_STATES || to < 0 || to >= M_STATES)
        return false;
    return (model_next[from] & B(to)) != 0;
}

const char *model_state_name(int s)
{
    return s >= 0 && s < M_STATES ? model_names[s] : NULL;
}

bool model_state_is_terminal(int s)
{
    return s == M_CLOSING || s == M_CLOSED || s == M_FAILED;
}

/* Skips 1 to 20 digits at *p.  Returns false when there are none or more. */
static bool digits(const char **p)
{
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        (*p)++;
        n++;
    }
    return n >= 1 && n <= 20;
}

bool model_id_is_preliminary(const char *id)
{
    if (!id || !model_starts(id, "ws_"))
        return false;
    const char *p = id + 3;
    if (!digits(&p) || *p++ != '_' || !digits(&p))
        return false;
    return *p == '\0';
}

bool model_id_is_unified(const char *id)
{
    static const char prefix[] = "conn_websocket_";
    if (!id || !model_starts(id, prefix))
        return false;
    const char *p = id + sizeof(prefix) - 1;
    if (!digits(&p) || *p++ != '_')
        return false;
    for (int i = 0; i < 8; i++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return *p == '\0';
}

void model_illegal_line(char *out, size_t out_len, const char *id, int from,
                        int to)
{
    snprintf(out, out_len,
             "Invalid state transition for %s: ApplicationConnectionState.%s -> "
             "ApplicationConnectionState.%s",
             id, model_state_name(from), model_state_name(to));
}

/* Matches `prefix` at *p and moves past it. */
static bool eat(const char **p, const char *prefix)
{
    if (!model_starts(*p, prefix))
        return false;
    *p += strlen(prefix);
    return true;
}

bool model_illegal_line_is(const char *line, const char *id, int from, int to)
{
    return model_step_line_is(line, "Invalid state transition for ", id, from, to);
}

/* The id as a log line shows it: the model's own statement of the escaping
 * rule (docs/server.md): backslash, \n, \r, \t by name, other control
 * bytes and DEL as \xHH, everything else as it is. */
static void model_escape(const char *in, char *out, size_t out_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)in; *c && n + 5 < out_len; c++) {
        if (*c == '\\' || *c == '\n' || *c == '\r' || *c == '\t') {
            out[n++] = '\\';
            out[n++] = *c == '\n' ? 'n' : *c == '\r' ? 'r' : *c == '\t' ? 't' : '\\';
        } else if (*c < 0x20 || *c == 0x7f) {
            out[n++] = '\\';
            out[n++] = 'x';
            out[n++] = hex[*c >> 4];
            out[n++] = hex[*c & 15];
        } else {
            out[n++] = (char)*c;
        }
    }
    out[n] = '\0';
}

bool model_step_line_is(const char *line, const char *prefix, const char *id, int from,
                        int to)
{
    const char *p = line;
    char shown[1024];
    model_escape(id, shown, sizeof(shown));
    return model_state_name(from) && model_state_name(to) &&
           eat(&p, prefix) && eat(&p, shown) &&
           eat(&p, ": ApplicationConnectionState.") && eat(&p, model_state_name(from)) &&
           eat(&p, " -> ApplicationConnectionState.") && eat(&p, model_state_name(to)) &&
           *p == '\0';
}
