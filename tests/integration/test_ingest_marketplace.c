/* test_ingest_marketplace.c - the marketplace adapter's pure parts: the webhook signature
 * (constant-time HMAC-SHA256), and real-shaped events of several marketplaces (Chinese and
 * English) becoming exactly the generic message they should, which the generic door accepts;
 * every refusal names the event's field; schema and code agree. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/ids.h"
#include "expect.h"
#include "schema.h"
#include "services/ingest/marketplace.h"
#include "services/ingest/normalize.h"

#define NOW_MS 1795370400000LL   /* 2026-11-22T18:00:00Z */
#define DATA   SB_SOURCE_DIR "/tests/data/ingest/marketplace/"
#define SECRET "mp-secret-0123456789"

static ingest_secrets secrets;
static json_t *event_schema, *request_schema, *inbound_schema;

/* Schemas and keys, once per test process. */
static void setup(void)
{
    ingest_secrets_init(&secrets, "test-secret");
    event_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/marketplace_event.v1.json");
    request_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/message_request.v1.json");
    inbound_schema = sb_schema_load(SB_SOURCE_DIR "/proto/inbound/inbound_message.v1.json");
    cr_assert(event_schema && request_schema && inbound_schema, "cannot load the schemas");
}

static void teardown(void)
{
    json_decref(event_schema);
    json_decref(request_schema);
    json_decref(inbound_schema);
}

TestSuite(ingest_marketplace, .init = setup, .fini = teardown);

/* The bytes of a sample file (caller frees), length in *len. */
static char *sample(const char *file, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA "%s", file);
    return sb_test_file(path, len);
}

/* Parses text of marketplace name that must be accepted; the generic body (caller decrefs). */
static json_t *accept_text(const char *name, const char *text, size_t len)
{
    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    int rc = ingest_marketplace_parse(name, text, len, NOW_MS, &out, &err);
    cr_assert_eq(rc, 0, "refused: %d %s %s: %s", err.status, err.code, err.field, err.message);
    cr_assert(json_is_object(out));
    return out;
}

/* Parses a sample file that must be accepted. */
static json_t *accept_file(const char *name, const char *file)
{
    size_t len;
    char *text = sample(file, &len);
    json_t *out = accept_text(name, text, len);
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
    cr_assert_eq(ingest_marketplace_parse("tmall", text, len, NOW_MS, &out, &err), -1,
                 "accepted: %.200s", text);
    cr_expect_null(out);
    cr_expect_eq(err.status, status, "status %d (%s)", err.status, err.message);
    cr_expect_str_eq(err.code, code, "%s", err.message);
    cr_expect_str_eq(err.field, field, "%s", err.message);
}

Test(ingest_marketplace, tmall_buyer_message)
{
    json_t *b = accept_file("tmall", "tmall_buyer_message_zh.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"tmall:evt-tm-20261122-000187\","
        "\"customer\":{\"id\":\"tmall:b-2208841\",\"name\":\"小雨点\",\"phone\":\"13812345678\"},"
        "\"text\":\"亲，我11号下的单怎么还没发货？双十一买的急用。\","
        "\"hints\":{\"order_id\":\"3920118844771\",\"order_value\":\"199.00\",\"order_currency\":\"CNY\"},\"sent_at\":\"2026-11-22T09:41:27+08:00\"}");
    json_decref(b);
}

Test(ingest_marketplace, jd_after_sale_request_with_images_and_a_masked_phone)
{
    json_t *b = accept_file("jd", "jd_after_sale_request_zh.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"jd:AS-88412093\","
        "\"customer\":{\"id\":\"jd:jd_7d1c9a\",\"name\":\"李**\"},"
        "\"text\":\"收到的电饭煲外壳有裂痕，申请换货。\","
        "\"attachments\":["
        "{\"name\":\"crack-1.JPG\",\"content_type\":\"image/jpeg\","
        "\"url\":\"https://img.jd.example/afs/2026/11/22/crack-1.JPG\"},"
        "{\"name\":\"crack-2.png\",\"content_type\":\"image/png\","
        "\"url\":\"https://img.jd.example/afs/2026/11/22/crack-2.png?x-oss-process=image/resize,w_800\"},"
        "{\"name\":\"image-3\",\"content_type\":\"image/jpeg\","
        "\"url\":\"https://img.jd.example/afs/2026/11/22/\"}],"
        "\"hints\":{\"order_id\":\"285511930021\",\"order_value\":\"2999\",\"order_currency\":\"CNY\",\"category\":\"after-sales\"},"
        "\"sent_at\":\"2026-11-22T02:10:05Z\"}");
    json_decref(b);
}

Test(ingest_marketplace, pinduoduo_image_without_text)
{
    json_t *b = accept_file("pdd", "pdd_images_only_zh.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"pdd:pdd-msg-551902\","
        "\"customer\":{\"id\":\"pdd:u88120\"},"
        "\"attachments\":[{\"name\":\"9f0e1d.webp\",\"content_type\":\"image/webp\","
        "\"url\":\"https://img.pdd.example/chat/9f0e1d.webp\"}]}");
    json_decref(b);
}

Test(ingest_marketplace, amazon_dispute_is_a_complaint)
{
    json_t *b = accept_file("amazon_us", "amazon_dispute_en.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"amazon_us:A2Z-CLAIM-114-7788123-0045511\","
        "\"customer\":{\"id\":\"amazon_us:amzn1.account.AH3K2Y\",\"name\":\"Jane D.\"},"
        "\"text\":\"The item arrived broken and the seller has not answered in 3 days. I am filing an A-to-z claim.\","
        "\"attachments\":[{\"name\":\"71aBcD.jpg\",\"content_type\":\"image/jpeg\","
        "\"url\":\"https://m.media-amazon.example/images/I/71aBcD.jpg\"}],"
        "\"hints\":{\"order_id\":\"114-7788123-0045511\",\"order_value\":\"45.99\",\"order_currency\":\"USD\",\"category\":\"complaint\"},"
        "\"sent_at\":\"2026-11-22T13:05:44.512Z\"}");
    json_decref(b);
}

Test(ingest_marketplace, ebay_buyer_message_keeps_a_real_phone)
{
    json_t *b = accept_file("ebay-uk", "ebay_buyer_message_en.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"ebay-uk:ebay-m-0b7c6d5e\","
        "\"customer\":{\"id\":\"ebay-uk:vintage_collector_88\",\"name\":\"vintage_collector_88\","
        "\"phone\":\"+44 7700 900123\"},"
        "\"text\":\"Hello, can you combine shipping if I buy two more of these?\","
        "\"hints\":{\"order_id\":\"12-34567-89012\"},\"sent_at\":\"2026-11-22T11:00:00Z\"}");
    json_decref(b);
}

Test(ingest_marketplace, shopee_after_sale_with_no_images)
{
    json_t *b = accept_file("shopee_sg", "shopee_after_sale_en.json");
    sb_test_assert_json(b,
        "{\"channel\":\"marketplace\",\"external_id\":\"shopee_sg:shp-rr-2611220031\","
        "\"customer\":{\"id\":\"shopee_sg:77120033\",\"name\":\"mei.lin\"},"
        "\"text\":\"Wrong colour received, I ordered blue. Requesting return & refund.\","
        "\"hints\":{\"order_id\":\"261122ABCD1234\",\"order_value\":\"0.99\",\"order_currency\":\"SGD\",\"category\":\"after-sales\"},"
        "\"sent_at\":\"2026-11-22T16:45:00+08:00\"}");
    json_decref(b);
}

static const struct {
    const char *name, *file;
} good_samples[] = {{"tmall", "tmall_buyer_message_zh.json"},
                    {"jd", "jd_after_sale_request_zh.json"},
                    {"pdd", "pdd_images_only_zh.json"},
                    {"amazon_us", "amazon_dispute_en.json"},
                    {"ebay-uk", "ebay_buyer_message_en.json"},
                    {"shopee_sg", "shopee_after_sale_en.json"}};

/* Runs a generic body through the generic door as the marketplace channel; the event. */
static json_t *through_the_door(const json_t *generic, ingest_event *ev)
{
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_normalize(generic, "marketplace", &secrets, NOW_MS, ev, &err);
    cr_assert_eq(rc, 0, "the generic door refused: %s %s: %s", err.code, err.field, err.message);
    json_t *event = json_loadb(ev->json, ev->len, 0, NULL);
    cr_assert(event);
    return event;
}

Test(ingest_marketplace, every_sample_matches_the_schemas_and_passes_the_generic_door)
{
    char why[512];
    for (size_t i = 0; i < sizeof good_samples / sizeof good_samples[0]; i++) {
        size_t len;
        char *text = sample(good_samples[i].file, &len);
        json_t *native = json_loads(text, 0, NULL);
        cr_expect_eq(sb_schema_validate(event_schema, native, why, sizeof why), 0,
                     "%s vs marketplace_event.v1: %s", good_samples[i].file, why);
        json_t *generic = accept_text(good_samples[i].name, text, len);
        cr_expect_eq(sb_schema_validate(request_schema, generic, why, sizeof why), 0,
                     "%s's generic body vs message_request.v1: %s", good_samples[i].file, why);
        ingest_event ev;
        json_t *event = through_the_door(generic, &ev);
        cr_expect_eq(sb_schema_validate(inbound_schema, event, why, sizeof why), 0,
                     "%s's event: %s", good_samples[i].file, why);
        cr_expect_str_eq(json_string_value(json_object_get(event, "channel")), "marketplace");
        ingest_event_release(&ev);
        json_decref(event);
        json_decref(generic);
        json_decref(native);
        free(text);
    }
}

Test(ingest_marketplace, the_same_event_is_the_same_message_per_marketplace)
{
    static const char ev[] = "{\"event_id\":\"evt-1\",\"event_type\":\"buyer_message\","
                             "\"buyer\":{\"id\":\"b1\"},\"message\":{\"text\":\"hi\"}}";
    ingest_event a, b, c;
    json_t *ga = accept_text("tmall", ev, strlen(ev)), *gb = accept_text("tmall", ev, strlen(ev));
    json_t *gc = accept_text("jd", ev, strlen(ev));
    json_decref(through_the_door(ga, &a));
    json_decref(through_the_door(gb, &b));
    json_decref(through_the_door(gc, &c));
    char want[SB_UUID_STRLEN];
    sb_ids_message_id("marketplace", "tmall:evt-1", want);
    cr_expect_str_eq(a.message_id, want);
    cr_expect_str_eq(b.message_id, want);
    cr_expect_str_neq(c.message_id, want, "the same event id at another marketplace");
    /* The same buyer id at two marketplaces is two customers. */
    cr_expect_str_neq(a.customer_key, c.customer_key);
    ingest_event_release(&a);
    ingest_event_release(&b);
    ingest_event_release(&c);
    json_decref(ga);
    json_decref(gb);
    json_decref(gc);
}

/* ---------------------------------------------------------------- the signature */

/* "sha256=<hex HMAC-SHA256 of body under secret>" into out (>= 72 bytes); upper-case hex when
 * upper. */
static void sign(const char *secret, const char *body, size_t len, int upper, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &n);
    cr_assert_eq(n, 32);
    int off = sprintf(out, "sha256=");
    for (unsigned i = 0; i < n; i++)
        off += sprintf(out + off, upper ? "%02X" : "%02x", mac[i]);
}

/* Verifies header for body under SECRET; 0 or -1, and a refusal names X-Signature. */
static int verify(const char *header, const char *body)
{
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_marketplace_verify(header, SECRET, strlen(SECRET), body, strlen(body), &err);
    if (rc != 0) {
        cr_expect_eq(err.status, 401);
        cr_expect_str_eq(err.code, "unauthorized");
        cr_expect_str_eq(err.field, "X-Signature");
    }
    return rc;
}

Test(ingest_marketplace, the_signature_is_the_hmac_of_the_raw_body)
{
    size_t len;
    char *body = sample("tmall_buyer_message_zh.json", &len), sig[80], wrong[80];
    sign(SECRET, body, len, 0, sig);
    cr_expect_eq(verify(sig, body), 0);
    sign(SECRET, body, len, 1, wrong);   /* upper-case hex is the same signature */
    cr_expect_eq(verify(wrong, body), 0);
    wrong[0] = 'S', wrong[1] = 'H', wrong[2] = 'A';
    cr_expect_eq(verify(wrong, body), 0, "the algorithm name is case-insensitive");
    char padded[96];
    snprintf(padded, sizeof padded, " %s ", sig);
    cr_expect_eq(verify(padded, body), 0, "blanks around the value are not part of it");

    cr_expect_eq(verify(NULL, body), -1, "missing");
    cr_expect_eq(verify("", body), -1, "empty");
    cr_expect_eq(verify(sig + 7, body), -1, "hex without sha256=");
    char other[96];
    snprintf(other, sizeof other, "sha1=%s", sig + 7);
    cr_expect_eq(verify(other, body), -1, "another algorithm");
    snprintf(other, sizeof other, "%.*s", (int)strlen(sig) - 1, sig);
    cr_expect_eq(verify(other, body), -1, "63 hex digits");
    snprintf(other, sizeof other, "%s0", sig);
    cr_expect_eq(verify(other, body), -1, "65 hex digits");
    snprintf(other, sizeof other, "%s", sig);
    other[20] = 'g';
    cr_expect_eq(verify(other, body), -1, "not hex");
    snprintf(other, sizeof other, "%s", sig);
    other[70] = other[70] == '0' ? '1' : '0';
    cr_expect_eq(verify(other, body), -1, "one digit off");
    sign("another-secret", body, len, 0, other);
    cr_expect_eq(verify(other, body), -1, "signed with another secret");
    body[10] ^= 1;
    cr_expect_eq(verify(sig, body), -1, "one bit of the body changed");
    free(body);

    sb_error err;
    sb_error_clear(&err);
    sign("", "{}", 2, 0, sig);
    cr_expect_eq(ingest_marketplace_verify(sig, "", 0, "{}", 2, &err), -1,
                 "an empty secret verifies nothing");
    cr_expect_eq(ingest_marketplace_verify(sig, NULL, 0, "{}", 2, &err), -1);
}

Test(ingest_marketplace, marketplace_names)
{
    static const char *const ok[] = {"tmall", "jd", "amazon_us", "ebay-uk", "a",
                                     "abcdefghij0123456789abcdefghij0123456789"};
    static const char *const bad[] = {"", "Tmall", "tmall/extra", "tmall ", "淘宝", "a.b",
                                      "taobao%20", "abcdefghij0123456789abcdefghij0123456789x"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        cr_expect(ingest_marketplace_name_ok(ok[i]), "%s", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect(!ingest_marketplace_name_ok(bad[i]), "%s", bad[i]);
}

/* ---------------------------------------------------------------- refusals, one per reason */

/* Arrays, not pointers: Criterion hands each parameter to a test process of its own, where
 * pointers into this one's data would not hold. */
typedef struct mp_refusal {
    char file[48];
    char code[24], field[24];
    int  schema_refuses;   /* the schema alone catches it (else: a rule it cannot say) */
} mp_refusal;

static mp_refusal refusals[] = {
    {"bad_not_json.json", "invalid_json", "", 0},
    {"bad_missing_event_id.json", "missing_field", "event_id", 1},
    {"bad_long_event_id.json", "field_too_long", "event_id", 1},
    {"bad_event_type.json", "invalid_field", "event_type", 1},
    {"bad_missing_event_type.json", "missing_field", "event_type", 1},
    {"bad_shop_id_type.json", "invalid_field", "shop_id", 1},
    {"bad_created_at.json", "invalid_field", "created_at", 0},
    {"bad_created_at_too_old.json", "invalid_field", "created_at", 0},
    {"bad_missing_buyer.json", "missing_field", "buyer", 1},
    {"bad_missing_buyer_id.json", "missing_field", "buyer.id", 1},
    {"bad_long_buyer_id.json", "field_too_long", "buyer.id", 1},
    {"bad_buyer_phone.json", "invalid_field", "buyer.phone", 1},
    {"bad_buyer_unknown_member.json", "unknown_field", "buyer.level", 1},
    {"bad_order_missing_id.json", "missing_field", "order.id", 1},
    {"bad_order_amount_float.json", "invalid_field", "order.amount", 1},
    {"bad_order_amount_format.json", "invalid_field", "order.amount", 1},
    {"bad_order_currency.json", "invalid_field", "order.currency", 1},
    {"bad_missing_message.json", "missing_field", "message", 1},
    {"bad_message_empty.json", "missing_field", "message.text", 0},
    {"bad_message_image_ftp.json", "invalid_field", "message.images[2]", 1},
    {"bad_message_image_not_string.json", "invalid_field", "message.images[1]", 1},
    {"bad_message_too_many_images.json", "too_many_items", "message.images", 1},
    {"bad_message_text_type.json", "invalid_field", "message.text", 1},
    {"bad_unknown_member.json", "unknown_field", "seller_note", 1},
};

ParameterizedTestParameters(ingest_marketplace, refused_with_the_field_named)
{
    return cr_make_param_array(mp_refusal, refusals, sizeof refusals / sizeof refusals[0]);
}

ParameterizedTest(mp_refusal *r, ingest_marketplace, refused_with_the_field_named)
{
    size_t len;
    char *text = sample(r->file, &len);
    assert_refused(text, len, 400, r->code, r->field);
    json_t *native = json_loads(text, 0, NULL);
    if (native && r->schema_refuses) {
        char why[512];
        cr_expect_eq(sb_schema_validate(event_schema, native, why, sizeof why), -1,
                     "%s: marketplace_event.v1 should refuse it too", r->file);
    }
    json_decref(native);
    free(text);
}

/* ---------------------------------------------------------------- limits and shapes */

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

Test(ingest_marketplace, the_longest_ids_stay_within_the_generic_limits)
{
    /* 40 + 1 + 128 and 40 + 1 + 80 characters, all but the name's of 3 bytes each. */
    char *name = repeat("m", 40), *event_id = repeat("单", 128), *buyer = repeat("买", 80);
    char text[4096];
    snprintf(text, sizeof text,
             "{\"event_id\":\"%s\",\"event_type\":\"dispute\",\"buyer\":{\"id\":\"%s\"},"
             "\"message\":{\"text\":\"x\"}}", event_id, buyer);
    json_t *b = accept_text(name, text, strlen(text));
    char want[1024];
    snprintf(want, sizeof want, "%s:%s", name, event_id);
    cr_expect_str_eq(json_string_value(json_object_get(b, "external_id")), want);
    snprintf(want, sizeof want, "%s:%s", name, buyer);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(b, "customer"), "id")),
                     want);
    ingest_event ev;
    json_decref(through_the_door(b, &ev));
    ingest_event_release(&ev);
    json_decref(b);
    free(name);
    free(event_id);
    free(buyer);
}

Test(ingest_marketplace, twenty_images_and_long_urls)
{
    char *seg = repeat("a", 300), text[16384];
    int n = snprintf(text, sizeof text, "{\"event_id\":\"e\",\"event_type\":\"buyer_message\","
                     "\"buyer\":{\"id\":\"b\"},\"message\":{\"images\":[");
    for (int i = 0; i < 20; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s\"https://img.example/%s%d.PNG\"",
                      i ? "," : "", i == 19 ? seg : "p", i);
    snprintf(text + n, sizeof text - (size_t)n, "]}}");
    json_t *b = accept_text("tmall", text, strlen(text));
    json_t *atts = json_object_get(b, "attachments");
    cr_assert_eq(json_array_size(atts), 20);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(atts, 0), "name")), "p0.PNG");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(atts, 0), "content_type")),
                     "image/png");
    /* A last segment longer than a name may be: image-<n>.<ext>. */
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(atts, 19), "name")),
                     "image-20.png");
    ingest_event ev;
    json_decref(through_the_door(b, &ev));
    ingest_event_release(&ev);
    json_decref(b);
    free(seg);

    char *url = repeat("u", 2048 - strlen("https://img.example/")), t2[4096];
    snprintf(t2, sizeof t2, "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":"
             "{\"id\":\"b\"},\"message\":{\"images\":[\"https://img.example/%s\"]}}", url);
    json_decref(accept_text("tmall", t2, strlen(t2)));
    snprintf(t2, sizeof t2, "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":"
             "{\"id\":\"b\"},\"message\":{\"images\":[\"https://img.example/%sv\"]}}", url);
    assert_refused(t2, strlen(t2), 400, "field_too_long", "message.images[0]");
    free(url);
}

Test(ingest_marketplace, text_is_at_most_64_kib)
{
    char *t = repeat("x", INGEST_TEXT_MAX), *text = malloc(INGEST_TEXT_MAX + 256);
    sprintf(text, "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\"},"
                  "\"message\":{\"text\":\"%s\"}}", t);
    json_t *b = accept_text("tmall", text, strlen(text));
    cr_expect_eq(strlen(json_string_value(json_object_get(b, "text"))), INGEST_TEXT_MAX);
    json_decref(b);
    sprintf(text, "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\"},"
                  "\"message\":{\"text\":\"%sy\"}}", t);
    assert_refused(text, strlen(text), 400, "field_too_long", "message.text");
    free(text);
    free(t);
}

Test(ingest_marketplace, shapes_at_the_edges)
{
    static const char *const ok[] = {
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\",\"phone\":\"\"},"
        "\"order\":{\"id\":\"o\",\"amount\":\"0\",\"currency\":\"\"},\"message\":{\"text\":\"x\"}}",
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\"},"
        "\"order\":{\"id\":\"o\",\"amount\":\"999999999999.99\"},\"message\":{\"text\":\"x\"}}",
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"created_at\":null,\"shop_id\":\"\","
        "\"buyer\":{\"id\":\"b\",\"nick\":null},\"order\":null,\"message\":{\"text\":\"x\",\"images\":null}}",
    };
    char why[512];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_t *b = accept_text("tmall", ok[i], strlen(ok[i]));
        cr_expect_null(json_object_get(json_object_get(b, "customer"), "phone"), "%s", ok[i]);
        json_decref(b);
        json_t *native = json_loads(ok[i], 0, NULL);
        cr_expect_eq(sb_schema_validate(event_schema, native, why, sizeof why), 0, "%s: %s",
                     ok[i], why);
        json_decref(native);
    }
    static const char leading_zero[] =
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\"},"
        "\"order\":{\"id\":\"o\",\"amount\":\"0199.00\"},\"message\":{\"text\":\"x\"}}";
    assert_refused(leading_zero, strlen(leading_zero), 400, "invalid_field", "order.amount");
    static const char message_member[] =
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\"},"
        "\"message\":{\"text\":\"x\",\"voice\":\"https://v.example/1.amr\"}}";
    assert_refused(message_member, strlen(message_member), 400, "unknown_field", "message.voice");
    static const char masked_only[] =
        "{\"event_id\":\"e\",\"event_type\":\"buyer_message\",\"buyer\":{\"id\":\"b\",\"phone\":\"***\"},"
        "\"message\":{\"text\":\"x\"}}";
    assert_refused(masked_only, strlen(masked_only), 400, "invalid_field", "buyer.phone");
}
