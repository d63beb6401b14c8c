/* gp_rx.c: named groups over POSIX ERE, with a literal prefilter (gp_rx.h). */
#include "gp_rx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gp_error.h"

/* True for the characters that are special in ERE outside brackets. */
static bool meta(char c)
{
    return strchr(".[]()*+?{}|^$\\", c) != NULL;
}

int gp_rx_compile(gp_rx *rx, const char *pattern, char *err, size_t err_len)
{
    memset(rx, 0, sizeof(*rx));
    size_t n = strlen(pattern);
    char *ere = malloc(n + 1);
    if (!ere) {
        snprintf(err, err_len, "out of memory");
        return GP_ERR_NOMEM;
    }
    size_t w = 0, group = 0, depth = 0, run_len = 0;
    bool in_bracket = false, alternation = false;
    char run[64] = "";
    for (size_t i = 0; i < n; i++) {
        char c = pattern[i];
        bool literal = false;
        char lit = c;
        if (in_bracket) {
            /* a ']' right after '[' or '[^' is a member, not the end */
            bool first = pattern[i - 1] == '[' || (pattern[i - 1] == '^' && pattern[i - 2] == '[');
            if (c == ']' && !first)
                in_bracket = false;
            ere[w++] = c;
        } else if (c == '\\' && i + 1 < n) {
            ere[w++] = c;
            ere[w++] = pattern[++i];
            literal = meta(pattern[i]);
            lit = pattern[i];
        } else if (c == '[') {
            in_bracket = true;
            ere[w++] = c;
        } else if (c == '(') {
            depth++;
            if (++group > GP_RX_GROUPS_MAX) {
                snprintf(err, err_len, "more than %d groups in \"%s\"", GP_RX_GROUPS_MAX, pattern);
                free(ere);
                return GP_ERR_INVALID_ARG;
            }
            ere[w++] = c;
            if (pattern[i + 1] == '?') {
                const char *start = pattern + i + 3, *end = pattern[i + 2] == '<' ? strchr(start, '>') : NULL;
                size_t len = end ? (size_t)(end - start) : 0;
                bool ok = end && len > 0 && len < sizeof(rx->names[0]);
                for (size_t k = 0; ok && k < len; k++)
                    ok = start[k] == '_' || (start[k] >= 'a' && start[k] <= 'z') ||
                         (start[k] >= '0' && start[k] <= '9');
                if (!ok) {
                    snprintf(err, err_len, "\"(?\" must start a named group (?<name>...), the name "
                                           "1 to 15 of a-z, 0-9, _, in \"%s\"", pattern);
                    free(ere);
                    return GP_ERR_INVALID_ARG;
                }
                memcpy(rx->names[group], start, len);
                rx->names[group][len] = '\0';
                i = (size_t)(end - pattern);
            }
        } else if (c == '{') { /* a bound, {m,n}: a quantifier, never literal */
            while (i < n && pattern[i] != '}')
                ere[w++] = pattern[i++];
            if (i < n)
                ere[w++] = pattern[i];
        } else {
            if (c == ')' && depth > 0)
                depth--;
            if (c == '|')
                alternation = true;
            ere[w++] = c;
            literal = !meta(c);
        }
        /* the longest run of literal characters at the top level, none of
         * them made optional or repeated by a quantifier after it */
        char next = i + 1 < n ? pattern[i + 1] : '\0';
        bool quantified = next == '*' || next == '?' || next == '{' || next == '+';
        if (literal && !quantified && depth == 0 && !in_bracket && run_len + 1 < sizeof(run)) {
            run[run_len++] = lit;
            run[run_len] = '\0';
        } else {
            if (run_len > strlen(rx->literal))
                memcpy(rx->literal, run, run_len + 1);
            run_len = 0;
        }
    }
    if (run_len > strlen(rx->literal))
        memcpy(rx->literal, run, run_len + 1);
    if (alternation)
        rx->literal[0] = '\0'; /* no literal is certain */
    ere[w] = '\0';
    int rc = regcomp(&rx->re, ere, REG_EXTENDED);
    free(ere);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &rx->re, msg, sizeof(msg));
        snprintf(err, err_len, "\"%s\": %s", pattern, msg);
        return GP_ERR_INVALID_ARG;
    }
    rx->groups = rx->re.re_nsub;
    rx->ready = true;
    return GP_OK;
}

void gp_rx_free(gp_rx *rx)
{
    if (rx->ready)
        regfree(&rx->re);
    rx->ready = false;
}

int gp_rx_group(const gp_rx *rx, const char *name)
{
    for (size_t g = 1; g <= rx->groups && g <= GP_RX_GROUPS_MAX; g++)
        if (strcmp(rx->names[g], name) == 0)
            return (int)g;
    return -1;
}

bool gp_rx_match(const gp_rx *rx, const char *text, regmatch_t *m)
{
    if (!rx->ready || (rx->literal[0] && !strstr(text, rx->literal)))
        return false;
    return regexec(&rx->re, text, GP_RX_GROUPS_MAX + 1, m, 0) == 0;
}

bool gp_rx_take(const gp_rx *rx, const char *text, const regmatch_t *m, const char *name,
                char *out, size_t out_len)
{
    int g = gp_rx_group(rx, name);
    if (g < 0 || out_len == 0)
        return false;
    if (m[g].rm_so < 0) {
        out[0] = '\0';
        return true;
    }
    size_t len = (size_t)(m[g].rm_eo - m[g].rm_so);
    if (len >= out_len)
        return false;
    memcpy(out, text + m[g].rm_so, len);
    out[len] = '\0';
    return true;
}
