/* gp_ids.h: the two connection-id formats of the incident, generated and
 * validated.
 *
 * Preliminary id, assigned when the socket opens:  ws_<unix-ms>_<object-id>
 *   e.g. ws_1725960687000_140234567890123
 * Unified id, from the id manager:                conn_websocket_<counter>_<8 hex>
 *   e.g. conn_websocket_1_a1b2c3d4
 * The two can never be equal (different prefixes): giving one connection one
 * id of each kind is the incident's root cause.  Time and entropy come from
 * the caller (ultimately the environment); nothing here reads a clock. */
#ifndef GP_IDS_H
#define GP_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes ws_<unix_ms>_<object_id> into out (size out_len, NUL-terminated).
 * Returns GP_OK, or GP_ERR_TOO_LONG when out_len is too small. */
int gp_id_preliminary(char *out, size_t out_len, uint64_t unix_ms,
                      uint64_t object_id);

/* Writes conn_websocket_<counter>_<8 lowercase hex of entropy's low 32 bits>.
 * Returns GP_OK or GP_ERR_TOO_LONG. */
int gp_id_unified(char *out, size_t out_len, uint64_t counter,
                  uint64_t entropy);

/* ws_ then 1-20 digits, '_', 1-20 digits, nothing else. */
bool gp_id_is_preliminary(const char *id);

/* conn_websocket_ then 1-20 digits, '_', exactly 8 lowercase hex digits. */
bool gp_id_is_unified(const char *id);

/* Either of the two. */
bool gp_id_is_valid(const char *id);

#endif
