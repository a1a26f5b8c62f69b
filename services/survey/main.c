/* main.c - sb-survey: schedules a survey per resolved ticket (sb.tickets.v1), sends and expires
 * the signed links in its due-survey loop, serves the public pages and closes the loop. */
#include "common/event_consumer.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/service.h"
#include "services/survey/survey.h"

/* How often the outbox relay looks for events to publish (sending and answering also kick it). */
#define SURVEY_OUTBOX_INTERVAL_MS 200

/* The consumer and the loop, until SIGINT/SIGTERM. */
static int survey_run(sb_service *s, survey_ctx *x)
{
    static const char *const topics[] = {SB_TOPIC_TICKETS};
    sb_error err;
    struct event *loop = survey_loop_start(x);
    if (!loop) {
        sb_error("startup", "cannot start the due-survey loop");
        return -1;
    }
    sb_event_consumer *ec = sb_event_consumer_new(s, "survey", topics, 1, &survey_create_ops, x,
                                                  &err);
    if (!ec) {
        sb_error("startup", "consumer: %s", err.message);
        event_free(loop);
        return -1;
    }
    int rc = sb_service_run(s);
    sb_event_consumer_free(ec);
    event_free(loop);
    return rc;
}

int main(void)
{
    sb_service s;
    survey_config cfg;
    /* Surveys go out minutes after a resolution: a peak's seconds of lag are harmless. */
    if (sb_service_init(&s, "survey", "127.0.0.1:8082", SB_SVC_PG | SB_SVC_PRODUCER) != 0 ||
        sb_service_background(&s, 10) != 0 || survey_config_load(&cfg, &s.cfg) != 0) {
        sb_service_close(&s);
        return 1;
    }
    /* Sending, answering and reopening change PostgreSQL and announce it (DESIGN.md). */
    sb_outbox_relay *relay = sb_outbox_relay_new(s.base, s.pg, s.producer,
                                                 SURVEY_OUTBOX_INTERVAL_MS, s.metrics);
    survey_ctx x;
    survey_ctx_init(&x, &s, &cfg, relay);
    int rc = relay && survey_answer_routes(&x) == 0 ? survey_run(&s, &x) : -1;
    sb_outbox_relay_free(relay);
    sb_service_close(&s);
    return rc == 0 ? 0 : 1;
}
