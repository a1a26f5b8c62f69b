/* http_client.h - a tiny blocking HTTP/1.1 client for tests that talk to the running services. */
#ifndef SB_TEST_HTTP_CLIENT_H
#define SB_TEST_HTTP_CLIENT_H

#include <stddef.h>
#include <jansson.h>

/* One request to url ("http://host:port/path?query"; plain http only), with
 * "Authorization: Bearer <bearer>" when bearer is not NULL and body (sent as application/json)
 * when not NULL. Waits up to 10 s. On success returns 0 with *status set and *resp_body a
 * NUL-terminated malloc'd copy of the reply body (caller frees; resp_body may be NULL when
 * the body is not wanted). Returns -1 when the URL is bad, the service cannot be reached or
 * the reply is not HTTP. */
int sb_test_http(const char *method, const char *url, const char *bearer, const char *body,
                 int *status, char **resp_body);

/* Same, also returning the value of reply header `header` (case-insensitive) into
 * header_out (header_len bytes, "" when absent). */
int sb_test_http_header(const char *method, const char *url, const char *bearer,
                        const char *body, int *status, char **resp_body, const char *header,
                        char *header_out, unsigned header_len);

/* What a request sends besides its method and URL, and the reply header wanted back; a
 * member left 0 / NULL sends or asks nothing. */
typedef struct sb_test_request {
    const char *bearer;            /* "Authorization: Bearer <bearer>" */
    const char *content_type;      /* Content-Type, sent only with a body */
    const char *headers;           /* more header lines, each "Name: value\r\n" (X-Signature) */
    const char *body;              /* NULL: none */
    size_t      body_len;          /* its bytes (any, NULs too); 0: strlen(body) */
    const char *reply_header;      /* a reply header to return (case-insensitive) ... */
    char       *reply_header_out;  /* ... into this, "" when absent */
    unsigned    reply_header_len;
    int         timeout_s;         /* per read and write; 0: 10 s */
} sb_test_request;

/* One request as rq says, for endpoints that need their own media types or headers (the
 * native channel adapters); results as sb_test_http. */
int sb_test_http_request(const char *method, const char *url, const sb_test_request *rq,
                         int *status, char **resp_body);

/* sb_test_http with the reply parsed as JSON: NULL when the request failed or the body is not
 * JSON (*status is still set when a reply arrived). Caller json_decref()s. */
json_t *sb_test_http_json(const char *method, const char *url, const char *bearer,
                          const char *body, int *status);

/* sb_test_http_json waiting up to timeout_s (0: 10 s) for each read and write: for requests
 * that work for seconds by design (training the classifier). */
json_t *sb_test_http_json_wait(const char *method, const char *url, const char *bearer,
                               const char *body, int timeout_s, int *status);

/* sb_test_http_json against desk: path ("/v1/...") under SB_DESK_URL. NULL (status 0) when
 * SB_DESK_URL is unset. */
json_t *sb_test_desk_json(const char *method, const char *path, const char *bearer,
                          const char *body, int *status);

#endif
