/* desk.h - what desk's handlers share: who may see which tickets, SQL time format, JSON cells. */
#ifndef DESK_H
#define DESK_H

#include <event2/http.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "common/auth.h"
#include "common/error.h"
#include "common/outbox.h"
#include "common/service.h"

/* A timestamptz column as the API writes times: RFC 3339 UTC with milliseconds. */
#define DESK_SQL_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The caller and the tickets they may see. */
typedef struct desk_scope {
    sb_principal who;
    /* Whose scope the SQL checks (DESK_SCOPE_SQL): the subject, bound into the statement; NULL
     * for admins, who see everything. Points into who. */
    const char  *scoped;
    /* "true" when the caller's role is supervisor: the departments of the teams they supervise
     * join their scope; "false" otherwise (an agent-role token of a team lead stays an agent). */
    const char  *supervising;
} desk_scope;

/* SQL: 1 when ticket alias t is in the scope bound as parameters who (desk_scope.scoped) and
 * sup (desk_scope.supervising), e.g. DESK_SCOPE_SQL("t", "$2", "$3"). An agent sees their
 * department's tickets, those it co-operates on (t.co_departments) and their own; a supervisor
 * also those of the departments of the teams they supervise (lead or co-operating); an admin
 * (who NULL) everything. */
#define DESK_SCOPE_SQL(t, who, sup)                                                          \
    "(" who "::text IS NULL OR " t ".assignee = " who                                        \
    " OR EXISTS (SELECT 1 FROM agents sa WHERE sa.id = " who                                 \
    "            AND (sa.department_id = " t ".department_id"                                \
    "                 OR sa.department_id = ANY (" t ".co_departments)))"                    \
    " OR (" sup "::boolean AND EXISTS (SELECT 1 FROM teams st WHERE st.supervisor_id = " who \
    "            AND (st.department_id = " t ".department_id"                                \
    "                 OR st.department_id = ANY (" t ".co_departments)))))"

/* Authenticate the bearer token (agent or above) and fill the scope; 0, or -1 with err
 * (401/403/503). */
int     desk_authorize(sb_service *s, struct evhttp_request *req, desk_scope *scope,
                       sb_error *err);
/* 1 when number is a well-formed ticket number of a known channel. */
int     desk_number_valid(const char *number);
/* Cell (row, col) as a JSON string, or null when SQL NULL. */
json_t *desk_cell(const PGresult *res, int row, int col);

/* Answer 200 with the JSON text PostgreSQL built in column 0 of res's single row, or 503
 * naming what could not be read (res NULL: the query failed). Frees res. */
void    desk_reply_json_row(struct evhttp_request *req, PGresult *res, const char *what);

/* GET /v1/tickets/{number}. 0 or -1. */
int desk_ticket_routes(sb_service *s);
/* GET /v1/tickets/{number}/contact (contact.c, routed by ticket.c): the raw contact for a
 * principal allowed to read it, audited; number is tail's first len bytes. Answers req. */
void desk_contact_get(sb_service *s, struct evhttp_request *req, const desk_scope *scope,
                      const char *tail, size_t len);
/* GET /v1/tickets. 0 or -1. */
int desk_list_routes(sb_service *s);
/* POST /v1/tickets/{number}/{action}; relay is kicked after each action. 0 or -1. */
int desk_action_routes(sb_service *s, sb_outbox_relay *relay);
/* Trains the classifier off the loop (trainer.c): one worker thread at a time, on its own
 * connection to dsn. */
typedef struct desk_trainer desk_trainer;
desk_trainer *desk_trainer_new(struct event_base *base, const char *dsn);
/* Queues a training for who; req is answered (201 with the version, or 503) when it is done.
 * 0, or -1 when too many wait already (the caller answers req). */
int           desk_trainer_submit(desk_trainer *t, struct evhttp_request *req,
                                  const sb_principal *who);
/* Waits for a training under way, drops the waiting ones; before the HTTP server is freed. */
void          desk_trainer_free(desk_trainer *t);

/* What the classifier's endpoints need; the caller owns it and outlives the loop. */
typedef struct desk_classifier {
    sb_service   *s;
    desk_trainer *trainer;
} desk_classifier;
/* POST /v1/admin/classifier/train, GET /v1/admin/classifier (classifier_admin.c). 0 or -1. */
int desk_classifier_routes(desk_classifier *dc);
/* /v1/admin/rule-sets (rules_admin.c). 0 or -1. */
int desk_rules_admin_routes(sb_service *s);
/* The knowledge base: /v1/kb/articles..., /v1/kb/review, and the review scan's timer
 * (SB_KB_REVIEW_INTERVAL_MS). 0 or -1. */
int desk_kb_routes(sb_service *s);
/* The admin API (/v1/admin/departments, teams, agents and their tokens, routing,
 * ack-policies, templates, channel-credentials) and POST /v1/me/duty (admin*.c). 0 or -1. */
int desk_admin_routes(sb_service *s);

/* GET /v1/me (me.c). 0 or -1. */
int desk_me_routes(sb_service *s);
/* GET /v1/templates (templates.c). 0 or -1. */
int desk_templates_routes(sb_service *s);
/* GET /v1/board, supervisors' live view (board.c). 0 or -1. */
int desk_board_routes(sb_service *s);
/* GET /console, the web console (console.c). 0 or -1. */
int desk_console_routes(sb_service *s);

#endif
