/* test_ingest_email.c - the e-mail adapter's MIME parsing and mapping: real-world-shaped
 * messages (tests/data/ingest/email/, Chinese and English, GBK/Big5/UTF-8, QP/base64, HTML,
 * replies, attachments) become exactly the generic bodies expected, each of which the
 * normaliser accepts; every refusal names its field. */
#include <criterion/criterion.h>
#include <glib.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "expect.h"
#include "schema.h"
#include "services/ingest/email.h"
#include "services/ingest/normalize.h"

#define NOW_MS   1795305600123LL   /* 2026-11-22T00:00:00.123Z */
#define DATA_DIR SB_SOURCE_DIR "/tests/data/ingest/email/"
#define DAY_MS   (24LL * 3600 * 1000)

static ingest_secrets secrets;
static json_t *request_schema;

/* GMime, the normaliser's keys and the request schema, once per test process. */
static void setup(void)
{
    ingest_email_init();
    ingest_secrets_init(&secrets, "test-secret");
    request_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/message_request.v1.json");
    cr_assert(request_schema, "cannot load the message_request schema");
}

static void teardown(void)
{
    json_decref(request_schema);
    ingest_email_shutdown();
}

TestSuite(ingest_email, .init = setup, .fini = teardown);

/* A sample message file, whole; *len its size. Caller frees. */
static char *sample(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, DATA_DIR "%s", name);
    return sb_test_file(path, len);
}

/* The body of raw, which must be accepted by the adapter, match message_request.v1 and pass
 * the normaliser with the e-mail key (so nothing it builds is refused later). */
static json_t *body_of_raw(const char *raw, size_t len)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *body = ingest_email_to_body(raw, len, NOW_MS, &err);
    cr_assert(body, "refused: %d %s %s: %s", err.status, err.code, err.field, err.message);
    char why[512];
    cr_assert_eq(sb_schema_validate(request_schema, body, why, sizeof why), 0,
                 "body does not match message_request.v1: %s", why);
    ingest_event ev;
    cr_assert_eq(ingest_normalize(body, "email", &secrets, NOW_MS + 50, &ev, &err), 0,
                 "normaliser refused: %d %s %s: %s", err.status, err.code, err.field,
                 err.message);
    ingest_event_release(&ev);
    return body;
}

/* Same for a message written in the test. */
static json_t *body_of(const char *raw)
{
    return body_of_raw(raw, strlen(raw));
}

/* Same for a sample file. */
static json_t *body_of_sample(const char *name)
{
    size_t len;
    char *raw = sample(name, &len);
    json_t *body = body_of_raw(raw, len);
    free(raw);
    return body;
}

/* raw (len bytes) must be refused with status, code and field. */
static void expect_refused_raw(const char *raw, size_t len, int status, const char *code,
                               const char *field)
{
    sb_error err;
    sb_error_clear(&err);
    json_t *body = ingest_email_to_body(raw, len, NOW_MS, &err);
    cr_assert_null(body, "accepted, expected %s on %s", code, field);
    cr_expect_eq(err.status, status, "status %d, expected %d", err.status, status);
    cr_expect_str_eq(err.code, code);
    cr_expect_str_eq(err.field, field);
    cr_expect_neq(err.message[0], '\0', "an error needs a message");
}

/* Same for a message written in the test. */
static void assert_refused(const char *raw, int status, const char *code, const char *field)
{
    expect_refused_raw(raw, strlen(raw), status, code, field);
}

/* Same for a sample file. */
static void assert_refused_sample(const char *name, int status, const char *code,
                                  const char *field)
{
    size_t len;
    char *raw = sample(name, &len);
    expect_refused_raw(raw, len, status, code, field);
    free(raw);
}

/* body.path (a dotted path of object members) as a string, or NULL. */
static const char *str_at(const json_t *body, const char *a, const char *b)
{
    const json_t *v = json_object_get(body, a);
    return json_string_value(b ? json_object_get(v, b) : v);
}

/* "sha256:<hex>" of len bytes into out. */
static void sha256_id(const char *raw, size_t len, char out[72])
{
    unsigned char md[32];
    unsigned int n = 0;
    cr_assert_eq(EVP_Digest(raw, len, md, &n, EVP_sha256(), NULL), 1);
    strcpy(out, "sha256:");
    for (unsigned int i = 0; i < n; i++)
        sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

/* An RFC 5322 Date header value for epoch ms (UTC). */
static void rfc5322_date(int64_t ms, char *out, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* A minimal valid message with extra headers and a plain body; caller frees. */
static char *message(const char *headers, const char *text)
{
    char *m = NULL;
    cr_assert(asprintf(&m,
                       "From: Li Lei <lilei@example.cn>\r\nTo: kefu@shop.example\r\n"
                       "%sMIME-Version: 1.0\r\n\r\n%s",
                       headers, text) > 0);
    return m;
}

/* ---- the samples ---- */

Test(ingest_email, plain_english)
{
    json_t *b = body_of_sample("plain_en.eml");
    sb_test_assert_json(b, "{\"channel\":\"email\","
                   "\"customer\":{\"email\":\"emma.clarke@example.co.uk\","
                   "\"name\":\"Emma Clarke\"},"
                   "\"external_id\":\"CAF7x9k2=Qp4nZr+1bT@mail.example.co.uk\","
                   "\"thread\":{\"message_id\":\"CAF7x9k2=Qp4nZr+1bT@mail.example.co.uk\"},"
                   "\"hints\":{\"subject\":\"Order #100234 arrived damaged\"},"
                   "\"sent_at\":\"2026-11-21T23:40:58.000Z\","
                   "\"text\":\"Hello,\\n\\nMy order #100234 arrived today but the box was "
                   "crushed and the kettle\\ninside has a cracked lid. Could you send a "
                   "replacement or refund me?\\n\\nThanks,\\nEmma\"}");
    json_decref(b);
}

Test(ingest_email, chinese_utf8_base64)
{
    json_t *b = body_of_sample("zh_utf8_base64.eml");
    sb_test_assert_json(b, "{\"channel\":\"email\","
                   "\"customer\":{\"email\":\"zhangwei1988@qq.example\",\"name\":\"张伟\"},"
                   "\"external_id\":\"tencent_5B3F0A9C2E@qq.example\","
                   "\"thread\":{\"message_id\":\"tencent_5B3F0A9C2E@qq.example\"},"
                   "\"hints\":{\"subject\":\"订单还没有发货\"},"
                   "\"sent_at\":\"2026-11-21T23:12:33.000Z\","
                   "\"text\":\"您好：\\n\\n我在11月11日下的订单（订单号 20261111-88231）到现在还没有"
                   "发货，物流信息一直没有更新。\\n请尽快帮我查一下，谢谢！\\n\\n张伟\"}");
    json_decref(b);
}

Test(ingest_email, alternative_gbk_quoted_printable_takes_the_plain_part)
{
    json_t *b = body_of_sample("alt_gbk_qp.eml");
    cr_expect_str_eq(str_at(b, "customer", "name"), "李娜");
    cr_expect_str_eq(str_at(b, "customer", "email"), "lina_2019@163.example");
    cr_expect_str_eq(str_at(b, "hints", "subject"), "申请换货");
    cr_expect_str_eq(str_at(b, "sent_at", NULL), "2026-11-21T22:30:05.000Z");
    cr_expect_str_eq(str_at(b, "text", NULL), "客服您好，\n\n我收到的手机屏幕有划痕，想申请换货。\n"
                                              "订单号：20261120-55102\n\n李娜");
    cr_expect_null(json_object_get(b, "attachments"), "the HTML alternative is no attachment");
    json_decref(b);
}

Test(ingest_email, big5_traditional_chinese)
{
    json_t *b = body_of_sample("big5.eml");
    cr_expect_str_eq(str_at(b, "customer", "name"), "陳小明");
    cr_expect_str_eq(str_at(b, "hints", "subject"), "耳機無法充電");
    cr_expect_str_eq(str_at(b, "text", NULL),
                     "您好，\n\n我上週訂購的耳機無法充電，請問要如何退貨？\n\n陳小明");
    json_decref(b);
}

Test(ingest_email, html_only_is_flattened)
{
    json_t *b = body_of_sample("html_only.eml");
    cr_expect_str_eq(str_at(b, "customer", "name"), "Shop Newsletter Reply");
    cr_expect_str_eq(str_at(b, "text", NULL),
                     "Buongiorno,\nthe invoice for order #100981 shows 2 × €49,90 but I ordered "
                     "one item & paid €49,90.\nCould you fix it? Grazie – José\nOrder 100981\n"
                     "<end>");
    json_decref(b);
}

Test(ingest_email, reply_carries_its_thread)
{
    json_t *b = body_of_sample("reply.eml");
    json_t *t = json_object_get(b, "thread");
    sb_test_assert_json(t, "{\"message_id\":\"CAF7x9k2=reply2@mail.example.co.uk\","
                   "\"in_reply_to\":\"EM-20261120-000042.1795200000@support.shop.example\","
                   "\"references\":[\"CAF7x9k2=Qp4nZr+1bT@mail.example.co.uk\","
                   "\"EM-20261120-000041.1795100000@support.shop.example\","
                   "\"EM-20261120-000042.1795200000@support.shop.example\"]}");
    cr_expect_str_eq(str_at(b, "hints", "subject"),
                     "Re: [Ticket EM-20261120-000042] Order #100234 arrived damaged");
    json_decref(b);
}

Test(ingest_email, two_attachments_as_metadata_only)
{
    json_t *b = body_of_sample("attachments.eml");
    cr_expect_str_eq(str_at(b, "text", NULL), "收到的杯子碎了，照片和发票见附件。");
    cr_expect_str_eq(str_at(b, "hints", "subject"), "杯子碎了（附照片和发票）");
    sb_test_assert_json(json_object_get(b, "attachments"),
                "[{\"name\":\"photo.png\",\"content_type\":\"image/png\",\"size\":69},"
                "{\"name\":\"发票.pdf\",\"content_type\":\"application/pdf\",\"size\":125}]");
    json_decref(b);
}

Test(ingest_email, rfc2047_encoded_name_and_subject)
{
    json_t *b = body_of_sample("rfc2047.eml");
    cr_expect_str_eq(str_at(b, "customer", "name"), "José María García");
    cr_expect_str_eq(str_at(b, "hints", "subject"), "Devolución del pedido – 果酱瓶破了");
    cr_expect_str_eq(str_at(b, "text", NULL),
                     "Hola, quiero devolver el pedido 100777. ¿Cómo lo hago?");
    json_decref(b);
}

/* ---- refusals, one per reason ---- */

Test(ingest_email, no_from_is_refused_naming_from)
{
    assert_refused_sample("no_from.eml", 400, "missing_field", "From");
}

Test(ingest_email, garbage_is_refused)
{
    assert_refused_sample("garbage.eml", 400, "invalid_field", "body");
}

Test(ingest_email, empty_is_refused)
{
    assert_refused_sample("empty.eml", 400, "missing_field", "body");
    assert_refused(" \r\n\r\n", 400, "missing_field", "body");
}

Test(ingest_email, from_without_an_address_is_refused)
{
    static const char *const froms[] = {
        "From: Li Lei\r\n", "From: undisclosed-recipients:;\r\n", "From: <>\r\n",
        "From: \"a b\"@example.cn\r\n", "From:   \r\n"};
    for (size_t i = 0; i < sizeof froms / sizeof froms[0]; i++) {
        char *m = NULL;
        cr_assert(asprintf(&m, "%sSubject: x\r\n\r\nhello\r\n", froms[i]) > 0);
        sb_error err;
        sb_error_clear(&err);
        json_t *b = ingest_email_to_body(m, strlen(m), NOW_MS, &err);
        cr_expect_null(b, "accepted %s", froms[i]);
        cr_expect_eq(err.status, 400, "%s", froms[i]);
        cr_expect_str_eq(err.field, "From", "%s", froms[i]);
        json_decref(b);
        free(m);
    }
}

Test(ingest_email, neither_text_nor_attachments_is_refused_naming_text)
{
    char *m = message("Subject: empty\r\n", "  \r\n\r\n");
    assert_refused(m, 400, "missing_field", "text");
    free(m);
    m = message("Content-Type: text/html; charset=utf-8\r\n",
                "<html><head><style>p{}</style></head><body><p> </p>&nbsp;</body></html>\r\n");
    assert_refused(m, 400, "missing_field", "text");
    free(m);
}

/* ---- mapping rules ---- */

Test(ingest_email, attachments_alone_are_enough)
{
    json_t *b = body_of("From: a@example.cn\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
                        "--XX\r\nContent-Type: text/plain\r\n\r\n\r\n"
                        "--XX\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
                        "Content-Disposition: attachment; "
                        "filename=\"C:\\\\fakepath\\\\IMG_2041.JPG\"\r\n\r\n"
                        "/9j/4AAQSkZJRgABAQ==\r\n--XX--\r\n");
    cr_expect_null(json_object_get(b, "text"));
    sb_test_assert_json(json_object_get(b, "attachments"),
                "[{\"name\":\"IMG_2041.JPG\",\"content_type\":\"image/jpeg\",\"size\":13}]");
    json_decref(b);
}

Test(ingest_email, missing_or_overlong_message_id_falls_back_to_the_hash)
{
    char want[72], *m = message("Subject: no id\r\n", "hello\r\n");
    json_t *b = body_of(m);
    sha256_id(m, strlen(m), want);
    cr_expect_str_eq(str_at(b, "external_id", NULL), want);
    cr_expect_null(json_object_get(b, "thread"));
    json_t *again = body_of(m);   /* the same message posted twice: the same id */
    cr_expect_str_eq(str_at(again, "external_id", NULL), want);
    json_decref(again);
    json_decref(b);
    free(m);

    char id250[251], hdr[400];
    memset(id250, 'a', 240);
    strcpy(id250 + 240, "@ex.cn");
    snprintf(hdr, sizeof hdr, "Message-ID: <%s>\r\n", id250);
    m = message(hdr, "hello\r\n");
    b = body_of(m);
    sha256_id(m, strlen(m), want);
    cr_expect_str_eq(str_at(b, "external_id", NULL), want, "over 200 characters: hashed");
    cr_expect_str_eq(str_at(b, "thread", "message_id"), id250, "still threads (<= 300)");
    json_decref(b);
    free(m);
}

Test(ingest_email, sent_at_only_within_the_window)
{
    struct {
        int64_t offset_ms;
        int     kept;
    } cases[] = {{-29 * DAY_MS, 1}, {-31 * DAY_MS, 0}, {4 * 60 * 1000, 1},
                 {10 * 60 * 1000, 0}, {-3600 * 1000, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char date[64], hdr[96];
        int64_t when = (NOW_MS / 1000) * 1000 + cases[i].offset_ms;
        rfc5322_date(when, date, sizeof date);
        snprintf(hdr, sizeof hdr, "Date: %s\r\n", date);
        char *m = message(hdr, "hi\r\n");
        json_t *b = body_of(m);
        if (cases[i].kept) {
            char iso[40];
            cr_expect_str_eq(str_at(b, "sent_at", NULL),
                             sb_clock_format_iso(when, iso, sizeof iso), "case %zu", i);
        } else {
            cr_expect_null(json_object_get(b, "sent_at"), "case %zu: %s", i, date);
        }
        json_decref(b);
        free(m);
    }
    char *m = message("Date: the day after tomorrow\r\n", "hi\r\n");
    json_t *b = body_of(m);
    cr_expect_null(json_object_get(b, "sent_at"));
    json_decref(b);
    free(m);
}

Test(ingest_email, references_keep_the_newest_twenty)
{
    char refs[4096] = "References:", hdr[4200];
    for (int i = 1; i <= 25; i++) {
        char one[64];
        snprintf(one, sizeof one, "%s<ref-%02d@example.cn>", i > 1 ? "\r\n " : " ", i);
        strcat(refs, one);
    }
    snprintf(hdr, sizeof hdr, "%s\r\nIn-Reply-To: <ref-25@example.cn> <ref-24@example.cn>\r\n",
             refs);
    char *m = message(hdr, "reply\r\n");
    json_t *b = body_of(m);
    json_t *r = json_object_get(json_object_get(b, "thread"), "references");
    cr_assert_eq(json_array_size(r), 20);
    cr_expect_str_eq(json_string_value(json_array_get(r, 0)), "ref-06@example.cn");
    cr_expect_str_eq(json_string_value(json_array_get(r, 19)), "ref-25@example.cn");
    cr_expect_str_eq(str_at(b, "thread", "in_reply_to"), "ref-25@example.cn");
    json_decref(b);
    free(m);
}

Test(ingest_email, more_than_twenty_attachments_keep_the_first_twenty)
{
    GString *m = g_string_new("From: a@example.cn\r\nMIME-Version: 1.0\r\n"
                              "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
                              "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                              "见附件\r\n");
    for (int i = 1; i <= 23; i++)
        g_string_append_printf(m, "--B\r\nContent-Type: application/octet-stream\r\n"
                                  "Content-Disposition: attachment; filename=\"f%02d.bin\"\r\n\r\n"
                                  "%0*d\r\n", i, i, 0);
    g_string_append(m, "--B--\r\n");
    json_t *b = body_of_raw(m->str, m->len);
    json_t *a = json_object_get(b, "attachments");
    cr_assert_eq(json_array_size(a), INGEST_ATTACHMENTS_MAX);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "name")), "f01.bin");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 19), "name")), "f20.bin");
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(a, 19), "size")), 20);
    cr_expect_str_eq(str_at(b, "text", NULL), "见附件");
    json_decref(b);
    g_string_free(m, TRUE);
}

Test(ingest_email, long_subject_and_name_are_cut_on_character_boundaries)
{
    GString *subject = g_string_new(NULL), *name = g_string_new(NULL);
    for (int i = 0; i < 400; i++)
        g_string_append(subject, "退");
    for (int i = 0; i < 200; i++)
        g_string_append(name, "王");
    char *b64s = g_base64_encode((const guchar *)subject->str, subject->len);
    char *b64n = g_base64_encode((const guchar *)name->str, name->len);
    char *m = NULL;
    cr_assert(asprintf(&m, "From: =?UTF-8?B?%s?= <w@example.cn>\r\n"
                           "Subject: =?UTF-8?B?%s?=\r\n\r\nx\r\n",
                       b64n, b64s) > 0);
    json_t *b = body_of(m);
    g_string_truncate(subject, 300 * 3);
    g_string_truncate(name, 128 * 3);
    cr_expect_str_eq(str_at(b, "hints", "subject"), subject->str);
    cr_expect_str_eq(str_at(b, "customer", "name"), name->str);
    json_decref(b);
    free(m);
    g_free(b64s);
    g_free(b64n);
    g_string_free(subject, TRUE);
    g_string_free(name, TRUE);
}

Test(ingest_email, text_over_64_kib_is_cut_on_a_character_boundary)
{
    GString *text = g_string_new(NULL);
    while (text->len < 70000)
        g_string_append(text, "慢");   /* 3 bytes: 65536 is not a multiple */
    char *b64 = g_base64_encode((const guchar *)text->str, text->len);
    char *m = NULL;
    cr_assert(asprintf(&m, "From: a@example.cn\r\nContent-Type: text/plain; charset=utf-8\r\n"
                           "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", b64) > 0);
    json_t *b = body_of(m);
    const char *got = str_at(b, "text", NULL);
    cr_assert(got);
    cr_expect_eq(strlen(got), 65535, "21845 whole characters");
    cr_expect_eq(strncmp(got, text->str, 65535), 0);
    json_decref(b);
    free(m);
    g_free(b64);
    g_string_free(text, TRUE);
}

Test(ingest_email, undeclared_8bit_gbk_falls_back_to_gb18030)
{
    /* A mailer that sends raw GBK in the Subject and body and declares no charset. */
    gsize n;
    char *subject = g_convert("退款申请", -1, "GB18030", "UTF-8", NULL, &n, NULL);
    char *text = g_convert("我要退款，谢谢", -1, "GB18030", "UTF-8", NULL, &n, NULL);
    char *m = NULL;
    cr_assert(asprintf(&m, "From: a@example.cn\r\nSubject: %s\r\n\r\n%s\r\n", subject, text) > 0);
    json_t *b = body_of(m);
    cr_expect_str_eq(str_at(b, "hints", "subject"), "退款申请");
    cr_expect_str_eq(str_at(b, "text", NULL), "我要退款，谢谢");
    json_decref(b);
    free(m);
    g_free(subject);
    g_free(text);
}

Test(ingest_email, gb2312_label_with_gbk_characters_and_shift_jis)
{
    /* 镕 is GBK, not GB2312: the label is read as its GB18030 superset. */
    gsize n;
    char *gbk = g_convert("朱镕基的快递", -1, "GBK", "UTF-8", NULL, &n, NULL);
    char *m = message("Content-Type: text/plain; charset=gb2312\r\n"
                      "Content-Transfer-Encoding: 8bit\r\n", gbk);
    json_t *b = body_of(m);
    cr_expect_str_eq(str_at(b, "text", NULL), "朱镕基的快递");
    json_decref(b);
    free(m);
    g_free(gbk);

    char *sjis = g_convert("注文した商品が届きません", -1, "SHIFT_JIS", "UTF-8", NULL, &n, NULL);
    char *b64 = g_base64_encode((const guchar *)sjis, n);
    char *body = g_strdup_printf("%s\r\n", b64);
    m = message("Content-Type: text/plain; charset=Shift_JIS\r\n"
                "Content-Transfer-Encoding: base64\r\n", body);
    b = body_of(m);
    cr_expect_str_eq(str_at(b, "text", NULL), "注文した商品が届きません");
    json_decref(b);
    free(m);
    g_free(sjis);
    g_free(b64);
    g_free(body);
}

Test(ingest_email, bad_bytes_become_replacement_characters)
{
    /* Declared UTF-8 with a stray Latin-1 byte, a NUL and a control byte. */
    static const char raw[] = "From: a@example.cn\r\nContent-Type: text/plain; charset=utf-8\r\n"
                              "Content-Transfer-Encoding: 8bit\r\n\r\n"
                              "caf\xe9 ok\x00 \x01tab\there\r\n";
    json_t *b = body_of_raw(raw, sizeof raw - 1);
    cr_expect_str_eq(str_at(b, "text", NULL), "caf\xEF\xBF\xBD ok tab\there");
    json_decref(b);
    /* A charset iconv has never heard of, bytes that are UTF-8: taken as UTF-8. */
    char *m = message("Content-Type: text/plain; charset=x-unheard-of\r\n", "naïve 订单\r\n");
    b = body_of(m);
    cr_expect_str_eq(str_at(b, "text", NULL), "naïve 订单");
    json_decref(b);
    free(m);
}

Test(ingest_email, forwarded_message_and_signature_parts)
{
    json_t *b = body_of(
        "From: a@example.cn\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=S\r\n\r\n"
        "--S\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
        "--M\r\nContent-Type: text/plain\r\n\r\nSee the forwarded mail.\r\n"
        "--M\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: shop@example.com\r\nSubject: Your order shipped\r\n\r\nIt shipped.\r\n"
        "--M--\r\n"
        "--S\r\nContent-Type: application/pgp-signature; name=signature.asc\r\n\r\n"
        "-----BEGIN PGP SIGNATURE-----\r\nxx\r\n-----END PGP SIGNATURE-----\r\n--S--\r\n");
    cr_expect_str_eq(str_at(b, "text", NULL), "See the forwarded mail.");
    json_t *a = json_object_get(b, "attachments");
    cr_assert_eq(json_array_size(a), 1, "the signature is no attachment");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "name")),
                     "Your order shipped.eml");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "content_type")),
                     "message/rfc822");
    cr_expect_gt(json_integer_value(json_object_get(json_array_get(a, 0), "size")), 40);
    json_decref(b);
}

Test(ingest_email, empty_plain_alternative_falls_back_to_html)
{
    json_t *b = body_of("From: a@example.cn\r\nMIME-Version: 1.0\r\n"
                        "Content-Type: multipart/alternative; boundary=A\r\n\r\n"
                        "--A\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n"
                        "--A\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                        "<div>第一行<br>第二行</div><div>&#x4F60;&#22909; &lt;b&gt;</div>\r\n"
                        "--A--\r\n");
    cr_expect_str_eq(str_at(b, "text", NULL), "第一行\n第二行\n你好 <b>");
    json_decref(b);
}
