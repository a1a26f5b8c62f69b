/* survey_common.h - what survey's integration suites share: planted surveys, links signed as
 * the service signs them (SB_SURVEY_SECRET), the stored events and their schemas. */
#ifndef SB_TEST_SURVEY_COMMON_H
#define SB_TEST_SURVEY_COMMON_H

#include <stdint.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "services/survey/token.h"

/* How long a test waits for the consumer or the loop (a rebalance after a restart takes ~6 s). */
#define SURVEY_WAIT_MS 30000

typedef struct survey_planted {
    char id[37], ticket_id[37], number[32];
    int64_t expires_ms;
    char token[SURVEY_TOKEN_MAX + 1];   /* signed for expires_ms */
} survey_planted;

/* A ticket in ticket_status (e.g. "resolved") with a survey in state ("scheduled" due
 * due_in_ms from the service's now, or "sent" expiring expires_in_ms from it). */
void survey_plant(PGconn *pg, const char *ticket_status, const char *state, int64_t due_in_ms,
                  int64_t expires_in_ms, survey_planted *out);
/* The link token for survey_id expiring at expires_ms, signed with SB_SURVEY_SECRET. */
void survey_sign(const char *survey_id, int64_t expires_ms, char out[SURVEY_TOKEN_MAX + 1]);
/* How many stored events of type the ticket has. */
long survey_event_count(PGconn *pg, const char *ticket_id, const char *type);
/* The ticket's n-th (0-based) stored event of type, waited for; NULL when none came. */
json_t *survey_event_wait(PGconn *pg, const char *ticket_id, const char *type, int n);
/* Validate v against proto/<rel>. */
void survey_assert_schema(const char *rel, const json_t *v);
/* Waits until the outbox row of event id was published. */
void survey_assert_published(PGconn *pg, const char *event_id);
/* POST body to SB_SURVEY_URL/v1/surveys/<tail>; the reply as JSON. */
json_t *survey_post(const char *tail, const char *body, int *status);
/* GET SB_SURVEY_URL/v1/surveys/<tail>: status, and the body (malloc'd) when wanted. */
int survey_get(const char *tail, char **body);
/* The reply is the uniform error with this status, code and field. */
void survey_assert_error(json_t *body, int status, int want, const char *code, const char *field);

#endif
