/* auth.h - bearer tokens (stored as SHA-256, never in clear) and roles for every HTTP API. */
#ifndef SB_AUTH_H
#define SB_AUTH_H

#include <event2/http.h>
#include "common/error.h"
#include "common/pg.h"
#include "common/secret.h"

typedef enum { SB_ROLE_NONE = 0, SB_ROLE_AGENT, SB_ROLE_SUPERVISOR, SB_ROLE_ADMIN } sb_role;

typedef struct sb_principal {
    char    subject[64];
    sb_role role;
} sb_principal;

/* Hex SHA-256 of the token (64 chars + NUL). */
void sb_auth_token_hash(const char *token, char out[65]);
/* Store token (hashed) for subject with role, if not there yet. 0 or -1. */
int  sb_auth_token_seed(sb_pg *pg, const char *token, const char *subject, sb_role role);
/* A new random token for subject with role, stored hashed (in the caller's transaction, if
 * any): written to token (hex) to be shown once and never again. 0, or -1 (token ""). */
int  sb_auth_token_issue(sb_pg *pg, const char *subject, sb_role role,
                         char token[SB_SECRET_HEX_LEN + 1]);
/* Authenticate the request's bearer token and require at least min_role: 0 with *who filled,
 * or -1 with err 401 (missing/unknown token) or 403 (role too low). */
int  sb_auth_require(sb_pg *pg, struct evhttp_request *req, sb_role min_role, sb_principal *who,
                     sb_error *err);
/* Seed the deployment's admin token from SB_ADMIN_TOKEN (if set), so the APIs work from the
 * first start. 0 or -1. */
int  sb_auth_seed_admin_from_env(sb_pg *pg);
const char *sb_role_name(sb_role r);
sb_role     sb_role_parse(const char *s);

#endif
