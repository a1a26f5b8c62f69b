/* body.c - validation of the survey answer's JSON body. */
#include "services/survey/body.h"

#include <string.h>

#include "common/json.h"

static const char *const survey_ratings[] = {"very_satisfied", "satisfied", "neutral",
                                             "dissatisfied", NULL};
static const char *const survey_body_keys[] = {"rating", "comment", NULL};

int survey_answer_read(const json_t *body, survey_answer *out, sb_error *err)
{
    memset(out, 0, sizeof(*out));
    if (sb_json_only_keys(body, survey_body_keys, "", err) != 0 ||
        sb_json_get_str(body, "", "rating", 1, 32, &out->rating, err) != 0)
        return -1;
    if (!sb_json_one_of(out->rating, survey_ratings))
        return sb_error_set(err, 400, "invalid_field", "rating",
                            "rating must be very_satisfied, satisfied, neutral or dissatisfied");
    if (sb_json_get_str(body, "", "comment", 0, SURVEY_COMMENT_MAX, &out->comment, err) != 0)
        return -1;
    /* An empty comment box is no comment: has_comment stays honest. */
    if (out->comment && out->comment[strspn(out->comment, " \t\r\n")] == '\0')
        out->comment = NULL;
    out->satisfied = !strcmp(out->rating, "very_satisfied") || !strcmp(out->rating, "satisfied");
    return 0;
}
