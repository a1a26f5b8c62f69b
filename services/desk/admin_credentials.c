/* admin_credentials.c - /v1/admin/channel-credentials: the API keys, webhook secrets and
 * WeChat tokens channels post to ingest with. A key or secret is shown once, when desk makes
 * it; afterwards only a hint (its last four characters). API keys are kept as ingest reads
 * them (hex SHA-256, common/secret.h); ingest picks up a change at its next refresh
 * (SB_INGEST_CREDENTIALS_REFRESH_MS). */
#include "services/desk/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/http.h"
#include "common/secret.h"
#include "services/desk/admin_body.h"

/* WeChat's token rule: at most 32 characters. */
#define CRED_WECHAT_LEN 32

/* The hint: a stored one (keys desk made), else the end of a secret long enough that four
 * characters say nothing useful about it. */
#define CRED_JSON                                                                            \
    "json_build_object('id', c.id, 'channel', c.channel, 'kind', c.kind, 'name', c.name,"    \
    " 'rate_per_s', c.rate_per_s, 'burst', c.burst, 'source', c.source,"                     \
    " 'created_at', " DESK_SQL_ISO("c.created_at") ","                                       \
    " 'revoked_at', " DESK_SQL_ISO("c.revoked_at") ","                                       \
    " 'hint', '****' || coalesce(c.hint, CASE WHEN length(c.secret) >= 12"                   \
    "                                         THEN right(c.secret, 4) END))"

static const char cred_all_sql[] =
    "SELECT json_build_object('credentials', coalesce(json_agg(" CRED_JSON " ORDER BY c.id),"
    " '[]'))::text FROM channel_credentials c";
static const char cred_one_sql[] =
    "SELECT " CRED_JSON "::text FROM channel_credentials c WHERE c.id = $1::bigint";

/* GET /v1/admin/channel-credentials */
static void cred_list(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) == 0)
        desk_adm_end(&a, desk_adm_reply_sql(&a, 200, cred_all_sql, 0, NULL, "id"));
}

/* The credential's key or secret: the body's, else a new one. 0 or -1 (503). */
static int cred_value(desk_adm *a, const desk_cred_body *b, char out[SB_SECRET_HEX_LEN + 1])
{
    if (b->secret) {
        snprintf(out, SB_SECRET_HEX_LEN + 1, "%s", b->secret);   /* checked: at most 256 */
        return 0;
    }
    if (sb_secret_generate(out) != 0)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot generate a secret now");
    if (strcmp(b->kind, "wechat_token") == 0)
        out[CRED_WECHAT_LEN] = '\0';
    return 0;
}

/* Inserts the credential; its id into id. 0 or -1. */
static int cred_insert(desk_adm *a, const desk_cred_body *b, const char *value, char id[24])
{
    char hash[65], rate[32], burst[32], hint[8];
    int api_key = strcmp(b->kind, "api_key") == 0;
    if (api_key)
        sb_secret_sha256_hex(value, hash);
    snprintf(rate, sizeof rate, "%.17g", b->rate_per_s);
    snprintf(burst, sizeof burst, "%.17g", b->burst);
    snprintf(hint, sizeof hint, "%s", strlen(value) >= 12 ? value + strlen(value) - 4 : "");
    const char *p[] = {b->channel, b->kind, b->name, api_key ? hash : NULL,
                       api_key ? NULL : value, b->rate_per_s > 0 ? rate : NULL,
                       b->burst > 0 ? burst : NULL, hint[0] ? hint : NULL};
    PGresult *res = sb_pg_query(a->s->pg,
                                "INSERT INTO channel_credentials"
                                " (channel, kind, name, key_hash, secret, rate_per_s, burst, hint)"
                                " VALUES ($1, $2, $3, $4, $5, coalesce($6::float8, 1000),"
                                "         coalesce($7::float8, 2000), $8) RETURNING id",
                                8, p);
    if (!res)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot store the credential now");
    snprintf(id, 24, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

/* Answers 201 with the stored credential plus its key or secret, this once. */
static int cred_reply_created(desk_adm *a, const char *id, const char *kind, const char *value)
{
    const char *p[] = {id};
    PGresult *res = sb_pg_query(a->s->pg, cred_one_sql, 1, p);
    json_t *c = res && PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    if (!c)
        return sb_error_set(&a->err, 503, "unavailable", "", "cannot read the credential now");
    json_object_set_new(c, strcmp(kind, "api_key") == 0 ? "key" : "secret", json_string(value));
    sb_http_reply_json(a->req, 201, c);
    return 0;
}

/* POST /v1/admin/channel-credentials {channel, kind, name?, rate_per_s?, burst?, secret?} */
static void cred_create(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    desk_adm a;
    desk_cred_body b = {0};
    char value[SB_SECRET_HEX_LEN + 1] = "", id[24] = "";
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 1) != 0)
        return;
    int rc = desk_cred_body_read(a.body, &b, &a.err);
    if (rc == 0)
        rc = cred_value(&a, &b, value);
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = cred_insert(&a, &b, value, id);
    if (rc == 0)   /* never the secret itself */
        rc = desk_adm_commit(&a, "channel_credential.create", "channel_credential", id,
                             json_pack("{s:s, s:s, s:s, s:b}", "channel", b.channel, "kind",
                                       b.kind, "name", b.name, "generated", b.secret == NULL));
    if (rc == 0)
        rc = cred_reply_created(&a, id, b.kind, value);
    OPENSSL_cleanse(value, sizeof value);
    desk_adm_end(&a, rc);
}

/* POST /v1/admin/channel-credentials/{id}/revoke: refused by ingest from its next refresh. A
 * credential the environment seeds (source env) comes back at ingest's next start unless the
 * environment's value changes too. */
static void cred_revoke(struct evhttp_request *req, const char *tail, void *ctx)
{
    desk_adm a;
    char id[24] = "";
    if (desk_adm_start(&a, ctx, req, SB_ROLE_ADMIN, 0) != 0)
        return;
    size_t n = strspn(tail, "0123456789");
    int rc = n > 0 && n < 19 && strcmp(tail + n, "/revoke") == 0
                 ? 0 : sb_error_set(&a.err, 404, "not_found", "id",
                                    "POST /v1/admin/channel-credentials/{id}/revoke");
    if (rc == 0)
        memcpy(id, tail, n);
    const char *p[] = {id};
    if (rc == 0)
        rc = desk_adm_begin(&a);
    if (rc == 0)
        rc = desk_adm_must(&a, "SELECT 1 FROM channel_credentials WHERE id = $1::bigint FOR UPDATE",
                           1, p, 404, "id", "there is no such credential");
    if (rc == 0)
        rc = desk_adm_must(&a, "UPDATE channel_credentials SET revoked_at = now()"
                               " WHERE id = $1::bigint AND revoked_at IS NULL", 1, p, 409, "id",
                           "the credential is already revoked");
    if (rc == 0)
        rc = desk_adm_commit(&a, "channel_credential.revoke", "channel_credential", id, NULL);
    if (rc == 0)
        rc = desk_adm_reply_sql(&a, 200, cred_one_sql, 1, p, "id");
    desk_adm_end(&a, rc);
}

int desk_admin_credential_routes(sb_service *s)
{
    return sb_http_route(s->http, "GET", "/v1/admin/channel-credentials", cred_list, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/channel-credentials", cred_create, s) ||
           sb_http_route(s->http, "POST", "/v1/admin/channel-credentials/", cred_revoke, s)
               ? -1 : 0;
}
