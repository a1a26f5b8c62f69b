/* body.h - the survey answer's body {"rating","comment"}: validated into a plain struct, so the
 * HTTP handler and the fuzz harness check it the same way. */
#ifndef SURVEY_BODY_H
#define SURVEY_BODY_H

#include <jansson.h>
#include "common/error.h"

#define SURVEY_COMMENT_MAX 2000   /* bytes */

typedef struct survey_answer {
    const char *rating;       /* very_satisfied, satisfied, neutral or dissatisfied */
    const char *comment;      /* NULL when absent, null or only white space */
    int         satisfied;    /* very_satisfied or satisfied */
} survey_answer;

/* Reads body (strings point into it). 0, or -1 with err: 400 naming rating, comment or an
 * unknown member. */
int survey_answer_read(const json_t *body, survey_answer *out, sb_error *err);

#endif
