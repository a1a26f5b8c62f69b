/* rules_admin.c - /v1/admin/rule-sets: admins list, read, create and edit (drafts only),
 * dry-run and activate rule sets. Every change is audited in its own transaction. */
#include "services/desk/desk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>

#include "common/audit.h"
#include "common/http.h"
#include "common/json.h"
#include "common/rules.h"

#define RA_MAX_BODY        (1024 * 1024)
#define RA_NOTE_MAX        500
#define RA_DAYS_DEFAULT    7
#define RA_DAYS_MAX        90
#define RA_EXAMPLES_DEFAULT 10
#define RA_EXAMPLES_MAX    50

/* A set's header; $1 = version, or NULL for the newest RA_LIST_MAX. */
static const char ra_sets_sql[] =
    "SELECT json_build_object('version', s.version, 'status', s.status, 'note', s.note,"
    "         'created_by', s.created_by, 'created_at', " DESK_SQL_ISO("s.created_at") ","
    "         'activated_by', s.activated_by, 'activated_at', " DESK_SQL_ISO("s.activated_at") ","
    "         'retired_at', " DESK_SQL_ISO("s.retired_at") ","
    "         'rule_count', (SELECT count(*) FROM rule_set_rules r"
    "                        WHERE r.version = s.version))::text"
    " FROM rule_sets s WHERE $1::int IS NULL OR s.version = $1::int"
    " ORDER BY s.version DESC LIMIT 200";   /* the newest 200 versions */

/* A draft's rules, from the JSON array as validated. */
static const char ra_insert_rules_sql[] =
    "INSERT INTO rule_set_rules (version, position, name, stage, conditions, actions)"
    " SELECT $1::int, x.o - 1, x.r->>'name', x.r->>'stage', coalesce(x.r->'conditions', '{}'),"
    "        x.r->'actions'"
    " FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS x(r, o)";

/* The caller, who must be an admin. 0, or -1 with err (401/403/503). */
static int ra_admin(sb_service *s, struct evhttp_request *req, sb_principal *who, sb_error *err)
{
    if (sb_pg_ensure(s->pg) != 0)
        return sb_error_set(err, 503, "unavailable", "", "database unavailable");
    return sb_auth_require(s->pg, req, SB_ROLE_ADMIN, who, err);
}

/* "17" -> 17; 0 when not a version number. */
static int ra_version(const char *s, size_t len)
{
    if (len == 0 || len > 9)
        return 0;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* The header of version (with its rules when with_rules), or NULL with err (404/503). */
static json_t *ra_set_json(sb_pg *pg, int version, int with_rules, sb_error *err)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    PGresult *res = sb_pg_query(pg, ra_sets_sql, 1, p);
    if (!res) {
        sb_error_set(err, 503, "unavailable", "", "cannot read rule sets now");
        return NULL;
    }
    json_t *set = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    if (!set) {
        sb_error_set(err, 404, "not_found", "version", "there is no rule set %d", version);
        return NULL;
    }
    json_t *rules = with_rules ? sb_rules_fetch_json(pg, version) : NULL;
    if (with_rules && !rules) {
        json_decref(set);
        sb_error_set(err, 503, "unavailable", "", "cannot read the rules now");
        return NULL;
    }
    if (rules)
        json_object_set_new(set, "rules", rules);
    return set;
}

/* Validates rules against the current taxonomy: 0, or -1 with err naming the field. */
static int ra_validate(sb_pg *pg, const json_t *rules, sb_ruleset *out, sb_error *err)
{
    sb_taxonomy tax;
    if (sb_taxonomy_load(pg, &tax) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot read the taxonomy now");
    int rc = sb_rules_parse(rules, &tax, out, err);
    sb_taxonomy_free(&tax);
    return rc;
}

/* A stored version compiled for use: 0, or -1 with err (404, 409 when it no longer validates). */
static int ra_compile(sb_pg *pg, int version, sb_ruleset *out, sb_error *err)
{
    json_t *set = ra_set_json(pg, version, 1, err);
    if (!set)
        return -1;
    int rc = ra_validate(pg, json_object_get(set, "rules"), out, err);
    json_decref(set);
    if (rc != 0 && err->status == 400) {
        sb_error why = *err;   /* sb_error_set must not read what it writes */
        sb_error_set(err, 409, "invalid_rule_set", why.field,
                     "rule set %d no longer validates: %.200s", version, why.message);
    }
    if (rc == 0)
        out->version = version;
    return rc;
}

/* Records the change (detail stolen) in the open transaction; -1 with err 503 when it cannot. */
static int ra_audit(sb_pg *pg, const sb_principal *who, const char *action, int version,
                    json_t *detail, sb_error *err)
{
    char target[32];
    snprintf(target, sizeof(target), "rule_set:%d", version);
    if (sb_audit_record(pg, who, action, target, detail) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot audit %s now", action);
    return 0;
}

/* Runs the statement; -1 with err 503 when it fails. */
static int ra_exec(sb_pg *pg, const char *sql, int n, const char *const *p, sb_error *err)
{
    if (sb_pg_exec(pg, sql, n, p) != 0)
        return sb_error_set(err, 503, "unavailable", "", "cannot store the rule set now");
    return 0;
}

/* The body's members, each checked; unknown members refused. */
typedef struct ra_body {
    const char *note;       /* NULL when absent */
    json_t     *rules;      /* borrowed; NULL when absent */
    int         from;       /* 0 when absent */
} ra_body;

/* Reads {"note", "rules", "from"} (from only when allow_from). 0 or -1 with err. */
static int ra_read_body(const json_t *body, int allow_from, ra_body *b, sb_error *err)
{
    memset(b, 0, sizeof(*b));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v)
        if (strcmp(key, "note") && strcmp(key, "rules") && (!allow_from || strcmp(key, "from")))
            return sb_error_set(err, 400, "unknown_field", key, "unknown member %.48s", key);
    if (sb_json_get_str(body, "", "note", 0, RA_NOTE_MAX, &b->note, err) != 0)
        return -1;
    b->rules = json_object_get(body, "rules");
    json_t *from = json_object_get(body, "from");
    if (from && (!json_is_integer(from) || json_integer_value(from) < 1 ||
                 json_integer_value(from) > 999999999))
        return sb_error_set(err, 400, "invalid_field", "from", "from must be a version number");
    b->from = from ? (int)json_integer_value(from) : 0;
    if (b->rules && b->from)
        return sb_error_set(err, 400, "invalid_field", "from", "give rules or from, not both");
    if (!b->rules && !b->from)
        return sb_error_set(err, 400, "missing_field", "rules",
                            allow_from ? "rules (or from: a version to copy) is required"
                                       : "rules is required");
    return 0;
}

/* Writes version's rules (and note when given), audited, in the caller's transaction. */
static int ra_store(sb_pg *pg, const sb_principal *who, const char *action, int version,
                    const ra_body *b, size_t nrules, sb_error *err)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    char *rules = sb_json_dump(b->rules);
    if (!rules)
        return sb_error_set(err, 503, "overloaded", "", "out of memory");
    const char *p[] = {v, rules};
    int rc = ra_exec(pg, ra_insert_rules_sql, 2, p, err);
    free(rules);
    const char *pn[] = {v, b->note};
    if (rc == 0 && b->note)
        rc = ra_exec(pg, "UPDATE rule_sets SET note = $2 WHERE version = $1::int", 2, pn, err);
    if (rc == 0)
        rc = ra_audit(pg, who, action, version,
                      json_pack("{s:I, s:s*}", "rules", (json_int_t)nrules, "note", b->note), err);
    return rc;
}

/* Ends the transaction: commit when rc is 0 (else roll back); the reply for either. */
static void ra_finish(sb_service *s, struct evhttp_request *req, int rc, int status,
                      int version, sb_error *err)
{
    if (rc == 0 && sb_pg_commit(s->pg) != 0)
        rc = sb_error_set(err, 503, "unavailable", "", "cannot commit now");
    if (rc != 0) {
        sb_pg_rollback(s->pg);
        sb_http_reply_error(req, err);
        return;
    }
    json_t *set = ra_set_json(s->pg, version, 1, err);
    if (set)
        sb_http_reply_json(req, status, set);
    else
        sb_http_reply_error(req, err);
}

/* GET /v1/admin/rule-sets */
static void ra_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    if (ra_admin(s, req, &who, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *p[] = {NULL};
    PGresult *res = sb_pg_query(s->pg, ra_sets_sql, 1, p);
    if (!res) {
        sb_http_reply_errorf(req, 503, "unavailable", "", "cannot read rule sets now");
        return;
    }
    json_t *sets = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *set = json_loads(PQgetvalue(res, i, 0), 0, NULL);
        if (set)
            json_array_append_new(sets, set);
    }
    PQclear(res);
    sb_http_reply_json(req, 200, json_pack("{s:o}", "rule_sets", sets));
}

/* POST /v1/admin/rule-sets {"note", "rules"} or {"note", "from": N} -> 201, a new draft. */
static void ra_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    json_t *body = NULL, *copied = NULL;
    ra_body b;
    sb_ruleset rs = {0};
    int rc = ra_admin(s, req, &who, &err);
    if (rc == 0)
        rc = (body = sb_http_body_json(req, RA_MAX_BODY, &err)) ? 0 : -1;
    if (rc == 0)
        rc = ra_read_body(body, 1, &b, &err);
    if (rc == 0 && b.from) {
        json_t *src = ra_set_json(s->pg, b.from, 1, &err);
        if (!src && err.status == 404)
            sb_error_set(&err, 404, "not_found", "from", "there is no rule set %d", b.from);
        copied = src ? json_incref(json_object_get(src, "rules")) : NULL;
        json_decref(src);
        b.rules = copied;
        rc = copied ? 0 : -1;
    }
    if (rc == 0)
        rc = ra_validate(s->pg, b.rules, &rs, &err);
    int version = 0;
    if (rc == 0) {
        rc = sb_pg_begin(s->pg) == 0 ? 0 : sb_error_set(&err, 503, "unavailable", "", "database");
        const char *p[] = {b.note ? b.note : "", who.subject};
        PGresult *res = rc == 0 ? sb_pg_query(s->pg,
                                              "INSERT INTO rule_sets (note, created_by)"
                                              " VALUES ($1, $2) RETURNING version", 2, p)
                                : NULL;
        version = res ? atoi(PQgetvalue(res, 0, 0)) : 0;
        PQclear(res);
        if (rc == 0 && !version)
            rc = sb_error_set(&err, 503, "unavailable", "", "cannot store the rule set now");
        if (rc == 0)
            rc = ra_store(s->pg, &who, "rule_set.create", version, &b, rs.nrules, &err);
        ra_finish(s, req, rc, 201, version, &err);
    } else {
        sb_http_reply_error(req, &err);
    }
    sb_rules_free(&rs);
    json_decref(copied);
    json_decref(body);
}

/* GET /v1/admin/rule-sets/{version} */
static void ra_get(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    int version = ra_version(tail, strlen(tail));
    json_t *set = NULL;
    if (ra_admin(s, req, &who, &err) == 0) {
        if (!version)
            sb_error_set(&err, 400, "invalid_field", "version", "a version is a number: 1, 2, ...");
        else
            set = ra_set_json(s->pg, version, 1, &err);
    }
    if (set)
        sb_http_reply_json(req, 200, set);
    else
        sb_http_reply_error(req, &err);
}

/* Locks version's row in the open transaction; its status into st. 0 or -1 with err (404). */
static int ra_lock(sb_pg *pg, int version, char *st, size_t cap, sb_error *err)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v};
    PGresult *res = sb_pg_query(pg, "SELECT status FROM rule_sets WHERE version = $1::int"
                                    " FOR UPDATE", 1, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot read rule sets now");
    int found = PQntuples(res) == 1;
    if (found)
        snprintf(st, cap, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return found ? 0 : sb_error_set(err, 404, "not_found", "version", "there is no rule set %d",
                                    version);
}

/* PUT /v1/admin/rule-sets/{version} {"note", "rules"}: replaces a draft's rules. A set that
 * has been active is frozen (409): changes go into a new version. */
static void ra_update(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    json_t *body = NULL;
    ra_body b;
    sb_ruleset rs = {0};
    int version = ra_version(tail, strlen(tail));
    int rc = ra_admin(s, req, &who, &err);
    if (rc == 0 && !version)
        rc = sb_error_set(&err, 400, "invalid_field", "version", "a version is a number");
    if (rc == 0)
        rc = (body = sb_http_body_json(req, RA_MAX_BODY, &err)) ? 0 : -1;
    if (rc == 0)
        rc = ra_read_body(body, 0, &b, &err);
    if (rc == 0)
        rc = ra_validate(s->pg, b.rules, &rs, &err);
    if (rc == 0) {
        char status[16] = "";
        char v[16];
        snprintf(v, sizeof(v), "%d", version);
        const char *p[] = {v};
        rc = sb_pg_begin(s->pg) == 0 ? 0 : sb_error_set(&err, 503, "unavailable", "", "database");
        if (rc == 0)
            rc = ra_lock(s->pg, version, status, sizeof(status), &err);
        if (rc == 0 && strcmp(status, "draft") != 0)
            rc = sb_error_set(&err, 409, "immutable", "version",
                              "rule set %d is %s: it cannot change; create a new version "
                              "(POST /v1/admin/rule-sets with \"from\": %d)",
                              version, status, version);
        if (rc == 0)
            rc = ra_exec(s->pg, "DELETE FROM rule_set_rules WHERE version = $1::int", 1, p, &err);
        if (rc == 0)
            rc = ra_store(s->pg, &who, "rule_set.update", version, &b, rs.nrules, &err);
        ra_finish(s, req, rc, 200, version, &err);
    } else {
        sb_http_reply_error(req, &err);
    }
    sb_rules_free(&rs);
    json_decref(body);
}

/* {"days": 1..90, "examples": 0..50}, both optional; an empty body takes the defaults. */
static int ra_dryrun_params(struct evhttp_request *req, int *days, int *examples, sb_error *err)
{
    *days = RA_DAYS_DEFAULT;
    *examples = RA_EXAMPLES_DEFAULT;
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) == 0)
        return 0;
    json_t *body = sb_http_body_json(req, 4096, err);
    if (!body)
        return -1;
    int rc = 0;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        int *slot = !strcmp(key, "days") ? days : !strcmp(key, "examples") ? examples : NULL;
        int max = slot == days ? RA_DAYS_MAX : RA_EXAMPLES_MAX, min = slot == days ? 1 : 0;
        if (!slot)
            rc = sb_error_set(err, 400, "unknown_field", key, "unknown member %.48s", key);
        else if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
            rc = sb_error_set(err, 400, "invalid_field", key, "%s must be an integer %d..%d", key,
                              min, max);
        else
            *slot = (int)json_integer_value(v);
        if (rc != 0)
            break;
    }
    json_decref(body);
    return rc;
}

/* POST /v1/admin/rule-sets/{version}/dry-run: what the set would change on recent tickets. */
static void ra_dryrun(struct evhttp_request *req, sb_service *s, const sb_principal *who,
                      int version)
{
    sb_error err;
    sb_error_clear(&err);
    int days, examples;
    sb_ruleset rs = {0};
    json_t *report = NULL;
    int rc = ra_dryrun_params(req, &days, &examples, &err);
    if (rc == 0)
        rc = ra_compile(s->pg, version, &rs, &err);
    /* Classify's fallback is not run here: a ticket no rule decides keeps its stored category
     * (common/rules.h, sb_rules_dryrun). */
    if (rc == 0 && sb_rules_dryrun(s->pg, &rs, days, examples, NULL, NULL, &report) != 0)
        rc = sb_error_set(&err, 503, "unavailable", "", "cannot replay tickets now");
    if (rc == 0)
        rc = ra_audit(s->pg, who, "rule_set.dry_run", version,
                      json_pack("{s:i, s:O, s:O}", "days", days,
                                "evaluated", json_object_get(report, "evaluated"),
                                "changed", json_object_get(report, "changed")), &err);
    if (rc == 0)
        sb_http_reply_json(req, 200, json_incref(report));
    else
        sb_http_reply_error(req, &err);
    json_decref(report);
    sb_rules_free(&rs);
}

/* POST /v1/admin/rule-sets/{version}/activate: version becomes the active set and the one
 * before it retired, in one transaction (serialised by an advisory lock). */
static void ra_activate(struct evhttp_request *req, sb_service *s, const sb_principal *who,
                        int version)
{
    sb_error err;
    sb_error_clear(&err);
    sb_ruleset rs = {0};
    int rc = ra_compile(s->pg, version, &rs, &err);   /* never switch on what cannot load */
    sb_rules_free(&rs);
    if (rc != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    char v[16], status[16] = "";
    snprintf(v, sizeof(v), "%d", version);
    const char *p[] = {v, who->subject};
    int retired = 0;
    rc = sb_pg_begin(s->pg) == 0 ? 0 : sb_error_set(&err, 503, "unavailable", "", "database");
    if (rc == 0)
        rc = ra_exec(s->pg, "SELECT pg_advisory_xact_lock(hashtext('rule_sets.activate'))", 0,
                     NULL, &err);
    if (rc == 0)
        rc = ra_lock(s->pg, version, status, sizeof(status), &err);
    if (rc == 0 && strcmp(status, "active") == 0)
        rc = sb_error_set(&err, 409, "already_active", "version", "rule set %d is already active",
                          version);
    if (rc == 0) {
        PGresult *res = sb_pg_query(s->pg, "UPDATE rule_sets SET status = 'retired',"
                                           " retired_at = now() WHERE status = 'active'"
                                           " RETURNING version", 0, NULL);
        if (!res)
            rc = sb_error_set(&err, 503, "unavailable", "", "cannot retire the active set now");
        else if (PQntuples(res) == 1)
            retired = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
    }
    if (rc == 0)
        rc = ra_exec(s->pg, "UPDATE rule_sets SET status = 'active', activated_by = $2,"
                            " activated_at = now(), retired_at = NULL WHERE version = $1::int",
                     2, p, &err);
    if (rc == 0)
        rc = ra_audit(s->pg, who, "rule_set.activate", version,
                      retired ? json_pack("{s:i}", "retired", retired)
                              : json_pack("{s:n}", "retired"), &err);
    ra_finish(s, req, rc, 200, version, &err);
}

/* POST /v1/admin/rule-sets/{version}/{dry-run|activate} */
static void ra_action(struct evhttp_request *req, const char *tail, void *ctx)
{
    sb_service *s = ctx;
    sb_principal who;
    sb_error err;
    sb_error_clear(&err);
    if (ra_admin(s, req, &who, &err) != 0) {
        sb_http_reply_error(req, &err);
        return;
    }
    const char *slash = strchr(tail, '/');
    int version = slash ? ra_version(tail, (size_t)(slash - tail)) : 0;
    if (!version)
        sb_http_reply_errorf(req, 404, "not_found", "", "POST /v1/admin/rule-sets/{version}/"
                                                        "dry-run or /activate");
    else if (strcmp(slash + 1, "dry-run") == 0)
        ra_dryrun(req, s, &who, version);
    else if (strcmp(slash + 1, "activate") == 0)
        ra_activate(req, s, &who, version);
    else
        sb_http_reply_errorf(req, 404, "not_found", "", "no action %.32s on a rule set", slash + 1);
}

int desk_rules_admin_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/rule-sets", ra_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/rule-sets", ra_create, s) ||
           sb_http_route(s->http, "GET", "/v1/admin/rule-sets/", ra_get, s) ||
           sb_http_route(s->http, "PUT", "/v1/admin/rule-sets/", ra_update, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/rule-sets/", ra_action, s)
               ? -1 : 0;
}
