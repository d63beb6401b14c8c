/* gp_cli_live.c: `goldpath run --mode live` -- the command line's side of the
 * live driver (harness/live): where the started server logs and the traced
 * client's lines go, the progress line, and what a live run adds to the
 * report folder (live.json: the server's CPU and peak RSS, golden paths per
 * second, the most connections open at once). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gp_cli.h"
#include "gp_cli_progress.h"
#include "gp_cli_shard_live.h"
#include "gp_error.h"
#include "gp_folder.h"
#include "gp_live.h"
#include "gp_profile.h"

static void trace_line(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

/* mkdir -p; 0 or -1 with errno. */
static int make_dirs(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void write_live_json(const char *dir, const gp_run *run, const gp_live_stats *st)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/live.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "{\n  \"note\": \"wall-clock figures of a live run; they differ from run to run\",\n"
            "  \"url\": \"%s\",\n  \"server_started\": %s,\n  \"source_addresses\": %u,\n"
            "  \"open_connections_peak\": %llu,\n  \"connect_errors\": %llu,\n"
            "  \"completed\": %llu,\n  \"first_start_ms\": %llu,\n  \"last_done_ms\": %llu,\n"
            "  \"golden_paths_per_s\": %.1f,\n  \"server_exit\": %d,\n"
            "  \"server_cpu_s\": %.3f,\n  \"server_peak_rss_kib\": %llu,\n"
            "  \"metrics_read\": %s\n}\n",
            st->url, st->server_started ? "true" : "false", st->source_addresses,
            (unsigned long long)st->open_peak, (unsigned long long)st->connect_errors,
            (unsigned long long)run->completed, (unsigned long long)st->first_start_ms,
            (unsigned long long)st->last_done_ms, st->golden_paths_per_s, st->server_exit,
            st->server_cpu_s, (unsigned long long)st->server_peak_rss_kib,
            st->metrics_known ? "true" : "false");
    fclose(f);
}

/* With --url the server is someone else's: the scenario's server settings
 * are not applied to it, so say which ones it asked for. */
static void note_foreign_server(const gp_scenario *sc)
{
    gp_scenario d;
    gp_scenario_defaults(&d);
    if (sc->server.bugs || sc->faults.agent_failure > 0.0 ||
        memcmp(&sc->server.think, &d.server.think, sizeof(d.server.think)) != 0 ||
        memcmp(&sc->server.tool, &d.server.tool, sizeof(d.server.tool)) != 0 ||
        sc->server.stuck_after_ms != d.server.stuck_after_ms ||
        sc->server.auth_timeout_ms != d.server.auth_timeout_ms ||
        sc->server.max_connections != d.server.max_connections)
        fprintf(stderr, "goldpath run: note: with --url the scenario's server settings (bugs, "
                        "agent timings and failures, thresholds) are not applied: the server "
                        "at the URL runs with its own\n");
}

/* The folder of the scenario file, absolute. */
static void scenario_dir(const char *scenario, char *out, size_t out_len)
{
    char path[PATH_MAX];
    if (!realpath(scenario, path))
        snprintf(path, sizeof(path), "%s", scenario);
    char *slash = strrchr(path, '/');
    if (slash && slash != path)
        *slash = '\0';
    else if (slash)
        slash[1] = '\0';
    else
        snprintf(path, sizeof(path), ".");
    snprintf(out, out_len, "%s", path);
}

/* The scenario's live.server_cmd with {scenario_dir} and {bugs} replaced
 * ({port} is the driver's). */
static int expand_server_cmd(const gp_scenario *sc, const char *scenario, const char *cmd,
                             char *out, size_t out_len)
{
    char dir[PATH_MAX], bugs[256] = "";
    scenario_dir(scenario, dir, sizeof(dir));
    size_t b = 0;
    for (int k = 0; k < GP_BUG_COUNT; k++)
        if (sc->server.bugs & GP_BUG_BIT(k))
            b += (size_t)snprintf(bugs + b, sizeof(bugs) - b, "%s--bug %s", b ? " " : "",
                                  gp_bug_name((gp_bug)k));
    size_t w = 0;
    for (const char *p = cmd; *p;) {
        const char *with = NULL;
        size_t skip = 0;
        if (strncmp(p, "{scenario_dir}", 14) == 0)
            with = dir, skip = 14;
        else if (strncmp(p, "{bugs}", 6) == 0)
            with = bugs, skip = 6;
        if (with) {
            int n = snprintf(out + w, out_len - w, "%s", with);
            if (n < 0 || (size_t)n >= out_len - w)
                return -1;
            w += (size_t)n;
            p += skip;
            continue;
        }
        if (w + 2 > out_len)
            return -1;
        out[w++] = *p++;
    }
    out[w] = '\0';
    return 0;
}

/* A secret for a server goldpath starts, when the profile names its
 * variable and the environment does not set it: both sides then share it
 * (the server inherits goldpath's environment). */
static void share_secret(const gp_profile *p)
{
    if (!p || !p->secret_env[0] || p->secret[0])
        return;
    const char *v = getenv(p->secret_env);
    if (v && *v)
        return;
    unsigned char raw[16];
    char hex[33];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t n = f ? fread(raw, 1, sizeof(raw), f) : 0;
    if (f)
        fclose(f);
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", i < n ? raw[i] : (unsigned)(i * 37 + 11) & 0xff);
    setenv(p->secret_env, hex, 1);
}

int gp_cli_live_run(gp_run *run, const gp_cli_common *o, FILE *trace, char *err,
                    size_t err_len)
{
    /* the same folder gp_cli_run writes the report to */
    char dir[1024], log_path[1100];
    if (o->out)
        snprintf(dir, sizeof(dir), "%s", o->out);
    else
        gp_folder_run_default(run->sc.name, run->sc.seed, dir, sizeof(dir));
    if (make_dirs(dir) != 0) {
        snprintf(err, err_len, "%s: %s", dir, strerror(errno));
        return GP_ERR_NOT_FOUND;
    }
    snprintf(log_path, sizeof(log_path), "%s/server.log", dir);
    if (o->url)
        note_foreign_server(&run->sc);
    gp_cli_progress ps;
    bool show_progress = gp_cli_progress_init(&ps, "live: ", o->quiet);

    /* the server's protocol: --profile, or the scenario's (relative to it) */
    gp_profile *profile = NULL;
    char profile_path[PATH_MAX + 600];
    if (o->profile) {
        snprintf(profile_path, sizeof(profile_path), "%s", o->profile);
    } else if (run->sc.profile[0]) {
        char dir[PATH_MAX];
        scenario_dir(o->scenario, dir, sizeof(dir));
        if (run->sc.profile[0] == '/')
            snprintf(profile_path, sizeof(profile_path), "%s", run->sc.profile);
        else
            snprintf(profile_path, sizeof(profile_path), "%s/%s", dir, run->sc.profile);
    }
    if (o->profile || run->sc.profile[0]) {
        profile = calloc(1, sizeof(*profile));
        if (!profile) {
            snprintf(err, err_len, "out of memory");
            return GP_ERR_NOMEM;
        }
        int rc = gp_profile_load(profile, profile_path, err, err_len);
        if (rc != GP_OK) {
            gp_profile_free(profile);
            free(profile);
            return GP_ERR_INVALID_ARG;
        }
    }
    char server_cmd[4096] = "";
    const char *cmd = o->server_cmd ? o->server_cmd
                      : !o->url && run->sc.live.server_cmd[0] ? run->sc.live.server_cmd : NULL;
    if (cmd && expand_server_cmd(&run->sc, o->scenario, cmd, server_cmd, sizeof(server_cmd)) != 0) {
        snprintf(err, err_len, "live.server_cmd: too long once expanded");
        gp_profile_free(profile);
        free(profile);
        return GP_ERR_INVALID_ARG;
    }
    if (cmd && !strstr(server_cmd, "{port}")) {
        snprintf(err, err_len, "live.server_cmd \"%s\": the command must take its port from "
                               "the placeholder {port}", cmd);
        gp_profile_free(profile);
        free(profile);
        return GP_ERR_INVALID_ARG;
    }
    if (cmd)
        share_secret(profile);
    const char *ready = o->server_ready ? o->server_ready
                        : cmd && run->sc.live.server_ready[0] ? run->sc.live.server_ready : NULL;
    const char *secret = getenv("GOLDPATH_JWT_SECRET");
    if (profile && profile->secret_env[0] && getenv(profile->secret_env))
        secret = getenv(profile->secret_env);
    /* a shard keeps each client's port, for goldpath merge to read the log */
    uint16_t *ports = o->shard_given ? calloc(run->n_clients + 1, sizeof(*ports)) : NULL;
    gp_live_options opt = {
        .client_ports = ports,
        .url = o->url,
        .profile = profile,
        .server_cmd = cmd ? server_cmd : NULL,
        .server_ready = ready,
        .tls_ca = o->tls_ca,
        .tls_cert = o->tls_cert,
        .tls_key = o->tls_key,
        .tls_sni = o->tls_sni,
        .tls_insecure = o->insecure,
        .server_log = o->url ? o->server_log : log_path,
        .jwt_secret = secret && *secret ? secret : NULL,
        .trace_client = trace ? o->trace_client : UINT32_MAX,
        .trace = trace ? trace_line : NULL,
        .trace_ctx = trace,
        .progress = show_progress ? gp_cli_progress_cb : NULL,
        .progress_ctx = &ps,
        .interrupt = &gp_cli_interrupt,
    };
    if (o->insecure)
        fprintf(stderr, "goldpath run: WARNING: --insecure: the server's TLS certificate is not "
                        "checked (for self-signed test servers only)\n");
    gp_live_stats st;
    int rc = o->shard_given && !ports ? GP_ERR_NOMEM : gp_live_run(run, &opt, &st, err, err_len);
    if (profile) {
        snprintf(run->profile_name, sizeof(run->profile_name), "%s", profile->name);
        gp_profile_free(profile);
        free(profile);
    }
    if (rc == GP_OK && o->shard_given) {
        char absolute[PATH_MAX + 700] = "";
        if ((o->profile || run->sc.profile[0]) && !realpath(profile_path, absolute))
            snprintf(absolute, sizeof(absolute), "%s", profile_path);
        rc = gp_cli_shard_write_run(run, o, dir, &st, ports, absolute, err, err_len);
    }
    free(ports);
    if (rc != GP_OK)
        return rc;
    write_live_json(dir, run, &st);
    if (st.connect_errors && st.connect_errors >= run->n_clients && st.connect_error[0])
        fprintf(stderr, "goldpath run: no client could connect: %s%s\n", st.connect_error,
                st.url[0] && strncmp(st.url, "ws://", 5) == 0
                    ? " (a TLS server needs a wss:// URL)" : "");
    if (!o->quiet)
        fprintf(stderr,
                "goldpath live: %s; %llu connections open at most%s; %.0f golden paths/s; "
                "server: %s%.2f s CPU, peak RSS %llu KiB\n",
                st.url, (unsigned long long)st.open_peak,
                st.source_addresses ? " (several source addresses)" : "",
                st.golden_paths_per_s, st.server_started ? "" : "(not ours) ",
                st.server_cpu_s, (unsigned long long)st.server_peak_rss_kib);
    if (st.server_started && st.server_exit != 0) /* the resources check fails too */
        fprintf(stderr, "goldpath run: the server under test exited with status %d when "
                        "stopped (a crash or a sanitizer report?): see %s\n",
                st.server_exit, log_path);
    return GP_OK;
}
