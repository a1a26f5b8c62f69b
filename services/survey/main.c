/* main.c - sb-survey: surveys for resolved tickets (sb.tickets.v1) and their public pages. */
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/service.h"
#include "services/survey/survey.h"

int main(void)
{
    sb_service s;
    if (sb_service_init(&s, "survey", "127.0.0.1:8082", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        survey_answer_routes(&s) != 0) {
        sb_service_close(&s);
        return 1;
    }
    survey_create create;
    survey_create_init(&create, s.metrics);
    static const char *const topics[] = {SB_TOPIC_TICKETS};
    sb_error err;
    sb_event_consumer *ec = sb_event_consumer_new(&s, "survey", topics, 1, &survey_create_ops,
                                                  &create, &err);
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
