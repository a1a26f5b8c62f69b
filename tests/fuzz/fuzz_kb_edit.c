/* fuzz_kb_edit.c - bodies of desk's POST /v1/kb/articles/{id} through the edit validation:
 * what it accepts keeps every limit; what it refuses is a 400 naming a field, in an error that
 * can be written as JSON. */
#define FUZZ_NAME "fuzz_kb_edit"
#include "fuzz.h"

#include "common/json.h"
#include "services/desk/kb_body.h"

/* An accepted edit: something to change, and every value within its limits. */
static void check_accepted(const json_t *body, const sb_kb_edit *e)
{
    CHECK(json_object_size(body) > 0, "an empty body was accepted");
    CHECK(!e->title || (strlen(e->title) <= SB_KB_TITLE_MAX && strspn(e->title, " \t\r\n") <
                        strlen(e->title)), "title '%s'", e->title);
    CHECK(!e->solution || strlen(e->solution) <= SB_KB_SOLUTION_MAX, "solution too long");
    CHECK(!e->category || desk_kb_word_valid(e->category), "category '%s'", e->category);
    CHECK(!e->subtopic || !*e->subtopic || desk_kb_word_valid(e->subtopic), "subtopic '%s'",
          e->subtopic);
    CHECK(!e->set_tags || e->ntags <= SB_KB_TAGS_MAX, "%zu tags", e->ntags);
    for (size_t i = 0; e->set_tags && i < e->ntags; i++)
        CHECK(*e->tags[i] && strlen(e->tags[i]) <= SB_KB_TAG_MAX, "tag %zu '%s'", i, e->tags[i]);
}

/* A refused edit: a 400 whose error object encodes (as sb_http_reply_error builds it). */
static void check_refused(const sb_error *err)
{
    CHECK(err->status == 400, "status %d", err->status);
    CHECK(err->code[0], "no code");
    json_t *out = json_pack("{s:{s:s, s:s, s:s}}", "error", "code", err->code, "message",
                            err->message, "field", err->field);
    CHECK(out != NULL, "the error cannot be written as JSON (field '%s')", err->field);
    json_decref(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    sb_kb_edit e;
    const char *tags[SB_KB_TAGS_MAX];
    sb_error err;
    sb_error_clear(&err);
    if (desk_kb_edit_parse(body, &e, tags, &err) == 0)
        check_accepted(body, &e);
    else
        check_refused(&err);
    json_decref(body);
    return 0;
}
