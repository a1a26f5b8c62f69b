/* list.c - GET /v1/tickets: filtered ticket list, newest first, keyset-paginated. */
#include "services/desk/desk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/json.h"
#include "common/http.h"
#include "common/ids.h"

#define DESK_LIMIT_DEFAULT 50
#define DESK_LIMIT_MAX     200
#define DESK_PARAM_MAX     128   /* longer than any valid filter or cursor */

/* Column order of desk_list_sql. */
enum { LS_NUMBER, LS_STATUS, LS_CHANNEL, LS_CATEGORY, LS_PRIORITY, LS_DEPARTMENT, LS_ASSIGNEE,
       LS_CREATED, LS_CREATED_US, LS_ID };

/* Keyset pagination on (created_at, id), both descending: a page costs the same however deep
 * it is, and rows inserted meanwhile neither repeat nor shift later pages. created_at travels
 * in the cursor as integer microseconds, PostgreSQL's own precision, so no row is skipped. */
static const char desk_list_sql[] =
    "SELECT t.number, t.status, t.channel, t.category, t.priority, t.department_id, t.assignee,"
    "       " DESK_SQL_ISO("t.created_at") ","
    "       (extract(epoch FROM t.created_at) * 1000000)::bigint, t.id::text"
    " FROM tickets t"
    " WHERE ($1::text IS NULL OR t.status = $1)"
    "   AND ($2::text IS NULL OR t.priority = $2)"
    "   AND ($3::text IS NULL OR t.department_id = $3)"
    "   AND " DESK_SCOPE_SQL("t", "$4", "$8")
    "   AND ($5::bigint IS NULL OR (t.created_at, t.id) <"
    "        (timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::uuid))"
    "   AND ($9::text IS NULL OR t.assignee = $9)"
    "   AND ($10::text IS NULL OR t.channel = $10)"
    "   AND ($11::boolean IS NULL OR $11::boolean = EXISTS (SELECT 1 FROM sla_timers m"
    "        WHERE m.ticket_id = t.id AND m.state = 'armed' AND m.due_at < now()))"
    " ORDER BY t.created_at DESC, t.id DESC"
    " LIMIT $7::int";

static const char *const desk_statuses[] = {"new", "classified", "assigned", "acknowledged",
                                            "awaiting_customer", "resolved", "closed",
                                            "reopened", NULL};
static const char *const desk_priorities[] = {"P1", "P2", "P3", NULL};

/* The query as validated; NULL members are filters not asked for. */
typedef struct desk_list_query {
    char        status[DESK_PARAM_MAX], priority[DESK_PARAM_MAX], department[DESK_PARAM_MAX];
    char        assignee[DESK_PARAM_MAX], channel[DESK_PARAM_MAX], overdue[DESK_PARAM_MAX];
    char        cursor[DESK_PARAM_MAX];
    const char *status_p, *priority_p, *department_p, *assignee_p, *channel_p, *overdue_p;
    char        after_us[24];              /* cursor position, when there is a cursor */
    char        after_id[SB_UUID_STRLEN];
    int         limit;
} desk_list_query;

/* Query parameter into out (DESK_PARAM_MAX): 1 present, 0 absent or empty, -1 too long. */
static int desk_param(struct evhttp_request *req, const char *name, char out[DESK_PARAM_MAX])
{
    if (!sb_http_query_param(req, name, out, DESK_PARAM_MAX) || !out[0])
        return 0;
    return strlen(out) >= DESK_PARAM_MAX - 1 ? -1 : 1;
}

/* A department id as departments spells them: lower-case letters, digits, '-' and '_'. */
static int desk_department_valid(const char *d)
{
    size_t n = strlen(d);
    return n > 0 && n <= 64 && strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* Parse cursor "<created_at microseconds since 1970>_<ticket id>" into q; 0 or -1. */
static int desk_cursor_parse(desk_list_query *q)
{
    const char *sep = strchr(q->cursor, '_');
    size_t len = sep ? (size_t)(sep - q->cursor) : 0;
    size_t sign = q->cursor[0] == '-';
    size_t digits = len - sign;
    if (len <= sign || digits > 18 || strspn(q->cursor + sign, "0123456789") != digits ||
        !sb_uuid_valid(sep + 1))
        return -1;
    memcpy(q->after_us, q->cursor, len);
    q->after_us[len] = '\0';
    memcpy(q->after_id, sep + 1, SB_UUID_STRLEN);
    return 0;
}

/* limit: 1..200, default 50; 0 or -1. */
static int desk_limit_parse(struct evhttp_request *req, desk_list_query *q)
{
    char v[DESK_PARAM_MAX];
    int rc = desk_param(req, "limit", v);
    long n = DESK_LIMIT_DEFAULT;
    if (rc != 0) {
        errno = 0;
        n = rc < 0 || strspn(v, "0123456789") != strlen(v) ? -1 : strtol(v, NULL, 10);
        if (errno || n < 1 || n > DESK_LIMIT_MAX)
            return -1;
    }
    q->limit = (int)n;
    return 0;
}

/* One optional filter: NULL when absent, the value when valid; -1 with err otherwise. */
static int desk_filter(struct evhttp_request *req, const char *name, char buf[DESK_PARAM_MAX],
                       const char **out, int (*valid)(const char *), const char *what,
                       sb_error *err)
{
    int rc = desk_param(req, name, buf);
    *out = rc == 1 ? buf : NULL;
    if (rc < 0 || (rc == 1 && !valid(buf)))
        return sb_error_set(err, 400, "invalid_field", name, "%s must be %s", name, what);
    return 0;
}

/* An agent id (letters, digits, '-', '_', '.', '@'; at most 64 bytes), or "me". */
static int desk_agent_valid(const char *a)
{
    size_t n = strlen(a);
    return n > 0 && n <= 64 &&
           strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@") == n;
}
static int desk_channel_valid(const char *c) { return sb_channel_find(c) != NULL; }
static int desk_bool_valid(const char *b) { return !strcmp(b, "true") || !strcmp(b, "false"); }
static int desk_status_valid(const char *s) { return sb_json_one_of(s, desk_statuses); }
static int desk_priority_valid(const char *s) { return sb_json_one_of(s, desk_priorities); }

/* Every query parameter, validated; 0 or -1 with err naming the field. */
static int desk_list_parse(struct evhttp_request *req, desk_list_query *q, sb_error *err)
{
    memset(q, 0, sizeof(*q));
    if (desk_filter(req, "status", q->status, &q->status_p, desk_status_valid,
                    "new, classified, assigned, acknowledged, awaiting_customer, resolved,"
                    " closed or reopened", err) != 0 ||
        desk_filter(req, "priority", q->priority, &q->priority_p, desk_priority_valid,
                    "P1, P2 or P3", err) != 0 ||
        desk_filter(req, "department", q->department, &q->department_p, desk_department_valid,
                    "a department id", err) != 0 ||
        desk_filter(req, "assignee", q->assignee, &q->assignee_p, desk_agent_valid,
                    "an agent id or me", err) != 0 ||
        desk_filter(req, "channel", q->channel, &q->channel_p, desk_channel_valid,
                    "web, app, email, phone, wechat, store or marketplace", err) != 0 ||
        desk_filter(req, "overdue", q->overdue, &q->overdue_p, desk_bool_valid,
                    "true or false", err) != 0)
        return -1;
    if (desk_limit_parse(req, q) != 0)
        return sb_error_set(err, 400, "invalid_field", "limit", "limit must be 1..%d",
                            DESK_LIMIT_MAX);
    int rc = desk_param(req, "cursor", q->cursor);
    if (rc < 0 || (rc == 1 && desk_cursor_parse(q) != 0))
        return sb_error_set(err, 400, "invalid_field", "cursor",
                            "cursor must be a next_cursor this API returned");
    return 0;
}

/* {"tickets":[...],"next_cursor":...}: rows beyond limit only say there is a next page. */
static json_t *desk_list_json(const PGresult *res, int limit)
{
    static const struct { const char *name; int col; } cells[] = {
        {"number", LS_NUMBER}, {"status", LS_STATUS}, {"channel", LS_CHANNEL},
        {"category", LS_CATEGORY}, {"priority", LS_PRIORITY}, {"department", LS_DEPARTMENT},
        {"assignee", LS_ASSIGNEE}, {"created_at", LS_CREATED},
    };
    int n = PQntuples(res) < limit ? PQntuples(res) : limit;
    json_t *tickets = json_array();
    for (int r = 0; r < n; r++) {
        json_t *t = json_object();
        for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
            json_object_set_new(t, cells[i].name, desk_cell(res, r, cells[i].col));
        json_array_append_new(tickets, t);
    }
    json_t *next = json_null();
    if (PQntuples(res) > limit) {
        char cursor[DESK_PARAM_MAX];
        snprintf(cursor, sizeof(cursor), "%s_%s", PQgetvalue(res, n - 1, LS_CREATED_US),
                 PQgetvalue(res, n - 1, LS_ID));
        next = json_string(cursor);
    }
    return json_pack("{s:o, s:o}", "tickets", tickets, "next_cursor", next);
}

/* GET /v1/tickets?status=&priority=&department=&assignee=&channel=&overdue=&cursor=&limit= */
static void desk_list_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_error err;
    sb_error_clear(&err);
    desk_scope scope;
    desk_list_query q;
    if (desk_authorize(s, req, &scope, &err) != 0 || desk_list_parse(req, &q, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    char fetch[16];
    snprintf(fetch, sizeof(fetch), "%d", q.limit + 1);   /* one more: is there a next page? */
    /* assignee=me: the caller's own tickets. */
    if (q.assignee_p && strcmp(q.assignee_p, "me") == 0)
        q.assignee_p = scope.who.subject;
    const char *p[] = {q.status_p, q.priority_p, q.department_p, scope.scoped,
                       q.after_us[0] ? q.after_us : NULL, q.after_us[0] ? q.after_id : NULL,
                       fetch, scope.supervising, q.assignee_p, q.channel_p, q.overdue_p};
    PGresult *res = sb_pg_query(s->pg, desk_list_sql, 11, p);
    if (!res) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot list tickets now");
        return;
    }
    sb_http_reply_json(req, 200, desk_list_json(res, q.limit));
    PQclear(res);
}

int desk_list_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/tickets", desk_list_get, s);
}
