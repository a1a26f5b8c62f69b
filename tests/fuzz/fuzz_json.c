/* fuzz_json.c - outside JSON bodies through sb_json_parse_object and the field readers (incl. survey answers). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"

#define FUZZ_NAME "fuzz_json"
#include "tests/fuzz/fuzz.h"

/* sb_json_get_str's contract for obj[key]; returns the string or NULL. */
static const char *check_get_str(const json_t *obj, const char *prefix, const char *key,
                                 int required, size_t maxlen)
{
    const char *s = (const char *)1;
    sb_error err;
    sb_error_clear(&err);
    int rc = sb_json_get_str(obj, prefix, key, required, maxlen, &s, &err);
    json_t *v = json_object_get(obj, key);
    if (rc == 0) {
        CHECK(err.status == 0, "success with an error set");
        if (!v || json_is_null(v)) {
            CHECK(!required && s == NULL, "absent %s read as present", key);
        } else {
            CHECK(s && s == json_string_value(v), "%s: not the member's own string", key);
            CHECK(strlen(s) == json_string_length(v), "%s: a NUL cut the string", key);
            CHECK(!maxlen || strlen(s) <= maxlen, "%s: longer than %zu", key, maxlen);
        }
        return s;
    }
    CHECK(rc == -1 && s == NULL, "failure with an out value");
    CHECK(err.status == 400 && err.code[0] && err.message[0], "bad error %d", err.status);
    char field[64];
    snprintf(field, sizeof field, "%s%s", prefix, key);
    CHECK(strcmp(err.field, field) == 0, "error names %s, not %s", err.field, field);
    return NULL;
}

/* sb_json_get_obj's contract for obj[key]. */
static const json_t *check_get_obj(const json_t *obj, const char *key, int required)
{
    json_t *o = (json_t *)1;
    sb_error err;
    sb_error_clear(&err);
    int rc = sb_json_get_obj(obj, "", key, required, &o, &err);
    char field[64];   /* sb_error.field keeps the first 63 bytes of the path */
    snprintf(field, sizeof field, "%s", key);
    if (rc == 0) {
        CHECK(o == NULL || json_is_object(o), "%s: not an object", key);
        CHECK(o || !required, "%s: required but absent", key);
        return o;
    }
    CHECK(o == NULL && err.status == 400 && strcmp(err.field, field) == 0, "bad error for %s",
          key);
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *v = sb_json_parse_object((const char *)data, size, &err);
    if (!v) {
        CHECK(err.status == 400 && strcmp(err.code, "invalid_json") == 0 && err.message[0],
              "parse failure without invalid_json");
        return 0;
    }
    CHECK(json_is_object(v), "parsed a non-object");

    /* Survey answers (services/survey/answer.c survey_read_answer reads exactly these). */
    check_get_str(v, "", "rating", 1, 32);
    check_get_str(v, "", "comment", 0, 2000);
    /* Ingest's members and a nested object, as normalize reads them. */
    check_get_str(v, "", "channel", 1, 0);
    check_get_str(v, "", "text", 0, 64 * 1024);
    const json_t *c = check_get_obj(v, "customer", 0);
    if (c) {
        check_get_str(c, "customer.", "phone", 0, 0);
        check_get_str(c, "customer.", "email", 0, 254);
    }
    check_get_obj(v, "hints", 1);
    /* Every member, whatever its name, through both readers and the unchecked one. */
    const char *key;
    json_t *m;
    json_object_foreach(v, key, m) {
        const char *s = check_get_str(v, "a.rather.long.prefix.to.push.the.field.path.", key, 1,
                                      8);
        CHECK(!s || sb_json_str(v, key) == s, "sb_json_str disagrees on %s", key);
        check_get_obj(v, key, 1);
    }

    /* What we parse, we can write back and read again to the same value. */
    char *text = sb_json_dump(v);
    CHECK(text, "cannot dump a parsed object");
    sb_error_clear(&err);
    json_t *again = sb_json_parse_object(text, strlen(text), &err);
    CHECK(again && json_equal(v, again), "dump does not parse back: %s", err.message);
    json_decref(again);
    free(text);
    json_decref(v);
    return 0;
}
