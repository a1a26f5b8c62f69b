/* config.h - SB_* environment variables with defaults; errors name the variable. */
#ifndef SB_CONFIG_H
#define SB_CONFIG_H

#include <stddef.h>
#include "common/error.h"
#include "common/log.h"

/* Each reader returns 0 and sets *out (the default when unset or empty), or -1 with err naming
 * the variable, e.g. "SB_HTTP_ADDR: expected host:port, got 'x'". */
int sb_config_str(const char *name, const char *def, const char **out, sb_error *err);
int sb_config_int(const char *name, long def, long min, long max, long *out, sb_error *err);
/* "host:port" -> host (into a buffer of hostlen) and port 1..65535. */
int sb_config_addr(const char *name, const char *def, char *host, size_t hostlen, int *port,
                   sb_error *err);

/* What every service reads. */
typedef struct sb_config {
    char         service[32];
    const char  *kafka_brokers;   /* SB_KAFKA_BROKERS, default "127.0.0.1:9092" */
    const char  *pg_dsn;          /* SB_PG_DSN, default "postgresql://switchboard@127.0.0.1:5432/switchboard" */
    char         http_host[64];   /* SB_HTTP_ADDR, default per service */
    int          http_port;
    sb_log_level log_level;       /* SB_LOG_LEVEL, default info */
    const char  *sql_dir;         /* SB_SQL_DIR, default <source>/deploy/sql */
    const char  *customer_key_secret; /* SB_CUSTOMER_KEY_SECRET: keys the customer-key hash */
    long         kafka_linger_ms;     /* SB_KAFKA_LINGER_MS, default 5: batching vs latency */
    long         kafka_timeout_ms;    /* SB_KAFKA_MESSAGE_TIMEOUT_MS, default 120000: give up on a message */
} sb_config;

int sb_config_load(sb_config *cfg, const char *service, const char *default_http_addr,
                   sb_error *err);

#endif
