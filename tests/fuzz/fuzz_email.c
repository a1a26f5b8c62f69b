/* fuzz_email.c - raw messages through the e-mail adapter's GMime parsing and mapping; every body
 * it builds must match message_request.v1 and pass the normaliser, every refusal name its field. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "services/ingest/email.h"
#include "services/ingest/normalize.h"
#include "tests/support/schema.h"

#define FUZZ_SECRET "fuzz-customer-key-secret"
#define FUZZ_NOW_MS 1795305600123LL   /* 2026-11-22T00:00:00.123Z */

static ingest_secrets secrets;
static json_t *request_schema;   /* kept for the whole run (reachable, not a leak) */

/* A violated property: print why and abort, which libFuzzer reports as a crash with the input. */
#define CHECK(cond, ...)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz_email: property failed: %s: ", #cond);                       \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fputc('\n', stderr);                                                                \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ingest_email_init();
    ingest_secrets_init(&secrets, FUZZ_SECRET);
    request_schema = sb_schema_load(SB_SOURCE_DIR "/proto/http/message_request.v1.json");
    if (!request_schema) {
        fprintf(stderr, "fuzz_email: cannot load proto/http/message_request.v1.json\n");
        abort();
    }
    return 0;
}

/* A built body: the contract's shape, the adapter's own bounds, and the normaliser's consent
 * (nothing the adapter builds may be refused later under a generic field name). */
static void check_body(const json_t *body)
{
    char why[512];
    char *text = json_dumps(body, JSON_COMPACT);
    CHECK(sb_schema_validate(request_schema, body, why, sizeof why) == 0,
          "body does not match message_request.v1: %s\n%s", why, text);
    const char *t = json_string_value(json_object_get(body, "text"));
    CHECK(!t || (*t && strlen(t) <= INGEST_TEXT_MAX), "text empty or over 64 KiB");
    CHECK(t || json_array_size(json_object_get(body, "attachments")) > 0,
          "neither text nor attachments: %s", text);
    ingest_event ev;
    sb_error err;
    sb_error_clear(&err);
    CHECK(ingest_normalize(body, "email", &secrets, FUZZ_NOW_MS + 50, &ev, &err) == 0,
          "normaliser refused %d %s %s (%s): %s", err.status, err.code, err.field, err.message,
          text);
    ingest_event_release(&ev);
    free(text);
}

/* A refusal: a 400 naming one of the adapter's fields. */
static void check_refusal(const sb_error *err)
{
    CHECK(err->status == 400, "status %d (%s: %s)", err->status, err->code, err->message);
    CHECK(strcmp(err->field, "From") == 0 || strcmp(err->field, "text") == 0 ||
              strcmp(err->field, "body") == 0,
          "field '%s'", err->field);
    CHECK(err->code[0] && err->message[0], "error without code or message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > INGEST_EMAIL_MAX_BYTES)
        return 0;   /* the handler answers 413 before parsing */
    sb_error err;
    sb_error_clear(&err);
    json_t *body = ingest_email_to_body((const char *)data, size, FUZZ_NOW_MS, &err);
    if (body)
        check_body(body);
    else
        check_refusal(&err);
    json_decref(body);
    return 0;
}
