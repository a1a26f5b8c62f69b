/* fuzz_survey_token.c - the survey link's token parser (services/survey/token.c) on any path
 * tail: never crashes; what verifies re-signs to exactly the same token, so nothing but what
 * the secret signed can ever be accepted. */
#define FUZZ_NAME "fuzz_survey_token"
#include "fuzz.h"

#include "services/survey/token.h"

static const char SECRET[] = "fuzz-survey-secret-0123456789";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    survey_token t;
    char again[SURVEY_TOKEN_MAX + 1];
    survey_token_rc rc = survey_token_verify(SECRET, sizeof(SECRET) - 1, (const char *)data,
                                             size, &t);
    CHECK(rc == SURVEY_TOKEN_OK || rc == SURVEY_TOKEN_MALFORMED ||
          rc == SURVEY_TOKEN_BAD_SIGNATURE, "rc %d", (int)rc);
    if (rc == SURVEY_TOKEN_OK) {
        CHECK(survey_token_sign(SECRET, sizeof(SECRET) - 1, t.survey_id, t.expires_ms, again,
                                sizeof(again)) == 0, "accepted token does not re-sign");
        CHECK(strlen(again) == size && memcmp(again, data, size) == 0, "accepted '%s'", again);
    }
    /* The input's first 36 bytes as an id: signing either refuses it or yields a token that
     * verifies back to the same id and expiry. */
    if (size >= 36) {
        char id[37];
        memcpy(id, data, 36);
        id[36] = '\0';
        int64_t exp = size > 36 ? (int64_t)data[36] * 1000003 + 1 : 1;
        if (survey_token_sign(SECRET, sizeof(SECRET) - 1, id, exp, again, sizeof(again)) == 0) {
            CHECK(survey_token_verify(SECRET, sizeof(SECRET) - 1, again, strlen(again), &t) ==
                  SURVEY_TOKEN_OK, "own token refused: %s", again);
            CHECK(t.expires_ms == exp, "expiry");
        }
    }
    return 0;
}
