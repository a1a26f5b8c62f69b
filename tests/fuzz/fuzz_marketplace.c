/* fuzz_marketplace.c - marketplace webhooks through the signature check and the parser. An
 * input is "<X-Signature>\n<name>\n<body>": the given signature verifies only when it is the
 * body's HMAC; the right one always does, any one digit off never; what the parser accepts
 * matches marketplace_event.v1 and maps to a body the generic door accepts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "services/ingest/marketplace.h"

#define FUZZ_NAME "fuzz_marketplace"
#include "tests/fuzz/fuzz_ingest.h"

#define FUZZ_MP_SECRET "fuzz-marketplace-secret"
#define FUZZ_NOW_MS    1795370400000LL   /* 2026-11-22T18:00:00Z, the seeds' day */
#define FUZZ_LINE_MAX  128               /* longest signature / name line looked at */

static json_t *event_schema;   /* kept for the whole run (reachable, not a leak) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ingest_init();
    event_schema = fuzz_schema("http/marketplace_event.v1.json");
    return 0;
}

/* The next line of *p (up to *left bytes) into out (NUL-terminated, cut at FUZZ_LINE_MAX);
 * advances past its '\n'. 0 when there is no '\n' (the input is all body). */
static int next_line(const uint8_t **p, size_t *left, char out[FUZZ_LINE_MAX + 1])
{
    const uint8_t *nl = memchr(*p, '\n', *left);
    if (!nl)
        return 0;
    size_t n = (size_t)(nl - *p);
    memcpy(out, *p, n < FUZZ_LINE_MAX ? n : FUZZ_LINE_MAX);
    out[n < FUZZ_LINE_MAX ? n : FUZZ_LINE_MAX] = '\0';
    *left -= n + 1;
    *p = nl + 1;
    return 1;
}

/* "sha256=<hex HMAC of body>" into out (>= 72 bytes). */
static void sign(const char *body, size_t len, char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    CHECK(HMAC(EVP_sha256(), FUZZ_MP_SECRET, (int)strlen(FUZZ_MP_SECRET),
               (const unsigned char *)body, len, mac, &n) && n == 32, "HMAC failed");
    int off = snprintf(out, 8, "sha256=");
    for (unsigned i = 0; i < n; i++)
        off += snprintf(out + off, 3, "%02x", mac[i]);
}

/* 0 or -1; a refusal is always 401 naming X-Signature. */
static int verify(const char *header, const char *body, size_t len)
{
    sb_error err;
    sb_error_clear(&err);
    int rc = ingest_marketplace_verify(header, FUZZ_MP_SECRET, strlen(FUZZ_MP_SECRET), body, len,
                                       &err);
    CHECK(rc == 0 || (err.status == 401 && !strcmp(err.field, "X-Signature")),
          "refusal %d %s", err.status, err.field);
    return rc;
}

/* Does header (blanks around it aside) say the same as sig, hex in either case? */
static int same_signature(const char *header, const char *sig)
{
    header += strspn(header, " \t");
    size_t n = strlen(header);
    while (n && (header[n - 1] == ' ' || header[n - 1] == '\t'))
        n--;
    return n == strlen(sig) && strncasecmp(header, sig, n) == 0;
}

/* The signature properties on body with the given header. */
static void check_signature(const char *header, const char *body, size_t len)
{
    char sig[80];
    sign(body, len, sig);
    CHECK(verify(sig, body, len) == 0, "the body's own signature does not verify");
    char off[80];
    memcpy(off, sig, sizeof off);
    size_t at = 7 + (len % 64);
    off[at] = off[at] == '0' ? '1' : '0';
    CHECK(verify(off, body, len) == -1, "a signature one digit off verifies");
    int ok = verify(header, body, len) == 0;
    CHECK(ok == same_signature(header, sig), "header '%s' verified %d, expected %d", header, ok,
          !ok);
}

/* An accepted event: it matches its schema, and its generic body matches message_request.v1,
 * is keyed by the marketplace, and passes the generic door into a valid event. */
static void check_accepted(const char *name, const char *body, size_t len, const json_t *generic)
{
    char why[512];
    json_t *native = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    CHECK(native, "accepted bytes that are not JSON");
    CHECK(sb_schema_validate(event_schema, native, why, sizeof why) == 0,
          "accepted an event marketplace_event.v1 refuses: %s", why);
    const char *ext = json_string_value(json_object_get(generic, "external_id"));
    const char *id = json_string_value(json_object_get(native, "event_id"));
    size_t nl = strlen(name);
    CHECK(ext && id && !strncmp(ext, name, nl) && ext[nl] == ':' && !strcmp(ext + nl + 1, id),
          "external_id is not <name>:<event_id>");
    fuzz_check_door(generic, "marketplace", FUZZ_NOW_MS);
    json_decref(native);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char header[FUZZ_LINE_MAX + 1] = "", name[FUZZ_LINE_MAX + 1] = "tmall";
    const uint8_t *p = data;
    size_t left = size;
    if (next_line(&p, &left, header) && !next_line(&p, &left, name))
        snprintf(name, sizeof name, "tmall");
    if (!ingest_marketplace_name_ok(name))
        snprintf(name, sizeof name, "tmall");
    const char *body = (const char *)p;
    check_signature(header, body, left);

    sb_error err;
    json_t *out = NULL;
    sb_error_clear(&err);
    if (ingest_marketplace_parse(name, body, left, FUZZ_NOW_MS, &out, &err) == 0) {
        CHECK(out, "accepted without a body");
        check_accepted(name, body, left, out);
        json_decref(out);
        return 0;
    }
    CHECK(!out, "a refusal left a body behind");
    CHECK(err.status == 400 || err.status == 503, "status %d (%s)", err.status, err.code);
    CHECK(err.code[0] && err.message[0], "error without code or message");
    CHECK(err.field[0] || !strcmp(err.code, "invalid_json") || err.status == 503,
          "a %s refusal names no field: %s", err.code, err.message);
    return 0;
}
