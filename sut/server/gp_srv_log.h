/* gp_srv_log.h: goldpath-server's log lines, in the incident's format.
 *
 *   2025-09-10T09:58:03.224757Z WARNING Invalid state transition for ws_...
 *
 * ISO-8601 UTC with microseconds, the level name (gp_log_level_name), the
 * line.  Operators grep for the incident's wording, so the format is the
 * incident's.  Each line goes to stderr in one write(2), so lines from the
 * server and from libwebsockets never interleave mid-line. */
#ifndef GP_SRV_LOG_H
#define GP_SRV_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "gp_env.h"

/* Copies `line` into out (cap bytes, NUL-terminated) with every byte that
 * could start a new line or steer a terminal escaped: a backslash doubled
 * (\\), LF, CR and TAB as \n, \r and \t, other bytes below 0x20 and 0x7f
 * as \xNN (two lower-case hex digits), and so are bytes that are not well-formed UTF-8, C1 controls
 * (U+0080-U+009F) and U+2028/U+2029.  Printable UTF-8 is kept.  Text that
 * does not fit is cut between two escapes.  Returns the length written. */
size_t gp_srv_log_escape(char *out, size_t cap, const char *line);

/* Formats "<timestamp> <LEVEL> <line>\n" for realtime_us (microseconds since
 * the epoch) into buf (NUL-terminated), `line` escaped by gp_srv_log_escape,
 * so the result is always exactly one line; a line that does not fit is cut
 * and still ends with "\n".  Returns the length written. */
size_t gp_srv_log_format(char *buf, size_t cap, uint64_t realtime_us,
                         const char *level_name, const char *line);

/* Formats `line` at the current CLOCK_REALTIME and writes it to stderr. */
void gp_srv_log_write(gp_log_level level, const char *line);

/* printf-style convenience over gp_srv_log_write, when level >= min. */
void gp_srv_logf(gp_log_level min, gp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Routes libwebsockets' own log lines (errors and warnings only) through
 * gp_srv_log_write with a "lws: " prefix. */
void gp_srv_log_route_lws(void);

#endif
