/* credentials.c - channel credentials cached from PostgreSQL, refreshed without blocking the loop. */
#include "services/ingest/credentials.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/pg.h"
#include "common/secret.h"

struct ingest_credential {
    int64_t           id;
    const sb_channel *channel;
    ingest_cred_kind  kind;
    char              name[64];
    char              key_hash[65];  /* api keys: hex SHA-256; "" otherwise */
    char             *secret;        /* others: the secret itself; NULL for api keys */
    size_t            secret_len;
    double            rate_per_s, burst;
    double            tokens;        /* the bucket: refilled at rate_per_s up to burst */
    int64_t           refilled_ms;
    char              label[96];
};

struct ingest_credentials {
    sb_pg             *pg;           /* a connection of its own, used asynchronously */
    struct event_base *base;
    struct event      *timer, *readable;
    int64_t            refresh_ms;
    ingest_credential *v;            /* api keys first, sorted by key_hash; then the secrets */
    size_t             n, nkeys;
};

static const char creds_select[] =
    "SELECT id, channel, kind, name, coalesce(key_hash, ''), coalesce(secret, ''), rate_per_s,"
    " burst FROM channel_credentials WHERE revoked_at IS NULL ORDER BY id";

static const char *const creds_kind_names[] = {"api_key", "hmac_secret", "wechat_token"};

/* kind from its stored name; -1 when unknown. */
static int creds_kind_parse(const char *s)
{
    for (int k = 0; k < 3; k++)
        if (strcmp(s, creds_kind_names[k]) == 0)
            return k;
    return -1;
}

/* Frees a loaded set. */
static void creds_release(ingest_credential *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].secret) {
            OPENSSL_cleanse(v[i].secret, v[i].secret_len);
            free(v[i].secret);
        }
    }
    free(v);
}

/* Api keys first, by hash; then the secrets in id order. */
static int creds_order(const void *a, const void *b)
{
    const ingest_credential *x = a, *y = b;
    int xk = x->kind == INGEST_CRED_API_KEY, yk = y->kind == INGEST_CRED_API_KEY;
    if (xk != yk)
        return yk - xk;
    if (xk)
        return strcmp(x->key_hash, y->key_hash);
    return (x->id > y->id) - (x->id < y->id);
}

/* Row i of res into c; -1 for a row this build cannot use (logged, skipped). */
static int creds_row(PGresult *res, int i, ingest_credential *c)
{
    memset(c, 0, sizeof *c);
    c->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    c->channel = sb_channel_find(PQgetvalue(res, i, 1));
    int kind = creds_kind_parse(PQgetvalue(res, i, 2));
    if (!c->channel || kind < 0) {
        sb_warn("credential_skipped", "credential #%lld: unknown channel or kind", (long long)c->id);
        return -1;
    }
    c->kind = (ingest_cred_kind)kind;
    snprintf(c->name, sizeof c->name, "%s", PQgetvalue(res, i, 3));
    if (c->kind == INGEST_CRED_API_KEY) {
        snprintf(c->key_hash, sizeof c->key_hash, "%s", PQgetvalue(res, i, 4));
    } else {
        c->secret_len = (size_t)PQgetlength(res, i, 5);
        c->secret = strdup(PQgetvalue(res, i, 5));
        if (!c->secret)
            return -1;
    }
    c->rate_per_s = strtod(PQgetvalue(res, i, 6), NULL);
    c->burst = strtod(PQgetvalue(res, i, 7), NULL);
    c->tokens = c->burst;
    snprintf(c->label, sizeof c->label, "%s/%s#%lld", c->channel->name,
             c->name[0] ? c->name : creds_kind_names[kind], (long long)c->id);
    return 0;
}

/* Carries each credential's bucket over from the set it replaces, so a refresh never refills
 * a bucket (that would lift the limit every refresh). */
static void creds_carry_buckets(ingest_credential *v, size_t n, const ingest_credential *old,
                                size_t nold)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nold; j++)
            if (old[j].id == v[i].id) {
                v[i].tokens = fmin(old[j].tokens, v[i].burst);
                v[i].refilled_ms = old[j].refilled_ms;
                break;
            }
}

/* Replaces the cached set with the rows of res. 0, or -1 (cache unchanged) when out of memory. */
static int creds_install(ingest_credentials *cs, PGresult *res)
{
    int rows = PQntuples(res);
    ingest_credential *v = calloc(rows > 0 ? (size_t)rows : 1, sizeof *v);
    if (!v)
        return -1;
    size_t n = 0, nkeys = 0;
    for (int i = 0; i < rows; i++) {
        if (creds_row(res, i, &v[n]) != 0) {
            free(v[n].secret);
            v[n].secret = NULL;
            continue;
        }
        nkeys += v[n].kind == INGEST_CRED_API_KEY;
        n++;
    }
    qsort(v, n, sizeof *v, creds_order);
    creds_carry_buckets(v, n, cs->v, cs->n);
    creds_release(cs->v, cs->n);
    cs->v = v;
    cs->n = n;
    cs->nkeys = nkeys;
    return 0;
}

/* "SB_CHANNEL_KEY_" + the channel's name in upper case. */
static void creds_env_name(const sb_channel *ch, char *out, size_t len)
{
    int n = snprintf(out, len, "SB_CHANNEL_KEY_");
    for (const char *p = ch->name; *p && (size_t)n + 1 < len; p++)
        out[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    out[n] = '\0';
}

/* Stores one credential the environment provides, replacing that slot's earlier value (the
 * rate an admin may have set is kept). 0, or -1 with err. */
static int creds_seed_one(sb_pg *pg, const char *var, const char *channel, const char *kind,
                          const char *name, const char *value, const char *rate, sb_error *err)
{
    char hash[65], burst[32];
    int api_key = strcmp(kind, "api_key") == 0;
    if (api_key)
        sb_secret_sha256_hex(value, hash);
    snprintf(burst, sizeof burst, "%.0f", 2 * strtod(rate, NULL));
    const char *p[] = {channel, kind, name, api_key ? hash : NULL, api_key ? NULL : value, rate,
                       burst};
    if (sb_pg_exec(pg,
                   "INSERT INTO channel_credentials"
                   " (channel, kind, name, key_hash, secret, rate_per_s, burst, source)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, 'env')"
                   " ON CONFLICT (channel, kind, name) WHERE source = 'env' AND revoked_at IS NULL"
                   " DO UPDATE SET key_hash = EXCLUDED.key_hash, secret = EXCLUDED.secret",
                   7, p) == 0)
        return 0;
    if (strcmp(sb_pg_last_sqlstate(pg), "23505") == 0)
        return sb_error_set(err, 500, "config", var,
                            "%s is already the key of another channel credential", var);
    return sb_error_set(err, 503, "unavailable", var, "cannot store %s in PostgreSQL", var);
}

/* The deployment's environment (SB_CHANNEL_KEY_*, SB_WECHAT_TOKEN, SB_MARKETPLACE_SECRET)
 * seeds the table, so a fresh stack works from its first start; admins add the rest. */
static int creds_seed_env(sb_pg *pg, const char *rate, sb_error *err)
{
    int count;
    const sb_channel *all = sb_channel_all(&count);
    for (int i = 0; i < count; i++) {
        char var[64];
        creds_env_name(&all[i], var, sizeof var);
        const char *v = getenv(var);
        if (!v || !*v) {
            sb_warn("channel_key_missing", "%s is not set", var);
            continue;
        }
        if (creds_seed_one(pg, var, all[i].name, "api_key", "", v, rate, err) != 0)
            return -1;
    }
    const char *wx = getenv("SB_WECHAT_TOKEN"), *mp = getenv("SB_MARKETPLACE_SECRET");
    if (wx && *wx &&
        creds_seed_one(pg, "SB_WECHAT_TOKEN", "wechat", "wechat_token", "", wx, rate, err) != 0)
        return -1;
    if (mp && *mp &&
        creds_seed_one(pg, "SB_MARKETPLACE_SECRET", "marketplace", "hmac_secret", INGEST_CRED_ANY,
                       mp, rate, err) != 0)
        return -1;
    return 0;
}

/* The refresh's answer has arrived (or part of it): install it once complete. */
static void creds_on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ingest_credentials *cs = arg;
    PGconn *conn = sb_pg_conn(cs->pg);
    if (!PQconsumeInput(conn)) {
        sb_warn("credentials_refresh", "PostgreSQL: %s", PQerrorMessage(conn));
        event_del(cs->readable);
        return;
    }
    if (PQisBusy(conn))
        return;
    event_del(cs->readable);
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            if (creds_install(cs, res) != 0)
                sb_warn("credentials_refresh", "out of memory; keeping the cached credentials");
        } else {
            sb_warn("credentials_refresh", "PostgreSQL: %s", PQresultErrorMessage(res));
        }
        PQclear(res);
    }
}

/* Timer: ask for the current set. A failure keeps the cached set: channels keep posting while
 * PostgreSQL is away, with the credentials as they were. */
static void creds_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ingest_credentials *cs = arg;
    if (event_pending(cs->readable, EV_READ, NULL))
        return;   /* the previous refresh is still out */
    PGconn *conn = sb_pg_conn(cs->pg);
    if (PQstatus(conn) != CONNECTION_OK && sb_pg_ensure(cs->pg) != 0) {
        sb_warn("credentials_refresh", "PostgreSQL unreachable; keeping the cached credentials");
        return;
    }
    conn = sb_pg_conn(cs->pg);
    if (!PQsendQueryParams(conn, creds_select, 0, NULL, NULL, NULL, NULL, 0)) {
        sb_warn("credentials_refresh", "PostgreSQL: %s", PQerrorMessage(conn));
        return;
    }
    event_del(cs->readable);
    event_assign(cs->readable, cs->base, PQsocket(conn), EV_READ | EV_PERSIST, creds_on_readable,
                 cs);
    event_add(cs->readable, NULL);
}

ingest_credentials *ingest_credentials_open(struct event_base *base, const char *dsn,
                                            int64_t refresh_ms, const char *seed_rate,
                                            sb_error *err)
{
    ingest_credentials *cs = calloc(1, sizeof *cs);
    if (!cs) {
        sb_error_set(err, 503, "unavailable", "", "out of memory");
        return NULL;
    }
    cs->base = base;
    cs->refresh_ms = refresh_ms;
    cs->pg = sb_pg_connect(dsn, 30);
    cs->timer = event_new(base, -1, EV_PERSIST, creds_on_timer, cs);
    cs->readable = event_new(base, -1, 0, NULL, NULL);
    PGresult *res = NULL;
    if (!cs->pg)
        sb_error_set(err, 503, "unavailable", "SB_PG_DSN", "cannot connect to PostgreSQL");
    else if (!cs->timer || !cs->readable)
        sb_error_set(err, 503, "unavailable", "", "out of memory");
    else if (creds_seed_env(cs->pg, seed_rate, err) == 0 &&
             !(res = sb_pg_query(cs->pg, creds_select, 0, NULL)))
        sb_error_set(err, 503, "unavailable", "", "cannot read channel_credentials");
    int ok = res && creds_install(cs, res) == 0;
    PQclear(res);
    if (ok) {
        struct timeval tv = {(time_t)(refresh_ms / 1000), (suseconds_t)(refresh_ms % 1000) * 1000};
        event_add(cs->timer, &tv);
        sb_info("credentials_loaded", "%zu channel credentials (%zu API keys), refreshed every %lld ms",
                cs->n, cs->nkeys, (long long)refresh_ms);
        return cs;
    }
    if (!err->code[0])
        sb_error_set(err, 503, "unavailable", "", "out of memory");
    ingest_credentials_free(cs);
    return NULL;
}

void ingest_credentials_refresh_now(ingest_credentials *cs)
{
    creds_on_timer(-1, 0, cs);
}

void ingest_credentials_free(ingest_credentials *cs)
{
    if (!cs)
        return;
    if (cs->timer)
        event_free(cs->timer);
    if (cs->readable)
        event_free(cs->readable);
    creds_release(cs->v, cs->n);
    sb_pg_free(cs->pg);
    free(cs);
}

ingest_credential *ingest_credentials_by_key(ingest_credentials *cs, const char *token)
{
    if (!token || !*token || strlen(token) > 512)
        return NULL;
    char hash[65];
    sb_secret_sha256_hex(token, hash);
    /* Searching by the hash reveals, through timing, at most how the hash compares; the key
     * itself never meets a comparison. */
    size_t lo = 0, hi = cs->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(cs->v[mid].key_hash, hash);
        if (c == 0)
            return &cs->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

ingest_credential *ingest_credentials_secret(ingest_credentials *cs, ingest_cred_kind kind,
                                             const char *name)
{
    ingest_credential *any = NULL;
    for (size_t i = cs->nkeys; i < cs->n; i++) {
        ingest_credential *c = &cs->v[i];
        if (c->kind != kind)
            continue;
        if (name && strcmp(c->name, name) == 0)
            return c;
        if (!any && strcmp(c->name, INGEST_CRED_ANY) == 0)
            any = c;
    }
    return any;
}

const sb_channel *ingest_credential_channel(const ingest_credential *c)
{
    return c->channel;
}

ingest_cred_kind ingest_credential_kind(const ingest_credential *c)
{
    return c->kind;
}

const char *ingest_credential_secret(const ingest_credential *c, size_t *len)
{
    if (len)
        *len = c->secret_len;
    return c->secret;
}

const char *ingest_credential_label(const ingest_credential *c)
{
    return c->label;
}

int ingest_credential_take(ingest_credential *c, int64_t now_ms, int *retry_after_s)
{
    if (c->refilled_ms == 0 || now_ms < c->refilled_ms)
        c->refilled_ms = now_ms;
    c->tokens = fmin(c->burst, c->tokens + (double)(now_ms - c->refilled_ms) * c->rate_per_s / 1000.0);
    c->refilled_ms = now_ms;
    if (c->tokens >= 1.0) {
        c->tokens -= 1.0;
        return 0;
    }
    double wait_s = (1.0 - c->tokens) / c->rate_per_s;
    *retry_after_s = wait_s < 1.0 ? 1 : (int)ceil(wait_s);
    return -1;
}
