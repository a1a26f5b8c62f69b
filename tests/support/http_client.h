/* http_client.h - a tiny blocking HTTP/1.1 client for tests that talk to the running services. */
#ifndef SB_TEST_HTTP_CLIENT_H
#define SB_TEST_HTTP_CLIENT_H

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

/* Same with the body sent as content_type (no Content-Type header when NULL), e.g. text/xml
 * for the WeChat adapter. */
int sb_test_http_typed(const char *method, const char *url, const char *bearer,
                       const char *content_type, const char *body, int *status,
                       char **resp_body, const char *header, char *header_out,
                       unsigned header_len);
/* One request with exactly the header lines given (each "Name: value\r\n"; NULL for none;
 * Content-Length is added) and body_len bytes of body: for endpoints that need their own
 * headers (X-Signature) or media types. Results as sb_test_http. */
int sb_test_http_raw(const char *method, const char *url, const char *lines, const char *body,
                     size_t body_len, int *status, char **resp_body);
/* One request with a body of body_len bytes (any bytes, NULs too) sent as content_type
 * (no Content-Type header when content_type is NULL); otherwise as sb_test_http. */
int sb_test_http_send(const char *method, const char *url, const char *bearer,
                      const char *content_type, const char *body, size_t body_len, int *status,
                      char **resp_body);

/* sb_test_http with the reply parsed as JSON: NULL when the request failed or the body is not
 * JSON (*status is still set when a reply arrived). Caller json_decref()s. */
json_t *sb_test_http_json(const char *method, const char *url, const char *bearer,
                          const char *body, int *status);

#endif
