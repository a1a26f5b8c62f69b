/* http_client.c - a tiny blocking HTTP/1.1 client (one connection per request) for tests. */
#include "http_client.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HTTP_TIMEOUT_S 10
#define HTTP_MAX_REPLY (64u * 1024 * 1024)

/* "http://host:port/path" -> host, port ("80" when absent), path ("/" when absent); 0 or -1. */
static int http_url_split(const char *url, char host[256], char port[8], const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return -1;
    const char *h = url + 7, *end = h + strcspn(h, ":/");
    size_t hl = (size_t)(end - h);
    if (hl == 0 || hl >= 256)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, 8, "80");
    if (*end == ':') {
        size_t pl = strspn(end + 1, "0123456789");
        if (pl == 0 || pl > 5)
            return -1;
        memcpy(port, end + 1, pl);
        port[pl] = '\0';
        end += 1 + pl;
    }
    *path = *end == '/' ? end : "/";
    return *end == '/' || *end == '\0' ? 0 : -1;
}

/* A connected socket with send/receive timeouts of timeout_s, or -1. */
static int http_connect(const char *host, const char *port, int timeout_s)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = {timeout_s, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

/* Write all of buf; 0 or -1. */
static int http_send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Everything until the server closes, NUL-terminated (caller frees), or NULL. */
static char *http_recv_all(int fd, size_t *len)
{
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 == cap) {
            char *bigger = cap < HTTP_MAX_REPLY ? realloc(buf, cap * 2) : NULL;
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
        if (r == 0) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        if (r < 0)
            break;
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

/* Send the request with the given header lines (each ending in CRLF) and body, and read the
 * whole reply (Connection: close), waiting up to timeout_s for each read and write. */
static char *http_exchange_raw(const char *method, const char *url, const char *lines,
                               const char *body, size_t blen, int timeout_s, size_t *len)
{
    char host[256], port[8];
    const char *path;
    if (http_url_split(url, host, port, &path) != 0)
        return NULL;
    size_t hcap = strlen(path) + strlen(host) + strlen(lines) + 256;
    char *head = malloc(hcap);
    int fd = head ? http_connect(host, port, timeout_s) : -1;
    char *reply = NULL;
    if (fd >= 0) {
        int hl = snprintf(head, hcap,
                          "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n%s"
                          "Content-Length: %zu\r\n\r\n",
                          method, path, host, port, lines, blen);
        if (hl > 0 && http_send_all(fd, head, (size_t)hl) == 0 &&
            http_send_all(fd, body ? body : "", blen) == 0)
            reply = http_recv_all(fd, len);
        close(fd);
    }
    free(head);
    return reply;
}

/* Value of header name in the head (up to the blank line) into out, "" when absent. */
static void http_find_header(const char *head, const char *end, const char *name, char *out,
                             unsigned outlen)
{
    size_t nl = strlen(name);
    if (outlen)
        out[0] = '\0';
    for (const char *l = strstr(head, "\r\n"); l && l < end; l = strstr(l, "\r\n")) {
        l += 2;
        if (strncasecmp(l, name, nl) != 0 || l[nl] != ':')
            continue;
        const char *v = l + nl + 1;
        v += strspn(v, " \t");
        size_t vl = strcspn(v, "\r\n");
        if (outlen)
            snprintf(out, outlen, "%.*s", (int)vl, v);
        return;
    }
}

/* Splits a whole reply (taken; freed) into *status, resp_body and one header; 0 or -1. */
static int http_reply_parse(char *reply, size_t len, int *status, char **resp_body,
                            const char *header, char *header_out, unsigned header_len)
{
    char *sep = reply ? strstr(reply, "\r\n\r\n") : NULL;
    int code = 0;
    if (!sep || sscanf(reply, "HTTP/1.%*d %d", &code) != 1) {
        free(reply);
        return -1;
    }
    *status = code;
    if (header)
        http_find_header(reply, sep, header, header_out, header_len);
    char cl[32];
    http_find_header(reply, sep, "Content-Length", cl, sizeof(cl));
    size_t blen = len - (size_t)(sep + 4 - reply);
    if (cl[0] && strtoul(cl, NULL, 10) < blen)
        blen = strtoul(cl, NULL, 10);
    if (resp_body) {
        *resp_body = malloc(blen + 1);
        if (*resp_body) {
            memcpy(*resp_body, sep + 4, blen);
            (*resp_body)[blen] = '\0';
        }
    }
    free(reply);
    return resp_body && !*resp_body ? -1 : 0;
}

int sb_test_http_request(const char *method, const char *url, const sb_test_request *rq,
                         int *status, char **resp_body)
{
    const char *body = rq->body, *type = body ? rq->content_type : NULL;
    char *lines = NULL;
    if (asprintf(&lines, "%s%s%s%s%s%s%s", rq->bearer ? "Authorization: Bearer " : "",
                 rq->bearer ? rq->bearer : "", rq->bearer ? "\r\n" : "",
                 type ? "Content-Type: " : "", type ? type : "", type ? "\r\n" : "",
                 rq->headers ? rq->headers : "") < 0)
        return -1;
    size_t len = 0, blen = body ? (rq->body_len ? rq->body_len : strlen(body)) : 0;
    char *reply = http_exchange_raw(method, url, lines, body, blen,
                                    rq->timeout_s > 0 ? rq->timeout_s : HTTP_TIMEOUT_S, &len);
    free(lines);
    return http_reply_parse(reply, len, status, resp_body, rq->reply_header,
                            rq->reply_header_out, rq->reply_header_len);
}

int sb_test_http_header(const char *method, const char *url, const char *bearer,
                        const char *body, int *status, char **resp_body, const char *header,
                        char *header_out, unsigned header_len)
{
    sb_test_request rq = {.bearer = bearer, .content_type = "application/json", .body = body,
                          .reply_header = header, .reply_header_out = header_out,
                          .reply_header_len = header_len};
    return sb_test_http_request(method, url, &rq, status, resp_body);
}

int sb_test_http(const char *method, const char *url, const char *bearer, const char *body,
                 int *status, char **resp_body)
{
    return sb_test_http_header(method, url, bearer, body, status, resp_body, NULL, NULL, 0);
}

json_t *sb_test_http_json(const char *method, const char *url, const char *bearer,
                          const char *body, int *status)
{
    return sb_test_http_json_wait(method, url, bearer, body, 0, status);
}

json_t *sb_test_http_json_wait(const char *method, const char *url, const char *bearer,
                               const char *body, int timeout_s, int *status)
{
    sb_test_request rq = {.bearer = bearer, .content_type = "application/json", .body = body,
                          .timeout_s = timeout_s};
    char *text = NULL;
    *status = 0;
    if (sb_test_http_request(method, url, &rq, status, &text) != 0)
        return NULL;
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    return v;
}

json_t *sb_test_desk_json(const char *method, const char *path, const char *bearer,
                          const char *body, int *status)
{
    const char *base = getenv("SB_DESK_URL");
    *status = 0;
    if (!base || !*base)
        return NULL;
    char url[4096];
    snprintf(url, sizeof url, "%s%s", base, path);
    return sb_test_http_json(method, url, bearer, body, status);
}
