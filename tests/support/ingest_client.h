/* ingest_client.h - Criterion helpers for the tests that talk to the running ingest: its URLs,
 * a request whose reply is JSON, and waiting for a message's ticket. */
#ifndef SB_TEST_INGEST_CLIENT_H
#define SB_TEST_INGEST_CLIENT_H

#include <stddef.h>
#include <jansson.h>

#include "http_client.h"

/* SB_INGEST_URL + path into out (the test is skipped when the variable is unset). */
void sb_test_ingest_url(char *out, size_t len, const char *path);

/* method path on ingest as rq says; the reply parsed (NULL when it is not JSON, e.g. WeChat's
 * "success"), its status in *status, the raw reply in *text when text is not NULL (caller
 * frees). Fails the test when ingest does not answer. */
json_t *sb_test_ingest_call(const char *method, const char *path, const sb_test_request *rq,
                            int *status, char **text);

/* GET /v1/messages/{message_id} with key until classify has stored the message; its ticket
 * number (caller frees), or NULL when that did not happen within 30 s. Fails the test when
 * the key never even sees the message (status 200). */
char *sb_test_ingest_ticket(const char *message_id, const char *key);

#endif
