/* main.c - sb-analytics: roll-ups of sb.tickets.v1 and sb.inbound.v1, reports, the dashboard. */
#include "common/auth.h"
#include "common/config.h"
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/service.h"
#include "services/analytics/analytics.h"

int main(void)
{
    sb_service s;
    if (sb_service_init(&s, "analytics", "127.0.0.1:8083", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        sb_auth_seed_admin_from_env(s.pg) != 0 || analytics_report_routes(&s) != 0 ||
        analytics_dashboard_routes(&s) != 0) {
        sb_service_close(&s);
        return 1;
    }
    analytics_rollup rollup;
    analytics_rollup_init(&rollup, s.metrics);
    /* One group over both topics: inbound messages and ticket events feed the same roll-ups. */
    static const char *const topics[] = {SB_TOPIC_INBOUND, SB_TOPIC_TICKETS};
    sb_error err;
    sb_event_consumer *ec = sb_event_consumer_new(&s, "analytics", topics, 2,
                                                  &analytics_rollup_ops, &rollup, &err);
    if (!ec) {
        sb_error("startup", "consumer: %s", err.message);
        sb_service_close(&s);
        return 1;
    }
    int rc = sb_service_run(&s);
    sb_event_consumer_free(ec);
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
