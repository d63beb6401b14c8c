/* gp_agent.h: the reference agent's texts and timing.
 *
 * For each agent_execution the server emits agent_started, agent_thinking,
 * tool_executing, tool_completed and agent_completed, in that order, at times
 * drawn from the configured think and tool durations.  This module holds the
 * pure parts: the step order, the delay before each step, and the texts (the
 * response answers the request's message in at least 10 characters). */
#ifndef GP_AGENT_H
#define GP_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "gp_codec.h"
#include "gp_rng.h"

#define GP_AGENT_STEPS 5

typedef struct gp_agent_timing {
    uint32_t think_ms_min, think_ms_max; /* agent_started -> tool_executing */
    uint32_t tool_ms_min, tool_ms_max;   /* tool_executing -> tool_completed */
} gp_agent_timing;

/* The message type of step 0..4; GP_MSG_NONE out of range. */
gp_msg_type gp_agent_step_type(unsigned step);

/* Step index of an agent event type, or -1 when it is not one. */
int gp_agent_step_of(gp_msg_type t);

/* Fills delays_ms[i] = wait before step i, i in 0..4: step 0 immediate,
 * agent_thinking after half the think time, tool_executing after the rest of
 * it, tool_completed after the tool time, agent_completed at once after.  The
 * two durations are drawn uniformly from `timing` by `draw(ctx)` returning 64
 * random bits. */
void gp_agent_plan(const gp_agent_timing *timing,
                   uint64_t (*draw)(void *ctx), void *ctx,
                   uint32_t delays_ms[GP_AGENT_STEPS]);

/* Writes the response to `message` (NUL-terminated, may be empty) for
 * `agent_type` into out: always at least 10 characters; it quotes up to the
 * first 80 characters of the message and ends with the message's digest,
 *   The supervisor agent answered "hello" using web_search (message digest 4f9f2cab).
 * so that a client can check that a response answers its own request.
 * Returns the length written (truncated to out_len - 1; 512 bytes always
 * hold the whole response). */
size_t gp_agent_response(const char *agent_type, const char *message,
                         char *out, size_t out_len);

/* The digest a response quotes: 32-bit FNV-1a of the message's bytes. */
uint32_t gp_agent_digest(const char *message);

/* The suffix a response to `message` ends with, " (message digest %08x).",
 * into out (at least GP_AGENT_DIGEST_TEXT_LEN bytes). */
#define GP_AGENT_DIGEST_TEXT_LEN 32
void gp_agent_digest_text(const char *message, char *out, size_t out_len);

/* The tool name the reference agent "runs" for `message`. */
const char *gp_agent_tool(const char *message);

#endif
