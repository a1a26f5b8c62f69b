/* main.c - sb-analytics: facts and roll-ups of sb.tickets.v1 and sb.inbound.v1, reports, anomalies, the dashboard. */
#include "common/auth.h"
#include "common/config.h"
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/service.h"
#include "services/analytics/analytics.h"

#define ANALYTICS_OUTBOX_INTERVAL_MS 1000

int main(void)
{
    sb_service s;
    /* Reports may lag a peak by seconds; tickets may not wait for reports. */
    if (sb_service_init(&s, "analytics", "127.0.0.1:8083", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        sb_service_background(&s, 10) != 0 ||
        sb_auth_seed_admin_from_env(s.pg) != 0 || analytics_report_routes(&s) != 0 ||
        analytics_dashboard_routes(&s) != 0) {
        sb_service_close(&s);
        return 1;
    }
    analytics_rollup rollup;
    analytics_rollup_init(&rollup, s.metrics);
    /* Anomaly notices are queued in the batch's transaction and published by the relay. */
    rollup.relay = sb_outbox_relay_new(s.base, s.pg, s.producer, ANALYTICS_OUTBOX_INTERVAL_MS,
                                       s.metrics);
    if (!rollup.relay) {
        sb_service_close(&s);
        return 1;
    }
    /* One group over both topics: inbound messages and ticket events feed the same roll-ups. */
    static const char *const topics[] = {SB_TOPIC_INBOUND, SB_TOPIC_TICKETS};
    sb_error err;
    sb_event_consumer *ec = sb_event_consumer_new(&s, "analytics", topics, 2,
                                                  &analytics_rollup_ops, &rollup, &err);
    if (!ec) {
        sb_error("startup", "consumer: %s", err.message);
        sb_outbox_relay_free(rollup.relay);
        sb_service_close(&s);
        return 1;
    }
    int rc = sb_service_run(&s);
    sb_event_consumer_free(ec);
    sb_outbox_relay_free(rollup.relay);
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
