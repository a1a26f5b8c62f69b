/* ingest_client.c - the running ingest for Criterion tests: URLs, JSON replies, tickets. */
#include "ingest_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "expect.h"

#define INGEST_TICKET_TRIES 300   /* 100 ms apart: classify stores a message well within 30 s */

void sb_test_ingest_url(char *out, size_t len, const char *path)
{
    snprintf(out, len, "%s%s", sb_test_env("SB_INGEST_URL"), path);
}

json_t *sb_test_ingest_call(const char *method, const char *path, const sb_test_request *rq,
                            int *status, char **text)
{
    char url[1024], *reply = NULL;
    sb_test_ingest_url(url, sizeof url, path);
    *status = 0;
    cr_assert_eq(sb_test_http_request(method, url, rq, status, &reply), 0,
                 "ingest did not answer %s %s", method, url);
    json_t *v = json_loads(reply, 0, NULL);
    if (text)
        *text = reply;
    else
        free(reply);
    return v;
}

char *sb_test_ingest_ticket(const char *message_id, const char *key)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/messages/%s", message_id);
    sb_test_request rq = {.bearer = key};
    char *number = NULL;
    int seen = 0;
    for (int i = 0; i < INGEST_TICKET_TRIES && !number; i++) {
        int status;
        json_t *st = sb_test_ingest_call("GET", path, &rq, &status, NULL);
        const char *s = json_string_value(json_object_get(st, "status"));
        const char *t = json_string_value(json_object_get(st, "ticket_number"));
        seen |= status == 200;
        if (status == 200) {
            cr_expect_str_eq(json_string_value(json_object_get(st, "message_id")), message_id);
            if (s && strcmp(s, "accepted") != 0 && t)
                number = strdup(t);
        }
        json_decref(st);
        if (!number)
            usleep(100 * 1000);
    }
    cr_expect(seen, "GET /v1/messages/%s never knew the message", message_id);
    return number;
}
