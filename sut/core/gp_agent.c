/* gp_agent.c: the reference agent's pure parts (gp_agent.h): the order of
 * the five events, the delay before each, and the texts it answers with.
 *
 * Everything here is a function of its inputs (and of the random bits the
 * caller draws), so that a seed replays the same schedule and the same
 * responses in the simulator and the real server. */
#include "gp_agent.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const gp_msg_type gp_agent_steps[GP_AGENT_STEPS] = {
    GP_MSG_AGENT_STARTED, GP_MSG_AGENT_THINKING, GP_MSG_TOOL_EXECUTING,
    GP_MSG_TOOL_COMPLETED, GP_MSG_AGENT_COMPLETED};

gp_msg_type gp_agent_step_type(unsigned step)
{
    return step < GP_AGENT_STEPS ? gp_agent_steps[step] : GP_MSG_NONE;
}

int gp_agent_step_of(gp_msg_type t)
{
    for (int i = 0; i < GP_AGENT_STEPS; i++)
        if (gp_agent_steps[i] == t)
            return i;
    return -1;
}

/* A uniform integer in [lo, hi] (hi < lo means lo) from draw(ctx), without
 * modulo bias: draws below 2^64 mod n are thrown away (fewer than one in
 * 2^32 for the ranges a uint32_t allows).  No draw at all when the range
 * holds one value, as gp_rng_range does, so that fixed timings do not shift
 * the caller's random stream. */
static uint32_t gp_agent_uniform(uint32_t lo, uint32_t hi,
                                 uint64_t (*draw)(void *ctx), void *ctx)
{
    if (hi <= lo)
        return lo;
    uint64_t n = (uint64_t)(hi - lo) + 1;
    uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
    uint64_t r;
    do {
        r = draw(ctx);
    } while (r < threshold);
    return lo + (uint32_t)(r % n);
}

void gp_agent_plan(const gp_agent_timing *timing,
                   uint64_t (*draw)(void *ctx), void *ctx,
                   uint32_t delays_ms[GP_AGENT_STEPS])
{
    assert(timing != NULL && draw != NULL && delays_ms != NULL);
    uint32_t think_ms = gp_agent_uniform(timing->think_ms_min,
                                         timing->think_ms_max, draw, ctx);
    uint32_t tool_ms = gp_agent_uniform(timing->tool_ms_min,
                                        timing->tool_ms_max, draw, ctx);
    delays_ms[0] = 0;
    delays_ms[1] = think_ms / 2;
    delays_ms[2] = think_ms - think_ms / 2;
    delays_ms[3] = tool_ms;
    delays_ms[4] = 0;
}

/* The message prefix quoted in a response, in characters (code points). */
#define GP_AGENT_QUOTE_CHARS 80

static bool gp_utf8_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Bytes of the first `chars` code points of s (never splits a sequence). */
static size_t gp_utf8_prefix(const char *s, size_t chars)
{
    size_t i = 0, seen = 0;
    while (s[i] != '\0') {
        if (!gp_utf8_continuation((unsigned char)s[i])) {
            if (seen == chars)
                break;
            seen++;
        }
        i++;
    }
    return i;
}

typedef struct gp_text {
    char *out;
    size_t cap; /* bytes of text, without the NUL */
    size_t len;
} gp_text;

/* Appends s[0..n), cut at a code point boundary when the room runs out, so
 * that a truncated response is still valid UTF-8 for the JSON encoder. */
static void gp_text_put(gp_text *t, const char *s, size_t n)
{
    size_t room = t->cap - t->len;
    if (n > room) {
        n = room;
        while (n > 0 && gp_utf8_continuation((unsigned char)s[n]))
            n--;
        t->cap = t->len + n; /* full: later pieces must not fill the gap */
    }
    memcpy(t->out + t->len, s, n);
    t->len += n;
}

static void gp_text_puts(gp_text *t, const char *s)
{
    gp_text_put(t, s, strlen(s));
}

/* The response reads, for agent_type "supervisor" and message "hello":
 *   The supervisor agent answered "hello" using web_search (message digest 4f9f2cab).
 * A message over 80 characters is quoted as its first 80 and "...". */
size_t gp_agent_response(const char *agent_type, const char *message,
                         char *out, size_t out_len)
{
    if (out == NULL || out_len == 0)
        return 0;
    if (message == NULL)
        message = "";
    if (agent_type == NULL || agent_type[0] == '\0')
        agent_type = "default";
    size_t quoted = gp_utf8_prefix(message, GP_AGENT_QUOTE_CHARS);
    gp_text t = {out, out_len - 1, 0};
    gp_text_puts(&t, "The ");
    gp_text_puts(&t, agent_type);
    gp_text_puts(&t, " agent answered \"");
    gp_text_put(&t, message, quoted);
    if (message[quoted] != '\0')
        gp_text_puts(&t, "...");
    gp_text_puts(&t, "\" using ");
    gp_text_puts(&t, gp_agent_tool(message));
    char digest[GP_AGENT_DIGEST_TEXT_LEN];
    gp_agent_digest_text(message, digest, sizeof(digest));
    gp_text_puts(&t, digest);
    out[t.len] = '\0';
    return t.len;
}

static const char *const gp_agent_tools[] = {
    "web_search", "calculator", "code_interpreter", "knowledge_base",
    "file_reader"};

uint32_t gp_agent_digest(const char *message)
{
    uint32_t h = 2166136261u;
    for (const char *p = message ? message : ""; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 16777619u;
    }
    return h;
}

void gp_agent_digest_text(const char *message, char *out, size_t out_len)
{
    snprintf(out, out_len, " (message digest %08x).", (unsigned)gp_agent_digest(message));
}

/* Picks by the message's digest: fixed across machines and runs. */
const char *gp_agent_tool(const char *message)
{
    uint32_t h = gp_agent_digest(message);
    return gp_agent_tools[h % (sizeof gp_agent_tools / sizeof *gp_agent_tools)];
}
