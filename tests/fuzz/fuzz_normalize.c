/* fuzz_normalize.c - POST /v1/messages bodies through ingest's parse + normalise, events checked against proto. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/seal.h"

#define FUZZ_NAME "fuzz_normalize"
#include "tests/fuzz/fuzz_ingest.h"

#define FUZZ_NOW_MS 1795305600123LL   /* 2026-11-22T... */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_ingest_init();
    return 0;
}

/* body[key] as a string, "" when absent or null (how the event and the sealed contact spell
 * an absent field). */
static const char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* An accepted body: the event is JSON matching inbound_message.v1, carries what was posted,
 * and its sealed contact opens with the secret's key to the raw details. */
static void check_event(const json_t *body, const ingest_event *ev)
{
    CHECK(ev->json && strlen(ev->json) == ev->len, "event text/length mismatch");
    json_error_t jerr;
    json_t *e = json_loadb(ev->json, ev->len, JSON_REJECT_DUPLICATES, &jerr);
    CHECK(json_is_object(e), "event is not a JSON object (%s): %s", jerr.text, ev->json);
    char why[512];
    CHECK(sb_schema_validate(fuzz_inbound_schema, e, why, sizeof why) == 0,
          "event does not match inbound_message.v1: %s\n%s", why, ev->json);
    CHECK(strcmp(str_or_empty(e, "channel"), ev->channel->name) == 0, "channel");
    CHECK(strcmp(str_or_empty(e, "external_id"), str_or_empty(body, "external_id")) == 0,
          "external_id changed on the way: %s", ev->json);
    CHECK(strcmp(str_or_empty(e, "text"), str_or_empty(body, "text")) == 0,
          "text changed on the way: %s", ev->json);
    CHECK(strcmp(str_or_empty(e, "message_id"), ev->message_id) == 0, "message_id");

    size_t n = 0;
    char *plain = sb_unseal(fuzz_secrets.seal_key, str_or_empty(e, "contact_sealed"), &n);
    CHECK(plain, "contact_sealed does not open: %s", ev->json);
    json_t *contact = json_loadb(plain, n, JSON_REJECT_DUPLICATES, &jerr);
    CHECK(json_is_object(contact), "sealed contact is not JSON (%s)", jerr.text);
    const json_t *cust = json_object_get(body, "customer");
    static const char *const fields[] = {"name", "phone", "email", "id"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        CHECK(strcmp(str_or_empty(contact, fields[i]), str_or_empty(cust, fields[i])) == 0,
              "sealed contact.%s differs from customer.%s", fields[i], fields[i]);
    json_decref(contact);
    free(plain);
    json_decref(e);
}

/* A refused body: a client error that names what is wrong. */
static void check_refusal(const sb_error *err)
{
    CHECK(err->status == 400 || err->status == 403 || err->status == 404,
          "status %d (%s: %s)", err->status, err->code, err->message);
    CHECK(err->code[0] && err->message[0], "error without code or message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sb_error err;
    sb_error_clear(&err);
    /* As ingest reads a body: sb_http_body_json -> sb_json_parse_object. */
    json_t *body = sb_json_parse_object((const char *)data, size, &err);
    if (!body) {
        CHECK(err.status == 400 && strcmp(err.code, "invalid_json") == 0, "parse error %d %s",
              err.status, err.code);
        return 0;
    }
    ingest_event ev;
    sb_error_clear(&err);
    if (ingest_normalize(body, NULL, &fuzz_secrets, FUZZ_NOW_MS, &ev, &err) == 0) {
        check_event(body, &ev);
        /* The same body under another channel's key is refused, and nothing is built. */
        const char *other = strcmp(ev.channel->name, "web") ? "web" : "app";
        ingest_event ev2;
        sb_error e2;
        sb_error_clear(&e2);
        CHECK(ingest_normalize(body, other, &fuzz_secrets, FUZZ_NOW_MS, &ev2, &e2) == -1 &&
                  e2.status == 403 && ev2.json == NULL,
              "a %s body passed with a %s key", ev.channel->name, other);
        ingest_event_release(&ev);
    } else {
        check_refusal(&err);
        CHECK(ev.json == NULL, "a refused body left an event behind");
    }
    json_decref(body);
    return 0;
}
