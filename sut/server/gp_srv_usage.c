/* gp_srv_usage.c: goldpath-server's --help text, from the flag table
 * (gp_srv_flags.c), so that it lists exactly the flags the parser takes,
 * each with its default.  The defaults are read from the same constants and
 * from gp_server_config_defaults, never written out twice. */
#include <stdio.h>
#include <string.h>

#include "gp_bugs.h"
#include "gp_srv_flags.h"

/* Column where descriptions start. */
#define HELP_COL 36

/* The default of flag `id` as text ("" when it has none to show). */
static const char *default_of(gp_srv_flag_id id, const gp_server_config *d, char *buf,
                              size_t len)
{
    switch (id) {
    case GP_SRV_F_PORT:
        snprintf(buf, len, "%d", GP_SRV_PORT_DEFAULT);
        break;
    case GP_SRV_F_BIND:
        return GP_SRV_BIND_DEFAULT;
    case GP_SRV_F_READY_FILE:
    case GP_SRV_F_BUG:
        return "none";
    case GP_SRV_F_TLS_CERT:
    case GP_SRV_F_TLS_KEY:
        return "none";
    case GP_SRV_F_MAX_CONNECTIONS:
        snprintf(buf, len, "%u, lowered to fit the fd limit", GP_SRV_MAX_CONNECTIONS_DEFAULT);
        break;
    case GP_SRV_F_EVENT_LOOP:
        return GP_SRV_LOOP_DEFAULT == GP_SRV_LOOP_UV ? "uv" : "poll";
    case GP_SRV_F_JWT_SECRET:
        return "$" GP_SRV_SECRET_ENV ", else a built-in dev-only secret";
    case GP_SRV_F_AUTH_TIMEOUT_MS:
        snprintf(buf, len, "%u", d->auth_timeout_ms);
        break;
    case GP_SRV_F_MAX_MESSAGE:
        snprintf(buf, len, "%zu", d->max_message_bytes);
        break;
    case GP_SRV_F_STUCK_AFTER_MS:
        snprintf(buf, len, "%u", d->stuck_after_ms);
        break;
    case GP_SRV_F_SHUTDOWN_GRACE_MS:
        snprintf(buf, len, "%u", d->shutdown_grace_ms);
        break;
    case GP_SRV_F_THINK_MS:
        snprintf(buf, len, "%u:%u", d->agent.think_ms_min, d->agent.think_ms_max);
        break;
    case GP_SRV_F_TOOL_MS:
        snprintf(buf, len, "%u:%u", d->agent.tool_ms_min, d->agent.tool_ms_max);
        break;
    case GP_SRV_F_AGENT_FAILURE_RATE:
        snprintf(buf, len, "%g", d->agent_failure_rate);
        break;
    case GP_SRV_F_ACCEPT_DELAY_MS:
        return "0";
    case GP_SRV_F_HEADER_TIMEOUT_MS:
        snprintf(buf, len, "%u", GP_SRV_HEADER_TIMEOUT_MS_DEFAULT);
        break;
    case GP_SRV_F_MAX_HEADER_CONNECTIONS:
        snprintf(buf, len, "%u", GP_SRV_HEADER_CONNS_DEFAULT);
        break;
    case GP_SRV_F_MAX_HEADER_CONNECTIONS_PER_IP:
        snprintf(buf, len, "%u", GP_SRV_HEADER_CONNS_PER_IP_DEFAULT);
        break;
    case GP_SRV_F_PREAUTH_MEMORY_MAX:
        snprintf(buf, len, "%u", GP_SRV_PREAUTH_MEMORY_DEFAULT);
        break;
    case GP_SRV_F_SEND_STALL_MS:
        snprintf(buf, len, "%u", GP_SRV_SEND_STALL_MS_DEFAULT);
        break;
    case GP_SRV_F_LOG_LEVEL:
        return "info";
    case GP_SRV_F_QUIET:
    case GP_SRV_F_FAULT_HOOKS:
        return "off";
    case GP_SRV_F_HELP:
    case GP_SRV_F_VERSION:
    case GP_SRV_F_COUNT:
        return "";
    }
    return buf;
}

/* One flag: "  -p, --port N" padded to HELP_COL, its help lines, and its
 * default at the end of the last one (on a line of its own when long). */
static void print_flag(FILE *out, gp_srv_flag_id id, const gp_server_config *d)
{
    const gp_srv_flag *f = &gp_srv_flag_table[id];
    char spec[96];
    int n = snprintf(spec, sizeof(spec), "  %s%c%s--%s%s%s", f->short_name ? "-" : "",
                     f->short_name ? f->short_name : ' ', f->short_name ? ", " : "  ",
                     f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    if (!f->short_name) /* "      --name": line the long names up */
        n = snprintf(spec, sizeof(spec), "      --%s%s%s", f->name, f->arg ? " " : "",
                     f->arg ? f->arg : "");
    fputs(spec, out);
    if (n >= HELP_COL - 1)
        fprintf(out, "\n%*s", HELP_COL, "");
    else
        fprintf(out, "%*s", HELP_COL - n, "");
    char buf[96];
    const char *def = default_of(id, d, buf, sizeof(buf));
    size_t last_len = 0;
    for (const char *line = f->help; *line;) {
        size_t len = strcspn(line, "\n");
        fprintf(out, "%.*s", (int)len, line);
        last_len = len;
        line += len;
        if (*line == '\n') {
            line++;
            fprintf(out, "\n%*s", HELP_COL, "");
        }
    }
    if (*def) {
        if (HELP_COL + last_len + strlen(def) + 12 > 100)
            fprintf(out, "\n%*s(default: %s)", HELP_COL, "", def);
        else
            fprintf(out, " (default: %s)", def);
    }
    fputc('\n', out);
    if (id == GP_SRV_F_BUG)
        for (int b = 0; b < GP_BUG_COUNT; b++)
            fprintf(out, "        %-26s %s\n", gp_bug_name((gp_bug)b),
                    gp_bug_summary((gp_bug)b));
}

void gp_srv_flags_usage(FILE *out)
{
    gp_server_config d;
    gp_server_config_defaults(&d);
    fputs("usage: goldpath-server [flags]\n"
          "\n"
          "The goldpath reference WebSocket server (docs/protocol.md): WebSocket at /ws,\n"
          "GET /health (JSON) and GET /metrics (Prometheus) on the same port; with\n"
          "--tls-cert and --tls-key, the same over TLS (wss://, https://).  More in\n"
          "docs/server.md.\n"
          "\n"
          "Both --flag VALUE and --flag=VALUE work; -- ends the flags.\n",
          out);
    const char *group = NULL;
    for (int i = 0; i < GP_SRV_F_COUNT; i++) {
        const gp_srv_flag *f = &gp_srv_flag_table[i];
        if (!group || strcmp(group, f->group) != 0) {
            group = f->group;
            fprintf(out, "\n%s:\n", group);
        }
        print_flag(out, (gp_srv_flag_id)i, &d);
    }
    fputs("\n"
          "Exit status: 0 after a clean shutdown (and for --help, --version), 1 on a\n"
          "runtime failure, 2 for bad usage or a configuration that cannot run (a bad\n"
          "flag or value, an unusable --tls-cert/--tls-key, over the fd limit).\n",
          out);
}
