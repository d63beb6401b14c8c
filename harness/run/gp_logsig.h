/* gp_logsig.h: the log oracle -- counts, in a server's log, the incident's
 * signatures (gp_signatures_list.h) per run and per connection, and every
 * other WARNING or ERROR line by its class (the line with its ids and numbers
 * taken out), so that a run reports the lines an operator would grep for and
 * a scenario can require or forbid them (expect.log_signatures). */
#ifndef GP_LOGSIG_H
#define GP_LOGSIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gp_signatures_list.h"

#define GP_LOGSIG_CLASSES_MAX 64
#define GP_LOGSIG_EXTRA_MAX 16 /* signatures a protocol profile adds */
#define GP_LOGSIG_MAX (GP_SIGNATURE_COUNT + GP_LOGSIG_EXTRA_MAX)
#define GP_LOGSIG_CLASS_LEN 160

typedef struct gp_logsig_class {
    char level[8];
    char text[GP_LOGSIG_CLASS_LEN]; /* "Authentication failed for <id>: ..." */
    uint64_t count;
} gp_logsig_class;

typedef struct gp_logsig_count {
    uint64_t total;       /* lines */
    uint64_t connections; /* distinct connections with at least one */
    uint64_t max_per_connection;
    uint64_t unattributed; /* lines naming no known connection */
} gp_logsig_count;

/* A signature a protocol profile adds ("profile.<name>"). */
typedef struct gp_logsig_extra {
    char name[80];
    char level[16];            /* "" any level */
    const struct gp_rx *rx;    /* the profile's, borrowed: (?<id>...) names the connection */
} gp_logsig_extra;

typedef struct gp_logsig {
    bool ready;                /* regexes compiled */
    regex_t re[GP_SIGNATURE_COUNT];
    gp_logsig_extra extra[GP_LOGSIG_EXTRA_MAX];
    int n_sigs;                /* the shipped ones, then the extras */
    gp_logsig_count count[GP_LOGSIG_MAX];
    uint32_t n;                /* connections */
    uint16_t *per_conn;        /* lines per connection and signature: [i * n_sigs + s] */
    gp_logsig_class classes[GP_LOGSIG_CLASSES_MAX];
    uint32_t classes_len;
    uint64_t classes_dropped;  /* lines of classes beyond the table */
    uint64_t lines, warnings, errors;
} gp_logsig;

/* The name and meaning of signature s (the shipped ones; the extras of ls
 * with the _of forms). */
const char *gp_logsig_name(int s);
const char *gp_logsig_what(int s);
const char *gp_logsig_name_of(const gp_logsig *ls, int s);
const char *gp_logsig_what_of(const gp_logsig *ls, int s);

/* Lines of signature s on connection i. */
uint16_t gp_logsig_on(const gp_logsig *ls, uint32_t i, int s);

/* Adds a signature of a protocol profile (named "profile.<name>"), before
 * any line is read.  GP_ERR_FULL past GP_LOGSIG_EXTRA_MAX, GP_ERR_NOMEM. */
int gp_logsig_add(gp_logsig *ls, const char *name, const char *level, const struct gp_rx *rx);

/* Compiles the signatures and sets up counts for n connections.  Returns
 * GP_OK or GP_ERR_NOMEM / GP_ERR_INVALID_ARG (a regex that does not compile:
 * a programmer error, reported). */
int gp_logsig_init(gp_logsig *ls, uint32_t n);
void gp_logsig_free(gp_logsig *ls);

/* One log line: its level name ("WARNING") and text (after the level).
 * conn_of(ctx, id) maps a connection id to a connection (UINT32_MAX: not
 * known); conn is used when the caller knows it already (UINT32_MAX: not).
 * Returns the connection the line was attributed to, or UINT32_MAX. */
uint32_t gp_logsig_line(gp_logsig *ls, const char *level, const char *text, uint32_t conn,
                        uint32_t (*conn_of)(const void *ctx, const char *id),
                        const void *ctx);

/* Writes the class of a line (ids, hex and numbers replaced by <id> and <n>)
 * into out. */
void gp_logsig_classify(const char *text, char *out, size_t out_len);

/* The index of signature `name`, or -1. */
int gp_logsig_find(const char *name);

#endif
