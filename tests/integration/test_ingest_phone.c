/* test_ingest_phone.c - the phone adapter's pure parser: real-shaped call records (Chinese and
 * English, every IVR shape) become exactly the generic message they should, which the generic
 * door accepts; every refusal names the call record's field; schema and code agree. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "expect.h"
#include "schema.h"
#include "services/ingest/normalize.h"
#include "services/ingest/phone.h"

#define NOW_MS 1795370400000LL   /* 2026-11-22T18:00:00Z */
#define DATA   SB_SOURCE_DIR "/tests/data/ingest/phone/"

static ingest_secrets secrets;
static json_t *call_schema, *request_schema, *inbound_schema;

/* Schemas and keys, once per test process. */
static void setup(void)
{
    ingest_secrets_init(&secrets, "test-secret");
    call_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/call_record.v1.json");
    request_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/message_request.v1.json");
    inbound_schema = sb_schema_load(SB_SOURCE_DIR "/proto/inbound/inbound_message.v1.json");
    cr_assert(call_schema && request_schema && inbound_schema, "cannot load the schemas");
}

static void teardown(void)
{
    json_decref(call_schema);
    json_decref(request_schema);
    json_decref(inbound_schema);
}

TestSuite(ingest_phone, .init = setup, .fini = teardown);

/* The bytes of a sample file (caller frees), length in *len. */
static char *sample(const char *file, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA "%s", file);
    return sb_test_file(path, len);
}

/* Parses text that must be accepted; the generic body (caller decrefs). */
static json_t *accept_text(const char *text, size_t len)
{
    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    int rc = ingest_phone_parse(text, len, NOW_MS, &out, &err);
    cr_assert_eq(rc, 0, "refused: %d %s %s: %s", err.status, err.code, err.field, err.message);
    cr_assert(json_is_object(out));
    return out;
}

/* Parses a sample file that must be accepted. */
static json_t *accept_file(const char *file)
{
    size_t len;
    char *text = sample(file, &len);
    json_t *out = accept_text(text, len);
    free(text);
    return out;
}

/* Parses text that must be refused with status, code and field. */
static void assert_refused(const char *text, size_t len, int status, const char *code,
                           const char *field)
{
    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    cr_assert_eq(ingest_phone_parse(text, len, NOW_MS, &out, &err), -1, "accepted: %.200s", text);
    cr_expect_null(out);
    cr_expect_eq(err.status, status, "status %d (%s)", err.status, err.message);
    cr_expect_str_eq(err.code, code, "%s", err.message);
    cr_expect_str_eq(err.field, field, "%s", err.message);
}

/* A call record built from a format string (test-local shapes). */
static void expect_refused_json(const char *text, const char *code, const char *field)
{
    assert_refused(text, strlen(text), 400, code, field);
}

Test(ingest_phone, chinese_after_sales_call_with_labels)
{
    json_t *b = accept_file("zh_aftersales_array.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"c-20261122-0001\","
        "\"customer\":{\"phone\":\"+86 138 1234 5678\",\"id\":\"CRM-000123\",\"name\":\"张伟\"},"
        "\"text\":\"你好，我的快递三天没到，订单号是SO20261119001，麻烦帮我催一下。\","
        "\"attachments\":[{\"name\":\"call-c-20261122-0001.wav\",\"content_type\":\"audio/wav\","
        "\"url\":\"https://rec.example/2026/11/22/c-20261122-0001.wav\"}],"
        "\"hints\":{\"ivr_path\":\"1>3>2 售后/物流/催件\"},\"sent_at\":\"2026-11-22T09:58:00Z\"}");
    json_decref(b);
}

Test(ingest_phone, string_path_and_signed_mp3_url)
{
    json_t *b = accept_file("zh_refund_string_path.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"PH-SH-7f3a9c\","
        "\"customer\":{\"phone\":\"13912345678\"},"
        "\"text\":\"我上周申请的退款到现在还没到账，银行卡被扣了两次钱。\","
        "\"attachments\":[{\"name\":\"call-PH-SH-7f3a9c.mp3\",\"content_type\":\"audio/mpeg\","
        "\"url\":\"https://cc-storage.example.cn/recordings/PH-SH-7f3a9c.mp3?sig=ab12&exp=1795400000\"}],"
        "\"hints\":{\"ivr_path\":\"2>1 账户/退款\"},\"sent_at\":\"2026-11-22T17:03:12+08:00\"}");
    json_decref(b);
}

Test(ingest_phone, dtmf_keys_with_blanks_and_no_recording)
{
    json_t *b = accept_file("zh_transcript_only_dtmf.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"ivr-88231\","
        "\"customer\":{\"phone\":\"(021) 6234-5678\"},\"text\":\"请问你们门店几点关门？\","
        "\"hints\":{\"ivr_path\":\"0>9>#\"},\"sent_at\":\"2026-11-22T08:15:40.250Z\"}");
    json_decref(b);
}

Test(ingest_phone, english_node_names_with_fewer_labels)
{
    json_t *b = accept_file("en_billing_node_names.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"CA3f9d2e7b1c0a4e8f9b6d5c4a3b2e1f0d\","
        "\"customer\":{\"phone\":\"+1 (415) 555-0134\",\"id\":\"cust_8842\",\"name\":\"Jane Doe\"},"
        "\"text\":\"Hi, I was charged twice for order 114-2233445. I'd like the duplicate charge refunded.\","
        "\"attachments\":[{\"name\":\"call-CA3f9d2e7b1c0a4e8f9b6d5c4a3b2e1f0d.m4a\","
        "\"content_type\":\"audio/mp4\","
        "\"url\":\"https://api.telephony.example/2010-04-01/Recordings/RE5e8a.m4a\"}],"
        "\"hints\":{\"ivr_path\":\"main>billing>disputes>agent Main menu/Billing/Disputes\"},"
        "\"sent_at\":\"2026-11-22T14:22:05Z\"}");
    json_decref(b);
}

Test(ingest_phone, english_voicemail_is_a_recording_without_text)
{
    json_t *b = accept_file("en_recording_only.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"voicemail-2026-11-22-0042\","
        "\"customer\":{\"phone\":\"+44 20 7946 0958\"},"
        "\"attachments\":[{\"name\":\"call-voicemail-2026-11-22-0042.ogg\","
        "\"content_type\":\"audio/ogg\",\"url\":\"https://voicemail.example.co.uk/vm/0042.ogg\"}],"
        "\"hints\":{\"ivr_path\":\"3\"},\"sent_at\":\"2026-11-22T07:45:00Z\"}");
    json_decref(b);
}

Test(ingest_phone, an_unknown_extension_is_taken_for_wav)
{
    json_t *b = accept_file("en_download_script_url.json");
    sb_test_assert_json(b,
        "{\"channel\":\"phone\",\"external_id\":\"10045\",\"customer\":{\"phone\":\"020-8123-4567\"},"
        "\"text\":\"Missed call, no message left.\","
        "\"attachments\":[{\"name\":\"call-10045.wav\",\"content_type\":\"audio/wav\","
        "\"url\":\"http://pbx.example.local/cgi-bin/download.cgi?file=10045\"}]}");
    json_decref(b);
}

static const char *const good_samples[] = {
    "zh_aftersales_array.json", "zh_refund_string_path.json", "zh_transcript_only_dtmf.json",
    "en_billing_node_names.json", "en_recording_only.json", "en_download_script_url.json"};

/* Runs a generic body through the generic door (normalize) as the phone channel's key; the
 * event (caller decrefs). */
static json_t *through_the_door(const json_t *generic, ingest_event *ev)
{
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(generic, "phone", &secrets, NOW_MS, ev, &err);
    cr_assert_eq(rc, 0, "the generic door refused: %s %s: %s", err.code, err.field, err.message);
    json_t *event = json_loadb(ev->json, ev->len, 0, NULL);
    cr_assert(event);
    return event;
}

Test(ingest_phone, every_sample_matches_the_schemas_and_passes_the_generic_door)
{
    char why[512];
    for (size_t i = 0; i < sizeof good_samples / sizeof good_samples[0]; i++) {
        size_t len;
        char *text = sample(good_samples[i], &len);
        json_t *native = json_loads(text, 0, NULL);
        cr_expect_eq(sb_schema_validate(call_schema, native, why, sizeof why), 0,
                     "%s vs call_record.v1: %s", good_samples[i], why);
        json_t *generic = accept_text(text, len);
        cr_expect_eq(sb_schema_validate(request_schema, generic, why, sizeof why), 0,
                     "%s's generic body vs message_request.v1: %s", good_samples[i], why);
        ingest_event ev;
        json_t *event = through_the_door(generic, &ev);
        cr_expect_eq(sb_schema_validate(inbound_schema, event, why, sizeof why), 0,
                     "%s's event: %s", good_samples[i], why);
        cr_expect_str_eq(json_string_value(json_object_get(event, "channel")), "phone");
        cr_expect_null(strstr(ev.json, json_string_value(json_object_get(native, "caller"))),
                       "%s: the raw caller number is in the event", good_samples[i]);
        ingest_event_release(&ev);
        json_decref(event);
        json_decref(generic);
        json_decref(native);
        free(text);
    }
}

Test(ingest_phone, the_same_call_is_the_same_message)
{
    static const char call[] = "{\"call_id\":\"c-777\",\"caller\":\"13812345678\",\"transcript\":\"hi\"}";
    static const char other[] = "{\"call_id\":\"c-778\",\"caller\":\"13812345678\",\"transcript\":\"hi\"}";
    ingest_event a, b, c;
    json_t *ga = accept_text(call, strlen(call)), *gb = accept_text(call, strlen(call));
    json_t *gc = accept_text(other, strlen(other));
    json_decref(through_the_door(ga, &a));
    json_decref(through_the_door(gb, &b));
    json_decref(through_the_door(gc, &c));
    char want[SB_UUID_STRLEN];
    sb_ids_message_id("phone", "c-777", want);
    cr_expect_str_eq(a.message_id, want);
    cr_expect_str_eq(b.message_id, want);
    cr_expect_str_neq(c.message_id, want);
    ingest_event_release(&a);
    ingest_event_release(&b);
    ingest_event_release(&c);
    json_decref(ga);
    json_decref(gb);
    json_decref(gc);
}

/* ---------------------------------------------------------------- refusals, one per reason */

/* Arrays, not pointers: Criterion hands each parameter to a test process of its own, where
 * pointers into this one's data would not hold. */
typedef struct phone_refusal {
    char file[48];
    int  status;
    char code[24], field[24];
    int  schema_refuses;   /* the schema alone catches it (else: a rule it cannot say) */
} phone_refusal;

static phone_refusal refusals[] = {
    {"bad_not_json.json", 400, "invalid_json", "", 0},
    {"bad_array_body.json", 400, "invalid_json", "", 1},
    {"bad_duplicate_member.json", 400, "invalid_json", "", 0},
    {"bad_nul_in_call_id.json", 400, "invalid_json", "", 0},
    {"bad_missing_call_id.json", 400, "missing_field", "call_id", 1},
    {"bad_empty_call_id.json", 400, "invalid_field", "call_id", 1},
    {"bad_long_call_id.json", 400, "field_too_long", "call_id", 1},
    {"bad_missing_caller.json", 400, "missing_field", "caller", 1},
    {"bad_caller_anonymous.json", 400, "invalid_field", "caller", 1},
    {"bad_caller_too_few_digits.json", 400, "invalid_field", "caller", 1},
    {"bad_callee_sip.json", 400, "invalid_field", "callee", 1},
    {"bad_started_at_format.json", 400, "invalid_field", "started_at", 0},
    {"bad_started_at_future.json", 400, "invalid_field", "started_at", 0},
    {"bad_duration_negative.json", 400, "invalid_field", "duration_s", 1},
    {"bad_duration_string.json", 400, "invalid_field", "duration_s", 1},
    {"bad_duration_over_a_day.json", 400, "invalid_field", "duration_s", 1},
    {"bad_duration_fraction.json", 400, "invalid_field", "duration_s", 1},
    {"bad_ivr_too_many_steps.json", 400, "too_many_items", "ivr_path", 1},
    {"bad_ivr_step_too_long.json", 400, "field_too_long", "ivr_path[1]", 1},
    {"bad_ivr_step_chars.json", 400, "invalid_field", "ivr_path[1]", 1},
    {"bad_ivr_string_empty_step.json", 400, "invalid_field", "ivr_path", 1},
    {"bad_ivr_type.json", 400, "invalid_field", "ivr_path", 1},
    {"bad_ivr_labels_more_than_steps.json", 400, "invalid_field", "ivr_labels", 0},
    {"bad_ivr_label_empty.json", 400, "invalid_field", "ivr_labels[1]", 1},
    {"bad_recording_url_ftp.json", 400, "invalid_field", "recording_url", 1},
    {"bad_recording_url_blank.json", 400, "invalid_field", "recording_url", 1},
    {"bad_language.json", 400, "invalid_field", "language", 1},
    {"bad_customer_name_type.json", 400, "invalid_field", "customer_name", 1},
    {"bad_unknown_member.json", 400, "unknown_field", "agent_id", 1},
    {"bad_no_transcript_no_recording.json", 400, "missing_field", "transcript", 0},
};

ParameterizedTestParameters(ingest_phone, refused_with_the_field_named)
{
    return cr_make_param_array(phone_refusal, refusals, sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(phone_refusal *r, ingest_phone, refused_with_the_field_named)
{
    size_t len;
    char *text = sample(r->file, &len);
    assert_refused(text, len, r->status, r->code, r->field);
    json_t *native = json_loads(text, 0, NULL);
    if (native && r->schema_refuses) {
        char why[512];
        cr_expect_eq(sb_schema_validate(call_schema, native, why, sizeof why), -1,
                     "%s: call_record.v1 should refuse it too", r->file);
    }
    json_decref(native);
    free(text);
}

/* ---------------------------------------------------------------- limits and shapes */

/* A call record with call_id id and the given extra members (JSON text without braces). */
static char *call_with(const char *id, const char *extra)
{
    size_t n = strlen(id) + strlen(extra) + 128;
    char *s = malloc(n);
    cr_assert(s);
    snprintf(s, n, "{\"call_id\":\"%s\",\"caller\":\"13812345678\"%s%s}", id, *extra ? "," : "",
             extra);
    return s;
}

/* n copies of the UTF-8 character c (caller frees). */
static char *repeat(const char *c, size_t n)
{
    size_t l = strlen(c);
    char *s = malloc(l * n + 1);
    cr_assert(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * l, c, l);
    s[l * n] = '\0';
    return s;
}

Test(ingest_phone, limits_count_characters_not_bytes)
{
    char *id = repeat("呼", 200);
    char *text = call_with(id, "\"recording_url\":\"https://rec.example/x.wav\"");
    json_t *b = accept_text(text, strlen(text));
    cr_expect_str_eq(json_string_value(json_object_get(b, "external_id")), id);
    /* The whole call id survives in the attachment name, within 255 characters. */
    const char *name = json_string_value(
        json_object_get(json_array_get(json_object_get(b, "attachments"), 0), "name"));
    cr_expect_eq(strncmp(name, "call-", 5), 0);
    cr_expect_eq(strncmp(name + 5, id, strlen(id)), 0);
    cr_expect_str_eq(name + 5 + strlen(id), ".wav");
    ingest_event ev;
    json_decref(through_the_door(b, &ev));
    ingest_event_release(&ev);
    json_decref(b);
    free(text);
    free(id);

    char *url = repeat("a", 2048 - strlen("https://r.example/") - 4), extra[4096];
    snprintf(extra, sizeof extra, "\"recording_url\":\"https://r.example/%s.mp3\"", url);
    text = call_with("c-url", extra);
    b = accept_text(text, strlen(text));
    json_decref(b);
    free(text);
    snprintf(extra, sizeof extra, "\"recording_url\":\"https://r.example/%sx.mp3\"", url);
    text = call_with("c-url", extra);
    expect_refused_json(text, "field_too_long", "recording_url");
    free(text);
    free(url);
}

Test(ingest_phone, transcript_is_at_most_64_kib)
{
    char *t = repeat("x", INGEST_TEXT_MAX), *extra = malloc(INGEST_TEXT_MAX + 64);
    sprintf(extra, "\"transcript\":\"%s\"", t);
    char *text = call_with("c-big", extra);
    json_t *b = accept_text(text, strlen(text));
    cr_expect_eq(strlen(json_string_value(json_object_get(b, "text"))), INGEST_TEXT_MAX);
    json_decref(b);
    free(text);
    sprintf(extra, "\"transcript\":\"%sy\"", t);
    text = call_with("c-big", extra);
    expect_refused_json(text, "field_too_long", "transcript");
    free(text);
    free(extra);
    free(t);
}

Test(ingest_phone, a_long_ivr_hint_is_cut_at_whole_steps_then_whole_labels)
{
    /* 16 steps of 16 characters are 271 characters joined: the 16th step does not fit. */
    char extra[8192] = "\"transcript\":\"x\",\"ivr_path\":[", want[512] = "";
    for (int i = 0; i < 16; i++) {
        char step[17];
        snprintf(step, sizeof step, "node%012d", i);
        snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s\"%s\"", i ? "," : "",
                 step);
        if (i < 15)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ">" : "", step);
    }
    strcat(extra, "]");
    char *text = call_with("c-long-path", extra);
    json_t *b = accept_text(text, strlen(text));
    const char *hint = json_string_value(json_object_get(json_object_get(b, "hints"), "ivr_path"));
    cr_expect_str_eq(hint, want);
    cr_expect_eq(strlen(hint), 15 * 16 + 14);
    json_decref(b);
    free(text);

    /* 9 steps (17 characters) and 9 labels of 30 Chinese characters (31 each with the
     * separator): 7 labels fit in 256 characters, the 8th does not. */
    char *label = repeat("菜", 30), labels[4096] = "";
    for (int i = 0; i < 9; i++)
        snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s\"%s\"", i ? "," : "",
                 label);
    snprintf(extra, sizeof extra, "\"transcript\":\"x\",\"ivr_path\":\"1>2>3>4>5>6>7>8>9\","
             "\"ivr_labels\":[%s]", labels);
    text = call_with("c-long-labels", extra);
    b = accept_text(text, strlen(text));
    hint = json_string_value(json_object_get(json_object_get(b, "hints"), "ivr_path"));
    char expect[4096];
    snprintf(expect, sizeof expect, "1>2>3>4>5>6>7>8>9 %s/%s/%s/%s/%s/%s/%s", label, label, label,
             label, label, label, label);
    cr_expect_str_eq(hint, expect);
    ingest_event ev;
    json_decref(through_the_door(b, &ev));   /* within the generic door's 256 characters */
    ingest_event_release(&ev);
    json_decref(b);
    free(text);
    free(label);
}

Test(ingest_phone, the_call_id_becomes_a_safe_file_name)
{
    static const char text[] = "{\"call_id\":\"sip:4001/a b\\\\c#1\",\"caller\":\"13812345678\","
                               "\"recording_url\":\"https://rec.example/get?id=1\"}";
    json_t *b = accept_text(text, strlen(text));
    const json_t *a = json_array_get(json_object_get(b, "attachments"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(a, "name")), "call-sip_4001_a_b_c_1.wav");
    cr_expect_str_eq(json_string_value(json_object_get(b, "external_id")), "sip:4001/a b\\c#1");
    json_decref(b);
}

Test(ingest_phone, empty_strings_and_nulls_read_as_absent)
{
    static const char text[] =
        "{\"call_id\":\"c-1\",\"caller\":\"13812345678\",\"callee\":\"\",\"started_at\":\"\","
        "\"duration_s\":null,\"ivr_path\":\"\",\"ivr_labels\":null,\"recording_url\":\"\","
        "\"transcript\":\"hello\",\"language\":\"\",\"customer_id\":\"\",\"customer_name\":null}";
    json_t *b = accept_text(text, strlen(text));
    sb_test_assert_json(b, "{\"channel\":\"phone\",\"external_id\":\"c-1\","
                   "\"customer\":{\"phone\":\"13812345678\"},\"text\":\"hello\"}");
    json_decref(b);
    static const char empty_path[] =
        "{\"call_id\":\"c-2\",\"caller\":\"13812345678\",\"ivr_path\":[],\"transcript\":\"x\"}";
    b = accept_text(empty_path, strlen(empty_path));
    cr_expect_null(json_object_get(b, "hints"));
    json_decref(b);
}

Test(ingest_phone, shapes_at_the_edges)
{
    /* Integral reals are whole seconds (the schema's integer says so too); 0 and a day are in. */
    static const char *const ok[] = {
        "{\"call_id\":\"c\",\"caller\":\"110\",\"duration_s\":184.0,\"transcript\":\"x\"}",
        "{\"call_id\":\"c\",\"caller\":\"+86 13812345678\",\"duration_s\":86400,\"transcript\":\"x\"}",
        "{\"call_id\":\"c\",\"caller\":\"13812345678\",\"duration_s\":0,\"transcript\":\"x\"}",
        "{\"call_id\":\"c\",\"caller\":\"13812345678\",\"ivr_path\":\" 1 > * > # \",\"transcript\":\"x\"}",
        "{\"call_id\":\"c\",\"caller\":\"13812345678\",\"language\":\"yue-Hant-HK\",\"transcript\":\"x\"}",
        "{\"call_id\":\"c\",\"caller\":\"13812345678\",\"recording_url\":\"HTTPS://REC.EXAMPLE/A.WAV\"}",
    };
    char why[512];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_decref(accept_text(ok[i], strlen(ok[i])));
        json_t *native = json_loads(ok[i], 0, NULL);
        cr_expect_eq(sb_schema_validate(call_schema, native, why, sizeof why), 0, "%s: %s", ok[i],
                     why);
        json_decref(native);
    }
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"+86 138 1234 5678 9012 3456 78\","
                        "\"transcript\":\"x\"}", "invalid_field", "caller");   /* 21 digits */
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"13812345678\",\"ivr_labels\":[\"售后\"],"
                        "\"transcript\":\"x\"}", "invalid_field", "ivr_labels");   /* no path */
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"13812345678\",\"recording_url\":"
                        "\"https:///x.wav\"}", "invalid_field", "recording_url");
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"13812345678\",\"ivr_path\":"
                        "\"1>2>3>4>5>6>7>8>9>0>1>2>3>4>5>6>7\",\"transcript\":\"x\"}",
                        "too_many_items", "ivr_path");
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"13812345678\",\"duration_s\":true,"
                        "\"transcript\":\"x\"}", "invalid_field", "duration_s");
    /* A member named "" is named by its quotes. */
    expect_refused_json("{\"call_id\":\"c\",\"caller\":\"13812345678\",\"\":1}", "unknown_field",
                        "\"\"");
}

Test(ingest_phone, refusals_do_not_repeat_the_number)
{
    static const char text[] = "{\"call_id\":\"c\",\"caller\":\"+86 138 1234 567x\",\"transcript\":\"x\"}";
    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    cr_assert_eq(ingest_phone_parse(text, strlen(text), NOW_MS, &out, &err), -1);
    cr_expect_null(strstr(err.message, "1234"), "%s", err.message);
}
