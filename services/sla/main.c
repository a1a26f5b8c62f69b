/* main.c - sb-sla: consumes sb.tickets.v1, keeps each ticket's SLA timers in sla_timers, watches
 * them in memory and escalates an unacknowledged assignment (published through the outbox). */
#include <string.h>

#include "common/config.h"
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/service.h"
#include "services/sla/at_risk.h"
#include "services/sla/timers.h"
#include "services/sla/watch.h"

/* What the rebalance callback needs. */
typedef struct sla_rebalance {
    sla_watch   *watch;
    sb_consumer *consumer;
    int32_t      npartitions;   /* of sb.tickets.v1; 0 until the first assignment asks */
} sla_rebalance;

/* How often the outbox relay looks for escalations to publish (firing also kicks it). */
#define SLA_OUTBOX_INTERVAL_MS 200

/* sb.tickets.v1 partitions taken or given up: the watch fires only the clocks of its own. */
static void sla_on_rebalance(void *ctx, int assigned,
                             const rd_kafka_topic_partition_list_t *parts)
{
    sla_rebalance *r = ctx;
    int32_t own[parts->cnt > 0 ? parts->cnt : 1];
    int n = 0;
    for (int i = 0; i < parts->cnt; i++)
        if (strcmp(parts->elems[i].topic, SB_TOPIC_TICKETS) == 0)
            own[n++] = parts->elems[i].partition;
    if (assigned && r->npartitions <= 0)
        r->npartitions = sb_consumer_partition_count(r->consumer, SB_TOPIC_TICKETS);
    sla_watch_partitions(r->watch, assigned, own, n, r->npartitions);
    sb_info("sla_partitions", "%s %d of %d partition(s)", assigned ? "took" : "gave up", n,
            (int)r->npartitions);
}

/* The consumer, with the watch loaded first: nothing armed before a crash or restart is lost. */
static int sla_run(sb_service *s, sla_watch *watch)
{
    sla_timers timers;
    sla_timers_init(&timers, s->metrics, watch);
    static const char *const topics[] = {SB_TOPIC_TICKETS};
    sb_error err;
    if (sla_watch_load(watch) != 0) {
        sb_error("startup", "cannot load the armed timers");
        return -1;
    }
    sb_event_consumer *ec = sb_event_consumer_new(s, "sla", topics, 1, &sla_timers_ops, &timers,
                                                  &err);
    if (!ec) {
        sb_error("startup", "consumer: %s", err.message);
        return -1;
    }
    sla_rebalance r = {.watch = watch, .consumer = sb_event_consumer_kafka(ec)};
    sb_consumer_on_rebalance(r.consumer, sla_on_rebalance, &r);
    int rc = sb_service_run(s);
    sb_event_consumer_free(ec);
    sla_timers_close(&timers);
    return rc;
}

/* SB_SLA_URGE_EVERY_MS, SB_SLA_URGE_MAX, SB_SLA_TICK_MS, SB_SLA_AT_RISK_EVERY_MS,
 * SB_SLA_RATE_WINDOW_MS into *cfg; 0 or -1 (logged). */
static int sla_config(sla_watch_cfg *cfg)
{
    long every, max, tick, risk_every, window;
    sb_error err;
    if (sb_config_int("SB_SLA_AT_RISK_EVERY_MS", 60000, 50, 3600000, &risk_every, &err) != 0 ||
        sb_config_int("SB_SLA_RATE_WINDOW_MS", 3600000, 60000, 86400000, &window, &err) != 0 ||
        sb_config_int("SB_SLA_URGE_EVERY_MS", 3600000, 1000, 86400000L * 7, &every, &err) != 0 ||
        sb_config_int("SB_SLA_URGE_MAX", 3, 0, 100, &max, &err) != 0 ||
        sb_config_int("SB_SLA_TICK_MS", 60000, 10, 60000, &tick, &err) != 0) {
        sb_error("startup", "%s", err.message);
        return -1;
    }
    cfg->urge_every_ms = every;
    cfg->urge_max = (int)max;
    cfg->tick_ms = tick;
    cfg->at_risk_every_ms = risk_every;
    cfg->rate_window_ms = window;
    return 0;
}

int main(void)
{
    sb_service s;
    /* Deadlines are minutes to days away: arming a clock a few seconds late at a peak is
     * harmless, so classify and dispatch go first (mildly: sla still escalates on time). */
    if (sb_service_init(&s, "sla", "127.0.0.1:8086", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        sb_service_background(&s, 5) != 0) {
        sb_service_close(&s);
        return 1;
    }
    /* Escalations change PostgreSQL and announce it through the outbox (DESIGN.md). */
    sb_outbox_relay *relay = sb_outbox_relay_new(s.base, s.pg, s.producer,
                                                 SLA_OUTBOX_INTERVAL_MS, s.metrics);
    sla_watch_cfg cfg;
    sla_watch *watch = relay && sla_config(&cfg) == 0
                           ? sla_watch_new(s.base, s.pg, relay, s.metrics, &cfg) : NULL;
    sla_at_risk *risk = watch ? sla_at_risk_new(s.base, s.pg, relay, watch, s.metrics,
                                                cfg.at_risk_every_ms, cfg.rate_window_ms)
                              : NULL;
    int rc = risk ? sla_run(&s, watch) : -1;
    sla_at_risk_free(risk);
    sla_watch_free(watch);
    sb_outbox_relay_free(relay);
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
