/* fuzz_survey_answer.c - the body of POST /v1/surveys/{token} through its validation
 * (services/survey/body.c): what is accepted is one of the four ratings with a comment within
 * its limit; what is refused is a 400 naming a field. */
#define FUZZ_NAME "fuzz_survey_answer"
#include "fuzz.h"

#include "common/json.h"
#include "services/survey/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *body = sb_json_parse_object((const char *)data, size, &err);
    if (!body) {
        CHECK(err.status == 400 || err.status == 413, "status %d", err.status);
        return 0;
    }
    survey_answer a;
    sb_error_clear(&err);
    if (survey_answer_read(body, &a, &err) == 0) {
        static const char *const ok[] = {"very_satisfied", "satisfied", "neutral",
                                         "dissatisfied", NULL};
        CHECK(sb_json_one_of(a.rating, ok), "rating '%s'", a.rating);
        CHECK(a.satisfied == (!strcmp(a.rating, "very_satisfied") ||
                              !strcmp(a.rating, "satisfied")), "satisfied");
        CHECK(!a.comment || (strlen(a.comment) <= SURVEY_COMMENT_MAX &&
                             a.comment[strspn(a.comment, " \t\r\n")] != '\0'), "comment");
    } else {
        CHECK(err.status == 400, "status %d", err.status);
        CHECK(err.code[0] && err.message[0] && err.field[0], "code/message/field empty");
    }
    json_decref(body);
    return 0;
}
