/* test_ingest_wechat.c - the WeChat adapter's pure part: the URL signature, and real-world-shaped
 * XML pushes (tests/data/ingest/wechat/) mapped to exact generic bodies that the normaliser and
 * message_request.v1 accept; every refusal names its XML element. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "expect.h"
#include "schema.h"
#include "services/ingest/normalize.h"
#include "services/ingest/wechat.h"

#define NOW_MS    1795305600000LL   /* 2026-11-22T00:00:00Z */
#define SAMPLES   SB_SOURCE_DIR "/tests/data/ingest/wechat/"
#define OPENID    "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
#define TOKEN     "demo-wechat-token"
/* sha1("1514711492" "1795305600" "demo-wechat-token"), the three sorted (computed by Python's
 * hashlib, independently of the code under test). */
#define GOOD_SIG  "75a040e2f4c1f895bd92a9ae26e144793243038e"
/* sha1 of the same three unsorted (token, timestamp, nonce): what a naive signer would send. */
#define UNSORTED_SIG "afc8e282edac5fa557e13719d8905d104b640ce5"

static ingest_secrets secrets;
static json_t *request_schema;

static void setup(void)
{
    ingest_secrets_init(&secrets, "test-secret");
    request_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/message_request.v1.json");
    cr_assert(request_schema, "cannot load the message_request schema");
}

static void teardown(void)
{
    json_decref(request_schema);
}

TestSuite(ingest_wechat, .init = setup, .fini = teardown);

/* ---- helpers ---- */

/* A sample file's bytes (NUL-terminated, caller frees) and length. */
static char *sample(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, SAMPLES "%s", name);
    return sb_test_file(path, len);
}

/* A push of type with the usual FromUserName, CreateTime and MsgId, each omitted when NULL,
 * plus extra elements. Caller frees. */
static char *push_xml(const char *from, const char *create, const char *type, const char *msgid,
                      const char *extra)
{
    char *s = NULL;
    int n = asprintf(&s,
                     "<xml><ToUserName><![CDATA[gh_3f2a9b1c7d8e]]></ToUserName>"
                     "%s%s%s%s%s%s%s%s%s%s%s%s%s</xml>",
                     from ? "<FromUserName><![CDATA[" : "", from ? from : "",
                     from ? "]]></FromUserName>" : "", create ? "<CreateTime>" : "",
                     create ? create : "", create ? "</CreateTime>" : "",
                     type ? "<MsgType><![CDATA[" : "", type ? type : "",
                     type ? "]]></MsgType>" : "", msgid ? "<MsgId>" : "", msgid ? msgid : "",
                     msgid ? "</MsgId>" : "", extra ? extra : "");
    cr_assert(n > 0);
    return s;
}

/* A text push with content as the Content element's inner XML. */
static char *text_xml(const char *content_inner)
{
    char extra[70000];
    snprintf(extra, sizeof extra, "<Content>%s</Content>", content_inner);
    return push_xml(OPENID, "1795305540", "text", "9000001", extra);
}

/* The generic body must pass the normaliser and the request schema. */
static void check_generic(const json_t *body)
{
    char why[512];
    cr_assert_eq(sb_schema_validate(request_schema, body, why, sizeof why), 0,
                 "the body does not match message_request.v1: %s", why);
    ingest_event ev;
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(ingest_normalize(body, "wechat", &secrets, NOW_MS, &ev, &err), 0,
                 "normalize refused the mapped body: %s (%s)", err.message, err.field);
    ingest_event_release(&ev);
}

/* Parses xml, which must be a message whose body equals the JSON text want. */
static void assert_message(const char *xml, size_t len, const char *want_json)
{
    ingest_wechat_push push;
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_wechat_parse(xml, len, NULL, NOW_MS, &push, &err);
    cr_assert_eq(rc, 0, "refused: %d %s %s (%s)", err.status, err.code, err.message, err.field);
    cr_assert_eq(push.kind, INGEST_WECHAT_MESSAGE);
    json_error_t jerr;
    json_t *want = json_loads(want_json, 0, &jerr);
    cr_assert(want, "bad expected JSON: %s", jerr.text);
    char *got = json_dumps(push.body, JSON_SORT_KEYS | JSON_COMPACT);
    char *exp = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
    cr_expect(json_equal(push.body, want), "body\n got %s\nwant %s", got, exp);
    free(got);
    free(exp);
    check_generic(push.body);
    json_decref(want);
    ingest_wechat_push_release(&push);
}

/* The sample name must be a message whose body equals want_json. */
static void assert_sample(const char *name, const char *want_json)
{
    size_t len;
    char *xml = sample(name, &len);
    assert_message(xml, len, want_json);
    free(xml);
}

/* Parses xml (with the query's openid), which must be refused with status and field. */
static void assert_refusal(const char *xml, size_t len, const char *openid, int status,
                           const char *code, const char *field)
{
    ingest_wechat_push push;
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(ingest_wechat_parse(xml, len, openid, NOW_MS, &push, &err), -1,
                 "accepted, expected %s on %s", code, field);
    cr_expect_eq(err.status, status, "status %d (%s: %s)", err.status, err.code, err.message);
    cr_expect_str_eq(err.code, code, "code (%s)", err.message);
    cr_expect_str_eq(err.field, field, "field (%s)", err.message);
    cr_expect(push.body == NULL, "a refused push left a body behind");
}

/* A generated document must be refused naming field with code. */
static void assert_refused(char *xml, const char *code, const char *field)
{
    assert_refusal(xml, strlen(xml), NULL, 400, code, field);
    free(xml);
}

/* The sample name must be refused naming field. */
static void assert_sample_refused(const char *name, const char *code, const char *field)
{
    size_t len;
    char *xml = sample(name, &len);
    assert_refusal(xml, len, NULL, 400, code, field);
    free(xml);
}

/* ---- messages: samples mapped to exact bodies ---- */

#define CUSTOMER "\"customer\": {\"id\": \"" OPENID "\"}"

Test(ingest_wechat, chinese_text_in_cdata)
{
    assert_sample("text_zh.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123456\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": "
                  "\"你好，我的订单 20261111-8823 已经五天了还没发货，请尽快处理！\"}");
}

Test(ingest_wechat, english_plain_text_with_entities)
{
    assert_sample("text_en.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123457\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:01Z\", \"text\": "
                  "\"Hi, where is my parcel? Orders #A-1182 & #A-1183 <urgent>\"}");
}

Test(ingest_wechat, image_becomes_a_jpeg_attachment_with_its_url)
{
    assert_sample("image.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123458\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:02Z\", \"attachments\": [{\"name\": "
                  "\"Kx9LqT3v0bC_5mJrW2yH8pN4dA7sE1fG6uI0oZ-cV3xB.jpg\", \"content_type\": "
                  "\"image/jpeg\", \"url\": \"http://mmbiz.qpic.cn/mmbiz_jpg/8xKz0dPq1vQibT2/0\"}]}");
}

Test(ingest_wechat, voice_carries_the_recognition_as_text)
{
    assert_sample("voice.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123459\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:03Z\", \"text\": "
                  "\"我要退货，收到的杯子是碎的\", \"attachments\": [{\"name\": "
                  "\"Vq2mT8xL0aZ3nW6cR9pB1sD4fG7hJ0kL2zX5cV8bN3mQ.AMR\", \"content_type\": "
                  "\"audio/amr\"}]}");
}

Test(ingest_wechat, voice_without_recognition_is_the_attachment_alone)
{
    char *xml = push_xml(OPENID, "1795305540", "voice", "9000002",
                         "<MediaId>m-1</MediaId><Format>speex</Format>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000002\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"attachments\": [{\"name\": "
                   "\"m-1.speex\", \"content_type\": \"audio/speex\"}]}");
    free(xml);
}

Test(ingest_wechat, shortvideo_becomes_an_mp4_attachment)
{
    assert_sample("video.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123460\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:04Z\", \"attachments\": [{\"name\": "
                  "\"Sv7kP2qW9eR4tY1uI6oA3sD8fG5hJ0kL.mp4\", \"content_type\": \"video/mp4\"}]}");
}

Test(ingest_wechat, video_becomes_an_mp4_attachment)
{
    char *xml = push_xml(OPENID, "1795305540", "video", "9000003",
                         "<MediaId>vid-9</MediaId><ThumbMediaId>th-9</ThumbMediaId>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000003\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"attachments\": [{\"name\": "
                   "\"vid-9.mp4\", \"content_type\": \"video/mp4\"}]}");
    free(xml);
}

Test(ingest_wechat, location_is_described_in_text)
{
    assert_sample("location.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123461\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:05Z\", \"text\": "
                  "\"[location] 广东省广州市天河区天河路385号 (23.134521,113.358803)\"}");
}

Test(ingest_wechat, location_without_a_label)
{
    char *xml = push_xml(OPENID, "1795305540", "location", "9000004",
                         "<Location_X>-33.8688</Location_X><Location_Y>151.2093</Location_Y>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000004\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": "
                   "\"[location] (-33.8688,151.2093)\"}");
    free(xml);
}

Test(ingest_wechat, link_is_title_description_and_url)
{
    assert_sample("link.xml",
                  "{\"channel\": \"wechat\", \"external_id\": \"24582736190123462\", " CUSTOMER
                  ", \"sent_at\": \"2026-11-21T23:59:06Z\", \"text\": \"退换货政策说明\\n"
                  "七天无理由退货，质量问题运费由商家承担\\n"
                  "https://shop.example.com/help/returns?from=wx\"}");
}

Test(ingest_wechat, link_with_only_a_url)
{
    char *xml = push_xml(OPENID, "1795305540", "link", "9000005",
                         "<Title></Title><Url>https://example.com/a?b=1&amp;c=2</Url>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000005\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": "
                   "\"https://example.com/a?b=1&c=2\"}");
    free(xml);
}

Test(ingest_wechat, cdata_and_text_mix_and_markup_inside_cdata_is_text)
{
    char *xml = text_xml("a &lt;1&gt; <![CDATA[<b>&amp;</b>]]> z");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000001\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": \"a <1> <b>&amp;</b> z\"}");
    free(xml);
}

Test(ingest_wechat, content_is_kept_verbatim_and_ids_are_trimmed)
{
    char *xml = push_xml(" \n" OPENID "\n ", "\n 1795305540 \n", " text ", "\n\t9000006 \n",
                         "<Content>  two leading blanks, a trailing newline\n</Content>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000006\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": "
                   "\"  two leading blanks, a trailing newline\\n\"}");
    free(xml);
}

Test(ingest_wechat, unknown_elements_attributes_comments_and_declarations_are_ignored)
{
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- pushed by the platform -->\n"
        "<xml lang=\"zh_CN\"><?trace id=7?><ToUserName>gh_1</ToUserName>"
        "<FromUserName>" OPENID "</FromUserName><CreateTime>1795305540</CreateTime>"
        "<MsgType>text</MsgType><Content lang=\"en\">hello</Content>"
        "<Bizmsgmenuid>101</Bizmsgmenuid>"
        "<ScanCodeInfo><ScanType>qrcode</ScanType><Content>not this one</Content></ScanCodeInfo>"
        "<MsgId>9000007</MsgId><MsgDataId></MsgDataId></xml>";
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"9000007\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-21T23:59:00Z\", \"text\": \"hello\"}");
}

Test(ingest_wechat, a_matching_openid_is_accepted)
{
    char *xml = text_xml("hi");
    ingest_wechat_push push;
    sb_error err;
    cr_assert_eq(ingest_wechat_parse(xml, strlen(xml), OPENID, NOW_MS, &push, &err), 0);
    ingest_wechat_push_release(&push);
    free(xml);
}

Test(ingest_wechat, the_platforms_retries_are_one_message)
{
    size_t len;
    char *xml = sample("text_zh.xml", &len);
    char ids[2][SB_UUID_STRLEN], want[SB_UUID_STRLEN];
    for (int i = 0; i < 2; i++) {
        ingest_wechat_push push;
        ingest_event ev;
        sb_error err;
        cr_assert_eq(ingest_wechat_parse(xml, len, OPENID, NOW_MS + i * 5000, &push, &err), 0);
        cr_assert_eq(ingest_normalize(push.body, "wechat", &secrets, NOW_MS + i * 5000, &ev, &err),
                     0);
        memcpy(ids[i], ev.message_id, SB_UUID_STRLEN);
        ingest_event_release(&ev);
        ingest_wechat_push_release(&push);
    }
    sb_ids_message_id("wechat", "24582736190123456", want);
    cr_expect_str_eq(ids[0], want);
    cr_expect_str_eq(ids[1], want);
    free(xml);
}

/* ---- events ---- */

/* The sample name must be an event counted under label want. */
static void assert_event(const char *xml, size_t len, const char *want)
{
    ingest_wechat_push push;
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(ingest_wechat_parse(xml, len, NULL, NOW_MS, &push, &err), 0, "%s", err.message);
    cr_expect_eq(push.kind, INGEST_WECHAT_EVENT);
    cr_expect(push.body == NULL, "an event has no message body");
    cr_expect_str_eq(push.event, want);
    ingest_wechat_push_release(&push);
}

Test(ingest_wechat, subscribe_and_click_are_events)
{
    size_t len;
    char *xml = sample("event_subscribe.xml", &len);
    assert_event(xml, len, "subscribe");
    free(xml);
    xml = sample("event_click.xml", &len);
    assert_event(xml, len, "CLICK");
    free(xml);
}

Test(ingest_wechat, event_names_are_canonical_and_unknown_ones_are_other)
{
    const char *cases[][2] = {{"click", "CLICK"}, {"VIEW", "VIEW"}, {"unsubscribe", "unsubscribe"},
                              {"SCAN", "SCAN"}, {"LOCATION", "LOCATION"},
                              {"user_enter_tempsession", "other"}, {"x\"y", "other"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[128];
        snprintf(extra, sizeof extra, "<Event><![CDATA[%s]]></Event>", cases[i][0]);
        char *xml = push_xml(OPENID, "1795305540", "event", NULL, extra);
        assert_event(xml, strlen(xml), cases[i][1]);
        free(xml);
    }
}

/* ---- refusals, one per reason ---- */

Test(ingest_wechat, refuses_what_is_not_well_formed)
{
    assert_sample_refused("bad_truncated.xml", "invalid_xml", "xml");
    assert_refused(strdup(""), "invalid_xml", "xml");
    assert_refused(strdup("{\"MsgType\": \"text\"}"), "invalid_xml", "xml");
}

Test(ingest_wechat, refuses_an_undefined_entity)
{
    assert_refused(text_xml("&nbsp;hi"), "invalid_xml", "xml");
}

Test(ingest_wechat, refuses_bytes_that_are_not_utf8)
{
    assert_refused(text_xml("caf\xe9 \xff"), "invalid_xml", "xml");
}

Test(ingest_wechat, refuses_a_doctype_with_an_external_entity)
{
    size_t len;
    char *xml = sample("bad_doctype_xxe.xml", &len);
    ingest_wechat_push push;
    sb_error err;
    cr_assert_eq(ingest_wechat_parse(xml, len, NULL, NOW_MS, &push, &err), -1);
    cr_expect_eq(err.status, 400);
    cr_expect_str_eq(err.field, "xml");
    cr_expect(strstr(err.message, "DOCTYPE"), "message: %s", err.message);
    free(xml);
}

Test(ingest_wechat, refuses_entity_expansion)
{
    assert_sample_refused("bad_billion_laughs.xml", "invalid_xml", "xml");
    assert_refused(strdup("<!DOCTYPE xml><xml><MsgType>text</MsgType></xml>"), "invalid_xml", "xml");
}

Test(ingest_wechat, refuses_another_root)
{
    assert_sample_refused("bad_root.xml", "invalid_xml", "xml");
}

Test(ingest_wechat, refuses_a_push_without_msgtype)
{
    assert_refused(push_xml(OPENID, "1795305540", NULL, "1", "<Content>x</Content>"), "missing_field",
           "MsgType");
}

Test(ingest_wechat, refuses_an_unknown_msgtype)
{
    assert_sample_refused("bad_msgtype.xml", "invalid_field", "MsgType");
}

Test(ingest_wechat, refuses_a_message_without_msgid)
{
    assert_sample_refused("bad_no_msgid.xml", "missing_field", "MsgId");
    assert_refused(push_xml(OPENID, "1795305540", "text", "  ", "<Content>x</Content>"), "missing_field",
           "MsgId");
}

Test(ingest_wechat, refuses_a_msgid_with_blanks_inside)
{
    assert_refused(push_xml(OPENID, "1795305540", "text", "12 34", "<Content>x</Content>"),
           "invalid_field", "MsgId");
}

Test(ingest_wechat, refuses_an_overlong_msgid)
{
    char id[202];
    memset(id, '7', 201);
    id[201] = '\0';
    assert_refused(push_xml(OPENID, "1795305540", "text", id, "<Content>x</Content>"), "field_too_long",
           "MsgId");
}

Test(ingest_wechat, refuses_a_message_without_fromusername)
{
    assert_sample_refused("bad_no_from.xml", "missing_field", "FromUserName");
}

Test(ingest_wechat, refuses_an_overlong_fromusername)
{
    char from[130];
    memset(from, 'o', 129);
    from[129] = '\0';
    assert_refused(push_xml(from, "1795305540", "text", "1", "<Content>x</Content>"), "field_too_long",
           "FromUserName");
}

Test(ingest_wechat, refuses_a_message_without_createtime)
{
    assert_refused(push_xml(OPENID, NULL, "text", "1", "<Content>x</Content>"), "missing_field",
           "CreateTime");
}

Test(ingest_wechat, refuses_a_createtime_that_is_not_epoch_seconds)
{
    assert_sample_refused("bad_create_time.xml", "invalid_field", "CreateTime");
    assert_refused(push_xml(OPENID, "-1795305540", "text", "1", "<Content>x</Content>"), "invalid_field",
           "CreateTime");
    assert_refused(push_xml(OPENID, "99999999999999", "text", "1", "<Content>x</Content>"),
           "invalid_field", "CreateTime");
}

Test(ingest_wechat, refuses_a_createtime_outside_the_window)
{
    /* 30 days and one second ago; 5 minutes and one second ahead. */
    assert_refused(push_xml(OPENID, "1792713599", "text", "1", "<Content>x</Content>"), "invalid_field",
           "CreateTime");
    assert_refused(push_xml(OPENID, "1795305901", "text", "1", "<Content>x</Content>"), "invalid_field",
           "CreateTime");
    /* The edges themselves pass. */
    char *xml = push_xml(OPENID, "1795305900", "text", "1", "<Content>x</Content>");
    assert_message(xml, strlen(xml),
                   "{\"channel\": \"wechat\", \"external_id\": \"1\", " CUSTOMER
                   ", \"sent_at\": \"2026-11-22T00:05:00Z\", \"text\": \"x\"}");
    free(xml);
}

Test(ingest_wechat, refuses_text_without_content)
{
    assert_refused(push_xml(OPENID, "1795305540", "text", "1", NULL), "missing_field", "Content");
    assert_refused(text_xml(" \n\t "), "missing_field", "Content");
}

Test(ingest_wechat, refuses_content_over_64_kib)
{
    char *big = malloc(65538);
    memset(big, 'x', 65537);
    big[65537] = '\0';
    assert_refused(text_xml(big), "field_too_long", "Content");
    big[65536] = '\0';   /* exactly 64 KiB passes */
    char *xml = text_xml(big);
    ingest_wechat_push push;
    sb_error err;
    cr_expect_eq(ingest_wechat_parse(xml, strlen(xml), NULL, NOW_MS, &push, &err), 0);
    if (push.body)
        check_generic(push.body);
    ingest_wechat_push_release(&push);
    free(xml);
    free(big);
}

Test(ingest_wechat, refuses_an_element_given_twice)
{
    assert_refused(push_xml(OPENID, "1795305540", "text", "1", "<Content>a</Content><Content>b</Content>"),
           "invalid_field", "Content");
}

Test(ingest_wechat, refuses_elements_inside_a_known_element)
{
    assert_refused(text_xml("hello <b>world</b>"), "invalid_field", "Content");
}

Test(ingest_wechat, refuses_media_without_mediaid)
{
    assert_refused(push_xml(OPENID, "1795305540", "image", "1", "<PicUrl>http://x/1</PicUrl>"),
           "missing_field", "MediaId");
    assert_refused(push_xml(OPENID, "1795305540", "shortvideo", "1", NULL), "missing_field", "MediaId");
}

Test(ingest_wechat, refuses_a_mediaid_that_is_no_file_name)
{
    assert_refused(push_xml(OPENID, "1795305540", "image", "1", "<MediaId>../../etc/passwd</MediaId>"),
           "invalid_field", "MediaId");
}

Test(ingest_wechat, refuses_an_overlong_picurl)
{
    char extra[2200] = "<MediaId>m</MediaId><PicUrl>http://x/";
    size_t n = strlen(extra);
    memset(extra + n, 'p', 2048);
    strcpy(extra + n + 2048, "</PicUrl>");
    assert_refused(push_xml(OPENID, "1795305540", "image", "1", extra), "field_too_long", "PicUrl");
}

Test(ingest_wechat, refuses_voice_without_a_format)
{
    assert_refused(push_xml(OPENID, "1795305540", "voice", "1", "<MediaId>m</MediaId>"), "missing_field",
           "Format");
}

Test(ingest_wechat, refuses_a_format_that_is_no_codec_name)
{
    assert_refused(push_xml(OPENID, "1795305540", "voice", "1",
                    "<MediaId>m</MediaId><Format>amr/evil</Format>"),
           "invalid_field", "Format");
}

Test(ingest_wechat, refuses_a_location_without_coordinates)
{
    assert_refused(push_xml(OPENID, "1795305540", "location", "1", "<Location_Y>113.3</Location_Y>"),
           "missing_field", "Location_X");
    assert_refused(push_xml(OPENID, "1795305540", "location", "1", "<Location_X>23.1</Location_X>"),
           "missing_field", "Location_Y");
}

Test(ingest_wechat, refuses_coordinates_that_are_not_degrees)
{
    assert_refused(push_xml(OPENID, "1795305540", "location", "1",
                    "<Location_X>91</Location_X><Location_Y>113.3</Location_Y>"),
           "invalid_field", "Location_X");
    assert_refused(push_xml(OPENID, "1795305540", "location", "1",
                    "<Location_X>23.1</Location_X><Location_Y>1e2</Location_Y>"),
           "invalid_field", "Location_Y");
    assert_refused(push_xml(OPENID, "1795305540", "location", "1",
                    "<Location_X>nan</Location_X><Location_Y>1</Location_Y>"),
           "invalid_field", "Location_X");
}

Test(ingest_wechat, refuses_a_link_without_url)
{
    assert_refused(push_xml(OPENID, "1795305540", "link", "1", "<Title>t</Title>"), "missing_field",
           "Url");
}

Test(ingest_wechat, refuses_an_event_without_its_name)
{
    assert_refused(push_xml(OPENID, "1795305540", "event", NULL, "<EventKey>k</EventKey>"),
           "missing_field", "Event");
}

Test(ingest_wechat, refuses_an_openid_that_is_not_the_sender)
{
    char *xml = text_xml("hi");
    assert_refusal(xml, strlen(xml), "oSomebodyElse", 400, "invalid_field", "openid");
    free(xml);
}

/* ---- the signature ---- */

Test(ingest_wechat, signature_is_sha1_of_the_sorted_three)
{
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), "1795305600", "1514711492",
                                            GOOD_SIG), 1);
    /* Hex digits in either case. */
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), "1795305600", "1514711492",
                                            "75A040E2F4C1F895BD92A9AE26E144793243038E"), 1);
}

Test(ingest_wechat, signature_mismatches_are_refused)
{
    const char *ts = "1795305600", *nonce = "1514711492";
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, nonce, UNSORTED_SIG), 0);
    cr_expect_eq(ingest_wechat_signature_ok("other-token", 11, ts, nonce, GOOD_SIG), 0);
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), "1795305601", nonce, GOOD_SIG),
                 0);
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, "1514711493", GOOD_SIG), 0);
    /* Short, long, not hex, absent. */
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, nonce,
                                            "75a040e2f4c1f895bd92a9ae26e144793243038"), 0);
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, nonce,
                                            "75a040e2f4c1f895bd92a9ae26e144793243038e0"), 0);
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, nonce,
                                            "75a040e2f4c1f895bd92a9ae26e144793243038g"), 0);
    cr_expect_eq(ingest_wechat_signature_ok(TOKEN, strlen(TOKEN), ts, nonce, NULL), 0);
    cr_expect_eq(ingest_wechat_signature_ok(NULL, 0, ts, nonce, GOOD_SIG), 0);
}

/* verify(q) must refuse with 401 naming field. */
static void expect_unverified(const char *token, const char *sig, const char *ts,
                              const char *nonce, const char *field)
{
    ingest_wechat_query q = {sig, ts, nonce};
    sb_error err;
    sb_error_clear(&err);
    cr_assert_eq(ingest_wechat_verify(token, token ? strlen(token) : 0, &q, &err), -1);
    cr_expect_eq(err.status, 401);
    cr_expect_str_eq(err.field, field);
}

Test(ingest_wechat, verify_names_what_is_missing_or_wrong)
{
    ingest_wechat_query q = {GOOD_SIG, "1795305600", "1514711492"};
    sb_error err;
    cr_expect_eq(ingest_wechat_verify(TOKEN, strlen(TOKEN), &q, &err), 0);
    expect_unverified(TOKEN, NULL, "1795305600", "1514711492", "signature");
    expect_unverified(TOKEN, "", "1795305600", "1514711492", "signature");
    expect_unverified(TOKEN, GOOD_SIG, NULL, "1514711492", "timestamp");
    expect_unverified(TOKEN, GOOD_SIG, "1795305600", NULL, "nonce");
    expect_unverified(TOKEN, GOOD_SIG, "17953056OO", "1514711492", "timestamp");
    expect_unverified(TOKEN, UNSORTED_SIG, "1795305600", "1514711492", "signature");
    expect_unverified(NULL, GOOD_SIG, "1795305600", "1514711492", "signature");
    /* An empty token signs nothing: sha1("1514711492" "1795305600") must not pass. */
    expect_unverified("", "c1517f36bf6f2ae7c5685e969bf3bb5dc6d97121", "1795305600", "1514711492",
                      "signature");
}

Test(ingest_wechat, fresh_allows_300_seconds_either_way)
{
    sb_error err;
    cr_expect_eq(ingest_wechat_fresh("1795305600", NOW_MS, &err), 0);
    cr_expect_eq(ingest_wechat_fresh("1795305300", NOW_MS, &err), 0);
    cr_expect_eq(ingest_wechat_fresh("1795305900", NOW_MS, &err), 0);
    sb_error_clear(&err);
    cr_expect_eq(ingest_wechat_fresh("1795305299", NOW_MS, &err), -1);
    cr_expect_eq(err.status, 401);
    cr_expect_str_eq(err.field, "timestamp");
    sb_error_clear(&err);
    cr_expect_eq(ingest_wechat_fresh("1795305901", NOW_MS, &err), -1);
    cr_expect_str_eq(err.field, "timestamp");
    cr_expect_eq(ingest_wechat_fresh("soon", NOW_MS, &err), -1);
    cr_expect_str_eq(err.field, "timestamp");
}
