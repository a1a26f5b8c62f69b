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
    /* An agent sees only their department's tickets: their id, bound into the SQL; NULL for
     * supervisors and admins, who see everything. Points into who. */
    const char  *agent;
} desk_scope;

/* Authenticate the bearer token (agent or above); 0, or -1 with err (401/403/503). */
int     desk_authorize(sb_service *s, struct evhttp_request *req, desk_scope *scope,
                       sb_error *err);
/* 1 when number is a well-formed ticket number of a known channel. */
int     desk_number_valid(const char *number);
/* Cell (row, col) as a JSON string, or null when SQL NULL. */
json_t *desk_cell(const PGresult *res, int row, int col);

/* GET /v1/tickets/{number}. 0 or -1. */
int desk_ticket_routes(sb_service *s);
/* GET /v1/tickets. 0 or -1. */
int desk_list_routes(sb_service *s);
/* POST /v1/tickets/{number}/{action}; relay is kicked after each action. 0 or -1. */
int desk_action_routes(sb_service *s, sb_outbox_relay *relay);
/* POST /v1/admin/classifier/train, GET /v1/admin/classifier (classifier_admin.c). 0 or -1. */
int desk_classifier_routes(sb_service *s);
/* /v1/admin/rule-sets (rules_admin.c). 0 or -1. */
int desk_rules_admin_routes(sb_service *s);
/* The knowledge base: /v1/kb/articles..., /v1/kb/review, and the review scan's timer
 * (SB_KB_REVIEW_INTERVAL_MS). 0 or -1. */
int desk_kb_routes(sb_service *s);
/* The admin API (/v1/admin/departments, teams, agents and their tokens, routing,
 * ack-policies, templates, channel-credentials) and POST /v1/me/duty (admin*.c). 0 or -1. */
int desk_admin_routes(sb_service *s);

#endif
