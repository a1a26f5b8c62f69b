/* test_survey_token.c - survey's signed link token and answer body (services/survey/token.c,
 * body.c): round trip, every kind of tampering refused, the body's fields named. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "services/survey/body.h"
#include "services/survey/token.h"

static const char SECRET[] = "0123456789abcdef-test-secret";
static const char ID[] = "6f1c2a7e-3b4d-5e6f-8a9b-0c1d2e3f4a5b";
#define EXP 1795946400000LL

/* A token for ID expiring at EXP. */
static void make(char out[SURVEY_TOKEN_MAX + 1])
{
    cr_assert_eq(survey_token_sign(SECRET, strlen(SECRET), ID, EXP, out, SURVEY_TOKEN_MAX + 1), 0);
}

static survey_token_rc verify(const char *tok, survey_token *out)
{
    return survey_token_verify(SECRET, strlen(SECRET), tok, strlen(tok), out);
}

Test(survey_token, round_trip_gives_back_id_and_expiry)
{
    char tok[SURVEY_TOKEN_MAX + 1];
    survey_token t;
    make(tok);
    cr_assert_eq(strlen(tok), 32 + 1 + 13 + 1 + 43, "%s", tok);
    cr_assert_eq(strspn(tok, "0123456789abcdefABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_."),
                 strlen(tok), "URL-safe: %s", tok);
    cr_assert_eq(verify(tok, &t), SURVEY_TOKEN_OK);
    cr_assert_str_eq(t.survey_id, ID);
    cr_assert_eq(t.expires_ms, EXP);
    /* Deterministic: the same survey and expiry sign the same. */
    char again[SURVEY_TOKEN_MAX + 1];
    make(again);
    cr_assert_str_eq(tok, again);
}

Test(survey_token, tampering_is_a_bad_signature)
{
    char tok[SURVEY_TOKEN_MAX + 1], bad[SURVEY_TOKEN_MAX + 1];
    survey_token t;
    make(tok);
    /* Every single-character change of the id, expiry or signature is refused. */
    for (size_t i = 0; i < strlen(tok); i++) {
        if (tok[i] == '.')
            continue;
        strcpy(bad, tok);
        bad[i] = bad[i] == '1' ? '2' : '1';
        survey_token_rc rc = verify(bad, &t);
        cr_assert(rc == SURVEY_TOKEN_BAD_SIGNATURE || rc == SURVEY_TOKEN_MALFORMED,
                  "changed at %zu: %d", i, rc);
    }
    /* A later expiry with the old signature. */
    strcpy(bad, tok);
    bad[33] = '9';
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_BAD_SIGNATURE);
    /* Another secret. */
    cr_assert_eq(survey_token_verify("another-secret-of-16", 20, tok, strlen(tok), &t),
                 SURVEY_TOKEN_BAD_SIGNATURE);
}

Test(survey_token, malformed_shapes)
{
    char tok[SURVEY_TOKEN_MAX + 1], bad[2 * SURVEY_TOKEN_MAX];
    survey_token t;
    make(tok);
    static const char *const junk[] = {"", "abc", "6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b",
                                       "6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b..", NULL};
    for (size_t i = 0; junk[i]; i++)
        cr_assert_eq(verify(junk[i], &t), SURVEY_TOKEN_MALFORMED, "'%s'", junk[i]);
    /* Upper-case id, a leading zero, a sign, padding, a trailing byte, a truncation. */
    strcpy(bad, tok);
    bad[0] = 'A';
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_MALFORMED);
    snprintf(bad, sizeof(bad), "%.33s0%s", tok, tok + 33);
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_MALFORMED);
    snprintf(bad, sizeof(bad), "%.33s-%s", tok, tok + 33);
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_MALFORMED);
    snprintf(bad, sizeof(bad), "%s=", tok);
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_MALFORMED);
    bad[strlen(tok) - 1] = '\0';
    cr_assert_eq(verify(bad, &t), SURVEY_TOKEN_MALFORMED);
    /* A NUL inside is not the end of the token. */
    strcpy(bad, tok);
    bad[40] = '\0';
    cr_assert_eq(survey_token_verify(SECRET, strlen(SECRET), bad, strlen(tok), &t),
                 SURVEY_TOKEN_MALFORMED);
}

Test(survey_token, sign_refuses_bad_arguments)
{
    char out[SURVEY_TOKEN_MAX + 1];
    cr_assert_eq(survey_token_sign(SECRET, strlen(SECRET), "not-a-uuid", EXP, out, sizeof(out)), -1);
    cr_assert_eq(survey_token_sign(SECRET, strlen(SECRET), ID, 0, out, sizeof(out)), -1);
    cr_assert_eq(survey_token_sign(SECRET, 0, ID, EXP, out, sizeof(out)), -1);
    cr_assert_eq(survey_token_sign(SECRET, strlen(SECRET), ID, EXP, out, 10), -1);
}

/* The body read, or the field its error names. */
static const char *answer(const char *text, survey_answer *a)
{
    static char field[64];
    sb_error err;
    sb_error_clear(&err);
    json_t *body = json_loads(text, 0, NULL);
    cr_assert_not_null(body, "%s", text);
    int rc = survey_answer_read(body, a, &err);
    snprintf(field, sizeof(field), "%s", rc == 0 ? "" : err.field);
    if (rc != 0)
        cr_assert_eq(err.status, 400);
    json_decref(body);
    return field;
}

Test(survey_body, fields_are_named)
{
    survey_answer a;
    cr_assert_str_eq(answer("{}", &a), "rating");
    cr_assert_str_eq(answer("{\"rating\":\"great\"}", &a), "rating");
    cr_assert_str_eq(answer("{\"rating\":5}", &a), "rating");
    cr_assert_str_eq(answer("{\"rating\":\"neutral\",\"comment\":7}", &a), "comment");
    cr_assert_str_eq(answer("{\"rating\":\"neutral\",\"score\":7}", &a), "score");
    cr_assert_str_eq(answer("{\"rating\":\"neutral\",\"comment\":null}", &a), "");
    cr_assert_null(a.comment);
}

Test(survey_body, satisfied_and_comment)
{
    survey_answer a;
    json_t *b = json_pack("{s:s, s:s}", "rating", "very_satisfied", "comment", "  \n ");
    sb_error err;
    cr_assert_eq(survey_answer_read(b, &a, &err), 0);
    cr_assert(a.satisfied);
    cr_assert_null(a.comment, "white space only is no comment");
    json_decref(b);
    b = json_pack("{s:s, s:s}", "rating", "dissatisfied", "comment", "too slow");
    cr_assert_eq(survey_answer_read(b, &a, &err), 0);
    cr_assert(!a.satisfied);
    cr_assert_str_eq(a.comment, "too slow");
    json_decref(b);
    char big[SURVEY_COMMENT_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    b = json_pack("{s:s, s:s}", "rating", "neutral", "comment", big);
    cr_assert_eq(survey_answer_read(b, &a, &err), -1);
    cr_assert_str_eq(err.field, "comment");
    json_decref(b);
}

/* A known answer computed outside C (Python's hmac): the token really is HMAC-SHA256 over
 * "sb-survey-link:v1:<id>.<expiry>", base64url without padding. */
Test(survey_token, known_answer)
{
    static const char secret[] = "fuzz-survey-secret-0123456789";
    static const char tok[] = "6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b.1795946400000."
                              "ceY7JXcL75frJ_I8RBuTzbtq7bqHBLMkxEHQN5FQH2Q";
    char out[SURVEY_TOKEN_MAX + 1];
    survey_token t;
    cr_assert_eq(survey_token_sign(secret, strlen(secret), ID, EXP, out, sizeof(out)), 0);
    cr_assert_str_eq(out, tok);
    cr_assert_eq(survey_token_verify(secret, strlen(secret), tok, strlen(tok), &t),
                 SURVEY_TOKEN_OK);
}
