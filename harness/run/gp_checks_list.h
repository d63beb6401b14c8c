/* gp_checks_list.h: the names of the run checks (DESIGN.md, Checks), one
 * X-macro list shared by the checks, the reports and the scenario validator
 * (expect.violations must name checks from this list).
 * X(enum suffix, name, what passing means) */
#ifndef GP_CHECKS_LIST_H
#define GP_CHECKS_LIST_H

#define GP_CHECK_MAP(X)                                                        \
    X(MISSING_AGENT_EVENTS, "missing_agent_events",                            \
      "every request that should complete got its five events")               \
    X(EVENTS_OUT_OF_ORDER, "events_out_of_order",                              \
      "each request's five events arrived in order")                           \
    X(SHORT_RESPONSE, "short_response",                                        \
      "every agent_completed response has at least 10 characters")            \
    X(ISOLATION, "isolation",                                                  \
      "no client received an event of another connection or request")        \
    X(FALSE_READY, "false_ready",                                              \
      "connection_ready carried the opened id and state PROCESSING_READY")    \
    X(CLIENT_FAILURES, "client_failures",                                      \
      "no client failed other than as its injected faults predict")           \
    X(STUCK_CONNECTIONS, "stuck_connections",                                  \
      "no connection stayed short of ready past the stuck threshold")         \
    X(INVALID_TRANSITIONS, "invalid_transitions",                              \
      "the server attempted no illegal lifecycle step")                       \
    X(ID_MISMATCHES, "id_mismatches",                                          \
      "connect_user never returned another id than the connection's")         \
    X(TRANSITION_SUCCESS_RATE, "transition_success_rate",                      \
      "succeeded / attempted steps at or above the threshold")                \
    X(COMPLETION_RATE, "completion_rate",                                      \
      "completed golden paths / clients expected to complete at or above the threshold") \
    X(REGISTRY_NOT_EMPTY, "registry_not_empty",                                \
      "no registry entry left after every client closed")                     \
    X(HEALTH_DISAGREES, "health_disagrees",                                    \
      "the server's own health figures agree with what the clients saw")      \
    X(FAULTS_NOT_FIRED, "faults_not_fired",                                    \
      "every configured fault fired at least once")

#endif
