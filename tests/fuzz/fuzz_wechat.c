/* fuzz_wechat.c - WeChat pushes through ingest's XML parser + mapping (what it accepts the
 * normaliser and message_request.v1 accept), and the URL signature check against SHA-1 itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/sha.h>

#include "services/ingest/wechat.h"

#define FUZZ_NAME "fuzz_wechat"
#include "tests/fuzz/fuzz_ingest.h"

#define FUZZ_NOW_MS 1795305600000LL   /* 2026-11-22T00:00:00Z: the seeds' CreateTimes are fresh */
#define FUZZ_TOKEN  "demo-wechat-token"
/* An input starting with this is a signature case:
 * "SIG\n<timestamp>\n<nonce>\n<signature>[\n<token>]". */
#define FUZZ_SIG_MAGIC "SIG\n"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ingest_init();
    return 0;
}

/* ---- the signature ---- */

/* The lower-case hex signature computed the plain way: sort with strcmp, concatenate, SHA-1. */
static void reference_signature(const char *token, const char *ts, const char *nonce,
                                char out[41])
{
    const char *p[3] = {token, ts, nonce};
    for (int i = 1; i < 3; i++)
        for (int j = i; j > 0 && strcmp(p[j - 1], p[j]) > 0; j--) {
            const char *t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    size_t n = strlen(p[0]) + strlen(p[1]) + strlen(p[2]);
    char *joined = malloc(n + 1);
    CHECK(joined, "out of memory");
    snprintf(joined, n + 1, "%s%s%s", p[0], p[1], p[2]);
    unsigned char md[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)joined, n, md);
    for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    free(joined);
}

/* Splits s (NUL-terminated, modified) at '\n' into up to max fields; the count. */
static int split_lines(char *s, char **fields, int max)
{
    int n = 0;
    while (n < max) {
        fields[n++] = s;
        char *nl = strchr(s, '\n');
        if (!nl)
            break;
        *nl = '\0';
        s = nl + 1;
    }
    return n;
}

/* Signature case: signature_ok agrees with the reference, verify names a 401's parameter. */
static void fuzz_signature(char *text)
{
    char *f[4] = {"", "", "", FUZZ_TOKEN};
    split_lines(text, f, 4);
    const char *ts = f[0], *nonce = f[1], *sig = f[2], *token = f[3];
    char want[41];
    reference_signature(token, ts, nonce, want);
    int expect = *token && strcasecmp(sig, want) == 0;
    CHECK(ingest_wechat_signature_ok(token, strlen(token), ts, nonce, sig) == expect,
          "signature_ok disagrees with the reference for %s (want %s)", sig, want);
    CHECK(ingest_wechat_signature_ok(token, strlen(token), ts, nonce, want) == (*token != 0),
          "the reference signature %s is refused", want);

    ingest_wechat_query q = {sig, ts, nonce};
    sb_error err;
    sb_error_clear(&err);
    if (ingest_wechat_verify(token, strlen(token), &q, &err) == 0) {
        CHECK(expect, "verify passed a signature signature_ok refuses");
    } else {
        CHECK(err.status == 401, "verify: status %d", err.status);
        CHECK(!strcmp(err.field, "signature") || !strcmp(err.field, "timestamp") ||
                  !strcmp(err.field, "nonce"),
              "verify: field '%s'", err.field);
    }
    sb_error_clear(&err);
    if (ingest_wechat_fresh(ts, FUZZ_NOW_MS, &err) != 0)
        CHECK(err.status == 401 && !strcmp(err.field, "timestamp"), "fresh: %d %s", err.status,
              err.field);
}

/* ---- the XML ---- */

/* Is field an element name the parser may refuse by (or "xml", "openid", "" for 413/503)? */
static int known_field(const char *field)
{
    static const char *const names[] = {
        "xml",    "openid",   "FromUserName", "CreateTime",  "MsgType",    "MsgId",
        "Content", "MediaId", "PicUrl",       "Format",      "Recognition", "Location_X",
        "Location_Y", "Label", "Title",       "Description", "Url",        "Event", NULL};
    for (const char *const *n = names; *n; n++)
        if (strcmp(field, *n) == 0)
            return 1;
    return 0;
}

/* XML case: refused with a named field, or a message/event that holds up. */
static void fuzz_xml(const char *xml, size_t len)
{
    ingest_wechat_push push;
    sb_error err;
    sb_error_clear(&err);
    if (ingest_wechat_parse(xml, len, NULL, FUZZ_NOW_MS, &push, &err) != 0) {
        CHECK(push.body == NULL, "a refused push left a body");
        CHECK(err.status == 400 || err.status == 413 || err.status == 503, "status %d (%s)",
              err.status, err.message);
        CHECK(err.code[0] && err.message[0], "error without code or message");
        CHECK(err.status != 400 || (err.field[0] && known_field(err.field)),
              "field '%s' (%s)", err.field, err.message);
        return;
    }
    if (push.kind == INGEST_WECHAT_EVENT) {
        CHECK(push.body == NULL && push.event && push.event[0], "event without a label");
    } else {
        CHECK(push.body != NULL, "message without a body");
        fuzz_check_door(push.body, "wechat", FUZZ_NOW_MS);
        /* The sender named as the query's openid changes nothing. */
        const char *from = json_string_value(
            json_object_get(json_object_get(push.body, "customer"), "id"));
        ingest_wechat_push again;
        CHECK(ingest_wechat_parse(xml, len, from, FUZZ_NOW_MS, &again, &err) == 0 &&
                  json_equal(again.body, push.body),
              "the sender's own openid changed the outcome");
        ingest_wechat_push_release(&again);
    }
    ingest_wechat_push_release(&push);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t magic = sizeof FUZZ_SIG_MAGIC - 1;
    if (size >= magic && memcmp(data, FUZZ_SIG_MAGIC, magic) == 0) {
        char *text = fuzz_cstring(data + magic, size - magic);   /* a NUL inside ends a line */
        if (!text)
            return 0;
        fuzz_signature(text);
        free(text);
        return 0;
    }
    fuzz_xml((const char *)data, size);
    return 0;
}
