/* main.c - sb-sla: consumes sb.tickets.v1 and keeps each ticket's SLA timers in sla_timers. */
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/service.h"
#include "services/sla/timers.h"

int main(void)
{
    sb_service s;
    if (sb_service_init(&s, "sla", "127.0.0.1:8086", SB_SVC_PG | SB_SVC_PRODUCER) != 0) {
        sb_service_close(&s);
        return 1;
    }
    sla_timers timers;
    sla_timers_init(&timers, s.metrics);
    static const char *const topics[] = {SB_TOPIC_TICKETS};
    sb_error err;
    sb_event_consumer *ec = sb_event_consumer_new(&s, "sla", topics, 1, &sla_timers_ops, &timers,
                                                  &err);
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
