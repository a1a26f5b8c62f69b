/* survey.h - survey's parts: its settings, surveys scheduled from resolved tickets, the
 * due-survey loop (send, expire), answers over HTTP and the dissatisfied reopening. */
#ifndef SURVEY_H
#define SURVEY_H

#include <stdint.h>
#include <event2/event.h>
#include <libpq-fe.h>

#include "common/event_consumer.h"
#include "common/metrics.h"
#include "common/outbox.h"
#include "common/service.h"

#define SURVEY_DELAY_MAX_MS (30 * 60 * 1000)   /* DESIGN.md: within 30 min of resolution */

/* SB_SURVEY_* settings, read once at start. */
typedef struct survey_config {
    long        delay_ms;      /* SB_SURVEY_DELAY_MS: resolution -> link sent (default 10 min) */
    long        tick_ms;       /* SB_SURVEY_TICK_MS: the loop re-checks at least this often */
    long        ttl_ms;        /* SB_SURVEY_TTL_MS: how long a sent link works (default 7 days) */
    const char *secret;        /* SB_SURVEY_SECRET: signs the links */
    size_t      secret_len;
    char        public_url[512];   /* SB_SURVEY_PUBLIC_URL, no trailing slash */
} survey_config;

/* 0, or -1 after logging which variable is wrong. */
int survey_config_load(survey_config *c, const sb_config *svc);

/* Everything the parts share. */
typedef struct survey_ctx {
    sb_service          *s;
    const survey_config *cfg;
    sb_outbox_relay     *relay;
    long                 pending;      /* surveys scheduled by the open transaction */
    sb_counter          *c_scheduled, *c_sent, *c_expired, *c_cancelled, *c_answered,
                        *c_reopened, *c_loop_failed;
} survey_ctx;

void survey_ctx_init(survey_ctx *x, sb_service *s, const survey_config *cfg,
                     sb_outbox_relay *relay);

/* Plug into sb_event_consumer_new with a survey_ctx as ctx. */
extern const sb_event_consumer_ops survey_create_ops;

/* The due-survey loop: a persistent timer every tick_ms. NULL on failure. */
struct event *survey_loop_start(survey_ctx *x);

/* GET and POST /v1/surveys/{token}. 0 or -1. */
int survey_answer_routes(survey_ctx *x);

/* Inside the answer's transaction, for a dissatisfied round-1 answer: the ticket reopened for
 * its resolver's team supervisor; the reopened event and the supervisor's task notice are
 * appended to events and notices (the caller queues them). row: the survey row as answer.c
 * locked it (SURVEY_ROW_* columns). 1 reopened, 0 nothing to do (the ticket is no longer
 * resolved), -1 database failure or out of memory. */
int survey_reopen(survey_ctx *x, PGresult *row, int64_t now_ms, json_t *events, json_t *notices);

/* Columns of answer.c's locked survey row, shared with reopen.c. */
enum {
    SURVEY_ROW_ID, SURVEY_ROW_TICKET, SURVEY_ROW_NUMBER, SURVEY_ROW_ROUND, SURVEY_ROW_STATE,
    SURVEY_ROW_EXPIRES_MS, SURVEY_ROW_SENT_AT, SURVEY_ROW_STATUS, SURVEY_ROW_DEPARTMENT,
    SURVEY_ROW_SUPERVISOR, SURVEY_ROW_RESOLVED_BY, SURVEY_ROW_MERGED,
};

/* Queue ticket events (stored in ticket_events too) and notifications through the outbox,
 * inside the caller's transaction. 0 or -1. */
int survey_announce(sb_pg *pg, const json_t *events, const json_t *notices);

#endif
