/* gp_checks_list.h: the names of the run checks (DESIGN.md, Checks), one
 * X-macro list shared by the checks (harness/checks: one table, a judge per
 * check), the reports and the scenario validator (expect.violations must name
 * checks from this list).  It lives with the scenario format because it is
 * part of its vocabulary.
 * X(enum suffix, name, what passing means) */
#ifndef GP_CHECKS_LIST_H
#define GP_CHECKS_LIST_H

#define GP_CHECK_MAP(X)                                                        \
    X(MISSING_AGENT_EVENTS, "missing_agent_events",                            \
      "every request of a client expected to complete was answered: its five events, or an AGENT_FAILED the server injected") \
    X(EVENTS_OUT_OF_ORDER, "events_out_of_order",                              \
      "each request's events arrived in the protocol's order")                \
    X(DUPLICATE_EVENTS, "duplicate_events",                                    \
      "no event or error arrived twice unless the network duplicated that very message") \
    X(EVENTS_AFTER_TERMINAL, "events_after_terminal",                          \
      "no event of a request arrived after its terminal event (agent_completed or an error for it)") \
    X(SHORT_RESPONSE, "short_response",                                        \
      "every agent_completed response has at least 10 characters")            \
    X(RESPONSE_MISMATCH, "response_mismatch",                                  \
      "every answer is its own request's: the response quotes its message's digest, agent_started names the agent_type asked for, tool_completed the tool tool_executing named") \
    X(DUPLICATE_READY, "duplicate_ready",                                      \
      "each connection got connection_ready at most once (network duplicates aside)") \
    X(ISOLATION, "isolation",                                                  \
      "no client received an event of another user, connection or request")  \
    X(FALSE_READY, "false_ready",                                              \
      "connection_ready carried the opened id and state PROCESSING_READY, and the machine was there") \
    X(FAULT_ANSWERS, "fault_answers",                                          \
      "each injected fault got exactly the answer the protocol names (NOT_READY, AUTH_FAILED then 4401)") \
    X(MESSAGES_AFTER_CLOSE, "messages_after_close",                          \
      "the server sent nothing on a connection after closing it, and closed each connection once") \
    X(CLIENT_FAILURES, "client_failures",                                      \
      "no client failed other than as the faults injected into it explain")   \
    X(STUCK_CONNECTIONS, "stuck_connections",                                  \
      "no open connection stayed short of ready past the stuck threshold (judged by the harness)") \
    X(INVALID_TRANSITIONS, "invalid_transitions",                              \
      "every lifecycle step observed was legal by the harness's own table, and consistent") \
    X(ID_MISMATCHES, "id_mismatches",                                          \
      "each connection kept one machine and the id it opened with")           \
    X(TRANSITION_SUCCESS_RATE, "transition_success_rate",                      \
      "observed steps applied / attempted at or above the threshold")         \
    X(COMPLETION_RATE, "completion_rate",                                      \
      "completed golden paths / clients expected to complete at or above the threshold") \
    X(REGISTRY_NOT_EMPTY, "registry_not_empty",                                \
      "no registry entry left after every client closed")                     \
    X(RESOURCES, "resources",                                                  \
      "the server's memory went back to its baseline once every client left (within the budget live)") \
    X(HEALTH_DISAGREES, "health_disagrees",                                    \
      "the server's own figures equal what the harness observed, in both directions") \
    X(LIVENESS, "liveness",                                                    \
      "once the faults ended (faults.until_ms), every connection was ready or closed and every request answered within expect.liveness_ms") \
    X(FAULTS_NOT_FIRED, "faults_not_fired",                                    \
      "every configured fault was injected at least once")

#endif
