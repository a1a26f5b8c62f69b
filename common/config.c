/* config.c - SB_* environment variables with defaults; every error names its variable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

#ifndef SB_SOURCE_DIR
#define SB_SOURCE_DIR "."
#endif

/* Set in the environment and not empty: an empty SB_X= means "use the default". */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int sb_config_str(const char *name, const char *def, const char **out, sb_error *err)
{
    (void)err;  /* any string is acceptable; kept for a uniform reader signature */
    const char *v = env_value(name);
    *out = v ? v : def;
    return 0;
}

/* Strict base-10 long: the whole string, no blanks or '+' (strtol would skip them), no overflow. */
static int parse_long(const char *s, long *out)
{
    const char *digits = s[0] == '-' ? s + 1 : s;
    if (*digits < '0' || *digits > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

int sb_config_int(const char *name, long def, long min, long max, long *out, sb_error *err)
{
    const char *v = env_value(name);
    long n = def;
    if (v && (parse_long(v, &n) != 0 || n < min || n > max))
        return sb_error_set(err, 500, "config", name,
                            "%s: expected an integer from %ld to %ld, got '%.64s'", name, min,
                            max, v);
    *out = n;
    return 0;
}

/* Splits "host:port" or "[v6]:port" (brackets dropped) into host and port 0..65535. */
static int split_addr(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') {
        if (hl < 3 || s[hl - 1] != ']')
            return -1;
        h++;
        hl -= 2;
    } else if (memchr(s, ':', hl)) {
        return -1;  /* a bare IPv6 address is ambiguous without brackets */
    }
    long p;
    if (hl >= hostlen || parse_long(colon + 1, &p) != 0 || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

int sb_config_addr(const char *name, const char *def, char *host, size_t hostlen, int *port,
                   sb_error *err)
{
    const char *v = env_value(name);
    if (!v)
        v = def ? def : "";
    if (split_addr(v, host, hostlen, port) != 0)
        return sb_error_set(err, 500, "config", name, "%s: expected host:port, got '%.64s'",
                            name, v);
    return 0;
}

/* SB_LOG_LEVEL as a level. */
static int read_log_level(sb_log_level *out, sb_error *err)
{
    const char *v;
    sb_config_str("SB_LOG_LEVEL", "info", &v, err);
    if (sb_log_level_parse(v, out) != 0)
        return sb_error_set(err, 500, "config", "SB_LOG_LEVEL",
                            "SB_LOG_LEVEL: expected debug, info, warn or error, got '%.64s'", v);
    return 0;
}

int sb_config_load(sb_config *cfg, const char *service, const char *default_http_addr,
                   sb_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->service, sizeof cfg->service, "%s", service ? service : "");
    sb_config_str("SB_KAFKA_BROKERS", "127.0.0.1:9092", &cfg->kafka_brokers, err);
    sb_config_str("SB_PG_DSN", "postgresql://switchboard@127.0.0.1:5432/switchboard",
                  &cfg->pg_dsn, err);
    sb_config_str("SB_SQL_DIR", SB_SOURCE_DIR "/deploy/sql", &cfg->sql_dir, err);
    /* The development default keeps the local stack zero-setup; deployments set their own. */
    sb_config_str("SB_CUSTOMER_KEY_SECRET", "switchboard-dev-secret", &cfg->customer_key_secret,
                  err);
    if (sb_config_addr("SB_HTTP_ADDR", default_http_addr, cfg->http_host, sizeof cfg->http_host,
                       &cfg->http_port, err) != 0 ||
        sb_config_int("SB_KAFKA_LINGER_MS", 5, 0, 1000, &cfg->kafka_linger_ms, err) != 0 ||
        sb_config_int("SB_KAFKA_MESSAGE_TIMEOUT_MS", 120000, 1000, 3600000, &cfg->kafka_timeout_ms,
                      err) != 0)
        return -1;
    return read_log_level(&cfg->log_level, err);
}
