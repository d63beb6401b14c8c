/* gp_srv_flags.h: goldpath-server's command line.
 *
 * Turns argv (and GOLDPATH_JWT_SECRET) into a gp_srv_options: the core's
 * gp_server_config plus what only the driver needs (port, bind address,
 * ready file, log level, event loop, TLS files).  One table of flags drives
 * getopt_long, the --help text and the "did you mean" suggestions, so the
 * usage text lists exactly what the parser accepts, each flag with its
 * default.  Parsing is separate from main() so that every flag's error
 * message is in one place.  Nothing here touches a socket or a file. */
#ifndef GP_SRV_FLAGS_H
#define GP_SRV_FLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gp_server.h"

#define GP_SRV_PORT_DEFAULT 8765
#define GP_SRV_BIND_DEFAULT "127.0.0.1"
/* Upper bound of --max-connections when it is not given; the fd limit may
 * lower it (gp_fdlimit.h). */
#define GP_SRV_MAX_CONNECTIONS_DEFAULT 10000u
#define GP_SRV_MAX_CONNECTIONS_MAX 1000000u
#define GP_SRV_MAX_MESSAGE_BYTES_MAX (16u * 1024u * 1024u)
#define GP_SRV_SECRET_ENV "GOLDPATH_JWT_SECRET"
/* Defences (docs/server.md, "Limits and defences"). */
#define GP_SRV_PREAUTH_MEMORY_DEFAULT (16u * 1024u * 1024u)
#define GP_SRV_PREAUTH_MEMORY_MAX (1024u * 1024u * 1024u)
#define GP_SRV_SEND_STALL_MS_DEFAULT 10000u
#define GP_SRV_HEADER_TIMEOUT_MS_DEFAULT 5000u
#define GP_SRV_HEADER_TIMEOUT_MS_MAX 600000u
#define GP_SRV_HEADER_CONNS_DEFAULT 1024u
#define GP_SRV_HEADER_CONNS_MAX 65536u
#define GP_SRV_HEADER_CONNS_PER_IP_DEFAULT 256u
/* --fault-hooks: the largest gp_accept_delay_ms a client may ask for. */
#define GP_SRV_FAULT_ACCEPT_DELAY_MS_MAX 60000u

typedef enum gp_srv_loop {
    GP_SRV_LOOP_UV = 0, /* libuv (epoll) through lws: the default */
    GP_SRV_LOOP_POLL,   /* lws's own poll() loop */
} gp_srv_loop;

/* libuv when the build has it (CMake defines GP_SRV_HAVE_UV), else poll. */
#ifdef GP_SRV_HAVE_UV
#define GP_SRV_LOOP_DEFAULT GP_SRV_LOOP_UV
#else
#define GP_SRV_LOOP_DEFAULT GP_SRV_LOOP_POLL
#endif

typedef struct gp_srv_options {
    gp_server_config core;      /* handed to gp_server_create */
    int port;                   /* 0: pick a free port */
    const char *bind;           /* address to listen on (argv-owned) */
    const char *ready_file;     /* NULL: none */
    bool secret_is_dev;         /* neither the flag nor the env var given */
    const char *secret_source;  /* "--jwt-secret", GP_SRV_SECRET_ENV, "built-in" */
    bool max_connections_given; /* else the fd limit may lower the default */
    gp_log_level log_level;
    gp_srv_loop loop;
    uint32_t accept_delay_ms;   /* model a slow accept (0: none) */
    bool fault_hooks;           /* honour gp_* query parameters (tests only) */
    size_t preauth_memory_max;  /* bytes all unauthenticated connections may hold */
    uint32_t send_stall_ms;     /* output above the mark this long: not reading */
    uint32_t header_timeout_ms; /* a request's headers must be complete by then */
    uint32_t header_conns_max;  /* connections still sending headers, in all */
    uint32_t header_conns_per_ip_max; /* ... and from one address */
    const char *tls_cert;       /* PEM certificate (chain) file, or NULL: no TLS */
    const char *tls_key;        /* PEM private key file; set exactly when tls_cert is */
} gp_srv_options;

typedef enum gp_srv_flags_result {
    GP_SRV_FLAGS_RUN = 0,     /* *opt is ready */
    GP_SRV_FLAGS_HELP = 1,    /* --help / -h: print usage, exit 0 */
    GP_SRV_FLAGS_ERROR = 2,   /* bad usage: err says why, exit 2 */
    GP_SRV_FLAGS_VERSION = 3, /* --version / -V: print the version, exit 0 */
} gp_srv_flags_result;

/* Parses argv[1..argc-1] into *opt (defaults first) with getopt_long:
 * `--flag value`, `--flag=value`, the short forms (-p, -b, -q, -h, -V) and
 * `--` (which ends the flags; the server takes no operands, so anything after
 * it is an error).  Options are processed in order: the first bad one is
 * reported, and --help or --version returns as soon as it is seen.
 * `env_secret` is the value of GOLDPATH_JWT_SECRET or NULL (the caller reads
 * the environment, so tests can pass what they like).  Strings in *opt point
 * into argv or env_secret, which must outlive it.  On GP_SRV_FLAGS_ERROR a
 * sentence naming the flag and the value it got (or the flag probably meant,
 * for a mistyped name) is in err (always NUL-terminated).  Uses getopt's
 * globals (optind, optarg): not thread-safe. */
gp_srv_flags_result gp_srv_flags_parse(int argc, char **argv,
                                       const char *env_secret,
                                       gp_srv_options *opt, char *err,
                                       size_t err_len);

/* Writes the --help text: every flag with its default, the bug names, the
 * exit status. */
void gp_srv_flags_usage(FILE *out);

/* The long flags the parser knows, as "--name" (for tests: each must be in
 * the usage text with its default).  NULL past the end. */
const char *gp_srv_flags_name(size_t i);

/* ---- the table behind the parser and --help (gp_srv_flags.c) ---- */

typedef enum gp_srv_flag_id {
    GP_SRV_F_PORT = 0, GP_SRV_F_BIND, GP_SRV_F_READY_FILE, GP_SRV_F_MAX_CONNECTIONS,
    GP_SRV_F_EVENT_LOOP, GP_SRV_F_TLS_CERT, GP_SRV_F_TLS_KEY,
    GP_SRV_F_JWT_SECRET, GP_SRV_F_AUTH_TIMEOUT_MS,
    GP_SRV_F_MAX_MESSAGE, GP_SRV_F_STUCK_AFTER_MS, GP_SRV_F_SHUTDOWN_GRACE_MS,
    GP_SRV_F_THINK_MS, GP_SRV_F_TOOL_MS, GP_SRV_F_AGENT_FAILURE_RATE,
    GP_SRV_F_ACCEPT_DELAY_MS,
    GP_SRV_F_HEADER_TIMEOUT_MS, GP_SRV_F_MAX_HEADER_CONNECTIONS,
    GP_SRV_F_MAX_HEADER_CONNECTIONS_PER_IP, GP_SRV_F_PREAUTH_MEMORY_MAX,
    GP_SRV_F_SEND_STALL_MS,
    GP_SRV_F_LOG_LEVEL, GP_SRV_F_QUIET, GP_SRV_F_BUG, GP_SRV_F_FAULT_HOOKS,
    GP_SRV_F_HELP, GP_SRV_F_VERSION,
    GP_SRV_F_COUNT
} gp_srv_flag_id;

typedef struct gp_srv_flag {
    const char *name;  /* the long name, without "--" */
    char short_name;   /* 'p', or 0 */
    const char *arg;   /* the value's name in --help ("N"); NULL: takes none */
    const char *group; /* the --help heading it is listed under */
    const char *help;  /* what it does ('\n' continues on the next line) */
} gp_srv_flag;

/* Indexed by gp_srv_flag_id. */
extern const gp_srv_flag gp_srv_flag_table[GP_SRV_F_COUNT];

#endif
