/* gp_bugs.h: the bug catalog -- the incident's known-bad behaviours, each
 * switched on by name so the harness can prove it catches them.  All are off
 * by default.  DESIGN.md describes each; docs/bugs.md lists the symptoms. */
#ifndef GP_BUGS_H
#define GP_BUGS_H

#include <stdint.h>

/* X(enum suffix, name on the command line and in scenarios, one-line summary) */
#define GP_BUG_MAP(X)                                                          \
    X(ID_REGENERATION, "id_regeneration",                                      \
      "connect_user ignores the given id; the route re-creates the state "    \
      "machine under a new id (back to CONNECTING)")                           \
    X(ACCEPT_RACE, "accept_race",                                              \
      "messages are processed before accept completes instead of being held") \
    X(SWALLOW_TRANSITION_ERRORS, "swallow_transition_errors",                  \
      "a failed lifecycle step is logged and the flow goes on as if it "       \
      "succeeded")

typedef enum gp_bug {
#define GP_BUG_ENUM(e, name, summary) GP_BUG_##e,
    GP_BUG_MAP(GP_BUG_ENUM)
#undef GP_BUG_ENUM
    GP_BUG_COUNT
} gp_bug;

/* A set of bugs: bit (1 << gp_bug). */
typedef uint32_t gp_bug_set;

#define GP_BUG_BIT(b) ((gp_bug_set)1u << (b))

/* "id_regeneration", ...; NULL out of range. */
const char *gp_bug_name(gp_bug b);
/* One-line summary; NULL out of range. */
const char *gp_bug_summary(gp_bug b);
/* The bug named `name`, or GP_BUG_COUNT when unknown. */
gp_bug gp_bug_parse(const char *name);

#endif
