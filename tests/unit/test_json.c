/* test_json.c - field readers with named errors, compact dumps, strict object parsing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

/* Parses a literal that must succeed. */
static json_t *obj(const char *text)
{
    sb_error err = {0};
    json_t *o = sb_json_parse_object(text, strlen(text), &err);
    cr_assert_not_null(o, "%s: %s", text, err.message);
    return o;
}

Test(json, get_str_present)
{
    json_t *o = obj("{\"text\":\"hello\",\"customer\":{\"phone\":\"138\"}}");
    const char *s = NULL;
    sb_error err = {0};
    cr_assert_eq(sb_json_get_str(o, "", "text", 1, 100, &s, &err), 0);
    cr_assert_str_eq(s, "hello");
    cr_assert_eq(err.status, 0);
    json_decref(o);
}

Test(json, get_str_missing_or_null)
{
    json_t *o = obj("{\"a\":null}");
    const char *s = "x";
    sb_error err = {0};
    cr_assert_eq(sb_json_get_str(o, "", "a", 0, 10, &s, &err), 0);
    cr_assert_null(s);
    cr_assert_eq(sb_json_get_str(o, "", "b", 0, 10, &s, &err), 0);
    cr_assert_null(s);
    cr_assert_eq(sb_json_get_str(o, "customer.", "a", 1, 10, &s, &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.code, "missing_field");
    cr_assert_str_eq(err.field, "customer.a");
    json_decref(o);
}

Test(json, get_str_wrong_type)
{
    json_t *o = obj("{\"n\":5,\"o\":{},\"b\":true}");
    const char *s;
    const char *keys[] = {"n", "o", "b"};
    for (int i = 0; i < 3; i++) {
        sb_error err = {0};
        cr_assert_eq(sb_json_get_str(o, "p.", keys[i], 0, 10, &s, &err), -1);
        cr_assert_eq(err.status, 400);
        cr_assert_str_eq(err.code, "invalid_field");
        cr_assert_eq(strncmp(err.field, "p.", 2), 0);
    }
    json_decref(o);
}

Test(json, get_str_length_limit_in_bytes)
{
    /* "张三" is 6 bytes of UTF-8. */
    json_t *o = obj("{\"name\":\"\\u5f20\\u4e09\"}");
    const char *s;
    sb_error err = {0};
    cr_assert_eq(sb_json_get_str(o, "", "name", 1, 6, &s, &err), 0);
    cr_assert_eq(sb_json_get_str(o, "", "name", 1, 5, &s, &err), -1);
    cr_assert_str_eq(err.code, "field_too_long");
    cr_assert_str_eq(err.field, "name");
    json_decref(o);
}

Test(json, get_str_rejects_embedded_nul)
{
    json_t *o = json_object();
    json_object_set_new(o, "s", json_stringn("a\0b", 3));
    const char *s;
    sb_error err = {0};
    cr_assert_eq(sb_json_get_str(o, "", "s", 1, 10, &s, &err), -1);
    cr_assert_str_eq(err.code, "invalid_field");
    json_decref(o);
}

Test(json, get_obj)
{
    json_t *o = obj("{\"customer\":{\"id\":\"1\"},\"text\":\"x\"}");
    json_t *c = NULL;
    sb_error err = {0};
    cr_assert_eq(sb_json_get_obj(o, "", "customer", 1, &c, &err), 0);
    cr_assert_str_eq(sb_json_str(c, "id"), "1");
    cr_assert_eq(sb_json_get_obj(o, "", "hints", 0, &c, &err), 0);
    cr_assert_null(c);
    cr_assert_eq(sb_json_get_obj(o, "", "hints", 1, &c, &err), -1);
    cr_assert_str_eq(err.code, "missing_field");
    cr_assert_eq(sb_json_get_obj(o, "", "text", 0, &c, &err), -1);
    cr_assert_str_eq(err.code, "invalid_field");
    cr_assert_str_eq(err.field, "text");
    json_decref(o);
}

Test(json, str_is_lenient)
{
    json_t *o = obj("{\"a\":\"x\",\"n\":1}");
    cr_assert_str_eq(sb_json_str(o, "a"), "x");
    cr_assert_null(sb_json_str(o, "n"));
    cr_assert_null(sb_json_str(o, "missing"));
    cr_assert_null(sb_json_str(NULL, "a"));
    json_decref(o);
}

Test(json, only_keys_names_the_first_unknown_member)
{
    static const char *const known[] = {"id", "name", NULL};
    json_t *o = obj("{\"id\":\"1\",\"name\":\"x\"}");
    sb_error err = {0};
    cr_assert_eq(sb_json_only_keys(o, known, "customer.", &err), 0);
    json_decref(o);
    o = obj("{\"id\":\"1\",\"nmae\":\"x\"}");
    cr_assert_eq(sb_json_only_keys(o, known, "customer.", &err), -1);
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.code, "unknown_field");
    cr_assert_str_eq(err.field, "customer.nmae");
    json_decref(o);
    /* A member named "" still gets a field to name. */
    o = obj("{\"\":1}");
    cr_assert_eq(sb_json_only_keys(o, known, "", &err), -1);
    cr_assert_str_eq(err.field, "\"\"");
    json_decref(o);
}

Test(json, dump_is_compact_and_keeps_order)
{
    json_t *o = json_pack("{s:i,s:s,s:[i,i]}", "z", 1, "a", "b", "l", 1, 2);
    char *s = sb_json_dump(o);
    cr_assert_str_eq(s, "{\"z\":1,\"a\":\"b\",\"l\":[1,2]}");
    free(s);
    json_decref(o);
    json_t *str = json_string("x");
    s = sb_json_dump(str);
    cr_assert_str_eq(s, "\"x\"");
    free(s);
    json_decref(str);
    cr_assert_null(sb_json_dump(NULL));
}

Test(json, parse_reports_position)
{
    sb_error err = {0};
    const char *text = "{\n  \"a\": 1,\n  \"b\": }";
    cr_assert_null(sb_json_parse_object(text, strlen(text), &err));
    cr_assert_eq(err.status, 400);
    cr_assert_str_eq(err.code, "invalid_json");
    cr_assert_not_null(strstr(err.message, "line 3"), "%s", err.message);
    cr_assert_not_null(strstr(err.message, "column"), "%s", err.message);
}

Test(json, parse_rejects_duplicates_non_objects_and_junk)
{
    const char *bad[] = {"{\"a\":1,\"a\":2}", "[1,2]", "\"s\"", "42", "", "{} x", "{\"a\":1",
                         "{\"a\":\"\\u0000\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_error err = {0};
        cr_assert_null(sb_json_parse_object(bad[i], strlen(bad[i]), &err), "accepted %s", bad[i]);
        cr_assert_str_eq(err.code, "invalid_json");
        cr_assert_eq(err.status, 400);
    }
    sb_error err = {0};
    cr_assert_null(sb_json_parse_object("[]", 2, &err));
    cr_assert_str_eq(err.message, "expected an object");
}

Test(json, parse_honours_length)
{
    sb_error err = {0};
    const char *text = "{\"a\":1}garbage";
    json_t *o = sb_json_parse_object(text, 7, &err);
    cr_assert_not_null(o);
    json_decref(o);
}

Test(json, escape_byte_covers_quotes_backslash_and_controls_and_passes_utf8)
{
    char tmp[8];
    cr_expect_str_eq(sb_json_escape_byte('"', tmp), "\\\"");
    cr_expect_str_eq(sb_json_escape_byte('\\', tmp), "\\\\");
    cr_expect_str_eq(sb_json_escape_byte('\n', tmp), "\\n");
    cr_expect_str_eq(sb_json_escape_byte(0x01, tmp), "\\u0001");
    cr_expect_str_eq(sb_json_escape_byte(0x1f, tmp), "\\u001f");
    cr_expect_null(sb_json_escape_byte('a', tmp));
    cr_expect_null(sb_json_escape_byte(0xe7, tmp), "UTF-8 lead bytes pass through");
    cr_expect_null(sb_json_escape_byte('/', tmp));
}
