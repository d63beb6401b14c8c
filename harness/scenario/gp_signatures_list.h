/* gp_signatures_list.h: the log signatures goldpath counts in a server's log
 * (the log oracle, harness/run/gp_logsig.c), by name.  The incident's four
 * lines and its accept-race line (seed/000_92ab20af7e92fa44.txt), each as a
 * POSIX extended regular expression searched for in a line's text (after the
 * timestamp and level; not anchored at the start, so that a prefix such as
 * the incident's "PHASE 2 FIX 2: " still matches), and the group that holds
 * the connection id (0: the line names none).  It lives with the scenario
 * format because expect.log_signatures names them.
 * X(enum suffix, name, level, regex, id group, what the line means) */
#ifndef GP_SIGNATURES_LIST_H
#define GP_SIGNATURES_LIST_H

#define GP_SIGNATURE_MAP(X)                                                    \
    X(NEVER_READY, "incident.never_ready", "ERROR",                           \
      "Connection ([^ ]+) state machine never reached ready state: ApplicationConnectionState\\.CONNECTING$", 1, \
      "a connection stayed in CONNECTING past the stuck threshold")           \
    X(FAILED_SERVICES_READY, "incident.failed_services_ready", "ERROR",       \
      "Failed to transition to SERVICES_READY for ([^ ]+)$", 1,               \
      "the step to SERVICES_READY failed")                                    \
    X(INVALID_CONNECTING_SERVICES_READY, "incident.invalid_connecting_to_services_ready", "WARNING", \
      "Invalid state transition for ([^ ]+): ApplicationConnectionState\\.CONNECTING -> ApplicationConnectionState\\.SERVICES_READY$", 1, \
      "SERVICES_READY attempted from CONNECTING (a machine that lost its progress)") \
    X(FAILED_AUTHENTICATED, "incident.failed_authenticated", "ERROR",         \
      "Failed to transition state machine to AUTHENTICATED for ([^ ]+)$", 1,   \
      "the step to AUTHENTICATED failed")                                     \
    X(ACCEPT_RACE, "incident.accept_race", "ERROR",                           \
      "This indicates accept\\(\\) race condition - connection cannot process messages(: ([^ ]+))?$", 2, \
      "a message was processed before accept() completed")

/* How many of the above. */
enum {
#define GP_SIG_COUNT_ENUM(e, name, level, re, group, what) GP_SIGNATURE_##e,
    GP_SIGNATURE_MAP(GP_SIG_COUNT_ENUM)
#undef GP_SIG_COUNT_ENUM
    GP_SIGNATURE_COUNT
};

#endif
