/* test_schema.c - the JSON Schema subset validator, and every proto/ schema against examples. */
#ifndef _GNU_SOURCE
#define _XOPEN_SOURCE 700   /* nftw() under -std=c11 */
#endif
#include <criterion/criterion.h>
#include <ftw.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* ---------------------------------------------------------------- helpers */

/* Parses JSON test text, failing the test on a typo. */
static json_t *J(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!v)
        cr_assert_fail("bad JSON in test (%s at %d): %s", e.text, e.column, text);
    return v;
}

/* Validates instance text against schema text; returns the result and fills err. */
static int check(const char *schema, const char *instance, char *err, size_t errlen)
{
    json_t *s = J(schema), *i = J(instance);
    int rc = sb_schema_validate(s, i, err, errlen);
    json_decref(s);
    json_decref(i);
    return rc;
}

/* Asserts instance is valid against schema. */
static void assert_valid(const char *schema, const char *instance)
{
    char err[512];
    cr_expect_eq(check(schema, instance, err, sizeof err), 0, "%s should be valid against %s: %s",
                 instance, schema, err);
}

/* Asserts instance is invalid against schema and err contains expect. */
static void assert_invalid(const char *schema, const char *instance, const char *expect)
{
    char err[512];
    cr_expect_eq(check(schema, instance, err, sizeof err), -1, "%s should be invalid against %s",
                 instance, schema);
    cr_expect(strstr(err, expect) != NULL, "error '%s' should contain '%s'", err, expect);
}

/* The proto/ directory: SB_PROTO_DIR (set by CTest), else the source tree. */
static const char *proto_dir(void)
{
    const char *d = getenv("SB_PROTO_DIR");
#ifdef SB_SOURCE_DIR
    if (!d || !*d)
        d = SB_SOURCE_DIR "/proto";
#endif
    return d && *d ? d : "proto";
}

/* Loads proto/<rel>, failing the test when it does not load. */
static json_t *load_proto(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", proto_dir(), rel);
    json_t *s = sb_schema_load(path);
    if (!s)
        cr_assert_fail("cannot load %s", path);
    return s;
}

/* ---------------------------------------------------------------- validator: keywords */

Test(validator, type_single)
{
    assert_valid("{\"type\":\"string\"}", "\"x\"");
    assert_invalid("{\"type\":\"string\"}", "1", "/: expected type string, got integer");
    assert_valid("{\"type\":\"object\"}", "{}");
    assert_invalid("{\"type\":\"object\"}", "[]", "expected type object, got array");
    assert_valid("{\"type\":\"array\"}", "[]");
    assert_valid("{\"type\":\"boolean\"}", "false");
    assert_invalid("{\"type\":\"boolean\"}", "null", "got null");
    assert_valid("{\"type\":\"null\"}", "null");
    assert_valid("{\"type\":\"number\"}", "1.5");
    assert_valid("{\"type\":\"number\"}", "7");
    assert_invalid("{\"type\":\"number\"}", "\"7\"", "got string");
}

Test(validator, type_integer_accepts_integral_reals)
{
    assert_valid("{\"type\":\"integer\"}", "3");
    assert_valid("{\"type\":\"integer\"}", "3.0");
    assert_invalid("{\"type\":\"integer\"}", "3.5", "expected type integer, got number");
}

Test(validator, type_array_of_names)
{
    const char *s = "{\"type\":[\"string\",\"null\"]}";
    assert_valid(s, "\"a\"");
    assert_valid(s, "null");
    assert_invalid(s, "1", "expected type string|null, got integer");
}

Test(validator, required)
{
    const char *s = "{\"type\":\"object\",\"required\":[\"a\",\"b\"]}";
    assert_valid(s, "{\"a\":1,\"b\":null}");
    assert_invalid(s, "{\"a\":1}", "/b: required property missing");
    assert_valid("{\"required\":[\"a\"]}", "[1]");   /* required applies to objects only */
}

Test(validator, properties_nested_paths)
{
    const char *s = "{\"properties\":{\"a\":{\"properties\":{\"b\":{\"type\":\"integer\"}}}}}";
    assert_valid(s, "{\"a\":{\"b\":1},\"c\":\"free\"}");
    assert_invalid(s, "{\"a\":{\"b\":\"x\"}}", "/a/b: expected type integer");
}

Test(validator, path_segments_are_escaped)
{
    assert_invalid("{\"properties\":{\"a/b~c\":{\"type\":\"integer\"}}}", "{\"a/b~c\":\"x\"}",
           "/a~1b~0c: expected type integer");
}

Test(validator, additional_properties)
{
    const char *closed = "{\"properties\":{\"a\":{}},\"additionalProperties\":false}";
    assert_valid(closed, "{\"a\":1}");
    assert_invalid(closed, "{\"a\":1,\"x\":2}", "/x: additional property not allowed");
    assert_valid("{\"properties\":{\"a\":{}},\"additionalProperties\":true}", "{\"a\":1,\"x\":2}");
}

Test(validator, additional_properties_schema_is_outside_the_subset)
{
    assert_invalid("{\"additionalProperties\":{\"type\":\"string\"}}", "{}",
           "additionalProperties must be a boolean");
}

Test(validator, enum_values)
{
    const char *s = "{\"enum\":[\"P1\",\"P2\",\"P3\",null]}";
    assert_valid(s, "\"P2\"");
    assert_valid(s, "null");
    assert_invalid(s, "\"P4\"", "/: value not in enum");
    assert_invalid(s, "\"p1\"", "value not in enum");
    assert_valid("{\"enum\":[1,[1,{\"a\":2}]]}", "1.0");
    assert_valid("{\"enum\":[1,[1,{\"a\":2}]]}", "[1,{\"a\":2.0}]");
    assert_invalid("{\"enum\":[1,[1,{\"a\":2}]]}", "[1,{\"a\":3}]", "value not in enum");
}

Test(validator, const_value)
{
    assert_valid("{\"const\":\"opened\"}", "\"opened\"");
    assert_invalid("{\"const\":\"opened\"}", "\"closed\"", "/: value does not equal const");
    assert_invalid("{\"const\":\"1\"}", "1", "value does not equal const");
    assert_valid("{\"const\":{\"a\":[true]}}", "{\"a\":[true]}");
}

Test(validator, pattern_search_and_anchors)
{
    assert_valid("{\"pattern\":\"b\"}", "\"abc\"");             /* unanchored search */
    assert_invalid("{\"pattern\":\"^b\"}", "\"abc\"", "/: string does not match pattern '^b'");
    assert_valid("{\"pattern\":\"^b\"}", "5");                  /* strings only */
}

Test(validator, pattern_digit_escapes)
{
    const char *s = "{\"pattern\":\"^\\\\d{3}-\\\\D$\"}";
    assert_valid(s, "\"123-x\"");
    assert_invalid(s, "\"12a-x\"", "does not match");
    assert_invalid(s, "\"123-4\"", "does not match");
}

Test(validator, pattern_class_escapes)
{
    assert_valid("{\"pattern\":\"^\\\\w+\\\\s\\\\S$\"}", "\"a_1 x\"");
    assert_invalid("{\"pattern\":\"^\\\\w+$\"}", "\"a-b\"", "does not match");
    assert_invalid("{\"pattern\":\"^\\\\W$\"}", "\"a\"", "does not match");
    assert_valid("{\"pattern\":\"^[\\\\d.]+$\"}", "\"1.2.3\"");
    assert_invalid("{\"pattern\":\"^[\\\\d.]+$\"}", "\"1,2\"", "does not match");
    assert_valid("{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+$\"}", "\"a@b\"");
    assert_invalid("{\"pattern\":\"^[^@\\\\s]+@[^@\\\\s]+$\"}", "\"a b@c\"", "does not match");
    /* POSIX brackets have no escapes: literal ']', '-', '^' are moved where POSIX wants them */
    assert_valid("{\"pattern\":\"^[\\\\w\\\\-\\\\]]+$\"}", "\"a-]b\"");
    assert_valid("{\"pattern\":\"^[a\\\\^]+$\"}", "\"^a\"");
    assert_valid("{\"pattern\":\"^[\\\\^]$\"}", "\"^\"");
    assert_valid("{\"pattern\":\"^[a-c-]+$\"}", "\"a-c\"");
    assert_invalid("{\"pattern\":\"^[a-c-]+$\"}", "\"d\"", "does not match");
}

Test(validator, pattern_literal_escapes)
{
    assert_valid("{\"pattern\":\"^a\\\\.b\\\\+c\\\\/d$\"}", "\"a.b+c/d\"");
    assert_invalid("{\"pattern\":\"^a\\\\.b$\"}", "\"axb\"", "does not match");
    assert_valid("{\"pattern\":\"^a\\\\tb$\"}", "\"a\\tb\"");
}

Test(validator, pattern_unsupported_or_broken_is_a_schema_error)
{
    assert_invalid("{\"pattern\":\"\\\\bword\"}", "\"word\"", "schema error: pattern");
    assert_invalid("{\"pattern\":\"(\"}", "\"x\"", "schema error: pattern '(' does not compile");
    assert_invalid("{\"pattern\":\"[abc\"}", "\"x\"", "unterminated bracket");
    assert_invalid("{\"pattern\":1}", "\"x\"", "pattern must be a string");
}

Test(validator, length_counts_code_points)
{
    assert_valid("{\"maxLength\":2}", "\"\xe5\xbc\xa0\xe4\xb8\x89\"");          /* 2 CJK: 6 bytes */
    assert_invalid("{\"maxLength\":2}", "\"abc\"", "/: string longer than maxLength 2 (3 code points)");
    assert_valid("{\"minLength\":1}", "\"\xe2\x80\xa6\"");
    assert_invalid("{\"minLength\":1}", "\"\"", "string shorter than minLength 1");
    assert_valid("{\"minLength\":3}", "17");                                  /* strings only */
    assert_invalid("{\"maxLength\":-1}", "\"\"", "maxLength must be an integer >= 0");
}

Test(validator, items_and_counts)
{
    const char *s = "{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}";
    assert_valid(s, "[\"a\"]");
    assert_valid(s, "[\"a\",\"b\"]");
    assert_invalid(s, "[]", "fewer than minItems 1");
    assert_invalid(s, "[\"a\",\"b\",\"c\"]", "more than maxItems 2");
    assert_invalid(s, "[\"a\",3]", "/1: expected type string");
    assert_invalid("{\"properties\":{\"l\":{\"items\":{\"required\":[\"x\"]}}}}", "{\"l\":[{\"x\":1},{}]}",
           "/l/1/x: required property missing");
}

Test(validator, minimum_maximum)
{
    const char *s = "{\"minimum\":0,\"maximum\":10}";
    assert_valid(s, "0");
    assert_valid(s, "10");
    assert_valid(s, "9.5");
    assert_invalid(s, "-1", "/: value below minimum 0");
    assert_invalid(s, "10.5", "value above maximum 10");
    assert_invalid("{\"minimum\":0.5}", "0", "value below minimum 0.5");
    assert_valid("{\"maximum\":9223372036854775807}", "9223372036854775807");
    assert_invalid("{\"maximum\":9223372036854775806}", "9223372036854775807", "above maximum");
    assert_valid(s, "\"100\"");                                              /* numbers only */
}

Test(validator, ref_to_defs_with_siblings)
{
    const char *s = "{\"$defs\":{\"id\":{\"type\":\"string\",\"pattern\":\"^[0-9]+$\"}},"
                    "\"properties\":{\"a\":{\"$ref\":\"#/$defs/id\",\"maxLength\":3}}}";
    assert_valid(s, "{\"a\":\"123\"}");
    assert_invalid(s, "{\"a\":\"12x\"}", "/a: string does not match pattern");
    assert_invalid(s, "{\"a\":\"1234\"}", "/a: string longer than maxLength 3");
}

Test(validator, ref_errors)
{
    assert_invalid("{\"$ref\":\"#/$defs/nope\"}", "1", "unresolved $ref '#/$defs/nope'");
    assert_invalid("{\"$defs\":{\"a\":{}},\"$ref\":\"other.json#/$defs/a\"}", "1", "unresolved $ref");
    assert_invalid("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "1",
           "nesting deeper than");
}

Test(validator, unsupported_keywords_are_schema_errors)
{
    assert_invalid("{\"format\":\"uuid\"}", "\"x\"", "schema error: unsupported keyword 'format'");
    assert_invalid("{\"properties\":{\"a\":{\"oneOf\":[]}}}", "{\"a\":1}", "/a: schema error: unsupported keyword 'oneOf'");
    assert_invalid("{\"type\":\"text\"}", "1", "unknown type 'text'");
    assert_valid("{\"title\":\"t\",\"description\":\"d\",\"$comment\":\"c\",\"$id\":\"x\",\"examples\":[1],"
         "\"default\":1,\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}", "1");
}

Test(validator, boolean_schemas)
{
    assert_valid("true", "{\"anything\":1}");
    assert_invalid("{\"properties\":{\"a\":false}}", "{\"a\":1}", "/a: no value is allowed here");
    assert_valid("{\"properties\":{\"a\":false}}", "{}");
}

Test(validator, error_buffer_edges)
{
    json_t *s = J("{\"type\":\"string\"}"), *i = J("1");
    char tiny[8];
    cr_expect_eq(sb_schema_validate(s, i, NULL, 0), -1);
    cr_expect_eq(sb_schema_validate(s, i, tiny, sizeof tiny), -1);
    cr_expect_eq(strlen(tiny), sizeof tiny - 1);
    cr_expect_eq(sb_schema_validate(NULL, i, tiny, sizeof tiny), -1);
    cr_expect_eq(sb_schema_validate(s, NULL, tiny, sizeof tiny), -1);
    json_decref(s);
    json_decref(i);
}

Test(validator, valid_clears_err)
{
    char err[64] = "stale";
    json_t *s = J("{}"), *i = J("1");
    cr_expect_eq(sb_schema_validate(s, i, err, sizeof err), 0);
    cr_expect_str_empty(err);
    json_decref(s);
    json_decref(i);
}

Test(validator, check_walks_the_whole_schema)
{
    char err[256];
    json_t *ok = J("{\"$defs\":{\"a\":{\"type\":\"string\"}},\"items\":{\"$ref\":\"#/$defs/a\"}}");
    json_t *bad_def = J("{\"$defs\":{\"a\":{\"format\":\"date\"}}}");
    json_t *bad_pat = J("{\"properties\":{\"p\":{\"items\":{\"pattern\":\"(\"}}}}");
    json_t *bad_ref = J("{\"properties\":{\"p\":{\"$ref\":\"#/$defs/missing\"}}}");
    cr_expect_eq(sb_schema_check(ok, err, sizeof err), 0, "%s", err);
    cr_expect_eq(sb_schema_check(bad_def, err, sizeof err), -1);
    cr_expect(strstr(err, "/$defs/a: schema error: unsupported keyword 'format'"), "%s", err);
    cr_expect_eq(sb_schema_check(bad_pat, err, sizeof err), -1);
    cr_expect(strstr(err, "/properties/p/items: schema error: pattern"), "%s", err);
    cr_expect_eq(sb_schema_check(bad_ref, err, sizeof err), -1);
    cr_expect(strstr(err, "/properties/p: schema error: unresolved $ref"), "%s", err);
    json_decref(ok);
    json_decref(bad_def);
    json_decref(bad_pat);
    json_decref(bad_ref);
}

Test(validator, validate_file)
{
    char err[512];
    json_t *i = J("{}");
    cr_expect_eq(sb_schema_validate_file("/nonexistent/x.json", i, err, sizeof err), -1);
    cr_expect(strstr(err, "/nonexistent/x.json: cannot load schema"), "%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/http/message_accepted.v1.json", proto_dir());
    cr_expect_eq(sb_schema_validate_file(path, i, err, sizeof err), -1);
    cr_expect(strstr(err, "/message_id: required property missing"), "%s", err);
    json_decref(i);
}

/* ---------------------------------------------------------------- masking patterns */

/* Validates one string against a $defs entry of the inbound schema. */
static int check_def(const char *def, const char *value, char *err, size_t errlen)
{
    json_t *root = load_proto("inbound/inbound_message.v1.json");
    json_t *schema = json_pack("{s:O, s:s+}", "$defs", json_object_get(root, "$defs"), "$ref",
                               "#/$defs/", def);
    json_t *inst = json_string(value);
    int rc = sb_schema_validate(schema, inst, err, errlen);
    json_decref(inst);
    json_decref(schema);
    json_decref(root);
    return rc;
}

Test(masks, phone_masked_is_starred_and_never_shows_five_digits_in_a_row)
{
    char err[512];
    const char *ok[] = { "138****5678", "****78", "", "+86 138****5678", "010****5678", "****" };
    const char *bad[] = { "13812345678", "+8613812345678", "138 12345 678", "12345", "a12345b",
                          "+86 138-1234-5678", "1234-5678", "5", "138****56789", "1381234****" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        cr_expect_eq(check_def("phone_masked", ok[i], err, sizeof err), 0, "'%s': %s", ok[i], err);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(check_def("phone_masked", bad[i], err, sizeof err), -1, "'%s' passed", bad[i]);
}

Test(masks, email_name_id_masks)
{
    char err[512];
    cr_expect_eq(check_def("email_masked", "z***@example.com", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("email_masked", "", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("email_masked", "zhang@example.com", err, sizeof err), -1);
    cr_expect_eq(check_def("email_masked", "zhangsan***@example.com", err, sizeof err), -1);
    cr_expect_eq(check_def("display_name", "\xe5\xbc\xa0**", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("display_name", "Z**", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("display_name", "", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("display_name", "\xe5\xbc\xa0\xe4\xb8\x89", err, sizeof err), -1);
    cr_expect_eq(check_def("display_name", "Zhang**", err, sizeof err), -1);
    cr_expect_eq(check_def("id_masked", "ID-\xe2\x80\xa6" "86", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("id_masked", "110101199001011234", err, sizeof err), -1);
    cr_expect_eq(check_def("customer_key", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                           err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("customer_key", "13812345678", err, sizeof err), -1);
}

Test(masks, uuid_and_timestamp)
{
    char err[512];
    cr_expect_eq(check_def("uuid", "6f1c2a7e-3b4d-5e6f-8a9b-0c1d2e3f4a5b", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("uuid", "6F1C2A7E-3B4D-5E6F-8A9B-0C1D2E3F4A5B", err, sizeof err), -1);
    cr_expect_eq(check_def("uuid", "6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b", err, sizeof err), -1);
    cr_expect_eq(check_def("uuid", "6f1c2a7e-3b4d-5e6f-8a9b-0c1d2e3f4a5b0", err, sizeof err), -1);
    cr_expect_eq(check_def("timestamp", "2026-11-22T10:00:00.123Z", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("timestamp", "2026-11-22T10:00:00Z", err, sizeof err), 0, "%s", err);
    cr_expect_eq(check_def("timestamp", "2026-11-22T10:00:00.123+08:00", err, sizeof err), -1);
    cr_expect_eq(check_def("timestamp", "2026-11-22 10:00:00", err, sizeof err), -1);
}

/* ---------------------------------------------------------------- proto/ schemas */

/* One change to a known-good example: set pointer to value (JSON text), or delete it (NULL). */
typedef struct mutation {
    const char *pointer;    /* "/data/priority"; segments are plain keys or array indexes */
    const char *value;
    const char *expect;     /* substring of the error; NULL for a change that stays valid */
} mutation;

typedef struct proto_case {
    const char     *file;   /* relative to proto/ */
    const char     *good;   /* a known-good instance */
    const mutation *bad;    /* each must fail with its expect; ends with pointer == NULL */
    const mutation *fine;   /* each must still validate; may be NULL */
} proto_case;

/* A deep copy of doc with one mutation applied. */
static json_t *mutate(const json_t *doc, const mutation *m)
{
    json_t *copy = json_deep_copy(doc);
    json_t *parent = copy;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", m->pointer);
    char *seg = buf + 1, *slash;
    while ((slash = strchr(seg, '/'))) {
        *slash = '\0';
        parent = json_is_array(parent) ? json_array_get(parent, strtoul(seg, NULL, 10))
                                       : json_object_get(parent, seg);
        cr_assert_not_null(parent, "no '%s' in %s", seg, m->pointer);
        seg = slash + 1;
    }
    if (json_is_array(parent)) {
        size_t i = strtoul(seg, NULL, 10);
        if (m->value)
            json_array_set_new(parent, i, J(m->value));
        else
            json_array_remove(parent, i);
    } else if (m->value) {
        json_object_set_new(parent, seg, J(m->value));
    } else {
        cr_assert_eq(json_object_del(parent, seg), 0, "nothing to delete at %s", m->pointer);
    }
    return copy;
}

/* The good example validates, every bad mutation fails as expected, every fine one passes. */
static void assert_case(const proto_case *pc)
{
    char err[512];
    json_t *schema = load_proto(pc->file);
    json_t *good = J(pc->good);
    cr_assert_eq(sb_schema_check(schema, err, sizeof err), 0, "%s: %s", pc->file, err);
    cr_assert_eq(sb_schema_validate(schema, good, err, sizeof err), 0, "%s good example: %s",
                 pc->file, err);
    for (const mutation *m = pc->bad; m->pointer; m++) {
        json_t *inst = mutate(good, m);
        cr_expect_eq(sb_schema_validate(schema, inst, err, sizeof err), -1,
                     "%s: %s = %s should be rejected", pc->file, m->pointer,
                     m->value ? m->value : "(deleted)");
        cr_expect(strstr(err, m->expect) != NULL, "%s: %s: error '%s' should contain '%s'",
                  pc->file, m->pointer, err, m->expect);
        json_decref(inst);
    }
    for (const mutation *m = pc->fine; m && m->pointer; m++) {
        json_t *inst = mutate(good, m);
        cr_expect_eq(sb_schema_validate(schema, inst, err, sizeof err), 0,
                     "%s: %s = %s should stay valid: %s", pc->file, m->pointer,
                     m->value ? m->value : "(deleted)", err);
        json_decref(inst);
    }
    json_decref(good);
    json_decref(schema);
}

#define UUID1 "6f1c2a7e-3b4d-5e6f-8a9b-0c1d2e3f4a5b"
#define UUID2 "0b6c9e3a-8d1f-5a27-9c4e-2f7a1b3c5d6e"
#define UUID3 "d2f1e0c9-b8a7-4654-8321-0fedcba98765"
#define KEY   "\"3f2a9c0d1e4b5a6978c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6\""
#define TS1   "\"2026-11-22T10:00:00.123Z\""
#define CUSTOMER "{\"key\":" KEY ",\"display_name\":\"\xe5\xbc\xa0**\",\"phone_masked\":\"138****5678\"," \
                 "\"email_masked\":\"z***@example.com\",\"id_masked\":\"ID-\xe2\x80\xa6" "86\",\"tier\":\"vip\"}"

/* Mistakes every ticket event schema must catch in its envelope. */
#define TICKET_ENVELOPE_BAD \
    { "/event_id", "\"not-a-uuid\"", "/event_id: string does not match pattern" },            \
    { "/ticket_id", "\"" UUID1 "X\"", "/ticket_id: string does not match pattern" },           \
    { "/ticket_number", "\"WX-2026-1\"", "/ticket_number: string does not match pattern" },    \
    { "/ticket_number", "\"XX-20261122-000123\"", "/ticket_number: string does not match" },   \
    { "/occurred_at", "\"2026-11-22 10:00:00\"", "/occurred_at: string does not match" },      \
    { "/foo", "1", "/foo: additional property not allowed" },                                   \
    { "/ticket_id", NULL, "/ticket_id: required property missing" },                           \
    { "/data", NULL, "/data: required property missing" },                                     \
    { "/data", "[]", "/data: expected type object" },                                          \
    { "/type", "\"reopened\"", "/type: value does not equal const" }

static const char INBOUND[] =
    "{\"type\":\"inbound_message\",\"event_id\":\"" UUID1 "\",\"message_id\":\"" UUID1 "\","
    "\"occurred_at\":" TS1 ",\"channel\":\"wechat\",\"external_id\":\"wx-msg-1\","
    "\"received_at\":\"2026-11-22T10:00:00.120Z\",\"customer\":" CUSTOMER ","
    "\"contact_sealed\":\"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJ\","
    "\"text\":\"\xe6\x88\x91\xe7\x9a\x84\xe5\xbf\xab\xe9\x80\x92\xe8\xbf\x98\xe6\xb2\xa1\xe5\x88\xb0\","
    "\"attachments\":[{\"name\":\"photo.jpg\",\"content_type\":\"image/jpeg\",\"size\":123,"
    "\"url\":\"https://files.example/a.jpg\"}],"
    "\"hints\":{\"category\":\"complaint\",\"urgency\":\"high\",\"ivr_path\":\"1-3\",\"order_id\":\"SO-1\"}}";

Test(proto, inbound_message)
{
    static const mutation bad[] = {
        { "/customer/phone_masked", "\"13812345678\"", "/customer/phone_masked: string does not match" },
        { "/customer/email_masked", "\"zhang@example.com\"", "/customer/email_masked: string does not match" },
        { "/customer/display_name", "\"\xe5\xbc\xa0\xe4\xb8\x89\"", "/customer/display_name: string does not match" },
        { "/customer/phone", "\"13812345678\"", "/customer/phone: additional property not allowed" },
        { "/customer/key", "\"abc\"", "/customer/key: string does not match" },
        { "/customer/tier", "\"gold\"", "/customer/tier: value not in enum" },
        { "/customer/key", NULL, "/customer/key: required property missing" },
        { "/event_id", "\"6f1c2a7e-3b4d-5e6f-8a9b\"", "/event_id: string does not match pattern" },
        { "/message_id", "42", "/message_id: expected type string" },
        { "/received_at", "\"2026-11-22T10:00:00.120\"", "/received_at: string does not match" },
        { "/channel", "\"fax\"", "/channel: value not in enum" },
        { "/external_id", "\"\"", "/external_id: string shorter than minLength 1" },
        { "/contact_sealed", "\"not base64!\"", "/contact_sealed: string" },
        { "/attachments/0/size", "-1", "/attachments/0/size: value below minimum 0" },
        { "/attachments/0/content_type", "\"jpeg\"", "/attachments/0/content_type: string does not match" },
        { "/hints/order_id", "7", "/hints/order_id: expected type string" },
        { "/customer", NULL, "/customer: required property missing" },
        { "/source_event_id", "\"" UUID2 "\"", "/source_event_id: additional property not allowed" },
        { "/foo", "1", "/foo: additional property not allowed" },
        { "/type", "\"opened\"", "/type: value does not equal const" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/attachments", NULL, NULL },
        { "/hints", NULL, NULL },
        { "/hints/campaign", "\"1111\"", NULL },
        { "/customer/id_masked", NULL, NULL },
        { "/customer/phone_masked", "\"\"", NULL },
        { "/text", "\"\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "inbound/inbound_message.v1.json", INBOUND, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_opened)
{
    static const char good[] =
        "{\"type\":\"opened\",\"event_id\":\"" UUID2 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID1 "\",\"ticket_id\":\"" UUID3 "\","
        "\"ticket_number\":\"WX-20261122-000123\",\"data\":{\"channel\":\"wechat\","
        "\"message_id\":\"" UUID1 "\",\"received_at\":\"2026-11-22T10:00:00.120Z\","
        "\"subject\":\"where is my parcel\",\"customer\":" CUSTOMER "}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { "/data/customer/phone_masked", "\"13812345678\"", "/data/customer/phone_masked: string does not match" },
        { "/data/customer/email", "\"zhang@example.com\"", "/data/customer/email: additional property not allowed" },
        { "/data/message_id", "\"x\"", "/data/message_id: string does not match" },
        { "/data/channel", "\"WX\"", "/data/channel: value not in enum" },
        { "/data/subject", NULL, "/data/subject: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/kb_suggestions", "[\"kb-1\"]", NULL },
        { "/ticket_number", "\"MP-20261122-1234567\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/opened.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_message_appended)
{
    static const char good[] =
        "{\"type\":\"message_appended\",\"event_id\":\"" UUID2 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID1 "\",\"ticket_id\":\"" UUID3 "\","
        "\"ticket_number\":\"EM-20261122-000007\",\"data\":{\"channel\":\"email\","
        "\"message_id\":\"" UUID1 "\",\"received_at\":\"2026-11-22T10:00:00.120Z\","
        "\"joined_by\":\"thread\",\"excerpt\":\"Re: where is my parcel\",\"customer\":" CUSTOMER "}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/joined_by", "\"guess\"", "/data/joined_by: value not in enum" },
        { "/data/joined_by", NULL, "/data/joined_by: required property missing" },
        { "/data/excerpt", NULL, "/data/excerpt: required property missing" },
        { "/data/customer/phone_masked", "\"13812345678\"", "/data/customer/phone_masked: string does not match" },
        { "/type", "\"opened\"", "/type: value does not equal const" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/joined_by", "\"order\"", NULL },
        { "/data/joined_by", "\"customer\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/message_appended.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_classified)
{
    static const char good[] =
        "{\"type\":\"classified\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WX-20261122-000123\",\"data\":{\"category\":\"complaint\","
        "\"subtopic\":\"logistics-delay\",\"urgency\":\"high\",\"priority\":\"P1\","
        "\"department\":\"quality\",\"explanation\":{\"source\":\"rules\",\"rule_set\":3,"
        "\"rules\":[{\"name\":\"logistics delay\",\"stage\":\"classify\",\"set\":{\"category\":\"complaint\","
        "\"subtopic\":\"logistics-delay\"}},{\"name\":\"VIP + complaint + high urgency\",\"stage\":\"priority\","
        "\"set\":{\"priority\":\"P1\",\"tags\":[\"vip\"]}}],\"tags\":[\"vip\"],"
        "\"priority_reason\":\"VIP + complaint + high urgency\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/priority", "\"P4\"", "/data/priority: value not in enum" },
        { "/data/priority", "\"p1\"", "/data/priority: value not in enum" },
        { "/data/priority", "1", "/data/priority: expected type string" },
        { "/data/priority", "null", "/data/priority: expected type string" },
        { "/data/priority", NULL, "/data/priority: required property missing" },
        { "/data/category", "\"billing\"", "/data/category: value not in enum" },
        { "/data/urgency", "\"urgent\"", "/data/urgency: value not in enum" },
        { "/data/department", "\"\"", "/data/department: string shorter than minLength 1" },
        { "/data/explanation/rules", NULL, "/data/explanation/rules: required property missing" },
        { "/data/explanation/rules/0", "3", "/data/explanation/rules/0: expected type object" },
        { "/data/explanation/rules/0/stage", "\"later\"", "/data/explanation/rules/0/stage: value not in enum" },
        { "/data/explanation/rules/1/set/colour", "\"red\"", "/data/explanation/rules/1/set/colour: additional property not allowed" },
        { "/data/explanation/rule_set", "-1", "/data/explanation/rule_set: value below minimum 0" },
        { "/source_event_id", "\"nope\"", "/source_event_id: string does not match" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/explanation/kb_articles", "[1,2]", NULL },
        { "/data/explanation/rules", "[]", NULL },
        { "/data/explanation/classifier", "{\"model\":2,\"label\":\"complaint/overcharge\",\"confidence\":0.93}", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/classified.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_assigned)
{
    static const char good[] =
        "{\"type\":\"assigned\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"AP-20261122-000001\",\"data\":{\"agent_id\":\"quality-01\","
        "\"department\":\"quality\",\"reason\":\"least_load\",\"ack_due_at\":\"2026-11-22T11:00:00.123Z\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/agent_id", NULL, "/data/agent_id: required property missing" },
        { "/data/agent_id", "\"\"", "/data/agent_id: string shorter than minLength 1" },
        { "/data/ack_due_at", "\"in an hour\"", "/data/ack_due_at: string does not match" },
        { "/data/reason", "null", "/data/reason: expected type string" },
        { "/data/manual", "\"yes\"", "/data/manual: expected type boolean" },
        { "/data/released_agent", "\"\"", "/data/released_agent: string shorter than minLength 1" },
        { "/data/by", "{\"subject\":\"quality-lead\",\"role\":\"robot\"}", "/data/by/role: value not in enum" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/co_departments", "[\"after-sales\"]", NULL },
        { "/data/reoffer", "true", NULL },
        { "/data/decided_by", "\"dispatch\"", NULL },
        { "/data/waited_ms", "1500", NULL },
        /* A supervisor's manual choice from desk: no cause event, the person named. */
        { "/source_event_id", NULL, NULL },
        { "/data/manual", "true", NULL },
        { "/data/released_agent", "\"quality-02\"", NULL },
        { "/data/by", "{\"subject\":\"quality-lead\",\"role\":\"supervisor\"}", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/assigned.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_queued)
{
    static const char good[] =
        "{\"type\":\"queued\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"AP-20261122-000001\",\"data\":{\"department\":\"quality\","
        "\"reason\":\"no on-duty agent of quality with free capacity: waiting\","
        "\"priority\":\"P1\",\"decided_by\":\"dispatch\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/department", NULL, "/data/department: required property missing" },
        { "/data/priority", "\"P9\"", "/data/priority: value not in enum" },
        { "/data/decided_by", "\"desk\"", "/data/decided_by: value not in enum" },
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/released_agent", "\"quality-02\"", NULL },
        { "/data/reoffer", "true", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/queued.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_resolved)
{
    static const char good[] =
        "{\"type\":\"resolved\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"EM-20261122-000042\","
        "\"data\":{\"resolution\":\"partly\",\"solution\":\"Refund issued for the late part.\","
        "\"tags\":[\"refund\",\"logistics\"]}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/resolution", "\"done\"", "/data/resolution: value not in enum" },
        { "/data/resolution", NULL, "/data/resolution: required property missing" },
        { "/data/tags", "\"refund\"", "/data/tags: expected type array" },
        { "/data/tags/1", "\"\"", "/data/tags/1: string shorter than minLength 1" },
        { "/source_event_id", "\"" UUID2 "0\"", "/source_event_id: string does not match" },
        { "/data/released_agent", "null", "/data/released_agent: expected type string" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/source_event_id", "\"" UUID2 "\"", NULL },   /* present when an event caused it */
        { "/data/tags", "[]", NULL },
        { "/data/released_agent", "\"quality-01\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/resolved.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_reclassified)
{
    static const char good[] =
        "{\"type\":\"reclassified\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WB-20261122-000042\","
        "\"data\":{\"before\":{\"category\":\"other\",\"subtopic\":\"unclassified\","
        "\"urgency\":\"medium\",\"priority\":\"P2\",\"department\":\"triage\"},"
        "\"after\":{\"category\":\"complaint\",\"subtopic\":\"overcharge\","
        "\"urgency\":\"high\",\"priority\":\"P1\",\"department\":\"quality\"},"
        "\"reason\":\"charged twice, not a question\","
        "\"by\":{\"subject\":\"triage-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/reason", NULL, "/data/reason: required property missing" },
        { "/data/reason", "\"\"", "/data/reason: string shorter than minLength 1" },
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/by/role", "\"root\"", "/data/by/role: value not in enum" },
        { "/data/after/priority", "\"P0\"", "/data/after/priority: value not in enum" },
        { "/data/before/category", NULL, "/data/before/category: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/before/priority", "\"\"", NULL },   /* never decided before */
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/reclassified.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_acknowledged)
{
    static const char good[] =
        "{\"type\":\"acknowledged\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WB-20261122-000042\","
        "\"data\":{\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/by/role", "\"root\"", "/data/by/role: value not in enum" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/note", "\"extra fields are fine\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/acknowledged.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_status_changed)
{
    static const char good[] =
        "{\"type\":\"status_changed\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WB-20261122-000042\","
        "\"data\":{\"from\":\"acknowledged\",\"to\":\"awaiting_customer\",\"note\":\"asked for a photo\",\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/by/role", "\"root\"", "/data/by/role: value not in enum" },
        { "/data/to", "\"sleeping\"", "/data/to: value not in enum" },
        { "/data/from", NULL, "/data/from: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/note", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/status_changed.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_note_added)
{
    static const char good[] =
        "{\"type\":\"note_added\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WB-20261122-000042\","
        "\"data\":{\"text\":\"prefers calls after 6pm\",\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/by/role", "\"root\"", "/data/by/role: value not in enum" },
        { "/data/text", "\"\"", "/data/text: string shorter than minLength 1" },
        { "/data/text", NULL, "/data/text: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/note_added.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_urged)
{
    static const char good[] =
        "{\"type\":\"urged\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WB-20261122-000042\","
        "\"data\":{\"message\":\"overdue: call today\",\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/by/role", "\"root\"", "/data/by/role: value not in enum" },
        { "/data/message", "1", "/data/message: expected type string" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/message", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/urged.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_urged_by_sla)
{
    static const char good[] =
        "{\"type\":\"urged\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"data\":{\"by\":{\"subject\":\"sla\","
        "\"role\":\"system\"},\"kind\":\"first_response\",\"reminder\":2,"
        "\"due_at\":\"2026-11-22T11:00:00.000Z\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/by/role", "\"robot\"", "/data/by/role: value not in enum" },
        { "/data/reminder", "0", "/data/reminder: value below minimum" },
        { "/data/kind", "\"lunch\"", "/data/kind: value not in enum" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/due_at", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/urged.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_sla_warning)
{
    static const char good[] =
        "{\"type\":\"sla_warning\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"data\":{\"kind\":\"first_response\","
        "\"policy_id\":\"first-response-high\",\"due_at\":\"2026-11-22T12:00:00.000Z\","
        "\"share\":0.75,\"agent_id\":\"quality-01\",\"department\":\"quality\","
        "\"supervisor_id\":\"quality-lead\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/kind", "\"lunch\"", "/data/kind: value not in enum" },
        { "/data/share", "1.5", "/data/share: value above maximum" },
        { "/data/share", NULL, "/data/share: required property missing" },
        { "/data/due_at", "\"soon\"", "/data/due_at: string does not match" },
        { "/data/agent_id", NULL, "/data/agent_id: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/agent_id", "null", NULL },
        { "/data/department", "null", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/sla_warning.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_sla_breached)
{
    static const char good[] =
        "{\"type\":\"sla_breached\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"data\":{\"kind\":\"resolution\","
        "\"policy_id\":\"resolution-urgent-complaint\",\"due_at\":\"2026-11-22T14:00:00.000Z\","
        "\"agent_id\":null,\"department\":\"quality\",\"supervisor_id\":\"quality-lead\","
        "\"business_hours\":false}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/business_hours", "\"no\"", "/data/business_hours: expected type boolean" },
        { "/data/business_hours", NULL, "/data/business_hours: required property missing" },
        { "/data/kind", "\"lunch\"", "/data/kind: value not in enum" },
        { "/data/supervisor_id", "\"\"", "/data/supervisor_id: string shorter than minLength 1" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/agent_id", "\"quality-01\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/sla_breached.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_sla_at_risk)
{
    static const char good[] =
        "{\"type\":\"sla_at_risk\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"data\":{\"kind\":\"first_response\","
        "\"due_at\":\"2026-11-22T12:00:00.000Z\",\"estimated_at\":\"2026-11-22T13:30:00.000Z\","
        "\"queue_ahead\":12,\"handled_per_hour\":4.5,\"department\":\"quality\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/queue_ahead", "-1", "/data/queue_ahead: value below minimum" },
        { "/data/estimated_at", NULL, "/data/estimated_at: required property missing" },
        { "/data/handled_per_hour", "\"fast\"", "/data/handled_per_hour: expected type number" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/note", "\"x\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/sla_at_risk.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, sla_alert)
{
    static const char good[] =
        "{\"type\":\"sla_alert\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"recipient\":\"quality-01\","
        "\"recipient_kind\":\"agent\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"summary\":\"first_response due\","
        "\"alert\":\"warning\",\"kind\":\"first_response\",\"agent_id\":\"quality-01\","
        "\"department\":\"quality\",\"due_at\":\"2026-11-22T12:00:00.000Z\"}";
    static const mutation bad[] = {
        { "/alert", "\"panic\"", "/alert: value not in enum" },
        { "/recipient_kind", "\"customer\"", "/recipient_kind: value not in enum" },
        { "/kind", NULL, "/kind: required property missing" },
        { "/reminder", "0", "/reminder: value below minimum" },
        { "/foo", "1", "/foo: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/agent_id", "null", NULL },
        { "/reminder", "3", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/sla_alert.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, task_notice)
{
    static const char good[] =
        "{\"type\":\"task_notice\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"recipient\":\"quality-01\",\"recipient_kind\":\"agent\","
        "\"ticket_number\":\"WX-20261122-000123\",\"summary\":\"P1 complaint/logistics-delay: acknowledge within 1 h\","
        "\"deadline\":\"2026-11-22T11:00:00.123Z\"}";
    static const mutation bad[] = {
        { "/recipient_kind", "\"manager\"", "/recipient_kind: value not in enum" },
        { "/deadline", "\"soon\"", "/deadline: string does not match" },
        { "/deadline", "0", "/deadline: expected type string|null, got integer" },
        { "/deadline", NULL, "/deadline: required property missing" },
        { "/summary", NULL, "/summary: required property missing" },
        { "/event_id", "\"" UUID1 "-\"", "/event_id: string does not match" },
        { "/ticket_number", "\"WX-20261122-123\"", "/ticket_number: string does not match" },
        { "/phone", "\"13812345678\"", "/phone: additional property not allowed" },
        { "/customer", "{\"name\":\"x\"}", "/customer/phone: required property missing" },
        { "/type", "\"urge\"", "/type: value does not equal const" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/deadline", "null", NULL },
        { "/recipient_kind", "\"customer\"", NULL },
        { "/reason", "\"least open tickets in quality\"", NULL },
        { "/customer", "{\"name\":\"张**\",\"phone\":\"138****5678\",\"email\":\"\","
          "\"tier\":\"vip\",\"masked\":true}", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/task_notice.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_replied)
{
    static const char good[] =
        "{\"type\":\"replied\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WX-20261122-000123\","
        "\"data\":{\"text\":\"Z**您好，工单WX-20261122-000123的退款已发起。\",\"template\":\"refund-zh\","
        "\"language\":\"zh\",\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/text", NULL, "/data/text: required property missing" },
        { "/data/text", "\"\"", "/data/text: string shorter than minLength 1" },
        { "/data/template", NULL, "/data/template: required property missing" },
        { "/data/template", "3", "/data/template: expected type string|null" },
        { "/data/language", "\"fr\"", "/data/language: value not in enum" },
        { "/data/by", NULL, "/data/by: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/template", "null", NULL },     /* free text */
        { "/data/language", "null", NULL },     /* free text on a ticket of unknown language */
        { "/data/language", "\"en\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/replied.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_closed)
{
    static const char good[] =
        "{\"type\":\"closed\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WX-20261122-000124\","
        "\"data\":{\"reason\":\"merged\",\"merged_into\":\"WX-20261122-000123\","
        "\"note\":\"same parcel\",\"released_agent\":\"quality-02\","
        "\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/reason", "\"bored\"", "/data/reason: value not in enum" },
        { "/data/reason", NULL, "/data/reason: required property missing" },
        { "/data/merged_into", "\"123\"", "/data/merged_into: string does not match" },
        { "/data/released_agent", "\"\"", "/data/released_agent: string shorter than minLength 1" },
        { "/data/by", NULL, "/data/by: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/released_agent", NULL, NULL },   /* nobody had it */
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/closed.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_merged)
{
    static const char good[] =
        "{\"type\":\"merged\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WX-20261122-000123\","
        "\"data\":{\"from\":\"WX-20261122-000124\",\"reason\":\"same parcel\","
        "\"by\":{\"subject\":\"quality-01\",\"role\":\"agent\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/from", NULL, "/data/from: required property missing" },
        { "/data/from", "\"yesterday\"", "/data/from: string does not match" },
        { "/data/by/role", "\"customer\"", "/data/by/role: value not in enum" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/reason", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/merged.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_requeued)
{
    static const char good[] =
        "{\"type\":\"requeued\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"ticket_id\":\"" UUID1 "\",\"ticket_number\":\"WX-20261122-000123\","
        "\"data\":{\"department\":\"after-sales\",\"reason\":\"a refund, not a complaint\","
        "\"released_agent\":\"quality-01\",\"by\":{\"subject\":\"quality-lead\",\"role\":\"supervisor\"}}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/data/department", NULL, "/data/department: required property missing" },
        { "/data/department", "\"\"", "/data/department: string shorter than minLength 1" },
        { "/data/reason", "\"\"", "/data/reason: string shorter than minLength 1" },
        { "/data/released_agent", "7", "/data/released_agent: expected type string" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/released_agent", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/requeued.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, customer_reply)
{
    static const char good[] =
        "{\"type\":\"customer_reply\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"recipient\":\"customer:4711\","
        "\"recipient_kind\":\"customer\",\"ticket_number\":\"WX-20261122-000123\","
        "\"text\":\"Hello Z**, your refund has been started.\",\"language\":\"en\"}";
    static const mutation bad[] = {
        { "/recipient", "\"13812345678\"", "/recipient: string does not match" },
        { "/recipient_kind", "\"agent\"", "/recipient_kind: value does not equal const" },
        { "/text", NULL, "/text: required property missing" },
        { "/text", "\"\"", "/text: string shorter than minLength 1" },
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { "/phone", "\"13812345678\"", "/phone: additional property not allowed" },
        { "/type", "\"task_notice\"", "/type: value does not equal const" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/language", "null", NULL },
        { "/language", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/customer_reply.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, ticket_escalated)
{
    static const char good[] =
        "{\"type\":\"escalated\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WB-20261122-000042\",\"data\":{\"kind\":\"acknowledgement\","
        "\"agent_id\":\"quality-01\",\"supervisor_id\":\"quality-lead\",\"department\":\"quality\","
        "\"due_at\":\"2026-11-22T11:00:00.000Z\","
        "\"reason\":\"not acknowledged by quality-01 before 2026-11-22T11:00:00.000Z\"}}";
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { "/data/kind", "\"lunch\"", "/data/kind: value not in enum" },
        { "/data/agent_id", NULL, "/data/agent_id: required property missing" },
        { "/data/supervisor_id", "\"\"", "/data/supervisor_id: string shorter than minLength 1" },
        { "/data/due_at", "\"in an hour\"", "/data/due_at: string does not match" },
        { "/data/department", "null", "/data/department: expected type string" },
        { "/data/reason", NULL, "/data/reason: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/re_offer", "true", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/escalated.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, escalation_notice)
{
    static const char good[] =
        "{\"type\":\"escalation\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"recipient\":\"quality-lead\","
        "\"recipient_kind\":\"supervisor\",\"ticket_id\":\"" UUID1 "\","
        "\"ticket_number\":\"WX-20261122-000123\","
        "\"summary\":\"WX-20261122-000123: quality-01 did not acknowledge by 2026-11-22T11:00:00.000Z\","
        "\"agent_id\":\"quality-01\",\"department\":\"quality\",\"due_at\":\"2026-11-22T11:00:00.000Z\"}";
    static const mutation bad[] = {
        { "/recipient_kind", "\"agent\"", "/recipient_kind: value does not equal const" },
        { "/recipient", "\"\"", "/recipient: string shorter than minLength 1" },
        { "/due_at", "\"soon\"", "/due_at: string does not match" },
        { "/agent_id", NULL, "/agent_id: required property missing" },
        { "/ticket_id", "\"" UUID1 "-\"", "/ticket_id: string does not match" },
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { "/phone", "\"13812345678\"", "/phone: additional property not allowed" },
        { "/type", "\"task_notice\"", "/type: value does not equal const" },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/escalation.v1.json", good, bad, NULL };
    assert_case(&pc);
}

Test(proto, anomaly_notice)
{
    static const char good[] =
        "{\"type\":\"anomaly\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"recipient\":\"supervisors\",\"recipient_kind\":\"supervisors\","
        "\"hour\":\"2026-11-22T10:00:00.000Z\",\"dimension\":\"category\","
        "\"value\":\"complaint/logistics-delay\",\"metric\":\"handle_time\","
        "\"current\":620000.0,\"baseline\":200000.0,\"ratio\":3.1,\"samples\":40,"
        "\"top_dimension\":\"channel\",\"top_value\":\"wechat\",\"top_share\":0.8,"
        "\"summary\":\"category complaint/logistics-delay handle time 3.1\u00d7 baseline, 80 % from channel wechat\"}";
    static const mutation bad[] = {
        { "/metric", "\"speed\"", "/metric: value not in enum" },
        { "/dimension", "\"region\"", "/dimension: value not in enum" },
        { "/top_share", "1.5", "/top_share: value above maximum" },
        { "/samples", "0", "/samples: value below minimum" },
        { "/recipient", "\"agent:ag1\"", "/recipient: value does not equal const" },
        { "/summary", NULL, "/summary: required property missing" },
        { "/customer", "\"138****5678\"", "/customer: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/anomaly.v1.json", good, bad, NULL };
    assert_case(&pc);
}

Test(proto, deadletter)
{
    static const char good[] =
        "{\"type\":\"deadletter\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"consumer\":\"classify\",\"reason\":\"invalid JSON at 1:7\",\"topic\":\"sb.inbound.v1\","
        "\"partition\":17,\"offset\":123456789012,\"payload\":\"{\\\"type\\\":\"}";
    static const mutation bad[] = {
        { "/partition", "-1", "/partition: value below minimum 0" },
        { "/offset", "\"12\"", "/offset: expected type integer, got string" },
        { "/offset", "1.5", "/offset: expected type integer, got number" },
        { "/reason", NULL, "/reason: required property missing" },
        { "/payload_base64", "\"not base64\"", "/payload_base64: string does not match" },
        { "/payload_base64", "\"QUJD=\"", "/payload_base64: string does not match" },
        { "/event_id", "\"" UUID3 "\\n\"", "/event_id: string does not match" },
        { "/key", "\"k\"", "/key: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/payload", "\"\"", NULL },
        { "/payload", NULL, NULL },                               /* with payload_base64 instead */
        { "/payload_base64", "\"/w==\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "deadletter/deadletter.v1.json", good, bad, fine };
    assert_case(&pc);

    /* the payload is truncated to 64 KiB: one more code point is rejected */
    char err[256];
    json_t *schema = load_proto(pc.file), *inst = J(good);
    char *big = malloc(65538);
    memset(big, 'x', 65537);
    big[65537] = '\0';
    json_object_set_new(inst, "payload", json_string(big));
    cr_expect_eq(sb_schema_validate(schema, inst, err, sizeof err), -1);
    cr_expect(strstr(err, "/payload: string longer than maxLength 65536"), "%s", err);
    big[65536] = '\0';
    json_object_set_new(inst, "payload", json_string(big));
    cr_expect_eq(sb_schema_validate(schema, inst, err, sizeof err), 0, "%s", err);
    free(big);
    json_decref(inst);
    json_decref(schema);
}

Test(proto, http_message_request)
{
    static const char good[] =
        "{\"channel\":\"web\",\"external_id\":\"web-42\",\"customer\":{\"id\":\"u-1001\","
        "\"name\":\"Zhang San\",\"phone\":\"+86 138-1234-5678\",\"email\":\"zhang@example.com\",\"tier\":\"regular\"},"
        "\"text\":\"My parcel is late\",\"attachments\":[{\"name\":\"a.png\",\"content_type\":\"image/png\","
        "\"size\":10,\"url\":\"https://x.example/a.png\"}],\"hints\":{\"order_id\":\"SO-9\"}}";
    static const mutation bad[] = {
        { "/channel", "\"fax\"", "/channel: value not in enum" },
        { "/channel", NULL, "/channel: required property missing" },
        { "/external_id", NULL, "/external_id: required property missing" },
        { "/customer/phone", "\"call me\"", "/customer/phone: string does not match" },
        { "/customer/email", "\"zhang\"", "/customer/email: string does not match" },
        { "/customer/tier", "\"VIP\"", "/customer/tier: value not in enum" },
        { "/customer/address", "\"x\"", "/customer/address: additional property not allowed" },
        { "/attachments/0/size", "\"big\"", "/attachments/0/size: expected type integer" },
        { "/attachments/0/name", NULL, "/attachments/0/name: required property missing" },
        { "/attachments", "{}", "/attachments: expected type array" },
        { "/attachments/0/size", "-5", "/attachments/0/size: value below minimum 0" },
        { "/attachments/0/content_type", "\"image\"", "/attachments/0/content_type: string does not match" },
        { "/external_id", "\"\"", "/external_id: string shorter than minLength 1" },
        { "/priority", "\"P1\"", "/priority: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/customer", "{\"phone\":\"13812345678\"}", NULL },
        { "/attachments", NULL, NULL },
        { "/hints", NULL, NULL },
        { "/channel", "\"marketplace\"", NULL },
        { "/text", NULL, NULL },                                  /* attachments carry it */
        { "/attachments/0/size", "null", NULL },
        { "/attachments/0/url", NULL, NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/message_request.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, http_call_record)
{
    static const char good[] =
        "{\"call_id\":\"c-20261122-0001\",\"caller\":\"+86 138 1234 5678\",\"callee\":\"400-820-8820\","
        "\"started_at\":\"2026-11-22T09:58:00Z\",\"duration_s\":184,\"ivr_path\":[\"1\",\"3\",\"2\"],"
        "\"ivr_labels\":[\"\xe5\x94\xae\xe5\x90\x8e\",\"\xe7\x89\xa9\xe6\xb5\x81\",\"\xe5\x82\xac\xe4\xbb\xb6\"],"
        "\"recording_url\":\"https://rec.example/c-1.wav\",\"transcript\":\"my parcel is three days late\","
        "\"language\":\"zh-CN\",\"customer_id\":\"CRM-1\",\"customer_name\":\"Zhang Wei\"}";
    static const mutation bad[] = {
        { "/call_id", NULL, "/call_id: required property missing" },
        { "/call_id", "\"\"", "/call_id: string shorter than minLength 1" },
        { "/caller", NULL, "/caller: required property missing" },
        { "/caller", "\"anonymous\"", "/caller: string does not match" },
        { "/caller", "\"12\"", "/caller: string does not match" },
        { "/caller", "null", "/caller: expected type string" },
        { "/callee", "\"sip:400@pbx\"", "/callee: string does not match" },
        { "/duration_s", "-1", "/duration_s: value below minimum 0" },
        { "/duration_s", "86401", "/duration_s: value above maximum 86400" },
        { "/duration_s", "1.5", "/duration_s: expected type" },
        { "/ivr_path", "12", "/ivr_path: expected type" },
        { "/ivr_path/1", "\"after_sales_queue_2\"", "/ivr_path/1: string longer than maxLength 16" },
        { "/ivr_path/1", "\"\xe5\x94\xae\"", "/ivr_path/1: string does not match" },
        { "/ivr_path", "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\"]",
          "/ivr_path: array has 17 items" },
        { "/ivr_path", "\"1>>2\"", "/ivr_path: string does not match" },
        { "/ivr_path", "\"1>2>3>4>5>6>7>8>9>0>1>2>3>4>5>6>7\"", "/ivr_path: string does not match" },
        { "/ivr_labels/1", "\"\"", "/ivr_labels/1: string shorter than minLength 1" },
        { "/recording_url", "\"ftp://rec.example/c.wav\"", "/recording_url: string does not match" },
        { "/recording_url", "\"https://rec.example/my call.wav\"", "/recording_url: string does not match" },
        { "/language", "\"Chinese\\u0020(Simplified)\"", "/language: string does not match" },
        { "/agent_id", "\"a-7\"", "/agent_id: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/ivr_path", "\" 0 > 9 > # \"", NULL },
        { "/ivr_path", "\"\"", NULL },
        { "/ivr_path", "null", NULL },
        { "/ivr_labels", NULL, NULL },
        { "/callee", "\"\"", NULL },
        { "/duration_s", "184.0", NULL },
        { "/recording_url", NULL, NULL },           /* the transcript carries it */
        { "/transcript", NULL, NULL },              /* the recording carries it */
        { "/language", "\"yue-Hant-HK\"", NULL },
        { "/caller", "\"(021) 6234-5678\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/call_record.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, http_marketplace_event)
{
    static const char good[] =
        "{\"event_id\":\"evt-1\",\"event_type\":\"after_sale_request\",\"shop_id\":\"tm-5521\","
        "\"created_at\":\"2026-11-22T09:41:27+08:00\","
        "\"buyer\":{\"id\":\"b-1\",\"nick\":\"xiaoyu\",\"phone\":\"13812345678\"},"
        "\"order\":{\"id\":\"3920118844771\",\"amount\":\"199.00\",\"currency\":\"CNY\"},"
        "\"message\":{\"text\":\"the lid is cracked\",\"images\":[\"https://img.example/a.jpg\"]}}";
    static const mutation bad[] = {
        { "/event_id", NULL, "/event_id: required property missing" },
        { "/event_type", "\"order_paid\"", "/event_type: value not in enum" },
        { "/buyer", NULL, "/buyer: required property missing" },
        { "/buyer/id", NULL, "/buyer/id: required property missing" },
        { "/buyer/phone", "\"call me\"", "/buyer/phone: string does not match" },
        { "/buyer/level", "\"gold\"", "/buyer/level: additional property not allowed" },
        { "/order/id", NULL, "/order/id: required property missing" },
        { "/order/amount", "199.0", "/order/amount: expected type" },
        { "/order/amount", "\"199.999\"", "/order/amount: string does not match" },
        { "/order/amount", "\"0199\"", "/order/amount: string does not match" },
        { "/order/currency", "\"rmb\"", "/order/currency: string does not match" },
        { "/message", NULL, "/message: required property missing" },
        { "/message/images/0", "\"ftp://img.example/a.jpg\"", "/message/images/0: string does not match" },
        { "/message/images/0", "\"\"", "/message/images/0: string shorter than minLength 1" },
        { "/message/voice", "\"x\"", "/message/voice: additional property not allowed" },
        { "/seller_note", "\"x\"", "/seller_note: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/buyer/phone", "\"138****5678\"", NULL },   /* masked: dropped, not refused */
        { "/order", NULL, NULL },
        { "/order/amount", "\"0.99\"", NULL },
        { "/message/images", NULL, NULL },
        { "/message/text", NULL, NULL },                /* the images carry it */
        { "/event_type", "\"dispute\"", NULL },
        { "/created_at", "null", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/marketplace_event.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, http_message_accepted)
{
    static const mutation bad[] = {
        { "/message_id", "\"42\"", "/message_id: string does not match" },
        { "/message_id", NULL, "/message_id: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/status", "\"accepted\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/message_accepted.v1.json", "{\"message_id\":\"" UUID1 "\"}", bad, fine };
    assert_case(&pc);
}

Test(proto, http_error)
{
    static const mutation bad[] = {
        { "/error/code", NULL, "/error/code: required property missing" },
        { "/error/code", "\"Invalid Field\"", "/error/code: string does not match" },
        { "/error/message", "\"\"", "/error/message: string shorter than minLength 1" },
        { "/error/status", "400", "/error/status: additional property not allowed" },
        { "/error", "\"oops\"", "/error: expected type object" },
        { "/message", "\"x\"", "/message: additional property not allowed" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/error/field", NULL, NULL },
        { "/error/field", "\"\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/error.v1.json",
                      "{\"error\":{\"code\":\"invalid_field\",\"message\":\"customer.phone: not a phone number\","
                      "\"field\":\"customer.phone\"}}", bad, fine };
    assert_case(&pc);
}

Test(proto, http_ticket)
{
    static const char good[] =
        "{\"number\":\"WX-20261122-000123\",\"status\":\"assigned\",\"channel\":\"wechat\","
        "\"category\":\"complaint\",\"subtopic\":\"logistics-delay\",\"urgency\":\"high\",\"priority\":\"P1\","
        "\"department\":\"quality\",\"assignee\":\"quality-01\","
        "\"explanation\":{\"source\":\"rules\",\"rule_set\":1,\"rules\":[{\"name\":\"logistics delay\",\"stage\":\"classify\","
        "\"set\":{\"category\":\"complaint\",\"subtopic\":\"logistics-delay\"}}],\"priority_reason\":\"VIP + complaint + high urgency\"},"
        "\"customer\":{\"display_name\":\"\xe5\xbc\xa0**\",\"phone_masked\":\"138****5678\","
        "\"email_masked\":\"z***@example.com\",\"tier\":\"vip\"},\"created_at\":" TS1 ","
        "\"timeline\":[{\"event_id\":\"" UUID2 "\",\"type\":\"opened\",\"occurred_at\":" TS1 ",\"data\":{}},"
        "{\"event_id\":\"" UUID3 "\",\"type\":\"classified\",\"occurred_at\":" TS1 ",\"data\":{\"priority\":\"P1\"}}],"
        "\"sla\":[{\"kind\":\"acknowledgement\",\"due_at\":" TS1 ",\"state\":\"armed\"}],"
        "\"co_departments\":[\"after-sales\"]}";
    static const mutation bad[] = {
        { "/sla", NULL, "/sla: required property missing" },
        { "/sla/0/state", "\"ticking\"", "/sla/0/state: value not in enum" },
        { "/sla/0/due_at", "\"soon\"", "/sla/0/due_at: string does not match" },
        { "/co_departments", NULL, "/co_departments: required property missing" },
        { "/co_departments/0", "\"\"", "/co_departments/0: string shorter than minLength 1" },
        { "/priority", "\"P4\"", "/priority: value not in enum" },
        { "/priority", "\"high\"", "/priority: value not in enum" },
        { "/number", "\"WX-000123\"", "/number: string does not match" },
        { "/status", "\"open\"", "/status: value not in enum" },
        { "/category", "\"billing\"", "/category: value not in enum" },
        { "/customer/phone_masked", "\"13812345678\"", "/customer/phone_masked: string does not match" },
        { "/customer/phone", "\"13812345678\"", "/customer/phone: additional property not allowed" },
        { "/customer/tier", NULL, "/customer/tier: required property missing" },
        { "/timeline/1/event_id", "\"e2\"", "/timeline/1/event_id: string does not match" },
        { "/timeline/0/data", NULL, "/timeline/0/data: required property missing" },
        { "/timeline/0/type", "\"Opened!\"", "/timeline/0/type: string does not match" },
        { "/timeline", NULL, "/timeline: required property missing" },
        { "/explanation", "null", "/explanation: expected type object" },
        { "/assignee", NULL, "/assignee: required property missing" },
        { "/suggestions", "[{\"article_id\":\"7\",\"title\":\"x\",\"score\":0.5}]",
          "/suggestions/0/article_id: expected type integer" },
        { "/suggestions", "[{\"article_id\":7,\"title\":\"x\"}]",
          "/suggestions/0/score: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/suggestions", "[{\"article_id\":7,\"title\":\"\u9000\u6b3e\",\"score\":0.0421}]",
          NULL },
        { "/suggestions", "[]", NULL },
        { "/priority", "null", NULL },
        { "/category", "null", NULL },
        { "/assignee", "null", NULL },
        { "/subject", "\"where is my parcel\"", NULL },
        { "/customer/id_masked", "\"ID-\xe2\x80\xa6" "86\"", NULL },
        { "/timeline", "[]", NULL },
        { "/sla", "[]", NULL },
        { "/co_departments", "[]", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "http/ticket.v1.json", good, bad, fine };
    assert_case(&pc);
}

Test(proto, new_ticket_with_nothing_decided_yet)
{
    char err[512];
    json_t *schema = load_proto("http/ticket.v1.json");
    json_t *t = J("{\"number\":\"ST-20261122-000001\",\"status\":\"new\",\"channel\":\"store\","
                  "\"category\":null,\"subtopic\":null,\"urgency\":null,\"priority\":null,"
                  "\"department\":null,\"assignee\":null,\"explanation\":{},"
                  "\"customer\":{\"display_name\":\"\",\"phone_masked\":\"\",\"email_masked\":\"\",\"tier\":\"new\"},"
                  "\"created_at\":\"2026-11-22T10:00:00Z\",\"timeline\":[],\"sla\":[],"
                  "\"co_departments\":[]}");
    cr_expect_eq(sb_schema_validate(schema, t, err, sizeof err), 0, "%s", err);
    json_decref(t);
    json_decref(schema);
}

/* ---------------------------------------------------------------- every file in proto/ */

/* The schemas the proto tests above give examples for; a new file must be added here. */
/* survey's events (issue 6): the envelope of every survey event, with its source. */
#define SURVEY_ENVELOPE(type) \
    "{\"type\":\"" type "\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 "," \
    "\"source_event_id\":\"" UUID2 "\",\"ticket_id\":\"" UUID1 "\"," \
    "\"ticket_number\":\"WX-20261122-000123\","

/* Mistakes every survey event schema must catch besides the envelope's. */
#define SURVEY_DATA_BAD \
    { "/source_event_id", NULL, "/source_event_id: required property missing" },               \
    { "/data/survey_id", "\"nope\"", "/data/survey_id: string does not match pattern" },       \
    { "/data/survey_id", NULL, "/data/survey_id: required property missing" },                 \
    { "/data/round", "3", "/data/round: " },                                                    \
    { "/data/round", "0", "/data/round: " },                                                    \
    { "/data/round", "\"1\"", "/data/round: expected type integer" }

/* Outside the test body: its braces in strings would confuse brace-counting readers. */
static const char ticket_survey_sent_good[] = SURVEY_ENVELOPE("survey_sent")
        "\"data\":{\"survey_id\":\"" UUID2 "\",\"round\":1,"
        "\"expires_at\":\"2026-11-29T10:10:00.000Z\",\"channel\":\"wechat\"}}";

Test(proto, ticket_survey_sent)
{
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        SURVEY_DATA_BAD,
        { "/data/expires_at", "\"tomorrow\"", "/data/expires_at: string does not match" },
        { "/data/channel", "\"fax\"", "/data/channel: value not in enum" },
        { "/data/channel", NULL, "/data/channel: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/round", "2", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/survey_sent.v1.json", ticket_survey_sent_good, bad, fine };
    assert_case(&pc);
}

/* Outside the test body: its braces in strings would confuse brace-counting readers. */
static const char ticket_survey_answered_good[] = SURVEY_ENVELOPE("survey_answered")
        "\"data\":{\"survey_id\":\"" UUID2 "\",\"round\":1,\"rating\":\"dissatisfied\","
        "\"satisfied\":false,\"has_comment\":true,\"sent_at\":" TS1 "}}";

Test(proto, ticket_survey_answered)
{
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        SURVEY_DATA_BAD,
        { "/data/rating", "\"great\"", "/data/rating: value not in enum" },
        { "/data/rating", "4", "/data/rating: value not in enum" },
        { "/data/satisfied", "\"no\"", "/data/satisfied: expected type boolean" },
        { "/data/has_comment", NULL, "/data/has_comment: required property missing" },
        { "/data/sent_at", NULL, "/data/sent_at: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/rating", "\"very_satisfied\"", NULL },
        { "/data/round", "2", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/survey_answered.v1.json", ticket_survey_answered_good, bad, fine };
    assert_case(&pc);
}

/* Outside the test body: its braces in strings would confuse brace-counting readers. */
static const char ticket_survey_expired_good[] = SURVEY_ENVELOPE("survey_expired")
        "\"data\":{\"survey_id\":\"" UUID2 "\",\"round\":2,\"sent_at\":" TS1 "}}";

Test(proto, ticket_survey_expired)
{
    static const mutation bad[] = {
        TICKET_ENVELOPE_BAD,
        SURVEY_DATA_BAD,
        { "/data/sent_at", "null", "/data/sent_at: expected type string" },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/survey_expired.v1.json", ticket_survey_expired_good, bad, NULL };
    assert_case(&pc);
}

/* Outside the test body: its braces in strings would confuse brace-counting readers. */
static const char ticket_reopened_good[] = SURVEY_ENVELOPE("reopened")
        "\"data\":{\"reason\":\"dissatisfied\",\"survey_id\":\"" UUID2 "\","
        "\"assignee\":\"quality-lead\",\"department\":\"quality\",\"second_handling\":true,"
        "\"by\":{\"subject\":\"survey\",\"role\":\"system\"}}}";

Test(proto, ticket_reopened)
{
    static const mutation bad[] = {
        { "/event_id", "\"not-a-uuid\"", "/event_id: string does not match pattern" },
        { "/ticket_number", "\"WX-2026-1\"", "/ticket_number: string does not match pattern" },
        { "/foo", "1", "/foo: additional property not allowed" },
        { "/data", NULL, "/data: required property missing" },
        { "/type", "\"resolved\"", "/type: value does not equal const" },
        { "/data/reason", "\"customer_asked\"", "/data/reason: value not in enum" },
        { "/data/assignee", "\"\"", "/data/assignee: string shorter than minLength 1" },
        { "/data/assignee", NULL, "/data/assignee: required property missing" },
        { "/data/second_handling", "false", "/data/second_handling: value does not equal const" },
        { "/data/by/role", "\"agent\"", "/data/by/role: value does not equal const" },
        { "/data/by/subject", "\"quality-01\"", "/data/by/subject: value does not equal const" },
        { "/data/by", NULL, "/data/by: required property missing" },
        { "/data/survey_id", "\"x\"", "/data/survey_id: string does not match pattern" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/data/assignee", "null", NULL },   /* a department without any supervisor */
        { NULL, NULL, NULL },
    };
    proto_case pc = { "tickets/reopened.v1.json", ticket_reopened_good, bad, fine };
    assert_case(&pc);
}

Test(proto, survey_link_notice)
{
    static const char good[] =
        "{\"type\":\"survey_link\",\"event_id\":\"" UUID3 "\",\"occurred_at\":" TS1 ","
        "\"source_event_id\":\"" UUID2 "\",\"recipient\":\"customer:42\","
        "\"recipient_kind\":\"customer\",\"ticket_number\":\"WX-20261122-000123\","
        "\"url\":\"https://survey.example/v1/surveys/6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b."
        "1795946400000.abcdefghijABCDEFGHIJ0123456789-_abcdefghijk\","
        "\"expires_at\":\"2026-11-29T10:10:00.000Z\",\"round\":1,\"channel\":\"wechat\"}";
    static const mutation bad[] = {
        { "/recipient", "\"zhang@example.com\"", "/recipient: string does not match pattern" },
        { "/recipient_kind", "\"agent\"", "/recipient_kind: value does not equal const" },
        { "/url", "\"https://survey.example/v1/surveys/abc\"", "/url: string does not match" },
        { "/url", "\"javascript:alert(1)\"", "/url: string does not match" },
        { "/round", "3", "/round: " },
        { "/channel", "\"fax\"", "/channel: value not in enum" },
        { "/phone", "\"13812345678\"", "/phone: additional property not allowed" },
        { "/expires_at", NULL, "/expires_at: required property missing" },
        { "/source_event_id", NULL, "/source_event_id: required property missing" },
        { NULL, NULL, NULL },
    };
    static const mutation fine[] = {
        { "/url", "\"http://127.0.0.1:8082/v1/surveys/6f1c2a7e3b4d5e6f8a9b0c1d2e3f4a5b.1."
                  "abcdefghijABCDEFGHIJ0123456789-_abcdefghijk\"", NULL },
        { NULL, NULL, NULL },
    };
    proto_case pc = { "notifications/survey_link.v1.json", good, bad, fine };
    assert_case(&pc);
}

static const char *const COVERED[] = {
    "inbound/inbound_message.v1.json", "tickets/opened.v1.json", "tickets/classified.v1.json",
    "tickets/message_appended.v1.json", "tickets/reclassified.v1.json", "tickets/assigned.v1.json",
    "tickets/queued.v1.json",
    "tickets/acknowledged.v1.json", "tickets/status_changed.v1.json", "tickets/note_added.v1.json",
    "tickets/urged.v1.json", "tickets/resolved.v1.json", "notifications/task_notice.v1.json",
    "tickets/replied.v1.json", "tickets/closed.v1.json", "tickets/merged.v1.json",
    "tickets/requeued.v1.json", "notifications/customer_reply.v1.json",
    "deadletter/deadletter.v1.json", "http/message_request.v1.json",
    "http/message_accepted.v1.json", "http/error.v1.json", "http/ticket.v1.json",
    "http/call_record.v1.json", "http/marketplace_event.v1.json",
    "tickets/escalated.v1.json",
    "notifications/escalation.v1.json",
    "tickets/sla_warning.v1.json", "tickets/sla_breached.v1.json", "tickets/sla_at_risk.v1.json",
    "notifications/sla_alert.v1.json",
    "tickets/survey_sent.v1.json", "tickets/survey_answered.v1.json",
    "tickets/survey_expired.v1.json", "tickets/reopened.v1.json",
    "notifications/survey_link.v1.json",
    "notifications/anomaly.v1.json",
    NULL
};

static int g_files;
static size_t g_root_len;

/* nftw callback: every *.json under proto/ is covered, loads, is in the subset, has its $id. */
static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t len = strlen(path);
    if (flag != FTW_F || len < 5 || strcmp(path + len - 5, ".json") != 0)
        return 0;
    /* An OpenAPI document is not a JSON Schema: tests/integration/test_desk_rbac.c drives it. */
    if (len >= 13 && strcmp(path + len - 13, ".openapi.json") == 0)
        return 0;
    const char *rel = path + g_root_len + 1;
    char err[512], id[1024];
    int covered = 0;
    for (const char *const *c = COVERED; *c; c++)
        covered |= strcmp(*c, rel) == 0;
    cr_expect(covered, "%s has no examples in test_schema.c", rel);
    json_t *s = sb_schema_load(path);
    cr_expect_not_null(s, "%s does not load", rel);
    if (!s)
        return 0;
    g_files++;
    cr_expect_eq(sb_schema_check(s, err, sizeof err), 0, "%s: %s", rel, err);
    snprintf(id, sizeof id, "https://switchboard.example/proto/%s", rel);
    cr_expect_str_eq(json_string_value(json_object_get(s, "$id")), id, "%s: $id", rel);
    cr_expect_str_eq(json_string_value(json_object_get(s, "$schema")),
                     "https://json-schema.org/draft/2020-12/schema", "%s: $schema", rel);
    cr_expect(strstr(rel, ".v1.json") != NULL, "%s: versioned name", rel);
    json_decref(s);
    return 0;
}

Test(proto, every_file_is_in_the_subset_and_covered)
{
    char dir[PATH_MAX];
    cr_assert_not_null(realpath(proto_dir(), dir), "no proto directory at %s", proto_dir());
    g_root_len = strlen(dir);
    g_files = 0;
    cr_assert_eq(nftw(dir, visit, 8, FTW_PHYS), 0, "cannot walk %s", dir);
    int expected = 0;
    for (const char *const *c = COVERED; *c; c++)
        expected++;
    cr_expect_eq(g_files, expected, "found %d schema files, expected %d", g_files, expected);
}
