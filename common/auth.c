/* auth.c - bearer-token authentication against api_tokens (SHA-256 hashes) and role checks. */
#include "common/auth.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/http.h"
#include "common/secret.h"

void sb_auth_token_hash(const char *token, char out[65])
{
    sb_secret_sha256_hex(token, out);
}

const char *sb_role_name(sb_role r)
{
    switch (r) {
    case SB_ROLE_AGENT: return "agent";
    case SB_ROLE_SUPERVISOR: return "supervisor";
    case SB_ROLE_ADMIN: return "admin";
    default: return "none";
    }
}

sb_role sb_role_parse(const char *s)
{
    if (!s)
        return SB_ROLE_NONE;
    if (!strcmp(s, "agent"))
        return SB_ROLE_AGENT;
    if (!strcmp(s, "supervisor"))
        return SB_ROLE_SUPERVISOR;
    if (!strcmp(s, "admin"))
        return SB_ROLE_ADMIN;
    return SB_ROLE_NONE;
}

int sb_auth_token_seed(sb_pg *pg, const char *token, const char *subject, sb_role role)
{
    char hash[65];
    sb_auth_token_hash(token, hash);
    const char *p[] = {hash, subject, sb_role_name(role)};
    return sb_pg_exec(pg,
                      "INSERT INTO api_tokens (token_hash, subject, role) VALUES ($1, $2, $3)"
                      " ON CONFLICT (token_hash) DO NOTHING",
                      3, p);
}

int sb_auth_token_issue(sb_pg *pg, const char *subject, sb_role role,
                        char token[SB_SECRET_HEX_LEN + 1])
{
    if (sb_secret_generate(token) != 0)
        return -1;
    if (sb_auth_token_seed(pg, token, subject, role) == 0)
        return 0;
    OPENSSL_cleanse(token, SB_SECRET_HEX_LEN + 1);
    return -1;
}

int sb_auth_seed_admin_from_env(sb_pg *pg)
{
    const char *token = getenv("SB_ADMIN_TOKEN");
    if (!token || !*token)
        return 0;
    return sb_auth_token_seed(pg, token, "admin", SB_ROLE_ADMIN);
}

int sb_auth_require(sb_pg *pg, struct evhttp_request *req, sb_role min_role, sb_principal *who,
                    sb_error *err)
{
    const char *token = sb_http_bearer(req);
    if (!token || strlen(token) > 256)
        return sb_error_set(err, 401, "unauthenticated", "Authorization",
                            "a bearer token is required");
    char hash[65];
    sb_auth_token_hash(token, hash);
    const char *p[] = {hash};
    PGresult *res = sb_pg_query(pg,
                                "SELECT subject, role FROM api_tokens"
                                " WHERE token_hash = $1 AND revoked_at IS NULL",
                                1, p);
    if (!res)
        return sb_error_set(err, 503, "unavailable", "", "cannot check the token now");
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(who->subject, sizeof(who->subject), "%s", PQgetvalue(res, 0, 0));
        who->role = sb_role_parse(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    if (!found)
        return sb_error_set(err, 401, "unauthenticated", "Authorization", "unknown or revoked token");
    if (who->role < min_role)
        return sb_error_set(err, 403, "forbidden", "", "role %s may not do this", sb_role_name(who->role));
    return 0;
}
