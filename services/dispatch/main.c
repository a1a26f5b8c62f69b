/* main.c - sb-dispatch: ticket events become department commands (intake), and the replica that
 * owns a department places its tickets with its agents or in its queue (placer). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.h"
#include "common/config.h"
#include "common/log.h"
#include "common/service.h"

#define DISPATCH_MAX_BATCH 500
/* How often the outbox relay looks for decisions the roster refresh queued (it is also kicked). */
#define DISPATCH_OUTBOX_INTERVAL_MS 500

/* Reload the organisation; free agents then take waiting work (duty or capacity changed). */
static void dispatch_on_refresh(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dispatch_ctx *cx = arg;
    if (sb_pg_ensure(cx->pg) != 0 || roster_refresh(cx->pg, &cx->roster) != 0) {
        sb_warn("roster_refresh", "organisation not reloaded; keeping the previous one");
        return;
    }
    placer_drain_all(cx);
}

/* Metrics, the roster and this replica's name (it stamps the partitions it owns). */
static int dispatch_ctx_init(dispatch_ctx *cx, sb_service *s)
{
    memset(cx, 0, sizeof(*cx));
    cx->pg = s->pg;
    cx->producer = s->producer;
    char host[64] = "?";
    gethostname(host, sizeof(host) - 1);
    snprintf(cx->owner_name, sizeof(cx->owner_name), "%s:%ld", host, (long)getpid());
    sb_metrics *m = s->metrics;
    cx->c_assigned = sb_metrics_counter(m, "dispatch_assigned", "Tickets given to an agent", NULL);
    cx->c_queued = sb_metrics_counter(m, "dispatch_queued", "Tickets put in a department's queue", NULL);
    cx->c_handoffs = sb_metrics_counter(m, "dispatch_handoffs", "Waiting tickets taken by a freed agent", NULL);
    cx->c_reoffers = sb_metrics_counter(m, "dispatch_reoffers", "Tickets re-offered after an acknowledgement timeout", NULL);
    cx->c_replays = sb_metrics_counter(m, "dispatch_replays", "Commands seen again", NULL);
    cx->c_commands = sb_metrics_counter(m, "dispatch_commands", "Commands applied by the placer", NULL);
    cx->c_stale = sb_metrics_counter(m, "dispatch_stale", "Decisions or batches refused: ticket moved on, or partition taken over", NULL);
    cx->c_deadletters = sb_metrics_counter(m, "dispatch_deadletters", "Events dead-lettered", NULL);
    cx->c_held = sb_metrics_counter(m, "dispatch_intake_held", "Times intake waited for the placer to catch up", NULL);
    cx->g_waiting = sb_metrics_gauge(m, "dispatch_waiting", "Tickets waiting in the owned departments' queues", NULL);
    return roster_load(s->pg, &cx->roster);
}

/* Both stages' consumers, the refresh timer and the relay; then the loop. */
static int dispatch_run(sb_service *s, dispatch_ctx *cx)
{
    sb_error err;
    long refresh_ms = 5000, max_lag = 10000;
    if (sb_config_int("SB_DISPATCH_REFRESH_MS", 5000, 50, 3600000, &refresh_ms, &err) != 0 ||
        sb_config_int("SB_DISPATCH_MAX_LAG", 10000, 0, 10000000, &max_lag, &err) != 0) {
        sb_error("startup", "%s", err.message);
        return -1;
    }
    const char *tickets[] = {SB_TOPIC_TICKETS}, *commands[] = {SB_TOPIC_DISPATCH};
    cx->intake = sb_consumer_new(s->base, s->cfg.kafka_brokers, "dispatch", tickets, 1,
                                 DISPATCH_MAX_BATCH, intake_on_batch, cx, s->metrics, &err);
    cx->placer = cx->intake ? sb_consumer_new(s->base, s->cfg.kafka_brokers, "dispatch-placer",
                                              commands, 1, DISPATCH_MAX_BATCH, placer_on_batch, cx,
                                              s->metrics, &err) : NULL;
    cx->relay = sb_outbox_relay_new(s->base, s->pg, s->producer, DISPATCH_OUTBOX_INTERVAL_MS,
                                    s->metrics);
    struct timeval tv = {refresh_ms / 1000, (refresh_ms % 1000) * 1000};
    struct event *refresh = event_new(s->base, -1, EV_PERSIST, dispatch_on_refresh, cx);
    cx->max_lag = max_lag;
    cx->intake_wait = evtimer_new(s->base, intake_on_wait, cx);
    int rc = -1;
    if (!cx->intake || !cx->placer || !cx->relay || !refresh || !cx->intake_wait) {
        sb_error("startup", "%s", cx->intake && cx->placer ? "out of memory" : err.message);
    } else {
        sb_consumer_set_deadletter(cx->intake, s->producer);
        sb_consumer_set_deadletter(cx->placer, s->producer);
        sb_consumer_on_rebalance(cx->placer, ownership_on_rebalance, cx);
        sb_service_watch_consumer(s, cx->intake);   /* two of SB_SERVICE_MAX_CONSUMERS */
        sb_service_watch_consumer(s, cx->placer);
        event_add(refresh, &tv);
        rc = sb_service_run(s);
        sb_service_unwatch_consumer(s, cx->placer);
        sb_service_unwatch_consumer(s, cx->intake);
        if (sb_producer_flush(s->producer, 10000) != 0)
            sb_warn("shutdown", "events still undelivered; their batch will be replayed");
    }
    if (refresh)
        event_free(refresh);
    if (cx->intake_wait)
        event_free(cx->intake_wait);
    sb_consumer_free(cx->placer);
    sb_consumer_free(cx->intake);
    sb_outbox_relay_free(cx->relay);
    return rc;
}

int main(void)
{
    sb_service s;
    dispatch_ctx cx;
    if (sb_service_init(&s, "dispatch", "127.0.0.1:8085", SB_SVC_PG | SB_SVC_PRODUCER) != 0)
        return 1;
    int rc = 1;
    if (dispatch_ctx_init(&cx, &s) == 0) {
        rc = dispatch_run(&s, &cx) == 0 ? 0 : 1;
        ownership_free(&cx);
        roster_free(&cx.roster);
    }
    sb_service_close(&s);
    return rc;
}
