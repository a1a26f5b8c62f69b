/* service.c - the runtime every service shares: config, log, loop, PostgreSQL, producer, HTTP. */
#include "common/service.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/priority.h"

#define SB_HTTP_MAX_BODY (1024 * 1024)
#define SB_PRODUCER_MAX_QUEUED 200000

/* SIGINT/SIGTERM: leave the loop; cleanup runs after sb_service_run returns. */
static void service_on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    sb_service *s = arg;
    sb_info("signal", "received signal %d, stopping", (int)sig);
    s->stopping = 1;
    event_base_loopexit(s->base, NULL);
}

/* Default health: the database answers (when the service has one). A round trip, because a
 * connection's status only changes when it is used: after a PostgreSQL restart it would stay
 * "down" (or "ok") until then. */
static int service_health(void *ctx, json_t *detail)
{
    sb_service *s = ctx;
    json_object_set_new(detail, "service", json_string(s->cfg.service));
    if (!s->pg)
        return 1;
    int ok = sb_pg_ensure(s->pg) == 0 && sb_pg_exec(s->pg, "SELECT 1", 0, NULL) == 0;
    json_object_set_new(detail, "postgres", json_string(ok ? "ok" : "down"));
    return ok;
}

/* GET /readyz: 200 {"status":"ready"} while every watched consumer is assigned, else 503
 * {"status":"joining"}; each consumer's group, partitions and assignments so far either way
 * (deploy/local's scale-down waits for the remaining replicas' count to grow). No database round
 * trip: /healthz covers that, and a scripted wait polls this often. */
static void service_ready_handler(struct evhttp_request *req, const char *tail, void *ctx)
{
    (void)tail;
    sb_service *s = ctx;
    json_t *body = json_object(), *list = json_array();
    int ready = 1;
    for (size_t i = 0; i < s->nconsumers; i++) {
        int partitions = 0, assigned = sb_consumer_assigned(s->consumers[i], &partitions);
        ready = ready && assigned;
        json_array_append_new(list, json_pack("{s:s, s:b, s:i, s:I}", "group",
                                              sb_consumer_group(s->consumers[i]), "assigned",
                                              assigned, "partitions", partitions, "assignments",
                                              (json_int_t)sb_consumer_assignments(s->consumers[i])));
    }
    json_object_set_new(body, "service", json_string(s->cfg.service));
    json_object_set_new(body, "status", json_string(ready ? "ready" : "joining"));
    json_object_set_new(body, "consumers", list);
    sb_http_reply_json(req, ready ? 200 : 503, body);
}

int sb_service_watch_consumer(sb_service *s, sb_consumer *c)
{
    if (s->nconsumers == SB_SERVICE_MAX_CONSUMERS)
        return -1;
    s->consumers[s->nconsumers++] = c;
    return 0;
}

void sb_service_unwatch_consumer(sb_service *s, sb_consumer *c)
{
    for (size_t i = 0; i < s->nconsumers; i++) {
        if (s->consumers[i] == c) {
            s->consumers[i] = s->consumers[--s->nconsumers];
            return;
        }
    }
}

/* Connect PostgreSQL and bring the schema up to date. */
static int service_open_pg(sb_service *s)
{
    s->pg = sb_pg_connect(s->cfg.pg_dsn, 30);
    if (!s->pg)
        return -1;
    if (sb_pg_migrate(s->pg, s->cfg.sql_dir) != 0) {
        sb_error("startup", "migrations in %s failed", s->cfg.sql_dir);
        return -1;
    }
    return 0;
}

int sb_service_init(sb_service *s, const char *name, const char *default_http_addr, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    sb_error err;
    sb_error_clear(&err);
    sb_log_init(name, SB_LOG_INFO);
    if (sb_config_load(&s->cfg, name, default_http_addr, &err) != 0) {
        sb_error("config", "%s", err.message);
        return -1;
    }
    sb_log_init(name, s->cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    s->base = event_base_new();
    s->metrics = sb_metrics_new("sb");
    if (!s->base || !s->metrics) {
        sb_error("startup", "cannot create the event loop");
        return -1;
    }
    /* Each service's connections name it in pg_stat_activity (libpq reads PGAPPNAME), so a
     * slow query or a busy backend says whose it is. */
    setenv("PGAPPNAME", s->cfg.service, 0);
    if ((flags & SB_SVC_PG) && service_open_pg(s) != 0)
        return -1;
    if (flags & SB_SVC_PRODUCER) {
        sb_producer_opts po = {SB_PRODUCER_MAX_QUEUED, (int)s->cfg.kafka_linger_ms,
                               (int)s->cfg.kafka_timeout_ms};
        s->producer = sb_producer_new(s->base, s->cfg.kafka_brokers, &po, s->metrics, &err);
        if (!s->producer) {
            sb_error("startup", "%s", err.message);
            return -1;
        }
    }
    s->http = sb_http_new(s->base, s->cfg.http_host, s->cfg.http_port, SB_HTTP_MAX_BODY,
                          s->metrics, &err);
    if (!s->http) {
        sb_error("startup", "%s", err.message);
        return -1;
    }
    sb_http_set_health(s->http, service_health, s);
    if (sb_http_route(s->http, "GET", "/readyz", service_ready_handler, s) != 0) {
        sb_error("startup", "cannot route /readyz");
        return -1;
    }
    s->sig_int = evsignal_new(s->base, SIGINT, service_on_signal, s);
    s->sig_term = evsignal_new(s->base, SIGTERM, service_on_signal, s);
    event_add(s->sig_int, NULL);
    event_add(s->sig_term, NULL);
    return 0;
}

int sb_service_background(sb_service *s, int default_nice)
{
    int nice;
    if (sb_priority_config(default_nice, &nice) != 0)
        return -1;
    if (nice == 0)
        return 0;
    sb_priority_lower_self(nice);   /* best effort: failures are logged */
    sb_priority_lower_backend(s->pg, nice);
    sb_info("priority", "%s runs in the background at nice %d", s->cfg.service, nice);
    return 0;
}

int sb_service_run(sb_service *s)
{
    sb_info("started", "%s listening on %s:%d", s->cfg.service, s->cfg.http_host,
            sb_http_port(s->http));
    int rc = event_base_dispatch(s->base);
    return rc < 0 ? -1 : 0;
}

int sb_service_consume(sb_service *s, const char *group, const char *const *topics,
                       size_t ntopics, size_t max_batch, sb_batch_cb cb, void *ctx,
                       sb_consumer **consumer)
{
    sb_error err;
    *consumer = sb_consumer_new(s->base, s->cfg.kafka_brokers, group, topics, ntopics, max_batch,
                                cb, ctx, s->metrics, &err);
    if (!*consumer) {
        sb_error("startup", "%s", err.message);
        return -1;
    }
    if (s->producer)
        sb_consumer_set_deadletter(*consumer, s->producer);
    sb_service_watch_consumer(s, *consumer);   /* the first one: cannot be full */
    int rc = sb_service_run(s);
    /* Delivery reports of the batch in flight complete it on the consumer: flush first. */
    if (s->producer && sb_producer_flush(s->producer, 10000) != 0)
        sb_warn("shutdown", "events still undelivered; their batch will be replayed");
    sb_service_unwatch_consumer(s, *consumer);
    sb_consumer_free(*consumer);
    *consumer = NULL;
    return rc;
}

void sb_service_reject_if_input(sb_consumer *c, const sb_pg *pg)
{
    if (sb_pg_failure_transient(pg))
        return;
    char reason[96];
    snprintf(reason, sizeof(reason), "PostgreSQL refused the input (SQLSTATE %s)",
             sb_pg_last_sqlstate(pg));
    sb_consumer_batch_reject(c, reason);
}

void sb_service_close(sb_service *s)
{
    if (s->sig_int)
        event_free(s->sig_int);
    if (s->sig_term)
        event_free(s->sig_term);
    /* Producer first: its last delivery reports may still answer requests the server holds. */
    sb_producer_free(s->producer);
    sb_http_free(s->http);
    sb_pg_free(s->pg);
    sb_metrics_free(s->metrics);
    if (s->base)
        event_base_free(s->base);
    memset(s, 0, sizeof(*s));
}
