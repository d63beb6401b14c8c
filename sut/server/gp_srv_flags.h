/* gp_srv_flags.h: goldpath-server's command line.
 *
 * Turns argv (and GOLDPATH_JWT_SECRET) into a gp_srv_options: the core's
 * gp_server_config plus what only the driver needs (port, bind address,
 * ready file, log level, event loop).  Parsing is separate from main() so
 * that every flag's error message is one place and the usage text lists
 * exactly what the parser accepts.  Nothing here touches a socket. */
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
} gp_srv_options;

typedef enum gp_srv_flags_result {
    GP_SRV_FLAGS_RUN = 0,  /* *opt is ready */
    GP_SRV_FLAGS_HELP = 1, /* --help: print usage, exit 0 */
    GP_SRV_FLAGS_ERROR = 2 /* bad usage: err says why, exit 2 */
} gp_srv_flags_result;

/* Parses argv[1..argc-1] into *opt (defaults first).  `env_secret` is the
 * value of GOLDPATH_JWT_SECRET or NULL (the caller reads the environment, so
 * tests can pass what they like).  Strings in *opt point into argv or
 * env_secret, which must outlive it.  On GP_SRV_FLAGS_ERROR a sentence naming
 * the flag and what it takes is in err (always NUL-terminated). */
gp_srv_flags_result gp_srv_flags_parse(int argc, char **argv,
                                       const char *env_secret,
                                       gp_srv_options *opt, char *err,
                                       size_t err_len);

/* Writes the --help text (every flag, its default, the bug names). */
void gp_srv_flags_usage(FILE *out);

#endif
