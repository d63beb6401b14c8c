/* gp_ids.c: the two connection-id formats of gp_ids.h.
 *
 * Generation is a snprintf of numbers the caller supplies (time and entropy
 * come from the environment, never from here); validation is a hand-written
 * scanner so that the accepted grammar is exactly the one in the header and
 * nothing locale- or scanf-dependent sneaks in. */
#include "gp_ids.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gp_error.h"

#define GP_ID_PRELIMINARY_PREFIX "ws_"
#define GP_ID_UNIFIED_PREFIX "conn_websocket_"
/* Digits of the numeric fields: enough for any uint64_t. */
#define GP_ID_DIGITS_MAX 20
#define GP_ID_HEX_DIGITS 8

/* Checks snprintf's result against the buffer; on truncation leaves out ""
 * so that a caller ignoring the error never uses half an id. */
static int gp_id_finish(char *out, size_t out_len, int written)
{
    if (written < 0 || (size_t)written >= out_len) {
        out[0] = '\0';
        return GP_ERR_TOO_LONG;
    }
    return GP_OK;
}

/* out must not be NULL (GP_ERR_INVALID_ARG); out_len 0 is GP_ERR_TOO_LONG. */
int gp_id_preliminary(char *out, size_t out_len, uint64_t unix_ms,
                      uint64_t object_id)
{
    if (!out)
        return GP_ERR_INVALID_ARG;
    if (out_len == 0)
        return GP_ERR_TOO_LONG;
    int n = snprintf(out, out_len, GP_ID_PRELIMINARY_PREFIX "%" PRIu64 "_%" PRIu64,
                     unix_ms, object_id);
    return gp_id_finish(out, out_len, n);
}

/* out must not be NULL (GP_ERR_INVALID_ARG); out_len 0 is GP_ERR_TOO_LONG. */
int gp_id_unified(char *out, size_t out_len, uint64_t counter,
                  uint64_t entropy)
{
    if (!out)
        return GP_ERR_INVALID_ARG;
    if (out_len == 0)
        return GP_ERR_TOO_LONG;
    int n = snprintf(out, out_len, GP_ID_UNIFIED_PREFIX "%" PRIu64 "_%08" PRIx32,
                     counter, (uint32_t)(entropy & 0xffffffffu));
    return gp_id_finish(out, out_len, n);
}

/* Skips 1..GP_ID_DIGITS_MAX decimal digits at *p.  Returns false when there
 * are none or too many. */
static bool gp_id_skip_digits(const char **p)
{
    size_t n = 0;
    while ((*p)[n] >= '0' && (*p)[n] <= '9')
        n++;
    if (n == 0 || n > GP_ID_DIGITS_MAX)
        return false;
    *p += n;
    return true;
}

/* Skips the literal `prefix` at *p. */
static bool gp_id_skip_prefix(const char **p, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(*p, prefix, n) != 0)
        return false;
    *p += n;
    return true;
}

bool gp_id_is_preliminary(const char *id)
{
    if (!id)
        return false;
    const char *p = id;
    if (!gp_id_skip_prefix(&p, GP_ID_PRELIMINARY_PREFIX) ||
        !gp_id_skip_digits(&p) || *p++ != '_' || !gp_id_skip_digits(&p))
        return false;
    return *p == '\0';
}

bool gp_id_is_unified(const char *id)
{
    if (!id)
        return false;
    const char *p = id;
    if (!gp_id_skip_prefix(&p, GP_ID_UNIFIED_PREFIX) ||
        !gp_id_skip_digits(&p) || *p++ != '_')
        return false;
    for (int i = 0; i < GP_ID_HEX_DIGITS; i++, p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return *p == '\0';
}

bool gp_id_is_valid(const char *id)
{
    return gp_id_is_preliminary(id) || gp_id_is_unified(id);
}
