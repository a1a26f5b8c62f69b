/* test_ingest_normalize.c - ingest's normaliser: valid bodies of every channel in Chinese and
 * English become schema-valid inbound_message events with masked identities and idempotent ids;
 * every rejection names its field. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/channel.h"
#include "common/clock.h"
#include "common/ids.h"
#include "common/seal.h"
#include "schema.h"
#include "services/ingest/normalize.h"

#define SECRET "test-secret"
#define NOW_MS 1795305600123LL   /* 2026-11-22T... */

static ingest_secrets secrets;
static json_t *inbound_schema;

/* Keys and the event schema, once per test process. */
static void setup(void)
{
    ingest_secrets_init(&secrets, SECRET);
    inbound_schema = sb_schema_load(SB_SOURCE_DIR "/proto/inbound/inbound_message.v1.json");
    cr_assert(inbound_schema, "cannot load the inbound_message schema");
}

static void teardown(void)
{
    json_decref(inbound_schema);
}

TestSuite(ingest_normalize, .init = setup, .fini = teardown);

/* Parse a test body (must be valid JSON). NULs are let through so the normaliser's own
 * defence against them is tested too (ingest's parser already refuses them). */
static json_t *body_of(const char *text)
{
    json_error_t e;
    json_t *b = json_loads(text, JSON_ALLOW_NUL, &e);
    cr_assert(b, "bad test JSON: %s: %s", e.text, text);
    return b;
}

/* A complete valid body on channel ch with text. */
static json_t *valid_body(const char *ch, const char *ext, const char *text)
{
    json_t *b = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:s}", "channel", ch,
                          "external_id", ext, "customer", "id", "CUST-000123", "name", "张伟",
                          "phone", "13812345678", "email", "zhang@example.com", "tier", "vip",
                          "text", text);
    cr_assert(b);
    return b;
}

/* Normalise a body that must be accepted; returns the event parsed (caller decrefs). */
static json_t *accept_body(json_t *body, const char *key_channel, ingest_event *ev)
{
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(body, key_channel, &secrets, NOW_MS, ev, &err);
    cr_assert_eq(rc, 0, "rejected: %d %s %s: %s", err.status, err.code, err.field, err.message);
    cr_assert_eq(strlen(ev->json), ev->len);
    json_error_t e;
    json_t *event = json_loadb(ev->json, ev->len, JSON_REJECT_DUPLICATES, &e);
    cr_assert(event, "event is not JSON: %s", e.text);
    char why[512];
    cr_assert_eq(sb_schema_validate(inbound_schema, event, why, sizeof why), 0,
                 "event does not match inbound_message.v1: %s\n%s", why, ev->json);
    return event;
}

/* Normalise text that must be refused with status, code and field. */
static void assert_reject_as(const char *key_channel, const char *text, int status,
                             const char *code, const char *field)
{
    json_t *b = body_of(text);
    ingest_event ev;
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(b, key_channel, &secrets, NOW_MS, &ev, &err);
    json_decref(b);
    cr_assert_eq(rc, -1, "accepted, expected %s on %s: %s", code, field, text);
    cr_expect_eq(err.status, status, "status %d, expected %d for %s", err.status, status, text);
    cr_expect_str_eq(err.code, code, "code %s, expected %s for %s", err.code, code, text);
    cr_expect_str_eq(err.field, field, "field %s, expected %s for %s", err.field, field, text);
    cr_expect_neq(err.message[0], '\0', "an error needs a message");
}

/* Same, with the web channel's key. */
static void assert_reject(const char *text, int status, const char *code, const char *field)
{
    assert_reject_as("web", text, status, code, field);
}

/* A customer object every rejection test can reuse. */
#define CUST "\"customer\":{\"phone\":\"13812345678\"}"

Test(ingest_normalize, every_channel_in_chinese_and_english)
{
    static const char *const texts[] = {"我的快递三天了还没到，请帮我查一下物流",
                                        "I was charged twice, I want a refund please"};
    int n;
    const sb_channel *all = sb_channel_all(&n);
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < 2; t++) {
            char ext[64], id[SB_UUID_STRLEN], ts[32];
            snprintf(ext, sizeof ext, "%s-msg-%d", all[i].name, t);
            json_t *b = valid_body(all[i].name, ext, texts[t]);
            ingest_event ev;
            json_t *e = accept_body(b, all[i].name, &ev);
            sb_ids_message_id(all[i].name, ext, id);
            cr_expect_str_eq(ev.message_id, id);
            cr_expect_eq(ev.channel, &all[i]);
            cr_expect_str_eq(json_string_value(json_object_get(e, "type")), "inbound_message");
            cr_expect_str_eq(json_string_value(json_object_get(e, "event_id")), id);
            cr_expect_str_eq(json_string_value(json_object_get(e, "message_id")), id);
            cr_expect_str_eq(json_string_value(json_object_get(e, "channel")), all[i].name);
            cr_expect_str_eq(json_string_value(json_object_get(e, "external_id")), ext);
            cr_expect_str_eq(json_string_value(json_object_get(e, "text")), texts[t]);
            sb_clock_format_iso(NOW_MS, ts, sizeof ts);
            cr_expect_str_eq(json_string_value(json_object_get(e, "received_at")), ts);
            cr_expect_str_eq(json_string_value(json_object_get(e, "occurred_at")), ts);
            json_t *c = json_object_get(e, "customer");
            cr_expect_str_eq(json_string_value(json_object_get(c, "key")), ev.customer_key);
            cr_expect_str_eq(json_string_value(json_object_get(c, "display_name")), "张**");
            cr_expect_str_eq(json_string_value(json_object_get(c, "phone_masked")), "138****5678");
            cr_expect_str_eq(json_string_value(json_object_get(c, "email_masked")),
                             "z***@example.com");
            cr_expect_str_eq(json_string_value(json_object_get(c, "id_masked")), "ID-\u202623");
            cr_expect_str_eq(json_string_value(json_object_get(c, "tier")), "vip");
            json_decref(e);
            json_decref(b);
            ingest_event_release(&ev);
        }
    }
}

Test(ingest_normalize, no_raw_contact_anywhere_but_sealed)
{
    json_t *b = valid_body("wechat", "wx-1", "退款 refund");
    ingest_event ev;
    json_t *e = accept_body(b, "wechat", &ev);
    static const char *const raw[] = {"13812345678", "zhang@example.com", "张伟", "CUST-000123",
                                      "zhang@", "12345678"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        cr_expect_null(strstr(ev.json, raw[i]), "raw '%s' leaked into the event: %s", raw[i],
                       ev.json);
    unsigned char key[32];
    sb_seal_key(SECRET, key);
    size_t n;
    char *plain = sb_unseal(key, json_string_value(json_object_get(e, "contact_sealed")), &n);
    cr_assert(plain, "contact_sealed does not open with the secret's key");
    json_t *contact = json_loads(plain, 0, NULL);
    cr_assert(contact, "sealed contact is not JSON: %s", plain);
    cr_expect_str_eq(json_string_value(json_object_get(contact, "name")), "张伟");
    cr_expect_str_eq(json_string_value(json_object_get(contact, "phone")), "13812345678");
    cr_expect_str_eq(json_string_value(json_object_get(contact, "email")), "zhang@example.com");
    cr_expect_str_eq(json_string_value(json_object_get(contact, "id")), "CUST-000123");
    json_decref(contact);
    free(plain);
    json_decref(e);
    json_decref(b);
    ingest_event_release(&ev);
}

Test(ingest_normalize, message_id_is_idempotent_per_channel_and_external_id)
{
    ingest_event a, b, c, d;
    json_t *ba = valid_body("web", "same-1", "first try");
    json_t *bb = valid_body("web", "same-1", "the retry, a second later");
    json_t *bc = valid_body("app", "same-1", "other channel");
    json_t *bd = valid_body("web", "same-2", "other message");
    json_decref(accept_body(ba, "web", &a));
    json_decref(accept_body(bb, "web", &b));
    json_decref(accept_body(bc, "app", &c));
    json_decref(accept_body(bd, "web", &d));
    cr_expect_str_eq(a.message_id, b.message_id);
    cr_expect_str_neq(a.message_id, c.message_id);
    cr_expect_str_neq(a.message_id, d.message_id);
    cr_expect_str_eq(a.customer_key, b.customer_key, "same customer, same key");
    cr_expect_str_eq(a.customer_key, c.customer_key, "same phone on another channel");
    json_t *all[] = {ba, bb, bc, bd};
    ingest_event *evs[] = {&a, &b, &c, &d};
    for (int i = 0; i < 4; i++) {
        json_decref(all[i]);
        ingest_event_release(evs[i]);
    }
}

Test(ingest_normalize, defaults_attachments_and_hints)
{
    json_t *b = body_of(
        "{\"channel\":\"phone\",\"external_id\":\"call-9\",\"customer\":{\"id\":\"u-1\"},"
        "\"attachments\":[{\"name\":\"录音.mp3\",\"content_type\":\"audio/mpeg\",\"size\":1024,"
        "\"url\":\"https://files.example.com/r/9.mp3\"}],"
        "\"hints\":{\"ivr_path\":\"1>3\",\"order_id\":\"SO-1\",\"category\":7,\"agent\":\"x\"}}");
    ingest_event ev;
    json_t *e = accept_body(b, "phone", &ev);
    cr_expect_str_eq(json_string_value(json_object_get(e, "text")), "", "no text: empty");
    json_t *c = json_object_get(e, "customer");
    cr_expect_str_eq(json_string_value(json_object_get(c, "tier")), "new", "tier defaults to new");
    cr_expect_str_eq(json_string_value(json_object_get(c, "phone_masked")), "");
    json_t *a = json_array_get(json_object_get(e, "attachments"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(a, "name")), "录音.mp3");
    cr_expect_eq(json_integer_value(json_object_get(a, "size")), 1024);
    json_t *h = json_object_get(e, "hints");
    cr_expect_eq(json_object_size(h), 2, "only known string hints are kept: %s", ev.json);
    cr_expect_str_eq(json_string_value(json_object_get(h, "ivr_path")), "1>3");
    cr_expect_str_eq(json_string_value(json_object_get(h, "order_id")), "SO-1");
    json_decref(e);
    json_decref(b);
    ingest_event_release(&ev);
}

Test(ingest_normalize, escapes_survive_the_event_writer)
{
    json_t *b = valid_body("email", "em-\"quoted\"\\1", "line 1\nline 2\t\"quoted\" \\ \x01 end");
    ingest_event ev;
    json_t *e = accept_body(b, "email", &ev);
    cr_expect_str_eq(json_string_value(json_object_get(e, "external_id")), "em-\"quoted\"\\1");
    cr_expect_str_eq(json_string_value(json_object_get(e, "text")),
                     "line 1\nline 2\t\"quoted\" \\ \x01 end");
    json_decref(e);
    json_decref(b);
    ingest_event_release(&ev);
}

Test(ingest_normalize, limits_count_characters_not_bytes)
{
    char ext[1024] = "";
    for (int i = 0; i < INGEST_EXTERNAL_ID_MAX; i++)
        strcat(ext, "单");
    json_t *b = valid_body("store", ext, "200 Chinese characters are 600 bytes and still fine");
    ingest_event ev;
    json_decref(accept_body(b, "store", &ev));
    json_decref(b);
    ingest_event_release(&ev);
    strcat(ext, "单");
    b = valid_body("store", ext, "201 are too many");
    sb_error err;
    cr_expect_eq(ingest_normalize(b, "store", &secrets, NOW_MS, &ev, &err), -1);
    cr_expect_str_eq(err.code, "field_too_long");
    cr_expect_str_eq(err.field, "external_id");
    json_decref(b);
}

Test(ingest_normalize, who_may_post)
{
    assert_reject("{\"channel\":\"fax\",\"external_id\":\"1\"," CUST ",\"text\":\"x\"}", 404,
                  "unknown_channel", "channel");
    assert_reject("{\"channel\":\"app\",\"external_id\":\"1\"," CUST ",\"text\":\"x\"}", 403,
                  "forbidden", "channel");
    assert_reject("{\"external_id\":\"1\"," CUST ",\"text\":\"x\"}", 400, "missing_field",
                  "channel");
    assert_reject("{\"channel\":7,\"external_id\":\"1\"," CUST ",\"text\":\"x\"}", 400,
                  "invalid_field", "channel");
}

Test(ingest_normalize, external_id_and_unknown_fields)
{
    assert_reject("{\"channel\":\"web\"," CUST ",\"text\":\"x\"}", 400, "missing_field",
                  "external_id");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"\"," CUST ",\"text\":\"x\"}", 400,
                  "invalid_field", "external_id");
    assert_reject("{\"channel\":\"web\",\"external_id\":5," CUST ",\"text\":\"x\"}", 400,
                  "invalid_field", "external_id");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST ",\"txt\":\"x\"}", 400,
                  "unknown_field", "txt");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"a\\u0000b\"," CUST ",\"text\":\"x\"}",
                  400, "invalid_field", "external_id");
}

Test(ingest_normalize, customer)
{
    const char *pre = "{\"channel\":\"web\",\"external_id\":\"1\",\"text\":\"x\"";
    char buf[512];
#define CUSTOMER_CASE(json, code, field)                                                        \
    do {                                                                                        \
        snprintf(buf, sizeof buf, "%s%s}", pre, json);                                          \
        assert_reject(buf, 400, code, field);                                                   \
    } while (0)
    CUSTOMER_CASE("", "missing_field", "customer");
    CUSTOMER_CASE(",\"customer\":\"13812345678\"", "invalid_field", "customer");
    CUSTOMER_CASE(",\"customer\":{\"name\":\"张伟\",\"tier\":\"vip\"}", "missing_field",
                  "customer");
    CUSTOMER_CASE(",\"customer\":{\"phone\":\"\",\"email\":\"\",\"id\":\"\"}", "missing_field",
                  "customer");
    CUSTOMER_CASE(",\"customer\":{\"phone\":\"call me\"}", "invalid_field", "customer.phone");
    CUSTOMER_CASE(",\"customer\":{\"phone\":\"()-\"}", "invalid_field", "customer.phone");
    CUSTOMER_CASE(",\"customer\":{\"email\":\"zhang.example.com\"}", "invalid_field",
                  "customer.email");
    CUSTOMER_CASE(",\"customer\":{\"email\":\"a b@example.com\"}", "invalid_field",
                  "customer.email");
    CUSTOMER_CASE(",\"customer\":{\"id\":\"1\",\"tier\":\"gold\"}", "invalid_field",
                  "customer.tier");
    CUSTOMER_CASE(",\"customer\":{\"id\":\"1\",\"vip\":true}", "unknown_field", "customer.vip");
    CUSTOMER_CASE(",\"customer\":{\"id\":1}", "invalid_field", "customer.id");
    CUSTOMER_CASE(",\"customer\":{\"phone\":\"+86 138 1234 5678 0000 0000 0000 000\"}",
                  "field_too_long", "customer.phone");
#undef CUSTOMER_CASE
}

Test(ingest_normalize, text)
{
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST "}", 400, "missing_field",
                  "text");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST ",\"text\":\"\"}", 400,
                  "missing_field", "text");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST ",\"text\":[\"x\"]}", 400,
                  "invalid_field", "text");
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST
                  ",\"text\":\"\",\"attachments\":[]}",
                  400, "missing_field", "text");
    size_t n = INGEST_TEXT_MAX + 1;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    json_t *b = valid_body("web", "big", big);
    ingest_event ev;
    sb_error err;
    cr_expect_eq(ingest_normalize(b, "web", &secrets, NOW_MS, &ev, &err), -1);
    cr_expect_str_eq(err.code, "field_too_long");
    cr_expect_str_eq(err.field, "text");
    json_object_set_new(b, "text", json_stringn(big, INGEST_TEXT_MAX));
    json_decref(accept_body(b, "web", &ev));
    ingest_event_release(&ev);
    json_decref(b);
    free(big);
}

Test(ingest_normalize, attachments)
{
    char buf[4096];
    const char *pre = "{\"channel\":\"web\",\"external_id\":\"1\"," CUST ",\"attachments\":";
#define ATTACHMENT_CASE(json, code, field)                                                      \
    do {                                                                                        \
        snprintf(buf, sizeof buf, "%s%s}", pre, json);                                          \
        assert_reject(buf, 400, code, field);                                                   \
    } while (0)
    ATTACHMENT_CASE("{}", "invalid_field", "attachments");
    ATTACHMENT_CASE("[\"a.png\"]", "invalid_field", "attachments[0]");
    ATTACHMENT_CASE("[{\"content_type\":\"image/png\"}]", "missing_field", "attachments[0].name");
    ATTACHMENT_CASE("[{\"name\":\"a.png\"}]", "missing_field", "attachments[0].content_type");
    ATTACHMENT_CASE("[{\"name\":\"a\",\"content_type\":\"x/y\"},{\"name\":\"b\","
                    "\"content_type\":\"image\"}]",
                    "invalid_field", "attachments[1].content_type");
    ATTACHMENT_CASE("[{\"name\":\"a\",\"content_type\":\"image/png\",\"size\":-1}]",
                    "invalid_field", "attachments[0].size");
    ATTACHMENT_CASE("[{\"name\":\"a\",\"content_type\":\"image/png\",\"size\":1.5}]",
                    "invalid_field", "attachments[0].size");
    ATTACHMENT_CASE("[{\"name\":\"a\",\"content_type\":\"image/png\",\"path\":\"/etc\"}]",
                    "unknown_field", "attachments[0].path");
    char many[2048] = "[";
    for (int i = 0; i <= INGEST_ATTACHMENTS_MAX; i++)
        strcat(many, i ? ",{\"name\":\"a\",\"content_type\":\"image/png\"}"
                       : "{\"name\":\"a\",\"content_type\":\"image/png\"}");
    strcat(many, "]");
    ATTACHMENT_CASE(many, "too_many_items", "attachments");
#undef ATTACHMENT_CASE
}

Test(ingest_normalize, hints)
{
    assert_reject("{\"channel\":\"web\",\"external_id\":\"1\"," CUST
                  ",\"text\":\"x\",\"hints\":[1]}",
                  400, "invalid_field", "hints");
    char buf[512], cat[80];
    memset(cat, 'c', 65);
    cat[65] = '\0';
    snprintf(buf, sizeof buf,
             "{\"channel\":\"web\",\"external_id\":\"1\"," CUST
             ",\"text\":\"x\",\"hints\":{\"category\":\"%s\"}}",
             cat);
    assert_reject(buf, 400, "field_too_long", "hints.category");
}

Test(ingest_normalize, sent_at_thread_and_subject_pass_through)
{
    json_t *b = valid_body("email", "<a1@mail.example>", "Re: 订单 123 的发票");
    json_object_set_new(b, "sent_at", json_string("2026-11-22T08:00:00+08:00"));
    json_object_set_new(b, "thread",
                        json_pack("{s:s, s:s, s:[s, s]}", "message_id", "a1@mail.example",
                                  "in_reply_to", "a0@shop.example", "references",
                                  "root@shop.example", "a0@shop.example"));
    json_object_set_new(b, "hints", json_pack("{s:s}", "subject", "Re: 发票"));
    ingest_event ev;
    json_t *e = accept_body(b, "email", &ev);
    cr_expect_str_eq(json_string_value(json_object_get(e, "sent_at")),
                     "2026-11-22T00:00:00.000Z");
    json_t *t = json_object_get(e, "thread");
    cr_expect_str_eq(json_string_value(json_object_get(t, "message_id")), "a1@mail.example");
    cr_expect_str_eq(json_string_value(json_object_get(t, "in_reply_to")), "a0@shop.example");
    cr_expect_eq(json_array_size(json_object_get(t, "references")), 2);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(t, "references"), 1)),
                     "a0@shop.example");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "hints"), "subject")),
                     "Re: 发票");
    json_decref(e);
    ingest_event_release(&ev);
    /* Without them the event carries neither. */
    json_object_del(b, "sent_at");
    json_object_del(b, "thread");
    e = accept_body(b, "email", &ev);
    cr_expect_null(json_object_get(e, "sent_at"));
    cr_expect_null(json_object_get(e, "thread"));
    json_decref(e);
    ingest_event_release(&ev);
    json_decref(b);
}

Test(ingest_normalize, sent_at_must_be_sane)
{
#define SENT(v) "{\"channel\":\"web\",\"external_id\":\"1\"," CUST ",\"text\":\"x\",\"sent_at\":" v "}"
    assert_reject(SENT("1795305600"), 400, "invalid_field", "sent_at");
    assert_reject(SENT("\"yesterday\""), 400, "invalid_field", "sent_at");
    /* NOW_MS is 2026-11-22T00:00:00.123Z: 6 minutes ahead is refused, 4 are tolerated. */
    assert_reject(SENT("\"2026-11-22T00:06:01Z\""), 400, "invalid_field", "sent_at");
    assert_reject(SENT("\"2026-10-22T00:00:00Z\""), 400, "invalid_field", "sent_at");
    json_t *b = body_of(SENT("\"2026-11-22T00:04:00Z\""));
    ingest_event ev;
    json_decref(accept_body(b, "web", &ev));
    ingest_event_release(&ev);
    json_decref(b);
#undef SENT
}

Test(ingest_normalize, thread_is_checked_member_by_member)
{
#define THREAD(v) "{\"channel\":\"email\",\"external_id\":\"1\"," CUST ",\"text\":\"x\",\"thread\":" v "}"
    assert_reject_as("email", THREAD("\"a@b\""), 400, "invalid_field", "thread");
    assert_reject_as("email", THREAD("{\"msgid\":\"a@b\"}"), 400, "unknown_field", "thread.msgid");
    assert_reject_as("email", THREAD("{\"in_reply_to\":5}"), 400, "invalid_field",
                     "thread.in_reply_to");
    assert_reject_as("email", THREAD("{\"references\":\"a@b\"}"), 400, "invalid_field",
                     "thread.references");
    assert_reject_as("email", THREAD("{\"references\":[\"a@b\",\"\"]}"), 400, "invalid_field",
                     "thread.references[1]");
    char buf[2048] = THREAD("{\"references\":[");
    buf[strlen(buf) - 1] = '\0';   /* drop THREAD's closing brace; re-added below */
    for (int i = 0; i < 21; i++)
        strcat(buf, i ? ",\"r@x\"" : "\"r@x\"");
    strcat(buf, "]}}");
    assert_reject_as("email", buf, 400, "too_many_items", "thread.references");
    char longid[400];
    memset(longid, 'm', 301);
    longid[301] = '\0';
    snprintf(buf, sizeof buf, THREAD("{\"message_id\":\"%s\"}"), longid);
    assert_reject_as("email", buf, 400, "field_too_long", "thread.message_id");
#undef THREAD
}

Test(ingest_normalize, no_channel_check_without_a_key_channel)
{
    json_t *b = valid_body("marketplace", "mp-1", "where is my order?");
    ingest_event ev;
    json_decref(accept_body(b, NULL, &ev));
    cr_expect_str_eq(ev.channel->name, "marketplace");
    ingest_event_release(&ev);
    json_decref(b);
}

/* xorshift64: a fixed, reproducible sequence for the mutation test. */
static uint64_t mutation_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

Test(ingest_normalize, mutated_bodies_are_accepted_valid_or_refused_with_a_field)
{
    static const char seed[] =
        "{\"channel\":\"web\",\"external_id\":\"m-1\",\"customer\":{\"id\":\"u\",\"name\":\"李娜\","
        "\"phone\":\"+86 138-1234-5678\",\"email\":\"l@example.com\",\"tier\":\"new\"},"
        "\"text\":\"退货 return\\n\\\"x\\\"\",\"attachments\":[{\"name\":\"a\",\"content_type\":"
        "\"image/png\",\"size\":1,\"url\":\"u\"}],\"hints\":{\"urgency\":\"high\"}}";
    static const char alphabet[] = "{}[]\":,\\ 0aZ-@+.\xe4\xb8\xad";
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int parsed = 0, accepted = 0;
    for (int i = 0; i < 20000; i++) {
        char buf[sizeof seed];
        memcpy(buf, seed, sizeof seed);
        for (int k = (int)(mutation_next(&rng) % 4) + 1; k > 0; k--)
            buf[mutation_next(&rng) % (sizeof seed - 1)] =
                alphabet[mutation_next(&rng) % (sizeof alphabet - 1)];
        json_t *b = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(b)) {
            json_decref(b);
            continue;
        }
        parsed++;
        ingest_event ev;
        sb_error err;
        sb_error_clear(&err);
        if (ingest_normalize(b, NULL, &secrets, NOW_MS, &ev, &err) == 0) {
            ingest_event_release(&ev);
            json_decref(accept_body(b, NULL, &ev));   /* again, checked against the schema */
            ingest_event_release(&ev);
            accepted++;
        } else {
            cr_assert(err.status == 400 || err.status == 404, "status %d for %s", err.status, buf);
            cr_assert(err.code[0] && err.message[0], "error without code/message for %s", buf);
        }
        json_decref(b);
    }
    cr_expect_gt(parsed, 1000, "the mutations should often still be JSON (%d)", parsed);
    cr_expect_gt(accepted, 100, "and often still acceptable (%d)", accepted);
}
