/* gp_drive.h: the one driver-neutral way a driver reports what happened in a
 * run -- to the clients (open, a message, a close, a timer), to their
 * messages (the facts: what the driver's network or accept control actually
 * did), and on the server's side (lifecycle observations, what the server
 * sent and received, its log lines).  The simulator and live mode both call
 * these, so the bookkeeping per event (readiness, completion, the fault
 * ledger, the facts, the judge) exists once.
 *
 * run->sh must point at the driver's gp_vc_shared before the first call. */
#ifndef GP_DRIVE_H
#define GP_DRIVE_H

#include <stddef.h>
#include <stdint.h>

#include "gp_run.h"

/* ---- the clients' side ------------------------------------------------------ */

/* Client i starts connecting. */
void gp_drive_start(gp_run *run, uint32_t i);
/* Client i's socket is open (opened_id: the server's preliminary id when the
 * driver knows it, else NULL). */
void gp_drive_open(gp_run *run, uint32_t i, const char *opened_id);
/* A message reached client i; flags: GP_VC_DELIVERY_*. */
void gp_drive_message(gp_run *run, uint32_t i, const char *data, size_t len,
                      unsigned flags);
/* Client i learnt its connection closed with `code`. */
void gp_drive_close(gp_run *run, uint32_t i, int code);
/* A timer of client i fired. */
/* The upgrade was answered with HTTP `status` instead of 101. */
void gp_drive_refused(gp_run *run, uint32_t i, int status);

void gp_drive_timer(gp_run *run, uint32_t i, gp_vc_timer kind, uint32_t arg);

/* ---- facts: what the driver did ---------------------------------------------- */

typedef enum gp_fact {
    GP_FACT_DUP_TO_SERVER = 0, /* arg: the message's GP_VC_TAG_* */
    GP_FACT_DUP_TO_CLIENT,     /* a second copy will reach the client */
    GP_FACT_DROP,              /* a transmission lost (it is sent again) */
    GP_FACT_REORDER,           /* a message overtook the one before it */
    GP_FACT_RESET,             /* the connection was reset (lost for good) */
    GP_FACT_ACCEPT_RACE,       /* the first message reached the server before accept */
    GP_FACT_SLOW_ACCEPT,       /* accept completed late on purpose */
    GP_FACT_REFUSED,           /* the server refused the socket at open */
    GP_FACT_AGENT_FAILED,      /* the server injected a failure: arg request index, -1 early */
} gp_fact;

void gp_drive_fact(gp_run *run, uint32_t i, gp_fact f, int arg);

/* ---- the server's side ------------------------------------------------------ */

/* A lifecycle observation (o->at_ms in run ms).  i: the connection's client,
 * UINT32_MAX when only o->id says which. */
void gp_drive_observe(gp_run *run, uint32_t i, const gp_observation *o);
/* The server sent a message to client i (all of them, in simulation). */
void gp_drive_server_sent(gp_run *run, uint32_t i, const char *data, size_t len,
                          uint64_t at_ms);
/* The server received a message from client i. */
void gp_drive_server_received(gp_run *run, uint32_t i, const char *data, size_t len);
/* The server closed client i's connection with `code`. */
void gp_drive_server_closed(gp_run *run, uint32_t i, int code);
/* One line of the server's log (text after the timestamp and level);
 * i: the client it is about when known.  Returns the client it was
 * attributed to (UINT32_MAX: none). */
uint32_t gp_drive_log(gp_run *run, uint32_t i, const char *level, const char *text);

/* ---- the end ---------------------------------------------------------------- */

/* The run is over at run time at_ms: clients are settled (gp_vclient_finish),
 * outcomes counted, the judge finishes.  Call before the checks. */
/* Live: files the faults that fired before `before_us` (run microseconds:
 * a connection's whole life may fit in one millisecond) under the state
 * their connection was in, as the steps read from the server's log so far
 * say; the log reader calls it before each step, gp_drive_finish for the
 * rest. */
void gp_drive_settle_faults(gp_run *run, uint64_t before_us);

void gp_drive_finish(gp_run *run, uint64_t at_ms);

#endif
