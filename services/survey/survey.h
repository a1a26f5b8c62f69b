/* survey.h - survey's two halves: rows created from resolved tickets, answers over HTTP. */
#ifndef SURVEY_H
#define SURVEY_H

#include "common/event_consumer.h"
#include "common/metrics.h"
#include "common/service.h"

typedef struct survey_create {
    sb_counter *c_created;
    long        pending;      /* rows inserted by the open transaction */
} survey_create;

void survey_create_init(survey_create *c, sb_metrics *m);
/* Plug into sb_event_consumer_new with a survey_create as ctx. */
extern const sb_event_consumer_ops survey_create_ops;

/* GET and POST /v1/surveys/{token}. 0 or -1. */
int survey_answer_routes(sb_service *s);

#endif
